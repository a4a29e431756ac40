//! The process scheduling keywords (spec §2.3): `vrrp_rt_priority`, `vrrp_rlimit_rttime`,
//! `vrrp_no_swap`, `vrrp_cpu_affinity`, `checker_priority`, `checker_no_swap`,
//! `checker_cpu_affinity`, read back from `/proc` for the VRRP process, its checker child
//! and a notify script. Needs root, nft and at least two CPUs.

mod vrrp_lab;

use std::path::Path;
use std::time::Duration;

use keel_lab::{DaemonFiles, Host};
use vrrp_lab::{Router, holds, keel_binary, lab, reload_with, serial, wait_until};

const VIP: &str = "10.88.0.100";

/// What `/proc` says about one process's scheduling.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    /// `/proc/PID/stat` field 41: 0 SCHED_OTHER, 2 SCHED_RR.
    policy: u32,
    /// Field 40: the realtime priority (0 when not realtime).
    rt_priority: u32,
    /// Field 19.
    nice: i32,
    /// `/proc/PID/limits` "Max realtime timeout": soft and hard.
    rttime: (String, String),
    /// `/proc/PID/status` VmLck in kB.
    locked_kb: u64,
    /// `/proc/PID/status` Cpus_allowed_list.
    cpus: String,
}

fn observe(pid: u32) -> Option<Observed> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state).
    let field = |n: usize| fields.get(n - 3).copied().unwrap_or_default();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let status_field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let rttime = limits
        .lines()
        .find(|line| line.starts_with("Max realtime timeout"))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words[3].to_owned(), words[4].to_owned())
        })
        .unwrap_or_default();
    Some(Observed {
        policy: field(41).parse().ok()?,
        rt_priority: field(40).parse().ok()?,
        nice: field(19).parse().ok()?,
        rttime,
        locked_kb: status_field("VmLck")
            .trim_end_matches(" kB")
            .trim()
            .parse()
            .ok()?,
        cpus: status_field("Cpus_allowed_list"),
    })
}

/// Whether the machine has the two CPUs the affinity tests pin to; says so when it skips.
fn two_cpus() -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        eprintln!("skipped: needs two CPUs");
    }
    cpus >= 2
}

/// The CPUs this test process may run on (`Cpus_allowed_list`): what an unpinned process
/// inherits.
fn all_cpus() -> String {
    observe(std::process::id())
        .expect("our own /proc is readable")
        .cpus
}

/// A configuration with `global` (whole lines) in `global_defs` and one MASTER instance
/// with virtual router `vrid` holding VIP on e0.
fn master_config(vrid: u8, global: &str) -> String {
    format!(
        "global_defs {{
{global}}}
vrrp_instance VI_1 {{
  state MASTER
  interface e0
  virtual_router_id {vrid}
  priority 150
  advert_int 1
  virtual_ipaddress {{
    {VIP}/24
  }}
}}
"
    )
}

/// Fails the test unless `host` holds VIP within 10 s.
fn assert_vip(host: &Host, keel: &Router) {
    assert!(
        wait_until(Duration::from_secs(10), || holds(host, VIP)).is_some(),
        "no VIP\n{}",
        keel.log_text()
    );
}

/// Starts keel (`vrrp_lab::keel_command`) on `host` with `config` as `dir/k.conf` and waits
/// for it to hold VIP.
fn start_master(host: &Host, dir: &Path, config: &str) -> (Router, DaemonFiles) {
    let files = DaemonFiles::write(dir, "k", config);
    let keel = Router::spawn(vrrp_lab::keel_command(host, &files), &files.log);
    assert_vip(host, &keel);
    (keel, files)
}

fn pid_in(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn has_capability(bit: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|caps| u64::from_str_radix(caps.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << bit) != 0)
}

