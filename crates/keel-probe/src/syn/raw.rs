//! The raw `IPPROTO_TCP` sockets of the half-open check: opening them with the check's
//! options, the classic BPF filter that queues only answers to our SYNs, batched sends
//! and non-blocking receives.

use std::io::{self, IoSlice};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

use keel_wire::tcp::CHECKSUM_OFFSET;
use rustix::io::Errno;
use rustix::net::{
    MMsgHdr, RecvFlags, SendAncillaryBuffer, SendFlags, SocketAddrAny, recvfrom, sendmmsg,
};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

/// What a raw socket is bound to: the options of spec §2.7 that a raw socket carries for
/// every segment it sends (`bindto`'s address, `bind_if`, `fwmark`), so checks with
/// different options use different sockets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RawKey {
    pub ipv6: bool,
    pub bind: Option<IpAddr>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
}

/// Socket buffers asked for: a turn of 2,000 SYNs (≈ 1 KiB of skb each) must not hit
/// `EAGAIN`, nor a burst of as many answers overflow the receive queue.
const BUFFER_BYTES: usize = 8 << 20;

/// A raw TCP socket: it sends SYNs and receives a copy of every TCP segment the host gets
/// that passes its filter (raw sockets see segments before, and independently of, the
/// TCP stack).
pub(crate) struct RawSocket {
    pub key: RawKey,
    pub socket: Socket,
}

