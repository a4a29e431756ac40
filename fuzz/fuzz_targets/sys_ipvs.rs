//! Fuzz keel-sys's hand-written generic netlink reader on what the IPVS family answers:
//! message framing, attribute walking, and the service, destination, sync daemon, info,
//! timeouts and family-id decoders. Never panic; a service or destination that decodes
//! re-encodes (as keel sends it) to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keel_sys::fuzzing::ipvs_datagram(data);
});
