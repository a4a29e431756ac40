//! A plain, owned picture of the VRRP side at one moment: what the SIGUSR1 / SIGUSR2 /
//! SIGRTMIN+2 dumps print (spec §4.1–§4.3).
//!
//! The engine (`keel_vrrp::Router`) knows states, priorities, timers and counters; the typed
//! configuration (`keel_conf::Config`) knows how each VIP, script and tracker was written;
//! the daemon knows what it observed (script results, file values, sockets, the wall clock).
//! [`Snapshot::from_router`] joins the three so the dump writers are pure string formatting.

mod format;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use keel_conf::Config;
use keel_conf::model::global::GlobalDefs;
use keel_conf::model::vrrp::{Instance as ConfInstance, TrackRef};
use keel_conf::model::{Script, VirtualAddress};
use keel_vrrp::{Authentication, Instance, Router, Stats};

pub use format::{format_address, format_route, format_rule, quote_command};
pub use keel_vrrp::State;

/// What the daemon observed that neither the engine nor the configuration holds.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The wall clock at the same moment as the `now` passed to [`Snapshot::from_router`];
    /// engine instants are turned into epoch times through it.
    pub wall_clock: SystemTime,
    /// Host name, used as `router_id` when the configuration sets none (spec §2.3).
    pub host_name: String,
    /// uid and gid scripts run as (`script_user`, resolved by the daemon).
    pub script_uid_gid: (u32, u32),
    /// `vrrp_script` state by script name.
    pub scripts: BTreeMap<String, ScriptObservation>,
    /// Current value of each `track_file` by name.
    pub file_values: BTreeMap<String, i64>,
    /// Number of matching processes of each `vrrp_track_process` by name.
    pub process_counts: BTreeMap<String, u32>,
    /// Interfaces seen down (tracked or instance interfaces); absent means up.
    pub interfaces_down: Vec<String>,
    /// Receive and send socket descriptors of each instance by instance name.
    pub sockets: BTreeMap<String, (i32, i32)>,
    /// Interface indexes by name (IPv6 multicast lines name the index).
    pub interface_indexes: BTreeMap<String, u32>,
}

impl Observed {
    /// Nothing observed yet, at `wall_clock`.
    pub fn new(wall_clock: SystemTime, host_name: &str) -> Self {
        Observed {
            wall_clock,
            host_name: host_name.to_string(),
            script_uid_gid: (0, 0),
            scripts: BTreeMap::new(),
            file_values: BTreeMap::new(),
            process_counts: BTreeMap::new(),
            interfaces_down: Vec::new(),
            sockets: BTreeMap::new(),
            interface_indexes: BTreeMap::new(),
        }
    }
}

/// The runner's view of one `vrrp_script`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptObservation {
    /// The rise/fall counter (keepalived's `Result`, 0..rise+fall-1; spec §3.5).
    pub result: u32,
    /// The script counts as up (`Status = GOOD`).
    pub good: bool,
    /// A run is in progress.
    pub running: bool,
}

/// Everything the dumps print.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `router_id`, or the host name.
    pub router_id: String,
    /// The configured global settings.
    pub global: GlobalDefs,
    /// `net_namespace`.
    pub net_namespace: Option<String>,
    /// `net_namespace_ipvs`.
    pub net_namespace_ipvs: Option<String>,
    /// uid and gid of scripts.
    pub script_uid_gid: (u32, u32),
    /// Instances in configuration order.
    pub instances: Vec<InstanceSnapshot>,
    /// Sync groups in configuration order.
    pub sync_groups: Vec<SyncGroupSnapshot>,
    /// `vrrp_script`s.
    pub scripts: Vec<ScriptSnapshot>,
    /// `track_file`s.
    pub track_files: Vec<TrackFileSnapshot>,
    /// `vrrp_track_process`es.
    pub track_processes: Vec<TrackProcessSnapshot>,
}

