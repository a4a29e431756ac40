//! Raw VRRP sockets (IP protocol 112, and AH 51 for VRRPv2 AH authentication).
//!
//! One socket per interface and address family, bound to the interface with
//! `SO_BINDTODEVICE` so adverts never leak to or arrive from another link. These sockets move
//! bytes and addresses only; decoding and validating adverts is keel-wire's and keel-vrrp's
//! job.
//!
//! * IPv4 (spec §3.1): `IP_HDRINCL`, so the caller supplies the full IP packet (TOS 0xC0,
//!   TTL 255 or `unicast_ttl`, its own id sequence) and receives the full IP packet, header
//!   included, so the TTL check of spec §3.2 can be made.
//! * IPv6 (spec §3.1): the kernel builds the header; `IPV6_CHECKSUM` at offset 6 makes it
//!   fill the VRRP checksum; hop limits are 255; the hop limit and destination of each
//!   received packet come from `IPV6_RECVHOPLIMIT` / `IPV6_RECVPKTINFO` ancillary data.
//! * Multicast (spec §3.11): membership per interface, `IP_MULTICAST_ALL` off (so a socket
//!   sees only groups joined on it) and loopback off (a router must not hear itself).

use std::future::Future;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::sys::{bind_to_device, interface_index, register, set_int_option, set_option};

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
}

/// A raw socket that sends and receives adverts on one interface; implemented by
/// [`VrrpSocketV4`] and [`VrrpSocketV6`], and by fakes in the daemon's tests.
pub trait AdvertSocket {
    /// Sends one packet to `destination` (a peer for unicast, or the group).
    ///
    /// For IPv4 `packet` is the full IP packet (header included, `IP_HDRINCL`); for IPv6 it
    /// is the VRRP (or AH) payload and the kernel builds the header.
    fn send(&self, packet: &[u8], destination: IpAddr) -> impl Future<Output = Result<()>> + Send;

    /// Waits for the next packet and writes it to `buf`; call it in a loop from the
    /// interface's receive task.
    fn recv(&self, buf: &mut [u8]) -> impl Future<Output = Result<Received>> + Send;

    /// Joins multicast `group` on the socket's interface (224.0.0.18, ff02::12, or a
    /// configured `mcast_dst_ip`).
    fn join(&self, group: IpAddr) -> Result<()>;

    /// Leaves multicast `group` on the socket's interface.
    fn leave(&self, group: IpAddr) -> Result<()>;
}

/// An IPv4 raw socket for protocol 112 (or 51) on one interface, with `IP_HDRINCL`.
#[derive(Debug)]
pub struct VrrpSocketV4 {
    fd: AsyncFd<Socket>,
    ifindex: u32,
}

