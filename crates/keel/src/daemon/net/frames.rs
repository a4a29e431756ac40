//! The frame send path of an endpoint: multicast adverts built as whole Ethernet frames
//! (keel-wire's `frame`) and sent on an AF_PACKET socket, past the IP stack.
//!
//! A multicast advert needs nothing the IP stack does per packet (route lookup, netfilter,
//! multicast loopback, the neighbour layer): its destination MAC follows from the group,
//! its source MAC is the interface's, its header is fixed. At 510 instances on one
//! interface that per-packet work was most of what a master spent sending. Unicast adverts
//! (a peer's MAC is the neighbour table's business) and AH adverts stay on the raw socket,
//! as does everything on an interface where the packet socket cannot be opened.
//!
//! Nothing in keel listened to its own adverts: the raw sockets turn multicast loopback off
//! (a router must not hear itself), so bypassing the loopback changes nothing.

use std::io;
use std::net::IpAddr;

use keel_sys::packet::{FrameBatch, FrameSocket};
use keel_vrrp::OutgoingAdvert;
use keel_wire::ethernet::Address;
use keel_wire::frame::{FrameEnvelope, emit_advert_frame, set_ipv4_ident};
use keel_wire::vrrp::ChecksumMode;

use super::repr_of;

/// The packet socket of one interface, the MAC its frames carry, and the frames queued
/// until the loop flushes.
#[derive(Debug)]
pub(super) struct FramePath {
    socket: FrameSocket,
    mac: [u8; 6],
    pending: FrameBatch,
}

/// What a failed flush means for the path.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// Worth trying again next time (the link is down, the device was busy).
    Transient(String),
    /// The packet socket cannot send on this interface: adverts go back to the raw socket.
    Fatal(String),
}

impl FramePath {
    /// Opens the packet socket on `interface` (an Ethernet interface, a VMAC included).
    pub(super) fn open(interface: &str) -> keel_sys::Result<FramePath> {
        let socket = FrameSocket::open(interface)?;
        Ok(FramePath {
            mac: socket.mac(),
            socket,
            pending: FrameBatch::new(),
        })
    }

    /// Whether the kernel let the frames skip the qdisc layer.
    pub(super) fn qdisc_bypass(&self) -> bool {
        self.socket.qdisc_bypass()
    }

    /// The source MAC of the frames.
    pub(super) fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// Takes the interface's new MAC (a netlink link event); frames encoded with the old
    /// one are encoded again on their next send (the encoded-advert cache keys on it).
    pub(super) fn set_mac(&mut self, mac: [u8; 6]) {
        self.mac = mac;
    }

    /// Whether the IP packet of `frame` fits the interface's MTU (as it was when the socket
    /// opened); a larger one goes to the raw socket, where the IP stack fragments it.
    pub(super) fn fits(&self, frame: &[u8]) -> bool {
        frame.len() <= keel_wire::ethernet::HEADER_LEN + self.socket.mtu()
    }

    /// Queues a copy of `frame`, with IPv4 identification `ident` when it is IPv4; nothing
    /// is queued when that fails.
    pub(super) fn queue(&mut self, frame: &[u8], ident: Option<u16>) -> Result<(), String> {
        let queued = self.pending.push(frame);
        if let Some(ident) = ident {
            if let Err(error) = set_ipv4_ident(queued, ident) {
                self.pending.pop();
                return Err(format!("framing advert: {error}"));
            }
        }
        Ok(())
    }

    /// Drops the queued frames unsent.
    pub(super) fn discard(&mut self) {
        self.pending.clear();
    }

    /// True when frames are queued.
    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Sends the queued frames (one `sendmmsg` per 64).
    pub(super) async fn flush(&mut self) -> Result<(), Failure> {
        let result = self.socket.send_batch(&self.pending).await;
        self.pending.clear();
        result.map_err(classify)
    }
}

/// The whole frame of `advert` to multicast `group`, from `mac`, with IPv4 identification
/// `ident` (IPv6: unused).
pub(super) fn encode_frame(
    advert: &OutgoingAdvert,
    group: IpAddr,
    ident: u16,
    mac: [u8; 6],
    buf: &mut [u8],
) -> keel_wire::Result<usize> {
    let envelope = FrameEnvelope {
        source_mac: Address(mac),
        source: advert.source,
        group,
        ident,
    };
    // RFC 5798 §5.2.8: the v3 checksum covers the pseudo-header with this source and group,
    // the same addresses the frame's IP header carries.
    emit_advert_frame(&envelope, &repr_of(advert), ChecksumMode::Standard, buf)
}

/// Link down and a full device queue pass; anything else says the socket cannot do the
/// job on this interface (it went away, or the kernel refuses such frames).
fn classify(error: keel_sys::Error) -> Failure {
    let errno = match &error {
        keel_sys::Error::Io { source, .. } => source.raw_os_error(),
        _ => None,
    };
    let transient = matches!(
        errno,
        Some(libc::ENETDOWN | libc::ENOBUFS | libc::EAGAIN | libc::EINTR | libc::ENOMEM)
    );
    let text = error.to_string();
    if transient || is_would_block(&error) {
        Failure::Transient(text)
    } else {
        Failure::Fatal(text)
    }
}

fn is_would_block(error: &keel_sys::Error) -> bool {
    matches!(error, keel_sys::Error::Io { source, .. } if source.kind() == io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: refusals the frame socket can report.
    // Output: link down and a busy device are transient; a vanished interface or an
    // oversized frame make the endpoint fall back to the raw socket.
    #[test]
    fn only_link_state_and_congestion_keep_the_frame_path() {
        let io = |errno| keel_sys::Error::Io {
            operation: "sendmmsg(AF_PACKET)",
            source: io::Error::from_raw_os_error(errno),
        };
        assert!(matches!(
            classify(io(libc::ENETDOWN)),
            Failure::Transient(_)
        ));
        assert!(matches!(classify(io(libc::ENOBUFS)), Failure::Transient(_)));
        assert!(matches!(classify(io(libc::ENXIO)), Failure::Fatal(_)));
        assert!(matches!(classify(io(libc::EMSGSIZE)), Failure::Fatal(_)));
    }
}
