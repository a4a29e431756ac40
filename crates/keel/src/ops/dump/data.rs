//! `keepalived.data` (SIGUSR1, spec §4.1) in keepalived 2.2.7's order and wording.

use std::time::Duration;

use super::super::snapshot::{
    AuthSnapshot, InstanceSnapshot, NotifySnapshot, ScriptSnapshot, Snapshot, State,
    TrackProcessSnapshot, TrackedSnapshot,
};

/// `keepalived.data` (spec §4.1): Global definitions, VRRP Topology, VRRP Sync groups,
/// VRRP Scripts, VRRP Track files and processes, in keepalived 2.2.7's order and wording.
/// keepalived's socket pool and interface sections describe its own internals and the
/// kernel's interfaces; keel leaves them out.
pub fn data_text(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    section(&mut out, "Global definitions");
    global_lines(&mut out, snapshot);
    if !snapshot.instances.is_empty() {
        section(&mut out, "VRRP Topology");
        for instance in &snapshot.instances {
            instance_lines(&mut out, instance, snapshot.script_uid_gid);
        }
    }
    if !snapshot.sync_groups.is_empty() {
        section(&mut out, "VRRP Sync groups");
        for group in &snapshot.sync_groups {
            line(
                &mut out,
                format!(
                    " VRRP Sync Group = {}, {}",
                    group.name,
                    group.state.as_str()
                ),
            );
            line(
                &mut out,
                format!(
                    "   Num member fault {}, num member init {}",
                    group.members_fault, group.members_init
                ),
            );
            line(&mut out, "   VRRP member instances :");
            for member in &group.members {
                line(&mut out, format!("     {member}"));
            }
            line(
                &mut out,
                format!("   Using smtp notification = {}", yes_no(group.smtp_alert)),
            );
            notify_lines(&mut out, &group.notify, snapshot.script_uid_gid);
        }
    }
    if !snapshot.scripts.is_empty() {
        section(&mut out, "VRRP Scripts");
        for script in &snapshot.scripts {
            script_lines(&mut out, script, snapshot.script_uid_gid);
        }
    }
    if !snapshot.track_files.is_empty() {
        section(&mut out, "VRRP Track files");
        for file in &snapshot.track_files {
            line(&mut out, format!(" Track file = {}", file.name));
            line(&mut out, format!("   File = {}", file.file));
            line(&mut out, format!("   Status = {}", file.value));
            line(&mut out, format!("   Weight = {}", file.weight));
            tracking_lines(&mut out, &file.tracking);
        }
    }
    if !snapshot.track_processes.is_empty() {
        section(&mut out, "VRRP Track processes");
        for process in &snapshot.track_processes {
            process_lines(&mut out, process);
        }
    }
    out
}

fn section(out: &mut String, name: &str) {
    line(out, format!("------< {name} >------"));
}

fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str(text.as_ref());
    out.push('\n');
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

pub(super) fn true_false(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

fn enabled(value: bool) -> &'static str {
    if value { "enabled" } else { "disabled" }
}

