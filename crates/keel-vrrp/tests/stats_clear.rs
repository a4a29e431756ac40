//! SIGRTMAX-1 (spec §1.2): the daemon writes `keepalived.stats`, then zeroes every counter
//! with `Router::clear_stats`; state and timers carry on.

mod common;

use common::*;
use keel_vrrp::{Router, RouterConfig, RouterInput, State, Stats};

// Input: a router whose instance received two adverts, then ran alone until MASTER and
// sent adverts; clear_stats.
// Output: every counter is 0, the instance is still MASTER with the same next deadline,
// and the next advert it sends counts from 0 (advert_sent 1).
#[test]
fn clear_stats_zeroes_counters_and_keeps_state() {
    let start = t0();
    let config = RouterConfig {
        instances: vec![config(2, 100)],
        sync_groups: vec![],
    };
    let mut router = Router::new(config, start).expect("valid config");
    router.handle(start, RouterInput::Start);
    assert!(router.handle_advert(start + ms(100), "eth0", &advert(1, 200)));
    assert!(router.handle_advert(start + ms(200), "eth0", &advert(1, 200)));
    while router.instances()[0].state() != State::Master
        || router.instances()[0].stats().advert_sent < 2
    {
        let now = router
            .poll_timeout()
            .expect("a BACKUP or MASTER always has a deadline");
        router.handle_timeout(now);
        while router.poll_action().is_some() {}
        assert!(now < start + secs(30), "never became MASTER");
    }
    let stats = *router.instances()[0].stats();
    assert_eq!(stats.advert_rcvd, 2);
    assert_eq!(stats.become_master, 1);

    let deadline = router.poll_timeout();
    router.clear_stats();
    assert_eq!(*router.instances()[0].stats(), Stats::default());
    assert_eq!(router.instances()[0].state(), State::Master);
    assert_eq!(router.poll_timeout(), deadline);

    let next = deadline.expect("a MASTER has an advert deadline");
    router.handle_timeout(next);
    while router.poll_action().is_some() {}
    assert_eq!(router.instances()[0].stats().advert_sent, 1);
}
