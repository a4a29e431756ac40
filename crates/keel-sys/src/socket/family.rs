//! What differs between IPv4 and IPv6 raw VRRP sockets: options at open, multicast
//! membership requests, socket addresses, the ancillary data of a send, and how a received
//! datagram describes itself (spec §3.1, §3.11).

use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Socket};

use super::{IpProtocol, Received};
use crate::error::{Error, Result};
use crate::sys::{set_int_option, set_option};

/// Room for the control messages of one datagram (`IPV6_PKTINFO`, `IPV6_HOPLIMIT`,
/// `SCM_TIMESTAMPNS`), 8-byte aligned.
#[doc(hidden)]
pub type ControlBuffer = [u64; 16];

/// What a received datagram's control messages said.
#[doc(hidden)]
#[derive(Debug, Default, Clone, Copy)]
pub struct Ancillary {
    /// `IPV6_HOPLIMIT`.
    pub hop_limit: Option<u8>,
    /// `IPV6_PKTINFO`'s address.
    pub destination: Option<Ipv6Addr>,
    /// `IPV6_PKTINFO`'s interface.
    pub ifindex: Option<u32>,
    /// `SCM_TIMESTAMPNS`.
    pub timestamp: Option<std::time::SystemTime>,
}

/// An address family of raw VRRP sockets: [`Ipv4`] or [`Ipv6`].
pub trait AddressFamily: sealed::Sealed + Send + Sync + Unpin + 'static {
    /// The socket domain.
    const DOMAIN: Domain;
    /// The `socket()` call, for errors.
    const SOCKET_CALL: &'static str;

    /// Sets the family's options on a fresh socket bound to `ifindex`.
    #[doc(hidden)]
    fn configure(socket: &Socket, ifindex: u32, protocol: IpProtocol) -> Result<()>;

    /// Joins (`join`) or leaves `group` on `ifindex`.
    #[doc(hidden)]
    fn membership(fd: RawFd, group: IpAddr, ifindex: u32, join: bool) -> Result<()>;

    /// Checks a packet before it is queued for sending.
    #[doc(hidden)]
    fn check_packet(packet: &[u8]) -> Result<()>;

    /// The socket address of `destination`, or `None` when it is of the other family.
    #[doc(hidden)]
    fn socket_address(destination: IpAddr, ifindex: u32) -> Option<(libc::sockaddr_storage, u32)>;

    /// Writes the control messages of a sent datagram into `control`; returns their length.
    #[doc(hidden)]
    fn send_control(source: Option<Ipv6Addr>, ifindex: u32, control: &mut ControlBuffer) -> usize;

    /// Describes a received datagram, or `None` when it cannot be (too short, no ancillary
    /// data).
    #[doc(hidden)]
    fn describe(
        bytes: &[u8],
        name: &libc::sockaddr_storage,
        ancillary: &Ancillary,
        bound_ifindex: u32,
    ) -> Option<Received>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Ipv4 {}
    impl Sealed for super::Ipv6 {}
}

/// IPv4: full datagrams both ways (`IP_HDRINCL`).
#[derive(Debug, Clone, Copy)]
pub struct Ipv4;

/// IPv6: VRRP payloads; the kernel writes the header and the checksum.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6;

impl AddressFamily for Ipv4 {
    const DOMAIN: Domain = Domain::IPV4;
    const SOCKET_CALL: &'static str = "socket(AF_INET, SOCK_RAW)";

    fn configure(socket: &Socket, ifindex: u32, _protocol: IpProtocol) -> Result<()> {
        let options = [
            // spec §3.1: we write the IP header ourselves (TOS 0xC0, TTL, id sequence).
            (libc::IP_HDRINCL, 1, "setsockopt(IP_HDRINCL)"),
            // spec §3.1: without this, a raw socket receives every group joined by any socket.
            (libc::IP_MULTICAST_ALL, 0, "setsockopt(IP_MULTICAST_ALL)"),
            (libc::IP_MULTICAST_LOOP, 0, "setsockopt(IP_MULTICAST_LOOP)"),
        ];
        for (name, value, operation) in options {
            set_int_option(socket, libc::IPPROTO_IP, name, value, operation)?;
        }
        set_option(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            &multicast_request_v4(Ipv4Addr::UNSPECIFIED, ifindex),
            "setsockopt(IP_MULTICAST_IF)",
        )
    }

