//! The property checkers can fail: deliberately broken worlds are reported.

use std::time::Duration;

use keel_sim::{LinkProfile, build, check};
use keel_vrrp::Version;

fn pair() -> (keel_sim::Sim, keel_sim::SegmentId, Vec<keel_sim::RouterId>) {
    let configs = vec![
        build::router(
            vec![build::instance(
                0,
                1,
                200,
                Version::V2,
                Duration::from_secs(1),
            )],
            false,
        ),
        build::router(
            vec![build::instance(
                1,
                1,
                100,
                Version::V2,
                Duration::from_secs(1),
            )],
            false,
        ),
    ];
    build::lan(1, LinkProfile::IDEAL, configs).unwrap()
}

// Input: two routers split by a partition each become MASTER; the partition heals and the
// check runs at once, before either hears the other.
// Output: single_master reports two masters on the LAN, and vip_exclusive reports the VIP
// held by both (the checker fails on a split brain).
#[test]
fn a_split_brain_after_a_heal_is_reported() {
    let (mut sim, lan, ids) = pair();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    sim.partition(lan, &[&[ids[0]], &[ids[1]]]).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    // Each side alone: one master per connected part is correct.
    check::single_master(&sim).unwrap();
    sim.heal(lan).unwrap();
    let violation = check::single_master(&sim).unwrap_err();
    assert_eq!(violation.property, check::SINGLE_MASTER);
    assert!(violation.detail.contains("[\"r1\", \"r2\"]"), "{violation}");
    let overlap = check::vip_exclusive(&sim, Duration::from_secs(15), sim.now()).unwrap_err();
    assert!(
        overlap.detail.contains("198.51.100.1 held by r1 and r2"),
        "{overlap}"
    );
    // One advert later the lower master yields and the checks pass again (RFC 3768 §6.4.3).
    sim.run_for(Duration::from_millis(1_001)).unwrap();
    check::converged(&sim).unwrap();
}

// Input: r1 (200) with a 60 s preempt_delay rejoins under master r2 (100).
// Output: while the delay runs, preferred_master reports r1 outranking its master.
#[test]
fn a_pending_preemption_is_reported() {
    let mut r1 = build::instance(0, 1, 200, Version::V2, Duration::from_secs(1));
    r1.preempt_delay = Duration::from_secs(60);
    let r2 = build::instance(1, 1, 100, Version::V2, Duration::from_secs(1));
    let configs = vec![
        build::router(vec![r1], false),
        build::router(vec![r2], false),
    ];
    let (mut sim, _, ids) = build::lan(2, LinkProfile::IDEAL, configs).unwrap();
    sim.start(ids[1]).unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    sim.start(ids[0]).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    let violation = check::preferred_master(&sim).unwrap_err();
    assert!(
        violation
            .detail
            .contains("r1 (prio 200) is BACKUP under r2 (prio 100)")
    );
}

// Input: a VIP removed behind keel's back on the master (spec §3.3).
// Output: at the instant of removal the address table no longer matches the MASTER
// (vips_follow_masters fails if the engine did not react); keel reacts by going BACKUP, and
// the re-election restores the VIP.
#[test]
fn an_externally_removed_vip_is_restored_by_re_election() {
    let (mut sim, _, ids) = pair();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    sim.remove_address_externally(ids[0], build::vip(1))
        .unwrap();
    check::vips_follow_masters(&sim).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    check::converged(&sim).unwrap();
    assert_eq!(sim.addresses(ids[0]), vec![build::vip(1)]);
}
