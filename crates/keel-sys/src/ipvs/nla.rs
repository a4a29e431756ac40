//! Generic netlink messages written by hand: a builder for requests and a checked reader
//! for the kernel's answers.
//!
//! Layout (netlink(7), genetlink.h), all integers in host order unless an attribute says
//! otherwise:
//!
//! ```text
//! 0               4       6       8               12              16  17  18      20
//! +---------------+-------+-------+---------------+---------------+---+---+-------+----
//! | nlmsg_len     | type  | flags | seq           | pid           |cmd|ver| rsvd  | attributes…
//! +---------------+-------+-------+---------------+---------------+---+---+-------+----
//! attribute: | nla_len u16 | nla_type u16 | payload | padding to 4 |
//! ```

use crate::error::{Error, Result};

use super::uapi::{NLA_F_NESTED, NLA_TYPE_MASK, NLMSG_DONE, NLMSG_ERROR};

const NLMSG_HEADER_LEN: usize = 16;
const GENL_HEADER_LEN: usize = 4;
const NLA_HEADER_LEN: usize = 4;

/// Builds one generic netlink request.
#[derive(Debug)]
pub(crate) struct Request {
    bytes: Vec<u8>,
    open_nests: Vec<usize>,
    seq: u32,
}

impl Request {
    /// A request to `family` (the resolved id) carrying command `cmd`.
    pub(crate) fn new(family: u16, flags: u16, seq: u32, cmd: u8, version: u8) -> Request {
        let mut bytes = Vec::with_capacity(128);
        bytes.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_len, fixed in finish()
        bytes.extend_from_slice(&family.to_ne_bytes());
        bytes.extend_from_slice(&flags.to_ne_bytes());
        bytes.extend_from_slice(&seq.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes()); // pid: the kernel fills in ours
        bytes.extend_from_slice(&[cmd, version, 0, 0]);
        Request {
            bytes,
            open_nests: Vec::new(),
            seq,
        }
    }

    /// The sequence number the kernel's answer will carry.
    pub(crate) fn seq(&self) -> u32 {
        self.seq
    }

    /// Appends an attribute with a raw payload.
    pub(crate) fn put(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        let len = (NLA_HEADER_LEN + payload.len()) as u16;
        self.bytes.extend_from_slice(&len.to_ne_bytes());
        self.bytes.extend_from_slice(&kind.to_ne_bytes());
        self.bytes.extend_from_slice(payload);
        self.pad();
        self
    }

    pub(crate) fn put_u8(&mut self, kind: u16, value: u8) -> &mut Self {
        self.put(kind, &[value])
    }

    pub(crate) fn put_u16(&mut self, kind: u16, value: u16) -> &mut Self {
        self.put(kind, &value.to_ne_bytes())
    }

    /// A port or other `__be16`.
    pub(crate) fn put_be16(&mut self, kind: u16, value: u16) -> &mut Self {
        self.put(kind, &value.to_be_bytes())
    }

    pub(crate) fn put_u32(&mut self, kind: u16, value: u32) -> &mut Self {
        self.put(kind, &value.to_ne_bytes())
    }

    /// A NUL-terminated string (`NLA_NUL_STRING`).
    pub(crate) fn put_str(&mut self, kind: u16, value: &str) -> &mut Self {
        let mut payload = Vec::with_capacity(value.len() + 1);
        payload.extend_from_slice(value.as_bytes());
        payload.push(0);
        self.put(kind, &payload)
    }

    /// Opens a nested attribute; everything put until [`Request::end_nested`] goes inside.
    pub(crate) fn begin_nested(&mut self, kind: u16) -> &mut Self {
        self.open_nests.push(self.bytes.len());
        self.bytes.extend_from_slice(&0u16.to_ne_bytes());
        self.bytes
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        self
    }

