//! keel-vrrp: the VRRP state machine, without I/O.
//!
//! This is the protocol layer of keel: keepalived's VRRP behaviour (spec §3.2–§3.11,
//! RFC 3768, RFC 5798, RFC 9568) as a deterministic state machine. It never reads a clock,
//! opens a socket or runs a script. Time comes in as `now: Instant`; received adverts,
//! link changes, tracker results, reloads and stops come in as [`Input`]s; every effect
//! leaves as an [`Action`] (send an advert, add/remove VIPs, gratuitous ARP, notify).
//!
//! Two levels offer the same handle/poll contract:
//! - [`Instance`]: one `vrrp_instance`;
//! - [`Router`]: every instance and sync group of one daemon, routing inputs by
//!   (interface, family, VRID) and coordinating sync groups (spec §3.6).
//!
//! ```text
//! loop {
//!     router.handle(now, input)            // or handle_timeout(now) at poll_timeout()
//!     while let Some(a) = router.poll_action() { carry out a }
//! }
//! ```
//!
//! A BACKUP that hears nothing takes over after Master_Down_Interval
//! (3 × 1 s + (256 − 100)/256 s for priority 100, RFC 3768 §6.1):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use keel_vrrp::{Action, Input, Instance, InstanceConfig, State};
//!
//! let t0 = Instant::now(); // the daemon's clock; a simulator uses a virtual base
//! let mut config = InstanceConfig::new("VI_1", "eth0", 51, "10.99.0.2".parse().unwrap());
//! config.virtual_addresses = vec!["10.99.0.100".parse().unwrap()];
//! let mut vi = Instance::new(config, t0).unwrap();
//! vi.handle(t0, Input::Start);
//! while let Some(_action) = vi.poll_action() {} // BACKUP: remove leftovers, notify
//!
//! let deadline = vi.poll_timeout().unwrap();
//! assert_eq!(deadline - t0, Duration::from_micros(3_609_375));
//! vi.handle_timeout(deadline);
//! assert_eq!(vi.state(), State::Master);
//! assert!(matches!(vi.poll_action(), Some(Action::StateChanged { .. })));
//! assert!(matches!(vi.poll_action(), Some(Action::SendAdvert(_))));
//! ```
//!
//! # For the daemon and the simulator
//!
//! - Inputs: decode with keel-wire, build a [`ReceivedAdvert`] (raw version/type/auth fields,
//!   TTL, destination, the checksum and AH verdicts) and call [`Router::handle_advert`] with
//!   the receiving interface; report undecodable packets as [`RouterInput::Malformed`].
//!   The simulator can skip the wire with [`ReceivedAdvert::from_outgoing`].
//! - Link state of the instance's interface is [`RouterInput::LinkChanged`]. Other things
//!   keepalived tracks (`track_interface`, `track_src_ip`, VIP interfaces, processes, BFD,
//!   files, scripts) are trackers: give each a [`TrackerId`] and report raw results with
//!   [`RouterInput::Tracker`]; unweighted FAULT-only tracking is a weight-0 tracker.
//! - Actions come with their [`Source`]; carry them out in order. `SendAdvert` goes to each
//!   destination (the daemon adds TTL, checksum mode and AH sequence numbers from the
//!   instance's config). `AddAddresses { accept: false }` means "install the no_accept DROP
//!   rules too". `Notify` always arrives (D-Bus/SNMP need it) even with no scripts.
//! - Delays that keepalived applies before starting (`vrrp_startup_delay`), interface
//!   up/down debouncing and script scheduling belong to the daemon: it decides *when* to send
//!   [`RouterInput::Start`], `LinkChanged` and `Tracker` inputs.
//!
//! Time is `std::time::Instant`; the simulator builds Instants from one fixed base plus
//! virtual offsets, which keeps runs exact and reproducible. Nothing here is random: VRRP's
//! skew is deterministic.
#![warn(missing_docs)]

mod action;
mod config;
mod deadlines;
mod error;
mod events;
mod fsm;
mod group;
mod input;
mod instance;
mod lookup;
mod priority;
mod router;
mod stats;
mod timers;
mod validate;

pub use action::{Action, Notification, NotifyKind, NotifyState, OutgoingAdvert, ScriptCall};
pub use config::{
    Authentication, Family, GarpConfig, InitialState, InstanceConfig, NotifyConfig, UnicastPeer,
    Version, VipMismatch,
};
pub use error::ConfigError;
pub use fsm::State;
pub use group::{SyncGroup, SyncGroupConfig};
pub use input::{AhStatus, ChecksumStatus, Input, MalformedKind, ReceivedAdvert, ReceivedAuth};
pub use instance::{Instance, release_burst};
pub use priority::{TrackedObject, TrackerId, TrackerKind, TrackerStatus};
pub use router::{Router, RouterAction, RouterConfig, RouterInput, Source};
pub use stats::Stats;
pub use timers::{Timer, TimerTable, master_down_interval, skew_time};
