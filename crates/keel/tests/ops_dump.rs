//! Golden tests of the SIGUSR1 / SIGUSR2 / SIGRTMIN+2 dumps against files keepalived 2.2.7
//! wrote for the same configuration (`tests/data/ops/capture.sh` made them).
//!
//! The engine is driven into the state keepalived reached during the capture (VI_1 MASTER at
//! effective priority 132 with chk_ok GOOD and chk_bad BAD; SG_1 = VI_2 + VI_3 MASTER), then
//! each dump is compared with keepalived's. Only values that depend on the moment are
//! normalised: timestamps, and the counters of adverts sent.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use keel::ops::dump::{self, DumpKind, DumpPaths};
use keel::ops::snapshot::{Observed, ScriptObservation, Snapshot, State};
use keel_conf::Config;
use keel_conf::memfs::{FakeHost, MemoryFs};
use keel_conf::preprocess::PreprocessOptions;
use keel_vrrp::{
    Authentication, InitialState, InstanceConfig, Router, RouterConfig, RouterInput,
    SyncGroupConfig, TrackedObject, TrackerId, TrackerKind, TrackerStatus, Version,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ops")
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(data_dir().join("expected").join(name))
        .expect("captured files are committed with the test")
}

fn load_config() -> Config {
    load("keepalived.conf")
}

fn load(name: &str) -> Config {
    let text = std::fs::read_to_string(data_dir().join(name))
        .expect("the capture config is committed with the test");
    let mut fs = MemoryFs::new().with_file("/etc/keepalived/keepalived.conf", text);
    for script in [
        "/usr/bin/true",
        "/usr/bin/false",
        "/usr/bin/echo",
        "/usr/bin/logger",
    ] {
        fs.add_file(script, "#!/bin/sh\n");
        fs.set_mode(script, 0o755);
        fs.set_owner(script, 0, 0);
    }
    let host = FakeHost::new()
        .with_interface("veth0")
        .with_interface("veth1")
        .with_user("root", 0, 0);
    let loaded = keel_conf::load(
        &fs,
        &host,
        Path::new("/etc/keepalived/keepalived.conf"),
        &PreprocessOptions::default(),
    );
    loaded.config
}

/// The engine configuration the daemon would build for a capture config (kept small:
/// only what the capture configs use). `primary` gives each family's interface address.
fn router_config(config: &Config, primary4: &str, primary6: &str) -> RouterConfig {
    let global = &config.global_defs;
    let instances = config
        .vrrp
        .instances
        .iter()
        .map(|conf| {
            let interface = conf.interface.clone().expect("every instance names veth0");
            let ipv6 = conf
                .virtual_ipaddress
                .first()
                .is_some_and(|vip| vip.address.is_ipv6());
            let primary: IpAddr = conf.unicast_src_ip.unwrap_or_else(|| {
                if ipv6 { primary6 } else { primary4 }
                    .parse()
                    .expect("literal address")
            });
            let mut instance =
                InstanceConfig::new(&conf.name, &interface, conf.virtual_router_id, primary);
            instance.preempt_delay = conf.preempt_delay.as_duration();
            instance.lower_prio_no_advert = global.vrrp_lower_prio_no_advert;
            if global.garp.master_refresh.as_duration() > Duration::ZERO {
                instance.garp.master_refresh = Some(global.garp.master_refresh.as_duration());
            }
            instance.unicast_peers = conf
                .unicast_peer
                .iter()
                .map(|peer| keel_vrrp::UnicastPeer::new(peer.address))
                .collect();
            instance.priority = conf.priority;
            instance.advert_interval = conf.advert_int.as_duration();
            if conf.version == Some(3) {
                instance.version = Version::V3;
            }
            if conf.state == Some(keel_conf::model::vrrp::InitialState::Master) {
                instance.initial_state = InitialState::Master;
            }
            instance.nopreempt = conf.nopreempt;
            if let Some(auth) = &conf.authentication {
                let mut key = [0u8; 8];
                for (slot, byte) in key.iter_mut().zip(auth.auth_pass.bytes()) {
                    *slot = byte;
                }
                instance.authentication = match auth.auth_type {
                    keel_conf::model::vrrp::AuthType::Pass => Authentication::Pass(key),
                    keel_conf::model::vrrp::AuthType::Ah => Authentication::Ah(key),
                };
            }
            instance.virtual_addresses = conf
                .virtual_ipaddress
                .iter()
                .map(|vip| vip.address)
                .collect();
            instance.excluded_addresses = conf
                .virtual_ipaddress_excluded
                .iter()
                .map(|vip| vip.address)
                .collect();
            for script in &conf.tracking.track_script {
                let defined = config
                    .vrrp
                    .scripts
                    .iter()
                    .find(|candidate| candidate.name == script.name)
                    .expect("tracked scripts are defined");
                instance.trackers.push(TrackedObject {
                    id: TrackerId::new(&format!("script:{}", script.name)),
                    kind: TrackerKind::Script {
                        rise: defined.rise,
                        fall: defined.fall,
                        init_fail: defined.init_fail,
                    },
                    weight: script.weight.unwrap_or(defined.weight),
                    reverse: false,
                });
            }
            for interface in &conf.tracking.track_interface {
                instance.trackers.push(TrackedObject::state(
                    &format!("interface:{}", interface.name),
                    interface.weight.unwrap_or(0),
                ));
            }
            for process in &conf.tracking.track_process {
                instance.trackers.push(TrackedObject::state(
                    &format!("process:{}", process.name),
                    process.weight.unwrap_or(0),
                ));
            }
            for file in &conf.tracking.track_file {
                instance.trackers.push(TrackedObject::file(
                    &format!("file:{}", file.name),
                    file.weight.unwrap_or(5),
                ));
            }
            instance
        })
        .collect();
    let sync_groups = config
        .vrrp
        .sync_groups
        .iter()
        .map(|group| {
            let members = group.group.iter().map(String::as_str).collect::<Vec<_>>();
            SyncGroupConfig::new(&group.name, &members)
        })
        .collect();
    RouterConfig {
        instances,
        sync_groups,
    }
}

