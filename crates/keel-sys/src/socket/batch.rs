//! Many datagrams per syscall: `recvmmsg` into a [`RecvBatch`] and `sendmmsg` from a
//! [`SendBatch`]. Both keep their memory between calls, so the hot path allocates nothing.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, SystemTime};

use socket2::Socket;
use tokio::io::unix::AsyncFd;

use super::Received;
use super::family::{AddressFamily, Ancillary, ControlBuffer};
use crate::error::{Error, Result};

/// The largest datagram read or sent: an IPv4 header with options, AH, and an IPv6 advert
/// with 255 addresses (8 + 255 × 16 bytes) fit.
pub const DATAGRAM_MAX: usize = 4096;

/// The most datagrams one `recvmmsg` / `sendmmsg` call handles.
pub const BATCH_MAX: usize = 64;

/// Room for the datagrams one `recvmmsg` returns, with what the kernel said of each.
#[derive(Debug)]
pub struct RecvBatch {
    data: Vec<u8>,
    names: Vec<libc::sockaddr_storage>,
    controls: Vec<ControlBuffer>,
    /// (slot, description) of each datagram of the last read.
    packets: Vec<(usize, Received)>,
    discarded: u64,
}

impl RecvBatch {
    /// Room for `capacity` datagrams per read (at most [`BATCH_MAX`]).
    pub fn new(capacity: usize) -> RecvBatch {
        let capacity = capacity.clamp(1, BATCH_MAX);
        RecvBatch {
            data: vec![0; capacity * DATAGRAM_MAX],
            // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
            names: vec![unsafe { zeroed() }; capacity],
            controls: vec![[0; 16]; capacity],
            packets: Vec::with_capacity(capacity),
            discarded: 0,
        }
    }

    /// How many datagrams one read can return.
    pub fn capacity(&self) -> usize {
        self.names.len()
    }

    /// Datagrams of the last read.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// True when the last read returned nothing.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Datagram `index` of the last read: its bytes and description.
    ///
    /// Panics when `index >= len()`, like slice indexing.
    pub fn packet(&self, index: usize) -> (&[u8], Received) {
        let (slot, received) = self.packets[index];
        let start = slot * DATAGRAM_MAX;
        (&self.data[start..start + received.len], received)
    }