    fn membership(fd: RawFd, group: IpAddr, ifindex: u32, join: bool) -> Result<()> {
        let IpAddr::V4(group) = group else {
            return Err(Error::InvalidArgument(format!(
                "{group} is not an IPv4 group"
            )));
        };
        let (option, operation) = if join {
            (libc::IP_ADD_MEMBERSHIP, "setsockopt(IP_ADD_MEMBERSHIP)")
        } else {
            (libc::IP_DROP_MEMBERSHIP, "setsockopt(IP_DROP_MEMBERSHIP)")
        };
        let request = multicast_request_v4(group, ifindex);
        set_option(fd, libc::IPPROTO_IP, option, &request, operation)
    }

    fn check_packet(packet: &[u8]) -> Result<()> {
        if packet.len() < 20 {
            return Err(Error::InvalidArgument(format!(
                "IPv4 packet of {} bytes has no room for its header",
                packet.len()
            )));
        }
        Ok(())
    }

    fn socket_address(destination: IpAddr, _ifindex: u32) -> Option<(libc::sockaddr_storage, u32)> {
        let IpAddr::V4(destination) = destination else {
            return None;
        };
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
        let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
        let address = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes(destination.octets()),
            },
            sin_zero: [0; 8],
        };
        // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
        unsafe {
            std::ptr::write(
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                address,
            )
        };
        Some((storage, size_of::<libc::sockaddr_in>() as u32))
    }

    fn send_control(_: Option<Ipv6Addr>, _: u32, _: &mut ControlBuffer) -> usize {
        0
    }

    fn describe(
        packet: &[u8],
        _name: &libc::sockaddr_storage,
        ancillary: &Ancillary,
        bound_ifindex: u32,
    ) -> Option<Received> {
        // RFC 791 §3.1: TTL at byte 8, source at 12..16, destination at 16..20.
        let header: &[u8; 20] = packet.get(..20)?.try_into().ok()?;
        let source = Ipv4Addr::new(header[12], header[13], header[14], header[15]);
        let destination = Ipv4Addr::new(header[16], header[17], header[18], header[19]);
        Some(Received {
            len: packet.len(),
            source: IpAddr::V4(source),
            destination: IpAddr::V4(destination),
            hop_limit: header[8],
            ifindex: bound_ifindex,
            timestamp: ancillary.timestamp,
        })
    }
}

impl AddressFamily for Ipv6 {
    const DOMAIN: Domain = Domain::IPV6;
    const SOCKET_CALL: &'static str = "socket(AF_INET6, SOCK_RAW)";

    fn configure(socket: &Socket, ifindex: u32, protocol: IpProtocol) -> Result<()> {
        if protocol == IpProtocol::Vrrp {
            // spec §3.1: the kernel computes the VRRP checksum (bytes 6..8) with the
            // IPv6 pseudo-header, as RFC 5798 §5.2.8 requires.
            set_int_option(
                socket,
                libc::IPPROTO_IPV6,
                libc::IPV6_CHECKSUM,
                6,
                "setsockopt(IPV6_CHECKSUM)",
            )?;
        }
        let options = [
            // RFC 5798 §5.1.2.3: hop limit 255, so receivers can reject off-link senders.
            (
                libc::IPV6_MULTICAST_HOPS,
                255,
                "setsockopt(IPV6_MULTICAST_HOPS)",
            ),
            (
                libc::IPV6_UNICAST_HOPS,
                255,
                "setsockopt(IPV6_UNICAST_HOPS)",
            ),
            (
                libc::IPV6_MULTICAST_LOOP,
                0,
                "setsockopt(IPV6_MULTICAST_LOOP)",
            ),
            (
                libc::IPV6_MULTICAST_ALL,
                0,
                "setsockopt(IPV6_MULTICAST_ALL)",
            ),
            (
                libc::IPV6_MULTICAST_IF,
                ifindex as libc::c_int,
                "setsockopt(IPV6_MULTICAST_IF)",
            ),
            // Traffic class 0xC0 (precedence 6, network control), as keepalived 2.2.7's
            // IPv6 adverts carry it on the wire and as the IPv4 TOS of spec §3.1.
            (libc::IPV6_TCLASS, 0xc0, "setsockopt(IPV6_TCLASS)"),
            (libc::IPV6_RECVHOPLIMIT, 1, "setsockopt(IPV6_RECVHOPLIMIT)"),
            (libc::IPV6_RECVPKTINFO, 1, "setsockopt(IPV6_RECVPKTINFO)"),
        ];
        for (name, value, operation) in options {
            set_int_option(socket, libc::IPPROTO_IPV6, name, value, operation)?;
        }
        Ok(())
    }

