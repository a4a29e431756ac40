//! Cross-check scenarios. Each mirrors a `keepalived -t` 2.2.7 run on the corpus machine
//! (interfaces eth0..eth12, only root) and asserts keepalived's verdict.

use crate::diag::{Class, Diagnostic, Severity, exit_code};
use crate::model::Config;
use crate::model::vrrp::InitialState;
use crate::testing::{Fake, lines};

/// A BACKUP instance on eth0 with one VIP, plus `extra` inside the block.
fn instance(extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {{\n  10.0.0.1\n }}\n{extra}}}\n"
    )
}

fn run(text: &str, host: &Fake) -> (Config, Vec<Diagnostic>) {
    crate::parse(&lines(text), host, host)
}

fn messages(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.message.as_str()).collect()
}

/// The corpus machine with an executable /usr/bin/true and /etc/keepalived/ok.sh.
fn host() -> Fake {
    Fake::corpus()
        .with_file("/usr/bin/true", 0o755)
        .with_file("/etc/keepalived/ok.sh", 0o755)
}

#[test]
fn master_without_priority_is_the_owner() {
    // Input: state MASTER, no priority.
    // Output: priority 255 (spec §2.6), no diagnostics, exit 0.
    let text = instance("").replace("state BACKUP", "state MASTER");
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(config.vrrp.instances[0].priority, 255);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:?}");
}

