//! The seed scenario of issue 2 on two hosts: master.conf and backup.conf (interface
//! renamed to e0, notify.sh writing its argument to a file), a process named nginx on each
//! host, each host in its own PID namespace so `pidof nginx` sees only its own.
//!
//! Needs root.

mod vrrp_lab;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use keel_lab::{ChildGuard, Host};
use vrrp_lab::{holds, lab, serial, wait_until};

const VIP: &str = "192.168.1.199";

/// A seed configuration (`testdata/seed/`) for a host of this lab: the interface is e0 and
/// the notify script is `notify`.
fn seed(config: &str, notify: &Path) -> String {
    config
        .replace("interface eth0", "interface e0")
        .replace("/etc/keepalived/notify.sh", &notify.display().to_string())
}

/// Starts keel and a process named nginx in one new PID namespace on `host`. The shell
/// stays PID 1 and reaps, so a killed nginx does not linger as a zombie.
fn start_host(host: &Host, dir: &Path, name: &str, config: &str) -> ChildGuard {
    let conf = dir.join(format!("{name}.conf"));
    std::fs::write(&conf, config).unwrap();
    let nginx = dir.join("nginx");
    let script = format!(
        "{nginx} 100000 & {keel} -n -l -G -D -P -f {conf} -p {dir}/{name}.pid -r {dir}/{name}-vrrp.pid & \
         while :; do wait; sleep 0.05; done",
        nginx = nginx.display(),
        keel = env!("CARGO_BIN_EXE_keel"),
        conf = conf.display(),
        dir = dir.display(),
    );
    host.ns.spawn_isolated(
        &["sh", "-c", &script],
        Some(&dir.join(format!("{name}.log"))),
    )
}

/// Outer pids of the processes called `comm` in `host`'s namespace.
fn pids_named(host: &Host, comm: &str) -> Vec<u32> {
    host.ns
        .pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|text| text.trim() == comm)
        })
        .collect()
}

fn notified(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(format!("notify-{name}.log")))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

// Input: the seed's hosts; nginx killed on the master (fall 2, weight -3 → 97 < 99), then
// restarted.
// Output: the VIP moves to the backup, notify.sh ran `master` there and `backup` on the old
// master; with nginx back the VIP returns and notify.sh ran `master` on the first host.
#[test]
fn killing_nginx_moves_the_vip_and_restarting_it_brings_it_back() {
    let _serial = serial();
    let (lab, dir) = lab("kseed", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    std::fs::copy("/bin/sleep", dir.path().join("nginx")).expect("copying sleep as nginx");
    use std::os::unix::fs::PermissionsExt;
    for name in ["m", "b"] {
        let script = dir.path().join(format!("notify-{name}.sh"));
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$1\" >> {}\n",
                dir.path().join(format!("notify-{name}.log")).display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let m_conf = seed(
        include_str!("../../../testdata/seed/master.conf"),
        &dir.path().join("notify-m.sh"),
    );
    let b_conf = seed(
        include_str!("../../../testdata/seed/backup.conf"),
        &dir.path().join("notify-b.sh"),
    );
    let _master = start_host(h0, dir.path(), "m", &m_conf);
    let _backup = start_host(h1, dir.path(), "b", &b_conf);
    assert!(
        wait_until(Duration::from_secs(10), || holds(h0, VIP)
            && !holds(h1, VIP))
        .is_some(),
        "the master never held the VIP alone"
    );
    std::thread::sleep(Duration::from_secs(2));
    let (m_before, b_before) = (
        notified(dir.path(), "m").len(),
        notified(dir.path(), "b").len(),
    );

    let nginx = pids_named(h0, "nginx");
    assert_eq!(nginx.len(), 1, "one nginx on the master");
    // SAFETY: kill has no memory-safety preconditions; the pid is the test's own nginx.
    unsafe { libc::kill(nginx[0] as i32, libc::SIGKILL) };
    assert!(
        wait_until(Duration::from_secs(12), || holds(h1, VIP)
            && !holds(h0, VIP))
        .is_some(),
        "the VIP did not move to the backup"
    );
    assert!(
        wait_until(Duration::from_secs(2), || {
            notified(dir.path(), "b")[b_before..].contains(&"master".to_string())
                && notified(dir.path(), "m")[m_before..].contains(&"backup".to_string())
        })
        .is_some(),
        "notify.sh: backup host {:?}, master host {:?}",
        notified(dir.path(), "b"),
        notified(dir.path(), "m")
    );

    // nginx is back on the master: priority 100 > 99 again, the master preempts.
    let keel = pids_named(h0, "keel");
    assert_eq!(keel.len(), 1, "one keel on the master");
    let m_middle = notified(dir.path(), "m").len();
    let _nginx = ChildGuard::new(
        std::process::Command::new("nsenter")
            .args(["-t", &keel[0].to_string(), "-p"])
            .arg(dir.path().join("nginx"))
            .arg("100000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nsenter"),
    );
    assert!(
        wait_until(Duration::from_secs(12), || holds(h0, VIP)
            && !holds(h1, VIP))
        .is_some(),
        "the VIP did not come back"
    );
    assert!(
        wait_until(Duration::from_secs(2), || {
            notified(dir.path(), "m")[m_middle..].contains(&"master".to_string())
        })
        .is_some(),
        "notify.sh master did not run on the master host: {:?}",
        notified(dir.path(), "m")
    );
}