/// An instance's `use_ipvlan` interface, as keepalived 2.2.7's data dump shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IpvlanSnapshot {
    /// Its name.
    pub interface: String,
    /// It is up.
    pub up: bool,
    /// Its configured address, `ADDR/LEN`.
    pub address: Option<String>,
    /// `bridge`, `private` or `vepa`.
    pub flag: &'static str,
}

/// One `vrrp_instance`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSnapshot {
    /// Name (`iname`).
    pub name: String,
    /// 2 or 3.
    pub version: u8,
    /// The sync group holding it.
    pub sync_group: Option<String>,
    /// IPv6 instance.
    pub ipv6: bool,
    /// Current state.
    pub state: State,
    /// The state the instance is heading for (keel moves at once, so the current state,
    /// except a faulty instance that wants FAULT).
    pub wantstate: State,
    /// Source of the last accepted advert.
    pub master_router: Option<IpAddr>,
    /// Priority of the last accepted advert.
    pub master_priority: u8,
    /// Master_Adver_Interval.
    pub master_advert_interval: Duration,
    /// Trackers with weight 0 currently failed, plus a down interface.
    pub fault_count: u32,
    /// Epoch time of the last transition.
    pub last_transition: Option<Duration>,
    /// Epoch time of the next deadline (`Read timeout`).
    pub read_timeout: Option<Duration>,
    /// Master_Down_Interval with the current priority.
    pub master_down_interval: Duration,
    /// The configured `interface` (the base interface when a VMAC is used).
    pub interface: String,
    /// Some VIP lives on another interface than `interface` (a `dev` option, or the VMAC):
    /// keepalived 2.2.7 then prints an empty `Flags:` list.
    pub vips_elsewhere: bool,
    /// `use_vmac` interface name.
    pub vmac_interface: Option<String>,
    /// The VMAC interface is up.
    pub vmac_up: bool,
    /// `vmac_xmit_base`.
    pub vmac_xmit_base: bool,
    /// `use_ipvlan`: the ipvlan the instance runs on.
    pub ipvlan: Option<IpvlanSnapshot>,
    /// The source address of adverts.
    pub source_address: IpAddr,
    /// The source address was configured (`unicast_src_ip` / `mcast_src_ip`, or the
    /// `use_ipvlan` address).
    pub source_from_config: bool,
    /// The multicast group (None for unicast).
    pub multicast_group: Option<IpAddr>,
    /// Index of the interface, when known.
    pub interface_index: Option<u32>,
    /// GARP settings in keepalived's units.
    pub garp: GarpSnapshot,
    /// `down_timer_adverts`.
    pub down_timer_adverts: u8,
    /// `lower_prio_no_advert`.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`.
    pub higher_prio_send_advert: bool,
    /// `dont_track_primary`.
    pub dont_track_primary: bool,
    /// `skip_check_adv_addr`.
    pub skip_check_adv_addr: bool,
    /// `strict_mode` / `vrrp_strict`.
    pub strict: bool,
    /// VRID.
    pub vrid: u8,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority after trackers.
    pub effective_priority: u8,
    /// Advertisement interval.
    pub advert_interval: Duration,
    /// Accept mode.
    pub accept: bool,
    /// `nopreempt`.
    pub nopreempt: bool,
    /// `preempt_delay`.
    pub preempt_delay: Duration,
    /// `promote_secondaries`.
    pub promote_secondaries: bool,
    /// v2 authentication.
    pub auth: AuthSnapshot,
    /// VIPs formatted as keepalived prints them.
    pub vips: Vec<String>,
    /// Excluded VIPs, same format.
    pub evips: Vec<String>,
    /// Virtual routes.
    pub vroutes: Vec<String>,
    /// Virtual rules.
    pub vrules: Vec<String>,
    /// The VIPs are installed (MASTER).
    pub vips_set: bool,
    /// `unicast_peer`s: address, min_ttl, max_ttl.
    pub unicast_peers: Vec<(IpAddr, u8, u8)>,
    /// `unicast_ttl` when configured.
    pub unicast_ttl: Option<u8>,
    /// `check_unicast_src`.
    pub check_unicast_src: bool,
    /// Receive/send descriptors.
    pub sockets: Option<(i32, i32)>,
    /// `track_interface` entries.
    pub track_interfaces: Vec<TrackedSnapshot>,
    /// `track_script` entries.
    pub track_scripts: Vec<TrackedSnapshot>,
    /// Command strings of tracked scripts (JSON `track_script`).
    pub track_script_commands: Vec<String>,
    /// `track_file` entries.
    pub track_files: Vec<TrackedSnapshot>,
    /// `track_process` entries.
    pub track_processes: Vec<TrackedSnapshot>,
    /// `track_bfd` entries.
    pub track_bfds: Vec<TrackedSnapshot>,
    /// `smtp_alert`.
    pub smtp_alert: bool,
    /// `notify_deleted`.
    pub notify_deleted: bool,
    /// Notification scripts, quoted as keepalived prints them.
    pub notify: NotifySnapshot,
    /// `notify_priority_changes`.
    pub notify_priority_changes: bool,
    /// Counters.
    pub stats: Stats,
}

