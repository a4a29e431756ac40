//! What the virtual wire does to adverts: latency, loss, duplication, partitions, links.

use std::time::Duration;

use keel_sim::{Fate, LinkProfile, RouterStatus, build, check};
use keel_vrrp::{RouterConfig, State, Version};

fn v2(index: usize, priority: u8) -> RouterConfig {
    build::router(
        vec![build::instance(
            index,
            1,
            priority,
            Version::V2,
            Duration::from_secs(1),
        )],
        false,
    )
}

// Input: a wire with 7 ms latency and no jitter.
// Output: every copy arrives exactly 7 ms after it was sent.
#[test]
fn latency_delays_every_copy_exactly() {
    let profile = LinkProfile {
        latency: Duration::from_millis(7),
        ..LinkProfile::IDEAL
    };
    let (mut sim, _, _) = build::lan(1, profile, vec![v2(0, 200), v2(1, 100)]).unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    assert!(!sim.deliveries().is_empty());
    for delivery in sim.deliveries() {
        assert_eq!(delivery.at - delivery.sent_at, Duration::from_millis(7));
    }
}

// Input: a wire that loses everything.
// Output: no copy is delivered, so both routers believe they are alone and both are MASTER
// (each is its own connected part as far as VRRP can tell) — the classic split brain.
#[test]
fn total_loss_splits_the_brain() {
    let profile = LinkProfile::IDEAL.with_loss(1.0);
    let (mut sim, _, ids) = build::lan(2, profile, vec![v2(0, 200), v2(1, 100)]).unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    assert!(sim.deliveries().iter().all(|d| d.fate == Fate::Lost));
    assert_eq!(sim.state(ids[0], "VI_1"), Some(State::Master));
    assert_eq!(sim.state(ids[1], "VI_1"), Some(State::Master));
    assert!(check::single_master(&sim).is_err());
}

// Input: a wire that duplicates every copy.
// Output: each advert reaches its receiver twice; the election is unaffected.
#[test]
fn duplicates_arrive_twice_and_change_nothing() {
    let profile = LinkProfile {
        duplicate: 1.0,
        ..LinkProfile::IDEAL
    };
    let (mut sim, _, ids) = build::lan(3, profile, vec![v2(0, 200), v2(1, 100)]).unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    let sent = sim.adverts().iter().filter(|a| a.router == ids[0]).count();
    let delivered = sim
        .deliveries()
        .iter()
        .filter(|d| d.from == ids[0] && d.fate == Fate::Delivered)
        .count();
    assert_eq!(delivered, 2 * sent);
    check::converged(&sim).unwrap();
}

// Input: r1 (200) master, r2, r3; r1 is partitioned away, later healed.
// Output: during the partition each part has one master (r1 alone, r2 for {r2, r3}); copies
// across the cut are unreachable; after the heal r1 is the only master again.
#[test]
fn a_partition_gives_each_part_a_master_and_the_heal_restores_one() {
    let (mut sim, lan, ids) = build::lan(
        4,
        LinkProfile::IDEAL,
        vec![v2(0, 200), v2(1, 150), v2(2, 100)],
    )
    .unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    sim.partition(lan, &[&[ids[0]]]).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    assert_eq!(
        sim.components(lan),
        vec![vec![ids[0]], vec![ids[1], ids[2]]]
    );
    check::converged(&sim).unwrap();
    assert_eq!(sim.state(ids[1], "VI_1"), Some(State::Master));
    assert!(sim.deliveries().iter().any(|d| d.fate == Fate::Unreachable));
    sim.heal(lan).unwrap();
    sim.run_for(Duration::from_secs(5)).unwrap();
    check::converged(&sim).unwrap();
    assert_eq!(sim.state(ids[1], "VI_1"), Some(State::Backup));
    assert!(
        sim.timeline()
            .render(keel_sim::Detail::Compact)
            .contains("partition lan: {r1} | {r2,r3}")
    );
}

// Input: the master's link goes down, later up.
// Output: it goes FAULT and sends nothing on the wire; r2 takes over; when the link returns,
// r1 (higher priority) preempts again (spec §3.3 FAULT, leaving FAULT ⇒ BACKUP).
#[test]
fn a_link_down_faults_the_router_and_a_link_up_brings_it_back() {
    let (mut sim, _, ids) =
        build::lan(5, LinkProfile::IDEAL, vec![v2(0, 200), v2(1, 100)]).unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    sim.set_link(ids[0], build::INTERFACE, false).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    assert_eq!(sim.state(ids[0], "VI_1"), Some(State::Fault));
    assert_eq!(sim.state(ids[1], "VI_1"), Some(State::Master));
    let goodbye = sim
        .adverts()
        .iter()
        .find(|a| a.router == ids[0] && a.priority == 0);
    assert!(
        goodbye.is_some_and(|a| !a.on_wire),
        "priority 0 cannot leave a down link"
    );
    sim.set_link(ids[0], build::INTERFACE, true).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    assert_eq!(sim.state(ids[0], "VI_1"), Some(State::Master));
    check::converged(&sim).unwrap();
    assert_eq!(sim.status(ids[0]), Some(RouterStatus::Running));
}

// Input: r2's tracker reports Down while r2 is stopped; r2 restarts.
// Output: the restarted daemon starts with the reduced priority (trackers report again).
#[test]
fn a_restarted_router_hears_its_trackers_again() {
    let (mut sim, _, ids) =
        build::lan(6, LinkProfile::IDEAL, vec![v2(0, 200), v2(1, 100)]).unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    sim.stop(ids[1]).unwrap();
    sim.set_tracker(ids[1], build::TRACKER, keel_vrrp::TrackerStatus::Down)
        .unwrap();
    sim.start(ids[1]).unwrap();
    let priority = sim.instance(ids[1], "VI_1").map(|i| i.effective_priority());
    assert_eq!(priority, Some(100 - build::TRACKER_WEIGHT as u8));
}
