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

// Input: 100 real servers with the same TCP_CHECK, then one whose TCP_CHECK has a
// connect_port of its own, then 100 more like the first.
// Output: each checker's probe is what its block says, and equal probes are one shared
// copy, not one per real server (memory at thousands of servers, issue 5): the 201
// checkers hold three probe allocations (the plain one is shared again after the odd one).
#[test]
fn equal_checkers_share_one_probe() {
    let mut vs = virtual_server("192.168.201.1", 80, 1);
    for r in 0..201u32 {
        let mut rs = tcp_server(&format!("10.0.{}.{}", r / 100, r % 100 + 1));
        if r == 100 {
            rs.checkers[0].probe.connect.connect_port = Some(8080);
        }
        vs.real_servers.push(rs);
    }
    let lab = Lab::new(config(vec![vs]));
    let probes: Vec<_> = lab
        .checks
        .checker_ids()
        .filter_map(|id| lab.checks.checker(id))
        .map(|status| (status.path.real_server, status.probe))
        .collect();
    assert_eq!(probes.len(), 201);
    let mut distinct: Vec<*const keel_check::ProbeSpec> = probes
        .iter()
        .map(|(_, probe)| std::sync::Arc::as_ptr(probe))
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3);
    for (rs, probe) in &probes {
        let port = if *rs == 100 { Some(8080) } else { None };
        assert_eq!(probe.connect.connect_port, port, "real server {rs}");
        assert_eq!(probe.kind, keel_check::ProbeKind::Tcp);
    }
}
