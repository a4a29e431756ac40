//! The values of a VRRP advertisement, and how they are written.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::checksum::{ChecksumMode, Endpoints, compute};
use super::{
    AUTH_AH, AUTH_DATA_LEN, AUTH_NONE, AUTH_PASS, Family, HEADER_LEN, Packet, TYPE_ADVERTISEMENT,
    field, message_len,
};
use crate::error::{Error, Result, need};

/// The largest VRRPv3 Max Adver Int: 12 bits of centiseconds (RFC 5798 §5.2.7).
pub const MAX_ADVER_INT_V3: u16 = 0x0fff;

/// The version-specific part of an advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// VRRPv2 (RFC 3768): a whole-second interval and keepalived's authentication.
    V2 {
        /// Advertisement interval in seconds (keepalived rounds `advert_int` to whole
        /// seconds for v2, spec §2.6).
        adver_int: u8,
        /// Authentication type and data.
        auth: Auth,
    },
    /// VRRPv3 (RFC 5798): a 12-bit interval in centiseconds, no authentication.
    V3 {
        /// Maximum advertisement interval in centiseconds (1..=4095 on a sane sender).
        max_adver_int: u16,
    },
}

/// VRRPv2 authentication as keepalived speaks it (spec §2.6, §3.1). RFC 3768 dropped
/// both PASS and AH; keepalived keeps RFC 2338's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Auth Type 0; the authentication data is zero on send and ignored on receive.
    None,
    /// Auth Type 1: the first 8 bytes of `auth_pass`, zero padded
    /// ([`auth::auth_data`](crate::auth::auth_data)).
    Pass([u8; AUTH_DATA_LEN]),
    /// Auth Type 2: the datagram carries an IPsec AH header ([`crate::auth::ah`]); the
    /// authentication data is zero.
    Ah,
}

impl Auth {
    /// The Auth Type byte.
    pub fn auth_type(&self) -> u8 {
        match self {
            Auth::None => AUTH_NONE,
            Auth::Pass(_) => AUTH_PASS,
            Auth::Ah => AUTH_AH,
        }
    }
}

/// The virtual addresses an advert carries; all of one family (spec §2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addresses {
    /// IPv4 virtual addresses.
    V4(Vec<Ipv4Addr>),
    /// IPv6 virtual addresses.
    V6(Vec<Ipv6Addr>),
}

impl Addresses {
    /// Their family.
    pub fn family(&self) -> Family {
        match self {
            Addresses::V4(_) => Family::Ipv4,
            Addresses::V6(_) => Family::Ipv6,
        }
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match self {
            Addresses::V4(a) => a.len(),
            Addresses::V6(a) => a.len(),
        }
    }

    /// Whether there are none (`no_virtual_ipaddress`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A VRRP advertisement as values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Version and its own fields.
    pub version: Version,
    /// Virtual router ID (1..=255 in a valid configuration; 0 is decoded as sent).
    pub vrid: u8,
    /// Priority: 0 when the master leaves, 255 for the address owner.
    pub priority: u8,
    /// The virtual addresses.
    pub addresses: Addresses,
}

