//! Small `global_defs` keywords, seen as an operator sees them: `umask` in the files a
//! notify script creates, `vrrp_startup_delay` in when the VIP appears, `log_unknown_vrids`
//! in the log.
//!
//! Needs root.

mod vrrp_lab;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use keel_lab::Host;
use vrrp_lab::{
    Router, fifo_copy_script, holds, lab, logs_within, reload_with, serial, start_keel, wait_until,
};

/// `global_defs` with `lines` (indented as its first line), then `instances`.
fn with_globals(lines: &str, instances: &str) -> String {
    format!("global_defs {{\n  {lines}\n}}\n{instances}")
}

/// Fails the test (with `keel`'s log) unless `host` holds `vip` within 6 s.
fn assert_holds_soon(host: &Host, vip: &str, keel: &Router) {
    assert!(
        wait_until(Duration::from_secs(6), || holds(host, vip)).is_some(),
        "{}",
        keel.log_text()
    );
}

/// An owner instance (priority 255: MASTER at once) on `e0` with `extra` inside it.
fn owner(vrid: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  state MASTER\n  interface e0\n  virtual_router_id {vrid}\n  \
         priority 255\n  advert_int 1\n{extra}  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n"
    )
}

// Input: `umask 0027` and a notify_master script that creates a file asking for 0666.
// Output: the file is 0640 — keel runs, and its scripts inherit, the configured umask
// (the test itself runs with another umask).
#[test]
fn umask_applies_to_what_scripts_create() {
    let _serial = serial();
    let (lab, dir) = lab("kumask", 1);
    let host = lab.host(0);
    let mark = dir.path().join("master.mark");
    let script = dir.write_executable("notify.sh", &format!("#!/bin/sh\n: > {}\n", mark.display()));
    let notify = format!("  notify_master {}\n", script.display());
    let config = with_globals("umask 0027", &owner(75, "10.88.0.100", &notify));
    let _keel = start_keel(host, dir.path(), "keel", &config);
    assert!(
        wait_until(Duration::from_secs(6), || mark.exists()).is_some(),
        "notify_master never ran"
    );
    let mode = std::fs::metadata(&mark).expect("mark").permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "mode {:o}", mode & 0o777);
}

// Input: `vrrp_startup_delay 2` with an owner instance, which would otherwise take its VIP
// at once.
// Output: keel logs the delay, the VIP is absent after 1 s and present soon after 2 s.
#[test]
fn vrrp_startup_delay_holds_back_the_instances() {
    let _serial = serial();
    let (lab, dir) = lab("kdelay", 1);
    let host = lab.host(0);
    let started = Instant::now();
    let config = with_globals("vrrp_startup_delay 2", &owner(76, "10.88.0.100", ""));
    let keel = start_keel(host, dir.path(), "keel", &config);
    std::thread::sleep(Duration::from_secs(1).saturating_sub(started.elapsed()));
    assert!(!holds(host, "10.88.0.100"), "VIP taken before the delay");
    assert!(
        wait_until(Duration::from_secs(5), || holds(host, "10.88.0.100")).is_some(),
        "{}",
        keel.log_text()
    );
    let taken = started.elapsed();
    assert!(taken >= Duration::from_secs(2), "VIP taken after {taken:?}");
    assert!(
        keel.log_text().contains("Delaying startup for 2 seconds"),
        "{}",
        keel.log_text()
    );
}

// Input: router 0 runs VRID 77 with `log_unknown_vrids`; router 1 on the same link runs
// VRID 78 (an independent pair sharing the segment).
// Output: router 0 logs keepalived's "Unknown VRID(78) received on interface(e0).
// ignoring..." line; router 1, without the keyword, does not log VRID 77 that way.
#[test]
fn log_unknown_vrids_reports_foreign_adverts() {
    let _serial = serial();
    let (lab, dir) = lab("kvrid", 2);
    let config = with_globals("log_unknown_vrids", &owner(77, "10.88.0.100", ""));
    let logging = start_keel(lab.host(0), dir.path(), "r0", &config);
    let quiet = start_keel(lab.host(1), dir.path(), "r1", &owner(78, "10.88.0.101", ""));
    let line = "Unknown VRID(78) received on interface(e0). ignoring...";
    assert!(
        logs_within(&logging, Duration::from_secs(6), line),
        "{}",
        logging.log_text()
    );
    assert!(
        !quiet.log_text().contains("Unknown VRID(77)"),
        "{}",
        quiet.log_text()
    );
    // The start-up log no longer calls the keyword unsupported.
    assert!(
        !logging.log_text().contains("not supported yet"),
        "{}",
        logging.log_text()
    );
}

