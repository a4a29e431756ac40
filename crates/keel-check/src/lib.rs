//! keel-check: health-check scheduling and real-server state, without I/O.
//!
//! This is the decision layer of keel's load-balancer half (spec §2.7, §3.13): it decides
//! when each checker probes, counts failures against `retry`, moves real servers in and out
//! of the pool, tracks each virtual server's quorum (with hysteresis and the sorry server),
//! and says what the load balancer should hold as a [`keel_lb::Desired`]. It never opens a
//! socket, runs a script or reads a clock: time comes in as `now`, the warmup's randomness
//! from a caller-chosen seed, probe results as [`Input::ProbeResult`], and every effect
//! leaves as an [`Action`] — run a probe, run a notify script, write a FIFO line, send mail,
//! "the load balancer changed".
//!
//! ```
//! use std::time::{Duration, Instant};
//! use keel_check::*;
//!
//! let t0 = Instant::now(); // the daemon's clock; tests use a fixed base
//! let mut rs = RealServerConfig::new("10.0.0.1".parse().unwrap(), None);
//! rs.checkers.push(CheckerConfig::new(ProbeSpec::new(ProbeKind::Tcp)));
//! let mut vs = VirtualServerConfig::new(VirtualServerTarget::Address {
//!     address: "192.168.201.15".parse().unwrap(),
//!     port: 80,
//! });
//! vs.timing.delay_loop = Some(Duration::from_secs(5));
//! vs.timing.warmup = Some(Duration::ZERO);
//! vs.real_servers.push(rs);
//! let config = CheckConfig { virtual_servers: vec![vs], ..Default::default() };
//!
//! let mut checks = Checks::new(config, t0, 7).unwrap();
//! assert_eq!(checks.poll_action(), Some(Action::LoadBalancerChanged));
//! assert_eq!(checks.desired().destination_count(), 1); // up until proven down
//!
//! checks.handle_timeout(checks.poll_timeout().unwrap());
//! let Some(Action::RunProbe(request)) = checks.poll_action() else { panic!() };
//! assert_eq!(request.destination.to_string(), "10.0.0.1:80");
//!
//! let down = ProbeOutcome::Down { reason: "connection refused".into() };
//! checks.handle(t0, Input::ProbeResult { checker: request.checker, outcome: down }).unwrap();
//! assert_eq!(
//!     checks.poll_action(),
//!     Some(Action::FifoLine("RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 DOWN".into()))
//! );
//! assert_eq!(checks.desired().destination_count(), 0);
//! ```
//!
//! # For the daemon
//!
//! - Answer every [`Action::RunProbe`] with exactly one [`Input::ProbeResult`]; FILE and
//!   BFD checkers are never asked: report their state whenever it changes. The request's
//!   [`CheckerPath`] locates the checker in the [`CheckConfig`] it came from, so the daemon
//!   can run its own probe description (keel-probe's request) for it.
//! - On [`Action::LoadBalancerChanged`], diff [`Checks::desired`] against what the backend
//!   holds (`keel_lb::diff`) and apply the ops.
//! - With `ha_suspend`, report which virtual addresses are local ([`Input::AddressLocal`]),
//!   at start and on every change; until then such virtual servers are suspended.
//! - Notify scripts get only their configured arguments; FIFO lines go to `notify_fifo`
//!   and `lvs_notify_fifo`; SMTP subjects get `[router_id] ` prepended.
#![warn(missing_docs)]

mod action;
mod config;
mod desired;
mod error;
mod events;
mod input;
mod instance;
mod notify;
mod probe;
mod reload;
mod state;
mod timers;

pub use action::{Action, CheckerId, CheckerPath, NotifyEvent, ProbeRequest, SmtpAlert};
pub use config::{
    CheckConfig, CheckerConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DELAY_LOOP, Family,
    ForwardingMethod, GroupEntry, Protocol, RealServerConfig, ServiceSettings, SorryServerConfig,
    Timing, VirtualServerConfig, VirtualServerGroupConfig, VirtualServerTarget,
};
pub use error::ConfigError;
pub use input::Input;
pub use instance::{CheckerStatus, Checks, RealServerStatus, VirtualServerStatus};
pub use probe::{
    ConnectOptions, DnsQueryType, HttpProbe, HttpProtocol, MiscProbe, ProbeKind, ProbeOutcome,
    ProbeSpec, UdpProbe, UrlCheck,
};
pub use timers::{TimerQueue, WarmupRng};
