//! Raw VRRP sockets (IP protocol 112, and AH 51 for VRRPv2 AH authentication).
//!
//! One socket per interface and address family, bound to the interface with
//! `SO_BINDTODEVICE` so adverts never leak to or arrive from another link. These sockets move
//! bytes and addresses only; decoding and validating adverts is keel-wire's and keel-vrrp's
//! job. One generic [`VrrpSocket`] serves both families; what differs lives in [`family`]:
//!
//! * IPv4 (spec §3.1): `IP_HDRINCL`, so the caller supplies the full IP packet (TOS 0xC0,
//!   TTL 255 or `unicast_ttl`, its own id sequence) and receives the full IP packet, header
//!   included, so the TTL check of spec §3.2 can be made.
//! * IPv6 (spec §3.1): the kernel builds the header; `IPV6_CHECKSUM` at offset 6 makes it
//!   fill the VRRP checksum; hop limits are 255 and the traffic class 0xC0 (as keepalived
//!   2.2.7 sends); the hop limit and destination of each received packet come from
//!   `IPV6_RECVHOPLIMIT` / `IPV6_RECVPKTINFO` ancillary data.
//! * Multicast (spec §3.11): membership per interface, `IP_MULTICAST_ALL` off (so a socket
//!   sees only groups joined on it) and loopback off (a router must not hear itself).
//!
//! At scale (thousands of instances on one interface, issue 4) the per-packet syscall is
//! what costs: [`VrrpSocket::try_recv_batch`] reads every queued datagram with `recvmmsg`,
//! each with its kernel receive time (`SO_TIMESTAMPNS` control messages), and
//! [`VrrpSocket::send_batch`] sends the adverts that fell due together with `sendmmsg`.

mod batch;
pub mod family;
pub mod filter;

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};
use std::time::SystemTime;

use socket2::{Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::sys::{Buffer, bind_to_device, interface_index, register, set_buffer, set_int_option};

pub use batch::{BATCH_MAX, DATAGRAM_MAX, RecvBatch, SendBatch};
pub(crate) use batch::{NoBuffers, Room, Sent, send_all};
pub use family::{AddressFamily, Ipv4, Ipv6};

/// `SO_TIMESTAMPNS` (asm-generic/socket.h: `SO_TIMESTAMPNS_OLD`, 35, which 64-bit targets
/// use and whose control message is a native `struct timespec`); the libc crate does not
/// export it for this target. The control message type `SCM_TIMESTAMPNS` has the same value.
pub(crate) const SO_TIMESTAMPNS: libc::c_int = 35;

/// The VRRP multicast group for IPv4 (RFC 5798 §5.1.1.2).
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The VRRP multicast group for IPv6 (RFC 5798 §5.1.2.2).
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// Which IP protocol a raw socket carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpProtocol {
    /// VRRP, IP protocol 112 (RFC 5798 §5.1.1.4).
    Vrrp,
    /// IPsec AH, IP protocol 51: VRRPv2 `auth_type AH` adverts (spec §3.1, RFC 2338).
    Ah,
}

impl IpProtocol {
    /// The IANA protocol number.
    pub fn number(self) -> u8 {
        match self {
            IpProtocol::Vrrp => 112,
            IpProtocol::Ah => 51,
        }
    }
}

/// What the kernel told us about one received packet. The bytes themselves are in the
/// caller's buffer (`buf[..len]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written to the buffer. IPv4: the full IP packet; IPv6: the payload after the
    /// IPv6 header (and extension headers).
    pub len: usize,
    /// The packet's source address.
    pub source: IpAddr,
    /// The packet's destination address (a group for multicast, ours for unicast).
    pub destination: IpAddr,
    /// The IPv4 TTL or IPv6 hop limit as received (spec §3.2: must be 255 unless unicast).
    pub hop_limit: u8,
    /// The interface it arrived on.
    pub ifindex: u32,
    /// When the kernel received it (`SO_TIMESTAMPNS`, wall clock), if it said. VRRP's down
    /// timer restarts from the arrival, not from when the daemon got round to the packet
    /// (RFC 5798 §6.4.2).
    pub timestamp: Option<SystemTime>,
}