// Input: `process_names` (keepalived's default names), then `vrrp_process_name vrrp-edge`
// in another run.
// Output: `ps`/`pgrep` see the daemon as keepalived_vrrp, then as vrrp-edge.
#[test]
fn process_names_rename_the_daemon() {
    let _serial = serial();
    let (lab, dir) = lab("kpname", 1);
    let host = lab.host(0);
    for (global, expected) in [
        ("process_names", "keepalived_vrrp"),
        ("process_names\n  vrrp_process_name vrrp-edge", "vrrp-edge"),
    ] {
        let config = with_globals(global, &owner(79, "10.88.0.100", ""));
        let keel = start_keel(host, dir.path(), "keel", &config);
        let comm = || {
            std::fs::read_to_string(format!("/proc/{}/comm", keel.pid()))
                .unwrap_or_default()
                .trim_end()
                .to_owned()
        };
        assert!(
            wait_until(Duration::from_secs(5), || comm() == expected).is_some(),
            "comm {:?}, wanted {expected}\n{}",
            comm(),
            keel.log_text()
        );
    }
}

// Input: vrrp_notify_fifo read by a vrrp_notify_fifo_script that appends it to a file, and
// `fifo_write_vrrp_states_on_reload`; the owner instance becomes MASTER, then SIGHUP.
// Output: after "Reload finished" the FIFO carries the instance's state once more, the same
// line a transition writes, though nothing changed state.
#[test]
fn fifo_write_vrrp_states_on_reload_repeats_the_states() {
    let _serial = serial();
    let (lab, dir) = lab("kfiforl", 1);
    let host = lab.host(0);
    let (script, copy) = fifo_copy_script(&dir);
    let fifo = dir.path().join("keel.fifo");
    let globals = format!(
        "vrrp_notify_fifo {}\n  vrrp_notify_fifo_script {}\n  fifo_write_vrrp_states_on_reload",
        fifo.display(),
        script.display()
    );
    let config = with_globals(&globals, &owner(80, "10.88.0.100", ""));
    let keel = start_keel(host, dir.path(), "keel", &config);
    let read = || std::fs::read_to_string(&copy).unwrap_or_default();
    let line = "INSTANCE \"VI_1\" MASTER 255\n";
    assert!(
        wait_until(Duration::from_secs(6), || read().contains(line)).is_some(),
        "FIFO copy: {:?}\n{}",
        read(),
        keel.log_text()
    );
    let before = read().matches(line).count();
    keel.signal(libc::SIGHUP);
    assert!(
        logs_within(&keel, Duration::from_secs(5), "Reload finished"),
        "{}",
        keel.log_text()
    );
    assert!(
        wait_until(Duration::from_secs(2), || read().matches(line).count()
            == before + 1)
        .is_some(),
        "FIFO copy after reload: {:?}",
        read()
    );
}

// Input: `reload_check_config LOG` with the owner holding 10.88.0.100; the file is rewritten
// to move the VIP to .101 but with a misspelt keyword (`prority`), then SIGHUP; then the
// spelling is fixed and SIGHUP again.
// Output: the faulty file is not loaded — "not reloading" in the log, LOG names the
// unknown keyword, .100 stays and .101 does not appear; the fixed file is loaded and .101
// comes up.
#[test]
fn reload_check_config_refuses_a_faulty_file() {
    let _serial = serial();
    let (lab, dir) = lab("krlchk", 1);
    let host = lab.host(0);
    let check_log = dir.path().join("reload-check.log");
    let globals = format!("reload_check_config {}", check_log.display());
    let config = |vip: &str, extra: &str| with_globals(&globals, &owner(81, vip, extra));
    let keel = start_keel(host, dir.path(), "keel", &config("10.88.0.100", ""));
    assert_holds_soon(host, "10.88.0.100", &keel);
    let conf = dir.path().join("keel.conf");
    reload_with(&keel, &conf, &config("10.88.0.101", "  prority 100\n"));
    assert!(
        logs_within(&keel, Duration::from_secs(5), "not reloading"),
        "{}",
        keel.log_text()
    );
    let logged = std::fs::read_to_string(&check_log).unwrap_or_default();
    assert!(logged.contains("unknown keyword 'prority'"), "{logged}");
    std::thread::sleep(Duration::from_secs(1));
    assert!(holds(host, "10.88.0.100") && !holds(host, "10.88.0.101"));
    reload_with(&keel, &conf, &config("10.88.0.101", ""));
    assert!(
        wait_until(Duration::from_secs(5), || holds(host, "10.88.0.101")).is_some(),
        "{}",
        keel.log_text()
    );
    assert!(
        std::fs::read_to_string(&check_log)
            .unwrap_or_default()
            .contains("configuration OK")
    );
}

