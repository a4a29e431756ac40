//! The fixed IPv6 header, for the unsolicited neighbour advertisements and multicast adverts
//! keel frames itself ([`crate::frame`]) and for captures. Adverts on a raw socket go
//! without it: the kernel writes the header and, with `IPV6_CHECKSUM` at offset 6, the VRRP
//! checksum (spec §3.1).
//!
//! RFC 8200 §3:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                         Source Address                        +
//! |                          (16 bytes)                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                      Destination Address                      +
//! |                          (16 bytes)                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv6Addr;

use crate::checksum::{self, Accumulator};
use crate::error::{Error, Result, need};

/// The IPv6 VRRP multicast group (RFC 5798 §5.1.2.2).
pub const VRRP_GROUP: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// All-nodes, the destination of an unsolicited NA (RFC 4861 §7.2.6).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// Next header of ICMPv6.
pub const NEXT_HEADER_ICMPV6: u8 = 58;
/// Hop limit of VRRP adverts and neighbour discovery (RFC 5798 §5.1.2.3, RFC 4861 §7.1.2).
pub const HOP_LIMIT_255: u8 = 255;
/// The traffic class keepalived 2.2.7's IPv6 adverts carry (`IPV6_TCLASS`
/// `IPTOS_PREC_INTERNETCONTROL`, seen on the wire): the IPv4 TOS it sets, 0xC0.
pub const TRAFFIC_CLASS_NETWORK_CONTROL: u8 = 0xc0;

mod field {
    use core::ops::Range;
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SOURCE: Range<usize> = 8..24;
    pub const DESTINATION: Range<usize> = 24..40;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = 40;

/// A checked view of an IPv6 packet (fixed header; extension headers are payload).
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the version and that `Payload Length` bytes follow
    /// the header. No accessor panics after it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let b = buffer.as_ref();
        need(HEADER_LEN, b.len())?;
        let version = b[0] >> 4;
        if version != 6 {
            return Err(Error::BadVersion(version));
        }
        let packet = Packet { buffer };
        need(
            HEADER_LEN + usize::from(packet.payload_len()),
            packet.buffer.as_ref().len(),
        )?;
        Ok(packet)
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        let b = self.buffer.as_ref();
        (b[0] << 4) | (b[1] >> 4)
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::VER_TC_FLOW];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x000f_ffff
    }

    /// Payload length.
    pub fn payload_len(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Next header.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::SOURCE])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::DESTINATION])
    }

    /// The payload: `Payload Length` bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + usize::from(self.payload_len())]
    }
}

/// The values of a fixed IPv6 header keel writes (flow label 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Traffic class: 0 for neighbour discovery, [`TRAFFIC_CLASS_NETWORK_CONTROL`] for
    /// adverts.
    pub traffic_class: u8,
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Next header: 112 (VRRP) or 58 (ICMPv6).
    pub next_header: u8,
    /// Hop limit: 255 for VRRP and neighbour discovery.
    pub hop_limit: u8,
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl Repr {
    /// Reads a checked packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        Ok(Repr {
            traffic_class: packet.traffic_class(),
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            hop_limit: packet.hop_limit(),
            payload_len: usize::from(packet.payload_len()),
        })
    }

    /// Length of the header [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 40-byte header into the start of `buffer`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        need(HEADER_LEN, buffer.len())?;
        let len = u16::try_from(self.payload_len)
            .map_err(|_| Error::Unencodable("IPv6 payload over 65535 bytes"))?;
        // Version 6, the traffic class across the next 8 bits, flow label 0 (RFC 8200 §3).
        let tc = self.traffic_class;
        buffer[field::VER_TC_FLOW].copy_from_slice(&[0x60 | (tc >> 4), tc << 4, 0, 0]);
        buffer[field::LENGTH].copy_from_slice(&len.to_be_bytes());
        buffer[field::NEXT_HEADER] = self.next_header;
        buffer[field::HOP_LIMIT] = self.hop_limit;
        buffer[field::SOURCE].copy_from_slice(&self.src_addr.octets());
        buffer[field::DESTINATION].copy_from_slice(&self.dst_addr.octets());
        Ok(())
    }

    /// The pseudo-header sum for this packet's upper-layer checksum (RFC 8200 §8.1).
    pub fn pseudo_header(&self) -> Accumulator {
        // Invariant: payload_len fits u32 whenever emit succeeded; larger values only
        // give a checksum nobody sends.
        let len = u32::try_from(self.payload_len).unwrap_or(u32::MAX);
        checksum::ipv6_pseudo_header(self.src_addr, self.dst_addr, self.next_header, len)
    }
}

pub(crate) fn addr(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    Ipv6Addr::from(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a header for a VRRP advert fe80::1 → ff02::12 with 24 bytes of payload.
    // Output: version 6, TC 0, flow 0, and the same values after parsing it back.
    #[test]
    fn header_roundtrip() {
        let repr = Repr {
            traffic_class: 0,
            src_addr: "fe80::1".parse().unwrap(),
            dst_addr: VRRP_GROUP,
            next_header: 112,
            hop_limit: 255,
            payload_len: 24,
        };
        let mut buf = vec![0u8; 64];
        repr.emit(&mut buf).unwrap();
        assert_eq!(&buf[..4], &[0x60, 0, 0, 0]);
        let packet = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.traffic_class(), 0);
        assert_eq!(packet.flow_label(), 0);
        assert_eq!(Repr::parse(&packet).unwrap(), repr);
        assert_eq!(packet.payload().len(), 24);
    }

    // Input: a header announcing 24 payload bytes with only 10 present; a version 4 nibble.
    // Output: Truncated; BadVersion(4).
    #[test]
    fn bad_headers_are_errors() {
        let mut buf = [0u8; 50];
        buf[0] = 0x60;
        buf[5] = 24;
        assert_eq!(
            Packet::new_checked(&buf[..]).unwrap_err(),
            Error::Truncated {
                needed: 64,
                available: 50
            }
        );
        buf[0] = 0x45;
        assert_eq!(
            Packet::new_checked(&buf[..]).unwrap_err(),
            Error::BadVersion(4)
        );
    }
}
