//! Fuzz PING_CHECK's reply matching on raw ICMP (with the IPv4 header) and ICMPv6
//! datagrams: never panic; a reply matching the identifier also matches without the check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // black_box: the matchers are pure, unused results would be optimised away.
    std::hint::black_box(keel_probe::fuzzing::ping_reply(data));
});
