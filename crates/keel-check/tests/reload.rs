//! Reload keeps what is unchanged (spec §1.1 Reload; keepalived clear_diff_services).

mod common;

use common::*;
use keel_check::*;
use keel_lb::{DestKey, Destination, Op, diff};

const VIP: &str = "192.168.201.15";

fn base_config() -> CheckConfig {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.timing.retry = Some(0);
    for i in 1..=3 {
        let mut rs = tcp_server(&format!("10.0.0.{i}"));
        rs.notify_down = Some(format!("/bin/down {i}"));
        vs.real_servers.push(rs);
    }
    config(vec![vs])
}

fn dest(address: &str) -> DestKey {
    DestKey::new(address.parse().unwrap(), 80)
}

// Input: reload with the very same configuration while a server is down.
// Output: the wanted load balancer is unchanged (empty diff), checker ids and their
// schedule are kept, no notification runs, and the down server stays out (it is not
// re-added until a check passes).
#[test]
fn reloading_the_same_config_changes_nothing() {
    let mut lab = Lab::new(base_config());
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(7.0));
    let before = lab.checks.desired();
    let ids: Vec<CheckerId> = lab.checks.checker_ids().collect();
    let deadline = lab.checks.poll_timeout();
    lab.clear_log();

    lab.input(Input::Reload(base_config()));
    assert_eq!(diff(&before, &lab.checks.desired()), vec![]);
    assert_eq!(lab.checks.checker_ids().collect::<Vec<_>>(), ids);
    assert_eq!(lab.checks.poll_timeout(), deadline);
    assert!(lab.events.is_empty());
    assert!(lab.ops.is_empty());
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.2:80"), None);
}

// Input: reload that changes one server's weight 1 → 4.
// Output: exactly one EditDest; the others untouched.
#[test]
fn a_weight_change_on_reload_is_one_edit() {
    let mut lab = Lab::new(base_config());
    lab.run_until(secs(1.0));
    lab.clear_log();
    let mut config = base_config();
    config.virtual_servers[0].real_servers[0].weight = 4;
    lab.input(Input::Reload(config));
    assert_eq!(
        lab.ops,
        vec![(
            secs(1.0),
            Op::EditDest {
                service: service(VIP, 80),
                dest: dest("10.0.0.1"),
                destination: Destination::nat(4)
            }
        )]
    );
}

// Input: reload that removes 10.0.0.3 and adds 10.0.0.4 (and an alpha 10.0.0.5).
// Output: .4 is added at once (no alpha), .5 waits for its first success, .3 is deleted
// and its notify_down runs; .1 and .2 are untouched.
#[test]
fn reload_adds_and_removes_only_the_changed_servers() {
    let mut lab = Lab::new(base_config());
    lab.run_until(secs(1.0));
    lab.clear_log();
    let mut config = base_config();
    config.virtual_servers[0].real_servers.pop();
    config.virtual_servers[0]
        .real_servers
        .push(tcp_server("10.0.0.4"));
    let mut alpha = tcp_server("10.0.0.5");
    alpha.alpha = Some(true);
    config.virtual_servers[0].real_servers.push(alpha);
    lab.input(Input::Reload(config));

    let vip = service(VIP, 80);
    assert_eq!(
        lab.ops.iter().map(|(_, op)| op.clone()).collect::<Vec<_>>(),
        vec![
            Op::AddDest {
                service: vip,
                dest: dest("10.0.0.4"),
                destination: Destination::nat(1)
            },
            Op::DelDest {
                service: vip,
                dest: dest("10.0.0.3")
            },
        ]
    );
    assert_eq!(lab.scripts(), vec!["/bin/down 3".to_string()]);
    lab.run_until(secs(2.0));
    assert_eq!(
        lab.weight(&vip, "10.0.0.5:80"),
        Some(1),
        "alpha server in after its first check"
    );
}