// Input: keel -f CONF with vrrp_rt_priority 20, vrrp_rlimit_rttime 30000, vrrp_no_swap,
// vrrp_cpu_affinity 0, and checker_priority 5, checker_no_swap, checker_cpu_affinity 1,
// process_names with vrrp_process_name ka_vrrp, a
// virtual server (so the checker child runs) and a notify_master script that copies its
// own /proc files; the instance becomes MASTER.
// Output: the VRRP process is SCHED_RR at 20 with RLIMIT_RTTIME 15000/30000, memory
// locked, on CPU 0 only; the checker child is SCHED_OTHER at nice 5, memory locked, on CPU
// 1 only; the notify script is SCHED_OTHER at nice 0 with nothing locked and every CPU. The
// VRRP process is named ka_vrrp, the checker child keepalived_ipvs.
#[test]
fn vrrp_checker_and_script_processes_get_their_own_scheduling() {
    if !two_cpus() {
        return;
    }
    let _serial = serial();
    let (lab, dir) = lab("ksched", 1);
    let host = lab.host(0);
    let all_cpus = all_cpus();
    let report = dir.path().join("notify.proc");
    let script = dir.write_executable(
        "notify.sh",
        &format!(
            "#!/bin/sh\ncat /proc/$$/stat /proc/$$/status /proc/$$/limits > {0}.tmp\n\
             mv {0}.tmp {0}\n",
            report.display()
        ),
    );
    let config = format!(
        "global_defs {{
  keel_lb_backend nftables
  vrrp_rt_priority 20
  vrrp_rlimit_rttime 30000
  vrrp_no_swap
  vrrp_cpu_affinity 0
  checker_priority 5
  checker_no_swap
  checker_cpu_affinity 1
  process_names
  vrrp_process_name ka_vrrp
}}
vrrp_instance VI_1 {{
  state MASTER
  interface e0
  virtual_router_id 62
  priority 150
  advert_int 1
  notify_master {script}
  virtual_ipaddress {{
    {VIP}/24
  }}
}}
virtual_server {VIP} 80 {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.88.0.1 8080 {{
    TCP_CHECK {{
      connect_timeout 1
    }}
  }}
}}
",
        script = script.display()
    );
    let files = DaemonFiles::write(dir.path(), "k", &config);
    let checkers_pid = dir.path().join("k-checkers.pid");
    let mut command = host.ns.command(&keel_binary());
    command
        .args(["-n", "-l", "-G", "-D"])
        .args(files.args())
        .arg("-c")
        .arg(&checkers_pid)
        .env("TMPDIR", dir.path());
    let keel = Router::spawn(command, &files.log);
    assert_vip(host, &keel);
    assert!(
        wait_until(Duration::from_secs(10), || pid_in(&checkers_pid).is_some()).is_some(),
        "no checker child\n{}",
        keel.log_text()
    );
    assert!(
        wait_until(Duration::from_secs(10), || report.exists()).is_some(),
        "notify_master never ran\n{}",
        keel.log_text()
    );

    let vrrp = observe(keel.pid()).expect("the VRRP process runs");
    assert_eq!((vrrp.policy, vrrp.rt_priority), (2, 20), "{vrrp:?}");
    assert_eq!(vrrp.rttime, ("15000".into(), "30000".into()));
    assert!(vrrp.locked_kb > 0, "{vrrp:?}");
    assert_eq!(vrrp.cpus, "0");

    let checker_pid = pid_in(&checkers_pid).expect("checked above");
    let checker = observe(checker_pid).expect("the checker child runs");
    assert_eq!((checker.policy, checker.nice), (0, 5), "{checker:?}");
    assert!(checker.locked_kb > 0, "{checker:?}");
    assert_eq!(checker.cpus, "1");

    // process_names, with the VRRP process's own name given.
    let comm = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    assert_eq!(comm(keel.pid()).trim_end(), "ka_vrrp");
    assert_eq!(comm(checker_pid).trim_end(), "keepalived_ipvs");

    // The script has exited: parse the copy it made of its own /proc files.
    let text = std::fs::read_to_string(&report).expect("the script's report");
    let stat_line = text.lines().next().unwrap_or_default();
    let after = &stat_line[stat_line.rfind(')').map_or(0, |i| i + 2)..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    assert_eq!(fields.get(41 - 3), Some(&"0"), "policy: {stat_line}");
    assert_eq!(fields.get(19 - 3), Some(&"0"), "nice: {stat_line}");
    assert!(text.contains("\nVmLck:\t       0 kB\n"), "{text}");
    assert!(
        text.contains(&format!("\nCpus_allowed_list:\t{all_cpus}\n")),
        "{text}"
    );
    // Raising the hard limit back needs CAP_SYS_RESOURCE (bit 24); without it the script
    // at least gets no soft limit below the hard one.
    let rttime = text
        .lines()
        .find(|line| line.starts_with("Max realtime timeout"))
        .map(|line| line.split_whitespace().skip(3).take(2).collect::<Vec<_>>())
        .unwrap_or_default();
    if has_capability(24) {
        assert_eq!(rttime, ["unlimited", "unlimited"]);
    } else {
        assert_eq!(rttime, ["30000", "30000"]);
    }
}