fn global_lines(out: &mut String, snapshot: &Snapshot) {
    let global = &snapshot.global;
    let tristate = |value: Option<bool>| match value {
        None => "unset",
        Some(value) => true_false(value),
    };
    let has = |keyword: &str| global.other.iter().any(|raw| raw.keyword == keyword);
    line(
        out,
        format!(
            " Network namespace = {}",
            snapshot.net_namespace.as_deref().unwrap_or("(default)")
        ),
    );
    line(
        out,
        format!(
            " Network namespace ipvs = {}",
            snapshot
                .net_namespace_ipvs
                .as_deref()
                .unwrap_or("(main namespace)")
        ),
    );
    line(out, format!(" Router ID = {}", snapshot.router_id));
    line(
        out,
        format!(" Default smtp_alert = {}", tristate(global.smtp_alert)),
    );
    line(
        out,
        format!(
            " Default smtp_alert_vrrp = {}",
            tristate(global.smtp_alert_vrrp)
        ),
    );
    line(
        out,
        format!(
            " Default smtp_alert_checker = {}",
            tristate(global.smtp_alert_checker)
        ),
    );
    line(
        out,
        format!(
            " Checkers log all failures = {}",
            true_false(global.checker_log_all_failures)
        ),
    );
    if !has("reload_check_config") {
        line(out, " No test config before reload");
    }
    line(
        out,
        format!(
            " Dynamic interfaces = {}",
            true_false(global.dynamic_interfaces.is_some())
        ),
    );
    line(
        out,
        format!(
            " Default interface = {}",
            global.default_interface.as_deref().unwrap_or("eth0")
        ),
    );
    line(
        out,
        format!(
            " Disable local IGMP = {}",
            if has("disable_local_igmp") {
                "yes"
            } else {
                "no"
            }
        ),
    );
    line(
        out,
        format!(" LVS flush = {}", true_false(global.lvs_flush)),
    );
    if global.lvs_flush_on_stop.is_none() {
        line(out, " LVS flush on stop = disabled");
    }
    line(
        out,
        format!(
            " FIFO write vrrp states on reload = {}",
            true_false(has("fifo_write_vrrp_states_on_reload"))
        ),
    );
    line(
        out,
        format!(
            " VRRP notify priority changes = {}",
            true_false(global.vrrp_notify_priority_changes)
        ),
    );
    line(
        out,
        format!(" VRRP IPv4 mcast group = {}", global.vrrp_mcast_group4),
    );
    line(
        out,
        format!(" VRRP IPv6 mcast group = {}", global.vrrp_mcast_group6),
    );
    let garp = &global.garp;
    let delay = garp.master_delay.as_duration().as_secs();
    line(out, format!(" Gratuitous ARP delay = {delay}"));
    line(
        out,
        format!(" Gratuitous ARP repeat = {}", garp.master_repeat),
    );
    line(
        out,
        format!(
            " Gratuitous ARP refresh timer = {}",
            garp.master_refresh.as_duration().as_secs()
        ),
    );
    line(
        out,
        format!(
            " Gratuitous ARP refresh repeat = {}",
            garp.master_refresh_repeat
        ),
    );
    line(
        out,
        format!(
            " Gratuitous ARP lower priority delay = {}",
            garp.lower_prio_delay
                .map(|delay| delay.as_duration().as_secs())
                .unwrap_or(delay)
        ),
    );
    line(
        out,
        format!(
            " Gratuitous ARP lower priority repeat = {}",
            garp.lower_prio_repeat.unwrap_or(garp.master_repeat)
        ),
    );
    line(
        out,
        format!(
            " Num adverts before down = {}",
            global.vrrp_down_timer_adverts
        ),
    );
    line(
        out,
        format!(
            " Send advert after receive lower priority advert = {}",
            true_false(!global.vrrp_lower_prio_no_advert)
        ),
    );
    line(
        out,
        format!(
            " Send advert after receive higher priority advert = {}",
            true_false(global.vrrp_higher_prio_send_advert)
        ),
    );
    line(
        out,
        format!(" Gratuitous ARP interval = {:.6}", garp.interval.as_f64()),
    );
    line(
        out,
        format!(
            " Gratuitous NA interval = {:.6}",
            garp.gna_interval.as_f64()
        ),
    );
    line(
        out,
        format!(" VRRP default protocol version = {}", global.vrrp_version),
    );
    line(
        out,
        format!(
            " VRRP check unicast_src = {}",
            true_false(global.vrrp_check_unicast_src)
        ),
    );
    line(
        out,
        format!(
            " VRRP skip check advert addresses = {}",
            true_false(global.vrrp_skip_check_adv_addr)
        ),
    );
    line(
        out,
        format!(" VRRP strict mode = {}", true_false(global.vrrp_strict)),
    );
    line(
        out,
        format!(
            " Max auto priority = {}",
            global.max_auto_priority.unwrap_or(0)
        ),
    );
    // keel has no SNMP agent and no D-Bus interface.
    for disabled in [
        " SNMP vrrp disabled",
        " SNMP checker disabled",
        " SNMP RFCv2 disabled",
        " SNMP RFCv3 disabled",
        " SNMP traps disabled",
        " DBus disabled",
    ] {
        line(out, disabled);
    }
    line(
        out,
        format!(
            " Script security {}",
            enabled(global.enable_script_security)
        ),
    );
    let (uid, gid) = snapshot.script_uid_gid;
    line(out, format!(" Default script uid:gid {uid}:{gid}"));
    // keepalived's default umask is 0177 (files 0600).
    line(
        out,
        format!(" umask = {:04o}", global.umask.unwrap_or(0o177)),
    );
}