// Input: keel started in the machine's own network namespace with `net_namespace NS`, NS
// being the lab router's namespace; then SIGTERM.
// Output: the router's namespace gets the VIP (keel's sockets and netlink work there), and
// the private /run/keepalived/NS it mounted is gone after a clean stop.
#[test]
fn net_namespace_runs_keel_in_that_namespace() {
    let _serial = serial();
    let (lab, dir) = lab("knetns", 1);
    let host = lab.host(0);
    let name = host.ns.name().to_owned();
    let files = keel_lab::DaemonFiles::write(
        dir.path(),
        "keel",
        &format!("net_namespace {name}\n{}", owner(82, "10.88.0.100", "")),
    );
    let mut command = std::process::Command::new(vrrp_lab::keel_binary());
    command
        .args(["-n", "-l", "-G", "-D", "-P"])
        .args(files.args());
    let mut keel = Router::spawn(command, &files.log);
    assert_holds_soon(host, "10.88.0.100", &keel);
    assert!(
        keel.stop(Duration::from_secs(5)).is_some(),
        "{}",
        keel.log_text()
    );
    let private = std::path::Path::new("/run/keepalived").join(&name);
    assert!(!private.exists(), "{} left behind", private.display());
}

// Input: `disable_local_igmp`; the router's namespace starts with the kernel's default,
// link-local IGMP reports on; keel runs, then stops.
// Output: net.ipv4.igmp_link_local_mcast_reports is 0 while keel runs and 1 again after.
#[test]
fn disable_local_igmp_while_running() {
    let _serial = serial();
    let (lab, dir) = lab("kigmp", 1);
    let host = lab.host(0);
    let sysctl = || {
        let out = host
            .ns
            .sh("cat /proc/sys/net/ipv4/igmp_link_local_mcast_reports");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(sysctl(), "1", "the kernel's default");
    let config = with_globals("disable_local_igmp", &owner(83, "10.88.0.100", ""));
    let mut keel = start_keel(host, dir.path(), "keel", &config);
    // Running: the instance is up (so SIGTERM is handled, not fatal) and the sysctl is off.
    assert_holds_soon(host, "10.88.0.100", &keel);
    assert_eq!(sysctl(), "0");
    assert!(
        keel.stop(Duration::from_secs(5)).is_some(),
        "{}",
        keel.log_text()
    );
    assert_eq!(sysctl(), "1", "{}", keel.log_text());
}

// Input: vrrp_netlink_monitor_rcv_bufs 1 MiB with `_force`, vrrp_netlink_cmd_rcv_bufs
// 512 KiB.
// Output: `ss -f netlink -m` shows keel's netlink sockets with those receive buffers (the
// kernel reports twice the size asked for: rb2097152 and rb1048576).
#[test]
fn netlink_receive_buffers_are_sized() {
    let _serial = serial();
    let (lab, dir) = lab("knlbuf", 1);
    let host = lab.host(0);
    let globals = "vrrp_netlink_monitor_rcv_bufs 1048576\n  \
                   vrrp_netlink_monitor_rcv_bufs_force\n  vrrp_netlink_cmd_rcv_bufs 524288";
    let config = with_globals(globals, &owner(84, "10.88.0.100", ""));
    let keel = start_keel(host, dir.path(), "keel", &config);
    assert_holds_soon(host, "10.88.0.100", &keel);
    let out = host.ns.sh("ss -f netlink -m -p");
    let text = String::from_utf8_lossy(&out.stdout);
    // The command socket is bound to keel's pid; the multicast (monitor) socket gets a port
    // id of the kernel's choosing. Nothing else in the namespace has rtnetlink sockets.
    let rtnl: Vec<&str> = text.lines().filter(|l| l.contains("rtnl:")).collect();
    let command = rtnl
        .iter()
        .find(|line| line.contains(&format!("rtnl:keel/{} ", keel.pid())));
    assert!(
        command.is_some_and(|line| line.contains("rb1048576")),
        "command buffer:\n{text}"
    );
    assert!(
        rtnl.iter()
            .any(|line| !line.contains("keel/") && line.contains("rb2097152")),
        "monitor buffer:\n{text}"
    );
}
