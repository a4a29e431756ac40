//! The lab itself: topology, reachability, loss/partition/link-down helpers, cleanup.

use keel_lab::Lab;

fn pings(lab: &Lab, from: usize, to: &str) -> bool {
    lab.host(from)
        .ns
        .sh(&format!("ping -c 1 -W 1 {to}"))
        .status
        .success()
}

#[test]
fn hosts_on_the_bridge_reach_each_other_until_partitioned_or_unplugged() {
    let mut lab = Lab::new("klab");
    let a = lab.add_host();
    let b = lab.add_host();
    lab.host(a).add_address("10.66.0.1/24");
    lab.host(b).add_address("10.66.0.2/24");
    lab.host(a).add_address("fd66::1/64");
    lab.host(b).add_address("fd66::2/64");
    let names: Vec<String> = vec![
        lab.switch().name().to_string(),
        lab.host(a).ns.name().to_string(),
        lab.host(b).ns.name().to_string(),
    ];

    // Input: a fresh lab.  Output: the bridge has snooping off; A pings B over IPv4 and,
    // at once (nodad), over IPv6.
    let bridge = lab.switch().ip(&["-d", "link", "show", "dev", "br0"]);
    assert!(bridge.contains("mcast_snooping 0"), "{bridge}");
    assert!(pings(&lab, a, "10.66.0.2"));
    assert!(pings(&lab, a, "fd66::2"));

    // Input: host B partitioned at the switch.  Output: A cannot reach B; healing restores.
    lab.partition(b);
    assert!(!pings(&lab, a, "10.66.0.2"));
    lab.heal();
    assert!(pings(&lab, a, "10.66.0.2"));

    // Input: 100% loss of ICMP.  Output: no ping gets through; heal restores.
    lab.set_loss("icmp", 100);
    assert!(!pings(&lab, a, "10.66.0.2"));
    lab.heal();
    assert!(pings(&lab, a, "10.66.0.2"));

    // Input: B's switch port down.  Output: B's e0 loses carrier (NO-CARRIER).
    lab.set_port_up(b, false);
    let link = lab.host(b).ns.ip(&["link", "show", "dev", "e0"]);
    assert!(link.contains("NO-CARRIER"), "{link}");
    lab.set_port_up(b, true);

    // Input: a capture on the bridge while A pings B.  Output: the echo request is in it.
    let mut capture = lab.capture("icmp");
    assert!(pings(&lab, a, "10.66.0.2"));
    let lines = capture.read_text();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("10.66.0.1 > 10.66.0.2") && l.contains("echo request")),
        "{lines:#?}"
    );
    // Output: tshark decodes the same capture in full.
    let decoded = capture.read_tshark();
    assert!(
        decoded.contains("Internet Control Message Protocol"),
        "{decoded}"
    );
    assert!(decoded.contains("Echo (ping) request"), "{decoded}");
    // Output: and as fields: time, source, ICMP type, one row per packet.
    let rows = capture.read_fields(&["frame.time_epoch", "ip.src", "icmp.type"]);
    let request = rows
        .iter()
        .find(|row| row[1] == "10.66.0.1" && row[2] == "8")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert!(request[0].parse::<f64>().unwrap() > 1.0e9);

    // Input: the lab is dropped.  Output: its namespaces are gone.
    drop(lab);
    let listed = String::from_utf8_lossy(
        &std::process::Command::new("ip")
            .args(["netns", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    for name in names {
        assert!(!listed.contains(&name), "{name} left behind");
    }
}

#[test]
fn an_isolated_daemon_sees_only_its_own_processes_and_dies_with_its_guard() {
    let mut lab = Lab::new("klabpid");
    let a = lab.add_host();
    let dir = keel_lab::TempDir::new("klabpid");
    let out = dir.path().join("count");

    // Input: a "daemon" started isolated in host A counts the processes it can see.
    // Output: only its own handful (itself, its shell), not the machine's.
    let guard = lab.host(a).ns.spawn_isolated(
        &[
            "sh",
            "-c",
            &format!(
                "ls /proc | grep -c '^[0-9]' > {}; exec sleep 30",
                out.display()
            ),
        ],
        None,
    );
    let mut count = String::new();
    for _ in 0..200 {
        count = std::fs::read_to_string(&out).unwrap_or_default();
        if !count.trim().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let seen: u32 = count.trim().parse().expect("count written");
    assert!(seen <= 4, "isolated daemon sees {seen} processes");
    assert!(!lab.host(a).ns.pids().is_empty());

    // Input: the guard is dropped.  Output: nothing runs in the namespace any more.
    drop(guard);
    let mut left = lab.host(a).ns.pids();
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        left = lab.host(a).ns.pids();
    }
    assert!(left.is_empty(), "still running: {left:?}");
}
