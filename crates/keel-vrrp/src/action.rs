//! What leaves an instance: the effects the daemon (or simulator) must carry out, in order.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Authentication, Version};
use crate::fsm::State;

/// One effect, returned by [`crate::Instance::poll_action`] in the order keepalived performs
/// them (e.g. on becoming MASTER: advert, addresses, gratuitous ARPs, notifications — spec §3.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send one advert (to each destination).
    SendAdvert(OutgoingAdvert),
    /// Install addresses on the instance's interface (VIPs then excluded VIPs).
    AddAddresses {
        /// The addresses.
        addresses: Vec<IpAddr>,
        /// Accept mode (spec §3.7): when false the daemon installs DROP rules for these
        /// addresses (`no_accept` / strict, non-owner).
        accept: bool,
    },
    /// Remove addresses from the instance's interface.
    RemoveAddresses {
        /// The addresses.
        addresses: Vec<IpAddr>,
    },
    /// One gratuitous ARP (IPv4) / unsolicited NA (IPv6) per address (spec §3.9).
    SendGratuitous {
        /// The addresses to announce.
        addresses: Arc<[IpAddr]>,
    },
    /// The instance changed state. Informational (logs, JSON `last_transition`, the simulator).
    StateChanged {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
    },
    /// Run notification scripts and emit D-Bus/SNMP/SMTP events (spec §3.8).
    Notify(Notification),
    /// Write this line (with a trailing newline) to the notify FIFO, e.g.
    /// `INSTANCE "VI_1" MASTER 100` (spec §3.8).
    FifoLine(String),
}

/// An advert to send. Addresses and destinations are shared with the instance, so the
/// periodic advert does not copy them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingAdvert {
    /// Protocol version.
    pub version: Version,
    /// Virtual Router ID.
    pub vrid: u8,
    /// Priority to advertise (0 when stopping or entering FAULT).
    pub priority: u8,
    /// Our advert interval (v2 seconds, v3 centiseconds on the wire).
    pub advert_interval: Duration,
    /// The advertised VIPs.
    pub addresses: Arc<[IpAddr]>,
    /// IP source address.
    pub source: IpAddr,
    /// The multicast group, or each unicast peer.
    pub destinations: Arc<[IpAddr]>,
    /// v2 authentication to apply.
    pub authentication: Authentication,
}

/// Whether a notification is about one instance or a sync group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    /// `INSTANCE`.
    Instance,
    /// `GROUP`.
    Group,
}

impl NotifyKind {
    /// The word used in generic notify arguments and FIFO lines.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::Instance => "INSTANCE",
            NotifyKind::Group => "GROUP",
        }
    }
}

/// The state word of a notification (spec §3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyState {
    /// `MASTER`.
    Master,
    /// `BACKUP`.
    Backup,
    /// `FAULT`.
    Fault,
    /// `STOP`.
    Stop,
    /// `DELETED` (instance removed by a reload, with `notify_deleted`).
    Deleted,
    /// `MASTER_RX_LOWER_PRI`: a master heard a lower-priority advert.
    MasterRxLowerPri,
    /// `MASTER_PRIORITY`: effective priority changed while MASTER (`notify_priority_changes`).
    MasterPriority,
    /// `BACKUP_PRIORITY`: effective priority changed while BACKUP (`notify_priority_changes`).
    BackupPriority,
}

impl NotifyState {
    /// keepalived's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::Deleted => "DELETED",
            NotifyState::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
            NotifyState::MasterPriority => "MASTER_PRIORITY",
            NotifyState::BackupPriority => "BACKUP_PRIORITY",
        }
    }
}

/// A notification: which event, and which configured scripts to run for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Instance or group.
    pub kind: NotifyKind,
    /// Instance or group name.
    pub name: String,
    /// The event.
    pub state: NotifyState,
    /// Effective priority (0 for groups).
    pub priority: u8,
    /// Scripts to run, state script first, then the generic `notify` (spec §3.8 order).
    pub scripts: Vec<ScriptCall>,
}

impl Notification {
    /// The arguments keepalived appends to the generic `notify` script:
    /// `INSTANCE|GROUP NAME STATE PRIORITY`.
    pub fn generic_args(&self) -> Vec<String> {
        vec![
            self.kind.as_str().to_string(),
            self.name.clone(),
            self.state.as_str().to_string(),
            self.priority.to_string(),
        ]
    }

    /// The FIFO line without its newline: `INSTANCE "VI_1" MASTER 100`.
    pub fn fifo_line(&self) -> String {
        format!(
            "{} \"{}\" {} {}",
            self.kind.as_str(),
            self.name,
            self.state.as_str(),
            self.priority
        )
    }
}

/// One script to run: the command as configured plus arguments keepalived appends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCall {
    /// The configured command line (the daemon splits it like keepalived does).
    pub command: String,
    /// Arguments appended after the configured ones (generic `notify` only).
    pub extra_args: Vec<String>,
}
