//! The test poses as systemd: it binds the notification socket and reads what keel sends.

use std::ffi::OsStr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use keel::ops::systemd::Notifier;

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A bound socket file, removed on drop.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn receive(listener: &UnixDatagram) -> String {
    let mut buffer = [0u8; 4096];
    let length = listener.recv(&mut buffer).expect("a notification arrives");
    String::from_utf8_lossy(&buffer[..length]).into_owned()
}

// Input: NOTIFY_SOCKET is a path; the daemon starts, reloads, pings and stops.
// Output: systemd receives READY=1 (with STATUS and MAINPID), RELOADING=1 (with
// MONOTONIC_USEC), READY=1 again, WATCHDOG=1 and STOPPING=1, in that order.
#[test]
fn lifecycle_over_a_path_socket() {
    let file = SocketFile(std::env::temp_dir().join(unique("keel-notify")));
    let listener = UnixDatagram::bind(&file.0).expect("bind as systemd");
    listener
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let notifier = Notifier::new(
        Some(file.0.as_os_str()),
        Some("4000000"),
        None,
        std::process::id(),
    )
    .expect("notifier");
    assert!(notifier.is_enabled());
    assert_eq!(
        notifier.watchdog_interval(),
        Some(Duration::from_secs(2)),
        "half of WatchdogSec=4"
    );

    notifier.ready("2 VRRP instances").expect("sent");
    let ready = receive(&listener);
    assert!(ready.starts_with("READY=1\n"), "{ready}");
    assert!(ready.contains("STATUS=2 VRRP instances"));
    assert!(ready.contains(&format!("MAINPID={}", std::process::id())));

    notifier.reloading().expect("sent");
    let reloading = receive(&listener);
    assert!(
        reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="),
        "{reloading}"
    );
    notifier.ready("reloaded").expect("sent");
    assert!(receive(&listener).starts_with("READY=1"));

    notifier.watchdog().expect("sent");
    assert_eq!(receive(&listener), "WATCHDOG=1");
    notifier.stopping().expect("sent");
    assert_eq!(receive(&listener), "STOPPING=1");
}

// Input: NOTIFY_SOCKET=@name (abstract namespace). Output: the notification arrives there.
#[test]
fn abstract_socket() {
    let name = unique("keel-notify-abstract");
    let address = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract name");
    let listener = UnixDatagram::bind_addr(&address).expect("bind abstract");
    listener
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let socket = format!("@{name}");
    let notifier = Notifier::new(Some(OsStr::new(&socket)), None, None, 1).expect("notifier");
    notifier.status("up").expect("sent");
    assert_eq!(receive(&listener), "STATUS=up");
}

// Input: WATCHDOG_PID names another process, or WATCHDOG_USEC is missing or zero.
// Output: no watchdog; WATCHDOG=1 is not sent.
#[test]
fn watchdog_only_for_our_pid() {
    let file = SocketFile(std::env::temp_dir().join(unique("keel-notify-wd")));
    let listener = UnixDatagram::bind(&file.0).expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    for (usec, pid) in [
        (Some("1000000"), Some("1")),
        (None, None),
        (Some("0"), None),
    ] {
        let notifier = Notifier::new(Some(file.0.as_os_str()), usec, pid, 4242).expect("notifier");
        assert_eq!(notifier.watchdog_interval(), None);
        notifier.watchdog().expect("no-op");
    }
    let mut buffer = [0u8; 64];
    assert!(listener.recv(&mut buffer).is_err(), "a ping was sent");
    let ours = Notifier::new(
        Some(file.0.as_os_str()),
        Some("1000000"),
        Some("4242"),
        4242,
    )
    .expect("notifier");
    assert_eq!(ours.watchdog_interval(), Some(Duration::from_millis(500)));
}

// Input: no NOTIFY_SOCKET (run outside systemd). Output: every call succeeds and does nothing.
#[test]
fn without_systemd_everything_is_a_no_op() {
    let notifier = Notifier::new(None, Some("1000000"), None, 1).expect("notifier");
    assert!(!notifier.is_enabled());
    notifier.ready("x").expect("no-op");
    notifier.reloading().expect("no-op");
    notifier.stopping().expect("no-op");
    notifier.watchdog().expect("no-op");
}

// Input: the unit file shipped in packaging/. Output: it asks systemd for the protocol
// Notifier speaks (Type=notify, a watchdog), keeps keel in the foreground, and reloads with
// SIGHUP as keepalived does.
#[test]
fn unit_file_matches_the_notifier() {
    let unit =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/keel.service");
    let text = std::fs::read_to_string(&unit).expect("packaging/keel.service is in the repository");
    let service = text
        .split("[Service]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [Service] section");
    let value = |key: &str| {
        service
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
    };
    assert_eq!(value("Type").as_deref(), Some("notify"));
    assert_eq!(
        value("ExecReload").as_deref(),
        Some("/bin/kill -HUP $MAINPID")
    );
    assert!(value("WatchdogSec").is_some_and(|secs| secs.parse::<u32>().is_ok_and(|s| s > 0)));
    assert!(value("ExecStart").is_some_and(|start| start.contains(" -n")));
}