impl RawSocket {
    /// Opens a socket for `key`. Fails with `EPERM` without `CAP_NET_RAW`.
    pub fn open(key: RawKey, ports: &[u16]) -> io::Result<RawSocket> {
        let domain = if key.ipv6 { Domain::IPV6 } else { Domain::IPV4 };
        let kind = Type::RAW.nonblocking().cloexec();
        let socket = Socket::new(domain, kind, Some(Protocol::TCP))?;
        if let Some(interface) = &key.bind_if {
            socket.bind_device(Some(interface.as_bytes()))?;
        }
        if let Some(mark) = key.fwmark {
            socket.set_mark(mark)?;
        }
        if let Some(address) = key.bind {
            // A bound raw socket sends from that address (`bindto`) and only receives
            // segments addressed to it.
            socket.bind(&SocketAddr::new(address, 0).into())?;
        }
        if key.ipv6 {
            // RFC 3542 §3.1: the kernel computes the checksum at this offset on send
            // (and checks it on receive), over the source address it picks.
            set_int(
                &socket,
                libc::IPPROTO_IPV6,
                libc::IPV6_CHECKSUM,
                CHECKSUM_OFFSET,
            )?;
            set_int(&socket, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, 1)?;
        } else {
            // ICMP errors quoting our SYNs are queued for us (ip(7) IP_RECVERR): an
            // unreachable ends a check at once, as it ends a connect() in SYN-SENT.
            set_int(&socket, libc::IPPROTO_IP, libc::IP_RECVERR, 1)?;
        }
        // socket(7): the FORCE options pass the rmem_max/wmem_max sysctls (208 KiB by
        // default, a few hundred answers) with CAP_NET_ADMIN; without it the plain
        // options give what the sysctls allow. Best effort either way.
        let force = [
            (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
            (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
        ];
        for (forced, plain) in force {
            if set_int(&socket, libc::SOL_SOCKET, forced, BUFFER_BYTES).is_err() {
                let _ = set_int(&socket, libc::SOL_SOCKET, plain, BUFFER_BYTES);
            }
        }
        let raw = RawSocket { key, socket };
        raw.filter(ports)?;
        Ok(raw)
    }

    /// (Re)attaches the filter that passes only SYN-ACK and RST segments to `ports`.
    pub fn filter(&self, ports: &[u16]) -> io::Result<()> {
        self.socket.attach_filter(&program(self.key.ipv6, ports))
    }

    /// Sends `segments[i]` to `targets[i]` in as few `sendmmsg` calls as the kernel
    /// allows. Returns how many were sent from the front, and the error that stopped
    /// the batch at that index, if any.
    pub fn send(&self, segments: &[&[u8]], targets: &[SocketAddr]) -> (usize, Option<Errno>) {
        // The port of a raw socket's destination must be 0 (or the protocol on IPv6).
        let addresses: Vec<SocketAddrAny> = targets
            .iter()
            .map(|target| {
                let mut target = *target;
                target.set_port(0);
                SocketAddrAny::from(target)
            })
            .collect();
        let slices: Vec<[IoSlice<'_>; 1]> = segments
            .iter()
            .map(|segment| [IoSlice::new(segment)])
            .collect();
        let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> = (0..segments.len())
            .map(|_| SendAncillaryBuffer::default())
            .collect();
        let mut messages: Vec<MMsgHdr<'_>> = addresses
            .iter()
            .zip(&slices)
            .zip(controls.iter_mut())
            .map(|((address, slice), control)| MMsgHdr::new_with_addr(address, slice, control))
            .collect();
        let mut sent = 0;
        while sent < messages.len() {
            match sendmmsg(&self.socket, &mut messages[sent..], SendFlags::DONTWAIT) {
                Ok(0) => return (sent, Some(Errno::AGAIN)),
                Ok(count) => sent += count,
                Err(Errno::INTR) => {}
                Err(errno) => return (sent, Some(errno)),
            }
        }
        (sent, None)
    }

    /// Receives one queued segment into `buffer`: its length and the sender. `None` when
    /// the queue is empty. An error reported on the socket (an ICMP error for some TCP
    /// traffic of this host) is consumed and skipped.
    pub fn receive(&self, buffer: &mut [u8]) -> Option<(usize, Option<SocketAddr>)> {
        // Bounded: a socket error is reported once, then the queue is read again.
        for _ in 0..4 {
            match recvfrom(&self.socket, &mut *buffer, RecvFlags::DONTWAIT) {
                Ok((_, length, from)) => {
                    let from = from.and_then(|address| SocketAddr::try_from(address).ok());
                    return Some((length.min(buffer.len()), from));
                }
                Err(Errno::AGAIN) => return None,
                Err(_) => continue,
            }
        }
        None
    }
}

impl RawSocket {
    /// Takes one queued ICMP error (`MSG_ERRQUEUE`): the errno it maps to, the quoted
    /// packet's destination, and in `buffer` the quoted transport header (our SYN's TCP
    /// header: a raw socket's error payload starts after the IP header). `None` when the
    /// error queue is empty; errors of local origin come with errno 0, to be skipped.
    pub fn receive_error(&self, buffer: &mut [u8]) -> Option<(usize, i32, Option<IpAddr>)> {
        // u64 words: cmsghdr alignment.
        let mut control = [0u64; 64];
        let mut iov = libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: buffer.len(),
        };
        // SAFETY: msghdr is plain data; zeroed is a valid empty header.
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        // SAFETY: sockaddr_storage is plain data; zeroed is a valid (AF_UNSPEC) value.
        let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        message.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
        message.msg_namelen = std::mem::size_of_val(&name) as libc::socklen_t;
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = std::mem::size_of_val(&control);
        let flags = libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT;
        // SAFETY: the iovec and control buffer outlive the call and their lengths are
        // their sizes.
        let length = unsafe { libc::recvmsg(self.socket.as_raw_fd(), &mut message, flags) };
        let length = usize::try_from(length).ok()?;
        let mut errno = 0;
        // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR walk the control buffer the kernel filled,
        // bounded by msg_controllen; the extended error is read unaligned from CMSG_DATA
        // only when the header says it holds one.
        unsafe {
            let mut header = libc::CMSG_FIRSTHDR(&message);
            while !header.is_null() {
                let level = (*header).cmsg_level;
                let kind = (*header).cmsg_type;
                let ours = (level == libc::IPPROTO_IP && kind == libc::IP_RECVERR)
                    || (level == libc::IPPROTO_IPV6 && kind == libc::IPV6_RECVERR);
                let size = std::mem::size_of::<libc::sock_extended_err>();
                if ours && (*header).cmsg_len as usize >= libc::CMSG_LEN(size as u32) as usize {
                    let error: libc::sock_extended_err =
                        std::ptr::read_unaligned(libc::CMSG_DATA(header).cast());
                    let icmp = error.ee_origin == libc::SO_EE_ORIGIN_ICMP
                        || error.ee_origin == libc::SO_EE_ORIGIN_ICMP6;
                    if icmp {
                        errno = i32::try_from(error.ee_errno).unwrap_or(0);
                    }
                }
                header = libc::CMSG_NXTHDR(&message, header);
            }
        }
        Some((length.min(buffer.len()), errno, destination(&name)))
    }
}

/// The address in a `sockaddr_storage` the kernel filled (ip(7): the quoted packet's
/// destination for an `IP_RECVERR` error).
fn destination(name: &libc::sockaddr_storage) -> Option<IpAddr> {
    match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it can.
            let address: libc::sockaddr_in =
                unsafe { std::ptr::read_unaligned((name as *const libc::sockaddr_storage).cast()) };
            Some(IpAddr::from(
                u32::from_be(address.sin_addr.s_addr).to_be_bytes(),
            ))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6, which it can.
            let address: libc::sockaddr_in6 =
                unsafe { std::ptr::read_unaligned((name as *const libc::sockaddr_storage).cast()) };
            Some(IpAddr::from(address.sin6_addr.s6_addr))
        }
        _ => None,
    }
}

