//! Seeded random runs (issue 3 "Simulation properties"): 2–6 routers with random priorities,
//! intervals, nopreempt and preempt_delay, each put through random disturbances with every
//! property checked after each. A failure prints the seed, the plan and the timeline.

use keel_sim::random::{self, Options, Outcome};

fn run_seeds(first: u64, count: u64, options: Options) -> Outcome {
    let mut total = Outcome::default();
    for seed in first..first + count {
        match random::run(seed, &options) {
            Ok(outcome) => {
                total.disturbances += outcome.disturbances;
                total.checks += outcome.checks;
                total.timed_takeovers += outcome.timed_takeovers;
                total.transitions += outcome.transitions;
            }
            Err(failure) => panic!("seed {seed} failed:\n{failure}"),
        }
    }
    total
}

// Input: 300 worlds on an ideal wire (no delay), 6 disturbances each.
// Output: every property holds after every disturbance, and takeovers after a crash, a
// graceful stop or a preemption happen at the RFC-predicted instant to the millisecond.
#[test]
fn ideal_wire_runs_meet_every_property_and_exact_timing() {
    let total = run_seeds(
        1,
        300,
        Options {
            sync_group: false,
            unicast: false,
            ipv6: false,
            ideal_wire: true,
            disturbances: 6,
        },
    );
    println!("{total:?}");
    assert_eq!(total.disturbances, 300 * 6);
    assert!(total.timed_takeovers > 300, "{total:?}");
}

// Input: 250 worlds on a real wire: 0–5 ms latency and jitter, up to 5% duplicates and
// reordering, 6 disturbances each.
// Output: every property holds after every disturbance; takeover times still follow the RFC
// timers measured from when each backup last heard the master.
#[test]
fn lossy_wire_runs_meet_every_property() {
    let total = run_seeds(
        10_001,
        250,
        Options {
            sync_group: false,
            unicast: false,
            ipv6: false,
            ideal_wire: false,
            disturbances: 6,
        },
    );
    println!("{total:?}");
    assert_eq!(total.disturbances, 250 * 6);
}

// Input: 200 worlds where every router runs VI_1 and VI_2 in one sync group, on an ideal
// wire, 6 disturbances each.
// Output: members never split (checked after every step), one router is master of both
// VRIDs, and takeovers wait for the slower member (spec §3.6).
#[test]
fn sync_group_runs_never_split() {
    let total = run_seeds(
        20_001,
        200,
        Options {
            sync_group: true,
            unicast: false,
            ipv6: false,
            ideal_wire: true,
            disturbances: 6,
        },
    );
    println!("{total:?}");
    assert_eq!(total.disturbances, 200 * 6);
}

// Input: 150 sync-group worlds on a real wire.
// Output: as above, without exact timing.
#[test]
fn sync_group_runs_on_a_real_wire_never_split() {
    let total = run_seeds(
        30_001,
        150,
        Options {
            sync_group: true,
            unicast: false,
            ipv6: false,
            ideal_wire: false,
            disturbances: 6,
        },
    );
    println!("{total:?}");
    assert_eq!(total.disturbances, 150 * 6);
}

// Input: 150 worlds whose routers list each other as unicast peers (spec §3.11) on a real
// wire, 6 disturbances each.
// Output: the same properties as multicast: adverts reach exactly the configured peers.
#[test]
fn unicast_runs_meet_every_property() {
    let total = run_seeds(
        40_001,
        150,
        Options {
            sync_group: false,
            ideal_wire: false,
            unicast: true,
            ipv6: false,
            disturbances: 6,
        },
    );
    println!("{total:?}");
    assert_eq!(total.disturbances, 150 * 6);
}

// Input: 100 IPv6 worlds (VRRPv3 over ff02::12, link-local sources) on a real wire.
// Output: the same properties as IPv4.
#[test]
fn ipv6_runs_meet_every_property() {
    let total = run_seeds(
        50_001,
        100,
        Options {
            sync_group: false,
            ideal_wire: false,
            unicast: false,
            ipv6: true,
            disturbances: 6,
        },
    );
    println!("{total:?}");
    assert_eq!(total.disturbances, 100 * 6);
}