    /// Closes the innermost nested attribute.
    pub(crate) fn end_nested(&mut self) -> &mut Self {
        if let Some(start) = self.open_nests.pop() {
            let len = (self.bytes.len() - start) as u16;
            self.bytes[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    /// The finished message, its length field set.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        while !self.open_nests.is_empty() {
            self.end_nested();
        }
        let len = self.bytes.len() as u32;
        self.bytes[0..4].copy_from_slice(&len.to_ne_bytes());
        self.bytes
    }

    fn pad(&mut self) {
        while self.bytes.len() % 4 != 0 {
            self.bytes.push(0);
        }
    }
}

/// One netlink message of a kernel answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply<'a> {
    /// A data message: the generic netlink command and its attributes.
    Data {
        /// Sequence number it answers.
        seq: u32,
        /// `genlmsghdr.cmd`.
        cmd: u8,
        /// The attribute bytes after the generic header.
        attributes: &'a [u8],
    },
    /// `NLMSG_ERROR`: `errno` 0 is an acknowledgement, otherwise a positive errno.
    Error {
        /// Sequence number it answers.
        seq: u32,
        /// Positive errno, or 0 for an ACK.
        errno: i32,
    },
    /// `NLMSG_DONE`: the end of a dump.
    Done {
        /// Sequence number it answers.
        seq: u32,
    },
    /// Any other message type (ignored by callers).
    Other,
}

/// Splits one received datagram into its messages. Truncated or inconsistent lengths are
/// an error value, never a panic.
pub(crate) fn replies(datagram: &[u8]) -> Result<Vec<Reply<'_>>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= NLMSG_HEADER_LEN {
        let len = u32_at(rest, 0)? as usize;
        if len < NLMSG_HEADER_LEN || len > rest.len() {
            return Err(malformed(format!(
                "message length {len} of {} bytes",
                rest.len()
            )));
        }
        let kind = u16_at(rest, 4)?;
        let seq = u32_at(rest, 8)?;
        let body = &rest[NLMSG_HEADER_LEN..len];
        out.push(match kind {
            NLMSG_ERROR => {
                let error = i32::from_ne_bytes(
                    body.get(0..4)
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(|| malformed("short NLMSG_ERROR".into()))?,
                );
                Reply::Error {
                    seq,
                    errno: error.saturating_neg(),
                }
            }
            NLMSG_DONE => Reply::Done { seq },
            kind if kind >= 0x10 => {
                if body.len() < GENL_HEADER_LEN {
                    return Err(malformed("generic netlink header missing".into()));
                }
                Reply::Data {
                    seq,
                    cmd: body[0],
                    attributes: &body[GENL_HEADER_LEN..],
                }
            }
            _ => Reply::Other,
        });
        rest = &rest[align(len).min(rest.len())..];
    }
    Ok(out)
}

/// Iterates over the attributes in `bytes` as `(type, payload)`, the nested and
/// byte-order flags masked off. A malformed attribute ends the walk with an error.
pub(crate) fn attributes(bytes: &[u8]) -> Attributes<'_> {
    Attributes { rest: bytes }
}

/// Iterator returned by [`attributes`].
#[derive(Debug)]
pub(crate) struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<(u16, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HEADER_LEN {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HEADER_LEN || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(malformed(format!("attribute {kind} length {len}"))));
        }
        let payload = &self.rest[NLA_HEADER_LEN..len];
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some(Ok((kind, payload)))
    }
}

/// Typed reads of attribute payloads; a wrong size is an error.
pub(crate) fn u8_of(kind: u16, payload: &[u8]) -> Result<u8> {
    payload
        .first()
        .copied()
        .ok_or_else(|| malformed(format!("attribute {kind}: empty")))
}

pub(crate) fn u16_of(kind: u16, payload: &[u8]) -> Result<u16> {
    Ok(u16::from_ne_bytes(sized(kind, payload)?))
}

pub(crate) fn be16_of(kind: u16, payload: &[u8]) -> Result<u16> {
    Ok(u16::from_be_bytes(sized(kind, payload)?))
}

pub(crate) fn u32_of(kind: u16, payload: &[u8]) -> Result<u32> {
    Ok(u32::from_ne_bytes(sized(kind, payload)?))
}