/// Runs the router until every instance is MASTER, feeding the tracker results keepalived
/// saw during the capture. Returns the instant reached.
fn drive_to_capture_state(router: &mut Router, start: Instant) -> Instant {
    router.handle(start, RouterInput::Start);
    for status in [TrackerStatus::Success, TrackerStatus::Success] {
        router.handle(
            start,
            RouterInput::Tracker {
                id: TrackerId::new("script:chk_ok"),
                status,
            },
        );
    }
    for _ in 0..2 {
        router.handle(
            start,
            RouterInput::Tracker {
                id: TrackerId::new("script:chk_bad"),
                status: TrackerStatus::Failure,
            },
        );
    }
    let mut now = start;
    while router
        .instances()
        .iter()
        .any(|i| i.state() != State::Master)
    {
        let deadline = router
            .poll_timeout()
            .expect("a BACKUP instance has a timer");
        assert!(deadline - start < Duration::from_secs(30), "no convergence");
        now = deadline;
        router.handle_timeout(now);
        while router.poll_action().is_some() {}
    }
    now
}

fn snapshot() -> Snapshot {
    let config = load_config();
    let start = Instant::now();
    let mut router = Router::new(router_config(&config, "10.99.0.1", "fe80::1"), start)
        .expect("valid engine config");
    let now = drive_to_capture_state(&mut router, start);
    let mut observed = Observed::new(UNIX_EPOCH + Duration::from_secs(1_795_688_611), "lab1");
    observed.scripts = BTreeMap::from([
        (
            "chk_ok".to_string(),
            ScriptObservation {
                result: 4,
                good: true,
                running: false,
            },
        ),
        (
            "chk_bad".to_string(),
            ScriptObservation {
                result: 0,
                good: false,
                running: false,
            },
        ),
    ]);
    for name in ["VI_1", "VI_2", "VI_3"] {
        observed.sockets.insert(name.to_string(), (14, 15));
    }
    Snapshot::from_router(&router, &config, &observed, now)
}

/// Sections of a `.data` dump by title, each a list of lines.
fn sections(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::<String, Vec<String>>::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(title) = line
            .strip_prefix("------< ")
            .and_then(|rest| rest.strip_suffix(" >------"))
        {
            current = title.to_string();
            out.entry(current.clone()).or_default();
        } else {
            out.entry(current.clone())
                .or_default()
                .push(normalise(line));
        }
    }
    out
}