/// Classic BPF (as `tcpdump -d` prints it): load the TCP header's offset into X (the IPv4
/// header's length; 0 on IPv6, where a raw socket's data starts at the TCP header), keep
/// segments to one of `ports` whose flags are RST, or SYN and ACK; drop the rest, so the
/// socket does not queue the host's other TCP traffic. Over 200 ports the port test is
/// left out (jump offsets are 8 bits) and the receive path alone matches the ports.
fn program(ipv6: bool, ports: &[u16]) -> Vec<SockFilter> {
    const LDX_IMM: u16 = 0x01; // ldx #k
    const LDX_MSH: u16 = 0xb1; // ldxb 4*([k]&0xf)
    const LDH_IND: u16 = 0x48; // ldh [x+k]
    const LDB_IND: u16 = 0x50; // ldb [x+k]
    const JEQ: u16 = 0x15; // jeq #k
    const JSET: u16 = 0x45; // jset #k
    const AND: u16 = 0x54; // and #k
    const RET: u16 = 0x06; // ret #k
    let mut program = vec![if ipv6 {
        SockFilter::new(LDX_IMM, 0, 0, 0)
    } else {
        SockFilter::new(LDX_MSH, 0, 0, 0)
    }];
    if ports.len() <= 200 {
        program.push(SockFilter::new(LDH_IND, 0, 0, 2));
        let count = ports.len();
        for (index, port) in ports.iter().enumerate() {
            // Jump over the remaining tests and the drop to the flags test; the
            // count is at most 200, so the offset fits in 8 bits.
            let to_flags = (count - index) as u8;
            program.push(SockFilter::new(JEQ, to_flags, 0, u32::from(*port)));
        }
        program.push(SockFilter::new(RET, 0, 0, 0));
    }
    program.extend([
        SockFilter::new(LDB_IND, 0, 0, 13),
        SockFilter::new(JSET, 3, 0, 0x04),
        SockFilter::new(AND, 0, 0, 0x12),
        SockFilter::new(JEQ, 1, 0, 0x12),
        SockFilter::new(RET, 0, 0, 0),
        SockFilter::new(RET, 0, 0, 0xffff),
    ]);
    program
}

/// An integer socket option socket2 and rustix have no wrapper for (`IPV6_CHECKSUM`,
/// `IP_RECVERR`, `IPV6_RECVERR`, the `*BUFFORCE` sizes).
fn set_int(socket: &Socket, level: i32, name: i32, value: usize) -> io::Result<()> {
    let value = libc::c_int::try_from(value).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: a valid socket descriptor, and a pointer to a c_int with its exact size.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
