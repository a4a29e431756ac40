//! `global_defs { ... }` (spec §2.3).

use crate::diag::Diagnostic;
use crate::model::global::{DynamicInterfaces, Fifo, GlobalDefs, LvsSyncDaemon, SmtpServer};
use crate::model::{Config, Loc, Seconds};
use crate::tree::Node;
use crate::values;

use super::scheduling;
use super::util;
use super::{Ctx, Keyword, alias, dep, dispatch, kw, later};

/// The root handler: reads the block into [`Config::global_defs`].
pub fn global_defs(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    dispatch(ctx, node.children(), KEYWORDS, &mut config.global_defs);
}

type G = GlobalDefs;

/// Reads a flag (optional BOOL) into a field.
macro_rules! flag {
    ($name:ident, $($field:tt)+) => {
        fn $name(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
            if let Some(value) = util::flag(ctx, node) {
                g.$($field)+ = value;
            }
        }
    };
}

/// Reads an optional flag into an `Option<bool>` field.
macro_rules! opt_flag {
    ($name:ident, $field:ident) => {
        fn $name(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
            if let Some(value) = util::flag(ctx, node) {
                g.$field = Some(value);
            }
        }
    };
}

/// Reads a TIMER in a range into a field.
macro_rules! timer {
    ($name:ident, $min:expr, $max:expr, $($field:tt)+) => {
        fn $name(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
            if let Some(value) = util::timer(ctx, node, $min, $max) {
                g.$($field)+ = value;
            }
        }
    };
}

/// Reads an integer in a range into a field.
macro_rules! int {
    ($name:ident, $min:expr, $max:expr, $($field:tt)+) => {
        fn $name(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
            if let Some(value) = util::int(ctx, node, $min, $max) {
                g.$($field)+ = value;
            }
        }
    };
}

/// Keeps a rare keyword with its arguments after checking its first argument's range.
macro_rules! raw_int {
    ($name:ident, $min:expr, $max:expr) => {
        fn $name(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
            if util::int::<i64>(ctx, node, $min, $max).is_some() {
                g.other.push(util::raw(node));
            }
        }
    };
}

