//! Batches of finished Ethernet frames on one interface: the multicast advert send path
//! that skips the IP stack.
//!
//! At scale (hundreds of instances on one interface) what a master spends sending adverts
//! through a raw IP socket is the IP stack's, per packet: the route lookup, netfilter's
//! OUTPUT and POSTROUTING hooks, the multicast loopback decision, the neighbour layer.
//! A multicast advert needs none of them: its destination MAC follows from the group and
//! its header from the instance (keel-wire's `frame` module builds the whole frame). So the
//! frames go out here, one `sendmmsg` per 64, on an AF_PACKET socket with
//! `PACKET_QDISC_BYPASS` where the kernel allows it.
//!
//! What that skips is then skipped for good: netfilter rules on OUTPUT/POSTROUTING, tc
//! egress (with the bypass) and, with the bypass, packet taps on the sending host (tcpdump
//! on the master's interface does not see these adverts; the peer's does).

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::RawFd;
use std::time::Duration;

use socket2::Socket;

use super::{hardware_address, interface_mtu, link_address};
use crate::error::{Error, Result};
use crate::socket::{BATCH_MAX, NoBuffers, Room, Sent, send_all};
use crate::sys::{Buffer, interface_index, set_buffer, set_int_option};

/// The send buffer asked for: room for a burst of thousands of small frames (each costs
/// about 1 KiB of buffer accounting until the device has taken it), so a master's burst at
/// `advert_int 0.1` rarely waits for room.
const SEND_BUFFER: usize = 4 << 20;

/// How long to wait before retrying when the device took no frame (`ENOBUFS`: with the
/// qdisc bypassed nothing queues the frame, and no wake-up comes when room appears).
const FULL_QUEUE_PAUSE: Duration = Duration::from_millis(1);

/// Pauses one batch may take on `ENOBUFS` before the rest of it is given up. A full
/// transmit ring drains within a pause; a link without carrier refuses every frame the
/// same way, and the caller's loop must not stall on it.
const FULL_QUEUE_PAUSES: u32 = 10;

/// A send-only AF_PACKET socket that puts batches of finished Ethernet frames on one
/// Ethernet interface.
#[derive(Debug)]
pub struct FrameSocket {
    /// Not registered with the reactor: see [`Room::Unregistered`].
    socket: Socket,
    ifindex: u32,
    mac: [u8; 6],
    mtu: usize,
    qdisc_bypass: bool,
}

impl FrameSocket {
    /// Opens the socket on `ifname` and reads the interface's MAC and MTU. Fails when the
    /// interface is not Ethernet (a tunnel or loopback has no link header to build). Must
    /// run in the interface's network namespace.
    pub fn open(ifname: &str) -> Result<FrameSocket> {
        let ifindex = interface_index(ifname)?;
        let (hardware_type, mac) = hardware_address(ifname)?;
        if hardware_type != libc::ARPHRD_ETHER {
            return Err(Error::InvalidArgument(format!(
                "{ifname} is not an Ethernet interface (hardware type {hardware_type})"
            )));
        }
        let mtu = interface_mtu(ifname)?;
        let socket = super::open_send_socket(ifindex)?;
        // Best effort both: without the bypass frames take the qdisc like any other, and a
        // smaller buffer only means waiting for room more often.
        let qdisc_bypass = set_int_option(
            &socket,
            libc::SOL_PACKET,
            libc::PACKET_QDISC_BYPASS,
            1,
            "setsockopt(PACKET_QDISC_BYPASS)",
        )
        .is_ok();
        let _ = set_buffer(&socket, Buffer::Send, SEND_BUFFER, true);
        Ok(FrameSocket {
            socket,
            ifindex,
            mac,
            mtu,
            qdisc_bypass,
        })
    }

    /// The interface index frames leave by.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The interface's MAC when the socket was opened (the source of its frames, unless
    /// the daemon learns of a change).
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The interface's MTU when the socket was opened: a frame carrying a larger IP
    /// packet is refused (`EMSGSIZE`), where the IP stack would have fragmented it.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Whether `PACKET_QDISC_BYPASS` was granted.
    pub fn qdisc_bypass(&self) -> bool {
        self.qdisc_bypass
    }

