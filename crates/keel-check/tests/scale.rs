//! The benchmark's shape (issue 5): 20 virtual servers × 100 real servers, TCP_CHECK at
//! delay_loop 1 s, over virtual time.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;

// Input: 2,000 checkers, delay_loop 1 s, warmup 1 s, all servers healthy, 30 s of virtual
// time; 10.0.7.7 (in every virtual server) stops at 10 s.
// Output: every checker runs every second with no drift: 29 or 30 probes each (the warmup
// decides which), so each address, probed by 20 checkers, sees 580–600; the stopped server's
// 20 checkers each go down (retry 1), leaving exactly 2,000 − 20 destinations programmed.
#[test]
fn two_thousand_checkers_keep_their_cadence() {
    let mut virtual_servers = Vec::new();
    for v in 0..20u8 {
        let mut vs = virtual_server(&format!("192.168.201.{}", v + 1), 80, 1);
        vs.timing.warmup = Some(Duration::from_secs(1));
        for r in 0..100u8 {
            vs.real_servers
                .push(tcp_server(&format!("10.0.{}.{}", r / 10, r % 10 + 1)));
        }
        virtual_servers.push(vs);
    }
    let mut lab = Lab::new(config(virtual_servers));
    lab.run_until(secs(10.0));
    lab.set("10.0.7.7:80", Health::Down);
    lab.run_until(secs(30.0));

    let mut per_destination: BTreeMap<String, usize> = BTreeMap::new();
    for (_, destination) in &lab.probes {
        *per_destination.entry(destination.to_string()).or_default() += 1;
    }
    assert_eq!(per_destination.len(), 100);
    for (destination, count) in &per_destination {
        // 20 virtual servers probe each address.
        assert!((580..=600).contains(count), "{destination}: {count}");
    }
    assert_eq!(lab.applied.destination_count(), 1980);
    let downs = lab
        .rs_fifo()
        .iter()
        .filter(|(_, l)| l.ends_with("DOWN"))
        .count();
    assert_eq!(downs, 20);
}
