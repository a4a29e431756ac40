//! keel as an operator runs it: daemon mode with pid files, the signal dumps of spec §4,
//! a malformed packet that changes nothing, and SIGTERM cleaning up.
//!
//! Needs root.

mod vrrp_lab;

use std::path::Path;
use std::time::Duration;

use keel::ops::pidfile::read_pid;
use keel_lab::DaemonFiles;
use vrrp_lab::{Router, fifo_copy_script, holds, keel_command, lab, serial, wait_until};

/// How long a stopping keel may take to clean up and exit.
const STOP: Duration = Duration::from_secs(5);

const CONFIG: &str = "vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  \
                      virtual_router_id 71\n  priority 150\n  advert_int 1\n  \
                      virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n";

// Input: `keel -f CONF -p PID -r VRRP_PID` without -n, TMPDIR set; SIGUSR2, SIGRTMIN+2,
// SIGUSR1; a garbage VRRP packet; SIGTERM.
// Output: the command returns at once, both pid files name the running daemon, which takes
// the VIP; keepalived.stats, keepalived.json and keepalived.data appear in TMPDIR with
// keepalived's layout (mode 0600); the garbage is counted, not fatal; SIGTERM removes the VIP
// and the pid files.
#[test]
fn daemon_mode_pid_files_dumps_and_stop() {
    let _serial = serial();
    let (lab, dir) = lab("kproc", 2);
    let host = lab.host(0);
    let files = DaemonFiles::write(dir.path(), "keel", CONFIG);
    let (pid_file, vrrp_pid_file) = (&files.pid, &files.vrrp_pid);
    let log = dir.path().join("keepalived.log");
    let status = host
        .ns
        .command(env!("CARGO_BIN_EXE_keel"))
        .args(["-G", "-P", "-D", "--flush-log-file"])
        .arg(format!("--log-file={}", log.display()))
        .args(files.args())
        .env("TMPDIR", dir.path())
        .status()
        .expect("starting keel");
    // What the daemon logged, for a failure's message (-g writes keepalived_vrrp.log).
    let log_of = || {
        std::fs::read_to_string(dir.path().join("keepalived_vrrp.log"))
            .unwrap_or_else(|error| format!("(no log: {error})"))
    };
    assert!(status.success(), "the launching process exits 0");
    assert!(wait_until(Duration::from_secs(3), || read_pid(pid_file).is_some()).is_some());
    let pid = read_pid(pid_file).unwrap();
    assert_eq!(read_pid(vrrp_pid_file), Some(pid));
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the daemon runs"
    );
    assert!(wait_until(Duration::from_secs(6), || holds(host, "10.88.0.100")).is_some());

    // A VRRP packet of 3 bytes for VRID 71: counted as a length error, nothing else.
    let out = lab.host(1).ns.sh(
        "python3 -c \"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_RAW, 112); \
         s.sendto(bytes([0x31, 71, 100]), ('10.88.0.1', 0))\"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(300));

    // SAFETY: kill has no memory-safety preconditions; `pid` is the daemon this test started.
    unsafe { libc::kill(pid, libc::SIGUSR2) };
    let stats = dir.path().join("keepalived.stats");
    assert!(
        // Written after it is created: wait for its text, not for the name (an empty file
        // was read once in a CI dry run).
        wait_until(Duration::from_secs(3), || std::fs::metadata(&stats)
            .is_ok_and(|m| m.len() > 0))
        .is_some(),
        "no keepalived.stats 3 s after SIGUSR2; daemon alive: {}; its log:\n{}",
        Path::new(&format!("/proc/{pid}")).exists(),
        log_of()
    );
    let text = std::fs::read_to_string(&stats).unwrap();
    assert!(
        text.starts_with("VRRP Instance: VI_1\n  Advertisements:\n"),
        "{text}"
    );
    assert!(text.contains("\n  Became master: 1\n"), "{text}");
    assert!(text.contains("\n    Length: 1\n"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&stats).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGRTMIN() + 2) };
    let json = dir.path().join("keepalived.json");
    assert!(wait_until(Duration::from_secs(3), || json.exists()).is_some());
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(value[0]["data"]["iname"], "VI_1");
    assert_eq!(value[0]["data"]["state"], 2, "MASTER");
    assert_eq!(value[0]["stats"]["become_master"], 1);

    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGUSR1) };
    let data = dir.path().join("keepalived.data");
    assert!(wait_until(Duration::from_secs(3), || data.exists()).is_some());
    // keepalived 2.2.7 prints `VRRP Version` between the name and the state (spec §4.1).
    let text = std::fs::read_to_string(&data).unwrap();
    assert!(
        text.contains(" VRRP Instance = VI_1\n   VRRP Version = 2\n   State = MASTER\n"),
        "{text}"
    );

    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(
        wait_until(Duration::from_secs(3), || !pid_file.exists()
            && !vrrp_pid_file.exists())
        .is_some(),
        "pid files removed at exit"
    );
    assert!(!holds(host, "10.88.0.100"), "VIP removed at stop");
}

