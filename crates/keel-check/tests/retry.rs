//! Checker up/down rules with exact times (spec §3.13).

mod common;

use common::*;
use keel_check::*;
use std::time::Duration;

const VIP: &str = "192.168.201.15";

fn one_server(retry: u32, delay_before_retry: u64) -> CheckConfig {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.timing.retry = Some(retry);
    vs.timing.delay_before_retry = Some(Duration::from_secs(delay_before_retry));
    vs.real_servers.push(tcp_server("10.0.0.1"));
    config(vec![vs])
}

// Input: delay_loop 5, retry 2, delay_before_retry 1; the server passes at 0 and 5 and
// stops at 7.
// Output: probes at 10 (fail), 11 and 12 (the 2 retries, 1 s apart); it goes DOWN at 12 after
// retry + 1 = 3 failures, is removed then, and from then on is probed every 5 s.
#[test]
fn up_server_goes_down_after_retry_plus_one_failures() {
    let mut lab = Lab::new(one_server(2, 1));
    lab.run_until(secs(6.0));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(23.0));

    assert_eq!(
        lab.probe_times("10.0.0.1:80"),
        vec![0.0, 5.0, 10.0, 11.0, 12.0, 17.0, 22.0]
    );
    // The only server carried the quorum (1), so the virtual server goes down with it.
    assert_eq!(
        lab.fifo(),
        vec![
            (
                secs(12.0),
                "RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 DOWN".to_string()
            ),
            (secs(12.0), "VS [192.168.201.15]:tcp:80 DOWN".to_string()),
        ]
    );
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), None);
    let later: Vec<_> = lab
        .ops
        .iter()
        .filter(|(t, _)| !t.is_zero())
        .cloned()
        .collect();
    assert_eq!(
        later,
        vec![(
            secs(12.0),
            keel_lb::Op::DelDest {
                service: service(VIP, 80),
                dest: keel_lb::DestKey::new("10.0.0.1".parse().unwrap(), 80)
            }
        )]
    );
}

// Input: the same server fails twice, then passes on the last retry.
// Output: it never goes down; the failure count resets, the cadence returns to 5 s.
#[test]
fn a_success_within_the_retries_keeps_the_server_up() {
    let mut lab = Lab::new(one_server(2, 1));
    lab.run_until(secs(6.0));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(11.5));
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(20.0));

    assert_eq!(
        lab.probe_times("10.0.0.1:80"),
        vec![0.0, 5.0, 10.0, 11.0, 12.0, 17.0]
    );
    assert!(lab.fifo().is_empty());
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(1));
}

// Input: the server is down (removed at 12) and comes back at 18.
// Output: the first success (probe at 22) brings it UP and back into the pool at once.
#[test]
fn one_success_brings_a_down_server_up() {
    let mut lab = Lab::new(one_server(2, 1));
    lab.run_until(secs(6.0));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(18.0));
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(30.0));

    assert_eq!(
        lab.rs_fifo(),
        vec![
            (
                secs(12.0),
                "RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 DOWN".to_string()
            ),
            (
                secs(22.0),
                "RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 UP".to_string()
            ),
        ]
    );
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(1));
}

// Input: the server is already dead when keel starts (retry 2).
// Output: keepalived compat (check_data.c, "one failure is enough initially"): the very first
// failure at 0 takes it down; no retries before it has been seen up.
#[test]
fn a_server_dead_at_start_goes_down_on_the_first_failure() {
    let mut lab = Lab::new(one_server(2, 1));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(11.0));

    assert_eq!(lab.probe_times("10.0.0.1:80"), vec![0.0, 5.0, 10.0]);
    assert_eq!(
        lab.rs_fifo(),
        vec![(
            secs(0.0),
            "RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 DOWN".to_string()
        )]
    );
}

// Input: defaults by checker type, server failing after being up: MISC_CHECK (retry 0),
// HTTP_GET (retry 1, delay_before_retry 3 s), DNS_CHECK (retry 3, delay_before_retry =
// delay_loop).
// Output: MISC goes down on its first failure (10); HTTP at its retry 3 s later (13); DNS
// after 3 retries 5 s apart (25).
#[test]
fn retry_defaults_follow_the_checker_type() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.real_servers.push(real_server(
        "10.0.0.1",
        ProbeKind::Misc(MiscProbe {
            command: "/bin/check".into(),
            ..MiscProbe::default()
        }),
    ));
    vs.real_servers.push(real_server(
        "10.0.0.2",
        ProbeKind::Http(HttpProbe::default()),
    ));
    vs.real_servers.push(real_server(
        "10.0.0.3",
        ProbeKind::Dns {
            query_type: DnsQueryType::Soa,
            name: ".".into(),
        },
    ));
    let mut lab = Lab::new(config(vec![vs]));
    lab.run_until(secs(6.0));
    for server in ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"] {
        lab.set(server, Health::Down);
    }
    lab.run_until(secs(30.0));

    let downs: Vec<(f64, String)> = lab
        .rs_fifo()
        .into_iter()
        .map(|(t, line)| (t.as_secs_f64(), line.split(' ').nth(1).unwrap().to_string()))
        .collect();
    assert_eq!(
        downs,
        vec![
            (10.0, "[10.0.0.1]:tcp:80".to_string()),
            (13.0, "[10.0.0.2]:tcp:80".to_string()),
            (25.0, "[10.0.0.3]:tcp:80".to_string()),
        ]
    );
}

