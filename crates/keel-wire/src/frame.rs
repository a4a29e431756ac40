//! Whole Ethernet frames of multicast adverts, for a packet socket that bypasses the IP
//! stack (the daemon's fast send path: routing, netfilter, multicast loopback and the
//! neighbour layer cost more than the advert itself when hundreds of instances send).
//!
//! A frame is what the kernel puts on the wire for keepalived 2.2.7's raw-socket advert
//! (spec §3.1), byte for byte, except the IPv6 flow label: the kernel hashes one per
//! socket, keel sends 0 (RFC 6437 §3: "no flow label").
//!
//! ```text
//! +----------------------+-------------------------------+----------------------------+
//! | Ethernet II (14)     | IPv4 (20)        IPv6 (40)    | VRRP header, addresses     |
//! | dst: the group's MAC | TOS 0xC0         TC 0xC0      | checksum with the pseudo-  |
//! | src: the (V)MAC of   | TTL 255, DF off  hop limit 255| header of these addresses  |
//! |      the interface   | proto 112        next hdr 112 | (RFC 5798 §5.2.8)          |
//! +----------------------+-------------------------------+----------------------------+
//! ```
//!
//! Only multicast adverts are framed: a unicast peer's MAC is in the neighbour table, which
//! only the IP stack keeps. AH adverts are not framed either (they stay on the raw socket).

use std::net::IpAddr;

use crate::advert::{Ipv4Envelope, emit_ipv4, ipv4_len};
use crate::error::{Error, Result, need};
use crate::ethernet::{self, Address, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::ipv4::{self, PROTOCOL_VRRP, VRRP_TTL};
use crate::ipv6::{self, HOP_LIMIT_255, TRAFFIC_CLASS_NETWORK_CONTROL};
use crate::vrrp::{self, Auth, ChecksumMode, Endpoints, Version};

/// The Ethernet destination a multicast group maps to: 01:00:5e + the low 23 bits of an
/// IPv4 group (RFC 1112 §6.4), 33:33 + the low 32 bits of an IPv6 group (RFC 2464 §7).
/// `None` for a unicast address, which has no fixed MAC.
pub fn multicast_destination(group: IpAddr) -> Option<Address> {
    match group {
        IpAddr::V4(group) if group.is_multicast() => Some(Address::ipv4_multicast(group)),
        IpAddr::V6(group) if group.is_multicast() => Some(Address::ipv6_multicast(group)),
        _ => None,
    }
}

/// What a framed advert carries besides its VRRP values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameEnvelope {
    /// The Ethernet source: the MAC of the interface the frame leaves by (a VMAC's is
    /// 00:00:5e:00:01:VRID, RFC 5798 §7.3), as the IP stack would have put it.
    pub source_mac: Address,
    /// The instance's source address (its primary address, or `mcast_src_ip`).
    pub source: IpAddr,
    /// The multicast group (224.0.0.18, ff02::12, or `mcast_dst_ip`).
    pub group: IpAddr,
    /// IPv4 identification (keepalived increments it per advert, skipping 0); unused for
    /// IPv6. [`set_ipv4_ident`] changes it in a frame already written.
    pub ident: u16,
}

/// Length of the frame [`emit_advert_frame`] writes for `advert`.
pub fn frame_len(advert: &vrrp::Repr) -> usize {
    let ip_len = match advert.addresses.family() {
        vrrp::Family::Ipv4 => ipv4_len(advert),
        vrrp::Family::Ipv6 => ipv6::HEADER_LEN + advert.buffer_len(),
    };
    ethernet::HEADER_LEN + ip_len
}

/// Writes the whole frame of a multicast advert into the start of `buffer` and returns its
/// length. The IPv4 header checksum and the VRRP checksum (`checksum`, computed with the
/// envelope's source and group) are filled in: nothing after this layer will.
///
/// Fails with `Unencodable` for a unicast destination, an AH advert, a source that is not
/// a unicast address of the advert's family; with `Truncated` when `buffer` is too short.
pub fn emit_advert_frame(
    envelope: &FrameEnvelope,
    advert: &vrrp::Repr,
    checksum: ChecksumMode,
    buffer: &mut [u8],
) -> Result<usize> {
    if matches!(advert.version, Version::V2 { auth: Auth::Ah, .. }) {
        return Err(Error::Unencodable("AH adverts are sent on the raw socket"));
    }
    let destination = multicast_destination(envelope.group)
        .ok_or(Error::Unencodable("only multicast adverts are framed"))?;
    if envelope.source.is_unspecified() || envelope.source.is_multicast() {
        return Err(Error::Unencodable("advert source is not a unicast address"));
    }
    let len = frame_len(advert);
    need(len, buffer.len())?;
    let (header, datagram) = buffer[..len].split_at_mut(ethernet::HEADER_LEN);
    let ethertype = match (envelope.source, envelope.group) {
        (IpAddr::V4(source), IpAddr::V4(group)) => {
            let ip = Ipv4Envelope {
                src_addr: source,
                dst_addr: group,
                ident: envelope.ident,
                ttl: VRRP_TTL,
            };
            emit_ipv4(&ip, advert, checksum, None, datagram)?;
            ETHERTYPE_IPV4
        }
        (IpAddr::V6(source), IpAddr::V6(group)) => {
            let ip = ipv6::Repr {
                traffic_class: TRAFFIC_CLASS_NETWORK_CONTROL,
                src_addr: source,
                dst_addr: group,
                next_header: PROTOCOL_VRRP,
                hop_limit: HOP_LIMIT_255,
                payload_len: advert.buffer_len(),
            };
            ip.emit(datagram)?;
            let endpoints = Endpoints::V6 {
                src: source,
                dst: group,
            };
            advert.emit(&mut datagram[ipv6::HEADER_LEN..], &endpoints, checksum)?;
            ETHERTYPE_IPV6
        }
        _ => {
            return Err(Error::Unencodable(
                "advert source and group differ in family",
            ));
        }
    };
    ethernet::Repr {
        destination,
        source: envelope.source_mac,
        ethertype,
    }
    .emit(header)?;
    Ok(len)
}