// Input: a probe is out for 10.0.0.1 when a reload removes that server; its result arrives.
// Output: the late result is dropped: no state change, no panic.
#[test]
fn a_late_result_for_a_removed_checker_is_ignored() {
    let t0 = base();
    let mut checks = Checks::new(base_config(), t0, 1).unwrap();
    checks.handle_timeout(t0);
    let requests: Vec<ProbeRequest> = std::iter::from_fn(|| checks.poll_action())
        .filter_map(|a| match a {
            Action::RunProbe(r) => Some(r),
            _ => None,
        })
        .collect();
    let removed = requests[0].checker;
    let mut config = base_config();
    config.virtual_servers[0].real_servers.remove(0);
    checks.handle(t0, Input::Reload(config)).unwrap();
    while checks.poll_action().is_some() {}
    let before = checks.desired();
    let late = Input::ProbeResult {
        checker: removed,
        outcome: ProbeOutcome::Down {
            reason: "late".into(),
        },
    };
    checks.handle(t0, late).unwrap();
    assert_eq!(checks.poll_action(), None);
    assert_eq!(checks.desired(), before);
}

// Input: a reload naming an undefined group.
// Output: an error; the running configuration keeps running unchanged.
#[test]
fn a_bad_reload_keeps_the_running_config() {
    let mut lab = Lab::new(base_config());
    lab.run_until(secs(1.0));
    let before = lab.checks.desired();
    let mut bad = base_config();
    bad.virtual_servers[0].target = VirtualServerTarget::Group {
        name: "nope".into(),
    };
    assert_eq!(
        lab.checks.handle(lab.now, Input::Reload(bad)),
        Err(ConfigError::UnknownGroup("nope".into()))
    );
    assert_eq!(lab.checks.desired(), before);
    lab.run_until(secs(6.0));
    assert_eq!(lab.probe_times("10.0.0.1:80"), vec![0.0, 5.0]);
}

// Input: reload that removes the whole virtual server.
// Output: its destinations, then the service, are deleted; the alive servers' down
// notifiers run; the quorum goes down.
#[test]
fn removing_a_virtual_server_deletes_it_and_notifies() {
    let mut lab = Lab::new(base_config());
    lab.run_until(secs(1.0));
    lab.clear_log();
    lab.input(Input::Reload(CheckConfig::default()));
    assert!(lab.applied.services.is_empty());
    assert_eq!(lab.ops.len(), 4);
    assert_eq!(
        lab.scripts(),
        vec!["/bin/down 1", "/bin/down 2", "/bin/down 3"]
    );
    assert_eq!(
        lab.fifo_lines().last().unwrap(),
        "VS [192.168.201.15]:tcp:80 DOWN"
    );
    assert_eq!(lab.checks.poll_timeout(), None);
}

// Input: reload changing the scheduler to rr.
// Output: one EditService; destinations untouched.
#[test]
fn a_scheduler_change_is_one_edit_service() {
    let mut lab = Lab::new(base_config());
    lab.clear_log();
    let mut config = base_config();
    config.virtual_servers[0].settings.scheduler = keel_lb::Scheduler::Rr;
    lab.input(Input::Reload(config));
    assert_eq!(lab.ops.len(), 1);
    assert!(matches!(lab.ops[0].1, Op::EditService { .. }));
}

fn with_sorry(quorum: u32) -> CheckConfig {
    let mut config = base_config();
    let vs = &mut config.virtual_servers[0];
    vs.quorum = quorum;
    vs.sorry_server = Some(SorryServerConfig::new("10.0.0.99".parse().unwrap()));
    config
}

// Input: quorum 3 of 3 with a sorry server; one server dies (quorum lost, sorry server in);
// a reload then drops the sorry_server line.
// Output: the sorry server is deleted and the two alive servers are reinstated
// (keepalived clear_diff_s_srv).
#[test]
fn removing_an_active_sorry_server_reinstates_the_alive_servers() {
    let mut lab = Lab::new(with_sorry(3));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(1.0));
    let vip = service(VIP, 80);
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), Some(1));
    assert_eq!(lab.weight(&vip, "10.0.0.2:80"), None);
    let mut config = with_sorry(3);
    config.virtual_servers[0].sorry_server = None;
    lab.input(Input::Reload(config));
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), None);
    assert_eq!(lab.weight(&vip, "10.0.0.2:80"), Some(1));
    assert_eq!(lab.weight(&vip, "10.0.0.3:80"), Some(1));
}

