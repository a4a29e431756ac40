//! Ethernet II framing, for the gratuitous ARP and unsolicited NA frames keel sends on a
//! packet socket (spec §3.9), and for the frames tests write to pcap files.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Destination address                       |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                        Source address                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           EtherType           |   Payload ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use core::fmt;

use crate::error::{Result, need};

/// A 48-bit MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// ff:ff:ff:ff:ff:ff, the destination and ARP target of a gratuitous ARP (spec §3.9).
    pub const BROADCAST: Address = Address([0xff; 6]);

    /// The IPv4 VRRP virtual MAC 00:00:5e:00:01:VRID (RFC 5798 §7.3, spec §3.10).
    pub const fn vrrp_ipv4(vrid: u8) -> Address {
        Address([0x00, 0x00, 0x5e, 0x00, 0x01, vrid])
    }

    /// The IPv6 VRRP virtual MAC 00:00:5e:00:02:VRID (RFC 5798 §7.3, spec §3.10).
    pub const fn vrrp_ipv6(vrid: u8) -> Address {
        Address([0x00, 0x00, 0x5e, 0x00, 0x02, vrid])
    }

    /// The multicast MAC an IPv4 multicast group maps to (RFC 1112 §6.4): 01:00:5e plus the
    /// low 23 bits of the group.
    pub fn ipv4_multicast(group: std::net::Ipv4Addr) -> Address {
        let o = group.octets();
        Address([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
    }

    /// The multicast MAC an IPv6 multicast group maps to (RFC 2464 §7): 33:33 plus the
    /// low 32 bits of the group.
    pub fn ipv6_multicast(group: std::net::Ipv6Addr) -> Address {
        let o = group.octets();
        Address([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }

    /// The six octets.
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// EtherType of an ARP payload.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of an IPv4 payload.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of an IPv6 payload.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;

mod field {
    use core::ops::{Range, RangeFrom};
    pub const DESTINATION: Range<usize> = 0..6;
    pub const SOURCE: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const PAYLOAD: RangeFrom<usize> = 14..;
}

/// Length of the Ethernet II header.
pub const HEADER_LEN: usize = field::PAYLOAD.start;

/// A checked view of an Ethernet II frame (without FCS).
#[derive(Debug, Clone)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps `buffer` after checking it holds a whole header; no accessor panics after it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        need(HEADER_LEN, buffer.as_ref().len())?;
        Ok(Frame { buffer })
    }

    /// The destination MAC.
    pub fn destination(&self) -> Address {
        Address(octets6(&self.buffer.as_ref()[field::DESTINATION]))
    }

    /// The source MAC.
    pub fn source(&self) -> Address {
        Address(octets6(&self.buffer.as_ref()[field::SOURCE]))
    }

    /// The EtherType.
    pub fn ethertype(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::ETHERTYPE];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The bytes after the header, padding included.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// The bytes after the header, for an encoder to fill.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

/// The values of an Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Destination MAC.
    pub destination: Address,
    /// Source MAC.
    pub source: Address,
    /// EtherType of the payload.
    pub ethertype: u16,
}

impl Repr {
    /// Reads the header of a checked frame.
    pub fn parse<T: AsRef<[u8]>>(frame: &Frame<T>) -> Result<Repr> {
        Ok(Repr {
            destination: frame.destination(),
            source: frame.source(),
            ethertype: frame.ethertype(),
        })
    }

    /// Length of the header [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the first 14 bytes of `buffer`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        need(HEADER_LEN, buffer.len())?;
        buffer[field::DESTINATION].copy_from_slice(&self.destination.0);
        buffer[field::SOURCE].copy_from_slice(&self.source.0);
        buffer[field::ETHERTYPE].copy_from_slice(&self.ethertype.to_be_bytes());
        Ok(())
    }
}

/// Copies a 6-byte slice into an array; callers pass ranges of length 6.
pub(crate) fn octets6(b: &[u8]) -> [u8; 6] {
    let mut out = [0u8; 6];
    out.copy_from_slice(&b[..6]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    // Input: the VRRP groups 224.0.0.18 and ff02::12, VRID 51.
    // Output: the MACs a switch sees (RFC 1112, RFC 2464) and the VRRP virtual MACs.
    #[test]
    fn multicast_and_virtual_macs() {
        let v4 = Address::ipv4_multicast(Ipv4Addr::new(224, 0, 0, 18));
        assert_eq!(v4.to_string(), "01:00:5e:00:00:12");
        let v6 = Address::ipv6_multicast("ff02::12".parse::<Ipv6Addr>().unwrap());
        assert_eq!(v6.to_string(), "33:33:00:00:00:12");
        assert_eq!(Address::vrrp_ipv4(51).to_string(), "00:00:5e:00:01:33");
        assert_eq!(Address::vrrp_ipv6(51).to_string(), "00:00:5e:00:02:33");
    }

    // Input: a 13-byte buffer.
    // Output: Truncated, not a panic.
    #[test]
    fn short_frame_is_truncated() {
        assert_eq!(
            Frame::new_checked(&[0u8; 13][..]).unwrap_err(),
            crate::Error::Truncated {
                needed: 14,
                available: 13
            }
        );
    }

    // Input: a header emitted then parsed.
    // Output: the same values.
    #[test]
    fn header_roundtrip() {
        let repr = Repr {
            destination: Address::BROADCAST,
            source: Address([2, 0, 0, 0, 0, 1]),
            ethertype: ETHERTYPE_ARP,
        };
        let mut buf = [0u8; 14];
        repr.emit(&mut buf).unwrap();
        assert_eq!(
            Repr::parse(&Frame::new_checked(&buf[..]).unwrap()).unwrap(),
            repr
        );
    }
}
