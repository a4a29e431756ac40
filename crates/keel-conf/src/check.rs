//! keepalived's cross-checks (spec §3.3–§3.14), run once the whole file is read.
//!
//! Each check names what keepalived 2.2.7 prints and the `-t` exit class it yields
//! (observed with `keepalived -t` 2.2.7). Checks that repair the configuration the way
//! keepalived does (clearing `nopreempt`, dropping a VIP of the wrong family, removing a
//! script that cannot run) change `config` in place, so the model holds what would run.

mod interfaces;
mod scripts;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use crate::diag::{Class, Diagnostic};
use crate::model::vrrp::{AuthType, InitialState};
use crate::model::{Config, Instance, Seconds};
use crate::source::{FileSystem, Host, Span};

pub use scripts::{DefaultUser, ScriptChecker, ScriptKind, ScriptVerdict, default_user};

/// Runs every cross-check; returns the problems found.
///
/// keepalived stops before the script file checks when an interface is missing
/// (observed with 2.2.7), so keel does too. Interfaces are not checked under
/// `net_namespace`: they live in the other namespace.
pub fn check(config: &mut Config, fs: &dyn FileSystem, host: &dyn Host) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    duplicate_instances(config, &mut out);
    vip_families(config, &mut out);
    vmac_names(config, &mut out);
    let scripts = scripts::users(config, fs, host, &mut out);
    track_references(config, &mut out);
    instances(config, &mut out);
    rules(config, &mut out);
    untrackable_routes(config, &mut out);
    vrid_collisions(config, &mut out);
    sync_groups(config, &mut out);
    let interfaces_present =
        config.root.net_namespace.is_some() || interfaces::check(config, host, &mut out);
    if interfaces_present {
        scripts::files(config, fs, host, scripts, &mut out);
    }
    out.extend(crate::parse::lvs::check::check(config, fs, host));
    out
}

/// `keepalived -t` 2.2.7 reports nothing for a configuration with a root-level
/// `net_namespace` and exits 0 (observed on the corpus and with deliberate errors). keel
/// keeps its diagnostics but stops them from counting, and says why once.
pub fn uncount_for_namespace(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    let Some(namespace) = &config.root.net_namespace else {
        return;
    };
    if diagnostics.iter().all(|d| d.class == Class::Info) {
        return;
    }
    for diagnostic in diagnostics.iter_mut() {
        diagnostic.class = Class::Info;
    }
    diagnostics.push(Diagnostic::note(
        None,
        format!("net_namespace {namespace}: like keepalived -t, these problems do not change the exit code"),
    ));
}

/// An instance name is defined once; keepalived keeps the first ("vrrp instance VI_1
/// already defined").
fn duplicate_instances(config: &mut Config, out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    config.vrrp.instances.retain(|instance| {
        if seen.insert(instance.name.clone()) {
            return true;
        }
        out.push(
            Diagnostic::error(
                at(instance),
                format!("vrrp instance {} already defined", instance.name),
            )
            .with_help("each vrrp_instance needs its own name"),
        );
        false
    });
}

/// Two instances cannot create the same VMAC or ipvlan interface (spec §3.10); keepalived
/// keeps the first and drops the later name ("VRRP instance X is already using NAME").
fn vmac_names(config: &mut Config, out: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<String, String> = HashMap::new();
    for instance in &mut config.vrrp.instances {
        let here = at(instance);
        let names = [
            instance.use_vmac.as_mut().map(|vmac| &mut vmac.name),
            instance.use_ipvlan.as_mut().map(|ipvlan| &mut ipvlan.name),
        ];
        for slot in names.into_iter().flatten() {
            let Some(name) = slot.clone() else {
                continue;
            };
            match owners.get(&name) {
                Some(owner) => {
                    out.push(
                        Diagnostic::warning(
                            here,
                            format!(
                                "({}) VRRP instance {owner} is already using {name} - ignoring name",
                                instance.name
                            ),
                        )
                        .with_help("give each instance its own use_vmac or use_ipvlan name"),
                    );
                    *slot = None;
                }
                None => {
                    owners.insert(name, instance.name.clone());
                }
            }
        }
    }
}

