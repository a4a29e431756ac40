//! Pool membership and weights: inhibit_on_failure, misc_dynamic, several checkers, none.

mod common;

use common::*;
use keel_check::*;
use keel_lb::{DestKey, Destination, Op};

const VIP: &str = "192.168.201.15";

fn dest(address: &str) -> DestKey {
    DestKey::new(address.parse().unwrap(), 80)
}

// Input: inhibit_on_failure, weight 3, retry 0; the server dies at 1 s and returns at 16 s.
// Output: it stays in the table at weight 0 while down (one EditDest to 0 at the 5 s probe),
// and one EditDest back to 3 on the first success (20 s); it is never deleted.
#[test]
fn inhibit_on_failure_sets_weight_zero_instead_of_removing() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.inhibit_on_failure = true;
    vs.timing.retry = Some(0);
    let mut rs = tcp_server("10.0.0.1");
    rs.weight = 3;
    vs.real_servers.push(rs);
    vs.real_servers.push(tcp_server("10.0.0.2"));
    let mut lab = Lab::new(config(vec![vs]));
    lab.run_until(secs(1.0));
    lab.clear_log();
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(16.0));
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(0));
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(21.0));

    assert_eq!(
        lab.ops,
        vec![
            (
                secs(5.0),
                Op::EditDest {
                    service: service(VIP, 80),
                    dest: dest("10.0.0.1"),
                    destination: Destination::nat(0)
                }
            ),
            (
                secs(20.0),
                Op::EditDest {
                    service: service(VIP, 80),
                    dest: dest("10.0.0.1"),
                    destination: Destination::nat(3)
                }
            ),
        ]
    );
}

// Input: inhibit_on_failure with alpha: the server has not been checked yet.
// Output: it is in the table at weight 0 from the start (keepalived init_service_rs).
#[test]
fn inhibited_alpha_server_starts_at_weight_zero() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.inhibit_on_failure = true;
    vs.alpha = true;
    vs.timing.warmup = Some(std::time::Duration::from_secs(2));
    vs.real_servers.push(tcp_server("10.0.0.1"));
    let lab = Lab::new(config(vec![vs]));
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(0));
}

// Input: MISC_CHECK with misc_dynamic; the script exits 7, then 2, then 0.
// Output: weight 5 (7 − 2), then 0 (still up: in the table at weight 0), then the configured
// weight 1 again — each one EditDest.
#[test]
fn misc_dynamic_sets_the_weight_from_the_exit_status() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.real_servers.push(real_server(
        "10.0.0.1",
        ProbeKind::Misc(MiscProbe {
            command: "/usr/local/bin/load".into(),
            dynamic: true,
            ..MiscProbe::default()
        }),
    ));
    let mut lab = Lab::new(config(vec![vs]));
    lab.run_until(secs(1.0));
    lab.clear_log();
    lab.set("10.0.0.1:80", Health::Weight(5));
    lab.run_until(secs(6.0));
    lab.set("10.0.0.1:80", Health::Weight(0));
    lab.run_until(secs(11.0));
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(16.0));

    let weights: Vec<(f64, u32)> = lab
        .ops
        .iter()
        .map(|(t, op)| match op {
            Op::EditDest { destination, .. } => (t.as_secs_f64(), destination.weight),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(weights, vec![(5.0, 5), (10.0, 0), (15.0, 1)]);
    assert!(
        lab.rs_fifo().is_empty(),
        "a weight change is not a state change"
    );
}

// Input: misc_dynamic weights move the quorum: quorum 4, weights 1 + dynamic.
// Output: exit status 5 (weight 3) makes 1 + 3 = 4 ≥ 4 — still up; exit 3 (weight 1) makes
// 2 < 4 — quorum lost.
#[test]
fn dynamic_weights_count_towards_quorum() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.quorum = 4;
    vs.quorum_down = Some("/bin/qdown".into());
    let mut rs = real_server(
        "10.0.0.1",
        ProbeKind::Misc(MiscProbe {
            command: "/x".into(),
            dynamic: true,
            ..MiscProbe::default()
        }),
    );
    rs.weight = 3;
    vs.real_servers.push(rs);
    vs.real_servers.push(tcp_server("10.0.0.2"));
    let mut lab = Lab::new(config(vec![vs]));
    lab.set("10.0.0.1:80", Health::Weight(3));
    lab.run_until(secs(1.0));
    assert!(lab.checks.virtual_servers()[0].quorum_up);
    lab.set("10.0.0.1:80", Health::Weight(1));
    lab.run_until(secs(6.0));
    assert!(!lab.checks.virtual_servers()[0].quorum_up);
    assert_eq!(lab.scripts(), vec!["/bin/qdown".to_string()]);
}

