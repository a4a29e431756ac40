//! ICMPv6 neighbour advertisements, and the unsolicited NA keepalived sends for each IPv6
//! VIP when an instance becomes master (spec §3.9, RFC 4861 §7.2.6).
//!
//! keepalived compat (`vrrp_ndisc.c`): the frame goes to 33:33:00:00:00:01 from the
//! interface MAC; the IPv6 source is the VIP itself, the destination ff02::1 (all nodes),
//! hop limit 255; Override is set, Solicited clear, Router set when IPv6 forwarding is on
//! for the interface; one Target Link-Layer Address option carries the MAC. 86 bytes.
//!
//! RFC 4861 §4.4:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |R|S|O|                     Reserved                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                       Target Address                          +
//! |                         (16 bytes)                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Options ...
//! +-+-+-+-+-+-+-+-+-+-+-+-
//! ```
//!
//! The Target Link-Layer Address option (RFC 4861 §4.6.1), for Ethernet:
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type (2)    |  Length (1)   |    Link-Layer Address ...     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv6Addr;

use crate::checksum;
use crate::error::{Error, Result, need};
use crate::ethernet::{self, Address, ETHERTYPE_IPV6, octets6};
use crate::ipv6::{self, ALL_NODES, HOP_LIMIT_255, NEXT_HEADER_ICMPV6};

/// ICMPv6 type of a neighbour advertisement.
pub const TYPE_NEIGHBOR_ADVERT: u8 = 136;
/// Option type: target link-layer address.
pub const OPTION_TARGET_LLADDR: u8 = 2;
/// Length of an NA without options.
pub const HEADER_LEN: usize = 24;
/// Length of an NA with one Ethernet target link-layer address option.
pub const NA_WITH_LLADDR_LEN: usize = HEADER_LEN + 8;
/// Length of the unsolicited NA frame: Ethernet, IPv6, NA and option.
pub const UNSOLICITED_FRAME_LEN: usize =
    ethernet::HEADER_LEN + ipv6::HEADER_LEN + NA_WITH_LLADDR_LEN;

mod field {
    use core::ops::Range;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const FLAGS: usize = 4;
    pub const RESERVED: Range<usize> = 5..8;
    pub const TARGET: Range<usize> = 8..24;
}

const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;

/// A checked view of an ICMPv6 neighbour advertisement.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` (the ICMPv6 message) after checking the fixed part is present.
    pub fn new_checked(buffer: T) -> Result<Self> {
        need(HEADER_LEN, buffer.as_ref().len())?;
        Ok(Packet { buffer })
    }

    /// ICMPv6 type (136).
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    /// ICMPv6 code (0).
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum as received.
    pub fn checksum(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::CHECKSUM];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// R: the sender is a router.
    pub fn router_flag(&self) -> bool {
        self.buffer.as_ref()[field::FLAGS] & FLAG_ROUTER != 0
    }

    /// S: the advert answers a solicitation.
    pub fn solicited_flag(&self) -> bool {
        self.buffer.as_ref()[field::FLAGS] & FLAG_SOLICITED != 0
    }

    /// O: the advert overrides cached link-layer addresses.
    pub fn override_flag(&self) -> bool {
        self.buffer.as_ref()[field::FLAGS] & FLAG_OVERRIDE != 0
    }

    /// Target address.
    pub fn target_addr(&self) -> Ipv6Addr {
        ipv6::addr(&self.buffer.as_ref()[field::TARGET])
    }

    /// The option bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// Whether the checksum over the IPv6 pseudo-header and the whole message is right.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let message = self.buffer.as_ref();
        let Ok(len) = u32::try_from(message.len()) else {
            return false;
        };
        let mut acc = checksum::ipv6_pseudo_header(src, dst, NEXT_HEADER_ICMPV6, len);
        acc.add(message).finish() == 0
    }
}

/// A neighbour advertisement as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// R flag: keepalived sets it when IPv6 forwarding is on for the interface.
    pub router: bool,
    /// S flag: clear in an unsolicited advert.
    pub solicited: bool,
    /// O flag: set by keepalived so peers replace their cached MAC.
    pub override_: bool,
    /// The address advertised.
    pub target_addr: Ipv6Addr,
    /// The target link-layer address option, when present.
    pub target_lladdr: Option<Address>,
}

impl Repr {
    /// The unsolicited NA keepalived sends for `vip` from `mac` (spec §3.9); `router` is
    /// whether IPv6 forwarding is on for the interface.
    pub fn unsolicited(mac: Address, vip: Ipv6Addr, router: bool) -> Repr {
        Repr {
            router,
            solicited: false,
            override_: true,
            target_addr: vip,
            target_lladdr: Some(mac),
        }
    }

