//! Fuzz the proc connector decoder (`NETLINK_CONNECTOR` datagrams of fork, exec, comm and
//! exit events) used by `track_process`: never panic, never more events than messages.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let events = keel_sys::fuzzing::proc_events_datagram(data);
    // Each event needs a whole netlink message of at least its 16-byte header.
    assert!(events.len() <= data.len() / 16);
});
