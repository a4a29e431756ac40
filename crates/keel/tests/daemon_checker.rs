//! `keel -f CONF` as a keepalived replacement on a load balancer: one daemon runs VRRP
//! and, in its checker child process, the health checkers driving nftables (table
//! `inet keel`). Also `keel -C` alone as a daemon. Needs root, nft and python3.
//!
//! ```text
//! switch br0 ── e0 director 10.88.0.1 (keel; VIP 10.88.0.100)
//!           ├── e0 second router 10.88.0.2 (ha_suspend scenario)
//!           └── e0 real servers 10.88.0.3, .4, .5 (TCP listeners on :8080 that count
//!                                                  the connections they accept)
//! ```
//!
//! The listeners count probes by the connections they accept, which only
//! `keel_tcp_check connect` makes (a half-open check is never accepted, README), so the
//! configurations that count probes ask for it.

mod vrrp_lab;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use keel_lab::{ChildGuard, Host, Netns};
use vrrp_lab::{Router, holds, keel_binary, lab, serial};

const VIP: &str = "10.88.0.100";

/// A real server: a TCP listener on :8080 that writes how many connections it accepted.
struct Listener {
    _guard: ChildGuard,
    count_file: PathBuf,
}

impl Listener {
    fn start(host: &Host, dir: &Path, name: &str) -> Listener {
        let count_file = dir.join(format!("{name}.count"));
        let script = "import socket, sys\n\
                      s = socket.socket()\n\
                      s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
                      s.bind(('0.0.0.0', 8080))\n\
                      s.listen(64)\n\
                      n = 0\n\
                      open(sys.argv[1], 'w').write('0')\n\
                      while True:\n\
                      \x20   c, _ = s.accept()\n\
                      \x20   c.close()\n\
                      \x20   n += 1\n\
                      \x20   open(sys.argv[1], 'w').write(str(n))\n";
        let child = host
            .ns
            .command("python3")
            .args(["-c", script])
            .arg(&count_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let listener = Listener {
            _guard: ChildGuard::new(child),
            count_file,
        };
        assert!(
            wait(Duration::from_secs(10), || listener.count().is_some()),
            "listener {name} never started"
        );
        listener
    }

    /// Connections accepted so far.
    fn count(&self) -> Option<u64> {
        std::fs::read_to_string(&self.count_file)
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Polls `done` every 100 ms for up to `limit`.
fn wait(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// `nft -a list table inet keel` in `ns` (empty when there is no such table).
fn keel_table(ns: &Netns) -> String {
    let out = ns
        .command("nft")
        .args(["-a", "list", "table", "inet", "keel"])
        .output()
        .expect("nft runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pid_in(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z")
}

fn signal(pid: i32, number: i32) {
    // SAFETY: kill has no memory-safety preconditions; `pid` is a process this test started.
    unsafe { libc::kill(pid, number) };
}

/// `keel -n -l -G -D -f CONF` on `host` with its pid files in `dir`.
fn start_keel(host: &Host, dir: &Path, name: &str, config: &str) -> Router {
    let conf = dir.join(format!("{name}.conf"));
    std::fs::write(&conf, config).expect("writing config");
    let log = dir.join(format!("{name}.log"));
    let log_file = std::fs::File::create(&log).expect("log file");
    let child = host
        .ns
        .command(&keel_binary())
        .args(["-n", "-l", "-G", "-D", "-f"])
        .arg(&conf)
        .arg("-p")
        .arg(dir.join(format!("{name}.pid")))
        .arg("-r")
        .arg(dir.join(format!("{name}-vrrp.pid")))
        .arg("-c")
        .arg(dir.join(format!("{name}-checkers.pid")))
        .env("TMPDIR", dir)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("starting keel");
    Router::guarded(ChildGuard::new(child), &log)
}

fn instance(priority: u8) -> String {
    format!(
        "vrrp_instance VI_1 {{
  state BACKUP
  interface e0
  virtual_router_id 61
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
    {VIP}/24
  }}
}}
"
    )
}

fn real_server(address: &str) -> String {
    format!(
        "  real_server {address} 8080 {{
    TCP_CHECK {{
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }}
  }}
"
    )
}

/// A director: one VRRP instance and two virtual servers on the VIP, :80 with
/// `web_servers`, :81 with `api_servers`.
fn director_config(web_servers: &[&str], api_servers: &[&str]) -> String {
    let web: String = web_servers.iter().map(|a| real_server(a)).collect();
    let api: String = api_servers.iter().map(|a| real_server(a)).collect();
    format!(
        "global_defs {{
  router_id director
  keel_lb_backend nftables
  keel_tcp_check connect
}}
{}
virtual_server {VIP} 80 {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
{web}}}
virtual_server {VIP} 81 {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
{api}}}
",
        instance(150)
    )
}

