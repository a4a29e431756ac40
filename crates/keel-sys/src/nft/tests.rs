//! What the backend writes for one service, read as nftables rules.

use std::net::IpAddr;

use keel_lb::{
    DestKey, Destination, Family, Persistence, Protocol, Scheduler, SchedulerFlags, Service,
    ServiceKey, ServiceSettings,
};

use super::script::{Slot, name, replace_service};
use crate::error::Error;

fn rs(address: &str, port: u16) -> DestKey {
    DestKey::new(address.parse::<IpAddr>().unwrap(), port)
}

fn service(scheduler: Scheduler, dests: &[(DestKey, u32)]) -> Service {
    Service {
        settings: ServiceSettings {
            scheduler,
            ..ServiceSettings::default()
        },
        destinations: dests
            .iter()
            .map(|(d, w)| (*d, Destination::nat(*w)))
            .collect(),
    }
}

fn render(key: &ServiceKey, old: Option<&Service>, new: &Service) -> String {
    let mut out = String::new();
    let ids: Vec<DestKey> = new.destinations.keys().copied().collect();
    let id = |dest: &DestKey| {
        ids.iter()
            .position(|d| d == dest)
            .map_or(0, |i| i as u16 + 1)
    };
    replace_service(
        &mut out,
        key,
        Slot {
            name: &name(key),
            index: 2,
        },
        old,
        new,
        &id,
    )
    .unwrap();
    out
}

// Input: `virtual_server 10.88.1.100 80 { lvs_sched wrr }` with weights 1, 2, 3 and a
// fourth real server at weight 0.
// Output: a cycle of 6 slots split 1/2/3, marks 0x2000N; the weight-0 server gets no slot
// and, without persistence, no translation either.
#[test]
fn weighted_round_robin_slots_follow_weights() {
    let key = ServiceKey::address("10.88.1.100".parse().unwrap(), 80, Protocol::Tcp);
    let new = service(
        Scheduler::Wrr,
        &[
            (rs("10.88.2.10", 8000), 1),
            (rs("10.88.2.11", 8000), 2),
            (rs("10.88.2.12", 8000), 3),
            (rs("10.88.2.13", 8000), 0),
        ],
    );
    let text = render(&key, None, &new);
    assert_eq!(
        text,
        "add chain inet keel svc_tcp_10_88_1_100_80
flush chain inet keel svc_tcp_10_88_1_100_80
add rule inet keel svc_tcp_10_88_1_100_80 ct mark set numgen inc mod 6 map { 0-0 : 0x20001, 1-2 : 0x20002, 3-5 : 0x20003 }
add rule inet keel svc_tcp_10_88_1_100_80 meta l4proto tcp dnat ip to ct mark map { 0x20001 : 10.88.2.10 . 8000, 0x20002 : 10.88.2.11 . 8000, 0x20003 : 10.88.2.12 . 8000 }
add element inet keel dispatch4 { 10.88.1.100 . tcp . 80 : jump svc_tcp_10_88_1_100_80 }
"
    );
    // An edit of an existing service rewrites its chain only: no dispatch element again.
    assert!(!render(&key, Some(&new), &new).contains("dispatch4"));
}

// Input: `lvs_sched sh` with `sh-port`; `lvs_sched fo`; `lvs_sched rr` with unequal weights.
// Output: a jhash over client address and port; the heaviest server alone; equal slots.
#[test]
fn schedulers_map_to_hashing_failover_and_equal_cycling() {
    let key = ServiceKey::address("10.88.1.100".parse().unwrap(), 80, Protocol::Tcp);
    let dests = [(rs("10.88.2.10", 80), 1), (rs("10.88.2.11", 80), 5)];
    let mut sh = service(Scheduler::Sh, &dests);
    sh.settings.scheduler_flags = SchedulerFlags {
        flag1: false,
        flag2: true,
        flag3: false,
    };
    assert!(render(&key, None, &sh).contains(
        "ct mark set jhash ip saddr . th sport mod 6 seed 0x0 map { 0-0 : 0x20001, 1-5 : 0x20002 }"
    ));
    assert!(render(&key, None, &service(Scheduler::Fo, &dests)).contains("ct mark set 0x20002\n"));
    assert!(
        render(&key, None, &service(Scheduler::Rr, &dests))
            .contains("numgen inc mod 2 map { 0-0 : 0x20001, 1-1 : 0x20002 }")
    );
}

// Input: fwmark 7 (IPv6) with persistence_timeout 600 per /64, real servers without port.
// Output: a dynamic set of client /64 . mark with a 600 s timeout, one remembered-client
// rule per server before the pick, the postrouting refresh, address-only DNAT, and a mark6
// dispatch element.
#[test]
fn persistent_fwmark_service() {
    let key = ServiceKey::fwmark(7, Family::Inet6);
    let mut new = service(
        Scheduler::Wrr,
        &[(rs("2001:db8:2::10", 0), 1), (rs("2001:db8:2::11", 0), 1)],
    );
    new.settings.persistence = Some(Persistence {
        timeout: 600,
        netmask: 64,
    });
    let text = render(&key, None, &new);
    for line in [
        "add set inet keel persist_fwm6_7 { type ipv6_addr . mark; flags dynamic, timeout; timeout 600s; }",
        "add rule inet keel post_fwm6_7 update @persist_fwm6_7 { ip6 saddr & ffff:ffff:ffff:ffff:: . ct mark }",
        "add element inet keel post { 0x20000 : jump post_fwm6_7 }",
        "add rule inet keel svc_fwm6_7 ct mark set 0x20001 ip6 saddr & ffff:ffff:ffff:ffff:: . ct mark @persist_fwm6_7 dnat ip6 to 2001:db8:2::10",
        "add rule inet keel svc_fwm6_7 ct mark set 0x20002 ip6 saddr & ffff:ffff:ffff:ffff:: . ct mark @persist_fwm6_7 dnat ip6 to 2001:db8:2::11",
        "add rule inet keel svc_fwm6_7 dnat ip6 to ct mark map { 0x20001 : 2001:db8:2::10, 0x20002 : 2001:db8:2::11 }",
        "add element inet keel mark6 { 0x7 : jump svc_fwm6_7 }",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\nnot in\n{text}");
    }
    // Dropping persistence removes the set's users and the refresh's dispatch entry.
    let mut plain = new.clone();
    plain.settings.persistence = None;
    let text = render(&key, Some(&new), &plain);
    assert!(text.contains("delete set inet keel persist_fwm6_7"));
    assert!(text.contains("delete element inet keel post { 0x20000 }"));
}

// Input: an IPv4 real server under an IPv6 service; a port-less address service.
// Output: both refused as InvalidArgument (DNAT cannot express them), nothing rendered.
#[test]
fn inexpressible_services_are_refused() {
    let key = ServiceKey::address("2001:db8::1".parse().unwrap(), 80, Protocol::Tcp);
    let new = service(Scheduler::Wrr, &[(rs("10.0.0.1", 80), 1)]);
    let mut out = String::new();
    let slot = Slot {
        name: "x",
        index: 1,
    };
    assert!(matches!(
        replace_service(&mut out, &key, slot, None, &new, &|_| 1),
        Err(Error::InvalidArgument(_))
    ));
    let key = ServiceKey::address("10.0.0.100".parse().unwrap(), 0, Protocol::Tcp);
    let new = service(Scheduler::Wrr, &[(rs("10.0.0.1", 80), 1)]);
    assert!(matches!(
        replace_service(&mut out, &key, slot, None, &new, &|_| 1),
        Err(Error::InvalidArgument(_))
    ));
    assert!(out.is_empty());
}
