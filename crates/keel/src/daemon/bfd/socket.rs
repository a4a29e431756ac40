//! The UDP sockets of BFD: one listening socket per family and port (3784 single hop,
//! RFC 5881 §4; 4784 multihop, RFC 5883 §5) that reports each datagram's TTL or hop
//! limit, and one sending socket per session from a port in 49152–65535 (RFC 5881 §4)
//! with the configured TTL (255 for single hop, RFC 5881 §5).

use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// RFC 5881 §4: the source port range of control packets.
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;

/// One datagram as the listening socket saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Who sent it.
    pub source: SocketAddr,
    /// The IPv4 TTL or IPv6 hop limit it arrived with (0 when the kernel did not say).
    pub ttl: u8,
    /// The UDP payload.
    pub payload: Vec<u8>,
}

/// A listening socket on one port of one family.
#[derive(Debug)]
pub struct Listener {
    socket: UdpSocket,
    ipv6: bool,
}

impl Listener {
    /// Binds the wildcard address of the family on `port`, asking for the TTL of each
    /// datagram (IP_RECVTTL / IPV6_RECVHOPLIMIT). The IPv6 socket is IPv6-only so that
    /// both families can listen on the same port.
    pub fn bind(ipv6: bool, port: u16) -> io::Result<Listener> {
        let (domain, address) = if ipv6 {
            (Domain::IPV6, IpAddr::V6(Ipv6Addr::UNSPECIFIED))
        } else {
            (Domain::IPV4, IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        socket.set_cloexec(true)?;
        if ipv6 {
            socket.set_only_v6(true)?;
            set_int(&socket, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)?;
        } else {
            set_int(&socket, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)?;
        }
        socket.set_reuse_address(true)?;
        socket.bind(&SockAddr::from(SocketAddr::new(address, port)))?;
        let socket = UdpSocket::from_std(socket.into())?;
        Ok(Listener { socket, ipv6 })
    }

    /// Ready when a datagram waits.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket.poll_recv_ready(cx)
    }

    /// The next queued datagram, or `None` when none is left.
    pub fn try_receive(&self) -> io::Result<Option<Datagram>> {
        match self
            .socket
            .try_io(Interest::READABLE, || receive(&self.socket, self.ipv6))
        {
            Ok(datagram) => Ok(Some(datagram)),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// The socket one session sends from.
#[derive(Debug)]
pub struct Sender {
    socket: UdpSocket,
    neighbor: SocketAddr,
}

impl Sender {
    /// A socket bound to `source` (or the wildcard) on a port of [`SOURCE_PORTS`] picked
    /// from `random`, trying the following ports when one is taken, with `ttl` as IPv4
    /// TTL / IPv6 unicast hop limit.
    pub fn open(
        neighbor: SocketAddr,
        source: Option<IpAddr>,
        ttl: u8,
        random: u32,
    ) -> io::Result<Sender> {
        let ipv6 = neighbor.is_ipv6();
        let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        socket.set_cloexec(true)?;
        if ipv6 {
            socket.set_unicast_hops_v6(u32::from(ttl))?;
        } else {
            socket.set_ttl_v4(u32::from(ttl))?;
        }
        let address = source.unwrap_or(if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
        let span = u32::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
        let mut last_error = io::Error::from(io::ErrorKind::AddrInUse);
        for attempt in 0..64 {
            let offset = (random.wrapping_add(attempt)) % span;
            // The offset is below the span, so the port stays in the range.
            let port = SOURCE_PORTS.start() + offset as u16;
            match socket.bind(&SockAddr::from(SocketAddr::new(address, port))) {
                Ok(()) => {
                    let socket = UdpSocket::from_std(socket.into())?;
                    return Ok(Sender { socket, neighbor });
                }
                Err(error) if error.kind() == io::ErrorKind::AddrInUse => last_error = error,
                Err(error) => return Err(error),
            }
        }
        Err(last_error)
    }

    /// Sends one control packet; a full socket buffer drops it (BFD tolerates loss up to
    /// the multiplier; queueing stale packets would not help).
    pub fn send(&self, packet: &[u8]) -> io::Result<()> {
        match self.socket.try_send_to(packet, self.neighbor) {
            Ok(_) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The local address and port the packets leave from.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

fn set_int(socket: &Socket, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: a valid descriptor, and a pointer/length pair to a live c_int.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One `recvmsg` with the TTL control message.
fn receive(socket: &UdpSocket, ipv6: bool) -> io::Result<Datagram> {
    let mut buffer = [0u8; 512];
    let mut control = [0u64; 8];
    let mut name = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut iov = libc::iovec {
        iov_base: buffer.as_mut_ptr().cast(),
        iov_len: buffer.len(),
    };
    // SAFETY: msghdr is plain data; every pointer set below outlives the call.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_name = name.as_mut_ptr().cast();
    message.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: the descriptor is open and every buffer in `message` is valid for writes.
    let length = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut message, libc::MSG_DONTWAIT) };
    if length < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut ttl = 0u8;
    // SAFETY: the kernel filled `control` up to msg_controllen; CMSG_* walk inside it.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            let (level, kind) = ((*header).cmsg_level, (*header).cmsg_type);
            let wanted = if ipv6 {
                level == libc::IPPROTO_IPV6 && kind == libc::IPV6_HOPLIMIT
            } else {
                level == libc::IPPROTO_IP && kind == libc::IP_TTL
            };
            if wanted {
                let value = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<i32>());
                ttl = u8::try_from(value).unwrap_or(0);
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
    }
    // SAFETY: the storage was zeroed and recvmsg wrote at most its size into it.
    let storage = unsafe { name.assume_init() };
    let source = socket_address(&storage)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an IP source"))?;
    let length = usize::try_from(length).unwrap_or(0).min(buffer.len());
    Ok(Datagram {
        source,
        ttl,
        payload: buffer[..length].to_vec(),
    })
}

/// The IP address and port in a `sockaddr_storage` recvmsg filled.
fn socket_address(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it is large
            // and aligned enough for.
            let v4 =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddr::new(IpAddr::V4(ip), u16::from_be(v4.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let v6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(SocketAddr::new(IpAddr::V6(ip), u16::from_be(v6.sin6_port)))
        }
        _ => None,
    }
}