impl Repr {
    /// Reads a checked message: the version must be 2 or 3, the VRRPv2 auth type known and
    /// the type ADVERTISEMENT — in that order, keepalived's (spec §3.2). The checksum is
    /// checked separately ([`Packet::checksum_variant`]) because its meaning depends on
    /// the IP addresses and the instance's settings.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        let version = match packet.version() {
            2 => {
                let auth = match packet.auth_type() {
                    AUTH_NONE => Auth::None,
                    AUTH_PASS => match packet.auth_data() {
                        Some(data) => Auth::Pass(data),
                        None => return Err(Error::Unsupported("VRRPv2 PASS over IPv6")),
                    },
                    AUTH_AH => Auth::Ah,
                    other => return Err(Error::BadAuthType(other)),
                };
                Version::V2 {
                    adver_int: packet.adver_int(),
                    auth,
                }
            }
            3 => Version::V3 {
                max_adver_int: packet.max_adver_int(),
            },
            other => return Err(Error::BadVersion(other)),
        };
        if packet.msg_type() != TYPE_ADVERTISEMENT {
            return Err(Error::BadType(packet.msg_type()));
        }
        let addresses = match packet.family() {
            Family::Ipv4 => Addresses::V4(packet.ipv4_addrs().collect()),
            Family::Ipv6 => Addresses::V6(packet.ipv6_addrs().collect()),
        };
        Ok(Repr {
            version,
            vrid: packet.vrid(),
            priority: packet.priority(),
            addresses,
        })
    }

    /// The version number on the wire.
    pub fn version_number(&self) -> u8 {
        match self.version {
            Version::V2 { .. } => 2,
            Version::V3 { .. } => 3,
        }
    }

    /// The advertisement interval the sender announces.
    pub fn advert_interval(&self) -> Duration {
        match self.version {
            Version::V2 { adver_int, .. } => Duration::from_secs(u64::from(adver_int)),
            Version::V3 { max_adver_int } => Duration::from_millis(u64::from(max_adver_int) * 10),
        }
    }

    /// Length of the message [`Repr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        message_len(
            self.version_number(),
            self.addresses.family(),
            self.addresses.len(),
        )
    }

    /// Writes the message, checksum included, into the first [`Repr::buffer_len`] bytes of
    /// `buffer`. `endpoints` are the IP source and destination the message is sent with
    /// (the VRRPv3 and IPv6 checksums cover them); `mode` chooses among keepalived's
    /// checksum variants (spec §3.1).
    pub fn emit(&self, buffer: &mut [u8], endpoints: &Endpoints, mode: ChecksumMode) -> Result<()> {
        let family = self.addresses.family();
        if family != endpoints.family() {
            return Err(Error::Unencodable(
                "address family differs from the IP endpoints",
            ));
        }
        let count = u8::try_from(self.addresses.len())
            .map_err(|_| Error::Unencodable("more than 255 addresses"))?;
        let len = self.buffer_len();
        need(len, buffer.len())?;
        let buffer = &mut buffer[..len];
        buffer[field::VER_TYPE] = (self.version_number() << 4) | TYPE_ADVERTISEMENT;
        buffer[field::VRID] = self.vrid;
        buffer[field::PRIORITY] = self.priority;
        buffer[field::COUNT] = count;
        match self.version {
            Version::V2 { adver_int, auth } => {
                // keepalived compat: VRRPv2 over IPv6 has no authentication data, so PASS
                // cannot be carried; an AH type byte can (and is what a peer would see).
                if family == Family::Ipv6 && matches!(auth, Auth::Pass(_)) {
                    return Err(Error::Unencodable("VRRPv2 PASS over IPv6"));
                }
                buffer[field::AUTH_TYPE] = auth.auth_type();
                buffer[field::ADVER_INT] = adver_int;
            }
            Version::V3 { max_adver_int } => {
                if max_adver_int > MAX_ADVER_INT_V3 {
                    return Err(Error::Unencodable("VRRPv3 interval over 4095 centiseconds"));
                }
                buffer[field::MAX_ADVER_INT].copy_from_slice(&max_adver_int.to_be_bytes());
            }
        }
        buffer[field::CHECKSUM].copy_from_slice(&[0, 0]);
        let addrs = &mut buffer[HEADER_LEN..];
        match &self.addresses {
            Addresses::V4(list) => {
                for (slot, addr) in addrs.chunks_exact_mut(4).zip(list) {
                    slot.copy_from_slice(&addr.octets());
                }
            }
            Addresses::V6(list) => {
                for (slot, addr) in addrs.chunks_exact_mut(16).zip(list) {
                    slot.copy_from_slice(&addr.octets());
                }
            }
        }
        if family == Family::Ipv4 {
            if let Version::V2 { auth, .. } = self.version {
                let data = match auth {
                    Auth::Pass(data) => data,
                    Auth::None | Auth::Ah => [0; AUTH_DATA_LEN],
                };
                buffer[len - AUTH_DATA_LEN..].copy_from_slice(&data);
            }
        }
        let sum = compute(buffer, self.version_number(), endpoints, mode)?;
        buffer[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
        Ok(())
    }
}
