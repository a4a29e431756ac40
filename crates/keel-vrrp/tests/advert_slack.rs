//! Adverts sent together (issue 4, scale): `Router::advance_adverts` sends at once the
//! adverts due within min(1 ms, 1 % of advert_int), so a daemon with hundreds of instances
//! wakes once for a cluster of deadlines; it never fires anything but an advert early.

mod common;

use std::time::{Duration, Instant};

use common::*;
use keel_vrrp::{
    Action, InstanceConfig, Router, RouterConfig, RouterInput, State, Timer, master_down_interval,
};

const SLACK: Duration = Duration::from_millis(1);

/// A priority-255 (address owner) IPv4 instance with VRID `vrid` and `state MASTER`, which
/// is MASTER from the start (spec §3.3, RFC 5798 §6.4.1), advertising every `interval`.
fn owner(vrid: u8, interval: Duration) -> InstanceConfig {
    let mut config = InstanceConfig::new(&format!("VI_{vrid}"), "eth0", vrid, v4(2));
    config.version = keel_vrrp::Version::V3;
    config.priority = 255;
    config.initial_state = keel_vrrp::InitialState::Master;
    config.advert_interval = interval;
    config.virtual_addresses = vec![v4(2)];
    config
}

fn started(instances: Vec<InstanceConfig>, now: Instant) -> Router {
    let config = RouterConfig {
        instances,
        sync_groups: vec![],
    };
    let mut router = Router::new(config, now).expect("scenario configs are valid");
    router.handle(now, RouterInput::Start);
    while router.poll_action().is_some() {}
    router
}

/// Adds `instance` to the running `router` at `now` (a reload that starts it then).
fn add(router: &mut Router, instance: InstanceConfig, now: Instant) {
    let mut instances: Vec<InstanceConfig> = router
        .instances()
        .iter()
        .map(|i| i.config().clone())
        .collect();
    instances.push(instance);
    let config = RouterConfig {
        instances,
        sync_groups: vec![],
    };
    router
        .reload(now, config)
        .expect("scenario configs are valid");
    while router.poll_action().is_some() {}
}

/// The names of the instances that emitted an advert since the last call.
fn advertised(router: &mut Router) -> Vec<String> {
    let mut names = Vec::new();
    while let Some(action) = router.poll_action() {
        if let (Action::SendAdvert(_), keel_vrrp::Source::Instance { name, .. }) =
            (&action.action, &action.source)
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    names
}

// Input: three MASTER instances (advert_int 100 ms) started at 0, 0.5 ms and 3 ms, so
// their adverts fall due at 100 ms, 100.5 ms and 103 ms; the loop wakes at the first deadline and calls
// handle_timeout then advance_adverts with a 1 ms slack.
// Output: VI_1 and VI_2 advertise in that one wake-up (VI_2 0.5 ms early, within 1 % of
// its interval); VI_3, 3 ms away, does not. VI_2's next advert is due one interval after
// the wake-up, so the two stay together.
#[test]
fn adverts_due_within_the_slack_leave_in_one_wake_up() {
    let start = t0();
    let mut router = started(vec![owner(1, ms(100))], start);
    add(&mut router, owner(2, ms(100)), start + us(500));
    add(&mut router, owner(3, ms(100)), start + ms(3));
    let wake = router.poll_timeout().expect("masters have advert timers");
    assert_eq!(wake, start + ms(100));

    router.handle_timeout(wake);
    router.advance_adverts(wake, SLACK);

    let sent = advertised(&mut router);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent, ["VI_1", "VI_2"]);
    assert_eq!(router.poll_timeout(), Some(start + ms(103)));
    let vi2 = router.instance("VI_2").expect("configured");
    assert_eq!(vi2.poll_timeout(), Some(wake + ms(100)));
}

// Input: one MASTER instance at advert_int 50 ms (1 % = 500 µs) whose advert is due 800 µs
// after the wake-up.
// Output: not sent early: the slack is min(1 ms, 1 % of the instance's own interval).
#[test]
fn the_slack_is_at_most_one_percent_of_the_interval() {
    let start = t0();
    let mut router = started(vec![owner(1, ms(50))], start);
    let due = start + ms(50);
    let wake = due - us(800);
    router.handle_timeout(wake);
    router.advance_adverts(wake, SLACK);
    assert!(advertised(&mut router).is_empty());
    let vi1 = router.instance("VI_1").expect("configured");
    assert_eq!(vi1.state(), State::Master);
    assert_eq!(vi1.timer(Timer::Advert), Some(due));

    // Input: the same instance 400 µs before its deadline. Output: sent now.
    let wake = due - us(400);
    router.advance_adverts(wake, SLACK);
    assert_eq!(advertised(&mut router), ["VI_1"]);
    assert_eq!(router.poll_timeout(), Some(wake + ms(50)));
}

// Input: a BACKUP (priority 100, advert_int 100 ms) whose Master_Down timer expires at
// start + D, and a MASTER whose advert is due 300 µs after that; advance_adverts is called
// 500 µs before D, so both deadlines are within the 1 ms slack.
// Output: nothing fires early: the earliest deadline is a takeover, which is never
// advanced; the backup is still BACKUP with its deadline unchanged.
#[test]
fn a_takeover_is_never_fired_early() {
    let start = t0();
    let down = master_down_interval(keel_vrrp::Version::V3, 100, ms(100), 3);
    let mut backup = InstanceConfig::new("VI_9", "eth0", 9, v4(2));
    backup.version = keel_vrrp::Version::V3;
    backup.priority = 100;
    backup.advert_interval = ms(100);
    backup.virtual_addresses = vec![vip()];
    // The owner's first advert is due one interval after it starts: `down` + 300 µs.
    let mut router = started(vec![backup], start);
    add(
        &mut router,
        owner(1, ms(100)),
        start + down + us(300) - ms(100),
    );
    let vi9 = router.instance("VI_9").expect("configured");
    assert_eq!(vi9.state(), State::Backup);
    assert_eq!(vi9.timer(Timer::MasterDown), Some(start + down));

    let wake = start + down - us(500);
    router.handle_timeout(wake);
    router.advance_adverts(wake, SLACK);

    assert!(advertised(&mut router).is_empty());
    let vi9 = router.instance("VI_9").expect("configured");
    assert_eq!(vi9.state(), State::Backup);
    assert_eq!(router.poll_timeout(), Some(start + down));
}