/// GARP settings in keepalived's units (seconds, counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpSnapshot {
    /// `garp_master_delay` in seconds.
    pub delay: u64,
    /// `garp_master_repeat`.
    pub repeat: u32,
    /// `garp_master_refresh` in seconds.
    pub refresh: u64,
    /// `garp_master_refresh_repeat`.
    pub refresh_repeat: u32,
    /// `garp_lower_prio_delay` in seconds.
    pub lower_prio_delay: u64,
    /// `garp_lower_prio_repeat`.
    pub lower_prio_repeat: u32,
}

/// v2 authentication as the dumps show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSnapshot {
    /// No authentication.
    None,
    /// `auth_type PASS` with its password.
    Pass(String),
    /// `auth_type AH` with its key.
    Ah(String),
}

impl AuthSnapshot {
    /// The VRRPv2 auth type number (JSON `auth_type`).
    pub fn number(&self) -> u8 {
        match self {
            AuthSnapshot::None => 0,
            AuthSnapshot::Pass(_) => 1,
            AuthSnapshot::Ah(_) => 2,
        }
    }
}

/// One tracked object as an instance uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedSnapshot {
    /// Object (or interface) name.
    pub name: String,
    /// Weight in force.
    pub weight: i32,
    /// `reverse`.
    pub reverse: bool,
}

/// Notification scripts, each already quoted (`'/usr/bin/echo' 'backup'`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifySnapshot {
    /// `notify_backup`.
    pub backup: Option<String>,
    /// `notify_master`.
    pub master: Option<String>,
    /// `notify_fault`.
    pub fault: Option<String>,
    /// `notify_stop`.
    pub stop: Option<String>,
    /// `notify_deleted SCRIPT`.
    pub deleted: Option<String>,
    /// `notify`.
    pub generic: Option<String>,
    /// `notify_master_rx_lower_pri`.
    pub master_rx_lower_pri: Option<String>,
}

/// One `vrrp_sync_group`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroupSnapshot {
    /// Name.
    pub name: String,
    /// Group state.
    pub state: State,
    /// Members in FAULT.
    pub members_fault: u32,
    /// Members in INIT.
    pub members_init: u32,
    /// Member names.
    pub members: Vec<String>,
    /// `smtp_alert`.
    pub smtp_alert: bool,
    /// Group notification scripts.
    pub notify: NotifySnapshot,
}

/// One `vrrp_script`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptSnapshot {
    /// Name.
    pub name: String,
    /// Quoted command.
    pub command: String,
    /// `interval`.
    pub interval: Duration,
    /// `timeout` (zero when not configured).
    pub timeout: Duration,
    /// `weight`.
    pub weight: i32,
    /// `weight W reverse`.
    pub reverse: bool,
    /// `rise`.
    pub rise: u32,
    /// `fall`.
    pub fall: u32,
    /// The rise/fall counter.
    pub result: u32,
    /// `init_fail`.
    pub init_fail: bool,
    /// Known result: `Some(true)` GOOD, `Some(false)` BAD, `None` not run yet.
    pub good: Option<bool>,
    /// A run is in progress.
    pub running: bool,
    /// Instances tracking it and the weight each uses.
    pub tracking: Vec<(String, i32)>,
}

