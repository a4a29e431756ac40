//! The keel daemon: keepalived's VRRP process on a real machine.
//!
//! One current-thread tokio runtime carries everything. The loop reads the raw VRRP sockets
//! itself, every queued datagram per wake-up (no task or channel per packet), and hands each
//! advert to the engine with its kernel arrival time; tracker tasks (scripts, files,
//! processes), the netlink monitor and the signal handlers feed one channel of [`Event`]s.
//! In between the loop sleeps until the engine's next deadline, and carries out the
//! engine's actions in order: adverts (batched per socket), addresses over rtnetlink,
//! gratuitous ARP/NA, notify scripts, FIFO lines.
//!
//! The process also does keepalived's parent duties (spec §1.1): pid files, and the health
//! checkers' child process, started when the configuration has virtual servers and
//! restarted when it dies (see [`crate::checker::supervisor`] for why a process).

pub mod bfd;
pub mod demo;
pub mod ipvlan;
mod local_igmp;
pub mod log;
mod lvs_sync;
pub mod net;
mod netlink_bufs;
mod observe;
pub mod process;
mod reload_check;
pub mod routes;
mod run;
pub mod runtime;
pub mod scheduling;
mod timing;
mod trackers;
pub mod vmac;

use std::net::IpAddr;

use keel_vrrp::{TrackerId, TrackerStatus};

pub(crate) use run::load_config;
pub use run::run;

/// Something for the loop to handle.
#[derive(Debug)]
pub enum Event {
    /// A tracked object's new raw result.
    Tracker {
        /// Which one.
        id: TrackerId,
        /// Its result.
        status: TrackerStatus,
    },
    /// A link changed (or was listed).
    Link {
        /// Its name.
        name: String,
        /// Its index.
        index: u32,
        /// keepalived's "up": IFF_UP and IFF_RUNNING.
        up: bool,
        /// Its hardware address, when it has one (the source of framed adverts).
        mac: Option<[u8; 6]>,
        /// The link was deleted (`up` is then false).
        removed: bool,
    },
    /// An address was added to an interface.
    AddressAdded {
        /// The interface index.
        ifindex: u32,
        /// The address.
        address: IpAddr,
    },
    /// An address disappeared from an interface.
    AddressRemoved {
        /// The interface index.
        ifindex: u32,
        /// The address.
        address: IpAddr,
    },
    /// The number of processes matching a `vrrp_track_process` changed (for the dumps).
    ProcessCount {
        /// Which tracker.
        id: TrackerId,
        /// Matching processes now.
        count: u32,
    },
    /// The netlink monitor lost events: re-read link states.
    Resync,
    /// A signal arrived.
    Signal(Signal),
}

/// What a signal asks of the daemon (spec §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP.
    Reload,
    /// SIGTERM, SIGINT.
    Stop,
    /// SIGUSR1: `keepalived.data`.
    Data,
    /// SIGUSR2: `keepalived.stats`.
    Stats,
    /// SIGRTMIN+2: `keepalived.json`.
    Json,
    /// SIGRTMAX-1: `keepalived.stats`, then every counter back to zero.
    StatsClear,
}