fn instance_lines(out: &mut String, instance: &InstanceSnapshot, uid_gid: (u32, u32)) {
    line(out, format!(" VRRP Instance = {}", instance.name));
    line(out, format!("   VRRP Version = {}", instance.version));
    if let Some(group) = &instance.sync_group {
        line(out, format!("   Sync group = {group}"));
    }
    if instance.ipv6 {
        line(out, "   Using Native IPv6");
    }
    line(out, format!("   State = {}", instance.state.as_str()));
    if instance.state == State::Backup {
        let master = instance
            .master_router
            .map(|address| address.to_string())
            .unwrap_or_else(|| "(none)".to_string());
        line(out, format!("   Master router = {master}"));
        line(
            out,
            format!("   Master priority = {}", instance.master_priority),
        );
        if instance.version == 3 {
            line(
                out,
                format!(
                    "   Master advert int = {:.2} sec",
                    instance.master_advert_interval.as_secs_f64()
                ),
            );
        }
    }
    // keepalived 2.2.7 lists flags under "Flags:"; a VIP on another interface sets one it
    // does not name (seen with `dev` on a VIP and with a VMAC).
    let unicast = !instance.unicast_peers.is_empty();
    if unicast || instance.vips_elsewhere {
        line(out, "   Flags:");
        if unicast {
            line(out, "     Using unicast");
        }
    } else {
        line(out, "   Flags: none");
    }
    line(
        out,
        format!("   Wantstate = {}", instance.wantstate.as_str()),
    );
    line(out, "   Number of config faults = 0");
    line(
        out,
        format!(
            "   Number of interface and track script faults = {}",
            instance.fault_count
        ),
    );
    line(out, "   Number of track scripts init = 0");
    line(
        out,
        format!(
            "   Last transition = {}",
            epoch_with_date(instance.last_transition)
        ),
    );
    match instance.read_timeout {
        Some(at) => line(
            out,
            format!("   Read timeout = {}", epoch_with_date(Some(at))),
        ),
        None => line(out, "   Read timeout = DISABLED"),
    }
    line(
        out,
        format!(
            "   Master down timer = {} usecs",
            instance.master_down_interval.as_micros()
        ),
    );
    if let Some(vmac) = &instance.vmac_interface {
        line(
            out,
            format!(
                "   Use VMAC, i/f name {vmac}, is_up = {}, xmit_base = {}",
                true_false(instance.vmac_up),
                true_false(instance.vmac_xmit_base)
            ),
        );
    }
    // keepalived 2.2.7 (vrrp_data.c, dump_vrrp): "Use IPVLAN" after (instead of) the VMAC
    // line, and the ipvlan as the instance's interface (observed in the test VM).
    if let (None, Some(ipvlan)) = (&instance.vmac_interface, &instance.ipvlan) {
        line(
            out,
            format!(
                "   Use IPVLAN, i/f {}, is_up = {}{}, type {}",
                ipvlan.interface,
                true_false(ipvlan.up),
                ipvlan
                    .address
                    .as_ref()
                    .map(|address| format!(", i/f address = {address}"))
                    .unwrap_or_default(),
                ipvlan.flag
            ),
        );
        line(
            out,
            format!(
                "   Interface = {}, ipvlan on {}",
                ipvlan.interface, instance.interface
            ),
        );
    }
    match (&instance.vmac_interface, &instance.ipvlan) {
        (None, Some(_)) => {}
        (Some(vmac), _) => line(
            out,
            format!(
                "   Interface = {vmac}, vmac on {}{}",
                instance.interface,
                if instance.vmac_xmit_base {
                    ", xmit base i/f"
                } else {
                    ""
                }
            ),
        ),
        (None, None) => line(out, format!("   Interface = {}", instance.interface)),
    }
    if instance.dont_track_primary {
        line(out, "   VRRP interface tracking disabled");
    }
    if instance.skip_check_adv_addr {
        line(out, "   Skip checking advert IP addresses");
    }
    if instance.strict {
        line(out, "   Enforcing strict VRRP compliance");
    }
    line(
        out,
        format!(
            "   Using src_ip = {}{}",
            instance.source_address,
            if instance.source_from_config {
                " (from configuration)"
            } else {
                ""
            }
        ),
    );
    match (instance.multicast_group, instance.interface_index) {
        (Some(group), Some(index)) if group.is_ipv6() => line(
            out,
            format!("   Multicast address {group}, ifindex {index}"),
        ),
        (Some(group), _) => line(out, format!("   Multicast address {group}")),
        (None, _) => {}
    }
    let garp = &instance.garp;
    line(out, format!("   Gratuitous ARP delay = {}", garp.delay));
    line(out, format!("   Gratuitous ARP repeat = {}", garp.repeat));
    line(out, format!("   Gratuitous ARP refresh = {}", garp.refresh));
    line(
        out,
        format!("   Gratuitous ARP refresh repeat = {}", garp.refresh_repeat),
    );
    line(
        out,
        format!(
            "   Gratuitous ARP lower priority delay = {}",
            garp.lower_prio_delay
        ),
    );
    line(
        out,
        format!(
            "   Gratuitous ARP lower priority repeat = {}",
            garp.lower_prio_repeat
        ),
    );
    line(
        out,
        format!("   Down timer adverts = {}", instance.down_timer_adverts),
    );
    line(
        out,
        format!(
            "   Send advert after receive lower priority advert = {}",
            true_false(!instance.lower_prio_no_advert)
        ),
    );
    line(
        out,
        format!(
            "   Send advert after receive higher priority advert = {}",
            true_false(instance.higher_prio_send_advert)
        ),
    );
    line(out, format!("   Virtual Router ID = {}", instance.vrid));
    line(out, format!("   Priority = {}", instance.base_priority));
    line(
        out,
        format!("   Effective priority = {}", instance.effective_priority),
    );
    line(
        out,
        format!("   Total priority = {}", instance.effective_priority),
    );
    if instance.version == 2 {
        line(
            out,
            format!(
                "   Advert interval = {} sec",
                instance.advert_interval.as_secs()
            ),
        );
    } else {
        line(
            out,
            format!(
                "   Advert interval = {} milli-sec",
                instance.advert_interval.as_millis()
            ),
        );
    }
    if instance.state == State::Backup && instance.version == 3 {
        line(
            out,
            format!(
                "   Master advert interval = {} milli-sec",
                instance.master_advert_interval.as_millis()
            ),
        );
    }
    line(out, format!("   Accept = {}", enabled(instance.accept)));
    line(
        out,
        format!("   Preempt = {}", enabled(!instance.nopreempt)),
    );
    if !instance.preempt_delay.is_zero() {
        line(
            out,
            format!(
                "   Preempt delay = {} secs",
                general_float(instance.preempt_delay.as_secs_f64())
            ),
        );
    }
    line(
        out,
        format!(
            "   Promote_secondaries = {}",
            enabled(instance.promote_secondaries)
        ),
    );
    match &instance.auth {
        AuthSnapshot::Pass(password) => {
            line(out, "   Authentication type = SIMPLE_PASSWORD");
            line(out, format!("   Password = {password}"));
        }
        AuthSnapshot::Ah(_) => line(out, "   Authentication type = IPSEC_AH"),
        AuthSnapshot::None if instance.version == 2 => line(out, "   Authentication type = none"),
        AuthSnapshot::None => {}
    }
    if !instance.vips.is_empty() {
        line(out, format!("   Virtual IP ({}):", instance.vips.len()));
        for vip in &instance.vips {
            line(out, format!("     {vip}"));
        }
    }
    if !instance.evips.is_empty() {
        line(out, "   Virtual IP Excluded :");
        for vip in &instance.evips {
            line(out, format!("     {vip}"));
        }
    }
    if !instance.unicast_peers.is_empty() {
        line(
            out,
            format!("   Unicast TTL = {}", instance.unicast_ttl.unwrap_or(255)),
        );
        line(
            out,
            format!(
                "   Check unicast src : {}",
                yes_no(instance.check_unicast_src)
            ),
        );
        line(out, "   Unicast Peer :");
        for (address, min_ttl, max_ttl) in &instance.unicast_peers {
            line(
                out,
                format!("     {address} min_ttl {min_ttl} max_ttl {max_ttl}"),
            );
        }
        // keel accepts the old unicast checksum only when a peer sends it; it never
        // switches its own (keepalived's "compatibility = no").
        line(out, "   Unicast checksum compatibility = no");
    }
    match instance.sockets {
        Some((fd_in, fd_out)) => line(out, format!("   fd_in {fd_in}, fd_out {fd_out}")),
        None => line(out, "   No sockets allocated"),
    }
    if !instance.vroutes.is_empty() {
        line(out, "   Virtual Routes :");
        for route in &instance.vroutes {
            line(out, format!("     {route}"));
        }
    }
    if !instance.vrules.is_empty() {
        line(out, "   Virtual Rules :");
        for rule in &instance.vrules {
            line(out, format!("     {rule}"));
        }
    }
    tracked_lines(out, "Tracked interfaces", &instance.track_interfaces, " ");
    tracked_lines(out, "Tracked scripts", &instance.track_scripts, " ");
    tracked_lines(out, "Tracked files", &instance.track_files, ", ");
    tracked_lines(out, "Tracked processes", &instance.track_processes, ", ");
    tracked_lines(out, "Tracked BFDs", &instance.track_bfds, ", ");
    line(
        out,
        format!(
            "   Using smtp notification = {}",
            yes_no(instance.smtp_alert)
        ),
    );
    line(
        out,
        format!(
            "   Notify deleted = {}",
            if instance.notify_deleted {
                "Deleted"
            } else {
                "Fault"
            }
        ),
    );
    notify_lines(out, &instance.notify, uid_gid);
    line(
        out,
        format!(
            "   Notify priority changes = {}",
            true_false(instance.notify_priority_changes)
        ),
    );
}