/// One address family per VIP block: the first address decides (spec §2.6); keepalived
/// reports the others while parsing ("address family must match VRRP instance").
fn vip_families(config: &mut Config, out: &mut Vec<Diagnostic>) {
    for instance in &mut config.vrrp.instances {
        let name = instance.name.clone();
        // One address family per VIP block: the first address decides (spec §2.6).
        if let Some(first) = instance
            .virtual_ipaddress
            .first()
            .map(|a| a.address.is_ipv4())
        {
            instance.virtual_ipaddress.retain(|vip| {
                if vip.address.is_ipv4() == first {
                    return true;
                }
                out.push(
                    Diagnostic::error(
                        vip.span.0,
                        format!(
                            "({name}): address family must match VRRP instance [{}] - ignoring",
                            vip.address
                        ),
                    )
                    .with_help("put addresses of the other family in virtual_ipaddress_excluded"),
                );
                false
            });
        }
    }
}

/// The VRRP version an instance runs: its own `version`, else `vrrp_version`; IPv6 is
/// always 3 (spec §2.3).
pub fn effective_version(config: &Config, instance: &Instance) -> u8 {
    if instance
        .virtual_ipaddress
        .first()
        .is_some_and(|a| a.address.is_ipv6())
    {
        return 3;
    }
    instance.version.unwrap_or(config.global_defs.vrrp_version)
}

/// True when the instance runs in strict mode (`vrrp_strict` or `strict_mode`).
pub fn strict(config: &Config, instance: &Instance) -> bool {
    instance
        .strict_mode
        .unwrap_or(config.global_defs.vrrp_strict)
}

fn at(instance: &Instance) -> Option<Span> {
    instance.span.0
}

/// Per-instance rules of `vrrp_parser.c`/`vrrp.c` (spec §2.6, §3.7).
fn instances(config: &mut Config, out: &mut Vec<Diagnostic>) {
    let mut instances = std::mem::take(&mut config.vrrp.instances);
    instances.retain(|instance| {
        // keepalived: "(VI_1) the virtual router id must be set" and the instance is dropped.
        if instance.virtual_router_id == 0 {
            out.push(
                Diagnostic::error(
                    at(instance),
                    format!("({}) the virtual router id must be set", instance.name),
                )
                .with_help("add `virtual_router_id 1..255`"),
            );
            return false;
        }
        true
    });
    for instance in &mut instances {
        instance_rules(config, instance, out);
    }
    config.vrrp.instances = instances;
}