pub(crate) fn str_of(kind: u16, payload: &[u8]) -> Result<String> {
    let end = payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len());
    std::str::from_utf8(&payload[..end])
        .map(str::to_owned)
        .map_err(|_| malformed(format!("attribute {kind}: not UTF-8")))
}

pub(crate) fn sized<const N: usize>(kind: u16, payload: &[u8]) -> Result<[u8; N]> {
    payload
        .get(..N)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| {
            malformed(format!(
                "attribute {kind}: {} bytes, want {N}",
                payload.len()
            ))
        })
}

pub(crate) fn malformed(detail: String) -> Error {
    Error::Malformed {
        what: "generic netlink message",
        detail,
    }
}

fn align(len: usize) -> usize {
    (len + 3) & !3
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16> {
    sized::<2>(0, bytes.get(at..).unwrap_or_default()).map(u16::from_ne_bytes)
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    sized::<4>(0, bytes.get(at..).unwrap_or_default()).map(u32::from_ne_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a request with one u16 attribute and one nested string.
    // Output: lengths, padding and the nested flag exactly as netlink(7) lays them out.
    #[test]
    fn request_layout_is_byte_exact() {
        let mut request = Request::new(0x1234, 0x0005, 7, 3, 1);
        request.put_u16(1, 2);
        request.begin_nested(2).put_str(6, "rr").end_nested();
        let bytes = request.finish();
        let mut expected = Vec::new();
        expected.extend_from_slice(&40u32.to_ne_bytes());
        expected.extend_from_slice(&0x1234u16.to_ne_bytes());
        expected.extend_from_slice(&5u16.to_ne_bytes());
        expected.extend_from_slice(&7u32.to_ne_bytes());
        expected.extend_from_slice(&0u32.to_ne_bytes());
        expected.extend_from_slice(&[3, 1, 0, 0]);
        expected.extend_from_slice(&6u16.to_ne_bytes());
        expected.extend_from_slice(&1u16.to_ne_bytes());
        expected.extend_from_slice(&[2, 0, 0, 0]); // u16 value (host order) + 2 padding
        expected.extend_from_slice(&12u16.to_ne_bytes());
        expected.extend_from_slice(&(2u16 | 0x8000).to_ne_bytes());
        expected.extend_from_slice(&7u16.to_ne_bytes());
        expected.extend_from_slice(&6u16.to_ne_bytes());
        expected.extend_from_slice(b"rr\0\0"); // "rr" NUL + 1 padding
        assert_eq!(bytes, expected);
    }

    // Input: attribute bytes whose length field runs past the end.
    // Output: an error value, not a panic; a good attribute before it is still returned.
    #[test]
    fn truncated_attribute_is_an_error() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&8u16.to_ne_bytes());
        bytes.extend_from_slice(&4u16.to_ne_bytes());
        bytes.extend_from_slice(&80u32.to_ne_bytes());
        bytes.extend_from_slice(&40u16.to_ne_bytes());
        bytes.extend_from_slice(&5u16.to_ne_bytes());
        let found: Vec<_> = attributes(&bytes).collect();
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].as_ref().ok(),
            Some(&(4u16, &80u32.to_ne_bytes()[..]))
        );
        assert!(found[1].is_err());
    }

    // Input: an NLMSG_ERROR carrying -ENOENT, then a truncated message.
    // Output: errno 2 for the first; the second is reported as malformed.
    #[test]
    fn kernel_errors_and_truncation() {
        let mut datagram = Vec::new();
        datagram.extend_from_slice(&20u32.to_ne_bytes());
        datagram.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        datagram.extend_from_slice(&0u16.to_ne_bytes());
        datagram.extend_from_slice(&9u32.to_ne_bytes());
        datagram.extend_from_slice(&0u32.to_ne_bytes());
        datagram.extend_from_slice(&(-2i32).to_ne_bytes());
        assert_eq!(
            replies(&datagram).unwrap(),
            vec![Reply::Error { seq: 9, errno: 2 }]
        );
        datagram.extend_from_slice(&100u32.to_ne_bytes());
        datagram.extend_from_slice(&[0; 12]);
        assert!(replies(&datagram).is_err());
    }
}