/// `global_defs` keywords, sorted by name.
pub static KEYWORDS: &[Keyword<G>] = &[
    later("bfd_cpu_affinity", scheduling::bfd_cpu_affinity),
    later("bfd_no_swap", scheduling::bfd_no_swap),
    later("bfd_priority", scheduling::bfd_priority),
    later("bfd_process_name", scheduling::bfd_process_name),
    alias(
        "bfd_rlimit_rtime",
        "bfd_rlimit_rttime",
        scheduling::bfd_rlimit_rttime,
    ),
    later("bfd_rlimit_rttime", scheduling::bfd_rlimit_rttime),
    later("bfd_rt_priority", scheduling::bfd_rt_priority),
    kw("checker_cpu_affinity", scheduling::checker_cpu_affinity),
    kw("checker_log_all_failures", checker_log_all_failures),
    kw("checker_no_swap", scheduling::checker_no_swap),
    kw("checker_priority", scheduling::checker_priority),
    kw("checker_process_name", scheduling::checker_process_name),
    alias(
        "checker_rlimit_rtime",
        "checker_rlimit_rttime",
        scheduling::checker_rlimit_rttime,
    ),
    kw("checker_rlimit_rttime", scheduling::checker_rlimit_rttime),
    kw("checker_rt_priority", scheduling::checker_rt_priority),
    later("config_save_dir", raw),
    kw("data_use_instance", raw),
    later("dbus_no_interface_name", raw),
    later("dbus_service_name", raw),
    kw("default_interface", default_interface),
    kw("disable_local_igmp", raw),
    later("dynamic_interfaces", dynamic_interfaces),
    later("enable_dbus", raw),
    kw("enable_script_security", enable_script_security),
    later("enable_snmp_checker", raw),
    alias("enable_snmp_keepalived", "enable_snmp_vrrp", raw),
    later("enable_snmp_rfc", raw),
    later("enable_snmp_rfcv2", raw),
    later("enable_snmp_rfcv3", raw),
    later("enable_snmp_vrrp", raw),
    later("enable_traps", raw),
    kw("fifo_write_vrrp_states_on_reload", raw),
    kw("include_check", raw),
    later("iproute_etc_dir", raw),
    later("iproute_usr_dir", raw),
    kw("json_dump_file", raw),
    kw("json_version", json_version),
    // keel extension: `keel_lb_backend ipvs|nftables|auto` picks the checker's data plane.
    kw("keel_lb_backend", raw),
    // keel extension: `keel_tcp_check syn|connect` picks how TCP_CHECK probes (README).
    kw("keel_tcp_check", raw),
    kw("log_unknown_vrids", raw),
    kw("lvs_flush", lvs_flush),
    kw("lvs_flush_on_stop", lvs_flush_on_stop),
    alias("lvs_flush_onstop", "lvs_flush_on_stop", lvs_flush_on_stop),
    later("lvs_netlink_cmd_rcv_bufs", raw_bufs),
    later("lvs_netlink_cmd_rcv_bufs_force", raw),
    later("lvs_netlink_monitor_rcv_bufs", raw_bufs),
    later("lvs_netlink_monitor_rcv_bufs_force", raw),
    kw("lvs_notify_fifo", lvs_notify_fifo),
    kw("lvs_notify_fifo_script", fifo_script),
    alias(
        "lvs_process_name",
        "checker_process_name",
        scheduling::checker_process_name,
    ),
    kw("lvs_sync_daemon", lvs_sync_daemon),
    kw("lvs_timeouts", lvs_timeouts),
    later("max_auto_priority", max_auto_priority),
    later("min_auto_priority_delay", raw),
    kw("nftables", nftables),
    kw("nftables_counters", nftables_counters),
    later("nftables_ifindex", nftables_ifindex),
    later("nftables_ipvs", raw),
    later("nftables_ipvs_priority", raw_i32),
    later("nftables_ipvs_start_fwmark", raw_u32),
    kw("nftables_priority", nftables_priority),
    kw("no_checker_emails", raw),
    kw("no_email_faults", no_email_faults),
    kw("notification_email", notification_email),
    kw("notification_email_from", notification_email_from),
    kw("notify_fifo", notify_fifo),
    kw("notify_fifo_script", fifo_script),
    later("process_monitor_rcv_bufs", raw_bufs),
    later("process_monitor_rcv_bufs_force", raw),
    kw("process_name", scheduling::process_name),
    kw("process_names", scheduling::process_names),
    kw("random_seed", raw_u32),
    kw("reload_check_config", raw),
    later("reload_file", raw),
    later("reload_repeat", raw),
    later("reload_time_file", raw),
    kw("router_id", router_id),
    kw("rs_init_notifies", raw),
    kw("script_user", script_user),
    later("set_supplementary_groups", raw),
    kw("shutdown_script", shutdown_script),
    kw("shutdown_script_timeout", shutdown_script_timeout),
    kw("smtp_alert", smtp_alert),
    kw("smtp_alert_checker", smtp_alert_checker),
    kw("smtp_alert_vrrp", smtp_alert_vrrp),
    kw("smtp_connect_timeout", smtp_connect_timeout),
    kw("smtp_helo_name", smtp_helo_name),
    kw("smtp_server", smtp_server),
    later("snmp_rs_stats_update_interval", raw),
    later("snmp_socket", raw),
    later("snmp_vs_stats_update_interval", raw),
    kw("startup_script", startup_script),
    kw("startup_script_timeout", startup_script_timeout),
    kw("state_dump_file", raw),
    kw("stats_dump_file", raw),
    later("tmp_config_directory", raw),
    kw("umask", umask),
    later("use_symlink_paths", raw),
    later("v3_checksum_as_v2", raw),
    kw("vmac_addr_prefix", raw),
    kw("vmac_prefix", raw),
    kw("vrrp_check_unicast_src", vrrp_check_unicast_src),
    kw("vrrp_cpu_affinity", scheduling::vrrp_cpu_affinity),
    later("vrrp_delay_after_boot", raw),
    kw("vrrp_down_timer_adverts", vrrp_down_timer_adverts),
    kw("vrrp_garp_extra_if", garp_extra_if),
    kw("vrrp_garp_interval", garp_interval),
    kw("vrrp_garp_lower_prio_delay", garp_lower_prio_delay),
    kw("vrrp_garp_lower_prio_repeat", garp_lower_prio_repeat),
    kw("vrrp_garp_master_delay", garp_master_delay),
    kw("vrrp_garp_master_refresh", garp_master_refresh),
    kw(
        "vrrp_garp_master_refresh_repeat",
        garp_master_refresh_repeat,
    ),
    kw("vrrp_garp_master_repeat", garp_master_repeat),
    kw("vrrp_gna_interval", gna_interval),
    kw("vrrp_higher_prio_send_advert", vrrp_higher_prio_send_advert),
    later("vrrp_ipsets", vrrp_ipsets),
    later("vrrp_iptables", vrrp_iptables),
    kw("vrrp_lower_prio_no_advert", vrrp_lower_prio_no_advert),
    kw("vrrp_mcast_group4", vrrp_mcast_group4),
    kw("vrrp_mcast_group6", vrrp_mcast_group6),
    kw("vrrp_min_garp", vrrp_min_garp),
    kw("vrrp_netlink_cmd_rcv_bufs", raw_bufs),
    kw("vrrp_netlink_cmd_rcv_bufs_force", raw),
    kw("vrrp_netlink_monitor_rcv_bufs", raw_bufs),
    kw("vrrp_netlink_monitor_rcv_bufs_force", raw),
    kw("vrrp_no_swap", scheduling::vrrp_no_swap),
    kw("vrrp_notify_fifo", vrrp_notify_fifo),
    kw("vrrp_notify_fifo_script", fifo_script),
    kw("vrrp_notify_priority_changes", vrrp_notify_priority_changes),
    kw("vrrp_owner_ignore_adverts", raw_flag),
    kw("vrrp_priority", scheduling::vrrp_priority),
    kw("vrrp_process_name", scheduling::vrrp_process_name),
    alias(
        "vrrp_rlimit_rtime",
        "vrrp_rlimit_rttime",
        scheduling::vrrp_rlimit_rttime,
    ),
    kw("vrrp_rlimit_rttime", scheduling::vrrp_rlimit_rttime),
    kw("vrrp_rt_priority", scheduling::vrrp_rt_priority),
    later("vrrp_rx_bufs_multiplier", raw_positive),
    later("vrrp_rx_bufs_policy", raw),
    kw("vrrp_skip_check_adv_addr", vrrp_skip_check_adv_addr),
    kw("vrrp_startup_delay", vrrp_startup_delay),
    kw("vrrp_strict", vrrp_strict),
    kw("vrrp_version", vrrp_version),
    dep("vrrp_vmac_garp_intvl", "vrrp_garp_extra_if", garp_extra_if),
];

