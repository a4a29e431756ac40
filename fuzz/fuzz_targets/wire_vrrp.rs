//! Fuzz the VRRP message decoder on both socket families: decoding must never panic, and
//! whatever decodes must re-encode to a message that decodes to the same values.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use keel_wire::ipv4::VRRP_GROUP;
use keel_wire::vrrp::{ChecksumMode, Endpoints, Family, Packet, Repr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let v4 = Endpoints::V4 { src: Ipv4Addr::new(10, 0, 0, 1), dst: Ipv4Addr::new(10, 0, 0, 2) };
    let v6 = Endpoints::V6 { src: Ipv6Addr::LOCALHOST, dst: keel_wire::ipv6::VRRP_GROUP };
    for (family, endpoints) in [(Family::Ipv4, v4), (Family::Ipv6, v6)] {
        let Ok(packet) = Packet::new_checked(data, family) else { continue };
        let _ = packet.checksum_variant(&endpoints, VRRP_GROUP);
        let _ = packet.auth_data();
        let _ = packet.advert_interval();
        assert_eq!(packet.ip_addrs().count(), usize::from(packet.count()));
        let Ok(repr) = Repr::parse(&packet) else { continue };
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut out, &endpoints, ChecksumMode::Standard)
            .expect("a decoded advert can be encoded");
        let again = Packet::new_checked(&out[..], family).expect("own output is long enough");
        assert_eq!(Repr::parse(&again).expect("own output decodes"), repr);
        assert!(again.verify_checksum(&endpoints, ChecksumMode::Standard));
    }
});