/// Replaces values that depend on the moment of the dump.
fn normalise(line: &str) -> String {
    for key in ["   Last transition = ", "   Read timeout = "] {
        if line.starts_with(key) {
            return format!("{key}<time>");
        }
    }
    line.to_string()
}

// Input: the capture config, the engine in the captured state. Output: VRRP Topology,
// Sync groups, Scripts and Track files sections identical to keepalived 2.2.7's.
#[test]
fn data_dump_matches_keepalived() {
    let ours = sections(&dump::data_text(&snapshot()));
    let theirs = sections(&expected("keepalived.data"));
    for title in [
        "VRRP Topology",
        "VRRP Sync groups",
        "VRRP Scripts",
        "VRRP Track files",
    ] {
        assert!(theirs.contains_key(title), "capture lacks {title}");
        assert_eq!(
            ours.get(title),
            theirs.get(title),
            "section {title} differs"
        );
    }
    // keel writes neither keepalived's socket pool nor its interface table.
    assert!(!ours.contains_key("VRRP Sockpool"));
    assert!(!ours.contains_key("Interfaces"));
}

// Input: each capture's state. Output: every Global definitions line keel writes appears
// in keepalived's section, in the same order (keepalived adds build- and kernel-specific
// lines keel has no equivalent for: nftables, libnftnl, scheduling, netlink buffers).
#[test]
fn data_dump_global_lines_follow_keepalived() {
    for (snapshot, capture) in [
        (snapshot(), "keepalived.data"),
        (backup_snapshot(), "backup/keepalived.data"),
        (vmac_snapshot(), "vmac/keepalived.data"),
    ] {
        let ours = sections(&dump::data_text(&snapshot));
        let theirs = sections(&expected(capture));
        let ours = &ours["Global definitions"];
        let theirs = &theirs["Global definitions"];
        let mut remaining = theirs.iter();
        for line in ours {
            assert!(
                remaining.any(|candidate| candidate == line),
                "{capture}: {line:?} is not in keepalived's Global definitions (or out of order)"
            );
        }
        assert!(ours.len() >= 40, "only {} global lines", ours.len());
    }
}

// Input: the same state. Output: keepalived.stats byte for byte, once the counts of adverts
// sent (which depend on how long each daemon ran) are copied from the capture.
#[test]
fn stats_dump_matches_keepalived() {
    let mut snapshot = snapshot();
    let theirs = expected("keepalived.stats");
    let sent = theirs
        .lines()
        .filter_map(|line| line.strip_prefix("    Sent: "))
        .step_by(2)
        .map(|count| count.parse::<u64>().expect("a count"))
        .collect::<Vec<_>>();
    assert_eq!(sent.len(), snapshot.instances.len());
    for (instance, sent) in snapshot.instances.iter_mut().zip(sent) {
        assert!(
            instance.stats.advert_sent > 0,
            "{} sent nothing",
            instance.name
        );
        instance.stats.advert_sent = sent;
    }
    assert_eq!(dump::stats_text(&snapshot), theirs);
}

// Input: the same state. Output: keepalived.json with the same fields in the same order and
// the same values, except last_transition (a time) and advert_sent (a count over time).
#[test]
fn json_dump_matches_keepalived() {
    let ours: serde_json::Value =
        serde_json::from_str(&dump::json_text(&snapshot(), 1)).expect("keel writes valid JSON");
    let theirs: serde_json::Value =
        serde_json::from_str(&expected("keepalived.json")).expect("keepalived wrote JSON");
    let ours = ours.as_array().expect("version 1 is an array");
    let theirs = theirs.as_array().expect("version 1 is an array");
    assert_eq!(ours.len(), theirs.len());
    for (ours, theirs) in ours.iter().zip(theirs) {
        for part in ["data", "stats"] {
            let keys = |value: &serde_json::Value| {
                value[part]
                    .as_object()
                    .expect("an object")
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
            };
            // serde_json's map is sorted, so compare the raw order separately below.
            assert_eq!(keys(ours), keys(theirs), "{part} keys differ");
            for key in keys(theirs) {
                if key == "last_transition" || key == "advert_sent" {
                    continue;
                }
                assert_eq!(ours[part][&key], theirs[part][&key], "{part}.{key} differs");
            }
        }
    }
}