// Input: keel -n under systemd's Type=notify with WatchdogSec (NOTIFY_SOCKET, WATCHDOG_USEC
// of 400 ms).
// Output: READY=1 once started, then WATCHDOG=1 about every 200 ms.
#[test]
fn systemd_readiness_and_watchdog() {
    let _serial = serial();
    let (lab, dir) = lab("ksd", 1);
    let files = DaemonFiles::write(dir.path(), "keel", CONFIG);
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut command = keel_command(lab.host(0), &files);
    command
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000");
    let _keel = Router::spawn(command, &files.log);
    let mut buf = [0u8; 64];
    let mut messages = Vec::new();
    let start = std::time::Instant::now();
    while messages.iter().filter(|m| *m == "WATCHDOG=1").count() < 3 {
        let n = socket.recv(&mut buf).expect("a notification within 5 s");
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(messages[0].starts_with("READY=1\n"), "{messages:?}");
    // Three pings at half of 400 ms take about 400 ms after the first.
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

// Input: a MASTER with virtual_routes and virtual_rules, plus static_ipaddress and
// static_routes; then SIGTERM.
// Output: `ip route`/`ip rule`/`ip addr` show all of them while it runs; none after the stop.
#[test]
fn routes_rules_and_static_objects_follow_the_daemon() {
    let _serial = serial();
    let (lab, dir) = lab("krt", 1);
    let host = lab.host(0);
    let files = DaemonFiles::write(
        dir.path(),
        "keel",
        "static_ipaddress {\n  10.88.0.50/24 dev e0\n}\n\
         static_routes {\n  10.98.0.0/24 via 10.88.0.254 dev e0\n}\n\
         vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 72\n  \
         priority 150\n  advert_int 1\n  virtual_ipaddress {\n    10.88.0.100/24\n  }\n  \
         virtual_routes {\n    10.99.0.0/24 via 10.88.0.254 dev e0\n  }\n  \
         virtual_rules {\n    from 10.88.0.100 table 100\n  }\n}\n",
    );
    let mut keel = Router::spawn(keel_command(host, &files), &files.log);
    let routes = || host.ns.ip(&["route", "show"]);
    let rules = || host.ns.ip(&["rule", "show"]);
    assert!(
        wait_until(Duration::from_secs(6), || holds(host, "10.88.0.100")).is_some(),
        "never MASTER"
    );
    assert!(
        wait_until(Duration::from_secs(2), || routes()
            .contains("10.99.0.0/24 via 10.88.0.254"))
        .is_some(),
        "virtual route missing: {}",
        routes()
    );
    assert!(
        rules().contains("from 10.88.0.100 lookup 100"),
        "{}",
        rules()
    );
    assert!(
        routes().contains("10.98.0.0/24 via 10.88.0.254"),
        "{}",
        routes()
    );
    assert!(holds(host, "10.88.0.50"), "static address missing");

    assert!(keel.stop(STOP).is_some(), "{}", keel.log_text());
    assert!(!routes().contains("10.99.0.0/24"), "{}", routes());
    assert!(!routes().contains("10.98.0.0/24"), "{}", routes());
    assert!(!rules().contains("lookup 100"), "{}", rules());
    assert!(!holds(host, "10.88.0.100") && !holds(host, "10.88.0.50"));
}

// Input: vrrp_notify_fifo with a vrrp_notify_fifo_script that copies the FIFO to a file;
// the instance becomes MASTER, then SIGTERM.
// Output: the script got the FIFO's path as its last argument and saw keepalived's lines in
// order: BACKUP (init), MASTER, STOP; it is gone after the daemon stops.
#[test]
fn notify_fifo_lines_reach_the_fifo_script() {
    let _serial = serial();
    let (lab, dir) = lab("kfifo", 1);
    let host = lab.host(0);
    let (script, copy) = fifo_copy_script(&dir);
    let fifo = dir.path().join("keel.fifo");
    let files = DaemonFiles::write(
        dir.path(),
        "keel",
        &format!(
            "global_defs {{\n  vrrp_notify_fifo {}\n  vrrp_notify_fifo_script {}\n}}\n{CONFIG}",
            fifo.display(),
            script.display()
        ),
    );
    let mut keel = Router::spawn(keel_command(host, &files), &files.log);
    let read = || std::fs::read_to_string(&copy).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(6), || read().contains("MASTER")).is_some(),
        "FIFO copy: {:?}",
        read()
    );
    assert!(keel.stop(STOP).is_some(), "{}", keel.log_text());
    assert!(wait_until(Duration::from_secs(2), || read().contains("STOP")).is_some());
    assert_eq!(
        read(),
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\nINSTANCE \"VI_1\" STOP 150\n"
    );
    // The script exec'd `cat FIFO`: that is the process SIGTERM must have ended.
    let scripts = std::process::Command::new("pgrep")
        .args(["-f", &format!("cat {}", fifo.display())])
        .output()
        .unwrap();
    assert!(scripts.stdout.is_empty(), "the FIFO script was stopped");
}
