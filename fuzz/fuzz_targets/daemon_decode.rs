//! Fuzz the daemon's receive path for adverts (`keel::daemon::net::decode`): the IPv4 path
//! (IP header, optional AH checked with a key, VRRP) and the separate IPv6 path (the VRRP
//! message alone, as the raw socket hands it over). Never panic; whatever is reported as an
//! advert lists as many addresses as its count byte says, and the advert filter's
//! fingerprint of the same bytes names its VRID.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use keel::daemon::net::{Decoded, decode};
use keel_sys::socket::Received;
use keel_sys::socket::filter::Fingerprint;
use keel_vrrp::Family;
use libfuzzer_sys::fuzz_target;

const GROUP4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

fuzz_target!(|data: &[u8]| {
    let v4 = Received {
        len: data.len(),
        source: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        destination: IpAddr::V4(GROUP4),
        hop_limit: 255,
        ifindex: 1,
        timestamp: None,
    };
    let v6 = Received {
        len: data.len(),
        source: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
        destination: IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
        hop_limit: 255,
        ifindex: 1,
        timestamp: None,
    };
    // Even VRIDs use AH, odd ones do not: both branches of the AH check are reached.
    let ah_key = |vrid: u8| (vrid % 2 == 0).then_some(*b"secret\0\0");
    for (family, received, header) in [(Family::Ipv4, v4, true), (Family::Ipv6, v6, false)] {
        // The in-kernel filter's fingerprint of the same bytes (the daemon arms it with
        // one): never panics, whatever the bytes.
        let print = match family {
            Family::Ipv4 => Fingerprint::ipv4(data),
            Family::Ipv6 => Fingerprint::ipv6(data, &received),
        };
        if let Decoded::Advert(advert) = decode(family, data, &received, GROUP4, &ah_key) {
            // Without AH in between, it names the advert's VRID.
            if let Some(print) = print.filter(|_| !header || data[9] == 112) {
                assert_eq!(print.vrid(), advert.vrid);
            }
            // The count byte is the fourth of the VRRP message (after any IP / AH header).
            assert!(advert.addresses.len() <= 255);
            if !header {
                assert_eq!(advert.addresses.len(), usize::from(data[3]));
            }
        }
    }
});
