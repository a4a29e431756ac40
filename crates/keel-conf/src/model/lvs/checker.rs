//! Health checkers of a real server (spec §2.7 "Common checker options" and one entry per
//! checker type), with every option resolved: what the checker block did not say is taken
//! from its real server, then its virtual server, then the checker type's default.

use std::net::IpAddr;

use serde::Serialize;

use crate::model::{Loc, Script, Seconds};

/// One checker of a real server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checker {
    /// What it checks and how.
    pub kind: CheckerKind,
    /// Where to connect and when to run, resolved.
    pub options: CheckerOptions,
    /// Where the checker was written.
    pub loc: Loc,
}

/// The checker types (spec §2.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum CheckerKind {
    /// `TCP_CHECK`: a TCP connect.
    #[serde(rename = "TCP_CHECK")]
    Tcp,
    /// `HTTP_GET`.
    #[serde(rename = "HTTP_GET")]
    Http(HttpCheck),
    /// `SSL_GET`: `HTTP_GET` over TLS.
    #[serde(rename = "SSL_GET")]
    Ssl(HttpCheck),
    /// `SMTP_CHECK`.
    #[serde(rename = "SMTP_CHECK")]
    Smtp(SmtpCheck),
    /// `DNS_CHECK`.
    #[serde(rename = "DNS_CHECK")]
    Dns(DnsCheck),
    /// `MISC_CHECK`: a script's exit status.
    #[serde(rename = "MISC_CHECK")]
    Misc(MiscCheck),
    /// `UDP_CHECK`.
    #[serde(rename = "UDP_CHECK")]
    Udp(UdpCheck),
    /// `PING_CHECK`: ICMP / ICMPv6 echo.
    #[serde(rename = "PING_CHECK")]
    Ping,
    /// `FILE_CHECK`: the state of a `track_file`.
    #[serde(rename = "FILE_CHECK")]
    File(FileCheck),
    /// `BFD_CHECK`: the state of a `bfd_instance`.
    #[serde(rename = "BFD_CHECK")]
    Bfd {
        /// The `bfd_instance` name.
        name: String,
    },
}

impl CheckerKind {
    /// The block keyword (`TCP_CHECK`, `HTTP_GET`, ...).
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckerKind::Tcp => "TCP_CHECK",
            CheckerKind::Http(_) => "HTTP_GET",
            CheckerKind::Ssl(_) => "SSL_GET",
            CheckerKind::Smtp(_) => "SMTP_CHECK",
            CheckerKind::Dns(_) => "DNS_CHECK",
            CheckerKind::Misc(_) => "MISC_CHECK",
            CheckerKind::Udp(_) => "UDP_CHECK",
            CheckerKind::Ping => "PING_CHECK",
            CheckerKind::File(_) => "FILE_CHECK",
            CheckerKind::Bfd { .. } => "BFD_CHECK",
        }
    }
}

/// The common checker options after inheritance (spec §2.7): defaults are retry 1 (DNS 3,
/// MISC 0), delay_before_retry 1 s (HTTP/SSL 3 s, DNS = delay_loop), connect_timeout 5 s,
/// warmup = delay_loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckerOptions {
    /// `connect_ip`; `None` means the real server's address.
    pub connect_ip: Option<IpAddr>,
    /// `connect_port`; `None` means the real server's port.
    pub connect_port: Option<u16>,
    /// `bindto`: source address.
    pub bindto: Option<IpAddr>,
    /// `bind_port`: source port.
    pub bind_port: Option<u16>,
    /// `bind_if`: source interface (needed for link-local addresses).
    pub bind_if: Option<String>,
    /// `fwmark`: mark set on the checker's packets.
    pub fwmark: Option<u32>,
    /// `connect_timeout`: per I/O step (spec §3.13).
    pub connect_timeout: Seconds,
    /// `retry` (*dep* `nb_get_retry`): failures tolerated before the checker goes down.
    pub retry: u32,
    /// `delay_before_retry`: interval between retries.
    pub delay_before_retry: Seconds,
    /// `warmup`: the first check runs after a random delay up to this.
    pub warmup: Seconds,
    /// `delay_loop`: the normal interval.
    pub delay_loop: Seconds,
    /// `alpha`: start down until the first success.
    pub alpha: bool,
    /// `log_all_failures [BOOL]`; `None` means `checker_log_all_failures` of global_defs.
    pub log_all_failures: Option<bool>,
}

/// `HTTP_GET { ... }` / `SSL_GET { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpCheck {
    /// The `url` blocks; all must pass. Never empty.
    pub urls: Vec<Url>,
    /// `http_protocol` (1.0).
    pub http_protocol: HttpProtocol,
    /// `virtualhost NAME`: the `Host:` header, unless a `url` sets its own.
    pub virtualhost: Option<String>,
    /// `fast_recovery [BOOL]`: go up after one success even with `retry`.
    pub fast_recovery: bool,
    /// `enable_sni [BOOL]`: send the virtual host as TLS SNI.
    pub enable_sni: bool,
}

