//! The seed configurations and the classic mistakes, judged against keepalived 2.2.7
//! run in the same network namespace (it is installed here and in CI).
//!
//! Needs root (network namespaces).

mod support;

use std::path::Path;
use std::time::Duration;

use keel_lab::Netns;
use keel_lab::TempDir;
use support::{Run, keel, run_with_timeout};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The seed's master.conf: a MASTER that keeps a VIP while nginx runs.
const MASTER: &str = include_str!("../../../testdata/seed/master.conf");

/// The seed's backup.conf: state BACKUP, priority 99, weight -1.
const BACKUP: &str = include_str!("../../../testdata/seed/backup.conf");

/// A valid configuration without scripts, the base of the mistakes below.
const BASE: &str = "global_defs {
    router_id LVS_DEVEL
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.168.1.199
    }
}
";

fn keel_test(netns: &Netns, file: &Path) -> Run {
    let mut command = netns.command(&keel().to_string_lossy());
    command.arg("-t").arg("-f").arg(file);
    run_with_timeout(command, TIMEOUT)
}

fn keepalived_test(netns: &Netns, file: &Path) -> Run {
    let mut command = netns.command("keepalived");
    command.arg("-t").arg("-f").arg(file);
    run_with_timeout(command, TIMEOUT)
}

#[test]
fn seeds_give_keepalived_exit_code_six() {
    // Input: master.conf and backup.conf, with eth0 present and no keepalived_script user.
    // Output: keepalived 2.2.7 exits 6 (scripts would run as root without
    // enable_script_security); keel gives the same code.
    let netns = support::netns_with_interfaces("keel-seed", &["eth0"]);
    let dir = TempDir::new("keel-seed");
    for (name, text) in [("master.conf", MASTER), ("backup.conf", BACKUP)] {
        let file = dir.write(name, text);
        let judge = keepalived_test(&netns, &file);
        let keel = keel_test(&netns, &file);
        assert_eq!(
            judge.code,
            Some(6),
            "keepalived on {name}: {}",
            judge.stderr
        );
        assert_eq!(keel.code, judge.code, "keel on {name}:\n{}", keel.stderr);
        assert!(
            keel.stderr.contains("script"),
            "keel explains the verdict on {name}:\n{}",
            keel.stderr
        );
    }
}

/// One classic mistake: the text, and where keel must point (line, column).
struct Mistake {
    name: &'static str,
    text: String,
    line: u32,
    col: Option<u32>,
}

fn mistakes() -> Vec<Mistake> {
    vec![
        Mistake {
            name: "misspelt.conf",
            text: BASE.replace("priority 100", "prority 100"),
            line: 8,
            col: Some(5),
        },
        Mistake {
            name: "priority.conf",
            text: BASE.replace("priority 100", "priority 300"),
            line: 8,
            col: Some(14),
        },
        Mistake {
            name: "address.conf",
            text: BASE.replace("192.168.1.199", "192.168.1.300"),
            line: 11,
            col: Some(9),
        },
        Mistake {
            // The `}}` closes vrrp_instance early: the last `}` is one too many.
            name: "extra_brace.conf",
            text: BASE.replace("    }\n}", "    }}\n}"),
            line: 13,
            col: Some(1),
        },
        Mistake {
            // vrrp_instance is never closed: keel points at the block it cannot close.
            name: "missing_brace.conf",
            text: BASE.trim_end().trim_end_matches('}').to_string(),
            line: 4,
            col: None,
        },
    ]
}