// Input: quorum 2 with a sorry server, one of three servers down (2 ≥ 2: up); a reload
// raises the quorum to 3.
// Output: the reload itself loses the quorum: the sorry server goes in, quorum_down line.
#[test]
fn raising_the_quorum_on_reload_can_lose_it() {
    let mut lab = Lab::new(with_sorry(2));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(1.0));
    assert!(lab.checks.virtual_servers()[0].quorum_up);
    lab.events.clear();
    lab.input(Input::Reload(with_sorry(3)));
    assert!(!lab.checks.virtual_servers()[0].quorum_up);
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.99:80"), Some(1));
    assert_eq!(
        lab.fifo_lines(),
        vec!["VS [192.168.201.15]:tcp:80 DOWN".to_string()]
    );
}

// Input: a reload that changes delay_loop from 5 to 2 s.
// Output: the checkers keep their state and move to the new cadence at once.
#[test]
fn a_new_delay_loop_applies_from_the_reload() {
    let mut lab = Lab::new(base_config());
    lab.run_until(secs(1.0));
    let mut config = base_config();
    config.virtual_servers[0].timing.delay_loop = Some(std::time::Duration::from_secs(2));
    lab.input(Input::Reload(config));
    lab.run_until(secs(6.0));
    assert_eq!(lab.probe_times("10.0.0.1:80"), vec![0.0, 3.0, 5.0]);
}

// Input: two checkers on 10.0.0.2 (the second on port 8080); a reload removes 10.0.0.1.
// Output: the probe requests and statuses name each checker's place in the new config:
// 10.0.0.2 is now real server 0; its 8080 checker is checker 1.
#[test]
fn checker_paths_follow_the_config_across_reloads() {
    let with_second = |config: &mut CheckConfig, rs: usize| {
        let mut second = CheckerConfig::new(ProbeSpec::new(ProbeKind::Tcp));
        second.probe.connect.connect_port = Some(8080);
        config.virtual_servers[0].real_servers[rs]
            .checkers
            .push(second);
    };
    let mut config = base_config();
    with_second(&mut config, 1);
    let t0 = base();
    let mut checks = Checks::new(config.clone(), t0, 1).unwrap();
    let find = |checks: &Checks| {
        checks
            .checker_ids()
            .map(|id| checks.checker(id).unwrap())
            .find(|s| s.destination.to_string() == "10.0.0.2:8080")
            .unwrap()
            .path
    };
    assert_eq!(
        find(&checks),
        CheckerPath {
            virtual_server: 0,
            real_server: 1,
            checker: 1
        }
    );
    config.virtual_servers[0].real_servers.remove(0);
    checks.handle(t0, Input::Reload(config)).unwrap();
    assert_eq!(
        find(&checks),
        CheckerPath {
            virtual_server: 0,
            real_server: 0,
            checker: 1
        }
    );
    checks.handle_timeout(t0);
    let paths: Vec<CheckerPath> = std::iter::from_fn(|| checks.poll_action())
        .filter_map(|a| match a {
            Action::RunProbe(r) if r.destination.port() == 8080 => Some(r.path),
            _ => None,
        })
        .collect();
    assert_eq!(
        paths,
        vec![CheckerPath {
            virtual_server: 0,
            real_server: 0,
            checker: 1
        }]
    );
}

// Input: quorum 2 of 3; 10.0.0.1 is down (quorum still up). A reload drops the only checker
// of 10.0.0.1 (a server with no checker is up).
// Output: 10.0.0.1 comes back (one RS UP line) and the quorum is never seen lost on the way:
// it is judged once every server has its state back, not while they are migrated.
#[test]
fn reload_judges_the_quorum_on_the_whole_pool() {
    let mut config = base_config();
    config.virtual_servers[0].quorum = 2;
    let mut lab = Lab::new(config.clone());
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(1.0));
    assert!(lab.checks.virtual_servers()[0].quorum_up);
    lab.events.clear();
    config.virtual_servers[0].real_servers[0].checkers.clear();
    lab.input(Input::Reload(config));
    assert_eq!(
        lab.fifo_lines(),
        vec!["RS [10.0.0.1]:tcp:80 [192.168.201.15]:tcp:80 UP".to_string()]
    );
    assert!(lab.checks.virtual_servers()[0].quorum_up);
}
