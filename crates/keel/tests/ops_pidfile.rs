//! Pid file scenarios: a second daemon refused, stale files taken over, removal at exit.

use std::process::Command;

use keel::ops::pidfile::{PidFile, PidFileError, process_alive, read_pid};
use keel_lab::TempDir;

fn own_pid() -> i32 {
    std::process::id() as i32
}

// Input: no pid file, keepalived's umask 0177; acquire, then drop. Output: the file holds our
// pid with mode 0644 while held (in a directory created for it) and is gone afterwards.
#[test]
fn written_then_removed_at_exit() {
    let scratch = TempDir::new("keel-ops-pid");
    // SAFETY: umask has no preconditions; the other tests here do not check file modes.
    let previous = unsafe { libc::umask(0o177) };
    let path = scratch.path().join("keepalived").join("vrrp.pid");
    {
        let held = PidFile::acquire(&path, own_pid()).expect("free pid file");
        assert_eq!(read_pid(held.path()), Some(own_pid()));
        assert_eq!(
            std::fs::read_to_string(&path).expect("written"),
            format!("{}\n", own_pid())
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o644,
            "keepalived's pid files are world-readable"
        );
    }
    // SAFETY: as above.
    unsafe { libc::umask(previous) };
    assert!(!path.exists(), "pid file left behind");
}

// Input: a pid file naming a live process (a sleeping child). Output: refused with that pid,
// and the file is untouched.
#[test]
fn live_holder_is_refused() {
    let scratch = TempDir::new("keel-ops-pid");
    let path = scratch.path().join("keepalived.pid");
    let mut child = Command::new("sleep").arg("30").spawn().expect("sleep runs");
    let holder = child.id() as i32;
    std::fs::write(&path, format!("{holder}\n")).expect("writable");
    let outcome = PidFile::acquire(&path, own_pid());
    child.kill().expect("child killed");
    child.wait().expect("child reaped");
    match outcome {
        Err(PidFileError::Running { pid, .. }) => assert_eq!(pid, holder),
        other => panic!("expected Running, got {other:?}"),
    }
    assert_eq!(read_pid(&path), Some(holder));
}

// Input: pid files naming an exited process, holding garbage, or empty.
// Output: each is stale and taken over.
#[test]
fn stale_files_are_taken_over() {
    let scratch = TempDir::new("keel-ops-pid");
    let mut child = Command::new("true").spawn().expect("true runs");
    let dead = child.id() as i32;
    child.wait().expect("reaped");
    assert!(!process_alive(dead));
    for content in [
        format!("{dead}\n"),
        "not a pid\n".to_string(),
        String::new(),
    ] {
        let path = scratch.path().join("checkers.pid");
        std::fs::write(&path, &content).expect("writable");
        let held = PidFile::acquire(&path, own_pid()).expect("stale file taken over");
        assert_eq!(
            read_pid(held.path()),
            Some(own_pid()),
            "content {content:?}"
        );
    }
}

// Input: a pid file naming a crashed daemon nobody reaped yet (a zombie).
// Output: not alive, so a restart takes the file over (LAB-NOTES: unreaped daemons).
#[test]
fn zombie_holder_is_stale() {
    let scratch = TempDir::new("keel-ops-pid");
    let path = scratch.path().join("keepalived.pid");
    let mut child = Command::new("true").spawn().expect("true runs");
    let zombie = child.id() as i32;
    // Wait until it has exited but leave it unreaped.
    for _ in 0..200 {
        let stat = std::fs::read_to_string(format!("/proc/{zombie}/stat")).unwrap_or_default();
        if stat.contains(") Z") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::fs::write(&path, format!("{zombie}\n")).expect("writable");
    let held = PidFile::acquire(&path, own_pid());
    child.wait().expect("reaped");
    assert!(held.is_ok(), "zombie blocked the pid file: {held:?}");
}

// Input: our own pid already in the file (a re-exec). Output: taken, not refused.
#[test]
fn own_pid_is_not_a_rival() {
    let scratch = TempDir::new("keel-ops-pid");
    let path = scratch.path().join("vrrp.pid");
    std::fs::write(&path, format!("{}\n", own_pid())).expect("writable");
    assert!(PidFile::acquire(&path, own_pid()).is_ok());
}
