//! From keel-conf's typed `Config` to what the daemon runs: keel-vrrp's [`RouterConfig`]
//! plus the daemon-side details the engine does not model (how each VIP is installed, which
//! tracked objects to watch, which scripts to run as whom).
//!
//! keel-conf has already applied keepalived's defaults and cross-checks; this module only
//! resolves what needs the machine (an instance's primary address) and the global defaults
//! that apply per instance (spec §2.3, §2.6).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use keel_conf::Config;
use keel_conf::model::global::Fifo;
use keel_conf::model::vrrp::{AuthType, Instance as ConfInstance, Notify, TrackRef, Tracking};
use keel_conf::model::{RawKeyword, Route, Rule, Script, VirtualAddress};
use keel_vrrp::{
    Authentication, Family, GarpConfig, InitialState, InstanceConfig, NotifyConfig, RouterConfig,
    SyncGroupConfig, TrackedObject, TrackerId, TrackerKind, UnicastPeer, Version,
};

/// Everything the daemon needs from one configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaemonConfig {
    /// What the VRRP engine runs.
    pub router: RouterConfig,
    /// `log_unknown_vrids`: log adverts for a VRID no instance has on that interface.
    pub log_unknown_vrids: bool,
    /// Per instance (same order as `router.instances`): how its addresses are installed.
    pub instances: Vec<InstanceSetup>,
    /// Commands of notify scripts, by the string the engine hands back in `ScriptCall`.
    pub scripts: HashMap<String, Script>,
    /// `vrrp_script`s some instance or group tracks.
    pub vrrp_scripts: Vec<ScriptTracker>,
    /// `track_file`s some instance or group tracks.
    pub track_files: Vec<FileTracker>,
    /// `vrrp_track_process`es some instance or group tracks.
    pub track_processes: Vec<ProcessTracker>,
    /// Interfaces tracked with `track_interface` (tracker id, interface name).
    pub track_interfaces: Vec<(TrackerId, String)>,
    /// `notify_fifo` / `vrrp_notify_fifo` (the VRRP one wins when both are set).
    pub notify_fifo: Option<Fifo>,
    /// `vrrp_notify_fifo_script` / `notify_fifo_script`: reads the FIFO for the daemon's life.
    pub fifo_script: Option<Script>,
    /// `script_user` (run scripts as this user; root when unset).
    pub script_user: Option<(String, Option<String>)>,
    /// Where alert mails go, when `smtp_server` and `notification_email` are configured.
    pub smtp: Option<SmtpConfig>,
    /// Sync groups that mail their transitions: `smtp_alert` on the group, else
    /// `smtp_alert_vrrp`, else the global `smtp_alert` (spec §2.5).
    pub group_smtp_alert: Vec<String>,
    /// `static_ipaddress`: installed for the daemon's life.
    pub static_addresses: Vec<VirtualAddress>,
    /// `static_routes`: installed for the daemon's life.
    pub static_routes: Vec<Route>,
    /// `static_rules`: installed for the daemon's life.
    pub static_rules: Vec<Rule>,
    /// Problems found while mapping (an instance without a usable address is skipped).
    pub warnings: Vec<String>,
}

/// How one instance's addresses go onto the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSetup {
    /// Instance name.
    pub name: String,
    /// `virtual_ipaddress` and `virtual_ipaddress_excluded` entries with their options.
    pub addresses: Vec<VirtualAddress>,
    /// `unicast_ttl` (IPv4 TTL / IPv6 hop limit of unicast adverts).
    pub unicast_ttl: u8,
    /// `virtual_routes`: installed while MASTER.
    pub routes: Vec<Route>,
    /// `virtual_rules`: installed while MASTER.
    pub rules: Vec<Rule>,
    /// `smtp_alert` (instance, else `smtp_alert_vrrp`, else global `smtp_alert`, else off).
    pub smtp_alert: bool,
}

