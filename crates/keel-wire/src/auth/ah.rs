//! The IPsec Authentication Header keepalived puts between the IPv4 header and a VRRPv2
//! advert with `auth_type AH` (spec §3.1): IP protocol 51, next header 112, SPI = the
//! sender's IPv4 address, a sequence number incremented per advert, and a 96-bit
//! HMAC-MD5 ICV (RFC 2403) keyed with the 8 bytes of `auth_pass`.
//!
//! RFC 2402 §2:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Header   |  Payload Len  |          RESERVED             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Security Parameters Index (SPI)               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sequence Number Field                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                Authentication Data (variable)                 |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The ICV covers the IPv4 header with its mutable fields zeroed (RFC 2402 §3.3.3.1.1.1:
//! TOS, flags and fragment offset, header checksum), the AH header with a zero ICV, and
//! the VRRP message. keepalived compat: it zeroes the TTL only when the instance has
//! unicast peers; a multicast advert's ICV covers TTL 255.

use std::net::Ipv4Addr;

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

use crate::error::{Error, Result, need};
use crate::ipv4::{self, PROTOCOL_VRRP};
use crate::vrrp::AUTH_DATA_LEN;

/// Length of the ICV: HMAC-MD5 truncated to 96 bits (RFC 2403 §2).
pub const ICV_LEN: usize = 12;
/// Length of keepalived's AH header: 12 fixed bytes and the 12-byte ICV.
pub const HEADER_LEN: usize = 24;
/// The Payload Len field for a 96-bit ICV: the header length in 32-bit words minus 2
/// (RFC 2402 §2.2).
pub const PAYLOAD_LEN: u8 = 4;

mod field {
    use core::ops::Range;
    pub const NEXT_HEADER: usize = 0;
    pub const PAYLOAD_LEN: usize = 1;
    pub const RESERVED: Range<usize> = 2..4;
    pub const SPI: Range<usize> = 4..8;
    pub const SEQUENCE: Range<usize> = 8..12;
    pub const ICV: Range<usize> = 12..24;
}

const FIXED_LEN: usize = field::SEQUENCE.end;

/// A checked view of an AH header.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the header Payload Len announces is present and
    /// holds at least the fixed fields.
    pub fn new_checked(buffer: T) -> Result<Self> {
        need(FIXED_LEN, buffer.as_ref().len())?;
        let packet = Packet { buffer };
        if packet.header_len() < FIXED_LEN {
            return Err(Error::BadLength("AH header shorter than its fixed fields"));
        }
        need(packet.header_len(), packet.buffer.as_ref().len())?;
        Ok(packet)
    }

    /// Next header (112 for VRRP).
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }

    /// Payload Len field (4 for keepalived's 96-bit ICV).
    pub fn payload_len(&self) -> u8 {
        self.buffer.as_ref()[field::PAYLOAD_LEN]
    }

    /// Length of the whole AH header, ICV included: (Payload Len + 2) × 4.
    pub fn header_len(&self) -> usize {
        (usize::from(self.payload_len()) + 2) * 4
    }

    /// Security Parameters Index (keepalived: the sender's IPv4 address).
    pub fn spi(&self) -> u32 {
        self.u32_at(field::SPI.start)
    }

    /// Sequence number.
    pub fn sequence_number(&self) -> u32 {
        self.u32_at(field::SEQUENCE.start)
    }

    /// The ICV bytes: 12 for keepalived's HMAC-MD5-96, whatever Payload Len says otherwise.
    pub fn icv(&self) -> &[u8] {
        &self.buffer.as_ref()[FIXED_LEN..self.header_len()]
    }

    /// What follows the header: the VRRP message.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    fn u32_at(&self, at: usize) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }
}

/// The values of keepalived's AH header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Next header: 112.
    pub next_header: u8,
    /// SPI: the sender's IPv4 address as a big-endian number.
    pub spi: u32,
    /// Sequence number, incremented per advert from 1.
    pub sequence_number: u32,
    /// The HMAC-MD5-96 ICV.
    pub icv: [u8; ICV_LEN],
}

impl Repr {
    /// The header a sender at `src` writes before signing: SPI = `src`, ICV zero.
    pub fn for_sender(src: Ipv4Addr, sequence_number: u32) -> Repr {
        Repr {
            next_header: PROTOCOL_VRRP,
            spi: u32::from(src),
            sequence_number,
            icv: [0; ICV_LEN],
        }
    }

    /// Reads a checked header; anything but a 96-bit ICV is unsupported.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        if packet.header_len() != HEADER_LEN {
            return Err(Error::Unsupported("AH ICV other than HMAC-MD5-96"));
        }
        let mut icv = [0u8; ICV_LEN];
        icv.copy_from_slice(packet.icv());
        Ok(Repr {
            next_header: packet.next_header(),
            spi: packet.spi(),
            sequence_number: packet.sequence_number(),
            icv,
        })
    }

    /// Length of the header [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 24-byte header into the start of `buffer`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        need(HEADER_LEN, buffer.len())?;
        buffer[field::NEXT_HEADER] = self.next_header;
        buffer[field::PAYLOAD_LEN] = PAYLOAD_LEN;
        buffer[field::RESERVED].copy_from_slice(&[0, 0]);
        buffer[field::SPI].copy_from_slice(&self.spi.to_be_bytes());
        buffer[field::SEQUENCE].copy_from_slice(&self.sequence_number.to_be_bytes());
        buffer[field::ICV].copy_from_slice(&self.icv);
        Ok(())
    }
}

