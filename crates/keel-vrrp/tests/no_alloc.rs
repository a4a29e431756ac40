//! The steady-state receive and timer paths allocate nothing (issue 3 benchmark target:
//! "avoid allocation on the steady-state receive path"; issue 4: the Router's per-advert and
//! per-timer cost). A counting allocator proves it. It counts per thread: the test harness's
//! main thread allocates while it waits for the test's result (its channel registers a
//! waiter), and on a loaded machine that can fall inside a measured window, as it once did
//! in CI ("sync-group member": 4). Only the test's own thread is measured.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use keel_vrrp::{
    InstanceConfig, ReceivedAdvert, Router, RouterConfig, RouterInput, SyncGroupConfig,
};

struct Counting;

thread_local! {
    /// Allocations made by this thread. Const-initialised with no destructor, so reading
    /// it from inside the allocator never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The allocations the calling thread has made so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: delegates every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A thread being torn down may have lost its slot; it is not a measured thread.
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// Input: a started BACKUP (alone, behind a Router, in a sync group, and one of 510 instances
// on two interfaces) receiving 1000 of its master's adverts; then a router of 510 MASTER
// instances running 1000 advert timers (handle_timeout at each poll_timeout, actions drained).
// Output: zero heap allocations during those calls.
#[test]
fn steady_state_receive_allocates_nothing() {
    let start = t0();
    let packet = advert(1, 200);

    let (mut backup, _) = started(config(2, 100), start);
    backup.handle_advert(start, &packet);
    let before = allocations();
    for i in 1..=1000u64 {
        backup.handle_advert(start + ms(i), &packet);
    }
    assert_eq!(allocations() - before, 0, "Instance::handle_advert");

    let mut router = Router::new(
        RouterConfig {
            instances: vec![config(2, 100)],
            sync_groups: vec![],
        },
        start,
    )
    .expect("valid");
    router.handle(start, RouterInput::Start);
    while router.poll_action().is_some() {}
    router.handle_advert(start, "eth0", &packet);
    let before = allocations();
    for i in 1..=1000u64 {
        router.handle_advert(start + ms(i), "eth0", &packet);
    }
    assert_eq!(allocations() - before, 0, "Router::handle_advert");

    // The same for a member of a sync group.
    let mut vi2 = config(2, 100);
    vi2.name = "VI_2".into();
    vi2.vrid = 52;
    let grouped = RouterConfig {
        instances: vec![config(2, 100), vi2],
        sync_groups: vec![SyncGroupConfig::new("G", &["VI_1", "VI_2"])],
    };
    let mut router = Router::new(grouped, start).expect("valid");
    router.handle(start, RouterInput::Start);
    while router.poll_action().is_some() {}
    router.handle_advert(start, "eth0", &packet);
    let before = allocations();
    for i in 1..=1000u64 {
        router.handle_advert(start + ms(i), "eth0", &packet);
    }
    assert_eq!(allocations() - before, 0, "sync-group member");

    // 510 instances (VRIDs 1–255 on eth0 and eth1): the advert is found by (interface,
    // family, VRID) without a scan, and re-filing the down timer does not allocate either.
    let mut router = Router::new(many(510, 100), start).expect("valid");
    router.handle(start, RouterInput::Start);
    while router.poll_action().is_some() {}
    let packets: Vec<(&str, ReceivedAdvert)> = [("eth0", 7), ("eth1", 200), ("eth0", 255)]
        .into_iter()
        .map(|(interface, vrid)| {
            let mut packet = advert(1, 200);
            packet.vrid = vrid;
            (interface, packet)
        })
        .collect();
    for (interface, packet) in &packets {
        assert!(router.handle_advert(start, interface, packet));
    }
    let before = allocations();
    for i in 1..=1000u64 {
        let (interface, packet) = &packets[i as usize % packets.len()];
        router.handle_advert(start + ms(i), interface, packet);
    }
    assert_eq!(
        allocations() - before,
        0,
        "Router::handle_advert, 510 instances"
    );

    // The timer path: 510 masters (priority 255 starts MASTER at once), each sending an
    // advert every second. Warm up for 10 s so the action queue reaches its steady size.
    let mut router = Router::new(many(510, 255), start).expect("valid");
    router.handle(start, RouterInput::Start);
    while router.poll_action().is_some() {}
    let end = start + secs(10);
    while let Some(deadline) = router.poll_timeout().filter(|&deadline| deadline < end) {
        router.handle_timeout(deadline);
        while router.poll_action().is_some() {}
    }
    let before = allocations();
    let mut adverts = 0;
    for _ in 0..1000 {
        let deadline = router
            .poll_timeout()
            .expect("a MASTER always has an advert timer");
        router.handle_timeout(deadline);
        while let Some(action) = router.poll_action() {
            adverts += usize::from(matches!(action.action, keel_vrrp::Action::SendAdvert(_)));
        }
    }
    assert_eq!(
        allocations() - before,
        0,
        "Router::handle_timeout, 510 masters"
    );
    // Every instance shares the same 1 s schedule: each call sends all 510 adverts.
    assert_eq!(adverts, 1000 * 510);
}

/// `count` instances `VI_<n>` with VRIDs 1–255 on eth0, then on eth1, at `priority`.
fn many(count: usize, priority: u8) -> RouterConfig {
    let instances: Vec<InstanceConfig> = (0..count)
        .map(|n| {
            let mut instance = config(2, priority);
            instance.name = format!("VI_{n}");
            instance.interface = if n < 255 { "eth0" } else { "eth1" }.into();
            instance.vrid = (n % 255 + 1) as u8;
            instance
        })
        .collect();
    RouterConfig {
        instances,
        sync_groups: vec![],
    }
}
