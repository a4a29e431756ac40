//! The TCP header, as far as a half-open `TCP_CHECK` needs it: keel emits a SYN on a raw
//! socket and reads the server's answer, a SYN-ACK (the port is open) or a RST (refused).
//! No connection state lives here; the kernel never sees one either.
//!
//! RFC 9293 §3.1:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! |       |       |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv4Addr;

use crate::checksum;
use crate::error::{Error, Result, need};

/// IP protocol number of TCP.
pub const PROTOCOL: u8 = 6;
/// Length of the header without options.
pub const HEADER_LEN: usize = 20;
/// Offset of the checksum field, for `IPV6_CHECKSUM` (the kernel fills it on IPv6).
pub const CHECKSUM_OFFSET: usize = 16;

mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ: Range<usize> = 4..8;
    pub const ACK: Range<usize> = 8..12;
    pub const DATA_OFFSET: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
}

/// The control bits of byte 13.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// No more data from sender.
    pub const FIN: Flags = Flags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x02);
    /// Reset the connection.
    pub const RST: Flags = Flags(0x04);
    /// Push.
    pub const PSH: Flags = Flags(0x08);
    /// The acknowledgment number is significant.
    pub const ACK: Flags = Flags(0x10);

    /// `true` if every bit of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// A checked view of a TCP segment.
///
/// `new_checked` guarantees the fixed header and the options its data offset announces
/// are present; no accessor panics after it.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the header length against it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let b = buffer.as_ref();
        need(HEADER_LEN, b.len())?;
        let packet = Packet { buffer };
        if packet.header_len() < HEADER_LEN {
            return Err(Error::BadLength("TCP data offset under 5 words"));
        }
        need(packet.header_len(), packet.buffer.as_ref().len())?;
        Ok(packet)
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT.start)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT.start)
    }

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        self.u32_at(field::SEQ.start)
    }

    /// Acknowledgment number (meaningful when [`Flags::ACK`] is set).
    pub fn ack_number(&self) -> u32 {
        self.u32_at(field::ACK.start)
    }

    /// Header length in bytes (data offset × 4), options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::DATA_OFFSET] >> 4) * 4
    }

    /// The control bits.
    pub fn flags(&self) -> Flags {
        Flags(self.buffer.as_ref()[field::FLAGS])
    }

    /// Window.
    pub fn window(&self) -> u16 {
        self.u16_at(field::WINDOW.start)
    }

    /// Checksum as on the wire.
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM.start)
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    fn u32_at(&self, at: usize) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }
}

/// A SYN as a connecting host sends it (RFC 9293 §3.5): no payload, the MSS option only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynRepr {
    /// Local port.
    pub src_port: u16,
    /// The server's port.
    pub dst_port: u16,
    /// Initial sequence number; the answer acknowledges `seq + 1`.
    pub seq: u32,
    /// Advertised window.
    pub window: u16,
    /// Maximum segment size option (kind 2), RFC 9293 §3.7.1.
    pub mss: u16,
}

impl SynRepr {
    /// Bytes [`SynRepr::emit`] writes: the header and the 4-byte MSS option.
    pub const LEN: usize = HEADER_LEN + 4;

    /// Writes the segment into `buffer` (exactly [`SynRepr::LEN`] bytes) with a zero
    /// checksum: the kernel fills it on IPv6 (`IPV6_CHECKSUM`), [`fill_checksum_ipv4`]
    /// on IPv4.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        if buffer.len() != Self::LEN {
            return Err(Error::Unencodable("a SYN buffer must be 24 bytes"));
        }
        buffer[field::SRC_PORT].copy_from_slice(&self.src_port.to_be_bytes());
        buffer[field::DST_PORT].copy_from_slice(&self.dst_port.to_be_bytes());
        buffer[field::SEQ].copy_from_slice(&self.seq.to_be_bytes());
        buffer[field::ACK].fill(0);
        // Data offset 6 words: the header and one option word.
        buffer[field::DATA_OFFSET] = 6 << 4;
        buffer[field::FLAGS] = Flags::SYN.0;
        buffer[field::WINDOW].copy_from_slice(&self.window.to_be_bytes());
        buffer[field::CHECKSUM].fill(0);
        buffer[field::URGENT].fill(0);
        buffer[HEADER_LEN..HEADER_LEN + 2].copy_from_slice(&[2, 4]);
        buffer[HEADER_LEN + 2..HEADER_LEN + 4].copy_from_slice(&self.mss.to_be_bytes());
        Ok(())
    }
}