/// The mail side of `global_defs` (spec §2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    /// `smtp_server HOST [PORT]` (port 25 by default).
    pub server: (String, u16),
    /// `smtp_helo_name` (`localhost`).
    pub helo_name: String,
    /// `notification_email_from`.
    pub from: String,
    /// `notification_email`.
    pub to: Vec<String>,
    /// `smtp_connect_timeout`.
    pub timeout: Duration,
    /// `router_id` (the host name when unset), the subject's prefix.
    pub router_id: String,
    /// `no_email_faults`: no mail for FAULT transitions.
    pub no_email_faults: bool,
}

/// A `vrrp_script` to run periodically.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptTracker {
    /// Tracker id (`script:NAME`).
    pub id: TrackerId,
    /// The command and its user.
    pub script: Script,
    /// `interval`.
    pub interval: Duration,
    /// `timeout` (keepalived: the interval when unset).
    pub timeout: Duration,
    /// `user USER [GROUP]`.
    pub user: Option<(String, Option<String>)>,
}

/// A `track_file` to watch.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTracker {
    /// Tracker id (`file:NAME`).
    pub id: TrackerId,
    /// The watched path.
    pub path: String,
}

/// A `vrrp_track_process` to watch.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessTracker {
    /// Tracker id (`process:NAME`).
    pub id: TrackerId,
    /// Process name (or full command) and parameters.
    pub process: Vec<String>,
    /// `quorum` (1).
    pub quorum: u32,
    /// `quorum_max`.
    pub quorum_max: Option<u32>,
    /// `full_command`.
    pub full_command: bool,
}

/// The tracker id of a `vrrp_script`.
pub fn script_id(name: &str) -> TrackerId {
    TrackerId(format!("script:{name}"))
}

/// The tracker id of a `track_interface` entry.
pub fn interface_id(name: &str) -> TrackerId {
    TrackerId(format!("interface:{name}"))
}

/// The tracker id of a `track_file`.
pub fn file_id(name: &str) -> TrackerId {
    TrackerId(format!("file:{name}"))
}

/// The tracker id of a `vrrp_track_process`.
pub fn process_id(name: &str) -> TrackerId {
    TrackerId(format!("process:{name}"))
}

/// The tracker id of a `bfd_instance` (`track_bfd`).
pub fn bfd_id(name: &str) -> TrackerId {
    TrackerId(format!("bfd:{name}"))
}