/// Sets the IPv4 identification of a frame [`emit_advert_frame`] wrote and recomputes its
/// header checksum (a packet socket sends the bytes as they are). An IPv6 frame is left
/// as it is; a frame too short for its IPv4 header is `Truncated`.
pub fn set_ipv4_ident(frame: &mut [u8], ident: u16) -> Result<()> {
    let ethernet_frame = ethernet::Frame::new_checked(&*frame)?;
    if ethernet_frame.ethertype() != ETHERTYPE_IPV4 {
        return Ok(());
    }
    let packet = ipv4::Packet::new_checked(ethernet_frame.payload())?;
    let header_end = ethernet::HEADER_LEN + packet.header_len();
    let header = &mut frame[ethernet::HEADER_LEN..header_end];
    // RFC 791 §3.1: identification at bytes 4..6 of the header.
    header[4..6].copy_from_slice(&ident.to_be_bytes());
    ipv4::fill_checksum(header);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn unhex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| b.is_ascii_hexdigit())
            .map(|b| (b as char).to_digit(16).unwrap() as u8)
            .collect();
        digits
            .chunks(2)
            .map(|pair| pair[0] << 4 | pair[1])
            .collect()
    }

    const MAC: Address = Address([0xe2, 0xde, 0x14, 0x8e, 0x5d, 0x27]);

    fn v3(vrid: u8, addresses: vrrp::Addresses) -> vrrp::Repr {
        vrrp::Repr {
            version: Version::V3 { max_adver_int: 100 },
            vrid,
            priority: 150,
            addresses,
        }
    }

    fn ipv4_advert() -> (FrameEnvelope, vrrp::Repr) {
        let envelope = FrameEnvelope {
            source_mac: MAC,
            source: IpAddr::V4(Ipv4Addr::new(10, 88, 0, 1)),
            group: IpAddr::V4(ipv4::VRRP_GROUP),
            ident: 1,
        };
        let vip = Ipv4Addr::new(10, 88, 0, 100);
        (envelope, v3(51, vrrp::Addresses::V4(vec![vip])))
    }

    fn ipv6_advert() -> (FrameEnvelope, vrrp::Repr) {
        let envelope = FrameEnvelope {
            source_mac: MAC,
            source: IpAddr::V6("fe80::e0de:14ff:fe8e:5d27".parse().unwrap()),
            group: IpAddr::V6(ipv6::VRRP_GROUP),
            ident: 1,
        };
        let vip: Ipv6Addr = "fd00:88::100".parse().unwrap();
        (envelope, v3(52, vrrp::Addresses::V6(vec![vip])))
    }

    // Input: VRRPv3 VRID 51, priority 150, 1 s, VIP 10.88.0.100, from 10.88.0.1 on an
    // interface with MAC e2:de:14:8e:5d:27, IP id 1.
    // Output: the frame keepalived 2.2.7 sent for that instance (captured on the peer's
    // veth, 2026-11-27): group MAC, TOS 0xc0, DF clear, TTL 255, header checksum 0xd041,
    // VRRP checksum 0x42c3.
    #[test]
    fn ipv4_frame_matches_keepalived_capture() {
        let (envelope, advert) = ipv4_advert();
        let mut buf = [0u8; 128];
        let len = emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf).unwrap();
        let expected = unhex(
            "01005e000012 e2de148e5d27 0800
             45c0 0020 0001 0000 ff70 d041 0a58 0001 e000 0012
             3133 9601 0064 42c3 0a58 0064",
        );
        assert_eq!(len, frame_len(&advert));
        assert_eq!(&buf[..len], &expected[..]);
    }

    // Input: the IPv4 frame above given IP id 2, then 0xffff.
    // Output: keepalived's next advert (checksum 0xd040); the checksum of the header
    // with id 0xffff sums to zero, as a receiver checks it.
    #[test]
    fn a_new_ipv4_ident_gets_a_new_header_checksum() {
        let (envelope, advert) = ipv4_advert();
        let mut buf = [0u8; 128];
        let len = emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf).unwrap();
        set_ipv4_ident(&mut buf[..len], 2).unwrap();
        assert_eq!(&buf[18..26], &unhex("0002 0000 ff70 d040")[..]);
        set_ipv4_ident(&mut buf[..len], 0xffff).unwrap();
        let packet = ipv4::Packet::new_checked(&buf[14..len]).unwrap();
        assert_eq!(packet.ident(), 0xffff);
        assert!(packet.verify_checksum());
    }

    // Input: VRRPv3 VRID 52, priority 150, 1 s, VIP fd00:88::100, from the link-local
    // fe80::e0de:14ff:fe8e:5d27.
    // Output: keepalived 2.2.7's frame for it (same capture), traffic class 0xc0, hop
    // limit 255, VRRP checksum 0xea2a, except the flow label: the kernel hashed 0x7ce02
    // into keepalived's, keel's is 0.
    #[test]
    fn ipv6_frame_matches_keepalived_capture_but_the_flow_label() {
        let (envelope, advert) = ipv6_advert();
        let mut buf = [0u8; 128];
        let len = emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf).unwrap();
        let expected = unhex(
            "333300000012 e2de148e5d27 86dd
             6c00 0000 0018 70ff
             fe80 0000 0000 0000 e0de 14ff fe8e 5d27
             ff02 0000 0000 0000 0000 0000 0000 0012
             3134 9601 0064 ea2a
             fd00 0088 0000 0000 0000 0000 0000 0100",
        );
        assert_eq!(len, frame_len(&advert));
        assert_eq!(&buf[..len], &expected[..]);
        let before = buf;
        set_ipv4_ident(&mut buf[..len], 7).unwrap();
        assert_eq!(buf, before, "an IPv6 frame has no identification");
    }

    // Input: a configured group 224.0.0.200 and ff05::1:3, and the VMAC of VRID 51.
    // Output: destination MACs 01:00:5e:00:00:c8 and 33:33:00:01:00:03; the source MAC is
    // the one given.
    #[test]
    fn destination_follows_the_group_and_source_the_interface() {
        let (mut envelope, advert) = ipv4_advert();
        envelope.group = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 200));
        envelope.source_mac = Address::vrrp_ipv4(51);
        let mut buf = [0u8; 128];
        emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf).unwrap();
        let frame = ethernet::Frame::new_checked(&buf[..]).unwrap();
        assert_eq!(frame.destination().to_string(), "01:00:5e:00:00:c8");
        assert_eq!(frame.source().to_string(), "00:00:5e:00:01:33");
        let (mut envelope, advert) = ipv6_advert();
        envelope.group = IpAddr::V6("ff05::1:3".parse().unwrap());
        emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf).unwrap();
        let frame = ethernet::Frame::new_checked(&buf[..]).unwrap();
        assert_eq!(frame.destination().to_string(), "33:33:00:01:00:03");
    }

    // Input: a unicast destination; an AH advert; an IPv6 source with an IPv4 group; an
    // unspecified source; a buffer one byte short; a new IP id for a frame cut inside its
    // IPv4 header.
    // Output: Unencodable four times, then Truncated twice; never a panic.
    #[test]
    fn what_cannot_be_framed_is_an_error() {
        let mut buf = [0u8; 128];
        let (mut envelope, advert) = ipv4_advert();
        envelope.group = IpAddr::V4(Ipv4Addr::new(10, 88, 0, 2));
        assert!(matches!(
            emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf),
            Err(Error::Unencodable(_))
        ));
        let (envelope, mut ah) = ipv4_advert();
        ah.version = Version::V2 {
            adver_int: 1,
            auth: Auth::Ah,
        };
        assert!(matches!(
            emit_advert_frame(&envelope, &ah, ChecksumMode::Standard, &mut buf),
            Err(Error::Unencodable(_))
        ));
        let (mut envelope, advert) = ipv4_advert();
        envelope.source = ipv6_advert().0.source;
        assert!(matches!(
            emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf),
            Err(Error::Unencodable(_))
        ));
        envelope.source = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        assert!(matches!(
            emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf),
            Err(Error::Unencodable(_))
        ));
        let (envelope, advert) = ipv4_advert();
        let short = frame_len(&advert) - 1;
        assert_eq!(
            emit_advert_frame(
                &envelope,
                &advert,
                ChecksumMode::Standard,
                &mut buf[..short]
            ),
            Err(Error::Truncated {
                needed: short + 1,
                available: short
            })
        );
        emit_advert_frame(&envelope, &advert, ChecksumMode::Standard, &mut buf).unwrap();
        assert!(matches!(
            set_ipv4_ident(&mut buf[..20], 1),
            Err(Error::Truncated { .. })
        ));
    }
}
