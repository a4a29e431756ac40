//! The process events connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`): fork, exec, comm
//! change and exit of every process, as they happen.
//!
//! keepalived's `track_process` uses it (spec §1.1) so a tracked process that dies is seen
//! at once instead of at the next scan: scan `/proc` once at start
//! ([`crate::process::matching_processes`]), then keep the set of matching pids current from
//! these events ([`crate::process::ProcessMatch::matches_pid`] on exec / comm / fork, removal
//! on exit).
//!
//! The kernel offers the connector only to root in the initial user, pid and network
//! namespaces; elsewhere [`ProcEvents::open`] fails and the daemon falls back to periodic
//! scanning.

use std::collections::VecDeque;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::sys::register;

/// `NETLINK_CONNECTOR` (linux/netlink.h).
const NETLINK_CONNECTOR: libc::c_int = 11;
/// `CN_IDX_PROC` / `CN_VAL_PROC` (linux/connector.h).
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// `PROC_CN_MCAST_LISTEN` / `PROC_CN_MCAST_IGNORE` (linux/cn_proc.h).
const MCAST_LISTEN: u32 = 1;
/// `enum proc_cn_event` values (linux/cn_proc.h).
const EVENT_FORK: u32 = 0x0000_0001;
const EVENT_EXEC: u32 = 0x0000_0002;
const EVENT_COMM: u32 = 0x0000_0200;
const EVENT_EXIT: u32 = 0x8000_0000;
/// Bytes of `struct nlmsghdr` and of `struct cn_msg` before its data.
const NETLINK_HEADER: usize = 16;
const CONNECTOR_HEADER: usize = 20;
/// Offset of the event union inside `struct proc_event` (what, cpu, timestamp_ns).
const EVENT_DATA: usize = 16;

/// One process lifecycle event. Threads are filtered out: only whole processes are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessEvent {
    /// A new process `pid` was forked from `parent` (it still runs the parent's program).
    Fork {
        /// The new process.
        pid: u32,
        /// Its parent.
        parent: u32,
    },
    /// Process `pid` executed a new program (its name and command line changed).
    Exec {
        /// The process.
        pid: u32,
    },
    /// Process `pid` changed its name (`prctl(PR_SET_NAME)`).
    Comm {
        /// The process.
        pid: u32,
    },
    /// Process `pid` exited.
    Exit {
        /// The process.
        pid: u32,
    },
}

/// A subscription to the kernel's process events.
#[derive(Debug)]
pub struct ProcEvents {
    fd: AsyncFd<OwnedFd>,
    pending: VecDeque<ProcessEvent>,
}

impl ProcEvents {
    /// Subscribes. Must run in a tokio runtime, as root, in the initial namespaces.
    pub fn open() -> Result<ProcEvents> {
        // SAFETY: socket takes plain integers and returns a new descriptor or -1.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                NETLINK_CONNECTOR,
            )
        };
        if raw < 0 {
            return Err(Error::last_os("socket(NETLINK_CONNECTOR)"));
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_nl is plain data; all-zero is valid.
        let mut address: libc::sockaddr_nl = unsafe { zeroed() };
        address.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        address.nl_groups = CN_IDX_PROC;
        // SAFETY: `address` is a valid sockaddr_nl of the length passed.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&address as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(Error::last_os("bind(NETLINK_CONNECTOR)"));
        }
        send_listen(&fd)?;
        Ok(ProcEvents {
            fd: register(fd)?,
            pending: VecDeque::new(),
        })
    }

    /// Waits for the next process event.
    pub async fn next(&mut self) -> Result<ProcessEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            let mut buffer = [0u8; 8192];
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(|e| Error::io("poll NETLINK_CONNECTOR", e))?;
            let read = guard.try_io(|inner| {
                // SAFETY: `buffer` is a valid writable buffer of the given length.
                let n = unsafe {
                    libc::recv(
                        inner.as_raw_fd(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                        0,
                    )
                };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            let length = match read {
                Ok(result) => result.map_err(|e| Error::io("recv NETLINK_CONNECTOR", e))?,
                Err(_would_block) => continue,
            };
            self.pending.extend(parse_events(&buffer[..length]));
        }
    }
}

