//! Fuzz the IPsec AH header decoder and keepalived's ICV (HMAC-MD5-96) over arbitrary
//! datagrams: never panic; a decoded AH header re-encodes to the same values; a datagram
//! that `sign` accepts carries the ICV that `icv` computes for it afterwards.
#![no_main]

use keel_wire::auth::ah;
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 8] = *b"secret\0\0";

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = ah::Packet::new_checked(data) {
        let _ = packet.payload();
        if let Ok(repr) = ah::Repr::parse(&packet) {
            let mut out = [0u8; ah::HEADER_LEN];
            repr.emit(&mut out)
                .expect("a decoded AH header can be encoded");
            let again = ah::Packet::new_checked(&out[..]).expect("own output is long enough");
            assert_eq!(ah::Repr::parse(&again).expect("own output decodes"), repr);
        }
    }
    for unicast in [false, true] {
        let _ = ah::verify(&KEY, data, unicast);
        let mut signed = data.to_vec();
        if ah::sign(&KEY, &mut signed, unicast).is_ok() {
            let header_len = usize::from(signed[0] & 0x0f) * 4;
            let at = header_len + 12;
            let icv = ah::icv(&KEY, &signed, unicast).expect("a signed datagram has an ICV");
            assert_eq!(&signed[at..at + ah::ICV_LEN], &icv[..]);
        }
    }
});
