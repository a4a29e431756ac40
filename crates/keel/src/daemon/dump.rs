//! The files keepalived writes on signals (spec §4): `keepalived.data` (SIGUSR1),
//! `keepalived.stats` (SIGUSR2, exact format) and `keepalived.json` (SIGRTMIN+2, v1 layout).

use std::fmt::Write as _;
use std::time::{Instant, SystemTime};

use keel_vrrp::{Authentication, InitialState, Instance, Router, Version};
use serde_json::{Value, json};

use crate::vrrp_config::{DaemonConfig, command_key};

/// `keepalived.stats`: one block per instance (spec §4.2).
pub fn stats(router: &Router) -> String {
    router
        .instances()
        .iter()
        .map(|instance| instance.stats().keepalived_stats_block(instance.name()))
        .collect()
}

/// `keepalived.json` (v1): an array of `{ "data": {...}, "stats": {...} }` (spec §4.3).
/// `started` pairs an Instant with the wall clock so transitions become epoch seconds.
pub fn json(router: &Router, config: &DaemonConfig, started: (Instant, SystemTime)) -> String {
    let entries: Vec<Value> = router
        .instances()
        .iter()
        .map(|instance| {
            json!({
                "data": data_object(instance, config, started),
                "stats": stats_object(instance),
            })
        })
        .collect();
    serde_json::to_string_pretty(&Value::Array(entries)).unwrap_or_else(|_| "[]".into())
}

/// `keepalived.data`: the VRRP topology in keepalived's `Key = value` layout (spec §4.1;
/// keepalived itself calls the format "not guaranteed").
pub fn data(router: &Router, config: &DaemonConfig) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "------< VRRP Topology >------");
    for instance in router.instances() {
        let c = instance.config();
        let _ = writeln!(out, " VRRP Instance = {}", c.name);
        let _ = writeln!(out, "   State = {}", instance.state().as_str());
        let _ = writeln!(out, "   Wantstate = {}", wantstate(c.initial_state));
        let _ = writeln!(out, "   Interface = {}", c.interface);
        let _ = writeln!(out, "   Virtual Router ID = {}", c.vrid);
        let _ = writeln!(out, "   Priority = {}", instance.base_priority());
        let _ = writeln!(
            out,
            "   Effective priority = {}",
            instance.effective_priority()
        );
        let _ = writeln!(
            out,
            "   Advert interval = {}",
            interval_text(c.version, c.advert_interval)
        );
        let _ = writeln!(out, "   Using src_ip = {}", c.primary_address);
        let _ = writeln!(
            out,
            "   Preempt = {}",
            if c.nopreempt { "disabled" } else { "enabled" }
        );
        let vips = vip_strings(instance, config);
        let _ = writeln!(out, "   Virtual IP ({}):", vips.len());
        for vip in vips {
            let _ = writeln!(out, "     {vip}");
        }
        if !c.unicast_peers.is_empty() {
            let _ = writeln!(out, "   Unicast Peer:");
            for peer in &c.unicast_peers {
                let _ = writeln!(out, "     {}", peer.address);
            }
        }
        if !c.trackers.is_empty() {
            let _ = writeln!(out, "   Tracked objects :");
            for tracker in &c.trackers {
                let _ = writeln!(out, "     {} weight {}", tracker.id.0, tracker.weight);
            }
        }
    }
    if !router.groups().is_empty() {
        let _ = writeln!(out, "------< VRRP Sync groups >------");
        for group in router.groups() {
            let _ = writeln!(
                out,
                " VRRP Sync Group = {}, {}",
                group.name(),
                group.state().as_str()
            );
            for member in &group.config().members {
                let _ = writeln!(out, "   monitor = {member}");
            }
        }
    }
    if !config.vrrp_scripts.is_empty() {
        let _ = writeln!(out, "------< VRRP Scripts >------");
        for script in &config.vrrp_scripts {
            let name = script.id.0.trim_start_matches("script:");
            let _ = writeln!(out, " VRRP Script = {name}");
            let _ = writeln!(out, "   Command = {}", command_key(&script.script));
            let _ = writeln!(out, "   Interval = {} sec", script.interval.as_secs_f64());
            let _ = writeln!(out, "   Timeout = {} sec", script.timeout.as_secs_f64());
        }
    }
    out
}

