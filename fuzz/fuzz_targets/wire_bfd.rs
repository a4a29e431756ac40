//! Fuzz the BFD control packet decoder: never panic; a decoded packet without an
//! authentication section and without both P and F re-encodes to the same values.
#![no_main]

use keel_wire::bfd;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = bfd::Packet::new_checked(data) else { return };
    let _ = (packet.state(), packet.diagnostic(), packet.required_min_echo_rx());
    let Ok(repr) = bfd::Repr::parse(&packet) else { return };
    if repr.auth.is_some() || (repr.poll && repr.final_flag) {
        assert!(repr.to_bytes().is_err(), "keel never sends these");
        return;
    }
    let bytes = repr.to_bytes().expect("a decoded packet can be encoded");
    assert_eq!(bfd::Repr::decode(&bytes).expect("own output decodes"), repr);
});