/// A raw socket that sends and receives adverts on one interface; implemented by
/// [`VrrpSocket`] for both families, and by fakes in the daemon's tests.
pub trait AdvertSocket {
    /// Sends one packet to `destination` (a peer for unicast, or the group).
    ///
    /// For IPv4 `packet` is the full IP packet (header included, `IP_HDRINCL`); for IPv6 it
    /// is the VRRP (or AH) payload and the kernel builds the header.
    fn send(&self, packet: &[u8], destination: IpAddr) -> impl Future<Output = Result<()>> + Send;

    /// Waits for the next packet and writes it to `buf` (one at a time; a loop that reads
    /// many sockets uses [`VrrpSocket::poll_readable`] and [`VrrpSocket::try_recv_batch`]).
    fn recv(&self, buf: &mut [u8]) -> impl Future<Output = Result<Received>> + Send;

    /// Joins multicast `group` on the socket's interface (224.0.0.18, ff02::12, or a
    /// configured `mcast_dst_ip`).
    fn join(&self, group: IpAddr) -> Result<()>;

    /// Leaves multicast `group` on the socket's interface.
    fn leave(&self, group: IpAddr) -> Result<()>;
}

/// A raw socket for protocol 112 (or 51) on one interface, of family `F`.
#[derive(Debug)]
pub struct VrrpSocket<F: AddressFamily> {
    fd: AsyncFd<Socket>,
    ifindex: u32,
    /// IPv6 only: the source address put in each sent packet's `IPV6_PKTINFO`.
    source: Option<Ipv6Addr>,
    family: PhantomData<F>,
}

/// An IPv4 raw socket, with `IP_HDRINCL`.
pub type VrrpSocketV4 = VrrpSocket<Ipv4>;
/// An IPv6 raw socket.
pub type VrrpSocketV6 = VrrpSocket<Ipv6>;

