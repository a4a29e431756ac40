//! Child subreaper and reaping. In its own test binary: `reap_zombies` reaps any child, so it
//! must not race with other tests' `Command::output()`.

use std::time::Duration;

use keel_lab::{become_subreaper, reap_zombies};

#[test]
fn orphans_of_a_killed_daemon_are_adopted_and_reaped() {
    become_subreaper();
    // Input: a "daemon" forks a worker and exits at once (as a daemon SIGKILLed mid-run
    // leaves its children behind); the worker lives 300 ms.
    // Output: the worker is re-parented to us, and once it exits we reap it, so no zombie
    // keeps its pid "alive".
    let status = std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 0.3 >/dev/null & echo $!"])
        .output()
        .unwrap();
    let orphan: u32 = String::from_utf8_lossy(&status.stdout)
        .trim()
        .parse()
        .unwrap();
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit(')')
            .next()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    assert_eq!(parent_of(orphan), Some(std::process::id()), "not adopted");
    let mut reaped = 0;
    for _ in 0..100 {
        reaped += reap_zombies();
        if reaped > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(reaped, 1);
    assert!(
        !std::path::Path::new(&format!("/proc/{orphan}")).exists(),
        "zombie left"
    );
}