/// One `track_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFileSnapshot {
    /// Name.
    pub name: String,
    /// Path.
    pub file: String,
    /// Value read (0 until read).
    pub value: i64,
    /// `weight`.
    pub weight: i32,
    /// Instances tracking it and the weight each uses.
    pub tracking: Vec<(String, i32)>,
}

/// One `vrrp_track_process`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackProcessSnapshot {
    /// Name.
    pub name: String,
    /// Process name.
    pub process: String,
    /// Parameters, space separated.
    pub parameters: String,
    /// `none`, `exact`, `partial` or `initial`.
    pub param_match: String,
    /// `quorum`.
    pub min_processes: u32,
    /// `quorum_max`.
    pub max_processes: u32,
    /// Matching processes now.
    pub current_processes: u32,
    /// `weight`.
    pub weight: i32,
    /// `terminate_delay` in seconds.
    pub terminate_delay: f64,
    /// `fork_delay` in seconds.
    pub fork_delay: f64,
    /// `full_command`.
    pub full_command: bool,
    /// Instances tracking it and the weight each uses.
    pub tracking: Vec<(String, i32)>,
}

impl TrackProcessSnapshot {
    /// The number of matching processes is within `quorum..=quorum_max`.
    pub fn has_quorum(&self) -> bool {
        (self.min_processes..=self.max_processes).contains(&self.current_processes)
    }
}

impl Snapshot {
    /// Joins the engine's state, the configuration it was built from and what the daemon
    /// observed. Call it when a dump signal arrives; `now` is the instant the engine's
    /// deadlines are measured against, taken at the same moment as `observed.wall_clock`.
    ///
    /// An engine instance without a configuration entry (impossible when both come from the
    /// same load) is still dumped, with keepalived's defaults for what only the
    /// configuration knows.
    pub fn from_router(
        router: &Router,
        config: &Config,
        observed: &Observed,
        now: Instant,
    ) -> Snapshot {
        let clock = Clock {
            now,
            wall: observed.wall_clock,
        };
        let instances = router
            .instances()
            .iter()
            .map(|instance| {
                let conf = config
                    .vrrp
                    .instances
                    .iter()
                    .find(|candidate| candidate.name == instance.name());
                instance_snapshot(instance, conf, config, observed, clock)
            })
            .collect::<Vec<_>>();
        let sync_groups = router
            .groups()
            .iter()
            .map(|group| {
                let members = group.config().members.clone();
                let member_states = || {
                    instances
                        .iter()
                        .filter(|instance| members.contains(&instance.name))
                        .map(|instance| instance.state)
                };
                let conf = config
                    .vrrp
                    .sync_groups
                    .iter()
                    .find(|candidate| candidate.name == group.name());
                SyncGroupSnapshot {
                    name: group.name().to_string(),
                    state: group.state(),
                    members_fault: member_states().filter(|s| *s == State::Fault).count() as u32,
                    members_init: member_states().filter(|s| *s == State::Init).count() as u32,
                    members: members.clone(),
                    smtp_alert: conf.and_then(|group| group.smtp_alert).unwrap_or(false),
                    notify: conf
                        .map(|group| notify_snapshot(&group.notify, None))
                        .unwrap_or_default(),
                }
            })
            .collect();
        Snapshot {
            router_id: config
                .global_defs
                .router_id
                .clone()
                .unwrap_or_else(|| observed.host_name.clone()),
            global: config.global_defs.clone(),
            net_namespace: config.root.net_namespace.clone(),
            net_namespace_ipvs: config.root.net_namespace_ipvs.clone(),
            script_uid_gid: observed.script_uid_gid,
            scripts: script_snapshots(config, observed),
            track_files: track_file_snapshots(config, observed),
            track_processes: track_process_snapshots(config, observed),
            instances,
            sync_groups,
        }
    }
}

