//! The script runner and the script path safety check (needs root: runs as `nobody`, chowns).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use keel_lab::{TempDir, require_root};
use keel_sys::script::{ProcessRunner, ScriptCommand, ScriptOutcome, ScriptRunner, UserIds};
use keel_sys::security::{PathSafety, check_script_path};

fn shell(script: &str, timeout: Option<Duration>) -> ScriptCommand {
    ScriptCommand {
        argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
        user: UserIds::root(),
        timeout,
    }
}

fn gone(pid: i32) -> bool {
    // A process that is gone (or a zombie waiting for init) no longer runs.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn exit_status_maps_to_success_failure_and_signal() {
    require_root();
    let runner = ProcessRunner;
    // Input: scripts that exit 0, exit 1, exit 7, and kill themselves.
    // Output: Success, Failure(1), Failure(7), Signalled(9).
    assert_eq!(
        runner.run(&shell("exit 0", None)).await.unwrap(),
        ScriptOutcome::Success
    );
    assert_eq!(
        runner.run(&shell("exit 1", None)).await.unwrap(),
        ScriptOutcome::Failure(1)
    );
    assert_eq!(
        runner.run(&shell("exit 7", None)).await.unwrap(),
        ScriptOutcome::Failure(7)
    );
    assert_eq!(
        runner.run(&shell("kill -9 $$", None)).await.unwrap(),
        ScriptOutcome::Signalled(9)
    );
    // Input: a program that does not exist / an empty argv.  Output: errors, not panics.
    let missing = ScriptCommand {
        argv: vec!["/nonexistent/check".into()],
        user: UserIds::root(),
        timeout: None,
    };
    assert!(runner.run(&missing).await.is_err());
    let empty = ScriptCommand {
        argv: vec![],
        user: UserIds::root(),
        timeout: None,
    };
    assert!(runner.run(&empty).await.is_err());
}

#[tokio::test]
async fn a_hanging_script_and_its_children_are_killed_at_the_timeout() {
    require_root();
    let dir = TempDir::new("kscript");
    let pids = dir.path().join("pids");

    // Input: a script that starts a background child, records both pids, and hangs;
    // timeout 300 ms.
    // Output: TimedOut shortly after 300 ms (SIGTERM suffices), and the whole process
    // group, child included, is gone.
    let script = format!("sleep 60 & echo $$ $! > {}; wait", pids.display());
    let started = Instant::now();
    let outcome = ProcessRunner
        .run(&shell(&script, Some(Duration::from_millis(300))))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(outcome.unwrap(), ScriptOutcome::TimedOut);
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    let text = std::fs::read_to_string(&pids).unwrap();
    let recorded: Vec<i32> = text
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let (leader, child) = (recorded[0], recorded[1]);
    assert!(
        wait_until(|| gone(leader) && gone(child)).await,
        "{leader} or {child} still runs"
    );
    // Once init has reaped the orphaned child, the group has no member left.
    // SAFETY: kill with signal 0 only checks whether the group exists.
    let group_gone = || unsafe { libc::kill(-leader, 0) } != 0;
    assert!(
        wait_until(group_gone).await,
        "process group {leader} still exists"
    );
}

#[tokio::test]
async fn a_script_ignoring_sigterm_is_killed_two_seconds_later() {
    require_root();
    // Input: a script that traps SIGTERM and keeps sleeping; timeout 200 ms.
    // Output: TimedOut after the 2 s grace (SIGKILL), not before, not much after.
    let started = Instant::now();
    let outcome = ProcessRunner
        .run(&shell(
            "trap '' TERM; while :; do sleep 0.1; done",
            Some(Duration::from_millis(200)),
        ))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(outcome.unwrap(), ScriptOutcome::TimedOut);
    assert!(
        elapsed >= Duration::from_millis(2200) && elapsed < Duration::from_millis(5000),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn scripts_run_as_the_configured_user_in_their_own_process_group() {
    require_root();
    let dir = TempDir::new("kscript");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = dir.path().join("identity");

    // Input: `script_user nobody`; the script records its ids, groups and process group.
    // Output: nobody's uid/gid, no root group, and a process group led by the script.
    let nobody = UserIds::lookup("nobody", None).expect("nobody exists");
    let command = ScriptCommand {
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!(
                "echo $(id -u) $(id -g) $$ $(ps -o pgid= -p $$) \"[$(id -G)]\" > {}",
                out.display()
            ),
        ],
        user: nobody.clone(),
        timeout: Some(Duration::from_secs(5)),
    };
    assert_eq!(
        ProcessRunner.run(&command).await.unwrap(),
        ScriptOutcome::Success
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields[0], nobody.uid.to_string(), "{text}");
    assert_eq!(fields[1], nobody.gid.to_string(), "{text}");
    assert_eq!(
        fields[2], fields[3],
        "script is not its own process group leader: {text}"
    );
    assert!(
        !text.contains("[0") && !text.contains(" 0 "),
        "root group kept: {text}"
    );
}

#[tokio::test]
async fn notify_scripts_are_fire_and_forget_and_reaped() {
    require_root();
    let dir = TempDir::new("kscript");
    let marker = dir.path().join("notified");

    // Input: notify_master "/bin/sh -c 'echo MASTER > FILE'" started detached.
    // Output: the call returns at once; the file appears; the process does not linger
    // as a zombie.
    let command = shell(
        &format!("sleep 0.2; echo MASTER > {}", marker.display()),
        None,
    );
    let started = Instant::now();
    let pid = ProcessRunner.spawn_detached(&command).unwrap() as i32;
    assert!(started.elapsed() < Duration::from_millis(150));
    assert!(wait_until(|| marker.exists()).await);
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "MASTER\n");
    assert!(
        wait_until(|| !Path::new(&format!("/proc/{pid}")).exists()).await,
        "notify script {pid} was not reaped"
    );
}

