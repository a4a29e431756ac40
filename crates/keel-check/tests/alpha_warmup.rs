//! Initial state: alpha, warmup (spec §3.13).

mod common;

use common::*;
use std::time::Duration;

const VIP: &str = "192.168.201.15";

// Input: alpha on the virtual server; the server answers at its first probe (t0).
// Output: it is out of the pool until that success, then UP (notify_up runs) and added.
#[test]
fn alpha_server_starts_down_until_its_first_success() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.alpha = true;
    vs.timing.warmup = Some(Duration::from_secs(3));
    let mut rs = tcp_server("10.0.0.1");
    rs.notify_up = Some("/usr/local/bin/rs-up".into());
    vs.real_servers.push(rs);
    let mut lab = Lab::new(config(vec![vs]));

    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), None);
    assert!(!lab.checks.virtual_servers()[0].real_servers[0].alive);
    lab.run_until(secs(5.0));
    let first = lab.probe_times("10.0.0.1:80")[0];
    assert!(first <= 3.0);
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), Some(1));
    assert_eq!(lab.scripts(), vec!["/usr/local/bin/rs-up".to_string()]);
    assert_eq!(
        lab.rs_fifo(),
        vec![(
            secs(first),
            "RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 UP".to_string()
        )]
    );
}

// Input: alpha, and the server is dead from the start.
// Output: it never enters the pool; its first failure still announces DOWN (keepalived
// update_svr_checker_state: alpha's first result is reported), and only once.
#[test]
fn alpha_server_that_fails_is_announced_down_once() {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.alpha = true;
    vs.real_servers.push(tcp_server("10.0.0.1"));
    let mut lab = Lab::new(config(vec![vs]));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(20.0));

    assert_eq!(
        lab.probe_times("10.0.0.1:80"),
        vec![0.0, 5.0, 10.0, 15.0, 20.0]
    );
    assert_eq!(
        lab.rs_fifo(),
        vec![(
            secs(0.0),
            "RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 DOWN".to_string()
        )]
    );
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.1:80"), None);
}

// Input: 200 real servers, warmup 10 s, delay_loop 30 s.
// Output: every first probe falls in [0, 10 s], they are spread (not all at once), and the
// same seed replays the same times while another seed gives others.
#[test]
fn warmup_spreads_first_probes_within_its_bound() {
    let build = || {
        let mut vs = virtual_server(VIP, 80, 30);
        vs.timing.warmup = Some(Duration::from_secs(10));
        for i in 0..200u32 {
            vs.real_servers
                .push(tcp_server(&format!("10.0.{}.{}", i / 250, i % 250 + 1)));
        }
        config(vec![vs])
    };
    let first_probes = |seed: u64| {
        let mut lab = Lab::with_seed(build(), seed);
        lab.run_until(secs(29.0));
        let mut times: Vec<f64> = lab.probes.iter().map(|(t, _)| t.as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        times
    };
    let times = first_probes(7);
    assert_eq!(times.len(), 200);
    assert!(times.iter().all(|t| (0.0..=10.0).contains(t)));
    assert!(times[0] < 1.0 && times[199] > 9.0, "spread over the window");
    assert_eq!(first_probes(7), times);
    assert_ne!(first_probes(8), times);
}

// Input: no warmup configured, delay_loop 6 s.
// Output: warmup defaults to delay_loop: the first probe falls within [0, 6 s].
#[test]
fn warmup_defaults_to_delay_loop() {
    let mut vs = virtual_server(VIP, 80, 6);
    vs.timing.warmup = None;
    vs.real_servers.push(tcp_server("10.0.0.1"));
    for seed in 0..20 {
        let mut lab = Lab::with_seed(config(vec![vs.clone()]), seed);
        lab.run_until(secs(6.0));
        let first = lab.probe_times("10.0.0.1:80")[0];
        assert!(first <= 6.0, "seed {seed}: first probe at {first}");
    }
}
