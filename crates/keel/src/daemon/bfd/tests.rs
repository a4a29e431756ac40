use std::path::Path;

use keel_conf::memfs::{FakeHost, MemoryFs};
use keel_conf::preprocess::PreprocessOptions;

use super::*;

fn setups_of(text: &str) -> Vec<Setup> {
    let fs = MemoryFs::new().with_file("/etc/keepalived/keepalived.conf", text);
    let loaded = keel_conf::load(
        &fs,
        &FakeHost::new(),
        Path::new("/etc/keepalived/keepalived.conf"),
        &PreprocessOptions::default(),
    );
    setups(&loaded.config)
}

// Input: an IPv4 bfd_instance with defaults, an IPv6 multihop one with max_hops 2 and
// `checker`, and an IPv4 multihop one without max_hops.
// Output: keepalived's defaults (spec §2.4): min_rx/min_tx 10 ms, idle_tx 1 s,
// multiplier 5, TTL 255 (IPv4) / hop limit 64 (IPv6); single hop accepts only TTL 255
// (RFC 5881 §5); max_hops 2 accepts 62 and up; multihop without max_hops checks nothing.
// Events go to both sides unless `vrrp` or `checker` names one.
#[test]
fn bfd_instances_map_with_keepalived_defaults() {
    let setups = setups_of(
        "bfd_instance a {\n neighbor_ip 10.0.0.2\n}\n\
         bfd_instance b {\n neighbor_ip fd00::2\n source_ip fd00::1\n multihop\n max_hops 2\n \
         min_rx 50\n min_tx 40\n idle_tx 500\n multiplier 3\n passive\n checker\n}\n\
         bfd_instance c {\n neighbor_ip 10.0.0.3\n multihop\n}\n",
    );
    assert_eq!(setups.len(), 3);
    let a = &setups[0];
    assert_eq!(a.session, SessionConfig::default());
    assert_eq!((a.ttl, a.min_received_ttl, a.multihop), (255, 255, false));
    assert!(a.to_vrrp && a.to_checker);
    let b = &setups[1];
    assert_eq!((b.ttl, b.min_received_ttl, b.multihop), (64, 62, true));
    assert_eq!(b.source, Some("fd00::1".parse().expect("literal")));
    assert_eq!(
        b.session,
        SessionConfig {
            desired_min_tx: Duration::from_millis(40),
            required_min_rx: Duration::from_millis(50),
            idle_tx: Duration::from_millis(500),
            detect_mult: 3,
            passive: true,
        }
    );
    assert!(!b.to_vrrp && b.to_checker);
    assert_eq!(setups[2].min_received_ttl, 0);
}

// Input: two sessions, one Up and one never heard from, printed for SIGUSR1.
// Output: keepalived's `BFD Topology` lines, in its order and units.
#[test]
fn topology_dump_reads_like_keepalived() {
    let setups = setups_of(
        "bfd_instance peer {\n neighbor_ip 10.99.0.2\n source_ip 10.99.0.1\n min_rx 100\n \
         min_tx 100\n multiplier 3\n}\n",
    );
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let session = Session::new(setups[0].session, 0x2645_ef4a, 1, now).expect("valid");
    let text = dump::topology(&[dump::Entry {
        setup: &setups[0],
        session: &session,
        last_seen: None,
    }]);
    let expected_start = "------< BFD Topology >------\n BFD Instance = peer\n   Neighbor IP = 10.99.0.2\n   Source IP = 10.99.0.1\n   Required min RX interval = 100000 us\n   Desired min TX interval = 100000 us\n   Desired idle TX interval = 1000000 us\n   Detection multiplier = 3\n   TTL = 255\n   max_hops = 0\n   passive = false\n   send event to VRRP process = Yes\n   send event to checker process = Yes\n   local state = Down\n   remote state = Down\n   local discriminator = 0x2645ef4a\n   remote discriminator = 0x0\n   local diag = No Diagnostic\n";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(text.contains("   local tx intv = 1000000 us\n"), "{text}");
}
