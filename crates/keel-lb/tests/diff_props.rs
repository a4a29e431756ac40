//! Property: applying `diff(a, b)` to `a`, op by op and strictly, yields exactly `b`.

use std::net::{IpAddr, Ipv4Addr};

use keel_lb::{
    Desired, DestKey, Destination, Family, ForwardingMethod, Persistence, Protocol, Scheduler,
    ServiceKey, ServiceSettings, TunnelChecksum, TunnelType, diff,
};
use proptest::prelude::*;

// Small key spaces so that two arbitrary states overlap often (edits, not only adds).
fn service_key() -> impl Strategy<Value = ServiceKey> {
    prop_oneof![
        (0u8..4, 0u16..3, 0u8..3).prop_map(|(host, port, protocol)| {
            let protocol = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp][usize::from(protocol)];
            ServiceKey::address(
                IpAddr::V4(Ipv4Addr::new(192, 168, 0, host)),
                80 + port,
                protocol,
            )
        }),
        (1u32..4, any::<bool>()).prop_map(|(mark, v6)| {
            ServiceKey::fwmark(mark, if v6 { Family::Inet6 } else { Family::Inet })
        }),
    ]
}

fn settings() -> impl Strategy<Value = ServiceSettings> {
    (
        0usize..14,
        any::<bool>(),
        proptest::option::of(0u32..3),
        any::<bool>(),
    )
        .prop_map(
            |(scheduler, flag1, persistence, one_packet)| ServiceSettings {
                scheduler: Scheduler::ALL[scheduler],
                scheduler_flags: keel_lb::SchedulerFlags {
                    flag1,
                    ..Default::default()
                },
                persistence: persistence
                    .map(|timeout| Persistence::per_client(timeout * 100, Family::Inet)),
                one_packet,
                persistence_engine: None,
            },
        )
}

fn destination() -> impl Strategy<Value = Destination> {
    (0u32..4, 0u8..4, 0u32..2).prop_map(|(weight, method, threshold)| Destination {
        weight,
        method: match method {
            0 => ForwardingMethod::Nat,
            1 => ForwardingMethod::DirectRouting,
            2 => ForwardingMethod::Tunnel {
                tunnel: TunnelType::Ipip,
                checksum: TunnelChecksum::None,
            },
            _ => ForwardingMethod::Tunnel {
                tunnel: TunnelType::Gue { port: 6080 },
                checksum: TunnelChecksum::Remote,
            },
        },
        upper_threshold: threshold * 100,
        lower_threshold: 0,
    })
}

fn desired() -> impl Strategy<Value = Desired> {
    proptest::collection::vec(
        (
            service_key(),
            settings(),
            proptest::collection::vec(((1u8..6), 0u16..2, destination()), 0..5),
        ),
        0..6,
    )
    .prop_map(|services| {
        let mut desired = Desired::default();
        for (key, settings, dests) in services {
            desired.insert_service(key, settings);
            for (host, port, destination) in dests {
                let dest = DestKey::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)), 80 + port);
                desired
                    .insert_destination(key, dest, destination)
                    .expect("the service was inserted just above");
            }
        }
        desired
    })
}

proptest! {
    // Input: arbitrary states a and b. Output: a + diff(a, b) == b, every op applies.
    #[test]
    fn applying_the_diff_reaches_the_target(a in desired(), b in desired()) {
        let mut state = a.clone();
        for op in diff(&a, &b) {
            prop_assert_eq!(state.apply(&op), Ok(()), "op {:?}", op);
        }
        prop_assert_eq!(state, b);
    }

    // Input: any state a. Output: diff(a, a) is empty (a reload that changes nothing).
    #[test]
    fn diff_of_a_state_with_itself_is_empty(a in desired()) {
        prop_assert!(diff(&a, &a).is_empty());
    }

    // Input: a and b. Output: the op count is minimal: one op per differing item.
    #[test]
    fn diff_touches_only_what_differs(a in desired(), b in desired()) {
        let ops = diff(&a, &b);
        let mut expected = 0;
        for (key, service) in &a.services {
            match b.service(key) {
                None => expected += 1 + service.destinations.len(),
                Some(other) => {
                    expected += usize::from(service.settings != other.settings);
                    for (dest, destination) in &service.destinations {
                        match other.destinations.get(dest) {
                            None => expected += 1,
                            Some(d) => expected += usize::from(d != destination),
                        }
                    }
                    expected += other.destinations.keys().filter(|d| !service.destinations.contains_key(d)).count();
                }
            }
        }
        for (key, service) in &b.services {
            if a.service(key).is_none() {
                expected += 1 + service.destinations.len();
            }
        }
        prop_assert_eq!(ops.len(), expected);
    }
}