fn raw(_ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.other.push(util::raw(node));
}

fn raw_flag(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.other.extend(util::raw_flag(ctx, node));
}

raw_int!(raw_bufs, 0, i64::from(u32::MAX));
raw_int!(json_version, 1, 2);
raw_int!(raw_u32, 0, i64::from(u32::MAX));
raw_int!(raw_positive, 1, i64::from(u32::MAX));
raw_int!(raw_i32, i64::from(i32::MIN), i64::from(i32::MAX));

flag!(checker_log_all_failures, checker_log_all_failures);
flag!(enable_script_security, enable_script_security);
flag!(no_email_faults, no_email_faults);
flag!(vrrp_check_unicast_src, vrrp_check_unicast_src);
flag!(vrrp_strict, vrrp_strict);
flag!(vrrp_skip_check_adv_addr, vrrp_skip_check_adv_addr);
flag!(vrrp_lower_prio_no_advert, vrrp_lower_prio_no_advert);
flag!(vrrp_higher_prio_send_advert, vrrp_higher_prio_send_advert);
flag!(vrrp_notify_priority_changes, vrrp_notify_priority_changes);
flag!(vrrp_min_garp, garp.min_garp);
flag!(nftables_counters, nftables_counters);
flag!(nftables_ifindex, nftables_ifindex);
flag!(lvs_flush, lvs_flush);
opt_flag!(smtp_alert, smtp_alert);
opt_flag!(smtp_alert_vrrp, smtp_alert_vrrp);
opt_flag!(smtp_alert_checker, smtp_alert_checker);

timer!(garp_master_delay, 0.0, 86400.0, garp.master_delay);
timer!(garp_master_refresh, 0.0, 86400.0, garp.master_refresh);
timer!(garp_interval, 0.000001, 4294.967295, garp.interval);
timer!(gna_interval, 0.000001, 4294.967295, garp.gna_interval);
timer!(smtp_connect_timeout, 0.0, 86400.0, smtp_connect_timeout);
timer!(startup_script_timeout, 1.0, 1000.0, startup_script_timeout);
timer!(
    shutdown_script_timeout,
    1.0,
    1000.0,
    shutdown_script_timeout
);
timer!(vrrp_startup_delay, 0.0, 3600.0, vrrp_startup_delay);

int!(
    garp_master_repeat,
    1,
    i64::from(u32::MAX),
    garp.master_repeat
);
int!(
    garp_master_refresh_repeat,
    1,
    i64::from(u32::MAX),
    garp.master_refresh_repeat
);
int!(vrrp_down_timer_adverts, 1, 100, vrrp_down_timer_adverts);
int!(
    nftables_priority,
    i64::from(i32::MIN),
    i64::from(i32::MAX),
    nftables_priority
);

