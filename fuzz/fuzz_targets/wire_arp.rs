//! Fuzz the Ethernet and ARP decoders: never panic; a decoded ARP packet re-encodes to the
//! same values.
#![no_main]

use keel_wire::{arp, ethernet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = ethernet::Frame::new_checked(data) else { return };
    let _ = ethernet::Repr::parse(&frame);
    let Ok(packet) = arp::Packet::new_checked(frame.payload()) else { return };
    let _ = packet.operation();
    let Ok(repr) = arp::Repr::parse(&packet) else { return };
    let mut out = [0u8; arp::PACKET_LEN];
    repr.emit(&mut out).expect("a decoded ARP packet can be encoded");
    let again = arp::Packet::new_checked(&out[..]).expect("own output is long enough");
    assert_eq!(arp::Repr::parse(&again).expect("own output decodes"), repr);
});