fn wantstate(state: InitialState) -> &'static str {
    match state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    }
}

fn interval_text(version: Version, interval: std::time::Duration) -> String {
    match version {
        Version::V2 => format!("{} sec", interval.as_secs()),
        Version::V3 => format!("{} milli-sec", interval.as_millis()),
    }
}

fn vip_strings(instance: &Instance, config: &DaemonConfig) -> Vec<String> {
    let c = instance.config();
    let setup = config.instances.iter().find(|s| s.name == c.name);
    c.virtual_addresses
        .iter()
        .map(|address| {
            let vip = setup.and_then(|s| s.addresses.iter().find(|a| a.address == *address));
            let prefix = vip.map_or(if address.is_ipv4() { 32 } else { 128 }, |v| v.prefix_len);
            let device = vip
                .and_then(|v| v.dev.clone())
                .unwrap_or(c.interface.clone());
            let scope = vip.and_then(|v| v.scope.clone()).unwrap_or("global".into());
            format!("{address}/{prefix} dev {device} scope {scope}")
        })
        .collect()
}

fn data_object(
    instance: &Instance,
    config: &DaemonConfig,
    started: (Instant, SystemTime),
) -> Value {
    let c = instance.config();
    let epoch = |at: Instant| {
        let since_start = at.saturating_duration_since(started.0);
        (started.1 + since_start)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    };
    let mut data = json!({
        "iname": c.name,
        "dont_track_primary": false,
        "skip_check_adv_addr": c.skip_check_adv_addr,
        "strict_mode": c.strict,
        "vmac_ifname": "",
        "ifp_ifname": c.interface,
        "master_priority": instance.master_priority(),
        "last_transition": instance.last_transition().map_or(0.0, epoch),
        "garp_delay": c.garp.master_delay.map_or(0, |d| d.as_secs()),
        "garp_refresh": c.garp.master_refresh.map_or(0, |d| d.as_secs()),
        "garp_rep": c.garp.master_repeat,
        "garp_refresh_rep": c.garp.master_refresh_repeat,
        "garp_lower_prio_delay": c.garp.lower_prio_delay.map_or(0, |d| d.as_secs()),
        "garp_lower_prio_rep": c.garp.lower_prio_repeat,
        "lower_prio_no_advert": c.lower_prio_no_advert,
        "higher_prio_send_advert": c.higher_prio_send_advert,
        "vrid": c.vrid,
        "base_priority": instance.base_priority(),
        "effective_priority": instance.effective_priority(),
        "vipset": instance.state() == keel_vrrp::State::Master,
        "promote_secondaries": false,
        "adver_int": c.advert_interval.as_secs_f64(),
        "master_adver_int": instance.master_advert_interval().as_secs_f64(),
        "accept": c.accept_mode(),
        "nopreempt": c.nopreempt,
        "preempt_delay": c.preempt_delay.as_secs_f64(),
        "state": instance.state().keepalived_number(),
        "wantstate": match c.initial_state {
            InitialState::Master => 2,
            InitialState::Backup => 1,
        },
        "version": match c.version { Version::V2 => 2, Version::V3 => 3 },
        "smtp_alert": false,
        "notify_deleted": c.notify.deleted.is_some(),
        "vips": vip_strings(instance, config),
        "evips": c.excluded_addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "vroutes": [],
        "vrules": [],
        "track_ifp": c.trackers.iter()
            .filter_map(|t| t.id.0.strip_prefix("interface:")).collect::<Vec<_>>(),
        "track_script": config.vrrp_scripts.iter()
            .filter(|s| c.trackers.iter().any(|t| t.id == s.id))
            .map(|s| command_key(&s.script)).collect::<Vec<_>>(),
        "track_process": c.trackers.iter()
            .filter_map(|t| t.id.0.strip_prefix("process:")).collect::<Vec<_>>(),
        "auth_type": c.authentication.auth_type(),
    });
    if let Value::Object(map) = &mut data {
        let scripts = [
            ("script_master", &c.notify.master),
            ("script_backup", &c.notify.backup),
            ("script_fault", &c.notify.fault),
            ("script_stop", &c.notify.stop),
            ("script_deleted", &c.notify.deleted),
            ("script", &c.notify.generic),
            ("script_master_rx_lower_pri", &c.notify.master_rx_lower_pri),
        ];
        for (key, script) in scripts {
            if let Some(command) = script.as_ref().filter(|s| !s.is_empty()) {
                map.insert(key.into(), Value::String(command.clone()));
            }
        }
        if c.authentication != Authentication::None {
            map.insert("auth_data".into(), Value::String("********".into()));
        }
    }
    data
}