#[test]
fn nopreempt_with_state_master_is_cleared() {
    // Input: state MASTER, priority 100, nopreempt.
    // Output: keepalived's warning, nopreempt cleared, exit 5.
    let text = instance(" priority 100\n nopreempt\n").replace("state BACKUP", "state MASTER");
    let (config, diagnostics) = run(&text, &host());
    assert!(!config.vrrp.instances[0].nopreempt);
    assert_eq!(
        messages(&diagnostics),
        ["(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"]
    );
    assert_eq!(diagnostics[0].span.map(|s| s.line), Some(1));
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn ah_with_state_master_starts_as_backup() {
    // Input: state MASTER (priority 100) with auth_type AH.
    // Output: state forced to BACKUP with keepalived's message; exit 5.
    let text =
        instance(" priority 100\n authentication {\n  auth_type AH\n  auth_pass secret\n }\n")
            .replace("state BACKUP", "state MASTER");
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(config.vrrp.instances[0].state, Some(InitialState::Backup));
    assert!(messages(&diagnostics).contains(
        &"(VI_1) Initial state master is incompatible with AH authentication - clearing"
    ));
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn a_vip_of_the_other_family_is_dropped_at_its_line() {
    // Input: an IPv4 VIP block with an IPv6 address on line 9.
    // Output: error at 9:1 naming the address; only the IPv4 VIP stays; exit 5.
    let text = instance(" virtual_ipaddress {\n2001:db8::1\n }\n");
    let (config, diagnostics) = run(&text, &host());
    let error = &diagnostics[0];
    assert_eq!(
        error.message,
        "(VI_1): address family must match VRRP instance [2001:db8::1] - ignoring"
    );
    assert_eq!(error.span.map(|s| (s.line, s.col)), Some((9, 1)));
    assert_eq!(config.vrrp.instances[0].virtual_ipaddress.len(), 1);
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn unicast_keyword_without_peers_falls_back_to_multicast() {
    // Input: unicast_src_ip and no unicast_peer.
    // Output: keepalived's deprecation warning; exit 5.
    let (_, diagnostics) = run(&instance(" unicast_src_ip 10.0.0.1\n"), &host());
    assert!(
        diagnostics[0]
            .message
            .starts_with("(VI_1) A unicast keyword has been specified without any unicast peers")
    );
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn two_instances_with_one_vrid_on_one_interface_collide() {
    // Input: VI_1 and VI_2 both VRID 51, IPv4, eth0.
    // Output: "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0" at VI_2; exit 5.
    let text = format!("{}{}", instance(""), instance("").replace("VI_1", "VI_2"));
    let (_, diagnostics) = run(&text, &host());
    assert_eq!(
        messages(&diagnostics),
        ["VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0"]
    );
    assert_eq!(diagnostics[0].span.map(|s| s.line), Some(9));
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn advert_intervals_are_rounded_per_version() {
    // Input: advert_int 1.5 (v2), 1.555 (v3), 50 (v3).
    // Output: 2 s, 1.56 s and 40.95 s, each with keepalived's warning.
    let (config, diagnostics) = run(&instance(" advert_int 1.5\n"), &host());
    assert_eq!(config.vrrp.instances[0].advert_int.micros(), 2_000_000);
    assert_eq!(
        diagnostics[0].message,
        "(VI_1) VRRPv2 advertisement interval 1.5s must be an integer. rounding"
    );
    let (config, diagnostics) = run(&instance(" version 3\n advert_int 1.555\n"), &host());
    assert_eq!(config.vrrp.instances[0].advert_int.micros(), 1_560_000);
    assert!(diagnostics[0].message.contains("must be in units of 10ms"));
    let (config, _) = run(&instance(" version 3\n advert_int 50\n"), &host());
    assert_eq!(config.vrrp.instances[0].advert_int.micros(), 40_950_000);
}

#[test]
fn advert_int_out_of_range_keeps_the_default() {
    // Input: advert_int 0 and 300.
    // Output: a range error at the value; advert_int stays 1 s.
    for value in ["0", "300"] {
        let (config, diagnostics) = run(&instance(&format!(" advert_int {value}\n")), &host());
        assert_eq!(config.vrrp.instances[0].advert_int.micros(), 1_000_000);
        assert_eq!(diagnostics[0].span.map(|s| (s.line, s.col)), Some((8, 13)));
        assert_eq!(exit_code(&diagnostics), 5);
    }
}

#[test]
fn strict_mode_rules() {
    // Input: vrrp_strict with PASS auth, preempt_delay and a non-owner MASTER.
    // Output: auth dropped, preempt_delay reset, state BACKUP; three warnings; exit 5.
    let text = format!(
        "global_defs {{\n vrrp_strict\n}}\n{}",
        instance(" priority 100\n preempt_delay 10\n authentication {\n  auth_type PASS\n  auth_pass 1\n }\n")
            .replace("state BACKUP", "state MASTER")
    );
    let (config, diagnostics) = run(&text, &host());
    let vi = &config.vrrp.instances[0];
    assert!(vi.authentication.is_none());
    assert_eq!(vi.preempt_delay.micros(), 0);
    assert_eq!(vi.state, Some(InitialState::Backup));
    let all = messages(&diagnostics);
    assert!(all.contains(&"(VI_1) Strict mode does not support authentication. Ignoring."));
    assert!(all.contains(&"(VI_1) preempt_delay is incompatible with strict mode - resetting"));
    assert!(all.contains(&"(VI_1) State MASTER must match being address owner"));
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn missing_interfaces_are_reported_per_use_and_exit_5() {
    // Input: interface eth99 (absent) and a VIP on dev eth77 (absent).
    // Output: one warning per use, the CannotRun summary, and exit 5 like keepalived 2.2.7.
    let text = instance(" virtual_ipaddress {\n  10.0.0.2 dev eth77\n }\n")
        .replace("interface eth0", "interface eth99");
    let (_, diagnostics) = run(&text, &host());
    let all = messages(&diagnostics);
    assert!(all.contains(&"WARNING - interface eth99 for vrrp_instance VI_1 doesn't exist"));
    // keepalived reports it at the `interface` line.
    assert_eq!(diagnostics[0].span.map(|s| s.line), Some(3));
    assert!(all.contains(&"WARNING - interface eth77 for ip address 10.0.0.2 doesn't exist"));
    let summary = diagnostics
        .iter()
        .find(|d| d.class == Class::CannotRun)
        .expect("summary");
    assert_eq!(
        summary.message,
        "Non-existent interface specified in configuration"
    );
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn dynamic_interfaces_allow_absent_interfaces() {
    // Input: dynamic_interfaces and interface eth77 (absent).
    // Output: no diagnostics, exit 0.
    let text = format!(
        "global_defs {{\n dynamic_interfaces\n}}\n{}",
        instance("").replace("eth0", "eth77")
    );
    let (_, diagnostics) = run(&text, &host());
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:?}");
}

#[test]
fn root_scripts_without_script_security_give_exit_6() {
    // Input: a notify script, no keepalived_script user, no enable_script_security.
    // Output: SECURITY VIOLATION of class ScriptSecurity; exit 6.
    let (_, diagnostics) = run(&instance(" notify_master /usr/bin/true\n"), &host());
    let violation = &diagnostics[0];
    assert_eq!(
        violation.message,
        "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
    );
    assert_eq!(violation.class, Class::ScriptSecurity);
    assert_eq!(violation.span.map(|s| s.line), Some(8));
    assert_eq!(exit_code(&diagnostics), 6);
}

#[test]
fn a_keepalived_script_user_makes_scripts_safe() {
    // Input: the same config on a machine that has the keepalived_script user.
    // Output: exit 0.
    let mut machine = host();
    machine.users.insert("keepalived_script".into(), (995, 995));
    let (_, diagnostics) = run(&instance(" notify_master /usr/bin/true\n"), &machine);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:?}");
}

#[test]
fn script_security_without_a_script_user_removes_vrrp_scripts() {
    // Input: enable_script_security, no script_user, no keepalived_script; a tracked script.
    // Output: "Unable to set default user" errors, the script and its reference removed; exit 5.
    let text = format!(
        "global_defs {{\n enable_script_security\n}}\nvrrp_script s {{\n script /etc/keepalived/ok.sh\n}}\n{}",
        instance(" track_script {\n  s\n }\n")
    );
    let (config, diagnostics) = run(&text, &host());
    let all = messages(&diagnostics);
    assert!(all.contains(&"Unable to set default user keepalived_script for script"));
    assert!(all.contains(&"Unable to set default user for track script s - removing"));
    assert!(all.contains(&"(VI_1) track script s not found, ignoring..."));
    assert!(config.vrrp.scripts.is_empty());
    assert!(config.vrrp.instances[0].tracking.track_script.is_empty());
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn script_user_that_does_not_exist_is_an_error() {
    // Input: script_user nobodyxx (absent) and a notify script.
    // Output: "Error setting global script uid/gid"; the script does not run; exit 5.
    let text = format!(
        "global_defs {{\n script_user nobodyxx\n}}\n{}",
        instance(" notify_master /usr/bin/true\n")
    );
    let (_, diagnostics) = run(&text, &host());
    assert!(messages(&diagnostics).contains(&"Error setting global script uid/gid"));
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn unsafe_script_permissions_disable_the_script() {
    // Input: script security, script_user root, script in a world-writable directory.
    // Output: "Disabling track script s due to insecure permissions", help names the
    // directory; exit 5 (keepalived 2.2.7).
    let mut machine = Fake::corpus().with_file("/tmp/x/ok.sh", 0o755);
    if let Some(dir) = machine.files.get_mut(std::path::Path::new("/tmp/x")) {
        dir.mode = 0o777;
    }
    let text = format!(
        "global_defs {{\n enable_script_security\n script_user root\n}}\nvrrp_script s {{\n script /tmp/x/ok.sh\n}}\n{}",
        instance(" track_script {\n  s\n }\n")
    );
    let (config, diagnostics) = run(&text, &machine);
    let error = diagnostics
        .iter()
        .find(|d| d.message == "Disabling track script s due to insecure permissions")
        .expect("insecure script reported");
    assert_eq!(
        error.help.as_deref(),
        Some("/tmp/x is writable by a non-root user")
    );
    assert!(config.vrrp.scripts.is_empty());
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn missing_programs_disable_tracked_scripts_but_not_silently_dropped_notifies() {
    // Input: a tracked vrrp_script and a notify script, both naming absent programs.
    // Output: the vrrp_script is disabled with an error (exit 5); the notify script only
    // gets a note.
    let text = format!(
        "vrrp_script s {{\n script /nonexistent/x.sh\n}}\n{}",
        instance(" track_script {\n  s\n }\n notify_master /nonexistent/n.sh\n")
    );
    let (_, diagnostics) = run(&text, &host());
    let disabling: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.message.starts_with("Disabling"))
        .collect();
    assert_eq!(disabling.len(), 2);
    assert_eq!(disabling[0].severity, Severity::Error);
    assert_eq!(disabling[1].severity, Severity::Note);
    assert_eq!(exit_code(&diagnostics), 5);
    let (_, diagnostics) = run(&instance(" notify_master /nonexistent/n.sh\n"), &host());
    assert_eq!(exit_code(&diagnostics), 0);
}

#[test]
fn relative_script_names_are_found_through_path() {
    // Input: script "pidof nginx" with /usr/bin/pidof present.
    // Output: the script runs as root: exit 6.
    let machine = host().with_file("/usr/bin/pidof", 0o755);
    let text = format!(
        "vrrp_script s {{\n script \"pidof nginx\"\n}}\n{}",
        instance(" track_script {\n  s\n }\n")
    );
    let (config, diagnostics) = run(&text, &machine);
    assert_eq!(config.vrrp.scripts.len(), 1);
    assert_eq!(exit_code(&diagnostics), 6);
}

#[test]
fn owner_ignores_weighted_track_scripts() {
    // Input: priority 255 tracking a script with weight 10.
    // Output: keepalived's "ignoring tracked script s with weights due to address_owner".
    let machine = host();
    let text = format!(
        "global_defs {{\n script_user root\n enable_script_security\n}}\nvrrp_script s {{\n script /etc/keepalived/ok.sh\n weight 10\n}}\n{}",
        instance(" priority 255\n track_script {\n  s\n }\n")
    );
    let (config, diagnostics) = run(&text, &machine);
    assert_eq!(
        messages(&diagnostics),
        ["(VI_1) ignoring tracked script s with weights due to address_owner"]
    );
    assert!(config.vrrp.instances[0].tracking.track_script.is_empty());
}

#[test]
fn sync_group_members_must_exist() {
    // Input: group { VI_1 VI_9 } where VI_9 does not exist.
    // Output: VI_9 dropped with keepalived's message, then the one-member warning.
    let text = format!(
        "vrrp_sync_group G {{\n group {{\n  VI_1\n  VI_9\n }}\n}}\n{}",
        instance("")
    );
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(
        messages(&diagnostics),
        [
            "Virtual router VI_9 specified in sync group G doesn't exist - ignoring",
            "Sync group G has only 1 virtual router(s) - this probably isn't what you want",
        ]
    );
    assert_eq!(config.vrrp.sync_groups[0].group, vec!["VI_1".to_owned()]);
}

#[test]
fn an_instance_without_vrid_is_dropped() {
    // Input: an instance without virtual_router_id.
    // Output: "(VI_1) the virtual router id must be set"; no instance in the model; exit 5.
    let text = instance("").replace(" virtual_router_id 51\n", "");
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(
        messages(&diagnostics),
        ["(VI_1) the virtual router id must be set"]
    );
    assert!(config.vrrp.instances.is_empty());
}

#[test]
fn invalid_values_keep_defaults_and_point_at_the_value() {
    // Input: priority 0, state FOO, skip_check_adv_addr maybe.
    // Output: one error per line at the value; priority stays 100, state BACKUP.
    let text = instance(" priority 0\n state FOO\n skip_check_adv_addr maybe\n");
    let (config, diagnostics) = run(&text, &host());
    let vi = &config.vrrp.instances[0];
    assert_eq!(vi.priority, 100);
    assert_eq!(vi.state, Some(InitialState::Backup));
    let places: Vec<(u32, u32)> = diagnostics
        .iter()
        .filter_map(|d| d.span.map(|s| (s.line, s.col)))
        .collect();
    assert_eq!(places, [(8, 11), (9, 8), (10, 22)]);
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("expected an integer 1..255")
    );
}

#[test]
fn vips_beyond_one_advert_become_excluded() {
    // Input: 300 IPv4 VIPs; then 100 IPv6 VIPs.
    // Output: 255 stay (IPv4), the rest move to virtual_ipaddress_excluded with
    // keepalived's message (exit 5); for IPv6 89 stay and the message is not counted.
    let v4: String = (0..300)
        .map(|i| format!("  10.1.{}.{}\n", i / 200, i % 200 + 1))
        .collect();
    let (config, diagnostics) = run(
        &instance(&format!(" virtual_ipaddress {{\n{v4} }}\n")),
        &host(),
    );
    let vi = &config.vrrp.instances[0];
    assert_eq!(
        (
            vi.virtual_ipaddress.len(),
            vi.virtual_ipaddress_excluded.len()
        ),
        (255, 46)
    );
    assert_eq!(
        messages(&diagnostics),
        [
            "(VI_1) Number of VIPs (301) exceeds maximum/space available in packet (max 255 addresses) - excess moved to eVIPs"
        ]
    );
    assert_eq!(exit_code(&diagnostics), 5);

    let v6: String = (1..=100).map(|i| format!("  2001:db8::{i:x}\n")).collect();
    let text = format!(
        "vrrp_instance VI_6 {{\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {{\n{v6} }}\n}}\n"
    );
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(config.vrrp.instances[0].virtual_ipaddress.len(), 89);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:?}");
}

#[test]
fn duplicate_instances_and_clamped_track_weights() {
    // Input: VI_1 defined twice; a track_script weight of 254 (accepted but clamped).
    // Output: "vrrp instance VI_1 already defined" at the second, one instance kept;
    // "weight for s cannot be +/-254. Setting to +/-253" and weight 253.
    let text = format!(
        "vrrp_script s {{\n script /usr/bin/true\n}}\n{}{}",
        instance(" track_script {\n  s weight 254\n }\n"),
        instance("")
    );
    let (config, diagnostics) = run(&text, &host());
    let all = messages(&diagnostics);
    assert!(
        all.contains(&"vrrp instance VI_1 already defined"),
        "{all:?}"
    );
    assert!(all.contains(&"weight for s cannot be +/-254. Setting to +/-253"));
    assert_eq!(config.vrrp.instances.len(), 1);
    assert_eq!(
        config.vrrp.instances[0].tracking.track_script[0].weight,
        Some(253)
    );
}

#[test]
fn vrrp_script_takes_the_whole_line_as_its_command() {
    // Input: `script pidof nobodyxx` (unquoted) with script security and script_user root.
    // Output: the command is [pidof, nobodyxx] (not a user), and the config is clean.
    let machine = host().with_file("/usr/bin/pidof", 0o755);
    let text = format!(
        "global_defs {{\n script_user root\n enable_script_security\n}}\nvrrp_script s {{\n script pidof nobodyxx\n}}\n{}",
        instance(" track_script {\n  s\n }\n")
    );
    let (config, diagnostics) = run(&text, &machine);
    assert_eq!(config.vrrp.scripts[0].script.command, ["pidof", "nobodyxx"]);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:?}");
}

#[test]
fn an_instance_belongs_to_one_sync_group() {
    // Input: groups A and B both list VI_1 and VI_2; a second group named A.
    // Output: B loses both members and is removed; the second A is rejected.
    let vi2 = instance("")
        .replace("VI_1", "VI_2")
        .replace("router_id 51", "router_id 52");
    let text = format!(
        "vrrp_sync_group A {{\n group {{\n  VI_1\n  VI_2\n }}\n}}\nvrrp_sync_group B {{\n group {{\n  VI_1\n  VI_2\n }}\n}}\nvrrp_sync_group A {{\n group {{\n  VI_1\n }}\n}}\n{}{vi2}",
        instance("")
    );
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(
        messages(&diagnostics),
        [
            "vrrp sync group A already defined",
            "Virtual router VI_1 cannot exist in more than one sync group; ignoring B",
            "Virtual router VI_2 cannot exist in more than one sync group; ignoring B",
            "Sync group B, no matching virtual router found in group declaration - removing",
        ]
    );
    assert_eq!(config.vrrp.sync_groups.len(), 1);
    assert_eq!(config.vrrp.sync_groups[0].group, ["VI_1", "VI_2"]);
}

#[test]
fn routes_without_an_interface_are_not_tracked() {
    // Input: a virtual route with a gateway but no dev; one with no_track.
    // Output: keepalived's warning at the first route's line, which becomes no_track;
    // nothing for the second; exit 5.
    let text = instance(
        " virtual_routes {\n  10.9.0.0/16 via 10.0.0.254\n  10.8.0.0/16 via 10.0.0.254 no_track\n }\n",
    );
    let (config, diagnostics) = run(&text, &host());
    assert_eq!(
        messages(&diagnostics),
        ["Warning - cannot track route 10.9.0.0/16 with no interface specified, not tracking"]
    );
    assert_eq!(diagnostics[0].span.map(|s| s.line), Some(9));
    assert!(
        config.vrrp.instances[0]
            .virtual_routes
            .iter()
            .all(|r| r.no_track)
    );
    assert_eq!(exit_code(&diagnostics), 5);
}