    /// Datagrams read but not described (an IPv4 datagram shorter than its header, an IPv6
    /// one without its ancillary data) since the batch was made.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// One non-blocking `recvmmsg` on `fd`; returns the number of datagrams read (including
    /// discarded ones), or `WouldBlock` when none is queued.
    pub(crate) fn receive<F: AddressFamily>(
        &mut self,
        fd: RawFd,
        bound_ifindex: u32,
    ) -> io::Result<usize> {
        self.packets.clear();
        let capacity = self.capacity();
        // SAFETY: iovec and mmsghdr are plain data; all-zero is valid.
        let mut iovecs: [libc::iovec; BATCH_MAX] = unsafe { zeroed() };
        // SAFETY: as above.
        let mut messages: [libc::mmsghdr; BATCH_MAX] = unsafe { zeroed() };
        for slot in 0..capacity {
            iovecs[slot] = libc::iovec {
                iov_base: self.data[slot * DATAGRAM_MAX..].as_mut_ptr().cast(),
                iov_len: DATAGRAM_MAX,
            };
            let header = &mut messages[slot].msg_hdr;
            header.msg_name = (&mut self.names[slot] as *mut libc::sockaddr_storage).cast();
            header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_iov = &mut iovecs[slot];
            header.msg_iovlen = 1;
            header.msg_control = self.controls[slot].as_mut_ptr().cast();
            header.msg_controllen = size_of::<ControlBuffer>();
        }
        // SAFETY: each of the first `capacity` messages points at live buffers of this batch
        // (data slot, name, control) with their true lengths; the kernel writes only there.
        let count = unsafe {
            libc::recvmmsg(
                fd,
                messages.as_mut_ptr(),
                capacity as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if count < 0 {
            return Err(io::Error::last_os_error());
        }
        let count = count as usize;
        for (slot, message) in messages.iter().enumerate().take(count) {
            let len = (message.msg_len as usize).min(DATAGRAM_MAX);
            let ancillary = ancillary(&message.msg_hdr);
            let start = slot * DATAGRAM_MAX;
            match F::describe(
                &self.data[start..start + len],
                &self.names[slot],
                &ancillary,
                bound_ifindex,
            ) {
                Some(received) => self.packets.push((slot, received)),
                None => self.discarded += 1,
            }
        }
        Ok(count)
    }
}

/// Datagrams to send, each with its destination, packed in one reused buffer.
#[derive(Debug, Default)]
pub struct SendBatch {
    bytes: Vec<u8>,
    packets: Vec<(usize, usize, IpAddr)>,
}

impl SendBatch {
    /// An empty batch.
    pub fn new() -> SendBatch {
        SendBatch::default()
    }

    /// Queued datagrams.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Forgets every queued datagram, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.packets.clear();
    }

    /// Queues one datagram to `destination`, written by `fill` into a buffer of
    /// [`DATAGRAM_MAX`] bytes; `fill` returns the length it wrote. Nothing is queued when
    /// `fill` fails.
    pub fn push_with<E>(
        &mut self,
        destination: IpAddr,
        fill: impl FnOnce(&mut [u8]) -> std::result::Result<usize, E>,
    ) -> std::result::Result<(), E> {
        let start = self.bytes.len();
        self.bytes.resize(start + DATAGRAM_MAX, 0);
        match fill(&mut self.bytes[start..]) {
            Ok(len) => {
                let len = len.min(DATAGRAM_MAX);
                self.bytes.truncate(start + len);
                self.packets.push((start, len, destination));
                Ok(())
            }
            Err(error) => {
                self.bytes.truncate(start);
                Err(error)
            }
        }
    }

    /// Queues a copy of `packet` to `destination`.
    pub fn push(&mut self, destination: IpAddr, packet: &[u8]) -> Result<()> {
        if packet.len() > DATAGRAM_MAX {
            return Err(Error::InvalidArgument(format!(
                "a datagram of {} bytes is larger than {DATAGRAM_MAX}",
                packet.len()
            )));
        }
        self.push_with(destination, |buf| {
            buf[..packet.len()].copy_from_slice(packet);
            Ok(packet.len())
        })
    }

    /// Datagram `index`: its bytes and destination.
    pub fn packet(&self, index: usize) -> (&[u8], IpAddr) {
        let (start, len, destination) = self.packets[index];
        (&self.bytes[start..start + len], destination)
    }
}

/// What one `sendmmsg` achieved.
pub(crate) enum Sent {
    /// This many datagrams (from the start position) went out.
    Count(usize),
    /// The datagram at the start position was refused with this error; the caller skips it.
    Refused(io::Error),
}

impl Sent {
    /// What `sendmmsg`'s return value `sent` means, read right after the call (a failure's
    /// reason is in `errno`): `Err` only for `WouldBlock`, which `AsyncFd::try_io` takes as
    /// "wait for room"; any other failure is a refusal of the first message.
    pub(crate) fn of(sent: libc::c_int) -> io::Result<Sent> {
        if sent < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::WouldBlock {
                return Err(error);
            }
            return Ok(Sent::Refused(error));
        }
        Ok(Sent::Count(sent as usize))
    }
}

/// What [`send_all`] does when a `sendmmsg` is refused with `ENOBUFS`.
#[derive(Clone, Copy)]
pub(crate) enum NoBuffers {
    /// A refusal like any other: skip the message and report the first refusal at the
    /// end (the raw VRRP sockets, [`super::VrrpSocket::send_batch`]).
    Refuse,
    /// Pause `pause` and try the same messages again, at most `times` times per call, then
    /// give up the rest with the error (`AF_PACKET` with the qdisc bypassed: the device
    /// took nothing, and no wake-up comes when it has room again).
    Pause {
        /// Pauses one call may take.
        times: u32,
        /// How long each pause lasts.
        pause: Duration,
    },
}

