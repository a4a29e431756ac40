use std::time::Duration;

use keel_sim::{Detail, LinkProfile, build, check};
use keel_vrrp::{State, Version};

#[test]
fn smoke() {
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
    let (mut sim, _lan, ids) = build::lan(1, LinkProfile::IDEAL, configs).unwrap();
    sim.start_all().unwrap();
    sim.run_until(Duration::from_secs(10)).unwrap();
    println!("{}", sim.timeline().render(Detail::Compact));
    check::converged(&sim).unwrap();
    assert_eq!(sim.state(ids[0], "VI_1"), Some(State::Master));
    sim.crash(ids[0]).unwrap();
    sim.run_for(Duration::from_secs(10)).unwrap();
    println!("{}", sim.timeline().render(Detail::Compact));
    check::converged(&sim).unwrap();
}
