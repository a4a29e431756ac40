//! `DNS_CHECK` (spec §2.7): one query over UDP, recursion desired.
//!
//! keepalived compat (`check_dns.c`): the check passes when a reply with the query's ID
//! and the QR bit arrives with RCODE 0 (NOERROR). keepalived does not look at the answer
//! section, so an empty NOERROR answer passes too; keel keeps that rule so that a
//! configuration judges servers the same way under both. Replies with another ID, and
//! queries, are ignored while waiting; the wait is bounded by `connect_timeout`.

use std::hash::{BuildHasher, RandomState};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};

use crate::ProbeRequest;
use crate::error::{ProbeError, io_error, within};
use crate::socket::connect_udp;

/// `DNS_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsSpec {
    /// `type` (default SOA).
    pub query_type: DnsQueryType,
    /// `name` (default `.`, the root).
    pub name: String,
}

impl Default for DnsSpec {
    fn default() -> Self {
        DnsSpec {
            query_type: DnsQueryType::Soa,
            name: ".".to_string(),
        }
    }
}

/// The record types keepalived's `DNS_CHECK` can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsQueryType {
    /// IPv4 address.
    A,
    /// Name server.
    Ns,
    /// Canonical name.
    Cname,
    /// Start of authority (keepalived's default).
    Soa,
    /// Mail exchanger.
    Mx,
    /// Text.
    Txt,
    /// IPv6 address.
    Aaaa,
}

impl DnsQueryType {
    /// Parses keepalived's `type` keyword value, without regard to case.
    pub fn parse(text: &str) -> Option<Self> {
        let parsed = match text.to_ascii_uppercase().as_str() {
            "A" => DnsQueryType::A,
            "NS" => DnsQueryType::Ns,
            "CNAME" => DnsQueryType::Cname,
            "SOA" => DnsQueryType::Soa,
            "MX" => DnsQueryType::Mx,
            "TXT" => DnsQueryType::Txt,
            "AAAA" => DnsQueryType::Aaaa,
            _ => return None,
        };
        Some(parsed)
    }

    fn record_type(self) -> RecordType {
        match self {
            DnsQueryType::A => RecordType::A,
            DnsQueryType::Ns => RecordType::NS,
            DnsQueryType::Cname => RecordType::CNAME,
            DnsQueryType::Soa => RecordType::SOA,
            DnsQueryType::Mx => RecordType::MX,
            DnsQueryType::Txt => RecordType::TXT,
            DnsQueryType::Aaaa => RecordType::AAAA,
        }
    }
}

pub(crate) async fn check(request: &ProbeRequest, spec: &DnsSpec) -> Result<(), ProbeError> {
    let id = RandomState::new().hash_one(request.target) as u16;
    let query = encode_query(id, spec)?;
    let socket = connect_udp(request).await?;
    within(request.connect_timeout, "DNS exchange", async {
        socket.send(&query).await.map_err(io_error("DNS send"))?;
        let mut buffer = vec![0u8; 4096];
        loop {
            let count = socket
                .recv(&mut buffer)
                .await
                .map_err(io_error("DNS receive"))?;
            if let Some(code) = reply_code(&buffer[..count], id) {
                return judge(code);
            }
        }
    })
    .await
}

fn encode_query(id: u16, spec: &DnsSpec) -> Result<Vec<u8>, ProbeError> {
    let name = Name::from_ascii(&spec.name).map_err(|error| {
        ProbeError::BadReply(format!("invalid DNS name {:?}: {error}", spec.name))
    })?;
    let mut message = Message::new();
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name, spec.query_type.record_type()));
    message
        .to_vec()
        .map_err(|error| ProbeError::BadReply(format!("cannot encode DNS query: {error}")))
}

/// The response code of `bytes` if it is a response to query `id`; `None` for anything
/// to ignore (too short, another ID, a query, undecodable).
pub(crate) fn reply_code(bytes: &[u8], id: u16) -> Option<ResponseCode> {
    let message = Message::from_vec(bytes).ok()?;
    (message.id() == id && message.message_type() == MessageType::Response)
        .then(|| message.response_code())
}

fn judge(code: ResponseCode) -> Result<(), ProbeError> {
    if code == ResponseCode::NoError {
        Ok(())
    } else {
        Err(ProbeError::BadReply(format!(
            "DNS error reply (rcode {code})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_a_recursive_question_of_the_configured_type() {
        // Input: DNS_CHECK { type MX name example.org }. Output: one MX/IN question, RD set.
        let spec = DnsSpec {
            query_type: DnsQueryType::parse("mx").expect("known type"),
            name: "example.org".to_string(),
        };
        let bytes = encode_query(0x1234, &spec).expect("encodable");
        let message = Message::from_vec(&bytes).expect("decodable");
        assert_eq!(message.id(), 0x1234);
        assert!(message.recursion_desired());
        assert_eq!(message.queries().len(), 1);
        assert_eq!(message.queries()[0].query_type(), RecordType::MX);
        assert_eq!(reply_code(&bytes, 0x1234), None, "a query is not a reply");
    }

    #[test]
    fn garbage_and_foreign_ids_are_ignored() {
        // Input: random bytes, a reply with another ID. Output: ignored, never a panic.
        assert_eq!(reply_code(&[0xff; 5], 1), None);
        let mut reply = Message::new();
        reply.set_id(7).set_message_type(MessageType::Response);
        let bytes = reply.to_vec().expect("encodable");
        assert_eq!(reply_code(&bytes, 8), None);
        assert_eq!(reply_code(&bytes, 7), Some(ResponseCode::NoError));
        assert_eq!(DnsQueryType::parse("SPF"), None);
    }
}