/// The :80 service's chain in `table` (keel-sys names it `svc_tcp_ADDRESS_PORT`), with
/// the nft handles of its rules.
fn web_service_chain(table: &str) -> Vec<String> {
    table
        .lines()
        .skip_while(|line| !line.contains("chain svc_tcp_10_88_0_100_80 "))
        .take_while(|line| line.trim() != "}")
        .map(str::to_string)
        .collect()
}

#[test]
fn one_process_runs_vrrp_and_the_checker_child() {
    let _serial = serial();
    let (lab, dir) = lab("kdck", 5);
    let director = lab.host(0);
    let rs1 = Listener::start(lab.host(2), dir.path(), "rs1");
    let rs2 = Listener::start(lab.host(3), dir.path(), "rs2");
    let _rs3 = Listener::start(lab.host(4), dir.path(), "rs3");
    let config = director_config(&["10.88.0.3", "10.88.0.4"], &["10.88.0.3"]);
    let mut keel = start_keel(director, dir.path(), "dir", &config);
    let checkers_pid = dir.path().join("dir-checkers.pid");

    // Input: one `keel -n -l -f CONF` with a vrrp_instance and virtual servers, healthy
    // real servers 10.88.0.3 and .4.
    // Output: the VIP comes up on e0 and `inet keel` holds both real servers; the checker
    // runs as a second process with its own pid file.
    assert!(
        wait(Duration::from_secs(10), || holds(director, VIP)),
        "VIP never came up\n{}",
        keel.log_text()
    );
    assert!(
        wait(Duration::from_secs(10), || {
            let table = keel_table(&director.ns);
            table.contains("10.88.0.3") && table.contains("10.88.0.4")
        }),
        "real servers never reached nftables:\n{}\n{}",
        keel_table(&director.ns),
        keel.log_text()
    );
    let first_checker = pid_in(&checkers_pid).expect("the checker child writes its pid file");
    assert_ne!(first_checker, keel.pid() as i32);
    assert!(rs1.count().unwrap_or(0) > 0, "rs1 was never probed");

    // Input: rs2's listener stops.
    // Output: after retry + 1 failed checks 10.88.0.4 leaves the table.
    drop(rs2);
    assert!(
        wait(Duration::from_secs(10), || !keel_table(&director.ns)
            .contains("10.88.0.4")),
        "10.88.0.4 stayed:\n{}\n{}",
        keel_table(&director.ns),
        keel.log_text()
    );

    // Input: SIGHUP with a file that adds 10.88.0.5 to the :81 service.
    // Output: it appears; the :80 service's rules keep their nft handles (nothing healthy
    // was flushed), the failed 10.88.0.4 stays out (its checker kept its DOWN state), and
    // VRRP stays MASTER.
    let before = web_service_chain(&keel_table(&director.ns));
    assert!(
        before.len() >= 3 && before.iter().skip(1).all(|line| line.contains("# handle ")),
        "{before:?}"
    );
    std::fs::write(
        dir.path().join("dir.conf"),
        director_config(&["10.88.0.3", "10.88.0.4"], &["10.88.0.3", "10.88.0.5"]),
    )
    .expect("writing config");
    keel.signal(libc::SIGHUP);
    assert!(
        wait(Duration::from_secs(10), || keel_table(&director.ns)
            .contains("10.88.0.5")),
        "10.88.0.5 never added:\n{}\n{}",
        keel_table(&director.ns),
        keel.log_text()
    );
    assert_eq!(web_service_chain(&keel_table(&director.ns)), before);
    assert!(!keel_table(&director.ns).contains("10.88.0.4"));
    assert!(holds(director, VIP));

    // Input: SIGUSR1.
    // Output: the checker child writes keepalived_check.data with the real servers' state.
    keel.signal(libc::SIGUSR1);
    let check_data = dir.path().join("keepalived_check.data");
    assert!(
        wait(Duration::from_secs(5), || std::fs::read_to_string(
            &check_data
        )
        .is_ok_and(|text| text.contains("Alive = no"))),
        "no check data:\n{}",
        keel.log_text()
    );
    let text = std::fs::read_to_string(&check_data).expect("check data");
    assert!(text.starts_with("------< LVS Topology >------\n"), "{text}");
    assert!(text.contains("Alive = yes"), "{text}");

    // Input: the checker child is SIGKILLed (a crash).
    // Output: the daemon logs it and restarts it after 1 s with a new pid; the VIP never
    // leaves e0 meanwhile; the table holds the healthy real servers again.
    signal(first_checker, libc::SIGKILL);
    let restart_start = Instant::now();
    let mut vip_held_throughout = true;
    let restarted = wait(Duration::from_secs(10), || {
        vip_held_throughout &= holds(director, VIP);
        pid_in(&checkers_pid).is_some_and(|pid| pid != first_checker && alive(pid))
    });
    assert!(restarted, "checker not restarted\n{}", keel.log_text());
    eprintln!("checker restarted after {:?}", restart_start.elapsed());
    assert!(
        vip_held_throughout,
        "the VIP left while the checker restarted"
    );
    assert!(
        keel.log_text()
            .contains("Keepalived_healthcheckers exited due to signal 9 - restarting"),
        "{}",
        keel.log_text()
    );
    assert!(
        wait(Duration::from_secs(10), || {
            let table = keel_table(&director.ns);
            table.contains("10.88.0.3") && table.contains("10.88.0.5")
        }),
        "{}",
        keel.log_text()
    );
    assert!(holds(director, VIP));
    let second_checker = pid_in(&checkers_pid).expect("pid file");

    // Input: SIGTERM to the daemon.
    // Output: it exits 0; the VIP, the nft table and the checker process are gone.
    keel.signal(libc::SIGTERM);
    assert_eq!(
        keel.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        keel.log_text()
    );
    assert!(!holds(director, VIP), "VIP left behind");
    assert_eq!(keel_table(&director.ns), "", "nft table left behind");
    assert!(
        wait(Duration::from_secs(2), || !alive(second_checker)),
        "checker child outlived the daemon"
    );
}

