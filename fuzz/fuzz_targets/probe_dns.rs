//! Fuzz DNS_CHECK's reply handling: hickory decodes the datagram, keel checks the id,
//! the message type and the response code. Never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keel_probe::fuzzing::dns_reply(data);
});