fn garp_lower_prio_delay(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.garp.lower_prio_delay = util::timer(ctx, node, 0.0, 86400.0);
}

fn garp_lower_prio_repeat(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.garp.lower_prio_repeat = util::int(ctx, node, 0, i64::from(u32::MAX));
}

fn garp_extra_if(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    if let Some(extra) = util::garp_extra_if(ctx, node) {
        g.garp.extra_if = Some(extra);
    }
}

fn router_id(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.router_id = util::string(ctx, node);
}

fn notification_email(_ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    // keepalived reads every word of the block as an address (read_value_block).
    for child in node.children() {
        g.notification_email.push(child.keyword.text.clone());
        g.notification_email
            .extend(child.args.iter().map(|t| t.text.clone()));
    }
}

fn notification_email_from(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.notification_email_from = util::string(ctx, node);
}

fn smtp_server(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let Some(host) = util::string(ctx, node) else {
        return;
    };
    let port = match node.args.get(1) {
        Some(token) => match ctx.value(values::int(token, 1, 65535)) {
            Some(port) => port,
            None => return,
        },
        None => 25,
    };
    g.smtp_server = Some(SmtpServer { host, port });
}

fn smtp_helo_name(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.smtp_helo_name = util::string(ctx, node);
}

fn script_user(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    match util::user_group(node.args) {
        Some(user) => {
            g.script_user = Some(user);
            g.script_user_loc = Loc(Some(node.keyword.span));
        }
        None => ctx.report(
            Diagnostic::error(Some(node.keyword.span), "script_user requires a user name")
                .with_help("expected `script_user USER [GROUP]`"),
        ),
    }
}

fn default_interface(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.default_interface = util::string(ctx, node);
}

fn vrrp_version(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    if let Some(version) = util::int(ctx, node, 2, 3) {
        g.vrrp_version = version;
    }
}

fn vrrp_mcast_group4(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    match token.text.parse::<std::net::Ipv4Addr>() {
        Ok(addr) if addr.is_multicast() => g.vrrp_mcast_group4 = addr,
        _ => ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!("cannot parse vrrp_mcast_group4 [{}]", token.text),
            )
            .with_help("expected an IPv4 multicast address"),
        ),
    }
}

fn vrrp_mcast_group6(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    match token.text.parse::<std::net::Ipv6Addr>() {
        Ok(addr) if addr.is_multicast() => g.vrrp_mcast_group6 = addr,
        _ => ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!("cannot parse vrrp_mcast_group6 [{}]", token.text),
            )
            .with_help("expected an IPv6 multicast address"),
        ),
    }
}

fn dynamic_interfaces(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let allow_if_changes = match node.args.first() {
        None => false,
        Some(t) if t.text == "allow_if_changes" => true,
        Some(t) => {
            ctx.report(
                Diagnostic::error(
                    Some(t.span),
                    format!("unknown dynamic_interfaces option '{}'", t.text),
                )
                .with_help("expected `allow_if_changes`"),
            );
            false
        }
    };
    g.dynamic_interfaces = Some(DynamicInterfaces { allow_if_changes });
}

fn fifo(ctx: &mut Ctx<'_>, node: &Node) -> Option<Fifo> {
    let path = util::string(ctx, node)?;
    let user = util::user_group(&node.args[1..]);
    Some(Fifo {
        path,
        user: user.as_ref().map(|u| u.user.clone()),
        group: user.and_then(|u| u.group),
    })
}

fn notify_fifo(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.notify_fifo = fifo(ctx, node);
}

fn vrrp_notify_fifo(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.vrrp_notify_fifo = fifo(ctx, node);
}

fn lvs_notify_fifo(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.lvs_notify_fifo = fifo(ctx, node);
}

fn fifo_script(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    if let Some(script) = util::script(ctx, node) {
        g.fifo_scripts.retain(|(k, _)| k != node.name());
        g.fifo_scripts.push((node.name().to_owned(), script));
    }
}

fn startup_script(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.startup_script = util::script(ctx, node);
}

fn shutdown_script(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.shutdown_script = util::script(ctx, node);
}

fn vrrp_iptables(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    if g.vrrp_ipsets.is_none() {
        iptables_replaced(ctx, node);
    }
    g.vrrp_iptables = Some(node.args.iter().map(|t| t.text.clone()).collect());
}

