//! What arrives at an instance: the inputs of [`crate::Instance::handle`].

use std::net::IpAddr;
use std::time::Duration;

use crate::action::OutgoingAdvert;
use crate::config::{Authentication, InstanceConfig, Version};
use crate::priority::{TrackerId, TrackerStatus};

/// One event for an instance. The daemon (or the simulator) turns sockets, netlink, script
/// results and signals into these.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Leave INIT: run keepalived's startup rules (spec §3.3 `vrrp_init_state`). Also restarts
    /// a stopped instance.
    Start,
    /// An advert decoded for this instance (same interface, family and VRID).
    Advert(ReceivedAdvert),
    /// A packet for this instance that could not be decoded; counted (spec §4.2).
    Malformed(MalformedKind),
    /// The instance's interface went up or down (FAULT while down, spec §3.3).
    LinkChanged {
        /// Whether the interface is now up and running.
        up: bool,
    },
    /// A raw result from a tracked object (spec §3.5).
    Tracker {
        /// Which object.
        id: TrackerId,
        /// Its new raw result.
        status: TrackerStatus,
    },
    /// The configuration was reloaded; the instance keeps its state (spec §5.6 pain point).
    Reload(Box<InstanceConfig>),
    /// Stop the instance (daemon shutdown): priority-0 advert if MASTER, VIPs removed.
    Stop,
    /// Another program removed one of our addresses from the interface (spec §3.3).
    AddressRemovedExternally(IpAddr),
}

/// A decoding failure the daemon saw for this instance's VRID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedKind {
    /// Too short, too long, or the IP total length disagrees (`packet_len_err`).
    Length,
}

/// An advert as the daemon decoded it, before any validation against our configuration.
///
/// Everything `vrrp_check_packet` looks at is here so that keel validates in keepalived's
/// order (spec §3.2); the daemon only decodes and verifies what needs bytes or keys
/// (checksum, AH ICV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAdvert {
    /// The version nibble.
    pub version: Version,
    /// The type nibble; 1 = ADVERTISEMENT.
    pub packet_type: u8,
    /// Virtual Router ID.
    pub vrid: u8,
    /// The sender's priority (0 = the master is stopping).
    pub priority: u8,
    /// v2 `Adver Int` (seconds) or v3 `Max Adver Int` (centiseconds), as a duration.
    pub max_advert_interval: Duration,
    /// The advertised addresses, in packet order.
    pub addresses: Vec<IpAddr>,
    /// Authentication fields (v2; zero/none in v3).
    pub auth: ReceivedAuth,
    /// IP source address.
    pub source: IpAddr,
    /// IP destination address (multicast group or our unicast address).
    pub destination: IpAddr,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl_or_hop_limit: u8,
    /// The checksum as the daemon verified it.
    pub checksum: ChecksumStatus,
}

impl ReceivedAdvert {
    /// The advert a peer decodes from `advert` sent to `destination`, when nothing on the way
    /// changed it: TTL 255, correct checksum, and (for AH) a key that matches. The simulator
    /// and tests use this instead of a wire round trip.
    pub fn from_outgoing(advert: &OutgoingAdvert, destination: IpAddr) -> Self {
        let auth = match advert.authentication {
            Authentication::None => ReceivedAuth::NONE,
            Authentication::Pass(key) => ReceivedAuth {
                ah: None,
                auth_type: 1,
                data: key,
            },
            Authentication::Ah(_) => ReceivedAuth {
                ah: Some(AhStatus::Valid),
                auth_type: 2,
                data: [0; 8],
            },
        };
        ReceivedAdvert {
            version: advert.version,
            packet_type: 1,
            vrid: advert.vrid,
            priority: advert.priority,
            max_advert_interval: advert.advert_interval,
            addresses: advert.addresses.to_vec(),
            auth,
            source: advert.source,
            destination,
            ttl_or_hop_limit: 255,
            checksum: ChecksumStatus::Valid,
        }
    }
}

/// The v2 authentication part of an advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedAuth {
    /// The IP protocol was AH (51); the daemon's ICV verdict with this instance's key.
    pub ah: Option<AhStatus>,
    /// The VRRPv2 `Auth Type` field (0 in v3).
    pub auth_type: u8,
    /// The 8 authentication data bytes (v2; zeros otherwise).
    pub data: [u8; 8],
}

impl ReceivedAuth {
    /// No authentication: plain protocol 112, type 0.
    pub const NONE: ReceivedAuth = ReceivedAuth {
        ah: None,
        auth_type: 0,
        data: [0; 8],
    };
}

/// The daemon's verdict on an AH header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AhStatus {
    /// Next header is VRRP and the HMAC-MD5-96 ICV matches our key.
    Valid,
    /// Next header is VRRP but the ICV does not match.
    Invalid,
    /// The AH header protects some other protocol: not for us.
    OtherProtocol,
}

/// The daemon's verdict on the VRRP checksum (spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// Correct (IPv6: the kernel checked it).
    Valid,
    /// v3/IPv4 unicast: correct only with the multicast group as pseudo-header destination
    /// (keepalived ≤ 1.3.6 senders).
    ValidOldUnicast,
    /// Wrong.
    Invalid,
}