    /// Sends every frame of `batch` with as few `sendmmsg` calls as it takes (one per 64
    /// frames). When the socket's buffer is full (`EAGAIN`) or the device takes nothing
    /// (`ENOBUFS`: its queue is full, or it has no carrier) it pauses 1 ms and retries, at
    /// most 10 times per batch, then gives up the rest of the batch. Any other frame the kernel refuses does not hold back the others; the first
    /// refusal is returned once all were tried.
    pub async fn send_batch(&self, batch: &FrameBatch) -> Result<()> {
        let address = link_address(self.ifindex, 0, [0; 6]);
        let no_buffers = NoBuffers::Pause {
            times: FULL_QUEUE_PAUSES,
            pause: FULL_QUEUE_PAUSE,
        };
        send_all(
            Room::Unregistered(&self.socket),
            batch.len(),
            "sendmmsg(AF_PACKET)",
            no_buffers,
            |fd, next| send_some(fd, batch, next, &address),
        )
        .await
    }
}

/// Frames to send, packed in one reused buffer.
#[derive(Debug, Default)]
pub struct FrameBatch {
    bytes: Vec<u8>,
    frames: Vec<(usize, usize)>,
}

impl FrameBatch {
    /// An empty batch.
    pub fn new() -> FrameBatch {
        FrameBatch::default()
    }

    /// Queued frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Forgets every queued frame, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
    }

    /// Queues a copy of `frame` and returns the copy, for the caller to change what
    /// differs from one send to the next (an IPv4 identification and its checksum).
    pub fn push(&mut self, frame: &[u8]) -> &mut [u8] {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(frame);
        self.frames.push((start, frame.len()));
        &mut self.bytes[start..]
    }

    /// Forgets the frame queued last, if any (one the caller could not finish).
    pub fn pop(&mut self) {
        if let Some((start, _)) = self.frames.pop() {
            self.bytes.truncate(start);
        }
    }

    /// Frame `index`.
    ///
    /// Panics when `index >= len()`, like slice indexing.
    pub fn frame(&self, index: usize) -> &[u8] {
        let (start, len) = self.frames[index];
        &self.bytes[start..start + len]
    }
}

/// One `sendmmsg` of the frames of `batch` from `start` (at most [`BATCH_MAX`]): the count
/// sent, or the error of the frame at `start`; `Err` only for `WouldBlock`, when the buffer
/// is full.
fn send_some(
    fd: RawFd,
    batch: &FrameBatch,
    start: usize,
    address: &libc::sockaddr_ll,
) -> io::Result<Sent> {
    let count = (batch.len() - start).min(BATCH_MAX);
    // SAFETY: these are plain data; all-zero is valid.
    let mut iovecs: [libc::iovec; BATCH_MAX] = unsafe { zeroed() };
    // SAFETY: as above.
    let mut messages: [libc::mmsghdr; BATCH_MAX] = unsafe { zeroed() };
    for index in 0..count {
        let frame = batch.frame(start + index);
        iovecs[index] = libc::iovec {
            iov_base: frame.as_ptr() as *mut libc::c_void,
            iov_len: frame.len(),
        };
        let header = &mut messages[index].msg_hdr;
        // Protocol 0 in the address: the kernel reads the EtherType from the frame itself
        // (and so sets the link header where the device expects it).
        header.msg_name = (address as *const libc::sockaddr_ll) as *mut libc::c_void;
        header.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        header.msg_iov = &mut iovecs[index];
        header.msg_iovlen = 1;
    }
    // SAFETY: the first `count` messages point at live buffers (the batch's bytes and
    // `address`) with their true lengths; the kernel only reads them.
    let sent = unsafe { libc::sendmmsg(fd, messages.as_mut_ptr(), count as libc::c_uint, 0) };
    Sent::of(sent)
}