/// `http_protocol 1.0|1.0C|1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HttpProtocol {
    /// HTTP/1.0.
    #[serde(rename = "1.0")]
    V1_0,
    /// HTTP/1.0 with `Connection: close`.
    #[serde(rename = "1.0C")]
    V1_0C,
    /// HTTP/1.1 (keepalived sends `Connection: close`).
    #[serde(rename = "1.1")]
    V1_1,
}

impl HttpProtocol {
    /// The keyword spelling.
    pub fn keyword(self) -> &'static str {
        match self {
            HttpProtocol::V1_0 => "1.0",
            HttpProtocol::V1_0C => "1.0C",
            HttpProtocol::V1_1 => "1.1",
        }
    }
}

/// `url { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Url {
    /// `path`: what to GET.
    pub path: String,
    /// `status_code N|N-M ...`; 200-299 when none was written.
    pub status_code: Vec<StatusRange>,
    /// `digest MD5HEX` (lower case, 32 digits), several allowed: the body's MD5 must be one.
    pub digest: Vec<String>,
    /// `virtualhost NAME` for this URL.
    pub virtualhost: Option<String>,
    /// `regex RE` that the body must match (PCRE2).
    pub regex: Option<String>,
    /// `regex_no_match`: the body must not match.
    pub regex_no_match: bool,
    /// `regex_options ...` (PCRE2 option names).
    pub regex_options: Vec<String>,
    /// `regex_stack START MAX`.
    pub regex_stack: Option<(u32, u32)>,
    /// `regex_min_offset`.
    pub regex_min_offset: Option<u64>,
    /// `regex_max_offset`.
    pub regex_max_offset: Option<u64>,
}

/// An inclusive range of HTTP status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusRange {
    /// First code.
    pub min: u16,
    /// Last code.
    pub max: u16,
}

/// `SMTP_CHECK { helo_name }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpCheck {
    /// `helo_name` (`smtpchecker.keepalived.org`).
    pub helo_name: String,
}

/// `DNS_CHECK { type; name }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsCheck {
    /// `type` (SOA).
    #[serde(rename = "type")]
    pub query_type: DnsType,
    /// `name` (`.`).
    pub name: String,
}

/// DNS query types `DNS_CHECK` can ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DnsType {
    /// A.
    A,
    /// NS.
    Ns,
    /// CNAME.
    Cname,
    /// SOA (default).
    Soa,
    /// MX.
    Mx,
    /// TXT.
    Txt,
    /// AAAA.
    Aaaa,
    /// RRSIG.
    Rrsig,
    /// DNSKEY.
    Dnskey,
}

impl DnsType {
    /// Every type with its keyword.
    pub const ALL: [(&'static str, DnsType); 9] = [
        ("A", DnsType::A),
        ("NS", DnsType::Ns),
        ("CNAME", DnsType::Cname),
        ("SOA", DnsType::Soa),
        ("MX", DnsType::Mx),
        ("TXT", DnsType::Txt),
        ("AAAA", DnsType::Aaaa),
        ("RRSIG", DnsType::Rrsig),
        ("DNSKEY", DnsType::Dnskey),
    ];

    /// The keyword spelling.
    pub fn keyword(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("SOA", |(k, _)| k)
    }
}

/// `MISC_CHECK { misc_path; misc_timeout; misc_dynamic; user }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MiscCheck {
    /// `misc_path "cmd args"`, with `user U [G]` folded in.
    pub misc_path: Script,
    /// `misc_timeout S`; `None` means the checker's delay_loop.
    pub misc_timeout: Option<Seconds>,
    /// `misc_dynamic`: exit status 2..255 sets weight = status - 2 (spec §3.13).
    pub misc_dynamic: bool,
}

/// `UDP_CHECK { payload; require_reply; min_reply_length; max_reply_length }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UdpCheck {
    /// `payload HEX`: the datagram sent.
    pub payload: Option<Vec<u8>>,
    /// `require_reply HEX`: the reply must start with these nibbles (`None` = any nibble,
    /// written `x`).
    pub require_reply: Option<Vec<Option<u8>>>,
    /// `min_reply_length` (0).
    pub min_reply_length: u16,
    /// `max_reply_length` (255).
    pub max_reply_length: u16,
}

/// `FILE_CHECK { track_file NAME; weight N [reverse] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    /// The `track_file` name.
    pub track_file: String,
    /// `weight N`: the file's value times N changes the real server's weight.
    pub weight: Option<i32>,
    /// `reverse`.
    pub reverse: bool,
}
