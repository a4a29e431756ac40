//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), not part of the API.
//!
//! Each function runs one decoder of bytes a checked server (or a tracked file) sends back,
//! exactly as the probe runs it, and checks what must hold for any input besides not
//! panicking.

use crate::http::{HttpResponse, ResponseReader, UrlCheck, judge, parse_digest};
use crate::udp::{ReplyPattern, UdpSpec, judge_reply, parse_payload};

/// An HTTP response as the server sent it, read in pieces of `chunk` bytes: the result is
/// the same as reading it in one piece, and judging it against a url block with a status
/// range, a digest and a regex never panics.
pub fn http_response(response: &[u8], chunk: usize) -> Option<HttpResponse> {
    let whole = read_response(response, response.len().max(1));
    let pieces = read_response(response, chunk.max(1));
    assert_eq!(whole, pieces, "the response depends on how reads split it");
    let response = whole?;
    let mut url = UrlCheck::new("/");
    let digest = parse_digest(&crate::http::hex(&response.digest));
    assert_eq!(digest, Some(response.digest), "digest text round trip");
    // keepalived accepts several digest lines per url; a second, different one must not
    // stop the matching one from passing.
    url.digests = digest.into_iter().chain([[0xa5; 16]]).collect();
    // Compiled once: a regex per input would make the target a regex-compiler benchmark.
    static PATTERN: std::sync::OnceLock<Option<crate::http::Pattern>> = std::sync::OnceLock::new();
    url.regex = PATTERN
        .get_or_init(|| crate::http::Pattern::new("(?i)ok|alive").ok())
        .clone();
    url.regex_min_offset = chunk % 64;
    let _ = judge(&url, &response);
    Some(response)
}

/// `require_reply` hex text and a UDP reply: the pattern matches its own bytes, a payload
/// round-trips through its hex text, and judging the reply never panics.
pub fn udp_reply(pattern_text: &str, reply: &[u8]) {
    if let Some(pattern) = ReplyPattern::parse(pattern_text) {
        assert!(
            pattern.matches(&pattern.data),
            "{pattern:?} against its own bytes"
        );
        let spec = UdpSpec {
            reply: Some(pattern),
            min_reply_length: reply.len() % 7,
            ..UdpSpec::default()
        };
        let _ = judge_reply(&spec, reply);
    }
    let _ = parse_payload(pattern_text);
    if !reply.is_empty() {
        let hex = crate::http::hex(reply);
        assert_eq!(
            parse_payload(&hex).as_deref(),
            Some(reply),
            "payload round trip"
        );
    }
}

/// A datagram on a DNS_CHECK socket, checked against the query id in its first two bytes
/// and against another id.
pub fn dns_reply(datagram: &[u8]) {
    let id = datagram
        .get(..2)
        .map_or(0, |bytes| u16::from_be_bytes([bytes[0], bytes[1]]));
    let _ = crate::dns::reply_code(datagram, id);
    let _ = crate::dns::reply_code(datagram, id.wrapping_add(1));
}

/// A datagram on a PING_CHECK raw socket (IPv4 with its header, or ICMPv6 without):
/// whether it answers echo 1/1 as IPv4 with and without an identifier check, and as ICMPv6.
/// An IPv4 reply that matches the identifier also matches without it.
pub fn ping_reply(datagram: &[u8]) -> [bool; 3] {
    let (with_id, without_id) =
        crate::ping::strip_ipv4_header(datagram).map_or((false, false), |message| {
            (
                crate::ping::is_reply(message, false, Some(1), 1),
                crate::ping::is_reply(message, false, None, 1),
            )
        });
    assert!(!with_id || without_id);
    [
        with_id,
        without_id,
        crate::ping::is_reply(datagram, true, Some(1), 1),
    ]
}

/// One line of an SMTP_CHECK server's reply: its code and whether the reply continues.
pub fn smtp_reply_line(line: &[u8]) -> (Option<u16>, bool) {
    crate::smtp::reply_line(line)
}

/// A FILE_CHECK file's content, read like `strtol`.
pub fn file_value(content: &[u8]) -> i64 {
    crate::file::leading_integer(content)
}

fn read_response(response: &[u8], chunk: usize) -> Option<HttpResponse> {
    let mut reader = ResponseReader::default();
    response.chunks(chunk).for_each(|piece| reader.push(piece));
    reader.finish().ok()
}
