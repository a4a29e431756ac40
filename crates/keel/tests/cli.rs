//! The `keel` binary's command line as an operator meets it: what is printed where, and the
//! exit code. No privileges needed.

mod support;

use std::time::Duration;

use keel_lab::TempDir;
use support::{Run, keel, run_with_timeout};

fn keel_with(args: &[&str]) -> Run {
    let mut command = std::process::Command::new(keel());
    command.args(args);
    run_with_timeout(command, Duration::from_secs(10))
}

#[test]
fn version_banner_goes_to_stderr_and_names_keepalived() {
    // Input: keel -v. Output: exit 0, "Keel v… (keepalived v2.2.7 compatible)" on stderr.
    let run = keel_with(&["-v"]);
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.is_empty());
    assert!(run.stderr.starts_with("Keel v"), "{}", run.stderr);
    assert!(run.stderr.contains("keepalived v2.2.7"), "{}", run.stderr);
}

#[test]
fn help_lists_keepalived_options() {
    let run = keel_with(&["--help"]);
    assert_eq!(run.code, Some(0));
    for option in [
        "-f, --use-file=FILE",
        "-t, --config-test[=LOG_FILE]",
        "--signum=SIGFUNC",
    ] {
        assert!(
            run.stderr.contains(option),
            "missing {option}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn signum_prints_the_number_on_stdout() {
    // Input: --signum=JSON, --signum=STOP, --signum=stop. Output: 36, 15, refusal.
    assert_eq!(keel_with(&["--signum=JSON"]).stdout, "36\n");
    assert_eq!(keel_with(&["--signum", "STOP"]).stdout, "15\n");
    let unknown = keel_with(&["--signum=stop"]);
    assert_eq!(unknown.code, Some(1));
    assert_eq!(unknown.stderr, "keel: Unknown sigfunc stop\n");
}

#[test]
fn features_not_built_say_so_and_fail() {
    // Input: a log file with -t, a daemon without its configuration.
    // Output: a clear message, exit 1.
    let log_file = keel_with(&["-t", "-g/tmp/keel.log"]);
    assert_eq!(log_file.code, Some(1));
    assert_eq!(log_file.stderr, "keel: --log-file is not supported yet\n");
    // The daemon refuses a configuration it cannot read, before writing any pid file.
    let daemon = keel_with(&["-n", "-G", "-f", "/nonexistent.conf"]);
    assert_eq!(daemon.code, Some(1));
    assert!(
        daemon
            .stderr
            .contains("Config files missing '/nonexistent.conf'"),
        "{}",
        daemon.stderr
    );
}

#[test]
fn bad_options_are_refused_like_keepalived() {
    let unknown = keel_with(&["-Q"]);
    assert_eq!(unknown.code, Some(1));
    assert_eq!(unknown.stderr, "keel: Unknown option -Q\n");
    let missing = keel_with(&["--use-file="]);
    assert_eq!(missing.code, Some(1));
    assert_eq!(
        missing.stderr,
        "keel: Missing parameter for option --use-file\n"
    );
}

#[test]
fn config_test_of_a_missing_file_cannot_run() {
    // Input: keel -t -f /nonexistent. keepalived 2.2.7 prints "Config files missing" and
    // exits 0; keel exits 4 ("cannot run") so `keel -t && reload` never passes a typo.
    let run = keel_with(&["-t", "-f", "/nonexistent/keepalived.conf"]);
    assert_eq!(run.code, Some(4));
    assert!(
        run.stderr
            .contains("Config files missing '/nonexistent/keepalived.conf'")
    );
    assert!(
        run.stderr.ends_with("keel: configuration has 1 error\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_test_writes_to_the_log_file_when_attached() {
    // Input: keel --config-test=LOG -f bad.conf. Output: nothing on stderr, the diagnostic
    // in LOG, exit 5.
    let dir = TempDir::new("keel-cli");
    let conf = dir.write("bad.conf", "global_defs {\n    router_idd X\n}\n");
    let log = dir.path().join("check.log");
    let run = keel_with(&[
        &format!("--config-test={}", log.display()),
        "-f",
        &conf.to_string_lossy(),
    ]);
    assert_eq!(run.code, Some(5), "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let text = std::fs::read_to_string(&log).expect("the log was written");
    assert!(text.contains(&format!("{}:2:5", conf.display())), "{text}");
}

#[test]
fn config_test_in_a_network_namespace_exits_zero_like_keepalived() {
    // Input: `net_namespace blue` and an unknown keyword. keepalived 2.2.7's -t prints the
    // error and exits 0 whenever a namespace is set (config or -s); keel does the same and
    // says so.
    let dir = TempDir::new("keel-cli");
    let conf = dir.write(
        "ns.conf",
        "net_namespace blue\nglobal_defs {\n    bogus_kw 1\n}\n",
    );
    let run = keel_with(&["-t", "-f", &conf.to_string_lossy()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}:3:5", conf.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("net_namespace blue"), "{}", run.stderr);
    // The same without the namespace keyword but with -s.
    let plain = dir.write("plain.conf", "global_defs {\n    bogus_kw 1\n}\n");
    assert_eq!(
        keel_with(&["-t", "-f", &plain.to_string_lossy()]).code,
        Some(5)
    );
    assert_eq!(
        keel_with(&["-t", "-s", "blue", "-f", &plain.to_string_lossy()]).code,
        Some(0)
    );
}

#[test]
fn config_test_names_the_keywords_keel_does_not_act_on() {
    // Input: `enable_traps` (SNMP; keel ships no SNMP subagent) twice, once in global_defs
    // and once again in a second global_defs block.
    // Output: one note at its first use, with file:line:col and the daemon's own words; the
    // exit code is the verdict without it (0), and the summary counts the note.
    let dir = TempDir::new("keel-cli");
    let conf = dir.write(
        "snmp.conf",
        "global_defs {\n    enable_traps\n}\nglobal_defs {\n    enable_traps\n}\n",
    );
    let run = keel_with(&["-t", "-f", &conf.to_string_lossy()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let message = "keyword 'enable_traps' is not supported yet by keel; it has no effect";
    assert_eq!(run.stderr.matches(message).count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}:2:5", conf.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("keel: configuration has 1 note\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_test_reads_use_ipvlan() {
    // Input: `use_ipvlan ipvl0 10.0.0.50/24 private`, then the same with `l3` (a kernel
    // mode where the flag goes).
    // Output: the first is clean (exit 0, no "not supported yet" note: keel acts on it);
    // the second is keepalived 2.2.7's error at the word, file:line:col, exit 5.
    let dir = TempDir::new("keel-cli");
    let text = "vrrp_instance VI_1 {\n    interface lo\n    virtual_router_id 51\n    use_ipvlan ipvl0 10.0.0.50/24 private\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n}\n";
    let good = dir.write("ipvlan.conf", text);
    let run = keel_with(&["-t", "-f", &good.to_string_lossy()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("use_ipvlan"), "{}", run.stderr);
    let bad = dir.write("ipvlan-l3.conf", &text.replace("private", "l3"));
    let run = keel_with(&["-t", "-f", &bad.to_string_lossy()]);
    assert_eq!(run.code, Some(5), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: (VI_1) IPVLAN interface already specified - ignoring 'l3'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{}:4:35", bad.display())),
        "{}",
        run.stderr
    );
}
