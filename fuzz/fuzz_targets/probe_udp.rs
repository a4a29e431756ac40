//! Fuzz UDP_CHECK's `require_reply` hex patterns (with `x` wildcard nibbles), payload hex
//! and reply judging: never panic; a pattern matches its own bytes; a payload's hex text
//! round-trips.
//!
//! The input is `PATTERN TEXT \n REPLY BYTES`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let pattern = String::from_utf8_lossy(&data[..split]);
    let reply = data.get(split + 1..).unwrap_or_default();
    keel_probe::fuzzing::udp_reply(&pattern, reply);
});