fn stats_object(instance: &Instance) -> Value {
    let s = instance.stats();
    json!({
        "advert_rcvd": s.advert_rcvd,
        "advert_sent": s.advert_sent,
        "become_master": s.become_master,
        "release_master": s.release_master,
        "packet_len_err": s.packet_len_err,
        "advert_interval_err": s.advert_interval_err,
        "ip_ttl_err": s.ip_ttl_err,
        "invalid_type_rcvd": s.invalid_type_rcvd,
        "addr_list_err": s.addr_list_err,
        "invalid_authtype": s.invalid_authtype,
        "authtype_mismatch": s.authtype_mismatch,
        "auth_failure": s.auth_failure,
        "pri_zero_rcvd": s.pri_zero_rcvd,
        "pri_zero_sent": s.pri_zero_sent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_vrrp::{InstanceConfig, RouterConfig};

    fn router() -> Router {
        let mut vi = InstanceConfig::new("VI_1", "eth0", 51, "10.0.0.1".parse().unwrap());
        vi.virtual_addresses = vec!["10.0.0.100".parse().unwrap()];
        Router::new(
            RouterConfig {
                instances: vec![vi],
                sync_groups: Vec::new(),
            },
            Instant::now(),
        )
        .unwrap()
    }

    // Input: a fresh instance, SIGUSR2.
    // Output: keepalived's exact stats block (spec §4.2).
    #[test]
    fn stats_file_is_keepalived_format() {
        let text = stats(&router());
        assert!(text.starts_with("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n"));
        assert!(text.contains("\n  Priority Zero:\n    Received: 0\n    Sent: 0\n"));
    }

    // Input: a fresh instance, SIGRTMIN+2.
    // Output: a JSON array with keepalived's data/stats keys.
    #[test]
    fn json_file_has_keepalived_keys() {
        let text = json(
            &router(),
            &DaemonConfig::default(),
            (Instant::now(), SystemTime::now()),
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        let entry = &value[0];
        assert_eq!(entry["data"]["iname"], "VI_1");
        assert_eq!(entry["data"]["vrid"], 51);
        assert_eq!(entry["data"]["state"], 0);
        assert_eq!(
            entry["data"]["vips"][0],
            "10.0.0.100/32 dev eth0 scope global"
        );
        assert_eq!(entry["stats"]["advert_sent"], 0);
    }

    // Input: SIGUSR1.
    // Output: the topology section with the instance's state and VIP.
    #[test]
    fn data_file_lists_instances() {
        let text = data(&router(), &DaemonConfig::default());
        assert!(text.contains(" VRRP Instance = VI_1\n   State = INIT\n"));
        assert!(text.contains("   Virtual IP (1):\n     10.0.0.100/32 dev eth0 scope global\n"));
    }
}