#[test]
fn classic_mistakes_are_located_and_judged_like_keepalived() {
    // Input: a valid config, then the same config with one classic mistake each.
    // Output: the valid one passes in both; each mistake makes keel name file:line:col and
    // exit with the code keepalived 2.2.7 gives for the same file.
    let netns = support::netns_with_interfaces("keel-mistake", &["eth0"]);
    let dir = TempDir::new("keel-mistake");
    let base = dir.write("base.conf", BASE);
    let judge = keepalived_test(&netns, &base);
    let keel = keel_test(&netns, &base);
    assert_eq!(
        judge.code,
        Some(0),
        "keepalived on base.conf: {}",
        judge.stderr
    );
    assert_eq!(keel.code, Some(0), "keel on base.conf:\n{}", keel.stderr);

    for mistake in mistakes() {
        let file = dir.write(mistake.name, &mistake.text);
        let judge = keepalived_test(&netns, &file);
        let keel = keel_test(&netns, &file);
        assert_ne!(judge.code, Some(0), "keepalived accepts {}", mistake.name);
        assert_eq!(
            keel.code, judge.code,
            "{}: keel and keepalived disagree\nkeel:\n{}\nkeepalived:\n{}",
            mistake.name, keel.stderr, judge.stderr
        );
        let location = match mistake.col {
            Some(col) => format!("{}:{}:{col}", file.display(), mistake.line),
            None => format!("{}:{}:", file.display(), mistake.line),
        };
        assert!(
            keel.stderr.contains(&location),
            "{}: keel does not point at {location}:\n{}",
            mistake.name,
            keel.stderr
        );
    }
}

#[test]
fn dump_conf_json_shows_the_seed_as_written() {
    // Input: `keel --dump-conf=json -f master.conf` and backup.conf, eth0 present.
    // Output: the resolved configuration on stdout: router_id, the script `pidof nginx`
    // (interval 1, weight -3 / -1, fall 2, rise 1), the instance (state, interface, vrid 51,
    // priority 100 / 99, advert_int 1, PASS 1111, VIP 192.168.1.199, track_script
    // chk_nginx, three notify scripts); the exit code is the -t verdict (6).
    let netns = support::netns_with_interfaces("keel-json", &["eth0"]);
    let dir = TempDir::new("keel-json");
    for (name, text, state, priority, weight) in [
        ("master.conf", MASTER, "MASTER", 100, -3),
        ("backup.conf", BACKUP, "BACKUP", 99, -1),
    ] {
        let file = dir.write(name, text);
        let mut command = netns.command(&keel().to_string_lossy());
        command.arg("--dump-conf=json").arg("-f").arg(&file);
        let run = run_with_timeout(command, TIMEOUT);
        assert_eq!(run.code, Some(6), "{name}: {}", run.stderr);
        let config: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|error| {
            panic!("{name}: stdout is not JSON ({error}):\n{}", run.stdout)
        });

        assert_eq!(config["global_defs"]["router_id"], "LVS_DEVEL", "{name}");
        let script = &config["vrrp"]["scripts"][0];
        assert_eq!(script["name"], "chk_nginx", "{name}");
        assert_eq!(
            script["script"]["command"],
            serde_json::json!(["pidof", "nginx"]),
            "{name}"
        );
        assert_eq!(script["interval"], 1.0, "{name}");
        assert_eq!(script["weight"], weight, "{name}");
        assert_eq!(script["fall"], 2, "{name}");
        assert_eq!(script["rise"], 1, "{name}");

        let instance = &config["vrrp"]["instances"][0];
        assert_eq!(instance["name"], "VI_1", "{name}");
        assert_eq!(instance["state"], state, "{name}");
        assert_eq!(instance["interface"], "eth0", "{name}");
        assert_eq!(instance["virtual_router_id"], 51, "{name}");
        assert_eq!(instance["priority"], priority, "{name}");
        assert_eq!(instance["advert_int"], 1.0, "{name}");
        assert_eq!(instance["authentication"]["auth_type"], "PASS", "{name}");
        assert_eq!(instance["authentication"]["auth_pass"], "1111", "{name}");
        assert_eq!(
            instance["virtual_ipaddress"][0]["address"], "192.168.1.199",
            "{name}"
        );
        assert_eq!(
            instance["tracking"]["track_script"][0]["name"], "chk_nginx",
            "{name}"
        );
        for (keyword, argument) in [
            ("notify_master", "master"),
            ("notify_backup", "backup"),
            ("notify_fault", "fault"),
        ] {
            assert_eq!(
                instance["notify"][keyword]["command"],
                serde_json::json!(["/etc/keepalived/notify.sh", argument]),
                "{name}: {keyword}"
            );
        }
    }
}