fn tracked_lines(out: &mut String, title: &str, tracked: &[TrackedSnapshot], separator: &str) {
    if tracked.is_empty() {
        return;
    }
    line(out, format!("   {title} :"));
    for object in tracked {
        line(
            out,
            format!(
                "     {}{separator}weight {}{}",
                object.name,
                object.weight,
                if object.reverse { " reverse" } else { "" }
            ),
        );
    }
}

fn notify_lines(out: &mut String, notify: &NotifySnapshot, (uid, gid): (u32, u32)) {
    for (script, title) in [
        (&notify.backup, "Backup"),
        (&notify.master, "Master"),
        (&notify.fault, "Fault"),
        (&notify.stop, "Stop"),
        (&notify.deleted, "Deleted"),
        (&notify.generic, "Generic"),
        (&notify.master_rx_lower_pri, "Master rx lower pri"),
    ] {
        if let Some(command) = script {
            line(
                out,
                format!("   {title} state transition script = {command}, uid:gid {uid}:{gid}"),
            );
        }
    }
}

fn script_lines(out: &mut String, script: &ScriptSnapshot, (uid, gid): (u32, u32)) {
    line(out, format!(" VRRP Script = {}", script.name));
    line(out, format!("   Command = {}", script.command));
    line(
        out,
        format!("   Interval = {} sec", script.interval.as_secs()),
    );
    line(
        out,
        format!("   Timeout = {} sec", script.timeout.as_secs()),
    );
    line(
        out,
        format!(
            "   Weight = {}{}",
            script.weight,
            if script.reverse { " reverse" } else { "" }
        ),
    );
    line(out, format!("   Rise = {}", script.rise));
    line(out, format!("   Fall = {}", script.fall));
    line(out, format!("   Result = {}", script.result));
    line(out, "   Insecure = no");
    line(
        out,
        format!(
            "   Init state = {}",
            if script.init_fail {
                "failed"
            } else {
                "unknown"
            }
        ),
    );
    let status = match script.good {
        Some(true) => "GOOD",
        Some(false) => "BAD",
        None if script.init_fail => "BAD",
        None => "INIT",
    };
    line(out, format!("   Status = {status}"));
    line(out, format!("   Script uid:gid = {uid}:{gid}"));
    line(out, "   VRRP instances :");
    tracking_lines(out, &script.tracking);
    line(
        out,
        format!(
            "   State = {}",
            if script.running { "running" } else { "idle" }
        ),
    );
}

