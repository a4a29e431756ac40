//! track_file (inotify) and track_process (/proc scan) against real files and processes.

use std::process::Command;
use std::time::Duration;

use keel_lab::{ChildGuard, TempDir};
use keel_sys::inotify::TrackFileWatcher;
use keel_sys::process::{ParameterMatch, ProcessMatch, matching_processes};

async fn next_change(watcher: &mut TrackFileWatcher) -> Option<i32> {
    tokio::time::timeout(Duration::from_secs(3), watcher.changed())
        .await
        .expect("no inotify change within 3 s")
        .expect("watch failed")
}

#[tokio::test]
async fn track_file_sees_writes_deletion_and_recreation() {
    let dir = TempDir::new("ktrack");
    let path = dir.path().join("weight");

    // Input: a track_file that does not exist yet.  Output: current value 0.
    let mut watcher = TrackFileWatcher::open(&path).expect("watch");
    assert_eq!(watcher.current(), Some(0));

    // Input: an operator writes "5".  Output: the watcher reports 5.
    std::fs::write(&path, "5\n").unwrap();
    assert_eq!(next_change(&mut watcher).await, Some(5));
    assert_eq!(watcher.current(), Some(5));

    // Input: "-10" written.  Output: -10.
    std::fs::write(&path, "-10\n").unwrap();
    assert_eq!(next_change(&mut watcher).await, Some(-10));

    // Input: the file is deleted.  Output: 0 (keepalived treats a missing file as 0).
    std::fs::remove_file(&path).unwrap();
    assert_eq!(next_change(&mut watcher).await, Some(0));

    // Input: it is recreated atomically (write elsewhere, rename into place) with "3".
    // Output: 3: the directory watch survives deletion and recreation.
    let staging = dir.path().join("weight.tmp");
    std::fs::write(&staging, "3").unwrap();
    std::fs::rename(&staging, &path).unwrap();
    assert_eq!(next_change(&mut watcher).await, Some(3));

    // Input: a number that overflows an int.  Output: None (ignored, previous value stays).
    std::fs::write(&path, "99999999999").unwrap();
    assert_eq!(next_change(&mut watcher).await, None);

    // Input: other files in the directory change.  Output: no event for them; the next
    // event is our file's.
    std::fs::write(dir.path().join("unrelated"), "1").unwrap();
    std::fs::write(&path, "0x10").unwrap();
    assert_eq!(next_change(&mut watcher).await, Some(16));
}

#[test]
fn track_process_finds_a_running_sleep_and_stops_finding_it() {
    // Input: a process `sleep 97.5` is running.
    // Output: the scan by name finds its pid; by full command /bin/sleep with parameter
    // "97.5" (exact) too; a wrong parameter does not match.
    let child = Command::new("/bin/sleep").arg("97.5").spawn().unwrap();
    let guard = ChildGuard::new(child);
    let pid = guard.pid();
    // spawn() returns while the kernel may still be setting up the new program's memory;
    // wait until its command line is readable, as it is for any settled process.
    for _ in 0..100 {
        if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let by_name = matching_processes(&ProcessMatch::named("sleep")).unwrap();
    assert!(by_name.contains(&pid), "{pid} not in {by_name:?}");

    let mut by_command = ProcessMatch::named("/bin/sleep");
    by_command.full_command = true;
    by_command.parameters = Some(vec!["97.5".into()]);
    by_command.parameter_match = ParameterMatch::Exact;
    assert_eq!(matching_processes(&by_command).unwrap(), vec![pid]);
    by_command.parameters = Some(vec!["12".into()]);
    assert!(!matching_processes(&by_command).unwrap().contains(&pid));

    // Input: the process is killed.  Output: it is no longer counted.
    drop(guard);
    let by_name = matching_processes(&ProcessMatch::named("sleep")).unwrap();
    assert!(!by_name.contains(&pid), "{pid} still counted");
}

#[tokio::test]
async fn proc_connector_reports_exec_and_exit_of_a_tracked_process() {
    keel_lab::require_root();
    use keel_sys::proc_events::{ProcEvents, ProcessEvent};
    let mut events = ProcEvents::open().expect("proc connector (root, initial namespaces)");
    let wanted = ProcessMatch::named("sleep");

    // Input: `sleep 0.3` starts and ends while we listen.
    // Output: an Exec event for its pid, at which point it matches `process sleep`, and
    // later an Exit event for the same pid.
    let mut child = tokio::process::Command::new("/bin/sleep")
        .arg("0.3")
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut saw_exec = false;
    let mut matched_at_exec = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("no exit event within 5 s")
            .expect("connector read failed");
        match event {
            ProcessEvent::Exec { pid: p } if p == pid => {
                saw_exec = true;
                matched_at_exec = wanted.matches_pid(pid);
            }
            ProcessEvent::Exit { pid: p } if p == pid => break,
            _ => {}
        }
    }
    child.wait().await.unwrap();
    assert!(saw_exec, "no exec event for {pid}");
    assert!(
        matched_at_exec,
        "{pid} did not match `process sleep` after exec"
    );
    assert!(!wanted.matches_pid(pid), "exited {pid} still matches");
}
