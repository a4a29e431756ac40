//! Inputs keel-check did not ask for never break it.

mod common;

use common::*;
use keel_check::*;

fn one_server() -> CheckConfig {
    let mut vs = virtual_server("192.168.201.15", 80, 5);
    vs.real_servers.push(tcp_server("10.0.0.1"));
    config(vec![vs])
}

// Input: results for a checker id that never existed, and a result nobody asked for.
// Output: both dropped: no action, the schedule unchanged.
#[test]
fn unsolicited_results_are_dropped() {
    let t0 = base();
    let mut checks = Checks::new(one_server(), t0, 1).unwrap();
    while checks.poll_action().is_some() {}
    let deadline = checks.poll_timeout();
    let down = ProbeOutcome::Down { reason: "x".into() };
    checks
        .handle(
            t0,
            Input::ProbeResult {
                checker: CheckerId(999),
                outcome: down.clone(),
            },
        )
        .unwrap();
    let id = checks.checker_ids().next().unwrap();
    checks
        .handle(
            t0,
            Input::ProbeResult {
                checker: id,
                outcome: down,
            },
        )
        .unwrap();
    assert_eq!(checks.poll_action(), None);
    assert_eq!(checks.poll_timeout(), deadline);
    assert!(checks.virtual_servers()[0].real_servers[0].alive);
}

// Input: the same result delivered twice.
// Output: counted once (the second finds no probe outstanding).
#[test]
fn a_duplicate_result_counts_once() {
    let mut vs = virtual_server("192.168.201.15", 80, 5);
    vs.timing.retry = Some(1);
    vs.real_servers.push(tcp_server("10.0.0.1"));
    let t0 = base();
    let mut checks = Checks::new(config(vec![vs]), t0, 1).unwrap();
    checks.handle_timeout(t0);
    while checks.poll_action().is_some() {}
    let id = checks.checker_ids().next().unwrap();
    let up = Input::ProbeResult {
        checker: id,
        outcome: ProbeOutcome::Up,
    };
    checks.handle(t0, up).unwrap();
    let t5 = t0 + std::time::Duration::from_secs(5);
    checks.handle_timeout(t5);
    while checks.poll_action().is_some() {}
    let down = Input::ProbeResult {
        checker: id,
        outcome: ProbeOutcome::Down { reason: "x".into() },
    };
    checks.handle(t5, down.clone()).unwrap();
    checks.handle(t5, down).unwrap();
    assert!(
        checks.virtual_servers()[0].real_servers[0].alive,
        "one failure of retry 1 + 1"
    );
}

// Input: results and timeouts after Stop.
// Output: nothing happens; the wanted load balancer stays empty.
#[test]
fn nothing_runs_after_stop() {
    let t0 = base();
    let mut checks = Checks::new(one_server(), t0, 1).unwrap();
    checks.handle(t0, Input::Stop).unwrap();
    while checks.poll_action().is_some() {}
    let id = checks.checker_ids().next().unwrap();
    checks
        .handle(
            t0,
            Input::ProbeResult {
                checker: id,
                outcome: ProbeOutcome::Up,
            },
        )
        .unwrap();
    checks.handle_timeout(t0 + std::time::Duration::from_secs(100));
    checks.handle(t0, Input::Reload(one_server())).unwrap();
    assert_eq!(checks.poll_action(), None);
    assert!(checks.desired().services.is_empty());
}

// Input: delay_loop 0 (would probe in a busy loop); two virtual servers on one service.
// Output: configuration errors.
#[test]
fn unrunnable_configs_are_errors() {
    let mut config = one_server();
    config.virtual_servers[0].timing.delay_loop = Some(std::time::Duration::ZERO);
    assert!(matches!(
        Checks::new(config, base(), 1),
        Err(ConfigError::ZeroDelay { .. })
    ));
    let mut config = one_server();
    config
        .virtual_servers
        .push(config.virtual_servers[0].clone());
    assert_eq!(
        Checks::new(config, base(), 1).err(),
        Some(ConfigError::DuplicateService(
            "[192.168.201.15]:tcp:80".into()
        ))
    );
}