/// A router whose virtual server has `ha_suspend` (no real-server changes expected).
fn suspending_config(priority: u8) -> String {
    format!(
        "global_defs {{
  router_id r{priority}
  keel_lb_backend nftables
  keel_tcp_check connect
}}
{}
virtual_server {VIP} 80 {{
  delay_loop 1
  ha_suspend
  lvs_sched rr
  lvs_method NAT
  protocol TCP
{}}}
",
        instance(priority),
        real_server("10.88.0.3")
    )
}

#[test]
fn ha_suspend_runs_checkers_only_on_the_master() {
    let _serial = serial();
    let (lab, dir) = lab("kdha", 3);
    let rs = Listener::start(lab.host(2), dir.path(), "rs");
    let probes = || rs.count().unwrap_or(0);

    // Input: router A (priority 200) and router B (priority 100), both with the same
    // ha_suspend virtual server on the VIP; only A is MASTER.
    // Output: the real server is probed (about once a second) by A alone: B's checker is
    // suspended while the VIP is not local there (spec §3.13). B's load-balancer entries
    // stay as configured, only the checking stops: keepalived 2.2.7 disables the checkers
    // (check_api.c update_checker_activity) and leaves the service and its servers in place.
    let mut a = start_keel(lab.host(0), dir.path(), "a", &suspending_config(200));
    assert!(
        wait(Duration::from_secs(10), || holds(lab.host(0), VIP)),
        "{}",
        a.log_text()
    );
    let b = start_keel(lab.host(1), dir.path(), "b", &suspending_config(100));
    std::thread::sleep(Duration::from_secs(4));
    assert!(!holds(lab.host(1), VIP), "B must stay BACKUP");
    assert!(keel_table(&lab.host(0).ns).contains("10.88.0.3"));
    assert!(
        keel_table(&lab.host(1).ns).contains("10.88.0.3"),
        "B keeps the service and its server while suspended:\n{}",
        keel_table(&lab.host(1).ns)
    );
    // Only A probes: one router at delay_loop 1 makes about 3 connections in 3 s, two
    // would make about 6.
    let before = probes();
    std::thread::sleep(Duration::from_secs(3));
    let while_a_master = probes() - before;
    assert!(
        (2..=4).contains(&while_a_master),
        "A alone probes once a second: {while_a_master} in 3 s"
    );

    // Input: A's daemon is SIGKILLed (the test removes the VIP it leaves behind, as a
    // crashed host's would vanish), B takes over.
    // Output: B's checker resumes: the real server is probed again, about once a second.
    a.kill();
    lab.host(0)
        .ns
        .ip(&["addr", "del", &format!("{VIP}/24"), "dev", "e0"]);
    // A's checker child dies with its parent (SIGTERM through PR_SET_PDEATHSIG) and
    // removes its table on the way out.
    assert!(
        wait(Duration::from_secs(10), || keel_table(&lab.host(0).ns)
            .is_empty()),
        "A's checker outlived its parent:\n{}",
        a.log_text()
    );
    assert!(
        wait(Duration::from_secs(10), || holds(lab.host(1), VIP)),
        "{}",
        b.log_text()
    );
    let resumed_at = probes();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        (2..=4).contains(&(probes() - resumed_at)),
        "B probes once it is MASTER\n{}",
        b.log_text()
    );
}

