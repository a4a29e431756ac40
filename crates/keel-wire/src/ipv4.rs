//! The IPv4 header as keepalived sends and receives VRRP (spec §3.1): built by the sender
//! itself (`IP_HDRINCL`), TOS 0xC0 (network control), TTL 255 (or `unicast_ttl`), an
//! incrementing identification, DF clear, protocol 112 (VRRP) or 51 (AH).
//!
//! RFC 791 §3.1:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |Type of Service|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv4Addr;

use crate::checksum;
use crate::error::{Error, Result, need};

/// IP protocol number of VRRP (RFC 5798 §5.1.1.4).
pub const PROTOCOL_VRRP: u8 = 112;
/// IP protocol number of the IPsec Authentication Header (RFC 2402 §2).
pub const PROTOCOL_AH: u8 = 51;
/// TOS keepalived sets: precedence 6, internetwork control (spec §3.1).
pub const TOS_NETWORK_CONTROL: u8 = 0xc0;
/// TTL a VRRP advert must carry (RFC 5798 §5.1.1.3); receivers check it unless unicast.
pub const VRRP_TTL: u8 = 255;
/// The IPv4 VRRP multicast group (RFC 5798 §5.1.1.2).
pub const VRRP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

pub(crate) mod field {
    use core::ops::Range;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLAGS_FRAG: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SOURCE: Range<usize> = 12..16;
    pub const DESTINATION: Range<usize> = 16..20;
}

/// Length of the option-less header keel sends.
pub const HEADER_LEN: usize = 20;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const FRAG_OFFSET_MASK: u16 = 0x1fff;

/// A checked view of an IPv4 datagram.
///
/// `new_checked` guarantees the header, its options and the `Total Length` bytes are
/// present; bytes after `Total Length` (Ethernet padding) are ignored by [`Packet::payload`].
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the version, the header length and the total length
    /// against the buffer. No accessor panics after it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let b = buffer.as_ref();
        need(HEADER_LEN, b.len())?;
        let version = b[field::VER_IHL] >> 4;
        if version != 4 {
            return Err(Error::BadVersion(version));
        }
        let packet = Packet { buffer };
        let header_len = packet.header_len();
        if header_len < HEADER_LEN {
            return Err(Error::BadLength("IPv4 header length under 20 bytes"));
        }
        let total_len = usize::from(packet.total_len());
        if total_len < header_len {
            return Err(Error::BadLength(
                "IPv4 total length shorter than its header",
            ));
        }
        need(total_len, packet.buffer.as_ref().len())?;
        Ok(packet)
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// Type of service byte (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }

    /// Total length of the datagram, header included.
    pub fn total_len(&self) -> u16 {
        self.u16_at(field::LENGTH.start)
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        self.u16_at(field::IDENT.start)
    }

    /// Whether Don't Fragment is set.
    pub fn dont_fragment(&self) -> bool {
        self.u16_at(field::FLAGS_FRAG.start) & FLAG_DF != 0
    }

    /// Whether this is a fragment (MF set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        let v = self.u16_at(field::FLAGS_FRAG.start);
        v & FLAG_MF != 0 || v & FRAG_OFFSET_MASK != 0
    }

    /// Time to live (the receive check of spec §3.2 compares it with 255).
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// Protocol of the payload.
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }

    /// Header checksum as received.
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM.start)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        self.addr_at(field::SOURCE.start)
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        self.addr_at(field::DESTINATION.start)
    }

    /// Whether the header checksum (options included) is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::internet(self.header()) == 0
    }

    /// The header bytes, options included.
    pub fn header(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.header_len()]
    }

    /// The payload: from the end of the header to `Total Length`.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }

    /// The datagram: the first `Total Length` bytes of the buffer.
    pub fn datagram(&self) -> &[u8] {
        &self.buffer.as_ref()[..usize::from(self.total_len())]
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    fn addr_at(&self, at: usize) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])
    }
}

/// The values of an IPv4 header keel reads or writes. Options are skipped on parse and
/// never emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Source address (the instance's primary or `unicast_src_ip`/`mcast_src_ip`).
    pub src_addr: Ipv4Addr,
    /// Destination: 224.0.0.18, `mcast_dst_ip`, or a unicast peer.
    pub dst_addr: Ipv4Addr,
    /// 112 (VRRP) or 51 (AH).
    pub protocol: u8,
    /// Type of service; keepalived sends [`TOS_NETWORK_CONTROL`].
    pub tos: u8,
    /// Identification; keepalived increments it per advert and skips 0, which would let
    /// the kernel pick one (spec §3.1).
    pub ident: u16,
    /// Don't Fragment; keepalived leaves it clear.
    pub dont_fragment: bool,
    /// Time to live; 255, or `unicast_ttl` towards unicast peers.
    pub ttl: u8,
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl Repr {
    /// A header as keepalived builds it for an advert from `src_addr` to `dst_addr`.
    pub fn vrrp(src_addr: Ipv4Addr, dst_addr: Ipv4Addr, ident: u16, payload_len: usize) -> Repr {
        Repr {
            src_addr,
            dst_addr,
            protocol: PROTOCOL_VRRP,
            tos: TOS_NETWORK_CONTROL,
            ident,
            dont_fragment: false,
            ttl: VRRP_TTL,
            payload_len,
        }
    }

    /// Reads a checked datagram: verifies the header checksum and rejects fragments.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        if !packet.verify_checksum() {
            return Err(Error::BadIpChecksum);
        }
        if packet.is_fragment() {
            return Err(Error::Fragmented);
        }
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            tos: packet.tos(),
            ident: packet.ident(),
            dont_fragment: packet.dont_fragment(),
            ttl: packet.ttl(),
            payload_len: packet.payload().len(),
        })
    }

    /// Length of the header [`Repr::emit`] writes (20: keel sends no options).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 20-byte header, checksum included, into the start of `buffer`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        need(HEADER_LEN, buffer.len())?;
        let total = u16::try_from(HEADER_LEN + self.payload_len)
            .map_err(|_| Error::Unencodable("IPv4 datagram over 65535 bytes"))?;
        buffer[field::VER_IHL] = 0x45;
        buffer[field::TOS] = self.tos;
        buffer[field::LENGTH].copy_from_slice(&total.to_be_bytes());
        buffer[field::IDENT].copy_from_slice(&self.ident.to_be_bytes());
        let flags: u16 = if self.dont_fragment { FLAG_DF } else { 0 };
        buffer[field::FLAGS_FRAG].copy_from_slice(&flags.to_be_bytes());
        buffer[field::TTL] = self.ttl;
        buffer[field::PROTOCOL] = self.protocol;
        buffer[field::CHECKSUM].copy_from_slice(&[0, 0]);
        buffer[field::SOURCE].copy_from_slice(&self.src_addr.octets());
        buffer[field::DESTINATION].copy_from_slice(&self.dst_addr.octets());
        fill_checksum(&mut buffer[..HEADER_LEN]);
        Ok(())
    }
}