// Input: the same state. Output: the fields appear in keepalived's order, and the text uses
// keepalived's escaping of `/`.
#[test]
fn json_dump_field_order_and_escaping_match() {
    let ours = dump::json_text(&snapshot(), 1);
    let theirs = expected("keepalived.json");
    let key_order = |text: &str| {
        text.split("\":")
            .filter_map(|chunk| chunk.rsplit('"').next())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(key_order(&ours), key_order(&theirs));
    assert!(ours.contains("\"script_master\":\"'\\/usr\\/bin\\/echo' 'master'\""));
}

// Input: json_version 2. Output: an object with the instances under "vrrp" and the tracked
// processes (none here) under "track_process".
#[test]
fn json_version_2_wraps_instances() {
    let snapshot = snapshot();
    let version2: serde_json::Value =
        serde_json::from_str(&dump::json_text(&snapshot, 2)).expect("valid JSON");
    let version1: serde_json::Value =
        serde_json::from_str(&dump::json_text(&snapshot, 1)).expect("valid JSON");
    assert_eq!(version2["vrrp"], version1);
    assert_eq!(version2["track_process"], serde_json::json!([]));
}

// Input: a dump to a fresh directory. Output: files of mode 0600, the JSON renamed into place
// with no temporary left behind, and a second dump replacing the first.
#[test]
fn dumps_are_private_files() {
    use std::os::unix::fs::PermissionsExt;
    // Removed even when an assertion fails.
    let scratch = keel_lab::TempDir::new("keel-ops-dump");
    let dir = scratch.path().to_path_buf();
    let paths = DumpPaths::resolve(&[], Some(dir.as_os_str()), None, None);
    let snapshot = snapshot();
    for kind in [DumpKind::Data, DumpKind::Stats, DumpKind::Json] {
        dump::write_dump(kind, &snapshot, &paths, 1).expect("dump written");
        dump::write_dump(kind, &snapshot, &paths, 1).expect("dump rewritten");
        let mode = std::fs::metadata(paths.path(kind))
            .expect("dump exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{kind:?}");
    }
    let names = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        names,
        ["keepalived.data", "keepalived.json", "keepalived.stats"]
            .map(String::from)
            .into()
    );
    let json = std::fs::read_to_string(&paths.json).expect("readable");
    assert!(json.starts_with("[{\"data\":{\"iname\":\"VI_1\""));
}

/// The BACKUP of the second capture: VB_1 held in FAULT by its tracked process (no `sleep`
/// seen, quorum 1, weight 0), VB_2 a VRRPv3/IPv6 BACKUP of a priority-200 master.
fn backup_snapshot() -> Snapshot {
    let config = load("backup.conf");
    let start = Instant::now();
    let mut router = Router::new(
        router_config(&config, "10.98.0.2", "fe80::5c06:9aff:fe7f:77cb"),
        start,
    )
    .expect("valid engine config");
    router.handle(start, RouterInput::Start);
    router.handle(
        start,
        RouterInput::Tracker {
            id: TrackerId::new("process:trk_sleep"),
            status: TrackerStatus::Down,
        },
    );
    let master: IpAddr = "fe80::1026:3bff:fefd:297a".parse().expect("literal");
    let advert = keel_vrrp::ReceivedAdvert {
        version: Version::V3,
        packet_type: 1,
        vrid: 62,
        priority: 200,
        max_advert_interval: Duration::from_millis(500),
        addresses: vec!["2001:db8::100".parse().expect("literal")],
        auth: keel_vrrp::ReceivedAuth::NONE,
        source: master,
        destination: "ff02::12".parse().expect("literal"),
        ttl_or_hop_limit: 255,
        checksum: keel_vrrp::ChecksumStatus::Valid,
    };
    let mut now = start;
    for _ in 0..12 {
        now += Duration::from_millis(500);
        if router
            .poll_timeout()
            .is_some_and(|deadline| deadline <= now)
        {
            router.handle_timeout(now);
        }
        router.handle_advert(now, "veth1", &advert);
        while router.poll_action().is_some() {}
    }
    let states = router
        .instances()
        .iter()
        .map(|instance| instance.state())
        .collect::<Vec<_>>();
    assert_eq!(states, [State::Fault, State::Backup]);
    let mut observed = Observed::new(UNIX_EPOCH + Duration::from_secs(1_795_689_931), "lab2");
    observed.sockets.insert("VB_1".into(), (14, 15));
    observed.sockets.insert("VB_2".into(), (16, 17));
    observed.interface_indexes.insert("veth1".into(), 2);
    observed.process_counts.insert("trk_sleep".into(), 0);
    Snapshot::from_router(&router, &config, &observed, now)
}

