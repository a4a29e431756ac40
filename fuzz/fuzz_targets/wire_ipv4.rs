//! Fuzz the IPv4 datagram decoder (IPv4 header, AH, VRRP) as a raw socket hands it over:
//! never panic; a decoded IPv4 header re-encodes to the same values.
#![no_main]

use keel_wire::advert::Ipv4Advert;
use keel_wire::ipv4::{Packet, Repr};
use keel_wire::vrrp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(advert) = Ipv4Advert::parse(data) {
        let _ = vrrp::Repr::parse(&advert.vrrp);
        let _ = advert.vrrp.checksum_variant(&advert.endpoints(), keel_wire::ipv4::VRRP_GROUP);
        let _ = advert.verify_ah(b"secret\0\0", false);
        let _ = advert.verify_ah(b"secret\0\0", true);
    }
    let Ok(packet) = Packet::new_checked(data) else { return };
    let Ok(repr) = Repr::parse(&packet) else { return };
    let mut out = vec![0u8; repr.buffer_len() + repr.payload_len];
    repr.emit(&mut out).expect("a decoded header can be encoded");
    let again = Packet::new_checked(&out[..]).expect("own output is long enough");
    assert_eq!(Repr::parse(&again).expect("own output decodes"), repr);
});
