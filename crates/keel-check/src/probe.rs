//! What a checker asks the probe layer to do, and what it accepts back.
//!
//! keel-check never runs a probe: it emits [`crate::Action::RunProbe`] with a [`ProbeSpec`]
//! (the checker block of the config, spec §2.7) and later receives one [`ProbeOutcome`]
//! through [`crate::Input::ProbeResult`]. keel-probe (async) or a test does the work.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

/// One checker's probe: what to check and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// The checker type and its own options.
    pub kind: ProbeKind,
    /// Connection options common to the network checkers.
    pub connect: ConnectOptions,
}

impl ProbeSpec {
    /// A probe of `kind` with default connection options.
    pub fn new(kind: ProbeKind) -> Self {
        ProbeSpec {
            kind,
            connect: ConnectOptions::default(),
        }
    }
}

/// `connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if`, `fwmark` (spec §2.7).
/// Unset destination fields default to the real server's address and port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectOptions {
    /// `connect_ip`: probe this address instead of the real server's.
    pub connect_ip: Option<IpAddr>,
    /// `connect_port`: probe this port instead of the real server's.
    pub connect_port: Option<u16>,
    /// `bindto`: source address.
    pub bind_to: Option<IpAddr>,
    /// `bind_port`: source port.
    pub bind_port: Option<u16>,
    /// `bind_if`: interface (IPv6 link-local).
    pub bind_interface: Option<String>,
    /// `fwmark`: SO_MARK on the probe's socket.
    pub fwmark: Option<u32>,
}

/// The checker types (spec §2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeKind {
    /// `TCP_CHECK`: connect() succeeds.
    Tcp,
    /// `HTTP_GET` (`tls: false`) or `SSL_GET` (`tls: true`).
    Http(HttpProbe),
    /// `SMTP_CHECK`: a 220 greeting and a 250 reply to HELO.
    Smtp {
        /// `helo_name` (keepalived's default is the local host name; the daemon fills it).
        helo_name: Option<String>,
    },
    /// `DNS_CHECK`: a UDP query that gets an answer.
    Dns {
        /// `type` (SOA by default).
        query_type: DnsQueryType,
        /// `name` (`.` by default).
        name: String,
    },
    /// `UDP_CHECK`.
    Udp(UdpProbe),
    /// `PING_CHECK`: ICMP or ICMPv6 echo.
    Ping,
    /// `MISC_CHECK`: run a script; exit 0 up, 1 down, 2–255 up (spec §3.13).
    Misc(MiscProbe),
    /// `FILE_CHECK`: the daemon watches a `track_file` and pushes results when it changes.
    File {
        /// The `track_file` name.
        track_file: String,
    },
    /// `BFD_CHECK`: the daemon pushes the BFD session's state.
    Bfd {
        /// The `bfd_instance` name.
        name: String,
    },
}

impl ProbeKind {
    /// The configuration keyword, used in SMTP alert bodies.
    pub fn keyword(&self) -> &'static str {
        match self {
            ProbeKind::Tcp => "TCP_CHECK",
            ProbeKind::Http(http) if http.tls => "SSL_GET",
            ProbeKind::Http(_) => "HTTP_GET",
            ProbeKind::Smtp { .. } => "SMTP_CHECK",
            ProbeKind::Dns { .. } => "DNS_CHECK",
            ProbeKind::Udp(_) => "UDP_CHECK",
            ProbeKind::Ping => "PING_CHECK",
            ProbeKind::Misc(_) => "MISC_CHECK",
            ProbeKind::File { .. } => "FILE_CHECK",
            ProbeKind::Bfd { .. } => "BFD_CHECK",
        }
    }

    /// Whether keel-check schedules this checker. FILE and BFD checkers are driven by
    /// events the daemon observes: it reports their results whenever they change, and
    /// neither `delay_loop` nor `retry` applies to them.
    pub fn is_scheduled(&self) -> bool {
        !matches!(self, ProbeKind::File { .. } | ProbeKind::Bfd { .. })
    }

    /// keepalived's default `retry` for this type: 1, DNS 3, MISC 0 (spec §2.7).
    pub fn default_retry(&self) -> u32 {
        match self {
            ProbeKind::Dns { .. } => 3,
            ProbeKind::Misc(_) | ProbeKind::File { .. } | ProbeKind::Bfd { .. } => 0,
            _ => 1,
        }
    }

    /// keepalived's default `delay_before_retry`: 1 s, HTTP/SSL 3 s, DNS `delay_loop`
    /// (`None`), spec §2.7.
    pub fn default_delay_before_retry(&self) -> Option<Duration> {
        match self {
            ProbeKind::Http(_) => Some(Duration::from_secs(3)),
            ProbeKind::Dns { .. } => None,
            _ => Some(Duration::from_secs(1)),
        }
    }
}