/// The string a script is known by in `ScriptCall::command`: its argv, shell-quoted.
pub fn command_key(script: &Script) -> String {
    script
        .command
        .iter()
        .map(|word| {
            if !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
            {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Maps `config` for the daemon. `primary_address(instance, interface, family)` answers the
/// address an instance advertises from when neither `unicast_src_ip`, `mcast_src_ip` nor a
/// `use_ipvlan` address is given (spec §3.1: the interface's first address; IPv6: its
/// link-local address; an IPv6 `use_ipvlan` without an address: the ipvlan's link-local,
/// which only the daemon knows, hence the instance's name).
/// `is_local(address)` says whether the host has `address` on some interface (whether a
/// socket could be bound to it). `release_vips_on_stop` is false for keepalived's `-V`.
pub fn map(
    config: &Config,
    release_vips_on_stop: bool,
    primary_address: &dyn Fn(&str, &str, Family) -> Option<IpAddr>,
    is_local: &dyn Fn(IpAddr) -> bool,
) -> DaemonConfig {
    let mut out = DaemonConfig {
        log_unknown_vrids: RawKeyword::flag(&config.global_defs.other, "log_unknown_vrids")
            .unwrap_or(false),
        notify_fifo: config
            .global_defs
            .vrrp_notify_fifo
            .clone()
            .or_else(|| config.global_defs.notify_fifo.clone()),
        fifo_script: {
            // spec §3.8: the script of the FIFO in use, started with the FIFO's name.
            let keyword = if config.global_defs.vrrp_notify_fifo.is_some() {
                "vrrp_notify_fifo_script"
            } else {
                "notify_fifo_script"
            };
            config
                .global_defs
                .fifo_scripts
                .iter()
                .find(|(k, _)| k == keyword)
                .map(|(_, script)| script.clone())
        },
        script_user: config
            .global_defs
            .script_user
            .as_ref()
            .map(|u| (u.user.clone(), u.group.clone())),
        ..DaemonConfig::default()
    };
    let global = &config.global_defs;
    out.smtp = global
        .smtp_server
        .as_ref()
        .filter(|_| !global.notification_email.is_empty())
        .map(|server| SmtpConfig {
            server: (server.host.clone(), server.port),
            helo_name: global
                .smtp_helo_name
                .clone()
                .unwrap_or_else(|| "localhost".into()),
            from: global.notification_email_from.clone().unwrap_or_default(),
            to: global.notification_email.clone(),
            timeout: global.smtp_connect_timeout.as_duration(),
            router_id: global.router_id.clone().unwrap_or_else(host_name),
            no_email_faults: global.no_email_faults,
        });
    out.static_addresses = config.vrrp.static_ipaddress.clone();
    out.static_routes = config.vrrp.static_routes.clone();
    out.static_rules = config.vrrp.static_rules.clone();
    let mut used = UsedTrackers::default();
    for instance in &config.vrrp.instances {
        match map_instance(config, instance, release_vips_on_stop, primary_address) {
            Ok((mut mapped, source_known)) => {
                mapped.trackers = trackers(config, &instance.tracking, &mut used);
                if let Some(reason) = missing_source(instance, &mapped, source_known, is_local) {
                    out.warnings.push(format!(
                        "({}) entering FAULT state ({reason})",
                        instance.name
                    ));
                    mapped.trackers.push(source_missing(&instance.name));
                }
                if ipvlan_without_source(instance, mapped.family) {
                    mapped.trackers.push(ipvlan_fault(&instance.name));
                }
                if ipvlan_link_local_source(instance, mapped.family) {
                    mapped
                        .trackers
                        .push(fault_only(ipvlan_link_local_id(&instance.name)));
                }
                if instance.track_src_ip {
                    mapped.trackers.push(fault_only(src_ip_id(&instance.name)));
                }
                // `dont_track_primary`: neither the interface nor its VMAC/ipvlan is tracked.
                let own_link = (instance.use_vmac.is_some() || instance.use_ipvlan.is_some())
                    && !instance.dont_track_primary;
                // spec §3.10: a `use_vmac_addr` VMAC is tracked as its VIPs' interface
                // (unless they are all `no_track`), through the same tracker.
                let address_link =
                    address_vmac_vips(instance, &mapped.interface).any(|(vip, _)| !vip.no_track);
                if own_link || address_link {
                    mapped.trackers.push(vmac_link(&instance.name));
                }
                for dev in vip_interfaces(instance, &mapped.interface) {
                    used.interfaces.push(dev.to_string());
                    mapped.trackers.push(fault_only(interface_id(dev)));
                }
                mapped.notify = notify(
                    &instance.notify,
                    instance
                        .notify_deleted
                        .as_ref()
                        .map(|d| d.script.clone().unwrap_or_default()),
                    &mut out.scripts,
                );
                mapped.notify.fifo = out.notify_fifo.is_some();
                mapped.notify.priority_changes = instance
                    .notify_priority_changes
                    .unwrap_or(config.global_defs.vrrp_notify_priority_changes);
                out.instances.push(InstanceSetup {
                    name: instance.name.clone(),
                    addresses: instance
                        .virtual_ipaddress
                        .iter()
                        .chain(&instance.virtual_ipaddress_excluded)
                        .cloned()
                        .collect(),
                    unicast_ttl: instance.unicast_ttl.unwrap_or(255),
                    routes: instance.virtual_routes.clone(),
                    rules: instance.virtual_rules.clone(),
                    smtp_alert: instance
                        .smtp_alert
                        .or(config.global_defs.smtp_alert_vrrp)
                        .or(config.global_defs.smtp_alert)
                        .unwrap_or(false),
                });
                out.router.instances.push(mapped);
            }
            Err(warning) => out.warnings.push(warning),
        }
    }
    for group in &config.vrrp.sync_groups {
        let members: Vec<String> = group
            .group
            .iter()
            .filter(|member| out.router.instances.iter().any(|i| &i.name == *member))
            .cloned()
            .collect();
        let mut mapped = SyncGroupConfig {
            name: group.name.clone(),
            members,
            notify: notify(&group.notify, None, &mut out.scripts),
            trackers: trackers(config, &group.tracking, &mut used),
            tracking_weight: group.sync_group_tracking_weight,
        };
        mapped.notify.fifo = out.notify_fifo.is_some();
        if group
            .smtp_alert
            .or(config.global_defs.smtp_alert_vrrp)
            .or(config.global_defs.smtp_alert)
            .unwrap_or(false)
        {
            out.group_smtp_alert.push(group.name.clone());
        }
        out.router.sync_groups.push(mapped);
    }
    for script in &config.vrrp.scripts {
        if used.scripts.contains(&script.name) {
            out.vrrp_scripts.push(ScriptTracker {
                id: script_id(&script.name),
                script: script.script.clone(),
                interval: script.interval.as_duration().max(Duration::from_millis(10)),
                timeout: script
                    .timeout
                    .map(|t| t.as_duration())
                    .unwrap_or(script.interval.as_duration()),
                user: script
                    .user
                    .as_ref()
                    .map(|u| (u.user.clone(), u.group.clone())),
            });
        }
    }
    for file in &config.vrrp.track_files {
        if used.files.contains(&file.name) {
            out.track_files.push(FileTracker {
                id: file_id(&file.name),
                path: file.file.clone(),
            });
        }
    }
    for process in &config.vrrp.track_processes {
        if used.processes.contains(&process.name) {
            out.track_processes.push(ProcessTracker {
                id: process_id(&process.name),
                process: process.process.clone(),
                quorum: process.quorum,
                quorum_max: process.quorum_max,
                full_command: process.full_command,
            });
        }
    }
    used.interfaces.sort();
    used.interfaces.dedup();
    out.track_interfaces = used
        .interfaces
        .into_iter()
        .map(|name| (interface_id(&name), name))
        .collect();
    out
}

/// keepalived 2.2.7 (vrrp.c, `vrrp_complete_instance`): "IPv4 ipvlan requires a source ip
/// address to be configured. setting instance to fault state" — an IPv4 `use_ipvlan`
/// without an address (keel-conf reports it) holds its instance in FAULT.
fn ipvlan_without_source(instance: &ConfInstance, family: Family) -> bool {
    instance
        .use_ipvlan
        .as_ref()
        .is_some_and(|ipvlan| ipvlan.address.is_none() && family == Family::Ipv4)
}

/// The instance can never advertise (an IPv4 ipvlan without an address): FAULT for as
/// long as the configuration stands.
fn ipvlan_fault(instance: &str) -> TrackedObject {
    failed_for_good(TrackerId::new(&format!(
        "ipvlan-without-address:{instance}"
    )))
}

/// A tracker that is failed from the start and never reported on: weight 0 keeps the
/// instance in FAULT until a mapping leaves the tracker out.
fn failed_for_good(id: TrackerId) -> TrackedObject {
    TrackedObject {
        id,
        kind: TrackerKind::Script {
            rise: 1,
            fall: 1,
            init_fail: true,
        },
        weight: 0,
        reverse: false,
    }
}

/// Whether `instance` advertises from its ipvlan's link-local: IPv6, `use_ipvlan` without
/// an address, no configured source.
fn ipvlan_link_local_source(instance: &ConfInstance, family: Family) -> bool {
    family == Family::Ipv6
        && instance.configured_source().is_none()
        && instance
            .use_ipvlan
            .as_ref()
            .is_some_and(|ipvlan| ipvlan.address.is_none())
}

/// The tracker id of an IPv6 `use_ipvlan` instance's link-local: the daemon reports it
/// down while the ipvlan has none (keepalived 2.2.7: "entering FAULT state (no IPv6
/// address for interface)"), up once it has one (daemon/run/ipvlan_source.rs).
pub fn ipvlan_link_local_id(instance: &str) -> TrackerId {
    TrackerId(format!("ipvlan-link-local:{instance}"))
}

/// The tracker id of `track_src_ip`: up while the instance's source address is on its
/// interface. keepalived 2.2.7, seen in a namespace: "Deassigned address 10.5.0.1 from
/// interface a0", "(VI_1) Entering FAULT STATE"; the address added again, BACKUP.
pub fn src_ip_id(instance: &str) -> TrackerId {
    TrackerId(format!("src-ip:{instance}"))
}

/// Why `instance` has no source address to advertise from, if it has none; keepalived
/// 2.2.7 holds such an instance in FAULT whether or not it has `track_src_ip` (seen in a
/// namespace, the address absent at start):
/// - no `unicast_src_ip`/`mcast_src_ip` and no address of the family on the interface:
///   "(VI_1) entering FAULT state (no IPv4 address for interface)", then BACKUP and MASTER
///   once an address was added;
/// - a unicast instance whose `unicast_src_ip` is no address of the host: "bind
///   unicast_src 10.88.0.5 failed 99 - Cannot assign requested address", "(VI_1): entering
///   FAULT state (src address not configured)". keepalived stayed in FAULT after the address
///   was added (its socket was never bound, until a reload); keel leaves FAULT then, with
///   or without `track_src_ip`: a deliberate difference, as keepalived.conf(5) has the
///   FAULT last while the address "doesn't exist or is removed", not after it is back.
///
/// An absent `mcast_src_ip` did not keep keepalived from MASTER, with `track_src_ip` or
/// without, and does not here either.
fn missing_source(
    instance: &ConfInstance,
    mapped: &InstanceConfig,
    source_known: bool,
    is_local: &dyn Fn(IpAddr) -> bool,
) -> Option<String> {
    if !source_known {
        let family = match mapped.family {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        };
        return Some(format!("no {family} address for interface"));
    }
    let source = instance.unicast_src_ip?;
    // The ipvlan address is put on the ipvlan by the daemon after mapping.
    let on_ipvlan = instance.ipvlan_address() == Some(source);
    (!instance.unicast_peer.is_empty() && !on_ipvlan && !is_local(source)).then(|| {
        format!(
            "unicast_src_ip {source} is not an address of this host: src address not configured"
        )
    })
}

/// The tracker id of [`source_missing`]: its instance had no source address when the
/// configuration was mapped. The daemon maps again when an address is added; the tracker
/// is gone once the source is there.
pub fn source_missing_id(instance: &str) -> TrackerId {
    TrackerId(format!("source-missing:{instance}"))
}

/// FAULT until a mapping finds the instance's source address.
fn source_missing(instance: &str) -> TrackedObject {
    failed_for_good(source_missing_id(instance))
}

/// The tracker id of an instance's own VMAC or ipvlan (`use_vmac`, `use_ipvlan`) and its
/// `use_vmac_addr` VMACs, which the daemon reports up or down as the links go.
pub fn vmac_link_id(instance: &str) -> TrackerId {
    TrackerId(format!("vmac-link:{instance}"))
}

/// keepalived 2.2.7 puts a `use_vmac`/`use_ipvlan` instance in FAULT while its VMAC or
/// ipvlan is down or gone, as it does for the instance's interface ("Netlink reports
/// vrrp.51 down", "(VI_1) Entering FAULT STATE"; seen in namespaces and in the test VM,
/// `tests/vmac_link.rs`, `tests/ipvlan_vm.rs`): the engine knows the instance by its
/// configured interface, so the link is a weight-0 up/down tracker of its own, up until
/// the daemon says otherwise.
fn vmac_link(instance: &str) -> TrackedObject {
    fault_only(vmac_link_id(instance))
}

/// The VIPs and eVIPs of `instance` (running on `interface`) that `use_vmac_addr`, or the
/// VIP's own `use_vmac`, puts on a VMAC of the interface they name with `dev` (spec §3.10),
/// each with that interface.
pub fn address_vmac_vips<'a>(
    instance: &'a ConfInstance,
    interface: &'a str,
) -> impl Iterator<Item = (&'a VirtualAddress, &'a str)> + 'a {
    instance
        .virtual_ipaddress
        .iter()
        .chain(&instance.virtual_ipaddress_excluded)
        .filter_map(move |vip| {
            let dev = vip.dev.as_deref()?;
            (dev != interface && (instance.use_vmac_addr || vip.use_vmac)).then_some((vip, dev))
        })
}

/// The other interfaces `instance` (running on `interface`) puts VIPs or eVIPs on with
/// `dev`, each once: keepalived 2.2.7 tracks them as it does the instance interface unless
/// every VIP there is `no_track` (seen in a namespace, a VIP `dev x1` of a MASTER: `ip
/// link set x1 down`, "Netlink reports x1 down", "(VI_1) Entering FAULT STATE", its VIPs
/// removed; up again, BACKUP; with `no_track`, nothing changed). A VIP that `use_vmac_addr`
/// puts on a VMAC of that interface is tracked through the VMAC instead (`vmac_link`).
fn vip_interfaces<'a>(instance: &'a ConfInstance, interface: &'a str) -> Vec<&'a str> {
    let mut out: Vec<&str> = instance
        .virtual_ipaddress
        .iter()
        .chain(&instance.virtual_ipaddress_excluded)
        .filter(|vip| !(vip.no_track || instance.use_vmac_addr || vip.use_vmac))
        .filter_map(|vip| vip.dev.as_deref())
        .filter(|dev| *dev != interface)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// [`map`] on a host whose every interface has 10.0.0.9 and which has every address (the
/// daemon's tests of VMAC and ipvlan plans).
#[cfg(test)]
pub(crate) fn map_from_one_address(config: &Config) -> DaemonConfig {
    map(
        config,
        true,
        &|_, _, _| Some("10.0.0.9".parse().expect("an address")),
        &|_| true,
    )
}

/// An up/down tracker of weight 0 (FAULT while down), up until the daemon says otherwise.
fn fault_only(id: TrackerId) -> TrackedObject {
    TrackedObject {
        id,
        kind: TrackerKind::State,
        weight: 0,
        reverse: false,
    }
}

/// keepalived's default `router_id`: the host name.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_default()
}

#[derive(Default)]
struct UsedTrackers {
    scripts: Vec<String>,
    files: Vec<String>,
    processes: Vec<String>,
    interfaces: Vec<String>,
}

fn map_instance(
    config: &Config,
    instance: &ConfInstance,
    release_vips_on_stop: bool,
    primary_address: &dyn Fn(&str, &str, Family) -> Option<IpAddr>,
) -> Result<(InstanceConfig, bool), String> {
    let global = &config.global_defs;
    let name = &instance.name;
    let interface = instance
        .interface
        .clone()
        .or_else(|| global.default_interface.clone())
        .ok_or_else(|| format!("{name}: no interface; instance skipped"))?;
    // spec §2.6: an instance's addresses are all of one family; without VIPs the unicast
    // peers or the source address tell it.
    let family = match instance.written_family_ipv4() {
        Some(false) => Family::Ipv6,
        _ => Family::Ipv4,
    };
    // keepalived 2.2.7 (vrrp_parser.c, use_ipvlan): the ipvlan's address is the source
    // unless one is configured; `unicast_src_ip`/`mcast_src_ip` always set it, wherever
    // they are written.
    // keepalived 2.2.7 runs an instance whose interface has no address of its family yet,
    // in FAULT (see `missing_source`); it has no source until one is added.
    let source = instance
        .configured_source()
        .or_else(|| primary_address(name, &interface, family));
    let source_known = source.is_some();
    let source = source.unwrap_or(match family {
        Family::Ipv4 => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        Family::Ipv6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    });
    let mut mapped = InstanceConfig::new(name, &interface, instance.virtual_router_id, source);
    mapped.family = family;
    // spec §2.6: IPv6 is always VRRPv3.
    mapped.version = match (family, instance.version.unwrap_or(global.vrrp_version)) {
        (Family::Ipv6, _) | (_, 3) => Version::V3,
        _ => Version::V2,
    };
    mapped.initial_state = match instance.state {
        Some(keel_conf::model::vrrp::InitialState::Master) => InitialState::Master,
        _ => InitialState::Backup,
    };
    mapped.priority = instance.priority;
    mapped.advert_interval = instance.advert_int.as_duration();
    mapped.virtual_addresses = instance
        .virtual_ipaddress
        .iter()
        .map(|vip| vip.address)
        .collect();
    mapped.excluded_addresses = instance
        .virtual_ipaddress_excluded
        .iter()
        .map(|vip| vip.address)
        .collect();
    mapped.unicast_peers = instance
        .unicast_peer
        .iter()
        .map(|peer| UnicastPeer {
            address: peer.address,
            min_ttl: peer.min_ttl.unwrap_or(0),
            max_ttl: peer.max_ttl.unwrap_or(255),
        })
        .collect();
    mapped.multicast_group = instance.mcast_dst_ip.unwrap_or(match family {
        Family::Ipv4 => IpAddr::V4(global.vrrp_mcast_group4),
        Family::Ipv6 => IpAddr::V6(global.vrrp_mcast_group6),
    });
    mapped.authentication = match &instance.authentication {
        None => Authentication::None,
        Some(auth) => {
            let key = keel_wire::auth::auth_data(auth.auth_pass.as_bytes());
            match auth.auth_type {
                AuthType::Pass => Authentication::Pass(key),
                AuthType::Ah => Authentication::Ah(key),
            }
        }
    };
    mapped.nopreempt = instance.nopreempt;
    mapped.preempt_delay = instance.preempt_delay.as_duration();
    mapped.accept = instance.accept;
    mapped.strict = instance.strict_mode.unwrap_or(global.vrrp_strict);
    mapped.down_timer_adverts = instance
        .down_timer_adverts
        .unwrap_or(global.vrrp_down_timer_adverts);
    mapped.lower_prio_no_advert = instance
        .lower_prio_no_advert
        .unwrap_or(global.vrrp_lower_prio_no_advert);
    mapped.higher_prio_send_advert = instance
        .higher_prio_send_advert
        .unwrap_or(global.vrrp_higher_prio_send_advert);
    mapped.skip_check_adv_addr = instance
        .skip_check_adv_addr
        .unwrap_or(global.vrrp_skip_check_adv_addr);
    mapped.check_unicast_src = instance.check_unicast_src || global.vrrp_check_unicast_src;
    // spec §3.2 step 10: the address owner (priority 255) ignores adverts; the instance's
    // keyword over the global `vrrp_owner_ignore_adverts` (strict mode forces it on).
    mapped.owner_ignore_adverts = RawKeyword::flag(&instance.other, "owner_ignore_adverts")
        .or(RawKeyword::flag(&global.other, "vrrp_owner_ignore_adverts"))
        .unwrap_or(false);
    mapped.garp = garp(config, instance, family);
    mapped.release_vips_on_stop = release_vips_on_stop;
    mapped.track_primary = !instance.dont_track_primary;
    Ok((mapped, source_known))
}

/// spec §3.9: the instance's `garp_*` keywords over the global defaults; the lower-priority
/// burst takes the master values unless set.
fn garp(config: &Config, instance: &ConfInstance, family: Family) -> GarpConfig {
    let defaults = &config.global_defs.garp;
    if defaults.min_garp {
        return GarpConfig::min_garp();
    }
    let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
    let master_delay = instance
        .garp_master_delay
        .unwrap_or(defaults.master_delay)
        .as_duration();
    let master_repeat = instance
        .garp_master_repeat
        .unwrap_or(defaults.master_repeat);
    GarpConfig {
        master_delay: nonzero(master_delay),
        master_repeat,
        master_refresh: nonzero(
            instance
                .garp_master_refresh
                .unwrap_or(defaults.master_refresh)
                .as_duration(),
        ),
        master_refresh_repeat: instance
            .garp_master_refresh_repeat
            .unwrap_or(defaults.master_refresh_repeat),
        lower_prio_delay: nonzero(
            instance
                .garp_lower_prio_delay
                .or(defaults.lower_prio_delay)
                .map(|s| s.as_duration())
                .unwrap_or(master_delay),
        ),
        lower_prio_repeat: instance
            .garp_lower_prio_repeat
            .or(defaults.lower_prio_repeat)
            .unwrap_or(master_repeat),
        interval: match family {
            Family::Ipv4 => defaults.interval.as_duration(),
            Family::Ipv6 => defaults.gna_interval.as_duration(),
        },
    }
}

/// spec §3.5: a reference's own weight/reverse, else the tracked object's.
fn trackers(config: &Config, tracking: &Tracking, used: &mut UsedTrackers) -> Vec<TrackedObject> {
    let mut out = Vec::new();
    let reverse = |r: &TrackRef, own: bool| r.reverse.unwrap_or(own);
    for reference in &tracking.track_script {
        let Some(script) = config
            .vrrp
            .scripts
            .iter()
            .find(|s| s.name == reference.name)
        else {
            continue;
        };
        used.scripts.push(script.name.clone());
        out.push(TrackedObject {
            id: script_id(&script.name),
            kind: TrackerKind::Script {
                rise: script.rise.max(1),
                fall: script.fall.max(1),
                init_fail: script.init_fail,
            },
            weight: reference.weight.unwrap_or(script.weight),
            reverse: reverse(reference, script.reverse),
        });
    }
    for reference in &tracking.track_interface {
        used.interfaces.push(reference.name.clone());
        out.push(TrackedObject {
            id: interface_id(&reference.name),
            kind: TrackerKind::State,
            weight: reference.weight.unwrap_or(0),
            reverse: reverse(reference, false),
        });
    }
    for reference in &tracking.track_file {
        let Some(file) = config
            .vrrp
            .track_files
            .iter()
            .find(|f| f.name == reference.name)
        else {
            continue;
        };
        used.files.push(file.name.clone());
        out.push(TrackedObject {
            id: file_id(&file.name),
            kind: TrackerKind::File,
            weight: reference.weight.unwrap_or(file.weight),
            reverse: reverse(reference, file.reverse),
        });
    }
    for reference in &tracking.track_process {
        let Some(process) = config
            .vrrp
            .track_processes
            .iter()
            .find(|p| p.name == reference.name)
        else {
            continue;
        };
        used.processes.push(process.name.clone());
        out.push(TrackedObject {
            id: process_id(&process.name),
            kind: TrackerKind::State,
            weight: reference.weight.unwrap_or(process.weight),
            reverse: reverse(reference, process.reverse),
        });
    }
    // spec §2.4, §3.5: the `track_bfd` line's weight, else the bfd_instance's; weight 0
    // means FAULT while the session is not Up. A session that sends no events to VRRP
    // (`checker` alone in its block) is not tracked.
    for reference in &tracking.track_bfd {
        let Some(bfd) = config
            .vrrp
            .bfd_instances
            .iter()
            .find(|b| b.name == reference.name)
        else {
            continue;
        };
        let listed = |word: &str| bfd.other.iter().any(|raw| raw.keyword == word);
        if listed("checker") && !listed("vrrp") {
            continue;
        }
        out.push(TrackedObject {
            id: bfd_id(&bfd.name),
            kind: TrackerKind::State,
            weight: reference.weight.unwrap_or(bfd.weight),
            reverse: reverse(reference, bfd.reverse),
        });
    }
    out
}

fn notify(
    notify: &Notify,
    deleted: Option<Script>,
    scripts: &mut HashMap<String, Script>,
) -> NotifyConfig {
    let mut key = |script: &Option<Script>| {
        script.as_ref().filter(|s| !s.command.is_empty()).map(|s| {
            let key = command_key(s);
            scripts.insert(key.clone(), s.clone());
            key
        })
    };
    NotifyConfig {
        master: key(&notify.notify_master),
        backup: key(&notify.notify_backup),
        fault: key(&notify.notify_fault),
        stop: key(&notify.notify_stop),
        // `notify_deleted` without a script still turns the FAULT of a deleted instance
        // into DELETED (spec §3.8); an empty command marks that.
        deleted: deleted.map(|s| key(&Some(s)).unwrap_or_default()),
        generic: key(&notify.notify),
        master_rx_lower_pri: key(&notify.notify_master_rx_lower_pri),
        fifo: false,
        priority_changes: false,
    }
}

#[cfg(test)]
mod tests;