    /// Reads a checked NA received from `src` to `dst`: the checksum must be right, the
    /// type 136 and the code 0 (RFC 4861 §7.1.2); options must have a non-zero length.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, src: Ipv6Addr, dst: Ipv6Addr) -> Result<Repr> {
        if packet.msg_type() != TYPE_NEIGHBOR_ADVERT {
            return Err(Error::BadType(packet.msg_type()));
        }
        if packet.code() != 0 {
            return Err(Error::BadType(packet.code()));
        }
        if !packet.verify_checksum(src, dst) {
            return Err(Error::BadChecksum);
        }
        let mut target_lladdr = None;
        let mut options = packet.options();
        while !options.is_empty() {
            need(2, options.len())?;
            let len = usize::from(options[1]) * 8;
            if len == 0 {
                return Err(Error::BadLength("neighbour discovery option of length 0"));
            }
            need(len, options.len())?;
            if options[0] == OPTION_TARGET_LLADDR && target_lladdr.is_none() {
                target_lladdr = Some(Address(octets6(&options[2..8])));
            }
            options = &options[len..];
        }
        Ok(Repr {
            router: packet.router_flag(),
            solicited: packet.solicited_flag(),
            override_: packet.override_flag(),
            target_addr: packet.target_addr(),
            target_lladdr,
        })
    }

    /// Length of the message [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        if self.target_lladdr.is_some() {
            NA_WITH_LLADDR_LEN
        } else {
            HEADER_LEN
        }
    }

    /// Writes the message, with its checksum for `src` → `dst`, into the start of `buffer`.
    pub fn emit(&self, buffer: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<()> {
        let len = self.buffer_len();
        need(len, buffer.len())?;
        let buffer = &mut buffer[..len];
        buffer[field::TYPE] = TYPE_NEIGHBOR_ADVERT;
        buffer[field::CODE] = 0;
        buffer[field::CHECKSUM].copy_from_slice(&[0, 0]);
        let mut flags = 0;
        if self.router {
            flags |= FLAG_ROUTER;
        }
        if self.solicited {
            flags |= FLAG_SOLICITED;
        }
        if self.override_ {
            flags |= FLAG_OVERRIDE;
        }
        buffer[field::FLAGS] = flags;
        buffer[field::RESERVED].copy_from_slice(&[0, 0, 0]);
        buffer[field::TARGET].copy_from_slice(&self.target_addr.octets());
        if let Some(mac) = self.target_lladdr {
            buffer[HEADER_LEN] = OPTION_TARGET_LLADDR;
            buffer[HEADER_LEN + 1] = 1;
            buffer[HEADER_LEN + 2..HEADER_LEN + 8].copy_from_slice(&mac.0);
        }
        // Invariant: len is at most 32, so it fits u32.
        let mut acc = checksum::ipv6_pseudo_header(src, dst, NEXT_HEADER_ICMPV6, len as u32);
        let sum = acc.add(buffer).finish();
        buffer[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
        Ok(())
    }
}

/// Writes the whole unsolicited NA frame keepalived sends for `vip` from `mac` (spec §3.9)
/// into the start of `buffer`; returns its length (86). `router`: whether IPv6 forwarding
/// is on for the interface.
pub fn emit_unsolicited_na(
    mac: Address,
    vip: Ipv6Addr,
    router: bool,
    buffer: &mut [u8],
) -> Result<usize> {
    need(UNSOLICITED_FRAME_LEN, buffer.len())?;
    ethernet::Repr {
        destination: Address::ipv6_multicast(ALL_NODES),
        source: mac,
        ethertype: ETHERTYPE_IPV6,
    }
    .emit(buffer)?;
    let ip = ipv6::Repr {
        traffic_class: 0,
        src_addr: vip,
        dst_addr: ALL_NODES,
        next_header: NEXT_HEADER_ICMPV6,
        hop_limit: HOP_LIMIT_255,
        payload_len: NA_WITH_LLADDR_LEN,
    };
    ip.emit(&mut buffer[ethernet::HEADER_LEN..])?;
    Repr::unsolicited(mac, vip, router).emit(
        &mut buffer[ethernet::HEADER_LEN + ipv6::HEADER_LEN..],
        vip,
        ALL_NODES,
    )?;
    Ok(UNSOLICITED_FRAME_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vip() -> Ipv6Addr {
        "2001:db8::100".parse().unwrap()
    }

    // Input: an NA whose only option has length 0.
    // Output: BadLength (RFC 4861 §4.6: such a packet is discarded), not a loop.
    #[test]
    fn zero_length_option_is_an_error() {
        let mut buf = [0u8; 32];
        Repr::unsolicited(Address([2, 0, 0, 0, 0, 1]), vip(), false)
            .emit(&mut buf, vip(), ALL_NODES)
            .unwrap();
        buf[25] = 0;
        // Fix the checksum so only the option is wrong.
        buf[2..4].copy_from_slice(&[0, 0]);
        let mut acc = checksum::ipv6_pseudo_header(vip(), ALL_NODES, 58, 32);
        let sum = acc.add(&buf).finish();
        buf[2..4].copy_from_slice(&sum.to_be_bytes());
        let packet = Packet::new_checked(&buf[..]).unwrap();
        assert!(matches!(
            Repr::parse(&packet, vip(), ALL_NODES),
            Err(Error::BadLength(_))
        ));
    }

    // Input: a valid NA checked against the wrong destination.
    // Output: BadChecksum.
    #[test]
    fn checksum_covers_the_pseudo_header() {
        let mut buf = [0u8; 32];
        Repr::unsolicited(Address([2, 0, 0, 0, 0, 1]), vip(), true)
            .emit(&mut buf, vip(), ALL_NODES)
            .unwrap();
        let packet = Packet::new_checked(&buf[..]).unwrap();
        assert!(Repr::parse(&packet, vip(), ALL_NODES).is_ok());
        assert_eq!(
            Repr::parse(&packet, vip(), ipv6::VRRP_GROUP),
            Err(Error::BadChecksum)
        );
    }
}