#[derive(Clone, Copy)]
struct Clock {
    now: Instant,
    wall: SystemTime,
}

impl Clock {
    /// The epoch time of an engine instant.
    fn epoch(self, at: Instant) -> Option<Duration> {
        let wall = if at <= self.now {
            self.wall.checked_sub(self.now - at)?
        } else {
            self.wall.checked_add(at - self.now)?
        };
        wall.duration_since(UNIX_EPOCH).ok()
    }
}

fn instance_snapshot(
    instance: &Instance,
    conf: Option<&ConfInstance>,
    config: &Config,
    observed: &Observed,
    clock: Clock,
) -> InstanceSnapshot {
    let engine = instance.config();
    let state = instance.state();
    let vips_set = state == State::Master;
    let tracking = conf.map(|conf| &conf.tracking);
    let refs = |pick: fn(&keel_conf::model::vrrp::Tracking) -> &Vec<TrackRef>,
                default_weight: &dyn Fn(&str) -> (i32, bool)| {
        tracking
            .map(|tracking| {
                pick(tracking)
                    .iter()
                    .map(|reference| {
                        let (weight, reverse) = default_weight(&reference.name);
                        TrackedSnapshot {
                            name: reference.name.clone(),
                            weight: reference.weight.unwrap_or(weight),
                            reverse: reference.reverse.unwrap_or(reverse),
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let script_weight = |name: &str| {
        config
            .vrrp
            .scripts
            .iter()
            .find(|script| script.name == name)
            .map(|script| (script.weight, script.reverse))
            .unwrap_or((0, false))
    };
    let file_weight = |name: &str| {
        config
            .vrrp
            .track_files
            .iter()
            .find(|file| file.name == name)
            .map(|file| (file.weight, file.reverse))
            .unwrap_or((1, false))
    };
    let process_weight = |name: &str| {
        config
            .vrrp
            .track_processes
            .iter()
            .find(|process| process.name == name)
            .map(|process| (process.weight, process.reverse))
            .unwrap_or((0, false))
    };
    let zero = |_: &str| (0, false);
    let track_interfaces = refs(|tracking| &tracking.track_interface, &zero);
    let track_scripts = refs(|tracking| &tracking.track_script, &script_weight);
    let track_files = refs(|tracking| &tracking.track_file, &file_weight);
    let track_processes = refs(|tracking| &tracking.track_process, &process_weight);
    let track_bfds = refs(|tracking| &tracking.track_bfd, &zero);
    let track_script_commands = track_scripts
        .iter()
        .filter_map(|tracked| {
            config
                .vrrp
                .scripts
                .iter()
                .find(|script| script.name == tracked.name)
                .map(|script| quote_command(&script.script))
        })
        .collect();
    let processes_short = track_processes
        .iter()
        .filter(|tracked| {
            tracked.weight == 0
                && config
                    .vrrp
                    .track_processes
                    .iter()
                    .find(|process| process.name == tracked.name)
                    .is_some_and(|process| {
                        let count = observed.process_counts.get(&process.name).copied();
                        let count = count.unwrap_or(0);
                        count < process.quorum || process.quorum_max.is_some_and(|max| count > max)
                    })
        })
        .count() as u32;
    let fault_count = fault_count(
        instance,
        observed,
        &track_interfaces,
        &track_scripts,
        &track_files,
    ) + processes_short;
    let interface = engine.interface.clone();
    let vmac_interface = conf.and_then(|conf| conf.use_vmac.as_ref()).map(|vmac| {
        vmac.name
            .clone()
            .unwrap_or_else(|| format!("vrrp.{}", engine.vrid))
    });
    let ipvlan = conf
        .and_then(|conf| conf.use_ipvlan.as_ref())
        .map(|ipvlan| {
            let name = ipvlan.name.clone().unwrap_or_else(|| {
                keel_sys::vmac::vmac_name(&crate::daemon::vmac::vmac_prefix(config), engine.vrid)
            });
            IpvlanSnapshot {
                up: !observed.interfaces_down.contains(&name),
                interface: name,
                address: ipvlan.address.map(|prefix| {
                    let full = if prefix.address.is_ipv4() { 32 } else { 128 };
                    format!("{}/{}", prefix.address, prefix.len.unwrap_or(full))
                }),
                flag: ipvlan.flag.word(),
            }
        });
    // keepalived compat: VIPs without `dev` go on the VMAC, printed `vrrp.N@base`.
    let vip_device = match &vmac_interface {
        Some(vmac) => format!("{vmac}@{interface}"),
        None => interface.clone(),
    };
    let format_all = |addresses: &[VirtualAddress]| {
        addresses
            .iter()
            .map(|address| format_address(address, &vip_device, vips_set))
            .collect::<Vec<_>>()
    };
    let vips_elsewhere = vmac_interface.is_some()
        || conf.is_some_and(|conf| {
            conf.virtual_ipaddress
                .iter()
                .chain(&conf.virtual_ipaddress_excluded)
                .any(|vip| vip.dev.as_ref().is_some_and(|dev| *dev != interface))
        });
    let garp = &engine.garp;
    let seconds = |value: Option<Duration>| value.map(|d| d.as_secs()).unwrap_or(0);
    let unicast = !engine.unicast_peers.is_empty();
    let group = config
        .vrrp
        .sync_groups
        .iter()
        .find(|group| group.group.iter().any(|member| member == instance.name()));
    InstanceSnapshot {
        name: instance.name().to_string(),
        version: match engine.version {
            keel_vrrp::Version::V2 => 2,
            keel_vrrp::Version::V3 => 3,
        },
        sync_group: group.map(|group| group.name.clone()),
        ipv6: engine.primary_address.is_ipv6(),
        state,
        wantstate: if instance.is_faulty() {
            State::Fault
        } else {
            state
        },
        master_router: instance.master_address(),
        master_priority: instance.master_priority(),
        master_advert_interval: instance.master_advert_interval(),
        fault_count,
        last_transition: instance.last_transition().and_then(|at| clock.epoch(at)),
        read_timeout: instance.poll_timeout().and_then(|at| clock.epoch(at)),
        master_down_interval: instance.master_down_interval(),
        vmac_up: vmac_interface
            .as_ref()
            .is_some_and(|name| !observed.interfaces_down.contains(name)),
        vmac_interface,
        vips_elsewhere,
        vmac_xmit_base: conf.is_some_and(|conf| conf.vmac_xmit_base),
        interface: interface.clone(),
        source_address: engine.primary_address,
        // keepalived 2.2.7 (vrrp_parser.c): the use_ipvlan address counts as configured.
        source_from_config: conf.is_some_and(|conf| conf.configured_source().is_some()),
        ipvlan,
        multicast_group: (!unicast).then_some(engine.multicast_group),
        interface_index: observed.interface_indexes.get(&engine.interface).copied(),
        garp: GarpSnapshot {
            delay: seconds(garp.master_delay),
            repeat: garp.master_repeat,
            refresh: seconds(garp.master_refresh),
            refresh_repeat: garp.master_refresh_repeat,
            lower_prio_delay: seconds(garp.lower_prio_delay),
            lower_prio_repeat: garp.lower_prio_repeat,
        },
        down_timer_adverts: engine.down_timer_adverts,
        lower_prio_no_advert: engine.lower_prio_no_advert,
        higher_prio_send_advert: engine.higher_prio_send_advert,
        dont_track_primary: conf.is_some_and(|conf| conf.dont_track_primary),
        skip_check_adv_addr: engine.skip_check_adv_addr,
        strict: engine.strict,
        vrid: engine.vrid,
        base_priority: instance.base_priority(),
        effective_priority: instance.effective_priority(),
        advert_interval: engine.advert_interval,
        accept: engine.accept_mode(),
        nopreempt: engine.nopreempt,
        preempt_delay: engine.preempt_delay,
        promote_secondaries: conf.is_some_and(|conf| conf.promote_secondaries),
        auth: match engine.authentication {
            Authentication::None => AuthSnapshot::None,
            Authentication::Pass(key) => AuthSnapshot::Pass(key_text(&key)),
            Authentication::Ah(key) => AuthSnapshot::Ah(key_text(&key)),
        },
        vips: conf
            .map(|conf| format_all(&conf.virtual_ipaddress))
            .unwrap_or_default(),
        evips: conf
            .map(|conf| format_all(&conf.virtual_ipaddress_excluded))
            .unwrap_or_default(),
        vroutes: conf
            .map(|conf| conf.virtual_routes.iter().map(format_route).collect())
            .unwrap_or_default(),
        vrules: conf
            .map(|conf| conf.virtual_rules.iter().map(format_rule).collect())
            .unwrap_or_default(),
        vips_set,
        unicast_peers: engine
            .unicast_peers
            .iter()
            .map(|peer| (peer.address, peer.min_ttl, peer.max_ttl))
            .collect(),
        unicast_ttl: conf.and_then(|conf| conf.unicast_ttl),
        check_unicast_src: engine.check_unicast_src,
        sockets: observed.sockets.get(instance.name()).copied(),
        track_interfaces,
        track_scripts,
        track_script_commands,
        track_files,
        track_processes,
        track_bfds,
        smtp_alert: conf
            .and_then(|conf| conf.smtp_alert)
            .or(config.global_defs.smtp_alert_vrrp)
            .or(config.global_defs.smtp_alert)
            .unwrap_or(false),
        notify_deleted: conf.is_some_and(|conf| conf.notify_deleted.is_some()),
        notify: conf
            .map(|conf| {
                notify_snapshot(
                    &conf.notify,
                    conf.notify_deleted
                        .as_ref()
                        .and_then(|deleted| deleted.script.as_ref()),
                )
            })
            .unwrap_or_default(),
        notify_priority_changes: engine.notify.priority_changes,
        stats: *instance.stats(),
    }
}

/// keepalived's `num_script_if_fault`: tracked objects holding the instance in FAULT.
fn fault_count(
    instance: &Instance,
    observed: &Observed,
    interfaces: &[TrackedSnapshot],
    scripts: &[TrackedSnapshot],
    files: &[TrackedSnapshot],
) -> u32 {
    let own_interface_down = observed
        .interfaces_down
        .iter()
        .any(|name| *name == instance.config().interface);
    let interfaces_down = interfaces
        .iter()
        .filter(|tracked| tracked.weight == 0 && observed.interfaces_down.contains(&tracked.name))
        .count();
    let scripts_bad = scripts
        .iter()
        .filter(|tracked| {
            tracked.weight == 0
                && observed
                    .scripts
                    .get(&tracked.name)
                    .is_some_and(|script| !script.good)
        })
        .count();
    let files_failed = files
        .iter()
        .filter(|tracked| {
            tracked.weight == 0
                && observed
                    .file_values
                    .get(&tracked.name)
                    .is_some_and(|value| *value != 0)
        })
        .count();
    u32::from(own_interface_down) + (interfaces_down + scripts_bad + files_failed) as u32
}

fn notify_snapshot(
    notify: &keel_conf::model::vrrp::Notify,
    deleted: Option<&Script>,
) -> NotifySnapshot {
    NotifySnapshot {
        backup: notify.notify_backup.as_ref().map(quote_command),
        master: notify.notify_master.as_ref().map(quote_command),
        fault: notify.notify_fault.as_ref().map(quote_command),
        stop: notify.notify_stop.as_ref().map(quote_command),
        deleted: deleted.map(quote_command),
        generic: notify.notify.as_ref().map(quote_command),
        master_rx_lower_pri: notify
            .notify_master_rx_lower_pri
            .as_ref()
            .map(quote_command),
    }
}

/// Instances (in configuration order) that track `name` through `pick`, with the weight
/// each uses.
fn trackers_of(
    config: &Config,
    name: &str,
    pick: fn(&keel_conf::model::vrrp::Tracking) -> &Vec<TrackRef>,
    default_weight: i32,
) -> Vec<(String, i32)> {
    config
        .vrrp
        .instances
        .iter()
        .filter_map(|instance| {
            pick(&instance.tracking)
                .iter()
                .find(|reference| reference.name == name)
                .map(|reference| {
                    (
                        instance.name.clone(),
                        reference.weight.unwrap_or(default_weight),
                    )
                })
        })
        .collect()
}

fn script_snapshots(config: &Config, observed: &Observed) -> Vec<ScriptSnapshot> {
    config
        .vrrp
        .scripts
        .iter()
        .map(|script| {
            let seen = observed.scripts.get(&script.name);
            ScriptSnapshot {
                name: script.name.clone(),
                command: quote_command(&script.script),
                interval: script.interval.as_duration(),
                timeout: script
                    .timeout
                    .map(|timeout| timeout.as_duration())
                    .unwrap_or_default(),
                weight: script.weight,
                reverse: script.reverse,
                rise: script.rise,
                fall: script.fall,
                result: seen.map(|seen| seen.result).unwrap_or(0),
                init_fail: script.init_fail,
                good: seen.map(|seen| seen.good),
                running: seen.is_some_and(|seen| seen.running),
                tracking: trackers_of(
                    config,
                    &script.name,
                    |tracking| &tracking.track_script,
                    script.weight,
                ),
            }
        })
        .collect()
}

fn track_file_snapshots(config: &Config, observed: &Observed) -> Vec<TrackFileSnapshot> {
    config
        .vrrp
        .track_files
        .iter()
        .map(|file| TrackFileSnapshot {
            name: file.name.clone(),
            file: file.file.clone(),
            value: observed.file_values.get(&file.name).copied().unwrap_or(0),
            weight: file.weight,
            tracking: trackers_of(
                config,
                &file.name,
                |tracking| &tracking.track_file,
                file.weight,
            ),
        })
        .collect()
}

fn track_process_snapshots(config: &Config, observed: &Observed) -> Vec<TrackProcessSnapshot> {
    config
        .vrrp
        .track_processes
        .iter()
        .map(|process| {
            let mut words = process.process.iter();
            let name = words.next().cloned().unwrap_or_default();
            let parameters = words.cloned().collect::<Vec<_>>().join(" ");
            // keepalived compat: parameters given without param_match mean an exact match.
            let param_match = match (&process.param_match, parameters.is_empty()) {
                (Some(mode), _) => mode.clone(),
                (None, true) => "none".to_string(),
                (None, false) => "exact".to_string(),
            };
            TrackProcessSnapshot {
                name: process.name.clone(),
                process: name,
                parameters,
                param_match,
                min_processes: process.quorum,
                max_processes: process.quorum_max.unwrap_or(u32::MAX),
                current_processes: observed
                    .process_counts
                    .get(&process.name)
                    .copied()
                    .unwrap_or(0),
                weight: process.weight,
                terminate_delay: process
                    .terminate_delay
                    .map(|delay| delay.as_f64())
                    .unwrap_or(0.0),
                fork_delay: process
                    .fork_delay
                    .map(|delay| delay.as_f64())
                    .unwrap_or(0.0),
                full_command: process.full_command,
                tracking: trackers_of(
                    config,
                    &process.name,
                    |tracking| &tracking.track_process,
                    process.weight,
                ),
            }
        })
        .collect()
}

/// The password or key as text, up to its first NUL (keys are zero-padded to 8 bytes).
fn key_text(key: &[u8; 8]) -> String {
    let end = key.iter().position(|byte| *byte == 0).unwrap_or(key.len());
    String::from_utf8_lossy(&key[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a password shorter than the 8-byte field. Output: the text without padding.
    #[test]
    fn key_text_drops_padding() {
        assert_eq!(key_text(b"secret1\0"), "secret1");
        assert_eq!(key_text(b"12345678"), "12345678");
    }
}
