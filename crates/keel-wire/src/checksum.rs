//! The Internet checksum (RFC 1071) and the IPv4 / IPv6 pseudo-headers.
//!
//! VRRPv2 sums only its own message; VRRPv3 over IPv4 prepends the IPv4 pseudo-header
//! (RFC 5798 §5.2.8), over IPv6 the IPv6 one (RFC 8200 §8.1), as does ICMPv6.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A running one's-complement sum, folded to 16 bits by [`Accumulator::finish`].
///
/// Feed it byte slices in wire order; an odd-length slice is padded with a zero byte, so
/// only the last slice of a message may have an odd length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accumulator(u64);

impl Accumulator {
    /// An empty sum.
    #[inline]
    pub const fn new() -> Self {
        Accumulator(0)
    }

    /// Adds `data` as a sequence of big-endian 16-bit words.
    #[inline]
    pub fn add(&mut self, data: &[u8]) -> &mut Self {
        // Summing 32-bit big-endian words is the same one's-complement sum as summing
        // their 16-bit halves (2^16 ≡ 1 mod 0xffff, RFC 1071 §2 "parallel summation"),
        // with half the additions. A u64 cannot overflow below 2^32 words.
        let mut sum = self.0;
        let mut quads = data.chunks_exact(4);
        for quad in &mut quads {
            sum += u64::from(u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]]));
        }
        let mut words = quads.remainder().chunks_exact(2);
        for word in &mut words {
            sum += u64::from(u16::from_be_bytes([word[0], word[1]]));
        }
        if let [last] = words.remainder() {
            sum += u64::from(u16::from_be_bytes([*last, 0]));
        }
        self.0 = sum;
        self
    }

    /// Adds one 16-bit word.
    #[inline]
    pub fn add_u16(&mut self, word: u16) -> &mut Self {
        self.0 += u64::from(word);
        self
    }

    /// The folded sum, not yet complemented.
    #[inline]
    pub fn fold(&self) -> u16 {
        let mut sum = self.0;
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        // Invariant: the loop leaves sum <= 0xffff.
        sum as u16
    }

    /// The checksum to put on the wire: the complement of the folded sum.
    #[inline]
    pub fn finish(&self) -> u16 {
        !self.fold()
    }
}

/// The Internet checksum of `data` alone (VRRPv2, the IPv4 header, RFC 9568 "as v2").
#[inline]
pub fn internet(data: &[u8]) -> u16 {
    Accumulator::new().add(data).finish()
}

/// Starts a sum with the IPv4 pseudo-header {src, dst, 0, protocol, length}
/// (RFC 768 layout, used by VRRPv3 per RFC 5798 §5.2.8).
#[inline]
pub fn ipv4_pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> Accumulator {
    let mut acc = Accumulator::new();
    acc.add(&src.octets())
        .add(&dst.octets())
        .add_u16(u16::from(protocol))
        .add_u16(length);
    acc
}

/// Starts a sum with the IPv6 pseudo-header {src, dst, upper-layer length (32 bit),
/// 3 zero bytes, next header} (RFC 8200 §8.1), used by VRRP over IPv6 and ICMPv6.
pub fn ipv6_pseudo_header(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    length: u32,
) -> Accumulator {
    let mut acc = Accumulator::new();
    acc.add(&src.octets())
        .add(&dst.octets())
        .add(&length.to_be_bytes())
        .add_u16(u16::from(next_header));
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: the RFC 1071 §3 example words 0001 f203 f4f5 f6f7.
    // Output: folded sum 0xddf2, checksum 0x220d.
    #[test]
    fn rfc1071_example() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(Accumulator::new().add(&data).fold(), 0xddf2);
        assert_eq!(internet(&data), 0x220d);
    }

    // Input: a message followed by its own checksum.
    // Output: the sum over both is 0xffff, so the verified checksum is 0.
    #[test]
    fn message_with_its_checksum_sums_to_zero() {
        let mut data = vec![0x45, 0x00, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x00];
        let sum = internet(&data);
        data[6..8].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(internet(&data), 0);
    }

    // Input: an odd-length slice.
    // Output: it is summed as if padded with one zero byte.
    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(
            internet(&[0x12, 0x34, 0x56]),
            internet(&[0x12, 0x34, 0x56, 0x00])
        );
    }
}
