//! ARP over Ethernet for IPv4, and the gratuitous ARP keepalived sends for each VIP when
//! an instance becomes master (spec §3.9): Ethernet broadcast, ARP **request**, sender =
//! the interface's (or VMAC's) MAC and the VIP, target MAC ff:ff:ff:ff:ff:ff, target IP =
//! the VIP. The frame is 42 bytes; the driver pads it to the Ethernet minimum.
//!
//! RFC 826 (Ethernet / IPv4 sizes):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Hardware Type         |         Protocol Type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  HW Addr Len  |Proto Addr Len |           Operation           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                Sender Hardware Address (6 bytes)              |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |  Sender Protocol Address (4)  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                Target Hardware Address (6 bytes)              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Target Protocol Address (4)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv4Addr;

use crate::error::{Error, Result, need};
use crate::ethernet::{self, Address, ETHERTYPE_ARP, ETHERTYPE_IPV4, octets6};

/// Hardware type of Ethernet.
pub const HARDWARE_ETHERNET: u16 = 1;
/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;
/// Length of a gratuitous ARP frame: Ethernet header and ARP packet.
pub const GRATUITOUS_FRAME_LEN: usize = ethernet::HEADER_LEN + PACKET_LEN;

mod field {
    use core::ops::Range;
    pub const HARDWARE_TYPE: Range<usize> = 0..2;
    pub const PROTOCOL_TYPE: Range<usize> = 2..4;
    pub const HARDWARE_LEN: usize = 4;
    pub const PROTOCOL_LEN: usize = 5;
    pub const OPERATION: Range<usize> = 6..8;
    pub const ADDRESSES: usize = 8;
    // Ethernet/IPv4 sizes, checked by Repr::parse.
    pub const SENDER_HARDWARE: Range<usize> = 8..14;
    pub const SENDER_PROTOCOL: Range<usize> = 14..18;
    pub const TARGET_HARDWARE: Range<usize> = 18..24;
    pub const TARGET_PROTOCOL: Range<usize> = 24..28;
}

/// The ARP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// 1: request (what keepalived's gratuitous ARP uses).
    Request,
    /// 2: reply.
    Reply,
    /// Anything else.
    Unknown(u16),
}

impl From<u16> for Operation {
    fn from(value: u16) -> Self {
        match value {
            1 => Operation::Request,
            2 => Operation::Reply,
            other => Operation::Unknown(other),
        }
    }
}

impl From<Operation> for u16 {
    fn from(op: Operation) -> u16 {
        match op {
            Operation::Request => 1,
            Operation::Reply => 2,
            Operation::Unknown(other) => other,
        }
    }
}

/// A checked view of an ARP packet of any hardware and protocol sizes.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the fixed part and the four addresses its lengths
    /// announce are present.
    pub fn new_checked(buffer: T) -> Result<Self> {
        need(field::ADDRESSES, buffer.as_ref().len())?;
        let packet = Packet { buffer };
        let addrs = 2 * (usize::from(packet.hardware_len()) + usize::from(packet.protocol_len()));
        need(field::ADDRESSES + addrs, packet.buffer.as_ref().len())?;
        Ok(packet)
    }

    /// Hardware type (1 for Ethernet).
    pub fn hardware_type(&self) -> u16 {
        self.u16_at(field::HARDWARE_TYPE.start)
    }

    /// Protocol type (0x0800 for IPv4).
    pub fn protocol_type(&self) -> u16 {
        self.u16_at(field::PROTOCOL_TYPE.start)
    }

    /// Hardware address length.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HARDWARE_LEN]
    }

    /// Protocol address length.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL_LEN]
    }

    /// Operation.
    pub fn operation(&self) -> Operation {
        Operation::from(self.u16_at(field::OPERATION.start))
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }
}

/// An Ethernet/IPv4 ARP packet as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Request or reply.
    pub operation: Operation,
    /// Sender MAC.
    pub sender_hardware_addr: Address,
    /// Sender IPv4 address.
    pub sender_protocol_addr: Ipv4Addr,
    /// Target MAC.
    pub target_hardware_addr: Address,
    /// Target IPv4 address.
    pub target_protocol_addr: Ipv4Addr,
}

