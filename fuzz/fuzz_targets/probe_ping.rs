//! Fuzz PING_CHECK's reply matching on raw ICMP (with the IPv4 header) and ICMPv6
//! datagrams: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keel_probe::fuzzing::ping_reply(data);
});