/// The ICV of an IPv4 datagram carrying AH then VRRP: HMAC-MD5 keyed with the 8 bytes of
/// `auth_pass`, truncated to 96 bits. `unicast` is whether the instance has unicast peers
/// (keepalived then zeroes the TTL too, spec §3.1).
pub fn icv(key: &[u8; AUTH_DATA_LEN], datagram: &[u8], unicast: bool) -> Result<[u8; ICV_LEN]> {
    let packet = ipv4::Packet::new_checked(datagram)?;
    let header_len = packet.header_len();
    let datagram = packet.datagram();
    need(header_len + HEADER_LEN, datagram.len())?;

    // RFC 2402 §3.3.3.1.1.1: mutable fields are zero in the ICV computation.
    let mut header = [0u8; 60];
    let header = &mut header[..header_len];
    header.copy_from_slice(&datagram[..header_len]);
    header[ipv4::field::TOS] = 0;
    header[ipv4::field::FLAGS_FRAG].copy_from_slice(&[0, 0]);
    header[ipv4::field::CHECKSUM].copy_from_slice(&[0, 0]);
    if unicast {
        header[ipv4::field::TTL] = 0;
    }

    let ah = &datagram[header_len..header_len + HEADER_LEN];
    let mut mac = hmac_md5(key);
    mac.update(header);
    mac.update(&ah[..FIXED_LEN]);
    mac.update(&[0u8; ICV_LEN]);
    mac.update(&datagram[header_len + HEADER_LEN..]);
    let digest = mac.finalize().into_bytes();
    let mut out = [0u8; ICV_LEN];
    out.copy_from_slice(&digest[..ICV_LEN]);
    Ok(out)
}

/// Computes the ICV of a datagram whose AH header was emitted with a zero ICV, writes it,
/// and refreshes the IPv4 header checksum.
pub fn sign(key: &[u8; AUTH_DATA_LEN], datagram: &mut [u8], unicast: bool) -> Result<()> {
    let value = icv(key, datagram, unicast)?;
    // icv() checked the IPv4 header and that the AH header follows it.
    let header_len = usize::from(datagram[ipv4::field::VER_IHL] & 0x0f) * 4;
    let at = header_len + field::ICV.start;
    datagram[at..at + ICV_LEN].copy_from_slice(&value);
    ipv4::fill_checksum(&mut datagram[..header_len]);
    Ok(())
}

/// Checks a received AH datagram as keepalived does (spec §3.2): the ICV must match, then
/// the SPI must be the source address. Returns the AH values, whose sequence number the
/// caller checks against replay.
pub fn verify(key: &[u8; AUTH_DATA_LEN], datagram: &[u8], unicast: bool) -> Result<Repr> {
    let packet = ipv4::Packet::new_checked(datagram)?;
    let ah = Packet::new_checked(packet.payload())?;
    let repr = Repr::parse(&ah)?;
    let expected = icv(key, datagram, unicast)?;
    // Constant-time comparison: the time taken must not tell how many bytes matched.
    let diff = expected
        .iter()
        .zip(&repr.icv)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(Error::AuthFailure);
    }
    if repr.spi != u32::from(packet.src_addr()) {
        return Err(Error::AuthFailure);
    }
    Ok(repr)
}

fn hmac_md5(key: &[u8; AUTH_DATA_LEN]) -> Hmac<Md5> {
    // Invariant: HMAC accepts keys of any length (RFC 2104 §2); an 8-byte key cannot fail.
    <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: an AH header whose Payload Len (0) makes it 8 bytes, shorter than its own
    // SPI and sequence fields; then one announcing 32 bytes with 24 present.
    // Output: BadLength; Truncated.
    #[test]
    fn inconsistent_lengths_are_errors() {
        let mut buf = [0u8; 24];
        buf[0] = PROTOCOL_VRRP;
        assert!(matches!(
            Packet::new_checked(&buf[..]),
            Err(Error::BadLength(_))
        ));
        buf[1] = 6;
        assert_eq!(
            Packet::new_checked(&buf[..]).unwrap_err(),
            Error::Truncated {
                needed: 32,
                available: 24
            }
        );
    }

    // Input: a well-formed AH header with a 128-bit ICV (Payload Len 5).
    // Output: the view accepts it, the Repr refuses it as unsupported.
    #[test]
    fn only_hmac_md5_96_is_supported() {
        let mut buf = [0u8; 28];
        buf[0] = PROTOCOL_VRRP;
        buf[1] = 5;
        let packet = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.icv().len(), 16);
        assert!(matches!(Repr::parse(&packet), Err(Error::Unsupported(_))));
    }
}