fn instance_rules(config: &Config, instance: &mut Instance, out: &mut Vec<Diagnostic>) {
    let name = instance.name.clone();
    let here = at(instance);

    if instance.virtual_ipaddress.is_empty() && !instance.no_virtual_ipaddress {
        out.push(
            Diagnostic::warning(
                here,
                format!("({name}) No VIP specified; at least one is sensible"),
            )
            .with_help("add a virtual_ipaddress block, or `no_virtual_ipaddress`"),
        );
    }

    vip_capacity(instance, out);

    let version = effective_version(config, instance);
    let strict = strict(config, instance);
    let owner = instance.priority == 255;

    // keepalived compat: nopreempt is ignored when the initial state is MASTER.
    if instance.nopreempt && instance.state == Some(InitialState::Master) {
        out.push(Diagnostic::warning(
            here,
            format!(
                "({name}) Warning - nopreempt will not work with initial state MASTER - clearing"
            ),
        ));
        instance.nopreempt = false;
    }
    if instance.nopreempt && owner {
        out.push(Diagnostic::warning(
            here,
            format!("({name}) nopreempt is incompatible with priority 255. resetting nopreempt"),
        ));
        instance.nopreempt = false;
    }
    if instance.nopreempt && instance.preempt_delay.micros() > 0 {
        out.push(Diagnostic::warning(
            here,
            format!("({name}) preempt_delay is incompatible with nopreempt mode - resetting"),
        ));
        instance.preempt_delay = Seconds::default();
    }

    // spec §3.7: strict mode forbids authentication, preempt_delay and a non-owner MASTER.
    if strict {
        if instance.authentication.is_some() {
            out.push(Diagnostic::warning(
                here,
                format!("({name}) Strict mode does not support authentication. Ignoring."),
            ));
            instance.authentication = None;
        }
        if instance.preempt_delay.micros() > 0 {
            out.push(Diagnostic::warning(
                here,
                format!("({name}) preempt_delay is incompatible with strict mode - resetting"),
            ));
            instance.preempt_delay = Seconds::default();
        }
        if instance.state == Some(InitialState::Master) && !owner {
            out.push(
                Diagnostic::warning(
                    here,
                    format!("({name}) State MASTER must match being address owner"),
                )
                .with_help("in strict mode only the owner (priority 255) starts as MASTER"),
            );
            instance.state = Some(InitialState::Backup);
        }
        if let Some(first_v6) = instance
            .virtual_ipaddress
            .first()
            .filter(|a| a.address.is_ipv6())
        {
            let link_local = matches!(first_v6.address, std::net::IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80);
            if !link_local {
                out.push(Diagnostic::warning(
                    first_v6.span.0.or(here),
                    format!("({name}) the first IPv6 VIP address must be link local"),
                ));
            }
        }
    }

    // RFC 5798 has no authentication; keepalived ignores it for v3 and IPv6.
    if version == 3 && instance.authentication.is_some() {
        out.push(Diagnostic::warning(
            here,
            format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
        ));
        instance.authentication = None;
    }
    // spec §3.1: AH with initial state MASTER (non-owner) is rejected, state forced BACKUP.
    if instance
        .authentication
        .as_ref()
        .is_some_and(|a| a.auth_type == AuthType::Ah)
        && instance.state == Some(InitialState::Master)
        && !owner
    {
        out.push(Diagnostic::warning(
            here,
            format!(
                "({name}) Initial state master is incompatible with AH authentication - clearing"
            ),
        ));
        instance.state = Some(InitialState::Backup);
    }

    advert_interval(instance, version, out);
    ipvlan_rules(instance, out);

    // keepalived: "Ignoring track_interface X since own interface" (already tracked).
    let dont_track_primary = instance.dont_track_primary;
    if let Some(own) = instance.interface.clone() {
        instance.tracking.track_interface.retain(|r| {
            if r.name != own || dont_track_primary {
                return true;
            }
            out.push(Diagnostic::warning(
                r.span.0,
                format!("Ignoring track_interface {own} since own interface"),
            ));
            false
        });
    }
}

