//! keel-wire: the bytes on the wire.
//!
//! Codecs for VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798, RFC 9568) over IPv4 and IPv6, the
//! IPsec AH and PASS authentication keepalived speaks, and the ARP and ICMPv6 neighbour
//! advertisement frames used for gratuitous announcements. Each format is a checked view
//! over bytes plus a plain `Repr` of values (smoltcp style). Decoding never panics.
#![warn(missing_docs)]