// Input: a real server with two checkers (TCP on 80, TCP on 8080); 8080 fails, then recovers.
// Output: one failed checker takes the server out; it returns only when both are up.
#[test]
fn a_server_is_alive_only_while_all_its_checkers_are_up() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.timing.retry = Some(0);
    let mut rs = tcp_server("10.0.0.1");
    let mut second = CheckerConfig::new(ProbeSpec::new(ProbeKind::Tcp));
    second.probe.connect.connect_port = Some(8080);
    rs.checkers.push(second);
    vs.real_servers.push(rs);
    let mut lab = Lab::new(config(vec![vs]));
    lab.run_until(secs(1.0));
    lab.set("10.0.0.1:8080", Health::Down);
    lab.run_until(secs(6.0));
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), None);
    lab.set("10.0.0.1:80", Health::Down);
    lab.set("10.0.0.1:8080", Health::Up);
    lab.run_until(secs(11.0));
    assert_eq!(
        lab.weight(&service(VIP, 80), "10.0.0.1:80"),
        None,
        "80 is down now"
    );
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(16.0));
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(1));
    assert_eq!(
        lab.rs_fifo()
            .iter()
            .map(|(t, l)| (t.as_secs_f64(), l.ends_with("UP")))
            .collect::<Vec<_>>(),
        vec![(5.0, false), (15.0, true)]
    );
}

// Input: a real server with no checker.
// Output: always in the pool, no probe ever scheduled.
#[test]
fn a_server_without_checkers_is_always_up() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.real_servers.push(RealServerConfig::new(
        "10.0.0.1".parse().unwrap(),
        Some(8080),
    ));
    let mut lab = Lab::new(config(vec![vs]));
    assert_eq!(lab.checks.poll_timeout(), None);
    lab.run_until(secs(100.0));
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:8080"), Some(1));
    assert!(lab.probes.is_empty());
}

// Input: NAT real server without a port; DR real server with a different port.
// Output: both take the virtual server's port (keepalived check_data.c).
#[test]
fn real_server_ports_follow_keepalived() {
    let mut vs = virtual_server(VIP, 443, 5);
    vs.real_servers
        .push(RealServerConfig::new("10.0.0.1".parse().unwrap(), None));
    let mut dr = RealServerConfig::new("10.0.0.2".parse().unwrap(), Some(8443));
    dr.method = Some(ForwardingMethod::DirectRouting);
    vs.real_servers.push(dr);
    let lab = Lab::new(config(vec![vs]));
    assert_eq!(lab.weight(&service(VIP, 443), "10.0.0.1:443"), Some(1));
    assert_eq!(lab.weight(&service(VIP, 443), "10.0.0.2:443"), Some(1));
}

// Input: a FILE_CHECK: the daemon pushes results whenever the file changes.
// Output: no timer for it; a pushed Down takes the server out; a value with a FILE_CHECK
// weight (UpWithWeightOffset) adds to the configured weight 2, never below 0; a plain Up
// restores 2.
#[test]
fn file_checks_are_driven_by_pushed_results() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.real_servers.push(real_server(
        "10.0.0.1",
        ProbeKind::File {
            track_file: "load".into(),
        },
    ));
    let mut lab = Lab::new(config(vec![vs]));
    assert_eq!(lab.checks.poll_timeout(), None);
    let id = lab.checks.checker_ids().next().unwrap();
    lab.input(Input::ProbeResult {
        checker: id,
        outcome: ProbeOutcome::Down { reason: "0".into() },
    });
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), None);
    lab.input(Input::ProbeResult {
        checker: id,
        outcome: ProbeOutcome::UpWithWeight(7),
    });
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(7));
}