    fn membership(fd: RawFd, group: IpAddr, ifindex: u32, join: bool) -> Result<()> {
        let IpAddr::V6(group) = group else {
            return Err(Error::InvalidArgument(format!(
                "{group} is not an IPv6 group"
            )));
        };
        let (option, operation) = if join {
            (libc::IPV6_ADD_MEMBERSHIP, "setsockopt(IPV6_ADD_MEMBERSHIP)")
        } else {
            (
                libc::IPV6_DROP_MEMBERSHIP,
                "setsockopt(IPV6_DROP_MEMBERSHIP)",
            )
        };
        let request = libc::ipv6_mreq {
            ipv6mr_multiaddr: libc::in6_addr {
                s6_addr: group.octets(),
            },
            ipv6mr_interface: ifindex,
        };
        set_option(fd, libc::IPPROTO_IPV6, option, &request, operation)
    }

    fn check_packet(_packet: &[u8]) -> Result<()> {
        Ok(())
    }

    fn socket_address(destination: IpAddr, ifindex: u32) -> Option<(libc::sockaddr_storage, u32)> {
        let IpAddr::V6(destination) = destination else {
            return None;
        };
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
        let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
        // SAFETY: sockaddr_in6 is plain data; all-zero is a valid value.
        let mut address: libc::sockaddr_in6 = unsafe { zeroed() };
        address.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        address.sin6_addr.s6_addr = destination.octets();
        // Link-local and link-scope multicast destinations need the interface as scope.
        let segments = destination.segments();
        if (segments[0] & 0xffc0) == 0xfe80 || (segments[0] & 0xff0f) == 0xff02 {
            address.sin6_scope_id = ifindex;
        }
        // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
        unsafe {
            std::ptr::write(
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                address,
            )
        };
        Some((storage, size_of::<libc::sockaddr_in6>() as u32))
    }

    fn send_control(source: Option<Ipv6Addr>, ifindex: u32, control: &mut ControlBuffer) -> usize {
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: source.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: ifindex,
        };
        // SAFETY: CMSG_SPACE(in6_pktinfo) fits `control` (128 bytes); the header and data
        // are written inside it, the data unaligned. A msghdr is only used to locate the
        // first header, and points at `control` with that length.
        unsafe {
            let space = libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as usize;
            let mut message: libc::msghdr = zeroed();
            message.msg_control = control.as_mut_ptr().cast();
            message.msg_controllen = space;
            let header = libc::CMSG_FIRSTHDR(&message);
            (*header).cmsg_level = libc::IPPROTO_IPV6;
            (*header).cmsg_type = libc::IPV6_PKTINFO;
            (*header).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<libc::in6_pktinfo>(), info);
            space
        }
    }

    fn describe(
        payload: &[u8],
        name: &libc::sockaddr_storage,
        ancillary: &Ancillary,
        bound_ifindex: u32,
    ) -> Option<Received> {
        // SAFETY: the kernel filled `name` as a sockaddr_in6 for this AF_INET6 socket;
        // sockaddr_storage is aligned for it.
        let address = unsafe {
            std::ptr::read((name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>())
        };
        Some(Received {
            len: payload.len(),
            source: IpAddr::V6(Ipv6Addr::from(address.sin6_addr.s6_addr)),
            destination: IpAddr::V6(ancillary.destination?),
            hop_limit: ancillary.hop_limit?,
            ifindex: ancillary.ifindex.unwrap_or(bound_ifindex),
            timestamp: ancillary.timestamp,
        })
    }
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