/// `use_ipvlan` and `vmac_xmit_base` as keepalived 2.2.7 completes an instance (vrrp.c,
/// `vrrp_complete_instance` and the parser's end of instance; each message observed with
/// `keepalived -t` 2.2.7, all counted as errors).
fn ipvlan_rules(instance: &mut Instance, out: &mut Vec<Diagnostic>) {
    let name = instance.name.clone();
    let here = at(instance);
    if instance.use_vmac.is_none() {
        // keepalived sets vmac_xmit_base for unicast with an ipvlan, as for a VMAC, then
        // clears it again since there is no VMAC: two errors, nothing changes.
        let unicast = !instance.unicast_peer.is_empty()
            || instance.unicast_src_ip.is_some()
            || instance.unicast_fault_no_peer
            || instance.check_unicast_src;
        let unicast_ipvlan = instance.use_ipvlan.is_some() && unicast && !instance.vmac_xmit_base;
        if unicast_ipvlan {
            out.push(Diagnostic::error(
                here,
                format!("({name}) unicast with use_vmac requires vmac_xmit_base - setting"),
            ));
        }
        if instance.vmac_xmit_base || unicast_ipvlan {
            out.push(
                Diagnostic::error(
                    here,
                    format!("({name}) vmac_xmit_base is only valid with a vmac"),
                )
                .with_help(
                    "vmac_xmit_base goes with use_vmac; an ipvlan always sends its adverts itself",
                ),
            );
            instance.vmac_xmit_base = false;
        }
    }
    let vip_family = instance
        .virtual_ipaddress
        .first()
        .map(|vip| vip.address.is_ipv4());
    let Some(ipvlan) = instance.use_ipvlan.as_mut() else {
        return;
    };
    if instance.use_vmac.is_some() {
        out.push(
            Diagnostic::note(
                here,
                format!(
                    "({name}) use_vmac and use_ipvlan both given: the interface made is an ipvlan"
                ),
            )
            .with_help("keep one of them; keepalived 2.2.7 also creates the ipvlan"),
        );
    }
    if let Some(address) = ipvlan.address {
        if vip_family.is_some_and(|ipv4| ipv4 != address.address.is_ipv4()) {
            out.push(
                Diagnostic::error(
                    ipvlan.address_loc.0.or(here),
                    format!(
                        "({name}) ipvlan address[{address}] MUST match vrrp instance family !!! Skipping..."
                    ),
                )
                .with_help("the ipvlan's address is the adverts' source: give one of the VIPs' family"),
            );
            ipvlan.address = None;
        }
    }
    let no_address = ipvlan.address.is_none();
    if instance.written_family_ipv4().unwrap_or(true) && no_address {
        out.push(
            Diagnostic::error(
                here,
                format!(
                    "({name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state"
                ),
            )
            .with_help("add the ipvlan's address: use_ipvlan [NAME] ADDRESS/LEN"),
        );
    }
}

/// spec §2.6: the VIPs must fit one advert (at most 255, and what a 1500-byte packet
/// holds); the excess becomes excluded addresses. keepalived 2.2.7's limits on a 1500-byte
/// MTU are 255 IPv4 and 89 IPv6 addresses; it counts the IPv4 message as a warning and the
/// IPv6 one not (observed).
fn vip_capacity(instance: &mut Instance, out: &mut Vec<Diagnostic>) {
    const MTU: usize = 1500;
    let ipv4 = instance
        .virtual_ipaddress
        .first()
        .is_none_or(|a| a.address.is_ipv4());
    let max = if ipv4 {
        ((MTU - 20 - 8 - 8) / 4).min(255)
    } else {
        ((MTU - 40 - 8 - 28) / 16).min(255)
    };
    let count = instance.virtual_ipaddress.len();
    if count <= max {
        return;
    }
    let message = format!(
        "({}) Number of VIPs ({count}) exceeds maximum/space available in packet (max {max} addresses) - excess moved to eVIPs",
        instance.name
    );
    let diagnostic = if ipv4 {
        Diagnostic::warning(at(instance), message)
    } else {
        Diagnostic::note(at(instance), message)
    };
    out.push(diagnostic.with_help("move the extra addresses to virtual_ipaddress_excluded"));
    let excess = instance.virtual_ipaddress.split_off(max);
    instance.virtual_ipaddress_excluded.splice(0..0, excess);
}

/// spec §2.6: v2 advert_int is whole seconds (rounded), v3 is centiseconds in 0.01..40.95.
fn advert_interval(instance: &mut Instance, version: u8, out: &mut Vec<Diagnostic>) {
    let name = &instance.name;
    let micros = instance.advert_int.micros();
    let here = at(instance);
    if version == 2 {
        if micros % 1_000_000 != 0 {
            let rounded = ((micros + 500_000) / 1_000_000).max(1);
            out.push(
                Diagnostic::warning(
                    here,
                    format!(
                        "({name}) VRRPv2 advertisement interval {}s must be an integer. rounding",
                        instance.advert_int
                    ),
                )
                .with_help(format!("using {rounded}s")),
            );
            instance.advert_int = Seconds::from_secs(rounded);
        }
    } else {
        let max = 4_095 * 10_000;
        if micros > max {
            out.push(Diagnostic::warning(
                here,
                format!("({name}) VRRPv3 advertisement interval {}s is out of range. Must be less than 40.96s. Setting to 40.95s", instance.advert_int),
            ));
            instance.advert_int = Seconds::from_micros(max);
        } else if micros % 10_000 != 0 {
            let rounded = ((micros + 5_000) / 10_000).max(1) * 10_000;
            out.push(Diagnostic::warning(
                here,
                format!("({name}) VRRPv3 advertisement interval {}s must be in units of 10ms - rounding", instance.advert_int),
            ));
            instance.advert_int = Seconds::from_micros(rounded);
        }
    }
}

