//! A whole IPv4 advert as it crosses a raw socket with `IP_HDRINCL` (spec §3.1): the IPv4
//! header, keepalived's AH header when `auth_type AH`, then the VRRP message.
//!
//! ```text
//! +-------------+-------------------+--------------------------------+
//! | IPv4 header | AH (proto 51 only)| VRRP header, addresses, [auth] |
//! |   20 bytes  |     24 bytes      |                                |
//! +-------------+-------------------+--------------------------------+
//! ```
//!
//! IPv6 adverts need nothing of this: the socket gives and takes the VRRP message alone.

use std::net::Ipv4Addr;

use crate::auth::ah;
use crate::error::{Error, Result, need};
use crate::ipv4::{self, PROTOCOL_AH, PROTOCOL_VRRP};
use crate::vrrp::{self, AUTH_DATA_LEN, Auth, ChecksumMode, Endpoints, Family, Version};

/// A received IPv4 advert, split into its layers. The VRRP part is a checked view; its
/// values come from [`vrrp::Repr::parse`] and its checksum from
/// [`vrrp::Packet::checksum_variant`] with [`Ipv4Advert::endpoints`].
#[derive(Debug, Clone)]
pub struct Ipv4Advert<'a> {
    /// The IPv4 header (checksum verified, not a fragment).
    pub ip: ipv4::Repr,
    /// The AH header when the IP protocol is 51.
    pub ah: Option<ah::Repr>,
    /// The VRRP message.
    pub vrrp: vrrp::Packet<&'a [u8]>,
    datagram: &'a [u8],
}

impl<'a> Ipv4Advert<'a> {
    /// Splits a datagram read from a raw IPv4 socket (or a capture). Bytes past the IPv4
    /// Total Length are ignored.
    pub fn parse(datagram: &'a [u8]) -> Result<Ipv4Advert<'a>> {
        let packet = ipv4::Packet::new_checked(datagram)?;
        let ip = ipv4::Repr::parse(&packet)?;
        let header_len = packet.header_len();
        let datagram = &datagram[..usize::from(packet.total_len())];
        let payload = &datagram[header_len..];
        let (ah, vrrp_bytes) = match ip.protocol {
            PROTOCOL_VRRP => (None, payload),
            PROTOCOL_AH => {
                let view = ah::Packet::new_checked(payload)?;
                let repr = ah::Repr::parse(&view)?;
                if repr.next_header != PROTOCOL_VRRP {
                    return Err(Error::BadProtocol(repr.next_header));
                }
                (Some(repr), &payload[ah::HEADER_LEN..])
            }
            other => return Err(Error::BadProtocol(other)),
        };
        let vrrp = vrrp::Packet::new_checked(vrrp_bytes, Family::Ipv4)?;
        Ok(Ipv4Advert {
            ip,
            ah,
            vrrp,
            datagram,
        })
    }

    /// The source and destination the VRRP checksum is computed with.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints::V4 {
            src: self.ip.src_addr,
            dst: self.ip.dst_addr,
        }
    }

    /// The datagram, up to its Total Length.
    pub fn datagram(&self) -> &'a [u8] {
        self.datagram
    }

    /// Checks the AH ICV and SPI with the instance's key (spec §3.2); fails with
    /// `AuthFailure` also when the datagram carries no AH header.
    pub fn verify_ah(&self, key: &[u8; AUTH_DATA_LEN], unicast: bool) -> Result<ah::Repr> {
        if self.ah.is_none() {
            return Err(Error::AuthFailure);
        }
        ah::verify(key, self.datagram, unicast)
    }
}

/// What changes from one IPv4 advert of an instance to the next, besides the VRRP values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Envelope {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination: the group, or one unicast peer.
    pub dst_addr: Ipv4Addr,
    /// IP identification; keepalived increments it per advert, skipping 0.
    pub ident: u16,
    /// TTL: 255, or `unicast_ttl`.
    pub ttl: u8,
}

/// The AH parameters of an instance with `auth_type AH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AhKey {
    /// The 8 bytes of `auth_pass` ([`crate::auth::auth_data`]).
    pub key: [u8; AUTH_DATA_LEN],
    /// The sequence number of this advert.
    pub sequence_number: u32,
    /// Whether the instance has unicast peers (TTL is then zeroed in the ICV).
    pub unicast: bool,
}

/// Length of the datagram [`emit_ipv4`] writes for `advert`.
pub fn ipv4_len(advert: &vrrp::Repr) -> usize {
    let ah_len = if is_ah(advert) { ah::HEADER_LEN } else { 0 };
    ipv4::HEADER_LEN + ah_len + advert.buffer_len()
}

/// Writes a whole IPv4 advert as keepalived builds it (TOS 0xC0, DF clear, protocol 112,
/// or 51 with an AH header when the advert's auth is AH) into the start of `buffer` and
/// returns its length. `ah` must be given exactly when the advert uses AH.
pub fn emit_ipv4(
    envelope: &Ipv4Envelope,
    advert: &vrrp::Repr,
    checksum: ChecksumMode,
    ah: Option<&AhKey>,
    buffer: &mut [u8],
) -> Result<usize> {
    let len = ipv4_len(advert);
    need(len, buffer.len())?;
    let buffer = &mut buffer[..len];
    let ah_len = match (is_ah(advert), ah) {
        (true, Some(_)) => ah::HEADER_LEN,
        (false, None) => 0,
        (true, None) => return Err(Error::Unencodable("AH advert without an AH key")),
        (false, Some(_)) => return Err(Error::Unencodable("AH key for an advert without AH")),
    };
    let ip = ipv4::Repr {
        src_addr: envelope.src_addr,
        dst_addr: envelope.dst_addr,
        protocol: if ah.is_some() {
            PROTOCOL_AH
        } else {
            PROTOCOL_VRRP
        },
        tos: ipv4::TOS_NETWORK_CONTROL,
        ident: envelope.ident,
        dont_fragment: false,
        ttl: envelope.ttl,
        payload_len: len - ipv4::HEADER_LEN,
    };
    let endpoints = Endpoints::V4 {
        src: envelope.src_addr,
        dst: envelope.dst_addr,
    };
    advert.emit(
        &mut buffer[ipv4::HEADER_LEN + ah_len..],
        &endpoints,
        checksum,
    )?;
    ip.emit(buffer)?;
    if let Some(key) = ah {
        ah::Repr::for_sender(envelope.src_addr, key.sequence_number)
            .emit(&mut buffer[ipv4::HEADER_LEN..])?;
        ah::sign(&key.key, buffer, key.unicast)?;
    }
    Ok(len)
}

fn is_ah(advert: &vrrp::Repr) -> bool {
    matches!(advert.version, Version::V2 { auth: Auth::Ah, .. })
}