fn tracking_lines(out: &mut String, tracking: &[(String, i32)]) {
    line(out, "   Tracking instances :");
    for (instance, weight) in tracking {
        line(out, format!("     {instance}, weight {weight}"));
    }
}

fn process_lines(out: &mut String, process: &TrackProcessSnapshot) {
    line(out, format!(" VRRP Track process = {}", process.name));
    line(out, format!("   Process = {}", process.process));
    if !process.parameters.is_empty() {
        line(out, format!("   Parameters = {}", process.parameters));
        line(out, format!("   Param match = {}", process.param_match));
    }
    line(out, format!("   Min processes = {}", process.min_processes));
    if process.max_processes != u32::MAX {
        line(out, format!("   Max processes = {}", process.max_processes));
    }
    line(
        out,
        format!("   Current processes = {}", process.current_processes),
    );
    line(
        out,
        format!("   Have quorum = {}", true_false(process.has_quorum())),
    );
    line(out, format!("   Weight = {}", process.weight));
    line(
        out,
        format!("   Terminate delay = {:.6}s", process.terminate_delay),
    );
    line(out, format!("   Fork delay = {:.6}s", process.fork_delay));
    line(out, "   Fork delay timer not running");
    line(out, "   Terminate delay timer not running");
    line(
        out,
        format!("   Full command = {}", true_false(process.full_command)),
    );
    tracking_lines(out, &process.tracking);
}

