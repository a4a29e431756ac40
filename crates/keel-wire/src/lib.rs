//! keel-wire: the bytes on the wire.
//!
//! Codecs for VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798, RFC 9568) over IPv4 and IPv6, the
//! IPsec AH and PASS authentication keepalived speaks, and the ARP and ICMPv6 neighbour
//! advertisement frames used for gratuitous announcements. Each format is a checked view
//! over bytes plus a plain `Repr` of values (smoltcp style). Decoding never panics.
//!
//! This is the lowest layer of keel: it knows nothing of instances, timers or sockets.
//! The daemon's socket code turns received bytes into a [`vrrp::Repr`] (through
//! [`advert::Ipv4Advert`] for IPv4, [`vrrp::Packet`] directly for IPv6) and the
//! [`vrrp::ChecksumVariant`] they carry; keel-vrrp decides what they mean. The other way,
//! [`advert::emit_ipv4`], [`arp::emit_gratuitous`] and [`ndisc::emit_unsolicited_na`]
//! produce the exact bytes keepalived 2.2.7 sends (spec §3.1, §3.9), and
//! [`frame::emit_advert_frame`] the whole Ethernet frame of a multicast advert, for the
//! daemon's packet-socket send path.
//!
//! [`bfd`] is the BFD control packet (RFC 5880 §4.1) keepalived's BFD process exchanges
//! over UDP (RFC 5881, RFC 5883).
//!
//! Every decoding failure is an [`Error`] value; [`Error::counter`] names the keepalived
//! statistics counter it feeds (spec §4.2).
#![warn(missing_docs)]

pub mod advert;
pub mod arp;
pub mod auth;
pub mod bfd;
pub mod checksum;
mod error;
pub mod ethernet;
pub mod frame;
pub mod ipv4;
pub mod ipv6;
pub mod ndisc;
pub mod tcp;
pub mod vrrp;

pub use error::{Counter, Error, Result};