/// How a sender learns that its socket has room again after `sendmmsg` found the socket's
/// buffer full (`EAGAIN`).
pub(crate) enum Room<'a> {
    /// The reactor reports the socket writable: it is registered with epoll.
    Reactor(&'a AsyncFd<Socket>),
    /// Not registered with epoll; pause and try again, sharing the `NoBuffers::Pause`
    /// budget of the call. A socket in an epoll set has every freed frame call back into
    /// that set (`sock_wfree` → write space → `ep_poll_callback`), which at hundreds of
    /// adverts per burst was 3.7 % of a master's samples (issue 4, bench/vrrp/profile.sh);
    /// a send-only socket whose buffer is rarely full does not need it.
    Unregistered(&'a Socket),
}

/// Sends messages `0..count` of a batch through `send_some(fd, next)` (one `sendmmsg` from
/// `next`; `Err` only for `WouldBlock`, when the socket's buffer is full), waiting for room
/// in the socket's buffer when the kernel has none, as `room` says. A message the kernel
/// refuses does not hold back the others: the first refusal is returned, labelled `what`,
/// once all were tried. `ENOBUFS` is handled as `no_buffers` says.
pub(crate) async fn send_all(
    room: Room<'_>,
    count: usize,
    what: &'static str,
    no_buffers: NoBuffers,
    mut send_some: impl FnMut(RawFd, usize) -> io::Result<Sent>,
) -> Result<()> {
    let mut next = 0;
    let mut pauses = 0;
    let mut first_error = None;
    // One pause of the call's budget, or the error that ends the call when it is spent.
    let mut pause = |error: io::Error| match no_buffers {
        NoBuffers::Pause { times, pause } if pauses < times => {
            pauses += 1;
            Ok(pause)
        }
        _ => Err(Error::io(what, error)),
    };
    while next < count {
        let outcome = match room {
            Room::Reactor(socket) => {
                let mut guard = socket
                    .writable()
                    .await
                    .map_err(|e| Error::io("poll writable", e))?;
                let fd = guard.get_inner().as_raw_fd();
                match guard.try_io(|_| send_some(fd, next)) {
                    Ok(outcome) => outcome,
                    Err(_would_block) => continue,
                }
            }
            Room::Unregistered(socket) => match send_some(socket.as_raw_fd(), next) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    tokio::time::sleep(pause(error)?).await;
                    continue;
                }
                outcome => outcome,
            },
        };
        match outcome {
            Ok(Sent::Count(sent)) => next += sent.max(1),
            Ok(Sent::Refused(error))
                if error.raw_os_error() == Some(libc::ENOBUFS)
                    && matches!(no_buffers, NoBuffers::Pause { .. }) =>
            {
                tokio::time::sleep(pause(error)?).await;
            }
            Ok(Sent::Refused(error)) => {
                next += 1;
                first_error.get_or_insert(error);
            }
            Err(error) => return Err(Error::io(what, error)),
        }
    }
    match first_error {
        Some(error) => Err(Error::io(what, error)),
        None => Ok(()),
    }
}

/// One `sendmmsg` of the datagrams of `batch` from `start` (at most [`BATCH_MAX`]).
/// `WouldBlock` when the send queue is full.
pub(crate) fn send_some<F: AddressFamily>(
    fd: RawFd,
    batch: &SendBatch,
    start: usize,
    ifindex: u32,
    source: Option<Ipv6Addr>,
) -> io::Result<Sent> {
    let count = (batch.len() - start).min(BATCH_MAX);
    // SAFETY: these are plain data; all-zero is valid.
    let mut iovecs: [libc::iovec; BATCH_MAX] = unsafe { zeroed() };
    // SAFETY: as above.
    let mut names: [libc::sockaddr_storage; BATCH_MAX] = unsafe { zeroed() };
    let mut controls: [ControlBuffer; BATCH_MAX] = [[0; 16]; BATCH_MAX];
    // SAFETY: as above.
    let mut messages: [libc::mmsghdr; BATCH_MAX] = unsafe { zeroed() };
    let mut prepared = 0;
    for index in 0..count {
        let (bytes, destination) = batch.packet(start + index);
        let (checked, name) = match (
            F::check_packet(bytes),
            F::socket_address(destination, ifindex),
        ) {
            (Ok(()), Some(name)) => ((), name),
            // A bad datagram goes alone, so its error is reported for it and the rest go on.
            _ if index > 0 => break,
            (Err(_), _) => {
                return Ok(Sent::Refused(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "IPv4 packet shorter than its header",
                )));
            }
            (_, None) => {
                return Ok(Sent::Refused(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{destination} is not of the socket's family"),
                )));
            }
        };
        let () = checked;
        names[index] = name.0;
        iovecs[index] = libc::iovec {
            iov_base: bytes.as_ptr() as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        let control_len = F::send_control(source, ifindex, &mut controls[index]);
        let header = &mut messages[index].msg_hdr;
        header.msg_name = (&mut names[index] as *mut libc::sockaddr_storage).cast();
        header.msg_namelen = name.1;
        header.msg_iov = &mut iovecs[index];
        header.msg_iovlen = 1;
        if control_len > 0 {
            header.msg_control = controls[index].as_mut_ptr().cast();
            header.msg_controllen = control_len;
        }
        prepared += 1;
    }
    // SAFETY: the first `prepared` messages point at live buffers (the batch's bytes, the
    // names and controls above) with their true lengths; the kernel only reads them.
    let sent = unsafe { libc::sendmmsg(fd, messages.as_mut_ptr(), prepared as libc::c_uint, 0) };
    Sent::of(sent)
}

