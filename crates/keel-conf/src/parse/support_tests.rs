//! The keywords keel parses but does not act on (`later(...)`), pinned: `keel -d` lists
//! and the daemon logs "keyword 'X' is not supported yet by keel; it has no effect" for
//! exactly these, and README's "Keywords keel parses but ignores" explains each. A keyword that
//! starts to work is flipped to `kw(...)` here and there, with a test of its effect.

use super::lvs::{checker, group, http, real};
use super::{Keyword, acts_on, global, instance, lvs, root, statics, sync, track};

fn later_in<T>(block: &str, table: &[Keyword<T>], out: &mut Vec<String>) {
    out.extend(
        table
            .iter()
            .filter(|k| !acts_on(table, k))
            .map(|k| format!("{block} {}", k.name)),
    );
}

/// Every `later` keyword, as "BLOCK KEYWORD".
fn not_supported() -> Vec<String> {
    let mut out = Vec::new();
    later_in("root", root::KEYWORDS, &mut out);
    later_in("global_defs", global::KEYWORDS, &mut out);
    later_in("vrrp_instance", instance::KEYWORDS, &mut out);
    later_in("vrrp_sync_group", sync::KEYWORDS, &mut out);
    later_in("track_group", statics::TRACK_GROUP_KEYWORDS, &mut out);
    later_in("garp_group", statics::GARP_GROUP_KEYWORDS, &mut out);
    later_in("vrrp_script", track::SCRIPT_KEYWORDS, &mut out);
    later_in("track_file", track::FILE_KEYWORDS, &mut out);
    later_in("vrrp_track_process", track::PROCESS_KEYWORDS, &mut out);
    later_in("bfd_instance", track::BFD_KEYWORDS, &mut out);
    later_in("virtual_server", lvs::KEYWORDS, &mut out);
    later_in("real_server", real::KEYWORDS, &mut out);
    later_in("checker connect", checker::CONNECT, &mut out);
    later_in("checker timing", checker::TIMING, &mut out);
    later_in("SMTP_CHECK", checker::SMTP, &mut out);
    later_in("DNS_CHECK", checker::DNS, &mut out);
    later_in("MISC_CHECK", checker::MISC, &mut out);
    later_in("UDP_CHECK", checker::UDP, &mut out);
    later_in("FILE_CHECK", checker::FILE, &mut out);
    later_in("BFD_CHECK", checker::BFD, &mut out);
    later_in("HTTP_GET", http::KEYWORDS, &mut out);
    later_in("url", http::URL, &mut out);
    later_in("SSL", group::SSL, &mut out);
    out
}

/// What keel does not act on, each with the reason README gives. Keywords of work in
/// progress on other branches (BFD; process scheduling, VMAC options) are here
/// until those branches land.
const EXPECTED: &[&str] = &[
    "root garp_group",
    "root interface_up_down_delays",
    "root linkbeat_interfaces",
    "root linkbeat_use_polling",
    "root namespace_with_ipsets",
    "root net_namespace_ipvs",
    "root track_group",
    "global_defs bfd_cpu_affinity",
    "global_defs bfd_no_swap",
    "global_defs bfd_priority",
    "global_defs bfd_process_name",
    "global_defs bfd_rlimit_rtime",
    "global_defs bfd_rlimit_rttime",
    "global_defs bfd_rt_priority",
    "global_defs config_save_dir",
    "global_defs dbus_no_interface_name",
    "global_defs dbus_service_name",
    "global_defs dynamic_interfaces",
    "global_defs enable_dbus",
    "global_defs enable_snmp_checker",
    "global_defs enable_snmp_keepalived",
    "global_defs enable_snmp_rfc",
    "global_defs enable_snmp_rfcv2",
    "global_defs enable_snmp_rfcv3",
    "global_defs enable_snmp_vrrp",
    "global_defs enable_traps",
    "global_defs iproute_etc_dir",
    "global_defs iproute_usr_dir",
    "global_defs lvs_netlink_cmd_rcv_bufs",
    "global_defs lvs_netlink_cmd_rcv_bufs_force",
    "global_defs lvs_netlink_monitor_rcv_bufs",
    "global_defs lvs_netlink_monitor_rcv_bufs_force",
    "global_defs max_auto_priority",
    "global_defs min_auto_priority_delay",
    "global_defs nftables_ifindex",
    "global_defs nftables_ipvs",
    "global_defs nftables_ipvs_priority",
    "global_defs nftables_ipvs_start_fwmark",
    "global_defs process_monitor_rcv_bufs",
    "global_defs process_monitor_rcv_bufs_force",
    "global_defs reload_file",
    "global_defs reload_repeat",
    "global_defs reload_time_file",
    "global_defs set_supplementary_groups",
    "global_defs snmp_rs_stats_update_interval",
    "global_defs snmp_socket",
    "global_defs snmp_vs_stats_update_interval",
    "global_defs tmp_config_directory",
    "global_defs use_symlink_paths",
    "global_defs v3_checksum_as_v2",
    "global_defs vrrp_delay_after_boot",
    "global_defs vrrp_ipsets",
    "global_defs vrrp_iptables",
    "global_defs vrrp_rx_bufs_multiplier",
    "global_defs vrrp_rx_bufs_policy",
    "vrrp_instance auth_hmac",
    "vrrp_instance kernel_rx_buf_size",
    "vrrp_instance linkbeat_use_polling",
    "vrrp_instance lvs_sync_daemon_interface",
    "vrrp_instance native_ipv6",
    "vrrp_instance old_unicast_checksum",
    "vrrp_instance timer_expired_backup",
    "vrrp_instance v3_checksum_as_v2",
    "vrrp_instance vrf",
    "vrrp_sync_group notify_priority_changes",
    "virtual_server snmp_name",
    "real_server snmp_name",
];

// Input: every keyword table of the parser.
// Output: the keywords marked not supported are exactly EXPECTED (and README's list).
#[test]
fn the_not_supported_list_is_pinned() {
    assert_eq!(not_supported(), EXPECTED);
}

// Input: README.md's "Keywords keel parses but ignores" section.
// Output: it names every not-supported keyword, each on its own `- ` line, and no other.
#[test]
fn readme_lists_every_ignored_keyword() {
    let readme = include_str!("../../../../README.md");
    let section = readme
        .split("\n### Keywords keel parses but ignores\n")
        .nth(1)
        .and_then(|rest| rest.split("\n#").next())
        .expect("README has the section");
    let mut listed: Vec<String> = section
        .lines()
        .filter_map(|line| line.strip_prefix("- `"))
        .flat_map(|line| {
            let names = line.split(':').next().unwrap_or_default();
            names
                .split(", ")
                // "`name`" or "`name` (where)": the name between the backticks.
                .map(|name| {
                    let name = name.trim_start_matches('`');
                    name.split('`').next().unwrap_or(name).to_owned()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    listed.sort();
    listed.dedup();
    let mut expected: Vec<String> = EXPECTED
        .iter()
        .map(|entry| entry.rsplit(' ').next().unwrap_or_default().to_owned())
        .collect();
    expected.sort();
    expected.dedup();
    assert_eq!(listed, expected);
}