/// Writes the TCP checksum of `segment` over the IPv4 pseudo-header (RFC 9293 §3.1):
/// an IPv4 raw socket without `IP_HDRINCL` writes the IP header but leaves the TCP
/// checksum to whoever wrote the segment.
pub fn fill_checksum_ipv4(segment: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<()> {
    need(HEADER_LEN, segment.len())?;
    let length = u16::try_from(segment.len())
        .map_err(|_| Error::Unencodable("a TCP segment over 65535 bytes"))?;
    segment[field::CHECKSUM].fill(0);
    let sum = checksum::ipv4_pseudo_header(src, dst, PROTOCOL, length)
        .add(segment)
        .finish();
    segment[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

/// `true` if `segment`'s checksum over the IPv4 pseudo-header is right.
pub fn verify_checksum_ipv4(segment: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> bool {
    let Ok(length) = u16::try_from(segment.len()) else {
        return false;
    };
    checksum::ipv4_pseudo_header(src, dst, PROTOCOL, length)
        .add(segment)
        .fold()
        == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: SynRepr = SynRepr {
        src_port: 40000,
        dst_port: 80,
        seq: 0x0102_0304,
        window: 64240,
        mss: 1460,
    };

    // Input: a SYN from 10.0.0.1:40000 to 10.0.0.2:80, ISN 0x01020304, MSS 1460.
    // Output: 24 bytes that read back as a SYN with those values and a checksum that
    // verifies over the pseudo-header (and fails for another destination).
    #[test]
    fn syn_round_trips_with_its_checksum() {
        let (src, dst) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let mut bytes = [0u8; SynRepr::LEN];
        SYN.emit(&mut bytes).expect("24 bytes");
        fill_checksum_ipv4(&mut bytes, src, dst).expect("a full header");
        let packet = Packet::new_checked(&bytes[..]).expect("own output decodes");
        assert_eq!(packet.src_port(), 40000);
        assert_eq!(packet.dst_port(), 80);
        assert_eq!(packet.seq_number(), 0x0102_0304);
        assert_eq!(packet.header_len(), 24);
        assert_eq!(packet.flags(), Flags::SYN);
        assert_eq!(packet.window(), 64240);
        assert_eq!(&bytes[20..24], &[2, 4, 0x05, 0xb4]);
        assert!(verify_checksum_ipv4(&bytes, src, dst));
        assert!(!verify_checksum_ipv4(
            &bytes,
            src,
            Ipv4Addr::new(10, 0, 0, 3)
        ));
    }

    // Input: a SYN-ACK captured from Linux (127.0.0.1:8080 → :40000, ack 0x01020305).
    // Output: the ports, flags SYN|ACK and the acknowledgment read back.
    #[test]
    fn syn_ack_decodes() {
        let bytes = [
            0x1f, 0x90, 0x9c, 0x40, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x02, 0x03, 0x05, 0x50, 0x12,
            0xff, 0xd7, 0x00, 0x00, 0x00, 0x00,
        ];
        let packet = Packet::new_checked(&bytes[..]).expect("a 20-byte header");
        assert_eq!((packet.src_port(), packet.dst_port()), (8080, 40000));
        assert!(packet.flags().contains(Flags::SYN | Flags::ACK));
        assert!(!packet.flags().contains(Flags::RST));
        assert_eq!(packet.ack_number(), 0x0102_0305);
    }

    // Input: 19 bytes; a data offset of 4 words; a data offset of 15 words over 20 bytes.
    // Output: each is an error value, never a panic.
    #[test]
    fn short_or_lying_headers_are_errors() {
        assert!(matches!(
            Packet::new_checked(&[0u8; 19][..]),
            Err(Error::Truncated { .. })
        ));
        let mut bytes = [0u8; 20];
        bytes[12] = 4 << 4;
        assert!(matches!(
            Packet::new_checked(&bytes[..]),
            Err(Error::BadLength(_))
        ));
        bytes[12] = 15 << 4;
        assert!(matches!(
            Packet::new_checked(&bytes[..]),
            Err(Error::Truncated {
                needed: 60,
                available: 20
            })
        ));
    }

    // Input: emit into a 20-byte buffer.
    // Output: an error, not a panic.
    #[test]
    fn emit_needs_exactly_24_bytes() {
        assert!(SYN.emit(&mut [0u8; 20]).is_err());
    }
}