#[test]
fn script_path_safety_follows_keepalived_rules() {
    require_root();
    use std::os::unix::fs::chown;
    let dir = TempDir::new("ksec");
    let scripts = dir.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    std::fs::set_permissions(&scripts, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = scripts.join("check.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let set_mode = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };

    // Input: root-owned 0755 script in a root-owned 0755 directory under sticky /tmp.
    // Output: safe.
    set_mode(&script, 0o755);
    assert_eq!(check_script_path(&script).unwrap(), PathSafety::Safe);

    // Input: group-writable, group root.  Output: still safe (only root can write).
    set_mode(&script, 0o775);
    assert_eq!(check_script_path(&script).unwrap(), PathSafety::Safe);

    // Input: group-writable with a non-root group.  Output: unsafe, the file named.
    chown(&script, None, Some(65534)).unwrap();
    assert_eq!(
        check_script_path(&script).unwrap(),
        PathSafety::Unsafe {
            component: script.clone()
        }
    );
    chown(&script, None, Some(0)).unwrap();

    // Input: world-writable file.  Output: unsafe.
    set_mode(&script, 0o757);
    assert!(matches!(
        check_script_path(&script).unwrap(),
        PathSafety::Unsafe { .. }
    ));
    set_mode(&script, 0o755);

    // Input: the file owned by nobody.  Output: unsafe.
    chown(&script, Some(65534), None).unwrap();
    assert!(matches!(
        check_script_path(&script).unwrap(),
        PathSafety::Unsafe { .. }
    ));
    chown(&script, Some(0), None).unwrap();

    // Input: a world-writable directory on the path (no sticky bit).
    // Output: unsafe, the directory named.
    set_mode(&scripts, 0o777);
    assert_eq!(
        check_script_path(&script).unwrap(),
        PathSafety::Unsafe {
            component: scripts.clone()
        }
    );
    // Input: the same directory with the sticky bit (like /tmp).  Output: safe again.
    set_mode(&scripts, 0o1777);
    assert_eq!(check_script_path(&script).unwrap(), PathSafety::Safe);
    set_mode(&scripts, 0o755);

    // Input: a symlink in a safe place pointing into an unsafe directory.
    // Output: unsafe (the real path is checked too).
    let unsafe_dir = dir.path().join("open");
    std::fs::create_dir(&unsafe_dir).unwrap();
    set_mode(&unsafe_dir, 0o777);
    let target = unsafe_dir.join("real.sh");
    std::fs::write(&target, "#!/bin/sh\n").unwrap();
    set_mode(&target, 0o755);
    let link = scripts.join("link.sh");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_eq!(
        check_script_path(&link).unwrap(),
        PathSafety::Unsafe {
            component: unsafe_dir.clone()
        }
    );

    // Input: a missing script, a relative path.  Output: errors.
    assert!(check_script_path(&scripts.join("missing.sh")).is_err());
    assert!(check_script_path(Path::new("check.sh")).is_err());
}

#[test]
fn script_user_lookup_resolves_names_and_rejects_unknown_ones() {
    // Input: `script_user nobody`, `script_user nobody root`, and a user that does not exist.
    // Output: nobody's ids; the group override; an error rather than running as root.
    let nobody = UserIds::lookup("nobody", None).unwrap();
    assert_eq!(nobody.uid, 65534);
    assert_ne!(nobody.gid, 0);
    let with_group = UserIds::lookup("nobody", Some("root")).unwrap();
    assert_eq!((with_group.uid, with_group.gid), (65534, 0));
    assert!(UserIds::lookup("keel-no-such-user", None).is_err());
    assert!(UserIds::lookup("nobody", Some("keel-no-such-group")).is_err());
    assert_eq!(UserIds::lookup("root", None).unwrap().uid, 0);
}

#[test]
fn scripts_get_sigterm_when_the_daemon_goes_away() {
    require_root();
    let dir = TempDir::new("kscript");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let pid_file = dir.path().join("pid");

    // Input: a "daemon" (a thread with its own runtime) starts a notify script as nobody
    // that records its pid and sleeps 30 s, then the daemon exits.
    // Output: the script is terminated at once (PR_SET_PDEATHSIG survives the uid change).
    let command = ScriptCommand {
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("echo $$ > {}; exec sleep 30", pid_file.display()),
        ],
        user: UserIds::lookup("nobody", None).unwrap(),
        timeout: None,
    };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            ProcessRunner.spawn_detached(&command).unwrap();
            for _ in 0..200 {
                if std::fs::read_to_string(&pid_file).is_ok_and(|t| !t.trim().is_empty()) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
    })
    .join()
    .unwrap();
    let text = std::fs::read_to_string(dir.path().join("pid")).unwrap();
    let pid: i32 = text.trim().parse().unwrap();
    let mut ended = false;
    for _ in 0..100 {
        if gone(pid) {
            ended = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ended, "script {pid} outlived its parent");
}
