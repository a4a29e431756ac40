//! Bad input never panics: the fuzz target's body over generated inputs, and the
//! 60,000-line configuration in a few milliseconds.

use std::path::Path;

use proptest::prelude::*;

use crate::memfs::{FakeHost, MemoryFs};
use crate::preprocess::PreprocessOptions;

/// What `fuzz/fuzz_targets/conf_parse.rs` does with one input.
fn front_end(text: &str) -> crate::Loaded {
    let fs = MemoryFs::new()
        .with_file("/etc/keepalived/keepalived.conf", text)
        .with_file("/etc/keepalived/notify.sh", "#!/bin/sh\n");
    let host = FakeHost::new()
        .with_interface("eth0")
        .with_user("root", 0, 0)
        .with_group("root", 0)
        .with_path_dir("/usr/bin");
    let options = PreprocessOptions {
        config_id: "fuzz".into(),
        ..PreprocessOptions::default()
    };
    let loaded = crate::load(
        &fs,
        &host,
        Path::new("/etc/keepalived/keepalived.conf"),
        &options,
    );
    for diagnostic in &loaded.diagnostics {
        let _ = diagnostic.render(&loaded.sources);
    }
    let _ = crate::print::print(&loaded.config);
    loaded
}

/// Words that reach deep into the keyword tables.
const WORDS: &[&str] = &[
    "vrrp_instance",
    "VI_1",
    "global_defs",
    "vrrp_script",
    "vrrp_sync_group",
    "group",
    "{",
    "}",
    "state",
    "MASTER",
    "BACKUP",
    "interface",
    "eth0",
    "virtual_router_id",
    "51",
    "priority",
    "255",
    "0",
    "-3",
    "advert_int",
    "0.5",
    "1e9",
    "authentication",
    "auth_type",
    "AH",
    "PASS",
    "auth_pass",
    "virtual_ipaddress",
    "10.0.0.1/24",
    "fe80::1",
    "dev",
    "brd",
    "scope",
    "virtual_routes",
    "virtual_rules",
    "from",
    "to",
    "table",
    "via",
    "inet6",
    "lock",
    "mtu",
    "track_script",
    "weight",
    "reverse",
    "track_interface",
    "unicast_peer",
    "min_ttl",
    "unicast_src_ip",
    "notify_master",
    "\"/etc/keepalived/notify.sh 'a b' \\x41\"",
    "\"'open\"",
    "script",
    "\"\"",
    "nopreempt",
    "preempt_delay",
    "use_vmac",
    "vrrp_strict",
    "script_user",
    "enable_script_security",
    "static_routes",
    "track_file",
    "vrrp_track_process",
    "process",
    "bfd_instance",
    "neighbor_ip",
    "garp_group",
    "interfaces",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "virtual_server",
    "real_server",
    "net_namespace",
    "@high",
    "$X=1",
    "$X",
    "!",
    "#",
    "\n",
    "\n",
    "\n",
    "version",
    "3",
    "lvs_sync_daemon",
    "id",
    "lvs_timeouts",
    "tcp",
    "umask",
    "0777",
    "dynamic_interfaces",
    "notify_deleted",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn keyword_soup_never_panics(words in prop::collection::vec(prop::sample::select(WORDS), 0..200)) {
        // Input: any sequence of keepalived words, braces and newlines.
        // Output: a configuration and diagnostics (no panic).
        let text = words.join(" ");
        let _ = front_end(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = front_end(&text);
    }
}

#[test]
fn every_prefix_of_the_seed_config_is_handled() {
    // Input: the seed master.conf cut after every character.
    // Output: no panic; the complete file loads with the seed values.
    let seed = crate::parse::tests::SEED_MASTER;
    for end in (0..=seed.len()).filter(|&i| seed.is_char_boundary(i)) {
        let _ = front_end(&seed[..end]);
    }
    let loaded = front_end(seed);
    assert_eq!(loaded.config.vrrp.instances[0].virtual_router_id, 51);
}

#[test]
#[allow(clippy::disallowed_methods)] // measuring the parser needs a clock; tests may read it
fn sixty_thousand_lines_parse_in_milliseconds() {
    // Input: 100 virtual servers × 100 real servers with a TCP_CHECK each (60,000+ lines),
    // plus 100 VRRP instances.
    // Output: the whole front end finishes quickly (a few ms in release; the bound here is
    // loose for debug builds on a loaded machine).
    let mut text = String::from("global_defs {\n router_id big\n}\n");
    for i in 0..100 {
        text.push_str(&format!(
            "vrrp_instance VI_{i} {{\n state BACKUP\n interface eth0\n virtual_router_id {}\n priority 100\n virtual_ipaddress {{\n  10.1.{i}.1/24\n }}\n}}\n",
            i + 1
        ));
    }
    for vs in 0..100 {
        text.push_str(&format!("virtual_server 10.0.{vs}.1 80 {{\n delay_loop 6\n lb_algo rr\n lb_kind NAT\n protocol TCP\n"));
        for rs in 0..100 {
            text.push_str(&format!(" real_server 10.2.{vs}.{rs} 80 {{\n  weight 1\n  TCP_CHECK {{\n   connect_timeout 3\n  }}\n }}\n"));
        }
        text.push_str("}\n");
    }
    assert!(text.lines().count() > 60_000);
    // The machine is shared; the fastest of five runs is the parser's own cost.
    let mut fastest = std::time::Duration::MAX;
    let mut loaded = None;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        loaded = Some(front_end(&text));
        fastest = fastest.min(start.elapsed());
    }
    let loaded = loaded.expect("five runs");
    let elapsed = fastest;
    eprintln!("60k-line configuration: {elapsed:?}");
    assert_eq!(loaded.config.vrrp.instances.len(), 100);
    assert!(elapsed.as_secs_f64() < 2.0, "took {elapsed:?}");
}
