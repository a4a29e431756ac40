//! The steady-state receive path allocates nothing (issue 3 benchmark target: "avoid
//! allocation on the steady-state receive path"). A counting allocator proves it; this file
//! holds a single test so no other test allocates concurrently.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use keel_vrrp::{Router, RouterConfig, RouterInput, SyncGroupConfig};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
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

// Input: a started BACKUP (alone, behind a Router, and in a sync group) receiving 1000 of its master's adverts.
// Output: zero heap allocations during those 1000 calls.
#[test]
fn steady_state_receive_allocates_nothing() {
    let start = t0();
    let packet = advert(1, 200);

    let (mut backup, _) = started(config(2, 100), start);
    backup.handle_advert(start, &packet);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for i in 1..=1000u64 {
        backup.handle_advert(start + ms(i), &packet);
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        0,
        "Instance::handle_advert"
    );

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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for i in 1..=1000u64 {
        router.handle_advert(start + ms(i), "eth0", &packet);
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        0,
        "Router::handle_advert"
    );

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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for i in 1..=1000u64 {
        router.handle_advert(start + ms(i), "eth0", &packet);
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        0,
        "sync-group member"
    );
}