/// Walks the control messages of a received datagram.
fn ancillary(header: &libc::msghdr) -> Ancillary {
    let mut found = Ancillary::default();
    // SAFETY: the CMSG_* macros stay inside the control buffer as bounded by msg_controllen
    // (set by the kernel); data is read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(header);
        while !cmsg.is_null() {
            let data = libc::CMSG_DATA(cmsg);
            match ((*cmsg).cmsg_level, (*cmsg).cmsg_type) {
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                    let value = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                    found.hop_limit = u8::try_from(value).ok();
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    found.destination = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
                    found.ifindex = Some(info.ipi6_ifindex);
                }
                (libc::SOL_SOCKET, super::SO_TIMESTAMPNS) => {
                    let stamp = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                    found.timestamp = u64::try_from(stamp.tv_sec)
                        .ok()
                        .zip(u32::try_from(stamp.tv_nsec).ok())
                        .and_then(|(seconds, nanos)| {
                            SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
                        });
                }
                _ => {}
            }
            cmsg = libc::CMSG_NXTHDR(header, cmsg);
        }
    }
    found
}

#[cfg(test)]
mod send_all_tests {
    use std::time::Instant;

    use socket2::{Domain, Type};

    use super::*;

    fn would_block() -> io::Result<Sent> {
        Err(io::Error::from(io::ErrorKind::WouldBlock))
    }

    const PAUSE: NoBuffers = NoBuffers::Pause {
        times: 10,
        pause: Duration::from_millis(1),
    };

    // Input: a socket not registered with the reactor whose buffer is full for the first
    // two attempts, then takes three messages per call; 7 messages.
    // Output: every message is sent, from where the last call stopped (0, 0, 0, 3, 6),
    // after two pauses of at least 1 ms each.
    #[tokio::test]
    async fn an_unregistered_socket_pauses_while_its_buffer_is_full() {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        let mut starts = Vec::new();
        let started = Instant::now();
        let result = send_all(Room::Unregistered(&socket), 7, "test", PAUSE, |_, next| {
            starts.push(next);
            if starts.len() <= 2 {
                return would_block();
            }
            Ok(Sent::Count(3.min(7 - next)))
        })
        .await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(starts, [0, 0, 0, 3, 6]);
        assert!(started.elapsed() >= Duration::from_millis(2));
    }

    // Input: a buffer that never has room; then one that never has room under the
    // `Refuse` policy.
    // Output: the call gives up after its ten pauses (eleven attempts) with the error,
    // and after the first attempt without pauses.
    #[tokio::test]
    async fn a_buffer_that_stays_full_ends_the_call() {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        let mut attempts = 0;
        let result = send_all(Room::Unregistered(&socket), 5, "test", PAUSE, |_, _| {
            attempts += 1;
            would_block()
        })
        .await;
        assert!(result.is_err());
        assert_eq!(attempts, 11);

        let mut attempts = 0;
        let result = send_all(
            Room::Unregistered(&socket),
            5,
            "test",
            NoBuffers::Refuse,
            |_, _| {
                attempts += 1;
                would_block()
            },
        )
        .await;
        assert!(result.is_err());
        assert_eq!(attempts, 1);
    }
}
