//! keel-probe: asynchronous health-check probes (TCP, HTTP(S), SMTP, DNS, UDP, ICMP, script, file).
//!
//! This is the I/O edge of health checking. keel-check decides *when* a checker runs and
//! what its results mean for real servers (retry, alpha, quorum, spec §3.13); this crate
//! performs one attempt of one checker and reports a [`ProbeOutcome`]. Every probe is a
//! single `async` call on tokio, bounded by the request's `connect_timeout` per I/O step the
//! way keepalived bounds each of its reads and writes (spec §3.13, #1822).
//!
//! One request type ([`ProbeRequest`]) carries the common connection options of spec §2.7
//! (`connect_ip`/`connect_port`, `bindto`/`bind_port`, `bind_if`, `fwmark`,
//! `connect_timeout`) and the checker-specific [`ProbeSpec`]. [`run`] never panics and never
//! returns an error: anything that goes wrong is a [`ProbeOutcome::Down`] with a reason a
//! person can read in a log line.

#![warn(missing_docs)]

mod dns;
mod error;
mod file;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod misc;
mod ping;
mod slots;
mod smtp;
mod socket;
mod syn;
mod tcp;
mod tcp_batch;
mod tls;
mod udp;

use std::net::SocketAddr;
use std::time::Duration;

pub use dns::{DnsQueryType, DnsSpec};
pub use error::ProbeError;
pub use file::FileSpec;
pub use http::{HttpProtocol, HttpSpec, Pattern, StatusCodes, UrlCheck};
pub use misc::MiscSpec;
pub use smtp::SmtpSpec;
pub use tcp_batch::{TcpCheckMode, TcpProber};
pub use tls::TlsOptions;
pub use udp::{ReplyPattern, UdpSpec, parse_payload};

/// What to check: one variant per keepalived checker block (spec §2.7).
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeSpec {
    /// `TCP_CHECK`: success iff `connect()` completes within `connect_timeout`, i.e. iff
    /// the server answers the SYN with a SYN-ACK; [`TcpProber`] in
    /// [`TcpCheckMode::Syn`] reaches the same verdict half-open.
    Tcp,
    /// `HTTP_GET` (no `tls`) and `SSL_GET` (with `tls`).
    Http(HttpSpec),
    /// `SMTP_CHECK`: 220 banner, `HELO`, 250, `QUIT`.
    Smtp(SmtpSpec),
    /// `DNS_CHECK`: one UDP query, success iff the reply says NOERROR.
    Dns(DnsSpec),
    /// `UDP_CHECK`: send a payload, judge the reply (or the silence).
    Udp(UdpSpec),
    /// `PING_CHECK`: one ICMP / ICMPv6 echo.
    Ping,
    /// `MISC_CHECK`: run a command and judge its exit status.
    Misc(MiscSpec),
    /// `FILE_CHECK`: read an integer from a tracked file.
    File(FileSpec),
}

/// One attempt of one checker against one real server.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRequest {
    /// The checker and its own options.
    pub spec: ProbeSpec,
    /// Where to connect: the real server, or `connect_ip`/`connect_port` when given.
    /// Ignored by `MISC_CHECK` and `FILE_CHECK`; the port is ignored by `PING_CHECK`.
    pub target: SocketAddr,
    /// `bindto` / `bind_port`: the local address (port 0 lets the kernel choose).
    pub bind: Option<SocketAddr>,
    /// `bind_if`: `SO_BINDTODEVICE` on every socket (needed for IPv6 link-local targets).
    pub bind_if: Option<String>,
    /// `fwmark`: `SO_MARK` on every socket, so policy routing can steer checks.
    pub fwmark: Option<u32>,
    /// `connect_timeout`: the bound on the connection and on each later I/O step.
    pub connect_timeout: Duration,
}

impl ProbeRequest {
    /// A request with keepalived's defaults for the common options: no binding, no mark,
    /// and `connect_timeout` 5 s (spec §2.7).
    pub fn new(spec: ProbeSpec, target: SocketAddr) -> Self {
        ProbeRequest {
            spec,
            target,
            bind: None,
            bind_if: None,
            fwmark: None,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// The verdict of one probe, as keel-check consumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The service answered as the checker requires.
    Up,
    /// `MISC_CHECK` with `misc_dynamic`: up, and the real server's weight becomes this
    /// value (the exit status − 2, spec §3.13).
    UpWithWeight(u32),
    /// `FILE_CHECK` with a non-zero `weight`: up, and this value (file value × weight,
    /// negated with `reverse`) is added to the real server's configured weight.
    UpWithWeightOffset(i64),
    /// The check failed; `reason` says how, for the log.
    Down {
        /// A short human-readable cause ("connection refused", "HTTP status code 503", ...).
        reason: String,
    },
}

impl ProbeOutcome {
    /// `true` for every variant except [`ProbeOutcome::Down`].
    pub fn is_up(&self) -> bool {
        !matches!(self, ProbeOutcome::Down { .. })
    }

    fn down(reason: impl Into<String>) -> Self {
        ProbeOutcome::Down {
            reason: reason.into(),
        }
    }
}

impl From<Result<(), ProbeError>> for ProbeOutcome {
    fn from(result: Result<(), ProbeError>) -> Self {
        match result {
            Ok(()) => ProbeOutcome::Up,
            Err(error) => ProbeOutcome::down(error.to_string()),
        }
    }
}

/// Runs one probe to completion and reports its verdict. Call it once per check attempt
/// (keel-check decides the cadence); it needs a tokio runtime with I/O and time enabled.
pub async fn run(request: &ProbeRequest) -> ProbeOutcome {
    match &request.spec {
        ProbeSpec::Tcp => tcp::check(request).await.into(),
        ProbeSpec::Http(spec) => http::check(request, spec).await.into(),
        ProbeSpec::Smtp(spec) => smtp::check(request, spec).await.into(),
        ProbeSpec::Dns(spec) => dns::check(request, spec).await.into(),
        ProbeSpec::Udp(spec) => udp::check(request, spec).await.into(),
        ProbeSpec::Ping => ping::check(request).await.into(),
        ProbeSpec::Misc(spec) => misc::check(spec).await,
        ProbeSpec::File(spec) => file::check(spec),
    }
}
