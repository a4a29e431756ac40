//! The VRRP advertisement: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798, RFC 9568), over IPv4
//! and IPv6.
//!
//! VRRPv3, RFC 5798 §5.1:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |(rsvd) |     Max Adver Int     |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IPvX Address(es)                        |
//! +                                                               +
//! ```
//!
//! VRRPv2, RFC 3768 §5.1 (keepalived keeps RFC 2338's PASS and AH authentication):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Auth Type   |   Adver Int   |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         IP Address (1)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            .........                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Authentication Data (1)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Authentication Data (2)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! keepalived compat (spec §3.1): the 8 bytes of authentication data follow the addresses
//! only for VRRPv2 over IPv4; its VRRPv2 over IPv6 carries none.
//!
//! The address family is not in the message: the caller says which socket it came from.

mod checksum;
mod repr;

pub use checksum::{ChecksumMode, ChecksumVariant, Endpoints};
pub use repr::{Addresses, Auth, Repr, Version};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::slice::ChunksExact;
use std::time::Duration;

use crate::error::{Result, need};

/// The VRRP message type this codec decodes: ADVERTISEMENT (RFC 5798 §5.2.2).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// VRRPv2 authentication type: none (RFC 3768 §5.3.6).
pub const AUTH_NONE: u8 = 0;
/// VRRPv2 authentication type: simple text password (RFC 2338 §5.3.6.1, keepalived PASS).
pub const AUTH_PASS: u8 = 1;
/// VRRPv2 authentication type: IP Authentication Header (RFC 2338 §5.3.6.2, keepalived AH).
pub const AUTH_AH: u8 = 2;
/// Length of the VRRPv2 authentication data.
pub const AUTH_DATA_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const VER_TYPE: usize = 0;
    pub const VRID: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const COUNT: usize = 3;
    /// v2: Auth Type; v3: the 4 reserved bits and the top of Max Adver Int.
    pub const AUTH_TYPE: usize = 4;
    /// v2: Adver Int (seconds).
    pub const ADVER_INT: usize = 5;
    /// v3: 4 reserved bits + 12-bit Max Adver Int (centiseconds).
    pub const MAX_ADVER_INT: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
    pub const ADDRESSES: usize = 8;
}

/// Length of the fixed VRRP header.
pub const HEADER_LEN: usize = field::ADDRESSES;

/// The address family of the addresses in a VRRP message (taken from the socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// 4-byte addresses.
    Ipv4,
    /// 16-byte addresses.
    Ipv6,
}

impl Family {
    /// Bytes of one address.
    pub const fn address_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }
}

/// Length of a VRRP message of `version` with `count` addresses of `family`.
pub fn message_len(version: u8, family: Family, count: usize) -> usize {
    let auth = if version == 2 && family == Family::Ipv4 {
        AUTH_DATA_LEN
    } else {
        0
    };
    HEADER_LEN + count * family.address_len() + auth
}