fn vrrp_ipsets(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    if g.vrrp_iptables.is_none() {
        iptables_replaced(ctx, node);
    }
    g.vrrp_ipsets = Some(node.args.iter().map(|t| t.text.clone()).collect());
}

/// keepalived 2.2.7 (built with nftables) replaces iptables/ipsets by nftables, and so
/// does keel.
fn iptables_replaced(ctx: &mut Ctx<'_>, node: &Node) {
    ctx.report(
        Diagnostic::warning(
            Some(node.keyword.span),
            "iptables not supported, using nftables instead. Please replace 'vrrp_iptables' and 'vrrp_ipsets' with 'nftables' config option",
        )
        .with_help("use `nftables` in global_defs"),
    );
}

fn nftables(_ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.nftables = Some(
        node.args
            .first()
            .map_or_else(|| "keepalived".to_owned(), |t| t.text.clone()),
    );
}

fn max_auto_priority(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.max_auto_priority = match node.args.first() {
        None => Some(99),
        Some(token) => ctx.value(values::int(token, -1, 99)),
    };
}

fn lvs_flush_on_stop(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    g.lvs_flush_on_stop = match node.args.first() {
        None => Some(false),
        Some(t) if t.text == "VS" => Some(true),
        Some(t) => {
            ctx.report(
                Diagnostic::error(
                    Some(t.span),
                    format!("unknown lvs_flush_on_stop option '{}'", t.text),
                )
                .with_help("expected `VS` or nothing"),
            );
            None
        }
    };
}

fn lvs_sync_daemon(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let Some(interface) = util::string(ctx, node) else {
        return;
    };
    let mut daemon = LvsSyncDaemon {
        interface,
        instance: None,
        id: None,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
    };
    let mut i = 1;
    while let Some(token) = node.args.get(i) {
        let value = node.args.get(i + 1);
        match (token.text.as_str(), value) {
            ("id", Some(v)) => daemon.id = ctx.value(values::int(v, 0, 255)),
            ("maxlen", Some(v)) => daemon.maxlen = ctx.value(values::int(v, 1, 65535 - 20 - 8)),
            ("port", Some(v)) => daemon.port = ctx.value(values::int(v, 1, 65535)),
            ("ttl", Some(v)) => daemon.ttl = ctx.value(values::int(v, 1, 255)),
            ("group", Some(v)) => daemon.group = ctx.value(values::ip(v)),
            (_, _) if i == 1 && daemon.instance.is_none() => {
                daemon.instance = Some(token.text.clone());
                i += 1;
                continue;
            }
            (other, _) => {
                ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!("unknown lvs_sync_daemon option '{other}'"),
                    )
                    .with_help("expected id|maxlen|port|ttl|group VALUE"),
                );
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    g.lvs_sync_daemon = Some(daemon);
}

fn lvs_timeouts(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let mut pairs = node.args.chunks(2);
    for pair in pairs.by_ref() {
        let [name, value] = pair else {
            ctx.report(
                Diagnostic::error(
                    Some(pair[0].span),
                    format!("lvs_timeouts {} requires a value", pair[0].text),
                )
                .with_help("expected `lvs_timeouts [tcp S] [tcpfin S] [udp S]`"),
            );
            return;
        };
        // keepalived: LVS_MAX_TIMEOUT is 31 days.
        let seconds = ctx
            .value(values::int::<u64>(value, 0, 86400 * 31))
            .map(Seconds::from_secs);
        match name.text.as_str() {
            "tcp" => g.lvs_timeouts.tcp = seconds,
            "tcpfin" => g.lvs_timeouts.tcpfin = seconds,
            "udp" => g.lvs_timeouts.udp = seconds,
            other => ctx.report(
                Diagnostic::error(
                    Some(name.span),
                    format!("unknown lvs_timeouts option '{other}'"),
                )
                .with_help("expected tcp|tcpfin|udp"),
            ),
        }
    }
}

fn umask(ctx: &mut Ctx<'_>, node: &Node, g: &mut G) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    // keepalived reads the mask with strtoul(.., 0): a leading 0 means octal.
    let text = token.text.as_str();
    let parsed = if let Some(hex) = text.strip_prefix("0x") {
        u32::from_str_radix(hex, 16).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse().ok()
    };
    match parsed.filter(|m| *m <= 0o777) {
        Some(mask) => g.umask = Some(mask),
        None => ctx.report(
            Diagnostic::error(Some(token.span), format!("invalid umask '{text}'"))
                .with_help("expected an octal mask such as 022"),
        ),
    }
}
