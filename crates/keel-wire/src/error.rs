//! The one error type of keel-wire.
//!
//! Every way a packet from the network can be wrong is a value here, never a panic. The
//! receive path counts them: each variant names the keepalived statistics counter it feeds
//! (spec §4.2, `keepalived.stats`), so the daemon can keep keepalived's numbers.

/// Why bytes could not be decoded, or a [`Repr`](crate::vrrp::Repr) could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The buffer ends before the header, the addresses or the payload it announces.
    /// Counted as `Packet Errors: Length`.
    #[error("truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// Bytes the header says must be there.
        needed: usize,
        /// Bytes the buffer holds.
        available: usize,
    },
    /// A length field contradicts itself (an IPv4 header length under 20 bytes, a total
    /// length shorter than the header, an option of length 0). Counted as
    /// `Packet Errors: Length`.
    #[error("bad length: {0}")]
    BadLength(&'static str),
    /// The IP or VRRP version nibble is not one this codec speaks (VRRP 2 or 3, IP 4 or 6).
    /// keepalived counts a VRRP version mismatch in its SNMP `vers_err`.
    #[error("unsupported version {0}")]
    BadVersion(u8),
    /// The VRRP type is not 1 (ADVERTISEMENT, RFC 5798 §5.2.2), or an ICMPv6/ARP message is
    /// not the one expected. Counted as `Packet Errors: Invalid Type`.
    #[error("unexpected message type {0}")]
    BadType(u8),
    /// The VRRPv2 authentication type is not 0 (none), 1 (PASS) or 2 (AH).
    /// Counted as `Authentication Errors: Invalid Type`.
    #[error("unknown VRRPv2 authentication type {0}")]
    BadAuthType(u8),
    /// The VRRP (or ICMPv6) checksum matches none of the accepted variants. keepalived
    /// counts it in its SNMP `chk_err`.
    #[error("bad checksum")]
    BadChecksum,
    /// The IPv4 header checksum is wrong (the kernel drops these before a raw socket sees
    /// them; packet-socket and capture input can still carry them).
    #[error("bad IPv4 header checksum")]
    BadIpChecksum,
    /// The IP protocol (or the AH next header) is neither VRRP (112) nor AH (51).
    #[error("unexpected IP protocol {0}")]
    BadProtocol(u8),
    /// The datagram is a fragment; VRRP adverts are never fragmented (DF is clear only
    /// because they are far smaller than any MTU).
    #[error("IPv4 fragment")]
    Fragmented,
    /// The IPsec AH ICV does not match, or the SPI is not the sender's address (spec §3.1).
    /// Counted as `Authentication Errors: Failure`.
    #[error("authentication failure")]
    AuthFailure,
    /// The message is well formed but uses a variant keel does not speak (an ARP hardware
    /// type other than Ethernet, for example).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// A `Repr` holds values that cannot be put on the wire (more than 255 addresses, a
    /// VRRPv3 interval over 4095 centiseconds, an address family that differs from the IP
    /// endpoints, a buffer of the wrong size).
    #[error("cannot encode: {0}")]
    Unencodable(&'static str),
    /// A field holds a value its protocol forbids (a BFD detect multiplier of 0, a zero
    /// discriminator, the multipoint bit; RFC 5880 §6.8.6 says to discard such packets).
    #[error("invalid field: {0}")]
    Invalid(&'static str),
}

/// The keepalived statistics counter a decoding failure feeds (spec §4.2, §4.3), named by
/// its `keepalived.json` key. Failures the codec cannot attribute to one instance's
/// configuration — a TTL, an interval or an address-list mismatch — are judged by the
/// instance, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// `packet_len_err` (`Packet Errors: Length`).
    PacketLenErr,
    /// `invalid_type_rcvd` (`Packet Errors: Invalid Type`).
    InvalidTypeRcvd,
    /// `invalid_authtype` (`Authentication Errors: Invalid Type`).
    InvalidAuthtype,
    /// `auth_failure` (`Authentication Errors: Failure`).
    AuthFailure,
    /// `chk_err`: counted by keepalived for SNMP only.
    ChkErr,
    /// `vers_err`: counted by keepalived for SNMP only.
    VersErr,
}

impl Counter {
    /// The counter's key in `keepalived.json`.
    pub fn key(self) -> &'static str {
        match self {
            Counter::PacketLenErr => "packet_len_err",
            Counter::InvalidTypeRcvd => "invalid_type_rcvd",
            Counter::InvalidAuthtype => "invalid_authtype",
            Counter::AuthFailure => "auth_failure",
            Counter::ChkErr => "chk_err",
            Counter::VersErr => "vers_err",
        }
    }
}

impl Error {
    /// Which keepalived counter this failure feeds when an instance's packet fails to
    /// decode; `None` for failures keepalived drops uncounted (a wrong IP protocol or
    /// header checksum never reaches its VRRP socket) and for encoding errors.
    pub fn counter(&self) -> Option<Counter> {
        match self {
            Error::Truncated { .. } | Error::BadLength(_) => Some(Counter::PacketLenErr),
            Error::BadVersion(_) => Some(Counter::VersErr),
            Error::BadType(_) => Some(Counter::InvalidTypeRcvd),
            Error::BadAuthType(_) => Some(Counter::InvalidAuthtype),
            Error::BadChecksum => Some(Counter::ChkErr),
            Error::AuthFailure => Some(Counter::AuthFailure),
            Error::BadIpChecksum
            | Error::BadProtocol(_)
            | Error::Fragmented
            | Error::Unsupported(_)
            | Error::Unencodable(_)
            | Error::Invalid(_) => None,
        }
    }
}

/// The result type of every fallible keel-wire function.
pub type Result<T> = core::result::Result<T, Error>;

/// Fails with [`Error::Truncated`] unless `available >= needed`.
#[inline]
pub(crate) fn need(needed: usize, available: usize) -> Result<()> {
    if available < needed {
        Err(Error::Truncated { needed, available })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a truncated advert, a wrong type, an unknown auth type, a bad AH ICV.
    // Output: the keepalived.json counters packet_len_err, invalid_type_rcvd,
    // invalid_authtype, auth_failure; an IP-level failure feeds none.
    #[test]
    fn failures_name_keepalived_counters() {
        let cases = [
            (
                Error::Truncated {
                    needed: 24,
                    available: 20,
                },
                Some("packet_len_err"),
            ),
            (Error::BadType(2), Some("invalid_type_rcvd")),
            (Error::BadAuthType(3), Some("invalid_authtype")),
            (Error::AuthFailure, Some("auth_failure")),
            (Error::BadProtocol(17), None),
        ];
        for (error, key) in cases {
            assert_eq!(error.counter().map(Counter::key), key, "{error}");
        }
    }
}
