//! AF_PACKET senders: [`PacketSocket`] for gratuitous ARP and unsolicited neighbour
//! advertisements, [`FrameSocket`] for batches of multicast adverts.
//!
//! spec §3.9: GARPs are Ethernet broadcasts built by the caller (keel-wire) with the
//! (V)MAC as sender; this socket only puts the finished frame on the wire of one
//! interface. Both are opened with protocol 0, so they never receive anything.

mod frames;

pub use frames::{FrameBatch, FrameSocket};

use std::future::Future;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::AsRawFd;

use socket2::{Domain, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::sys::{interface_index, register};

/// The identity of an interface that frames need: its index and MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The kernel's interface index.
    pub index: u32,
    /// The interface's hardware address (the GARP sender MAC unless a VMAC is used).
    pub mac: [u8; 6],
}

/// Looks up the index and MAC address of `name` in the calling thread's namespace.
pub fn interface_info(name: &str) -> Result<InterfaceInfo> {
    let index = interface_index(name)?;
    let (_, mac) = hardware_address(name)?;
    Ok(InterfaceInfo { index, mac })
}

/// The hardware type (`ARPHRD_*`) and the first six bytes of the hardware address of
/// `name` (`SIOCGIFHWADDR`).
pub(crate) fn hardware_address(name: &str) -> Result<(u16, [u8; 6])> {
    let request = interface_request(name, libc::SIOCGIFHWADDR, "ioctl(SIOCGIFHWADDR)")?;
    // SAFETY: SIOCGIFHWADDR filled the ifr_hwaddr member of the union.
    let hardware = unsafe { request.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (slot, byte) in mac.iter_mut().zip(hardware.sa_data.iter()) {
        *slot = *byte as u8;
    }
    Ok((hardware.sa_family, mac))
}

/// The MTU of `name` (`SIOCGIFMTU`): the largest IP packet a frame on it may carry.
pub(crate) fn interface_mtu(name: &str) -> Result<usize> {
    let request = interface_request(name, libc::SIOCGIFMTU, "ioctl(SIOCGIFMTU)")?;
    // SAFETY: SIOCGIFMTU filled the ifr_mtu member of the union.
    let mtu = unsafe { request.ifr_ifru.ifru_mtu };
    Ok(usize::try_from(mtu).unwrap_or(0))
}

/// One interface `ioctl` (`SIOCGIF*`) on `name`; the kernel's answer is in the union.
fn interface_request(
    name: &str,
    request_code: libc::c_ulong,
    operation: &'static str,
) -> Result<libc::ifreq> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        return Err(Error::NoSuchInterface(name.to_string()));
    }
    let socket = Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), None)
        .map_err(|e| Error::io("socket(AF_INET, SOCK_DGRAM)", e))?;
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut request: libc::ifreq = unsafe { zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    // SAFETY: SIOCGIF* ioctls read ifr_name (NUL-terminated: the name is shorter than
    // IFNAMSIZ, checked above) and write only inside `request`.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), request_code, &mut request) };
    if rc < 0 {
        return Err(Error::last_os(operation));
    }
    Ok(request)
}

/// Puts finished Ethernet frames on one interface; implemented by [`PacketSocket`] and by
/// fakes in the daemon's tests.
pub trait FrameSender {
    /// Sends one complete Ethernet frame (destination MAC, source MAC, EtherType, payload).
    fn send_frame(&self, frame: &[u8]) -> impl Future<Output = Result<()>> + Send;
}

/// A send-only AF_PACKET socket on one interface.
#[derive(Debug)]
pub struct PacketSocket {
    fd: AsyncFd<Socket>,
    ifindex: u32,
}

impl PacketSocket {
    /// Opens the socket on `ifname`; must run inside a tokio runtime, in the interface's
    /// network namespace.
    pub fn open(ifname: &str) -> Result<PacketSocket> {
        let ifindex = interface_index(ifname)?;
        let socket = open_send_socket(ifindex)?;
        Ok(PacketSocket {
            fd: register(socket)?,
            ifindex,
        })
    }

    /// The interface index the socket sends on.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }
}

impl FrameSender for PacketSocket {
    async fn send_frame(&self, frame: &[u8]) -> Result<()> {
        if frame.len() < 14 {
            return Err(Error::InvalidArgument(format!(
                "Ethernet frame of {} bytes has no room for its header",
                frame.len()
            )));
        }
        let mut destination = [0u8; 6];
        destination.copy_from_slice(&frame[..6]);
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let address = link_address(self.ifindex, ethertype, destination);
        loop {
            let mut guard = self
                .fd
                .writable()
                .await
                .map_err(|e| Error::io("poll writable", e))?;
            let result = guard.try_io(|inner| {
                // SAFETY: `frame` and `address` are live for the call with the lengths given.
                let n = unsafe {
                    libc::sendto(
                        inner.get_ref().as_raw_fd(),
                        frame.as_ptr().cast(),
                        frame.len(),
                        0,
                        (&address as *const libc::sockaddr_ll).cast(),
                        size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                    )
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            match result {
                Ok(result) => return result.map_err(|e| Error::io("sendto(AF_PACKET)", e)),
                Err(_would_block) => continue,
            }
        }
    }
}

/// A non-blocking AF_PACKET socket bound to `ifindex` that only sends: protocol 0, so it is
/// never handed incoming frames (GARP/NA here, VRRP adverts in `frames`).
pub(crate) fn open_send_socket(ifindex: u32) -> Result<Socket> {
    let socket = Socket::new(Domain::PACKET, Type::RAW.cloexec(), None)
        .map_err(|e| Error::io("socket(AF_PACKET, SOCK_RAW)", e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| Error::io("fcntl(O_NONBLOCK)", e))?;
    let address = link_address(ifindex, 0, [0; 6]);
    // SAFETY: `address` is a valid sockaddr_ll of the length passed.
    let rc = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            (&address as *const libc::sockaddr_ll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(Error::last_os("bind(AF_PACKET)"));
    }
    Ok(socket)
}

fn link_address(ifindex: u32, ethertype: u16, destination: [u8; 6]) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
    let mut address: libc::sockaddr_ll = unsafe { zeroed() };
    address.sll_family = libc::AF_PACKET as u16;
    address.sll_protocol = ethertype.to_be();
    address.sll_ifindex = ifindex as i32;
    address.sll_halen = 6;
    address.sll_addr[..6].copy_from_slice(&destination);
    address
}