// Input: retry set on the checker overrides the real server's, which overrides the virtual
// server's; connect_timeout reaches the probe request.
// Output: the checker's value wins; the RunProbe carries connect_timeout 2 s.
#[test]
fn checker_options_override_real_and_virtual_server() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.timing.retry = Some(5);
    let mut rs = tcp_server("10.0.0.1");
    rs.timing.retry = Some(4);
    rs.checkers[0].timing.retry = Some(0);
    rs.checkers[0].timing.connect_timeout = Some(Duration::from_secs(2));
    vs.real_servers.push(rs);
    let t0 = base();
    let mut checks = Checks::new(config(vec![vs]), t0, 1).unwrap();
    checks.handle_timeout(t0);
    let request = std::iter::from_fn(|| checks.poll_action())
        .find_map(|a| match a {
            Action::RunProbe(request) => Some(request),
            _ => None,
        })
        .expect("a probe at t0");
    assert_eq!(request.timeout, Duration::from_secs(2));
    // Seen up once, then one failure (retry 0) takes it down.
    let up = Input::ProbeResult {
        checker: request.checker,
        outcome: ProbeOutcome::Up,
    };
    checks.handle(t0, up).unwrap();
    checks.handle_timeout(t0 + Duration::from_secs(5));
    while checks.poll_action().is_some() {}
    let down = ProbeOutcome::Down {
        reason: "timeout".into(),
    };
    let input = Input::ProbeResult {
        checker: request.checker,
        outcome: down,
    };
    checks.handle(t0 + Duration::from_secs(5), input).unwrap();
    assert!(!checks.virtual_servers()[0].real_servers[0].alive);
}

// Input: connect_port / connect_ip on the checker.
// Output: the probe goes there, not to the real server's address and port.
#[test]
fn connect_options_redirect_the_probe() {
    let mut vs = virtual_server(VIP, 80, 5);
    let mut rs = tcp_server("10.0.0.1");
    rs.checkers[0].probe.connect.connect_port = Some(8080);
    vs.real_servers.push(rs);
    let mut rs = tcp_server("10.0.0.2");
    rs.checkers[0].probe.connect.connect_ip = Some("10.9.9.9".parse().unwrap());
    vs.real_servers.push(rs);
    let mut lab = Lab::new(config(vec![vs]));
    lab.run_until(secs(0.0));
    assert_eq!(lab.probe_times("10.0.0.1:8080"), vec![0.0]);
    assert_eq!(lab.probe_times("10.9.9.9:80"), vec![0.0]);
}

// Input: MISC_CHECK without misc_timeout, delay_loop 5; another with misc_timeout 2.
// Output: the script's time limit is delay_loop (5 s) for the first, 2 s for the second.
#[test]
fn misc_scripts_are_limited_by_misc_timeout_or_delay_loop() {
    let mut vs = virtual_server(VIP, 80, 5);
    let misc = |timeout| {
        ProbeKind::Misc(MiscProbe {
            command: "/bin/check".into(),
            timeout,
            ..MiscProbe::default()
        })
    };
    vs.real_servers.push(real_server("10.0.0.1", misc(None)));
    vs.real_servers
        .push(real_server("10.0.0.2", misc(Some(Duration::from_secs(2)))));
    let t0 = base();
    let mut checks = Checks::new(config(vec![vs]), t0, 1).unwrap();
    checks.handle_timeout(t0);
    let timeouts: Vec<(String, Duration)> = std::iter::from_fn(|| checks.poll_action())
        .filter_map(|a| match a {
            Action::RunProbe(r) => Some((r.destination.to_string(), r.timeout)),
            _ => None,
        })
        .collect();
    assert_eq!(
        timeouts,
        vec![
            ("10.0.0.1:80".to_string(), Duration::from_secs(5)),
            ("10.0.0.2:80".to_string(), Duration::from_secs(2)),
        ]
    );
}
