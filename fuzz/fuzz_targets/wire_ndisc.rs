//! Fuzz the Ethernet, IPv6 and neighbour advertisement decoders: never panic; a decoded NA
//! re-encodes (between the same addresses) to the same values.
#![no_main]

use keel_wire::{ethernet, ipv6, ndisc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = ethernet::Frame::new_checked(data) else { return };
    let Ok(ip) = ipv6::Packet::new_checked(frame.payload()) else { return };
    let _ = ipv6::Repr::parse(&ip);
    let Ok(packet) = ndisc::Packet::new_checked(ip.payload()) else { return };
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let Ok(repr) = ndisc::Repr::parse(&packet, src, dst) else { return };
    let mut out = vec![0u8; repr.buffer_len()];
    repr.emit(&mut out, src, dst).expect("a decoded NA can be encoded");
    let again = ndisc::Packet::new_checked(&out[..]).expect("own output is long enough");
    assert_eq!(ndisc::Repr::parse(&again, src, dst).expect("own output decodes"), repr);
});
