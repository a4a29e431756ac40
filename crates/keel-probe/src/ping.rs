//! `PING_CHECK` (spec §2.7): one ICMP echo (IPv4) or ICMPv6 echo to the target, up iff
//! the matching echo reply arrives within `connect_timeout`.
//!
//! A raw socket is used when allowed (root, or CAP_NET_RAW); otherwise a kernel "ping"
//! datagram socket (`net.ipv4.ping_group_range`). On a raw socket every ICMP message of
//! the host is seen, so replies are matched on identifier and sequence; the socket is
//! connected to the target so the kernel filters the source address. A datagram socket
//! gets its identifier from the kernel, which also filters replies, so the sequence is
//! matched alone.

use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read};
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::ProbeRequest;
use crate::error::{ProbeError, io_error, within};
use crate::socket::apply_options;

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
const PAYLOAD: &[u8] = b"keel PING_CHECK keepalive probe.";

pub(crate) async fn check(request: &ProbeRequest) -> Result<(), ProbeError> {
    let target = SocketAddr::new(request.target.ip(), 0);
    let v6 = target.is_ipv6();
    let (socket, raw) = open(v6)?;
    apply_options(&SockRef::from(&socket), request)?;
    if let Some(bind) = request.bind {
        socket
            .bind(&SockAddr::from(SocketAddr::new(bind.ip(), 0)))
            .map_err(ProbeError::Setup)?;
    }
    socket.set_nonblocking(true).map_err(ProbeError::Setup)?;
    socket
        .connect(&SockAddr::from(target))
        .map_err(ProbeError::Connect)?;
    // AsyncFd takes the Socket by value and owns its descriptor until dropped, so the
    // I/O-safety concern behind the deprecation (a borrowed fd closed while registered)
    // cannot arise here.
    #[allow(deprecated)]
    let socket = AsyncFd::new(socket).map_err(ProbeError::Setup)?;

    let random = RandomState::new().hash_one(target);
    let identifier = random as u16;
    let sequence = (random >> 16) as u16;
    let packet = echo_request(v6, identifier, sequence);
    within(request.connect_timeout, "ICMP echo", async {
        socket
            .async_io(tokio::io::Interest::WRITABLE, |inner| inner.send(&packet))
            .await
            .map_err(io_error("ICMP send"))?;
        let mut buffer = [0u8; 2048];
        loop {
            let count = socket
                .async_io(tokio::io::Interest::READABLE, |inner| {
                    let mut reader: &Socket = inner;
                    reader.read(&mut buffer)
                })
                .await
                .map_err(io_error("ICMP receive"))?;
            let message = if raw && !v6 {
                strip_ipv4_header(&buffer[..count])
            } else {
                Some(&buffer[..count])
            };
            let expected_identifier = raw.then_some(identifier);
            if message.is_some_and(|m| is_reply(m, v6, expected_identifier, sequence)) {
                return Ok(());
            }
        }
    })
    .await
}

fn open(v6: bool) -> Result<(Socket, bool), ProbeError> {
    let (domain, protocol) = if v6 {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    match Socket::new(domain, Type::RAW, Some(protocol)) {
        Ok(socket) => Ok((socket, true)),
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            Socket::new(domain, Type::DGRAM, Some(protocol))
                .map(|socket| (socket, false))
                .map_err(ProbeError::Setup)
        }
        Err(error) => Err(ProbeError::Setup(error)),
    }
}

/// An echo request. The ICMPv6 checksum is left 0: the kernel fills it (RFC 3542 §3.1).
fn echo_request(v6: bool, identifier: u16, sequence: u16) -> Vec<u8> {
    let mut packet = vec![if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 }, 0, 0, 0];
    packet.extend_from_slice(&identifier.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(PAYLOAD);
    if !v6 {
        let checksum = internet_checksum(&packet);
        packet[2..4].copy_from_slice(&checksum.to_be_bytes());
    }
    packet
}

/// RFC 1071 one's-complement sum.
fn internet_checksum(bytes: &[u8]) -> u16 {
    // chunks(2) never yields an empty slice, so pair[0] exists.
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The ICMP message inside an IPv4 datagram as a raw socket delivers it.
pub(crate) fn strip_ipv4_header(datagram: &[u8]) -> Option<&[u8]> {
    let header_length = usize::from(datagram.first()? & 0x0f) * 4;
    datagram.get(header_length..)
}

pub(crate) fn is_reply(message: &[u8], v6: bool, identifier: Option<u16>, sequence: u16) -> bool {
    let Some(header) = message.get(..8) else {
        return false;
    };
    let reply_type = if v6 { ECHO_REPLY_V6 } else { ECHO_REPLY_V4 };
    header[0] == reply_type
        && header[1] == 0
        && identifier.is_none_or(|id| header[4..6] == id.to_be_bytes())
        && header[6..8] == sequence.to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksums_to_zero() {
        // Input: an IPv4 echo request. Output: summing it with its checksum gives 0 (RFC 1071).
        let packet = echo_request(false, 0x1234, 7);
        assert_eq!(packet[0], ECHO_REQUEST_V4);
        assert_eq!(internet_checksum(&packet), 0);
    }

    #[test]
    fn only_the_matching_reply_counts() {
        // Input: replies with the right and wrong identifier/sequence, a request, a stub.
        // Output: only the exact reply matches.
        let mut reply = echo_request(false, 0x1234, 7);
        reply[0] = ECHO_REPLY_V4;
        assert!(is_reply(&reply, false, Some(0x1234), 7));
        assert!(is_reply(&reply, false, None, 7));
        assert!(!is_reply(&reply, false, Some(0x1235), 7));
        assert!(!is_reply(&reply, false, Some(0x1234), 8));
        assert!(!is_reply(
            &echo_request(false, 0x1234, 7),
            false,
            Some(0x1234),
            7
        ));
        assert!(!is_reply(&reply[..5], false, None, 7));
        assert_eq!(strip_ipv4_header(&[0x4f]), None);
    }
}