impl Repr {
    /// The gratuitous ARP keepalived sends for `vip` from `mac` (spec §3.9).
    pub fn gratuitous(mac: Address, vip: Ipv4Addr) -> Repr {
        Repr {
            operation: Operation::Request,
            sender_hardware_addr: mac,
            sender_protocol_addr: vip,
            target_hardware_addr: Address::BROADCAST,
            target_protocol_addr: vip,
        }
    }

    /// Whether this announces its sender's own address (sender IP = target IP), which is
    /// how peers recognise a gratuitous ARP.
    pub fn is_gratuitous(&self) -> bool {
        self.sender_protocol_addr == self.target_protocol_addr
    }

    /// Reads a checked packet; only Ethernet/IPv4 is supported.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        if packet.hardware_type() != HARDWARE_ETHERNET
            || packet.protocol_type() != ETHERTYPE_IPV4
            || packet.hardware_len() != 6
            || packet.protocol_len() != 4
        {
            return Err(Error::Unsupported("ARP other than Ethernet/IPv4"));
        }
        let b = packet.buffer.as_ref();
        Ok(Repr {
            operation: packet.operation(),
            sender_hardware_addr: Address(octets6(&b[field::SENDER_HARDWARE])),
            sender_protocol_addr: ipv4_at(&b[field::SENDER_PROTOCOL]),
            target_hardware_addr: Address(octets6(&b[field::TARGET_HARDWARE])),
            target_protocol_addr: ipv4_at(&b[field::TARGET_PROTOCOL]),
        })
    }

    /// Length of the packet [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the 28-byte packet into the start of `buffer`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        need(PACKET_LEN, buffer.len())?;
        buffer[field::HARDWARE_TYPE].copy_from_slice(&HARDWARE_ETHERNET.to_be_bytes());
        buffer[field::PROTOCOL_TYPE].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        buffer[field::HARDWARE_LEN] = 6;
        buffer[field::PROTOCOL_LEN] = 4;
        buffer[field::OPERATION].copy_from_slice(&u16::from(self.operation).to_be_bytes());
        buffer[field::SENDER_HARDWARE].copy_from_slice(&self.sender_hardware_addr.0);
        buffer[field::SENDER_PROTOCOL].copy_from_slice(&self.sender_protocol_addr.octets());
        buffer[field::TARGET_HARDWARE].copy_from_slice(&self.target_hardware_addr.0);
        buffer[field::TARGET_PROTOCOL].copy_from_slice(&self.target_protocol_addr.octets());
        Ok(())
    }
}

/// Writes the whole gratuitous ARP frame for `vip` from `mac` (Ethernet broadcast, ARP
/// request; spec §3.9) into the start of `buffer`; returns its length (42).
pub fn emit_gratuitous(mac: Address, vip: Ipv4Addr, buffer: &mut [u8]) -> Result<usize> {
    need(GRATUITOUS_FRAME_LEN, buffer.len())?;
    ethernet::Repr {
        destination: Address::BROADCAST,
        source: mac,
        ethertype: ETHERTYPE_ARP,
    }
    .emit(buffer)?;
    Repr::gratuitous(mac, vip).emit(&mut buffer[ethernet::HEADER_LEN..])?;
    Ok(GRATUITOUS_FRAME_LEN)
}

fn ipv4_at(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: an ARP packet announcing hardware length 6 and protocol length 4 but only 20
    // bytes long.
    // Output: Truncated (28 needed).
    #[test]
    fn short_packet_is_truncated() {
        let mut buf = [0u8; 20];
        buf[4] = 6;
        buf[5] = 4;
        assert_eq!(
            Packet::new_checked(&buf[..]).unwrap_err(),
            Error::Truncated {
                needed: 28,
                available: 20
            }
        );
    }

    // Input: a well-sized ARP packet for hardware type 6 (IEEE 802).
    // Output: Unsupported, not a misread.
    #[test]
    fn non_ethernet_is_unsupported() {
        let mut buf = [0u8; 28];
        Repr::gratuitous(Address([2, 0, 0, 0, 0, 1]), Ipv4Addr::new(10, 0, 0, 1))
            .emit(&mut buf)
            .unwrap();
        buf[1] = 6;
        let packet = Packet::new_checked(&buf[..]).unwrap();
        assert!(matches!(Repr::parse(&packet), Err(Error::Unsupported(_))));
    }
}
