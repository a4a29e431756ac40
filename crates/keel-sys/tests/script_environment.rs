//! The script environment (spec §1.1). Alone in its own test binary because it changes this
//! process's environment, which is only sound while no other test thread reads it.

use std::time::Duration;

use keel_lab::TempDir;
use keel_sys::script::{ProcessRunner, ScriptCommand, ScriptOutcome, ScriptRunner, UserIds};

#[tokio::test(flavor = "current_thread")]
async fn ifs_and_loader_variables_are_removed_and_the_rest_is_inherited() {
    // SAFETY: this binary holds this one test, and the current-thread runtime has no other
    // thread that could read the environment concurrently.
    unsafe {
        std::env::set_var("IFS", "x");
        std::env::set_var("LD_PRELOAD", "");
        std::env::set_var("LD_LIBRARY_PATH", "/nonexistent");
        std::env::set_var("KEEL_TEST_MARKER", "kept");
    }
    let dir = TempDir::new("kenv");
    let out = dir.path().join("env");

    // Input: the daemon's environment holds IFS, LD_PRELOAD, LD_LIBRARY_PATH and a marker.
    // Output: the script sees the marker but none of the three.
    let shell = ScriptCommand {
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("/usr/bin/env -0 > {}", out.display()),
        ],
        user: UserIds::root(),
        timeout: Some(Duration::from_secs(5)),
    };
    assert_eq!(
        ProcessRunner.run(&shell).await.unwrap(),
        ScriptOutcome::Success
    );
    let environment = std::fs::read(&out).unwrap();
    let names: Vec<String> = environment
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            text.split_once('=').map(|(name, _)| name.to_string())
        })
        .collect();
    assert!(names.contains(&"KEEL_TEST_MARKER".to_string()), "{names:?}");
    for removed in ["IFS", "LD_PRELOAD", "LD_LIBRARY_PATH"] {
        assert!(
            !names.contains(&removed.to_string()),
            "{removed} leaked: {names:?}"
        );
    }
}