fn send_listen(fd: &OwnedFd) -> Result<()> {
    let mut message = Vec::with_capacity(NETLINK_HEADER + CONNECTOR_HEADER + 4);
    let total = (NETLINK_HEADER + CONNECTOR_HEADER + 4) as u32;
    message.extend_from_slice(&total.to_ne_bytes());
    message.extend_from_slice(&(libc::NLMSG_DONE as u16).to_ne_bytes());
    message.extend_from_slice(&0u16.to_ne_bytes()); // flags
    message.extend_from_slice(&0u32.to_ne_bytes()); // sequence
    message.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it
    message.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    message.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    message.extend_from_slice(&0u32.to_ne_bytes()); // seq
    message.extend_from_slice(&0u32.to_ne_bytes()); // ack
    message.extend_from_slice(&4u16.to_ne_bytes()); // data length
    message.extend_from_slice(&0u16.to_ne_bytes()); // flags
    message.extend_from_slice(&MCAST_LISTEN.to_ne_bytes());
    // SAFETY: `message` is a valid buffer of the length passed.
    let sent = unsafe { libc::send(fd.as_raw_fd(), message.as_ptr().cast(), message.len(), 0) };
    if sent < 0 {
        return Err(Error::last_os("send(PROC_CN_MCAST_LISTEN)"));
    }
    Ok(())
}

/// Decodes the netlink messages of one datagram into process events, skipping anything
/// truncated or unknown.
pub(crate) fn parse_events(mut datagram: &[u8]) -> Vec<ProcessEvent> {
    let read_u32 = |bytes: &[u8], at: usize| -> Option<u32> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut events = Vec::new();
    while let Some(length) = read_u32(datagram, 0) {
        let length = length as usize;
        if length < NETLINK_HEADER || length > datagram.len() {
            break;
        }
        let message = &datagram[..length];
        // Netlink messages are 4-byte aligned (NLMSG_ALIGN).
        let next = ((length + 3) & !3).min(datagram.len());
        datagram = &datagram[next..];
        let event = NETLINK_HEADER + CONNECTOR_HEADER;
        let data = event + EVENT_DATA;
        let field = |index: usize| read_u32(message, data + 4 * index);
        let decoded = match read_u32(message, event) {
            Some(EVENT_FORK) => match (field(0), field(2), field(3)) {
                (Some(parent), Some(child_pid), Some(child_tgid)) if child_pid == child_tgid => {
                    Some(ProcessEvent::Fork {
                        pid: child_tgid,
                        parent,
                    })
                }
                _ => None,
            },
            Some(EVENT_EXEC) => field(1).map(|pid| ProcessEvent::Exec { pid }),
            Some(EVENT_COMM) => match (field(0), field(1)) {
                (Some(pid), Some(tgid)) if pid == tgid => Some(ProcessEvent::Comm { pid }),
                _ => None,
            },
            Some(EVENT_EXIT) => match (field(0), field(1)) {
                (Some(pid), Some(tgid)) if pid == tgid => Some(ProcessEvent::Exit { pid }),
                _ => None,
            },
            _ => None,
        };
        events.extend(decoded);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::{ProcessEvent, parse_events};

    fn message(what: u32, fields: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0u8; 52];
        bytes[36..40].copy_from_slice(&what.to_ne_bytes());
        for field in fields {
            bytes.extend_from_slice(&field.to_ne_bytes());
        }
        let length = bytes.len() as u32;
        bytes[..4].copy_from_slice(&length.to_ne_bytes());
        bytes
    }

    #[test]
    fn events_decode_and_threads_are_filtered() {
        // Input: a datagram with an exec of 42, a thread exit (pid 43 of tgid 42), a
        // process exit of 42, and a truncated trailer.
        // Output: Exec{42}, Exit{42}; the thread and the garbage are dropped.
        let mut datagram = message(0x2, &[42, 42]);
        datagram.extend(message(0x8000_0000, &[43, 42, 0, 0, 1, 1]));
        datagram.extend(message(0x8000_0000, &[42, 42, 0, 0, 1, 1]));
        datagram.extend([200, 0, 0, 0, 1, 2]);
        assert_eq!(
            parse_events(&datagram),
            vec![
                ProcessEvent::Exec { pid: 42 },
                ProcessEvent::Exit { pid: 42 }
            ]
        );
        // Input: a fork of a process (child pid == tgid) and of a thread.
        // Output: only the process fork.
        let mut datagram = message(0x1, &[1, 1, 50, 50]);
        datagram.extend(message(0x1, &[1, 1, 51, 50]));
        assert_eq!(
            parse_events(&datagram),
            vec![ProcessEvent::Fork { pid: 50, parent: 1 }]
        );
        assert!(parse_events(&[1, 2, 3]).is_empty());
    }
}