#[test]
fn keel_c_daemonizes_with_pid_and_log_files() {
    let _serial = serial();
    let (lab, dir) = lab("kdcc", 3);
    let host = lab.host(0);
    let _rs = Listener::start(lab.host(2), dir.path(), "rs");
    let _rs2 = Listener::start(lab.host(1), dir.path(), "rs2");
    let conf = dir.path().join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "global_defs {{\n  keel_lb_backend nftables\n}}\nvirtual_server 10.88.0.1 80 {{\n  delay_loop 1\n  lvs_sched rr\n  protocol TCP\n{}}}\n",
            real_server("10.88.0.3")
        ),
    )
    .expect("writing config");
    let (pid_file, checkers_pid) = (dir.path().join("k.pid"), dir.path().join("c.pid"));
    let log = dir.path().join("keel.log");

    // Input: `keel -C -G -f c.conf -p PID -c CHECKERS_PID -g LOG` (no -n; the file named
    // relative to the directory keel starts in).
    // Output: the command returns 0 at once; the daemon it left writes both pid files with
    // its pid, logs to LOG with `_healthcheckers` inserted, and programs nftables.
    let status = host
        .ns
        .command(&keel_binary())
        .current_dir(dir.path())
        .args(["-C", "-G", "-f", "c.conf"])
        .arg("-p")
        .arg(&pid_file)
        .arg("-c")
        .arg(&checkers_pid)
        .arg(format!("--log-file={}", log.display()))
        .status()
        .expect("starting keel");
    assert!(status.success(), "the launching process exits 0");
    assert!(wait(Duration::from_secs(5), || pid_in(&checkers_pid).is_some()));
    let pid = pid_in(&checkers_pid).expect("checker pid");
    assert_eq!(pid_in(&pid_file), Some(pid));
    assert!(alive(pid), "the daemon runs");
    let log_file = dir.path().join("keel_healthcheckers.log");
    assert!(
        wait(Duration::from_secs(10), || keel_table(&host.ns)
            .contains("10.88.0.3")),
        "{}",
        std::fs::read_to_string(&log_file).unwrap_or_default()
    );
    let text = std::fs::read_to_string(&log_file).expect("the -g file with _healthcheckers");
    assert!(
        text.contains("Starting Healthcheck child process"),
        "{text}"
    );

    // Input: SIGHUP after the file gains real server 10.88.0.2.
    // Output: the daemon (now in `/`) re-reads the same file: 10.88.0.2 joins the table.
    let text = std::fs::read_to_string(&conf).expect("config");
    let two = text.replace(
        "  real_server 10.88.0.3",
        &format!("{}  real_server 10.88.0.3", real_server("10.88.0.2")),
    );
    std::fs::write(&conf, two).expect("writing config");
    signal(pid, libc::SIGHUP);
    assert!(
        wait(Duration::from_secs(10), || keel_table(&host.ns)
            .contains("10.88.0.2")),
        "{}",
        std::fs::read_to_string(&log_file).unwrap_or_default()
    );

    // Input: SIGTERM.
    // Output: it stops, removes its table and both pid files, and says so in the log.
    signal(pid, libc::SIGTERM);
    assert!(wait(Duration::from_secs(10), || !alive(pid)));
    assert_eq!(keel_table(&host.ns), "");
    assert!(!pid_file.exists() && !checkers_pid.exists());
    let text = std::fs::read_to_string(&log_file).expect("log");
    assert!(text.contains("Stopped"), "{text}");
}

#[test]
fn a_checker_that_cannot_start_stops_the_daemon() {
    let _serial = serial();
    let (lab, dir) = lab("kdfa", 1);
    let host = lab.host(0);
    // Input: `keel_lb_backend ipvs` on this kernel, which has no IPVS: the checker child
    // exits 1 (keepalived's FATAL) at start.
    // Output: as keepalived's parent does on a permanent child error, the daemon logs it
    // and stops as on SIGTERM, VRRP side included: it exits 0 with no VIP on e0.
    let config = director_config(&["10.88.0.3"], &["10.88.0.3"])
        .replace("keel_lb_backend nftables", "keel_lb_backend ipvs");
    let mut keel = start_keel(host, dir.path(), "fatal", &config);
    assert_eq!(
        keel.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        keel.log_text()
    );
    let log = keel.log_text();
    assert!(
        log.contains("Keepalived_healthcheckers exited with permanent error FATAL. Terminating"),
        "{log}"
    );
    assert!(!holds(host, VIP), "VIP left behind\n{log}");
}
