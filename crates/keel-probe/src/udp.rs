//! `UDP_CHECK` (spec §2.7): send `payload` on a connected UDP socket and judge what comes
//! back within `connect_timeout`.
//!
//! keepalived compat (`check_udp.c`, `layer4.c`):
//! - An ICMP error (port unreachable, ...) reported on the socket means down.
//! - Silence means *up* unless `require_reply` is set (then it means down).
//! - With `require_reply HEX`, the reply's length must lie in
//!   `min_reply_length..=max_reply_length`, and the first min(reply, pattern) bytes must
//!   equal the pattern, except nibbles written `x` (wildcards). Without HEX, any reply
//!   passes and the lengths are not checked.

use crate::ProbeRequest;
use crate::error::{ProbeError, io_error};
use crate::socket::connect_udp;

/// `UDP_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpSpec {
    /// `payload`: the datagram sent (may be empty).
    pub payload: Vec<u8>,
    /// `require_reply`: silence is a failure.
    pub require_reply: bool,
    /// The HEX of `require_reply`, if any.
    pub reply: Option<ReplyPattern>,
    /// `min_reply_length` (default 0).
    pub min_reply_length: usize,
    /// `max_reply_length` (default 255).
    pub max_reply_length: usize,
}

impl Default for UdpSpec {
    fn default() -> Self {
        UdpSpec {
            payload: Vec::new(),
            require_reply: false,
            reply: None,
            min_reply_length: 0,
            max_reply_length: 255,
        }
    }
}

/// Expected reply bytes with wildcard nibbles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyPattern {
    /// The expected bytes (wildcard nibbles are 0 here).
    pub data: Vec<u8>,
    /// Per byte, the bits that are wildcards (`0xf0` for `x5`).
    pub wildcards: Vec<u8>,
}

impl ReplyPattern {
    /// Parses keepalived's hex syntax: pairs of hex digits, `x`/`X` for a wildcard nibble,
    /// blanks ignored. `None` for an odd number of nibbles or another character.
    pub fn parse(text: &str) -> Option<Self> {
        let nibbles: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        if nibbles.is_empty() || nibbles.len() % 2 != 0 {
            return None;
        }
        let mut pattern = ReplyPattern {
            data: Vec::with_capacity(nibbles.len() / 2),
            wildcards: Vec::with_capacity(nibbles.len() / 2),
        };
        // The length is even (checked above), so every chunk has two nibbles.
        for pair in nibbles.chunks(2) {
            let (high, high_wild) = nibble(pair[0])?;
            let (low, low_wild) = nibble(pair[1])?;
            pattern.data.push(high << 4 | low);
            pattern.wildcards.push(high_wild << 4 | low_wild);
        }
        Some(pattern)
    }

    /// Whether `reply` matches over the shorter of the two lengths (keepalived compat).
    pub fn matches(&self, reply: &[u8]) -> bool {
        reply
            .iter()
            .zip(self.data.iter().zip(&self.wildcards))
            .all(|(got, (want, wild))| (got ^ want) & !wild == 0)
    }
}

/// Parses a payload's hex string (no wildcards).
pub fn parse_payload(text: &str) -> Option<Vec<u8>> {
    let pattern = ReplyPattern::parse(text)?;
    pattern
        .wildcards
        .iter()
        .all(|&wild| wild == 0)
        .then_some(pattern.data)
}

fn nibble(c: char) -> Option<(u8, u8)> {
    match c {
        'x' | 'X' => Some((0, 0xf)),
        _ => c.to_digit(16).map(|value| (value as u8, 0)),
    }
}

pub(crate) async fn check(request: &ProbeRequest, spec: &UdpSpec) -> Result<(), ProbeError> {
    let socket = connect_udp(request).await?;
    socket
        .send(&spec.payload)
        .await
        .map_err(io_error("UDP send"))?;
    let mut buffer = vec![0u8; spec.max_reply_length + 1];
    let received = tokio::time::timeout(request.connect_timeout, socket.recv(&mut buffer)).await;
    match received {
        Err(_) if spec.require_reply => Err(ProbeError::Timeout {
            step: "UDP reply",
            timeout: request.connect_timeout,
        }),
        Err(_) => Ok(()),
        Ok(Err(error)) => Err(ProbeError::Io {
            step: "UDP receive",
            source: error,
        }),
        Ok(Ok(length)) => judge_reply(spec, &buffer[..length]),
    }
}

pub(crate) fn judge_reply(spec: &UdpSpec, reply: &[u8]) -> Result<(), ProbeError> {
    let Some(pattern) = &spec.reply else {
        return Ok(());
    };
    if reply.len() < spec.min_reply_length || reply.len() > spec.max_reply_length {
        return Err(ProbeError::BadReply(format!(
            "UDP reply length {} outside {}..={}",
            reply.len(),
            spec.min_reply_length,
            spec.max_reply_length
        )));
    }
    if !pattern.matches(reply) {
        return Err(ProbeError::BadReply("UDP reply data mismatch".to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_nibbles_match_anything() {
        // Input: require_reply "4fxx 4b" against "OK!" variants.
        // Output: bytes 0 and 2 must be exact; byte 1 is free.
        let pattern = ReplyPattern::parse("4fxx 4b").expect("valid pattern");
        assert!(pattern.matches(b"O\x00K"));
        assert!(pattern.matches(b"O\xffK trailing bytes are not compared"));
        assert!(!pattern.matches(b"o\x00K"));
        assert!(
            pattern.matches(b"O"),
            "a shorter reply is compared over its length"
        );
        let half = ReplyPattern::parse("x1").expect("valid pattern");
        assert!(half.matches(&[0xa1]) && !half.matches(&[0xa2]));
    }

    #[test]
    fn bad_hex_is_rejected() {
        // Input: odd nibble counts, foreign characters, wildcards in a payload.
        // Output: None, never a panic.
        assert_eq!(ReplyPattern::parse("abc"), None);
        assert_eq!(ReplyPattern::parse("zz"), None);
        assert_eq!(ReplyPattern::parse(""), None);
        assert_eq!(parse_payload("0x"), None);
        assert_eq!(parse_payload("de ad"), Some(vec![0xde, 0xad]));
    }

    #[test]
    fn reply_lengths_are_checked_only_with_a_pattern() {
        // Input: a 3-byte reply; min_reply_length 4 with and without a pattern.
        // Output: fails with the pattern, passes without it (keepalived compat).
        let mut spec = UdpSpec {
            require_reply: true,
            min_reply_length: 4,
            ..UdpSpec::default()
        };
        assert!(judge_reply(&spec, b"abc").is_ok());
        spec.reply = ReplyPattern::parse("616263");
        assert!(judge_reply(&spec, b"abc").is_err());
        spec.min_reply_length = 0;
        assert!(judge_reply(&spec, b"abc").is_ok());
    }
}