/// A checked view of a VRRP message.
///
/// `new_checked` guarantees the fixed header, the `Count` addresses and (VRRPv2 over
/// IPv4) the authentication data are present, so no accessor panics. Bytes after the
/// message are not part of it: they take no part in the checksum (keepalived sums only
/// the message) and the daemon may count them as a length error.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps the VRRP bytes received on a socket of `family` after checking their length
    /// (RFC 5798 §7.1: the packet must contain the complete VRRP packet).
    pub fn new_checked(buffer: T, family: Family) -> Result<Self> {
        need(HEADER_LEN, buffer.as_ref().len())?;
        let packet = Packet { buffer, family };
        need(packet.message_len(), packet.buffer.as_ref().len())?;
        Ok(packet)
    }

    /// The address family given to `new_checked`.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The version nibble (2 or 3 for a valid advert).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] >> 4
    }

    /// The type nibble (1 for an advertisement).
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] & 0x0f
    }

    /// Virtual router ID.
    pub fn vrid(&self) -> u8 {
        self.buffer.as_ref()[field::VRID]
    }

    /// Priority (0: the master is leaving; 255: the address owner).
    pub fn priority(&self) -> u8 {
        self.buffer.as_ref()[field::PRIORITY]
    }

    /// Count of addresses.
    pub fn count(&self) -> u8 {
        self.buffer.as_ref()[field::COUNT]
    }

    /// VRRPv2 Auth Type (byte 4).
    pub fn auth_type(&self) -> u8 {
        self.buffer.as_ref()[field::AUTH_TYPE]
    }

    /// VRRPv2 Adver Int in seconds (byte 5).
    pub fn adver_int(&self) -> u8 {
        self.buffer.as_ref()[field::ADVER_INT]
    }

    /// VRRPv3 Max Adver Int in centiseconds (the low 12 bits of bytes 4–5).
    pub fn max_adver_int(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::MAX_ADVER_INT];
        u16::from_be_bytes([b[0], b[1]]) & 0x0fff
    }

    /// Checksum as received.
    pub fn checksum(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::CHECKSUM];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The IPv4 addresses (empty on an IPv6 socket).
    pub fn ipv4_addrs(&self) -> impl ExactSizeIterator<Item = Ipv4Addr> + '_ {
        let n = if self.family == Family::Ipv4 {
            usize::from(self.count())
        } else {
            0
        };
        self.addr_bytes(n * 4)
            .chunks_exact(4)
            .map(|a| Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    }

    /// The IPv6 addresses (empty on an IPv4 socket).
    pub fn ipv6_addrs(&self) -> impl ExactSizeIterator<Item = Ipv6Addr> + '_ {
        let n = if self.family == Family::Ipv6 {
            usize::from(self.count())
        } else {
            0
        };
        self.addr_bytes(n * 16)
            .chunks_exact(16)
            .map(crate::ipv6::addr)
    }

    /// The addresses of either family, in packet order (for callers that keep `IpAddr`s).
    pub fn ip_addrs(&self) -> impl ExactSizeIterator<Item = IpAddr> + '_ {
        let (v4, v6) = match self.family {
            Family::Ipv4 => (usize::from(self.count()), 0),
            Family::Ipv6 => (0, usize::from(self.count())),
        };
        let four = self.addr_bytes(v4 * 4).chunks_exact(4);
        let sixteen = self.addr_bytes(v6 * 16).chunks_exact(16);
        AddrIter { four, sixteen }
    }

    /// The advertisement interval the sender announces: VRRPv2 Adver Int (seconds) or
    /// VRRPv3 Max Adver Int (centiseconds); `None` for another version.
    pub fn advert_interval(&self) -> Option<Duration> {
        match self.version() {
            2 => Some(Duration::from_secs(u64::from(self.adver_int()))),
            3 => Some(Duration::from_millis(u64::from(self.max_adver_int()) * 10)),
            _ => None,
        }
    }

    /// The VRRPv2 authentication data: the 8 bytes after the addresses, present only for
    /// VRRPv2 over IPv4.
    pub fn auth_data(&self) -> Option<[u8; AUTH_DATA_LEN]> {
        if self.version() != 2 || self.family != Family::Ipv4 {
            return None;
        }
        let start = HEADER_LEN + usize::from(self.count()) * 4;
        let mut data = [0u8; AUTH_DATA_LEN];
        data.copy_from_slice(&self.buffer.as_ref()[start..start + AUTH_DATA_LEN]);
        Some(data)
    }

    /// Length of the message: header, addresses and (VRRPv2 over IPv4) auth data.
    pub fn message_len(&self) -> usize {
        message_len(self.version(), self.family, usize::from(self.count()))
    }

    /// The message bytes, without anything that follows.
    pub fn message(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.message_len()]
    }

    fn addr_bytes(&self, len: usize) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + len]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Overwrites the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }
}

/// Iterates the addresses of one family as `IpAddr`; exactly one of the two is non-empty.
struct AddrIter<'a> {
    four: ChunksExact<'a, u8>,
    sixteen: ChunksExact<'a, u8>,
}

impl Iterator for AddrIter<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        if let Some(a) = self.four.next() {
            return Some(IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])));
        }
        self.sixteen
            .next()
            .map(|a| IpAddr::V6(crate::ipv6::addr(a)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.four.len() + self.sixteen.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for AddrIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a v3 IPv4 message with two addresses, a v2 IPv6 one with one, and a message
    // with version nibble 5.
    // Output: the addresses as IpAddr in order, intervals 0.5 s and 3 s, and no interval
    // for the unknown version.
    #[test]
    fn raw_accessors_give_addresses_and_interval() {
        let v3 = [0x31, 1, 100, 2, 0x00, 0x32, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let packet = Packet::new_checked(&v3[..], Family::Ipv4).unwrap();
        let addrs: Vec<IpAddr> = packet.ip_addrs().collect();
        assert_eq!(
            addrs,
            [
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "10.0.0.2".parse().unwrap()
            ]
        );
        assert_eq!(packet.advert_interval(), Some(Duration::from_millis(500)));

        let mut v2 = [0u8; 24];
        v2[..6].copy_from_slice(&[0x21, 1, 100, 1, 0, 3]);
        v2[8] = 0xfe;
        v2[9] = 0x80;
        v2[23] = 1;
        let packet = Packet::new_checked(&v2[..], Family::Ipv6).unwrap();
        assert_eq!(packet.ip_addrs().len(), 1);
        assert_eq!(packet.ip_addrs().next(), Some("fe80::1".parse().unwrap()));
        assert_eq!(packet.advert_interval(), Some(Duration::from_secs(3)));

        let odd = [0x51, 1, 100, 0, 0, 1, 0, 0];
        let packet = Packet::new_checked(&odd[..], Family::Ipv4).unwrap();
        assert_eq!(packet.advert_interval(), None);
        assert_eq!(packet.ip_addrs().len(), 0);
    }
}
