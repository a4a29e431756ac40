//! The VRRP checksum and keepalived's variants of it (spec §3.1).
//!
//! - VRRPv2 over IPv4: the Internet checksum of the message alone (RFC 3768 §5.3.8).
//! - VRRPv3 over IPv4: prefixed by the pseudo-header {src, dst, 0, 112, length}
//!   (RFC 5798 §5.2.8) where dst is the address the datagram is really sent to — the group,
//!   or the unicast peer.
//! - `v3_checksum_as_v2`: VRRPv3 over IPv4 summed like VRRPv2, without pseudo-header, as
//!   some other implementations do (RFC 9568 §5.2.8 notes the ambiguity).
//! - old unicast checksum: keepalived ≤ 1.3.6 used the multicast group as pseudo-header
//!   destination even when sending unicast; `old_unicast_checksum` sends it, and receivers
//!   detect it unless told `never`.
//! - over IPv6, VRRPv2 and VRRPv3 alike: the IPv6 pseudo-header (RFC 8200 §8.1); the
//!   kernel computes it for raw sockets with `IPV6_CHECKSUM` at offset 6.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Family, Packet};
use crate::checksum::{self, Accumulator};
use crate::error::{Error, Result};
use crate::ipv4::PROTOCOL_VRRP;

/// The IP source and destination a VRRP message travels between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoints {
    /// An IPv4 datagram.
    V4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination: the group or a unicast peer.
        dst: Ipv4Addr,
    },
    /// An IPv6 packet.
    V6 {
        /// Source address (link-local unless configured).
        src: Ipv6Addr,
        /// Destination: ff02::12 or a unicast peer.
        dst: Ipv6Addr,
    },
}

impl Endpoints {
    /// The family of both addresses.
    pub fn family(&self) -> Family {
        match self {
            Endpoints::V4 { .. } => Family::Ipv4,
            Endpoints::V6 { .. } => Family::Ipv6,
        }
    }
}

/// Which checksum a sender writes (spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumMode {
    /// RFC 3768 for VRRPv2; RFC 5798 (pseudo-header with the real destination) for VRRPv3.
    #[default]
    Standard,
    /// `v3_checksum_as_v2`: VRRPv3 over IPv4 without pseudo-header.
    AsV2,
    /// `old_unicast_checksum`: VRRPv3 over IPv4 with `group` (the configured
    /// `vrrp_mcast_group4`, normally 224.0.0.18) as pseudo-header destination.
    OldUnicast {
        /// The multicast group keepalived ≤ 1.3.6 put in the pseudo-header.
        group: Ipv4Addr,
    },
}

/// Which checksum a received message carries, tried in the order of the variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumVariant {
    /// The standard checksum for the version and family.
    Standard,
    /// VRRPv3 over IPv4 summed without pseudo-header (`v3_checksum_as_v2`).
    AsV2,
    /// VRRPv3 over IPv4 to a unicast address, summed with the multicast group as
    /// pseudo-header destination (keepalived ≤ 1.3.6). The receiver switches its own
    /// sending to this variant unless `old_unicast_checksum never` (spec §3.1).
    OldUnicast,
    /// None matches: counted as a checksum error.
    Bad,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Tells which checksum variant the message carries, given the IP endpoints it arrived
    /// with and the IPv4 multicast group (for the old unicast variant). A message from an
    /// IPv6 socket checked against IPv4 endpoints (or the reverse) is `Bad`.
    ///
    /// A checksum can match two variants by coincidence (when the pseudo-header sums to
    /// zero); the first in declaration order is reported. An instance configured for one
    /// variant should ask [`Packet::verify_checksum`] about that variant.
    pub fn checksum_variant(&self, endpoints: &Endpoints, group: Ipv4Addr) -> ChecksumVariant {
        if endpoints.family() != self.family() {
            return ChecksumVariant::Bad;
        }
        let version = self.version();
        let matches = |mode| self.verify_checksum(endpoints, mode);
        if matches(ChecksumMode::Standard) {
            return ChecksumVariant::Standard;
        }
        let v3_over_ipv4 = version == 3 && self.family() == Family::Ipv4;
        if v3_over_ipv4 && matches(ChecksumMode::AsV2) {
            return ChecksumVariant::AsV2;
        }
        if let Endpoints::V4 { dst, .. } = endpoints {
            if v3_over_ipv4 && *dst != group && matches(ChecksumMode::OldUnicast { group }) {
                return ChecksumVariant::OldUnicast;
            }
        }
        ChecksumVariant::Bad
    }
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Whether the message's checksum is the one `mode` computes for `endpoints` (the way
    /// keepalived checks an instance with `v3_checksum_as_v2`, or `old_unicast_checksum`).
    /// Modes that do not apply (a variant over IPv6, another family) never match.
    pub fn verify_checksum(&self, endpoints: &Endpoints, mode: ChecksumMode) -> bool {
        endpoints.family() == self.family()
            && sum(self.message(), self.version(), endpoints, mode)
                .is_ok_and(|acc| acc.finish() == 0)
    }
}

/// The checksum to write into `message` (whose checksum field is zero).
pub(super) fn compute(
    message: &[u8],
    version: u8,
    endpoints: &Endpoints,
    mode: ChecksumMode,
) -> Result<u16> {
    Ok(sum(message, version, endpoints, mode)?.finish())
}

/// The one's-complement sum of `message` with the pseudo-header `mode` calls for.
fn sum(
    message: &[u8],
    version: u8,
    endpoints: &Endpoints,
    mode: ChecksumMode,
) -> Result<Accumulator> {
    let len = message.len();
    let mut acc = match (*endpoints, version, mode) {
        // RFC 3768 §5.3.8: VRRPv2 over IPv4 has no pseudo-header, whatever the mode.
        (Endpoints::V4 { .. }, 2, _) | (Endpoints::V4 { .. }, _, ChecksumMode::AsV2) => {
            Accumulator::new()
        }
        (Endpoints::V4 { src, dst }, _, ChecksumMode::Standard) => {
            checksum::ipv4_pseudo_header(src, dst, PROTOCOL_VRRP, u16_len(len)?)
        }
        (Endpoints::V4 { src, .. }, _, ChecksumMode::OldUnicast { group }) => {
            checksum::ipv4_pseudo_header(src, group, PROTOCOL_VRRP, u16_len(len)?)
        }
        (Endpoints::V6 { src, dst }, _, ChecksumMode::Standard) => {
            let len = u32::try_from(len).map_err(|_| Error::Unencodable("message too long"))?;
            checksum::ipv6_pseudo_header(src, dst, PROTOCOL_VRRP, len)
        }
        (Endpoints::V6 { .. }, _, _) => {
            return Err(Error::Unencodable(
                "checksum variants only apply to VRRPv3 over IPv4",
            ));
        }
    };
    acc.add(message);
    Ok(acc)
}

fn u16_len(len: usize) -> Result<u16> {
    u16::try_from(len).map_err(|_| Error::Unencodable("message too long"))
}