/// Two instances with the same VRID, family and interface cannot both run (spec §5.13).
fn vrid_collisions(config: &Config, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(String, bool, u8), &str> = HashMap::new();
    for instance in &config.vrrp.instances {
        let Some(interface) = instance.interface.clone() else {
            continue;
        };
        let ipv4 = instance
            .virtual_ipaddress
            .first()
            .is_none_or(|a| a.address.is_ipv4());
        let key = (interface, ipv4, instance.virtual_router_id);
        if let Some(first) = seen.get(&key) {
            out.push(
                Diagnostic::error(
                    at(instance),
                    format!(
                        "{first} and {} both use VRID {} with {} on interface {}",
                        instance.name,
                        instance.virtual_router_id,
                        if ipv4 { "IPv4" } else { "IPv6" },
                        key.0
                    ),
                )
                .with_help("each instance on an interface needs its own virtual_router_id"),
            );
        } else {
            seen.insert(key, &instance.name);
        }
    }
}

/// Sync group members must exist; a one-member group is suspicious (spec §3.6).
fn sync_groups(config: &mut Config, out: &mut Vec<Diagnostic>) {
    let names: HashSet<String> = config
        .vrrp
        .instances
        .iter()
        .map(|i| i.name.clone())
        .collect();
    // keepalived: "vrrp sync group A already defined" (while parsing; the first stays).
    let mut defined = HashSet::new();
    config.vrrp.sync_groups.retain(|group| {
        if defined.insert(group.name.clone()) {
            return true;
        }
        out.push(Diagnostic::error(
            group.span.0,
            format!("vrrp sync group {} already defined", group.name),
        ));
        false
    });
    // An instance belongs to one group at most; later groups lose it.
    let mut member_of: HashMap<String, String> = HashMap::new();
    for group in &mut config.vrrp.sync_groups {
        let group_name = group.name.clone();
        group.group.retain(|member| {
            if !names.contains(member) {
                out.push(Diagnostic::error(
                    group.span.0,
                    format!("Virtual router {member} specified in sync group {group_name} doesn't exist - ignoring"),
                ));
                return false;
            }
            if member_of.contains_key(member) {
                out.push(Diagnostic::error(
                    group.span.0,
                    format!("Virtual router {member} cannot exist in more than one sync group; ignoring {group_name}"),
                ));
                return false;
            }
            member_of.insert(member.clone(), group_name.clone());
            true
        });
    }
    config.vrrp.sync_groups.retain(|group| {
        match group.group.len() {
            0 => out.push(Diagnostic::error(
                group.span.0,
                format!("Sync group {}, no matching virtual router found in group declaration - removing", group.name),
            )),
            1 => out.push(Diagnostic::warning(
                group.span.0,
                format!("Sync group {} has only 1 virtual router(s) - this probably isn't what you want", group.name),
            )),
            _ => {}
        }
        !group.group.is_empty()
    });
}