/// `SECONDS.MICROS (Thu Nov 26 10:23:31.193578 2026)` in local time, as keepalived 2.2.7
/// prints transition times.
fn epoch_with_date(at: Option<Duration>) -> String {
    let at = at.unwrap_or_default();
    let seconds = at.as_secs();
    let micros = at.subsec_micros();
    format!(
        "{seconds}.{micros:06} ({})",
        local_date_with_micros(seconds, micros)
    )
}

fn local_date_with_micros(seconds: u64, micros: u32) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Ok(time) = libc::time_t::try_from(seconds) else {
        return "invalid time".to_string();
    };
    // SAFETY: localtime_r only writes the tm it is given; a zeroed tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    if unsafe { libc::localtime_r(&time, &mut tm) }.is_null() {
        return "invalid time".to_string();
    }
    let day = usize::try_from(tm.tm_wday)
        .ok()
        .and_then(|day| DAYS.get(day))
        .copied()
        .unwrap_or("???");
    let month = usize::try_from(tm.tm_mon)
        .ok()
        .and_then(|month| MONTHS.get(month))
        .copied()
        .unwrap_or("???");
    format!(
        "{day} {month} {:2} {:02}:{:02}:{:02}.{micros:06} {}",
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        i64::from(tm.tm_year) + 1900
    )
}

/// C's `%g`: six significant digits, no trailing zeros.
pub(super) fn general_float(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 17) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: the transition time of the capture (1795688611.193578).
    // Output: keepalived's `SECONDS.MICROS (Www Mmm dd HH:MM:SS.MICROS YYYY)` shape, in the
    // machine's time zone (the capture was taken in UTC: `Thu Nov 26 10:23:31.193578 2026`).
    #[test]
    fn transition_times_print_like_keepalived() {
        let text = epoch_with_date(Some(Duration::new(1_795_688_611, 193_578_000)));
        let (epoch, date) = text.split_once(" (").expect("a date in parentheses");
        assert_eq!(epoch, "1795688611.193578");
        let date = date.strip_suffix(')').expect("closing parenthesis");
        let words = date
            .split(' ')
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>();
        assert_eq!(words.len(), 5, "{date}");
        assert!(words[3].ends_with(".193578"), "{date}");
        assert!(words[4] == "2026", "{date}");
        assert_eq!(
            epoch_with_date(None),
            format!("0.000000 ({})", local_date_with_micros(0, 0))
        );
    }

    // Input: C %g cases keepalived prints (advert intervals, delays).
    // Output: the same text printf would give.
    #[test]
    fn general_float_matches_printf_g() {
        assert_eq!(general_float(1.0), "1");
        assert_eq!(general_float(0.5), "0.5");
        assert_eq!(general_float(0.01), "0.01");
        assert_eq!(general_float(2.25), "2.25");
        assert_eq!(general_float(40.95), "40.95");
    }
}