// Input: vrrp_priority -7 alone.
// Output: the VRRP process runs at nice -7 under SCHED_OTHER, with no limit, nothing locked
// and every CPU.
#[test]
fn vrrp_priority_sets_the_nice_value_only() {
    let _serial = serial();
    let (lab, dir) = lab("ksnice", 1);
    let host = lab.host(0);
    let all_cpus = all_cpus();
    let (keel, _) = start_master(host, dir.path(), &master_config(63, "  vrrp_priority -7\n"));
    let vrrp = observe(keel.pid()).expect("the VRRP process runs");
    assert_eq!((vrrp.policy, vrrp.nice), (0, -7), "{vrrp:?}");
    assert_eq!(vrrp.locked_kb, 0);
    assert_eq!(vrrp.cpus, all_cpus);
    assert!(
        !keel.log_text().contains("not supported yet"),
        "{}",
        keel.log_text()
    );
}

// Input: keel with vrrp_priority -7; SIGHUP after changing it to vrrp_rt_priority 10 with
// vrrp_cpu_affinity 0; SIGHUP again with no scheduling keyword.
// Output: nice -7 under SCHED_OTHER; then SCHED_RR 10 on CPU 0; then SCHED_OTHER at nice 0
// on every CPU (keepalived resets and re-applies the settings around a reload). The VIP
// stays throughout.
#[test]
fn reload_resets_and_reapplies_the_settings() {
    if !two_cpus() {
        return;
    }
    let _serial = serial();
    let (lab, dir) = lab("ksreload", 1);
    let host = lab.host(0);
    let all_cpus = all_cpus();
    let config = |global: &str| master_config(64, global);
    let (keel, files) = start_master(host, dir.path(), &config("  vrrp_priority -7\n"));
    let pid = keel.pid();
    let first = observe(pid).expect("the VRRP process runs");
    assert_eq!((first.policy, first.nice), (0, -7), "{first:?}");

    reload_with(
        &keel,
        &files.config,
        &config("  vrrp_rt_priority 10\n  vrrp_cpu_affinity 0\n"),
    );
    let realtime = wait_until(Duration::from_secs(5), || {
        observe(pid).is_some_and(|o| o.policy == 2 && o.rt_priority == 10)
    });
    assert!(
        realtime.is_some(),
        "{:?}\n{}",
        observe(pid),
        keel.log_text()
    );
    assert_eq!(observe(pid).map(|o| o.cpus), Some("0".to_string()));

    reload_with(&keel, &files.config, &config(""));
    let normal = wait_until(Duration::from_secs(5), || {
        observe(pid).is_some_and(|o| o.policy == 0 && o.nice == 0 && o.cpus == all_cpus)
    });
    assert!(normal.is_some(), "{:?}\n{}", observe(pid), keel.log_text());
    assert!(holds(host, VIP));
}

// Input: keel with vrrp_rt_priority 10; SIGXCPU sent to it twice (what the kernel sends
// when the RLIMIT_RTTIME soft limit, half of vrrp_rlimit_rttime, is passed).
// Output: keel logs keepalived's warning ("VRRP process has used too much CPU time,
// vrrp_rlimit_rttime may need to be increased") each time, keeps running and keeps the VIP.
#[test]
fn sigxcpu_is_logged_not_fatal() {
    let _serial = serial();
    let (lab, dir) = lab("ksxcpu", 1);
    let host = lab.host(0);
    let (keel, _) = start_master(
        host,
        dir.path(),
        &master_config(65, "  vrrp_rt_priority 10\n"),
    );
    let warning =
        "VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased";
    for expected in 1..=2 {
        keel.signal(libc::SIGXCPU);
        assert!(
            wait_until(Duration::from_secs(3), || keel
                .log_text()
                .matches(warning)
                .count()
                >= expected)
            .is_some(),
            "{}",
            keel.log_text()
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(observe(keel.pid()).is_some(), "keel died");
    assert!(holds(host, VIP));
}