/// Recomputes the header checksum of an IPv4 header in place; `header` is exactly the
/// header (IHL × 4 bytes). Used after the AH ICV is computed with the checksum zeroed.
pub fn fill_checksum(header: &mut [u8]) {
    if header.len() < HEADER_LEN {
        return;
    }
    header[field::CHECKSUM].copy_from_slice(&[0, 0]);
    let sum = checksum::internet(header);
    header[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    // The v2 capture of spec §3.1, IP header only.
    const V2_HEADER: [u8; 20] = [
        0x45, 0xc0, 0x00, 0x28, 0x00, 0x12, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x1d, 0x0a, 0x63, 0x00,
        0x01, 0xe0, 0x00, 0x00, 0x12,
    ];

    fn captured_datagram() -> Vec<u8> {
        let mut d = V2_HEADER.to_vec();
        d.resize(40, 0);
        d
    }

    // Input: keepalived's v2 advert header (spec §3.1), 20 bytes + 20 of payload.
    // Output: TOS 0xc0, id 0x12, DF clear, TTL 255, proto 112, 10.99.0.1 → 224.0.0.18,
    // and emitting those values gives the same 20 bytes (checksum 0xd01d).
    #[test]
    fn keepalived_header_decodes_and_reencodes() {
        let datagram = captured_datagram();
        let packet = Packet::new_checked(&datagram[..]).unwrap();
        let repr = Repr::parse(&packet).unwrap();
        assert_eq!(
            repr,
            Repr::vrrp(Ipv4Addr::new(10, 99, 0, 1), VRRP_GROUP, 0x12, 20)
        );
        let mut out = [0u8; 20];
        repr.emit(&mut out).unwrap();
        assert_eq!(out, V2_HEADER);
    }

    // Input: the same header with one bit of the checksum flipped.
    // Output: BadIpChecksum.
    #[test]
    fn corrupt_header_checksum_is_rejected() {
        let mut datagram = captured_datagram();
        datagram[11] ^= 1;
        let packet = Packet::new_checked(&datagram[..]).unwrap();
        assert_eq!(Repr::parse(&packet), Err(Error::BadIpChecksum));
    }

    // Input: Total Length 40 but only 39 bytes; then 46 bytes (Ethernet padding).
    // Output: Truncated; then a payload of exactly 20 bytes.
    #[test]
    fn total_length_bounds_the_payload() {
        let datagram = captured_datagram();
        assert_eq!(
            Packet::new_checked(&datagram[..39]).unwrap_err(),
            Error::Truncated {
                needed: 40,
                available: 39
            }
        );
        let mut padded = datagram.clone();
        padded.resize(46, 0);
        assert_eq!(
            Packet::new_checked(&padded[..]).unwrap().payload().len(),
            20
        );
    }

    // Input: an IHL of 4 words, a version 6 nibble, a total length of 10.
    // Output: BadLength, BadVersion, BadLength.
    #[test]
    fn inconsistent_headers_are_errors() {
        let mut d = captured_datagram();
        d[0] = 0x44;
        assert!(matches!(
            Packet::new_checked(&d[..]),
            Err(Error::BadLength(_))
        ));
        d[0] = 0x65;
        assert_eq!(
            Packet::new_checked(&d[..]).unwrap_err(),
            Error::BadVersion(6)
        );
        let mut d = captured_datagram();
        d[2..4].copy_from_slice(&10u16.to_be_bytes());
        assert!(matches!(
            Packet::new_checked(&d[..]),
            Err(Error::BadLength(_))
        ));
    }

    // Input: MF set (checksum fixed up).
    // Output: Fragmented.
    #[test]
    fn fragments_are_rejected() {
        let mut d = captured_datagram();
        d[6] = 0x20;
        fill_checksum(&mut d[..20]);
        assert_eq!(
            Repr::parse(&Packet::new_checked(&d[..]).unwrap()),
            Err(Error::Fragmented)
        );
    }
}