/// `HTTP_GET` / `SSL_GET` options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpProbe {
    /// `SSL_GET`: speak TLS.
    pub tls: bool,
    /// The `url` blocks; all must pass.
    pub urls: Vec<UrlCheck>,
    /// `http_protocol`.
    pub protocol: HttpProtocol,
    /// `virtualhost` for every url without its own.
    pub virtualhost: Option<String>,
    /// `enable_sni`.
    pub enable_sni: bool,
    /// `sni_name` (defaults to the virtualhost).
    pub sni_name: Option<String>,
    /// `fast_recovery`.
    pub fast_recovery: bool,
}

/// One `url { }` block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UrlCheck {
    /// `path`.
    pub path: String,
    /// `status_code` ranges; empty means 200–299.
    pub status_codes: Vec<RangeInclusive<u16>>,
    /// `digest` lines: MD5s of the body, lower-case hex; the body must match one.
    pub digests: Vec<String>,
    /// `virtualhost` for this url.
    pub virtualhost: Option<String>,
    /// `regex` the body must match.
    pub regex: Option<String>,
    /// `regex_no_match`: the body must not match `regex`.
    pub regex_no_match: bool,
}

/// `http_protocol 1.0|1.0C|1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpProtocol {
    /// HTTP/1.0 (keepalived's default).
    #[default]
    Http10,
    /// HTTP/1.0 with `Connection: close`.
    Http10Close,
    /// HTTP/1.1 (sends `Connection: close`).
    Http11,
}

/// `DNS_CHECK` query types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsQueryType {
    /// A.
    A,
    /// NS.
    Ns,
    /// CNAME.
    Cname,
    /// SOA (the default).
    #[default]
    Soa,
    /// MX.
    Mx,
    /// TXT.
    Txt,
    /// AAAA.
    Aaaa,
}

/// `UDP_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpProbe {
    /// `payload` bytes to send.
    pub payload: Vec<u8>,
    /// `require_reply`: the expected reply prefix; `None` bytes are `xx` wildcards.
    pub require_reply: Option<Vec<Option<u8>>>,
    /// `min_reply_length` (0).
    pub min_reply_length: usize,
    /// `max_reply_length` (255).
    pub max_reply_length: usize,
}

impl Default for UdpProbe {
    fn default() -> Self {
        UdpProbe {
            payload: Vec::new(),
            require_reply: None,
            min_reply_length: 0,
            max_reply_length: 255,
        }
    }
}

/// `MISC_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MiscProbe {
    /// `misc_path`: the command line as configured.
    pub command: String,
    /// `misc_timeout` (defaults to `delay_loop` in keepalived; `None` lets the daemon apply it).
    pub timeout: Option<Duration>,
    /// `misc_dynamic`: exit status 2–255 sets the real server's weight to status − 2.
    pub dynamic: bool,
    /// `user USER [GROUP]`.
    pub user: Option<String>,
}

/// The result of one probe, as keel-check consumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The check passed.
    Up,
    /// `MISC_CHECK` with `misc_dynamic` exited with status `s` in 2..=255: the check passed
    /// and the real server's weight becomes `s − 2` (spec §3.13). Exit status 0 is plain
    /// [`ProbeOutcome::Up`], which restores the configured weight of a dynamic checker
    /// (`misc_dynamic` MISC_CHECK, FILE_CHECK).
    UpWithWeight(u32),
    /// `FILE_CHECK` with a `weight`: the check passed and the real server's weight becomes
    /// its configured weight plus this offset (file value × weight, negated with `reverse`),
    /// clamped to 0.
    UpWithWeightOffset(i64),
    /// The check failed (refused, timed out, wrong status, digest mismatch, exit 1 ...).
    Down {
        /// Why, for logs and SMTP alerts.
        reason: String,
    },
}
