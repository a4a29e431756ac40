//! Properties over random configurations and random probe results.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use keel_check::*;
use keel_lb::{DestKey, diff};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Scenario {
    servers: Vec<(u32, u8, bool, u32)>, // (weight, checkers 1..=2, inhibit, retry)
    quorum: u32,
    hysteresis: u32,
    sorry: Option<bool>, // Some(inhibit)
    alpha: bool,
    results: Vec<bool>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec((1u32..4, 1u8..3, any::<bool>(), 0u32..3), 1..5),
        0u32..8,
        0u32..3,
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        proptest::collection::vec(any::<bool>(), 1..120),
    )
        .prop_map(
            |(servers, quorum, hysteresis, sorry, alpha, results)| Scenario {
                servers,
                quorum,
                hysteresis,
                sorry,
                alpha,
                results,
            },
        )
}

fn build(s: &Scenario) -> CheckConfig {
    let mut vs = virtual_server("192.168.201.15", 80, 5);
    vs.quorum = s.quorum;
    vs.hysteresis = s.hysteresis;
    vs.alpha = s.alpha;
    vs.timing.delay_before_retry = Some(Duration::from_secs(1));
    vs.sorry_server = s.sorry.map(|inhibit| SorryServerConfig {
        inhibit,
        ..SorryServerConfig::new("10.0.9.9".parse().unwrap())
    });
    for (i, (weight, checkers, inhibit, retry)) in s.servers.iter().enumerate() {
        let mut rs = RealServerConfig::new(format!("10.0.0.{}", i + 1).parse().unwrap(), None);
        rs.weight = *weight;
        rs.inhibit_on_failure = Some(*inhibit);
        for c in 0..*checkers {
            let mut checker = CheckerConfig::new(ProbeSpec::new(ProbeKind::Tcp));
            checker.probe.connect.connect_port = Some(8000 + u16::from(c));
            checker.timing.retry = Some(*retry);
            rs.checkers.push(checker);
        }
        vs.real_servers.push(rs);
    }
    config(vec![vs])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    // Input: random servers, checkers, retries, quorum, sorry server; random probe results.
    // Output, after every step:
    // - a server is alive iff all its checkers are up;
    // - a checker seen up goes down only after exactly retry + 1 consecutive failures;
    // - the load balancer built from the emitted diffs equals `desired()`;
    // - alive servers are in the pool at their weight unless the sorry server replaces
    //   them; servers out of the pool appear only inhibited at weight 0.
    #[test]
    fn checker_and_pool_invariants_hold(s in scenario()) {
        let t0 = base();
        let mut checks = Checks::new(build(&s), t0, 3).unwrap();
        let mut applied = keel_lb::Desired::default();
        let mut failures: BTreeMap<CheckerId, u32> = BTreeMap::new();
        // Real server i is 10.0.0.(i + 1); its checkers share its retry.
        let retry_of = |status: &CheckerStatus| {
            let index = status.real_server.split(['.', ']']).nth(3).unwrap().parse::<usize>().unwrap() - 1;
            s.servers[index].3
        };
        let mut results = s.results.iter().copied().cycle().take(s.results.len() * 3);
        let mut now = t0;
        for _ in 0..400 {
            let mut requests = Vec::new();
            while let Some(action) = checks.poll_action() {
                match action {
                    Action::RunProbe(request) => requests.push(request),
                    Action::LoadBalancerChanged => {
                        for op in diff(&applied, &checks.desired()) {
                            prop_assert_eq!(applied.apply(&op), Ok(()));
                        }
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(&applied, &checks.desired());
            if requests.is_empty() {
                let Some(deadline) = checks.poll_timeout() else { break };
                now = deadline;
                checks.handle_timeout(now);
                continue;
            }
            for request in requests {
                let Some(up) = results.next() else { return Ok(()) };
                let before = checks.checker(request.checker).unwrap();
                let outcome = if up {
                    ProbeOutcome::Up
                } else {
                    ProbeOutcome::Down { reason: "x".into() }
                };
                checks.handle(now, Input::ProbeResult { checker: request.checker, outcome }).unwrap();
                let after = checks.checker(request.checker).unwrap();
                let count = failures.entry(request.checker).or_default();
                if up { *count = 0 } else { *count += 1 }
                if before.up && before.has_run && !after.up {
                    prop_assert_eq!(*count, retry_of(&before) + 1);
                }
                if before.up && before.has_run && after.up {
                    prop_assert!(*count <= retry_of(&before));
                }
                if !before.up && after.up {
                    prop_assert!(up, "only a success brings a checker up");
                }
            }
            // Pool invariants.
            let ids: Vec<CheckerId> = checks.checker_ids().collect();
            let statuses: Vec<CheckerStatus> = ids.iter().map(|id| checks.checker(*id).unwrap()).collect();
            let vs = &checks.virtual_servers()[0];
            let desired = checks.desired();
            let service = desired.services.values().next().unwrap();
            for (i, rs) in vs.real_servers.iter().enumerate() {
                let all_up = statuses.iter().filter(|c| c.real_server == rs.name).all(|c| c.up);
                prop_assert_eq!(rs.alive, all_up, "{}", rs.name);
                let dest = DestKey::new(format!("10.0.0.{}", i + 1).parse().unwrap(), 80);
                let entry = service.destinations.get(&dest);
                if rs.alive && !vs.sorry_server_active {
                    prop_assert_eq!(entry.map(|d| d.weight), Some(rs.weight));
                } else if let Some(entry) = entry {
                    prop_assert!(s.servers[i].2, "only inhibited servers stay when out");
                    prop_assert_eq!(entry.weight, 0);
                }
            }
            let sorry = service.destinations.get(&DestKey::new("10.0.9.9".parse().unwrap(), 80));
            match s.sorry {
                None => prop_assert!(sorry.is_none()),
                Some(inhibit) => {
                    if vs.sorry_server_active {
                        prop_assert_eq!(sorry.map(|d| d.weight), Some(1));
                    } else if inhibit {
                        prop_assert_eq!(sorry.map(|d| d.weight), Some(0));
                    } else {
                        prop_assert!(sorry.is_none());
                    }
                }
            }
            prop_assert!(!vs.sorry_server_active || !vs.quorum_up);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    // Input: random config, random results for a while, then a reload with the same config.
    // Output: the reload changes nothing: the wanted load balancer is the same (empty diff),
    // no script, FIFO line or mail, and every checker keeps its id and state.
    #[test]
    fn reloading_the_same_config_is_invisible(s in scenario()) {
        let t0 = base();
        let config = build(&s);
        let mut checks = Checks::new(config.clone(), t0, 5).unwrap();
        let mut results = s.results.iter().copied();
        let mut now = t0;
        'run: for _ in 0..200 {
            let mut requests = Vec::new();
            while let Some(action) = checks.poll_action() {
                if let Action::RunProbe(request) = action {
                    requests.push(request);
                }
            }
            if requests.is_empty() {
                let Some(deadline) = checks.poll_timeout() else { break };
                now = deadline;
                checks.handle_timeout(now);
                continue;
            }
            for request in requests {
                let Some(up) = results.next() else { break 'run };
                let outcome = if up { ProbeOutcome::Up } else { ProbeOutcome::Down { reason: "x".into() } };
                checks.handle(now, Input::ProbeResult { checker: request.checker, outcome }).unwrap();
            }
        }
        while checks.poll_action().is_some() {}
        let before = checks.desired();
        let statuses: Vec<CheckerStatus> =
            checks.checker_ids().map(|id| checks.checker(id).unwrap()).collect();
        let servers = checks.virtual_servers();
        checks.handle(now, Input::Reload(config)).unwrap();
        prop_assert_eq!(diff(&before, &checks.desired()), vec![]);
        while let Some(action) = checks.poll_action() {
            prop_assert!(
                matches!(action, Action::LoadBalancerChanged),
                "unexpected {:?}", action
            );
        }
        let after: Vec<CheckerStatus> =
            checks.checker_ids().map(|id| checks.checker(id).unwrap()).collect();
        prop_assert_eq!(after, statuses);
        prop_assert_eq!(checks.virtual_servers(), servers);
    }
}