// Input: the second capture's BACKUP (unicast + AH in FAULT by a tracked process, v3 IPv6
// BACKUP, virtual routes and rules). Output: VRRP Topology and Track processes identical to
// keepalived 2.2.7's (timestamps aside).
#[test]
fn backup_data_dump_matches_keepalived() {
    let ours = sections(&dump::data_text(&backup_snapshot()));
    let theirs = sections(&expected("backup/keepalived.data"));
    for title in ["VRRP Topology", "VRRP Track processes"] {
        assert!(theirs.contains_key(title), "capture lacks {title}");
        assert_eq!(
            ours.get(title),
            theirs.get(title),
            "section {title} differs"
        );
    }
}

// Input: the same BACKUP. Output: keepalived.json equal field by field and in order, except
// times and counters of adverts.
#[test]
fn backup_json_dump_matches_keepalived() {
    let ours = dump::json_text(&backup_snapshot(), 1);
    let theirs = expected("backup/keepalived.json");
    let parse = |text: &str| -> serde_json::Value { serde_json::from_str(text).expect("JSON") };
    let (ours_value, theirs_value) = (parse(&ours), parse(&theirs));
    for (ours, theirs) in ours_value
        .as_array()
        .expect("array")
        .iter()
        .zip(theirs_value.as_array().expect("array"))
    {
        for (key, value) in theirs["data"].as_object().expect("object") {
            if key != "last_transition" {
                assert_eq!(&ours["data"][key], value, "data.{key} differs");
            }
        }
        assert_eq!(
            ours["data"].as_object().map(|data| data.len()),
            theirs["data"].as_object().map(|data| data.len())
        );
    }
    let key_order = |text: &str| {
        text.split("\":")
            .filter_map(|chunk| chunk.rsplit('"').next())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(key_order(&ours), key_order(&theirs));
}

/// The third capture: one VMAC instance with `vmac_xmit_base`, MASTER.
fn vmac_snapshot() -> Snapshot {
    let config = load("vmac.conf");
    let start = Instant::now();
    let mut router = Router::new(router_config(&config, "10.99.0.1", "fe80::1"), start)
        .expect("valid engine config");
    let now = drive_to_capture_state(&mut router, start);
    let mut observed = Observed::new(UNIX_EPOCH + Duration::from_secs(1_795_690_150), "lab3");
    observed.sockets.insert("VM_1".into(), (14, 15));
    Snapshot::from_router(&router, &config, &observed, now)
}

// Input: a VMAC instance (third capture). Output: the VMAC and interface lines, the
// `vrrp.71@veth0` VIP device, and the JSON interface names as keepalived 2.2.7 writes them.
#[test]
fn vmac_dumps_match_keepalived() {
    let snapshot = vmac_snapshot();
    let ours = sections(&dump::data_text(&snapshot));
    let theirs = sections(&expected("vmac/keepalived.data"));
    assert!(theirs.contains_key("VRRP Topology"));
    assert_eq!(ours.get("VRRP Topology"), theirs.get("VRRP Topology"));
    let ours: serde_json::Value =
        serde_json::from_str(&dump::json_text(&snapshot, 1)).expect("JSON");
    let theirs: serde_json::Value =
        serde_json::from_str(&expected("vmac/keepalived.json")).expect("JSON");
    for key in ["vmac_ifname", "ifp_ifname", "vips"] {
        assert_eq!(ours[0]["data"][key], theirs[0]["data"][key], "{key}");
    }
}