impl<F: AddressFamily> VrrpSocket<F> {
    /// Opens the socket on interface `ifname`. Must run inside a tokio runtime (the socket is
    /// registered with its reactor) and in the network namespace of the interface.
    pub fn open(ifname: &str, protocol: IpProtocol) -> Result<Self> {
        let ifindex = interface_index(ifname)?;
        let socket = Socket::new(
            F::DOMAIN,
            Type::RAW.cloexec(),
            Some(Protocol::from(i32::from(protocol.number()))),
        )
        .map_err(|e| Error::io(F::SOCKET_CALL, e))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| Error::io("fcntl(O_NONBLOCK)", e))?;
        bind_to_device(&socket, ifname)?;
        F::configure(&socket, ifindex, protocol)?;
        // Each datagram carries its kernel receive time as a control message, so a batch
        // read late still times VRRP's down timer from the arrival.
        set_int_option(
            &socket,
            libc::SOL_SOCKET,
            SO_TIMESTAMPNS,
            1,
            "setsockopt(SO_TIMESTAMPNS)",
        )?;
        let fd = register(socket)?;
        Ok(VrrpSocket {
            fd,
            ifindex,
            source: None,
            family: PhantomData,
        })
    }

    /// Sets the receive buffer to `bytes` (the kernel doubles it for bookkeeping); see
    /// [`VrrpSocket::receive_buffer`] to read back what was granted.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<()> {
        // Beyond `net.core.rmem_max` if we may (root): many instances on one interface
        // share one socket (thousands of adverts a second at `advert_int 0.1`), so the
        // default buffer can overflow during a burst.
        set_buffer(self.fd.get_ref(), Buffer::Receive, bytes, true)
    }

    /// The receive buffer size the kernel granted, in bytes.
    pub fn receive_buffer(&self) -> Result<usize> {
        self.fd
            .get_ref()
            .recv_buffer_size()
            .map_err(|e| Error::io("getsockopt(SO_RCVBUF)", e))
    }

    /// The interface index the socket is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends one packet (IPv4: the full IP packet; IPv6: the VRRP or AH payload).
    pub async fn send_to(&self, packet: &[u8], destination: IpAddr) -> Result<()> {
        F::check_packet(packet)?;
        let mut batch = SendBatch::new();
        batch.push(destination, packet)?;
        self.send_batch(&batch).await
    }

    /// Sends every packet of `batch` with as few `sendmmsg` calls as it takes (one per 64
    /// packets), waiting for room in the socket's send queue when the kernel has none. A
    /// packet the kernel refuses does not hold back the others; the first refusal is
    /// returned once all were tried.
    pub async fn send_batch(&self, batch: &SendBatch) -> Result<()> {
        send_all(
            Room::Reactor(&self.fd),
            batch.len(),
            "sendmmsg",
            NoBuffers::Refuse,
            |fd, next| batch::send_some::<F>(fd, batch, next, self.ifindex, self.source),
        )
        .await
    }

    /// Reads every datagram queued on the socket, up to the batch's capacity, without
    /// waiting; returns how many were read (0: none queued). Call it until it returns 0 or
    /// less than the capacity.
    pub fn try_recv_batch(&self, batch: &mut RecvBatch) -> Result<usize> {
        let fd = self.fd.as_raw_fd();
        // Through tokio first, so that an empty queue also clears the readiness it holds
        // (the next `poll_readable` then waits for new data).
        match self
            .fd
            .try_io(Interest::READABLE, |_| batch.receive::<F>(fd, self.ifindex))
        {
            Ok(count) => return Ok(count),
            Err(error) if error.kind() != io::ErrorKind::WouldBlock => {
                return Err(Error::io("recvmmsg", error));
            }
            Err(_) => {}
        }
        // tokio learns of new data only when its reactor runs; datagrams that arrived since
        // are read here, so a caller that drains before acting on a timer sees them.
        match batch.receive::<F>(fd, self.ifindex) {
            Ok(count) => Ok(count),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(error) => Err(Error::io("recvmmsg", error)),
        }
    }

    /// Ready when the socket may have datagrams to read (then call
    /// [`VrrpSocket::try_recv_batch`]); for a loop that waits on many sockets at once.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.fd.poll_read_ready(cx).map(|ready| {
            ready
                .map(|_guard| ())
                .map_err(|e| Error::io("poll readable", e))
        })
    }

    /// Waits for one packet and copies it to `buf` (IPv4: the full packet, header
    /// included; IPv6: the payload after the header).
    pub async fn recv_one(&self, buf: &mut [u8]) -> Result<Received> {
        let mut batch = RecvBatch::new(1);
        loop {
            std::future::poll_fn(|cx| self.poll_readable(cx)).await?;
            if self.try_recv_batch(&mut batch)? == 0 {
                continue;
            }
            let (bytes, received) = batch.packet(0);
            let len = bytes.len().min(buf.len());
            buf[..len].copy_from_slice(&bytes[..len]);
            return Ok(Received { len, ..received });
        }
    }

    fn membership(&self, group: IpAddr, join: bool) -> Result<()> {
        F::membership(self.fd.as_raw_fd(), group, self.ifindex, join)
    }
}

impl VrrpSocket<Ipv6> {
    /// Sets the hop limit of unicast adverts (`unicast_ttl`; 255 by default, which receivers
    /// require unless they were configured with `min_ttl`/`max_ttl`).
    pub fn set_unicast_hops(&self, hops: u8) -> Result<()> {
        set_int_option(
            self.fd.get_ref(),
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS,
            libc::c_int::from(hops),
            "setsockopt(IPV6_UNICAST_HOPS)",
        )
    }

    /// Sets the source address of sent packets (spec §3.1: the interface's link-local
    /// address unless `unicast_src_ip` says otherwise); `None` lets the kernel choose.
    pub fn set_source(&mut self, source: Option<Ipv6Addr>) {
        self.source = source;
    }
}

impl<F: AddressFamily> AsRawFd for VrrpSocket<F> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl<F: AddressFamily> AdvertSocket for VrrpSocket<F> {
    async fn send(&self, packet: &[u8], destination: IpAddr) -> Result<()> {
        self.send_to(packet, destination).await
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<Received> {
        self.recv_one(buf).await
    }

    fn join(&self, group: IpAddr) -> Result<()> {
        self.membership(group, true)
    }

    fn leave(&self, group: IpAddr) -> Result<()> {
        self.membership(group, false)
    }
}