/// track_script/track_file/track_process/track_bfd names must exist (spec §3.5).
fn track_references(config: &mut Config, out: &mut Vec<Diagnostic>) {
    let scripts: HashMap<&str, i32> = config
        .vrrp
        .scripts
        .iter()
        .map(|s| (s.name.as_str(), s.weight))
        .collect();
    let files: HashSet<&str> = config
        .vrrp
        .track_files
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let processes: HashSet<&str> = config
        .vrrp
        .track_processes
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let bfds: HashSet<&str> = config
        .vrrp
        .bfd_instances
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    // keepalived checks a sync group's track_script names too ("(G) track script x not
    // found, ignoring...").
    for group in &mut config.vrrp.sync_groups {
        let name = group.name.clone();
        group.tracking.track_script.retain(|r| {
            if scripts.contains_key(r.name.as_str()) {
                return true;
            }
            out.push(Diagnostic::error(
                r.span.0,
                format!("({name}) track script {} not found, ignoring...", r.name),
            ));
            false
        });
    }
    for instance in &mut config.vrrp.instances {
        let name = instance.name.clone();
        let owner = instance.priority == 255;
        instance.tracking.track_script.retain(|r| {
            let Some(&weight) = scripts.get(r.name.as_str()) else {
                out.push(Diagnostic::error(
                    r.span.0,
                    format!("({name}) track script {} not found, ignoring...", r.name),
                ));
                return false;
            };
            // spec §3.5: the owner's priority never changes; weighted trackers are ignored.
            if owner && r.weight.unwrap_or(weight) != 0 {
                out.push(Diagnostic::warning(
                    r.span.0,
                    format!(
                        "({name}) ignoring tracked script {} with weights due to address_owner",
                        r.name
                    ),
                ));
                return false;
            }
            true
        });
        for (list, known, what) in [
            (&mut instance.tracking.track_file, &files, "track file"),
            (
                &mut instance.tracking.track_process,
                &processes,
                "track process",
            ),
            (&mut instance.tracking.track_bfd, &bfds, "track bfd"),
        ] {
            list.retain(|r| {
                if known.contains(r.name.as_str()) {
                    return true;
                }
                out.push(Diagnostic::error(
                    r.span.0,
                    format!("({name}) {what} {} not found, ignoring...", r.name),
                ));
                false
            });
        }
    }
}

/// A route without `dev` cannot be tracked; keepalived says so and stops tracking it.
/// A tracked route must be keepalived's own protocol (RTPROT_KEEPALIVED, 18).
fn untrackable_routes(config: &mut Config, out: &mut Vec<Diagnostic>) {
    let instances = config
        .vrrp
        .instances
        .iter_mut()
        .flat_map(|i| i.virtual_routes.iter_mut());
    for route in config.vrrp.static_routes.iter_mut().chain(instances) {
        let foreign_protocol = route.options.iter_mut().find(|(k, v)| {
            (k == "proto" || k == "protocol") && !matches!(v.as_deref(), Some("keepalived" | "18"))
        });
        if let Some((_, protocol)) = foreign_protocol {
            if !route.no_track {
                out.push(
                    Diagnostic::warning(
                        route.span.0,
                        "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
                    )
                    .with_help("drop `protocol`, or add `no_track`"),
                );
                *protocol = Some("keepalived".to_owned());
            }
        }
        if route.dev.is_none() && !route.no_track {
            out.push(
                Diagnostic::warning(
                    route.span.0,
                    format!(
                        "Warning - cannot track route {} with no interface specified, not tracking",
                        route.to
                    ),
                )
                .with_help("add `dev IF`, or `no_track`"),
            );
            route.no_track = true;
        }
    }
}

/// A rule without a preference gets one from keepalived, with a warning.
fn rules(config: &Config, out: &mut Vec<Diagnostic>) {
    let all = config.vrrp.static_rules.iter().chain(
        config
            .vrrp
            .instances
            .iter()
            .flat_map(|i| i.virtual_rules.iter()),
    );
    for rule in all {
        if rule.preference.is_none() {
            out.push(
                Diagnostic::warning(rule.span.0, "Rule has no preference specified - keepalived picks one. This is probably not what you want.")
                    .with_help("add `preference N`"),
            );
        }
    }
}
