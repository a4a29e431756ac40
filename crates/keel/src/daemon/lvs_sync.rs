//! `lvs_sync_daemon`: the kernel's IPVS connection-synchronisation daemon, driven by one
//! VRRP instance's state (spec §2.3, §3.12).
//!
//! keepalived runs this in its VRRP process and ties the daemon to the instance named
//! on the `lvs_sync_daemon` line: when the instance becomes MASTER the backup sync daemon
//! is stopped and a master one started (this director now sends connection state); when
//! it becomes BACKUP or FAULT the reverse (it receives). The sync id defaults to the
//! instance's VRID. At stop both are stopped. The daemons are started and stopped over
//! the "IPVS" generic-netlink family (`IPVS_CMD_NEW_DAEMON` / `IPVS_CMD_DEL_DAEMON`);
//! a kernel without IPVS is reported once and the keyword then does nothing.

use keel_conf::Config;
use keel_sys::ipvs::{Ipvs, SyncDaemon, SyncRole};
use keel_vrrp::State;

use super::log;

/// The sync daemon the configuration wants, and which role runs now.
#[derive(Debug, Default)]
pub struct LvsSync {
    wanted: Option<Wanted>,
    ipvs: Option<Ipvs>,
    running: Option<SyncRole>,
    /// "no IPVS" was said already.
    unavailable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Wanted {
    instance: String,
    /// The daemon's settings (its `role` is set when started).
    daemon: SyncDaemon,
}

impl LvsSync {
    /// What `config`'s `lvs_sync_daemon` asks for; nothing runs until the instance's
    /// first state change.
    pub fn new(config: &Config) -> LvsSync {
        LvsSync {
            wanted: wanted(config),
            ..LvsSync::default()
        }
    }

    /// An instance changed state: switch the sync daemon's role if it is the one the
    /// daemon is tied to.
    pub fn state_changed(&mut self, instance: &str, state: State) {
        let role = match state {
            State::Master => SyncRole::Master,
            State::Backup | State::Fault => SyncRole::Backup,
            State::Init | State::Stop => return,
        };
        if self
            .wanted
            .as_ref()
            .is_some_and(|wanted| wanted.instance == instance)
        {
            self.switch_to(role);
        }
    }

    /// SIGHUP: a changed `lvs_sync_daemon` line stops the running daemon and starts the
    /// new one in the role the (possibly new) instance's `state` calls for.
    pub fn reload(&mut self, config: &Config, state_of: impl Fn(&str) -> Option<State>) {
        let next = wanted(config);
        if next == self.wanted {
            return;
        }
        self.stop();
        self.wanted = next;
        if let Some(state) = self
            .wanted
            .as_ref()
            .and_then(|wanted| state_of(&wanted.instance))
        {
            let instance = self
                .wanted
                .as_ref()
                .map(|wanted| wanted.instance.clone())
                .unwrap_or_default();
            self.state_changed(&instance, state);
        }
    }

    /// The daemon stops: so does the sync daemon it started.
    pub fn stop(&mut self) {
        if let Some(role) = self.running.take() {
            self.command(role, false);
        }
    }

    fn switch_to(&mut self, role: SyncRole) {
        if self.running == Some(role) {
            return;
        }
        let other = match role {
            SyncRole::Master => SyncRole::Backup,
            SyncRole::Backup => SyncRole::Master,
        };
        // keepalived stops the other role first, whether or not it ran (a daemon left by
        // an earlier run would otherwise keep the interface).
        self.command(other, false);
        self.running = None;
        if self.command(role, true) {
            self.running = Some(role);
        }
    }

    /// Starts (`start`) or stops the daemon of `role`; whether the kernel accepted it.
    fn command(&mut self, role: SyncRole, start: bool) -> bool {
        let Some(wanted) = self.wanted.clone() else {
            return false;
        };
        if self.ipvs.is_none() && !self.unavailable {
            match Ipvs::open() {
                Ok(ipvs) => self.ipvs = Some(ipvs),
                Err(error) => {
                    self.unavailable = true;
                    log::error(&format!(
                        "lvs_sync_daemon: no IPVS in this kernel ({error}); not started"
                    ));
                }
            }
        }
        let Some(ipvs) = &self.ipvs else {
            return false;
        };
        let name = match role {
            SyncRole::Master => "master",
            SyncRole::Backup => "backup",
        };
        let result = if start {
            let daemon = SyncDaemon {
                role,
                ..wanted.daemon.clone()
            };
            ipvs.start_sync_daemon(&daemon)
        } else {
            ipvs.stop_sync_daemon(role)
        };
        match result {
            Ok(()) => {
                log::info(&format!(
                    "{} IPVS {name} sync daemon (interface {}, syncid {})",
                    if start { "Started" } else { "Stopped" },
                    wanted.daemon.interface,
                    wanted.daemon.sync_id
                ));
                true
            }
            // Stopping a daemon that does not run is the normal case at a switch.
            Err(_) if !start => false,
            Err(error) => {
                log::error(&format!(
                    "lvs_sync_daemon: starting the {name} daemon: {error}"
                ));
                false
            }
        }
    }
}

/// The configured daemon, when it names an instance that exists (spec §3.12: keepalived
/// drives the sync daemon from that instance; the sync id defaults to its VRID).
fn wanted(config: &Config) -> Option<Wanted> {
    let line = config.global_defs.lvs_sync_daemon.as_ref()?;
    let Some(name) = &line.instance else {
        log::warn("lvs_sync_daemon names no vrrp_instance to follow - ignored");
        return None;
    };
    let Some(instance) = config.vrrp.instances.iter().find(|i| &i.name == name) else {
        log::warn(&format!(
            "lvs_sync_daemon: vrrp_instance {name} does not exist - ignored"
        ));
        return None;
    };
    Some(Wanted {
        instance: name.clone(),
        daemon: SyncDaemon {
            role: SyncRole::Backup,
            interface: line.interface.clone(),
            sync_id: u32::from(line.id.unwrap_or(instance.virtual_router_id)),
            max_len: line.maxlen,
            group: line.group,
            port: line.port,
            ttl: line.ttl,
        },
    })
}