impl VrrpSocketV4 {
    /// Opens the socket on interface `ifname`. Must run inside a tokio runtime (the socket is
    /// registered with its reactor) and in the network namespace of the interface.
    pub fn open(ifname: &str, protocol: IpProtocol) -> Result<VrrpSocketV4> {
        let ifindex = interface_index(ifname)?;
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW.cloexec(),
            Some(Protocol::from(i32::from(protocol.number()))),
        )
        .map_err(|e| Error::io("socket(AF_INET, SOCK_RAW)", e))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| Error::io("fcntl(O_NONBLOCK)", e))?;
        bind_to_device(&socket, ifname)?;
        // spec §3.1: we write the IP header ourselves (TOS 0xC0, TTL, id sequence).
        set_int_option(
            &socket,
            libc::IPPROTO_IP,
            libc::IP_HDRINCL,
            1,
            "setsockopt(IP_HDRINCL)",
        )?;
        // spec §3.1: without this, a raw socket receives every group joined by any socket.
        set_int_option(
            &socket,
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_ALL,
            0,
            "setsockopt(IP_MULTICAST_ALL)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_LOOP,
            0,
            "setsockopt(IP_MULTICAST_LOOP)",
        )?;
        let request = multicast_request_v4(Ipv4Addr::UNSPECIFIED, ifindex);
        set_option(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            &request,
            "setsockopt(IP_MULTICAST_IF)",
        )?;
        let fd = register(socket)?;
        Ok(VrrpSocketV4 { fd, ifindex })
    }

    /// Sets the receive buffer to `bytes` (the kernel doubles it for bookkeeping); see
    /// [`VrrpSocketV4::receive_buffer`] to read back what was granted.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<()> {
        set_receive_buffer(self.fd.get_ref(), bytes)
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

    /// Sends a full IPv4 packet; the next hop is `destination` (normally the header's
    /// destination address).
    pub async fn send_packet(&self, packet: &[u8], destination: Ipv4Addr) -> Result<()> {
        if packet.len() < 20 {
            return Err(Error::InvalidArgument(format!(
                "IPv4 packet of {} bytes has no room for its header",
                packet.len()
            )));
        }
        let address = socket2::SockAddr::from(std::net::SocketAddrV4::new(destination, 0));
        loop {
            let mut guard = self
                .fd
                .writable()
                .await
                .map_err(|e| Error::io("poll writable", e))?;
            match guard.try_io(|inner| inner.get_ref().send_to(packet, &address)) {
                Ok(result) => return result.map(|_| ()).map_err(|e| Error::io("sendto", e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Waits for one packet; `buf` receives the full IPv4 packet, header included.
    pub async fn recv_packet(&self, buf: &mut [u8]) -> Result<Received> {
        loop {
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(|e| Error::io("poll readable", e))?;
            let result = guard.try_io(|inner| {
                // SAFETY: `buf` is a valid writable buffer of the given length.
                let n = unsafe {
                    libc::recv(
                        inner.get_ref().as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        0,
                    )
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match result {
                Ok(Ok(len)) => return self.describe_v4(&buf[..len.min(buf.len())]),
                Ok(Err(e)) => return Err(Error::io("recv", e)),
                Err(_would_block) => continue,
            }
        }
    }

    fn describe_v4(&self, packet: &[u8]) -> Result<Received> {
        // RFC 791 §3.1: TTL at byte 8, source at 12..16, destination at 16..20.
        if packet.len() < 20 {
            return Err(Error::Malformed {
                what: "IPv4 packet",
                detail: format!("{} bytes, shorter than an IPv4 header", packet.len()),
            });
        }
        let source = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
        let destination = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
        Ok(Received {
            len: packet.len(),
            source: IpAddr::V4(source),
            destination: IpAddr::V4(destination),
            hop_limit: packet[8],
            ifindex: self.ifindex,
        })
    }

    fn membership(
        &self,
        group: IpAddr,
        option: libc::c_int,
        operation: &'static str,
    ) -> Result<()> {
        let IpAddr::V4(group) = group else {
            return Err(Error::InvalidArgument(format!(
                "{group} is not an IPv4 group"
            )));
        };
        let request = multicast_request_v4(group, self.ifindex);
        set_option(
            self.fd.as_raw_fd(),
            libc::IPPROTO_IP,
            option,
            &request,
            operation,
        )
    }
}

impl AsRawFd for VrrpSocketV4 {
    /// The socket's descriptor, for per-packet ioctls such as `SIOCGSTAMPNS` (the kernel's
    /// receive time of the last packet, which the daemon times VRRP's down timer from).
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsRawFd for VrrpSocketV6 {
    /// The socket's descriptor (see [`VrrpSocketV4::as_raw_fd`]).
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AdvertSocket for VrrpSocketV4 {
    async fn send(&self, packet: &[u8], destination: IpAddr) -> Result<()> {
        match destination {
            IpAddr::V4(destination) => self.send_packet(packet, destination).await,
            IpAddr::V6(_) => Err(Error::InvalidArgument(format!(
                "{destination} on an IPv4 socket"
            ))),
        }
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<Received> {
        self.recv_packet(buf).await
    }

    fn join(&self, group: IpAddr) -> Result<()> {
        self.membership(
            group,
            libc::IP_ADD_MEMBERSHIP,
            "setsockopt(IP_ADD_MEMBERSHIP)",
        )
    }

    fn leave(&self, group: IpAddr) -> Result<()> {
        self.membership(
            group,
            libc::IP_DROP_MEMBERSHIP,
            "setsockopt(IP_DROP_MEMBERSHIP)",
        )
    }
}

/// An IPv6 raw socket for protocol 112 (or 51) on one interface.
#[derive(Debug)]
pub struct VrrpSocketV6 {
    fd: AsyncFd<Socket>,
    ifindex: u32,
    source: Option<Ipv6Addr>,
}

impl VrrpSocketV6 {
    /// Opens the socket on interface `ifname`. Must run inside a tokio runtime and in the
    /// network namespace of the interface.
    pub fn open(ifname: &str, protocol: IpProtocol) -> Result<VrrpSocketV6> {
        let ifindex = interface_index(ifname)?;
        let socket = Socket::new(
            Domain::IPV6,
            Type::RAW.cloexec(),
            Some(Protocol::from(i32::from(protocol.number()))),
        )
        .map_err(|e| Error::io("socket(AF_INET6, SOCK_RAW)", e))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| Error::io("fcntl(O_NONBLOCK)", e))?;
        bind_to_device(&socket, ifname)?;
        if protocol == IpProtocol::Vrrp {
            // spec §3.1: the kernel computes the VRRP checksum (bytes 6..8) with the
            // IPv6 pseudo-header, as RFC 5798 §5.2.8 requires.
            set_int_option(
                &socket,
                libc::IPPROTO_IPV6,
                libc::IPV6_CHECKSUM,
                6,
                "setsockopt(IPV6_CHECKSUM)",
            )?;
        }
        // RFC 5798 §5.1.2.3: hop limit 255, so receivers can reject off-link senders.
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_HOPS,
            255,
            "setsockopt(IPV6_MULTICAST_HOPS)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS,
            255,
            "setsockopt(IPV6_UNICAST_HOPS)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_LOOP,
            0,
            "setsockopt(IPV6_MULTICAST_LOOP)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_ALL,
            0,
            "setsockopt(IPV6_MULTICAST_ALL)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            ifindex as libc::c_int,
            "setsockopt(IPV6_MULTICAST_IF)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVHOPLIMIT,
            1,
            "setsockopt(IPV6_RECVHOPLIMIT)",
        )?;
        set_int_option(
            &socket,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVPKTINFO,
            1,
            "setsockopt(IPV6_RECVPKTINFO)",
        )?;
        let fd = register(socket)?;
        Ok(VrrpSocketV6 {
            fd,
            ifindex,
            source: None,
        })
    }

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

    /// Sets the receive buffer to `bytes` (the kernel doubles it for bookkeeping); see
    /// [`VrrpSocketV6::receive_buffer`] to read back what was granted.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<()> {
        set_receive_buffer(self.fd.get_ref(), bytes)
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

    /// Sends `payload` (the VRRP packet, checksum left to the kernel) to `destination`.
    pub async fn send_payload(&self, payload: &[u8], destination: Ipv6Addr) -> Result<()> {
        loop {
            let mut guard = self
                .fd
                .writable()
                .await
                .map_err(|e| Error::io("poll writable", e))?;
            let fd = guard.get_inner().as_raw_fd();
            match guard.try_io(|_| send_v6(fd, payload, destination, self.source, self.ifindex)) {
                Ok(result) => return result.map_err(|e| Error::io("sendmsg", e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Waits for one packet; `buf` receives the payload after the IPv6 header.
    pub async fn recv_payload(&self, buf: &mut [u8]) -> Result<Received> {
        loop {
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(|e| Error::io("poll readable", e))?;
            let fd = guard.get_inner().as_raw_fd();
            match guard.try_io(|_| recv_v6(fd, buf, self.ifindex)) {
                Ok(result) => return result.map_err(|e| Error::io("recvmsg", e)),
                Err(_would_block) => continue,
            }
        }
    }

    fn membership(
        &self,
        group: IpAddr,
        option: libc::c_int,
        operation: &'static str,
    ) -> Result<()> {
        let IpAddr::V6(group) = group else {
            return Err(Error::InvalidArgument(format!(
                "{group} is not an IPv6 group"
            )));
        };
        let request = libc::ipv6_mreq {
            ipv6mr_multiaddr: libc::in6_addr {
                s6_addr: group.octets(),
            },
            ipv6mr_interface: self.ifindex,
        };
        set_option(
            self.fd.as_raw_fd(),
            libc::IPPROTO_IPV6,
            option,
            &request,
            operation,
        )
    }
}

impl AdvertSocket for VrrpSocketV6 {
    async fn send(&self, packet: &[u8], destination: IpAddr) -> Result<()> {
        match destination {
            IpAddr::V6(destination) => self.send_payload(packet, destination).await,
            IpAddr::V4(_) => Err(Error::InvalidArgument(format!(
                "{destination} on an IPv6 socket"
            ))),
        }
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<Received> {
        self.recv_payload(buf).await
    }

    fn join(&self, group: IpAddr) -> Result<()> {
        self.membership(
            group,
            libc::IPV6_ADD_MEMBERSHIP,
            "setsockopt(IPV6_ADD_MEMBERSHIP)",
        )
    }

    fn leave(&self, group: IpAddr) -> Result<()> {
        self.membership(
            group,
            libc::IPV6_DROP_MEMBERSHIP,
            "setsockopt(IPV6_DROP_MEMBERSHIP)",
        )
    }
}

/// Sets `SO_RCVBUF` beyond `net.core.rmem_max` if we may (`SO_RCVBUFFORCE`, root), else as
/// far as allowed. Many instances on one interface share one socket (hundreds of adverts a
/// second at `advert_int 0.01`), so the default buffer can overflow during a burst.
fn set_receive_buffer(socket: &Socket, bytes: usize) -> Result<()> {
    let size = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    set_int_option(
        socket,
        libc::SOL_SOCKET,
        libc::SO_RCVBUFFORCE,
        size,
        "setsockopt(SO_RCVBUFFORCE)",
    )
    .or_else(|_| {
        set_int_option(
            socket,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            size,
            "setsockopt(SO_RCVBUF)",
        )
    })
}

fn multicast_request_v4(group: Ipv4Addr, ifindex: u32) -> libc::ip_mreqn {
    libc::ip_mreqn {
        imr_multiaddr: libc::in_addr {
            s_addr: u32::from_ne_bytes(group.octets()),
        },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: ifindex as libc::c_int,
    }
}

/// Room for IPV6_PKTINFO + IPV6_HOPLIMIT control messages, 8-byte aligned.
type ControlBuffer = [u64; 16];

fn socket_address_v6(address: Ipv6Addr, ifindex: u32) -> libc::sockaddr_in6 {
    // SAFETY: sockaddr_in6 is plain data; all-zero is a valid value.
    let mut socket_address: libc::sockaddr_in6 = unsafe { zeroed() };
    socket_address.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    socket_address.sin6_addr.s6_addr = address.octets();
    // Link-local and link-scope multicast destinations need the interface as scope.
    let segments = address.segments();
    if (segments[0] & 0xffc0) == 0xfe80 || (segments[0] & 0xff0f) == 0xff02 {
        socket_address.sin6_scope_id = ifindex;
    }
    socket_address
}

fn send_v6(
    fd: RawFd,
    payload: &[u8],
    destination: Ipv6Addr,
    source: Option<Ipv6Addr>,
    ifindex: u32,
) -> io::Result<()> {
    let mut address = socket_address_v6(destination, ifindex);
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr() as *mut libc::c_void,
        iov_len: payload.len(),
    };
    let mut control: ControlBuffer = [0; 16];
    // SAFETY: msghdr is plain data; all-zero is valid and every pointer set below outlives
    // the sendmsg call. CMSG_* walk only inside `control`, whose length we pass.
    unsafe {
        let mut message: libc::msghdr = zeroed();
        message.msg_name = (&mut address as *mut libc::sockaddr_in6).cast();
        message.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as usize;
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::IPPROTO_IPV6;
        (*header).cmsg_type = libc::IPV6_PKTINFO;
        (*header).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as usize;
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: source.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: ifindex,
        };
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<libc::in6_pktinfo>(), info);
        if libc::sendmsg(fd, &message, 0) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn recv_v6(fd: RawFd, buf: &mut [u8], bound_ifindex: u32) -> io::Result<Received> {
    // SAFETY: sockaddr_in6 is plain data; all-zero is a valid value.
    let mut address: libc::sockaddr_in6 = unsafe { zeroed() };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control: ControlBuffer = [0; 16];
    let mut hop_limit = None;
    let mut destination = None;
    let mut ifindex = bound_ifindex;
    // SAFETY: every pointer in `message` refers to a live local buffer of the given length;
    // the CMSG_* macros stay inside `control` as bounded by msg_controllen (set by the
    // kernel), and control data is read unaligned.
    let len = unsafe {
        let mut message: libc::msghdr = zeroed();
        message.msg_name = (&mut address as *mut libc::sockaddr_in6).cast();
        message.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = size_of::<ControlBuffer>();
        let n = libc::recvmsg(fd, &mut message, 0);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            let data = libc::CMSG_DATA(header);
            match ((*header).cmsg_level, (*header).cmsg_type) {
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                    let value = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                    hop_limit = u8::try_from(value).ok();
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    destination = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
                    ifindex = info.ipi6_ifindex;
                }
                _ => {}
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
        n as usize
    };
    let (Some(hop_limit), Some(destination)) = (hop_limit, destination) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "IPv6 packet without hop limit or packet info ancillary data",
        ));
    };
    Ok(Received {
        len: len.min(buf.len()),
        source: IpAddr::V6(Ipv6Addr::from(address.sin6_addr.s6_addr)),
        destination: IpAddr::V6(destination),
        hop_limit,
        ifindex,
    })
}
