//! Seeded randomized runs on the zero-latency LAN: after every disturbance (crash, restart,
//! graceful stop, priority change) and one Master_Down_Interval plus one advert, there is
//! exactly one MASTER among running routers, and it is the best one (RFC 5798 §6.4: highest
//! priority, ties to the highest address) unless nopreempt keeps an older master.

mod common;

use common::*;
use keel_vrrp::{Input, Instance, State, TrackedObject, TrackerId, TrackerStatus};

fn run_seed(seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let start = t0();
    let count = 2 + rng.below(4) as usize;
    let configs: Vec<_> = (0..count)
        .map(|i| {
            // Few distinct priorities so that ties happen often.
            let mut cfg = config(i as u8 + 1, [100, 150, 200][rng.below(3) as usize]);
            cfg.trackers = vec![TrackedObject::state("uplink", -60)];
            cfg
        })
        .collect();
    let mut lan = Lan::new(configs.clone(), start);
    let mut now = start;
    let mut running = vec![true; count];
    for step in 0..12 {
        let node = rng.below(count as u64) as usize;
        match rng.below(4) {
            0 if running[node] => {
                lan.crash(node);
                running[node] = false;
            }
            1 if !running[node] => {
                lan.nodes[node] = Instance::new(configs[node].clone(), now).expect("valid");
                lan.alive[node] = true;
                running[node] = true;
                lan.input(now, node, Input::Start);
            }
            2 if running[node] => {
                let status = if rng.below(2) == 0 {
                    TrackerStatus::Down
                } else {
                    TrackerStatus::Up
                };
                lan.input(
                    now,
                    node,
                    Input::Tracker {
                        id: TrackerId::new("uplink"),
                        status,
                    },
                );
            }
            3 if running[node] && running.iter().filter(|r| **r).count() > 1 => {
                lan.input(now, node, Input::Stop);
                lan.crash(node);
                running[node] = false;
            }
            _ => {}
        }
        // Longest Master_Down_Interval (priority 1: 3 s + 255/256 s) plus one advert.
        now += secs(5);
        lan.run_until(now);
        let masters: Vec<usize> = (0..count)
            .filter(|&i| running[i] && lan.nodes[i].state() == State::Master)
            .collect();
        if running.iter().any(|r| *r) {
            assert_eq!(
                masters.len(),
                1,
                "seed {seed} step {step}: masters {masters:?}"
            );
            let best = (0..count)
                .filter(|&i| running[i])
                .max_by_key(|&i| {
                    (
                        lan.nodes[i].effective_priority(),
                        lan.nodes[i].config().primary_address,
                    )
                })
                .expect("someone runs");
            let (m, b) = (&lan.nodes[masters[0]], &lan.nodes[best]);
            // Preemption means the best router wins; an equal-priority incumbent may keep it
            // (a BACKUP accepts equal priority, spec §3.3).
            assert!(
                m.effective_priority() == b.effective_priority(),
                "seed {seed} step {step}: master {} at {} but best {} at {}",
                masters[0],
                m.effective_priority(),
                best,
                b.effective_priority()
            );
        }
    }
}

// Input: 300 seeded runs of 2–5 routers with crashes, restarts, stops and tracker changes.
// Output: after each disturbance + Master_Down_Interval + one advert, exactly one MASTER,
// with the highest effective priority.
#[test]
fn exactly_one_best_master_after_every_disturbance() {
    for seed in 0..300 {
        run_seed(seed);
    }
}
