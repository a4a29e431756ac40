//! Rendering the `keel` table and one service's rules as `nft -f` text (pure; the backend
//! in `mod.rs` runs it).
//!
//! Layout of `table inet keel`:
//!
//! * `dispatch` (jumped to from the nat `prerouting` and `output` hooks) finds the service of
//!   a new connection: fwmark services first (`meta mark vmap @mark4/@mark6`, as IPVS looks
//!   up fwmark services before address ones), then `daddr . l4proto . dport vmap
//!   @dispatch4/@dispatch6`. Each element jumps to the service's chain `svc_<name>`.
//! * `svc_<name>` picks a destination and DNATs to it. The pick is written to the
//!   connection's `ct mark` as `service index << 16 | destination id`, then one
//!   `dnat … to ct mark map { id : address . port }` translates it. Weight 0 destinations
//!   are in the translation map but get no slot in the pick (IPVS's quiescent servers).
//! * Persistence (`persistence_timeout`): a dynamic set `persist_<name>` of client (masked by
//!   `persistence_granularity`) `.` ct mark, with that timeout. `svc_<name>` first tries,
//!   for each destination still in the service, whether the client is remembered with it
//!   and DNATs there; otherwise the normal pick runs. A server that left the service has no
//!   such rule, so its remembered clients are scheduled anew. The postrouting filter hook
//!   adds or refreshes the pair on every original-direction packet, dispatching on
//!   `ct mark & 0xffff0000` to `post_<name>`. (A set rather than a map: nftables updates a
//!   map element's timeout but never its value.)

use std::fmt::Write as _;
use std::net::IpAddr;

use keel_lb::{DestKey, Family, Scheduler, Service, ServiceKey};

use crate::error::{Error, Result};

/// The table keel owns; nothing else is ever touched.
pub const TABLE: &str = "inet keel";

/// Recreates the table empty (the `add` + `delete` pair makes it work whether or not a
/// previous run left one behind).
pub(crate) fn base() -> String {
    format!(
        "add table {TABLE}
delete table {TABLE}
table {TABLE} {{
    map dispatch4 {{ type ipv4_addr . inet_proto . inet_service : verdict; }}
    map dispatch6 {{ type ipv6_addr . inet_proto . inet_service : verdict; }}
    map mark4 {{ type mark : verdict; }}
    map mark6 {{ type mark : verdict; }}
    map post {{ type mark : verdict; }}
    chain dispatch {{
        meta nfproto ipv4 meta mark vmap @mark4
        meta nfproto ipv6 meta mark vmap @mark6
        ip daddr . meta l4proto . th dport vmap @dispatch4
        ip6 daddr . meta l4proto . th dport vmap @dispatch6
    }}
    chain prerouting {{ type nat hook prerouting priority dstnat; policy accept; jump dispatch; }}
    chain output {{ type nat hook output priority -100; policy accept; jump dispatch; }}
    chain postrouting {{
        type filter hook postrouting priority filter; policy accept;
        ct direction original ct mark & 0xffff0000 vmap @post
    }}
}}
"
    )
}

/// Where a service's objects are: its name stem and its index (the ct mark's high half).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot<'a> {
    pub(crate) name: &'a str,
    pub(crate) index: u16,
}

/// A chain/map name stem for a service: `tcp_192_168_201_15_80`, `fwm4_7`.
pub(crate) fn name(key: &ServiceKey) -> String {
    match *key {
        ServiceKey::Address {
            address,
            port,
            protocol,
        } => format!(
            "{}_{}_{port}",
            protocol.as_str(),
            address.to_string().replace(['.', ':'], "_")
        ),
        ServiceKey::Fwmark { mark, family } => match family {
            Family::Inet => format!("fwm4_{mark}"),
            Family::Inet6 => format!("fwm6_{mark}"),
        },
    }
}

/// Commands that create (`old` is `None`) or replace service `key` so that it holds
/// `service`; `ids` gives every destination's id (1..=65535). Only this service's objects
/// are named, so the other services keep running untouched in the same transaction.
pub(crate) fn replace_service(
    out: &mut String,
    key: &ServiceKey,
    slot: Slot<'_>,
    old: Option<&Service>,
    service: &Service,
    ids: &dyn Fn(&DestKey) -> u16,
) -> Result<()> {
    let Slot { name, index } = slot;
    let family = key.family();
    let saddr = match family {
        Family::Inet => "ip saddr",
        Family::Inet6 => "ip6 saddr",
    };
    let mark = |dest: &DestKey| (u32::from(index) << 16) | u32::from(ids(dest));
    if let ServiceKey::Address { port: 0, .. } = key {
        return Err(Error::InvalidArgument(format!(
            "{key}: port-less services need IPVS"
        )));
    }
    for dest in service.destinations.keys() {
        if Family::of(dest.address) != family {
            return Err(Error::InvalidArgument(format!(
                "nftables DNAT cannot send {} traffic to {}",
                key, dest.address
            )));
        }
    }
    let targets = targets(key, service, &mark)?;

    let _ = writeln!(out, "add chain {TABLE} svc_{name}");
    let _ = writeln!(out, "flush chain {TABLE} svc_{name}");
    let had_persistence = old.and_then(|s| s.settings.persistence);
    let persistence = service.settings.persistence;
    if had_persistence.is_some() && had_persistence != persistence {
        // A changed timeout or granularity needs a new set; its users go first.
        let _ = writeln!(out, "flush chain {TABLE} post_{name}");
        let _ = writeln!(out, "delete set {TABLE} persist_{name}");
    }
    if let Some(persistence) = persistence {
        let client = client_key(saddr, family, persistence.netmask);
        let _ = writeln!(
            out,
            "add set {TABLE} persist_{name} {{ type {}_addr . mark; flags dynamic, timeout; timeout {}s; }}",
            if family == Family::Inet {
                "ipv4"
            } else {
                "ipv6"
            },
            persistence.timeout.max(1)
        );
        let _ = writeln!(out, "add chain {TABLE} post_{name}");
        let _ = writeln!(out, "flush chain {TABLE} post_{name}");
        let _ = writeln!(
            out,
            "add rule {TABLE} post_{name} update @persist_{name} {{ {client} . ct mark }}"
        );
        let _ = writeln!(
            out,
            "add element {TABLE} post {{ {:#x} : jump post_{name} }}",
            u32::from(index) << 16
        );
        // Weight-0 servers keep their remembered clients, as IPVS's quiescent servers do.
        for target in &targets.all {
            let _ = writeln!(
                out,
                "add rule {TABLE} svc_{name} {}ct mark set {:#x} {client} . ct mark @persist_{name} dnat {} to {}",
                targets.l4, target.mark, targets.ip, target.plain
            );
        }
    } else if had_persistence.is_some() {
        let _ = writeln!(
            out,
            "delete element {TABLE} post {{ {:#x} }}",
            u32::from(index) << 16
        );
        let _ = writeln!(out, "delete chain {TABLE} post_{name}");
    }
    if let Some(pick) = pick(service, saddr, &mark) {
        let live: Vec<String> = targets
            .all
            .iter()
            .filter(|target| target.live)
            .map(|target| format!("{:#x} : {}", target.mark, target.in_map))
            .collect();
        let _ = writeln!(out, "add rule {TABLE} svc_{name} ct mark set {pick}");
        let _ = writeln!(
            out,
            "add rule {TABLE} svc_{name} {}dnat {} to ct mark map {{ {} }}",
            targets.l4,
            targets.ip,
            live.join(", ")
        );
    }
    if old.is_none() {
        let _ = writeln!(
            out,
            "add element {TABLE} {} {{ {} : jump svc_{name} }}",
            dispatch_map(key),
            dispatch_key(key)
        );
    }
    Ok(())
}

/// Commands that remove service `key` and all its objects.
pub(crate) fn delete_service(out: &mut String, key: &ServiceKey, slot: Slot<'_>, old: &Service) {
    let Slot { name, index } = slot;
    let _ = writeln!(
        out,
        "delete element {TABLE} {} {{ {} }}",
        dispatch_map(key),
        dispatch_key(key)
    );
    let _ = writeln!(out, "delete chain {TABLE} svc_{name}");
    if old.settings.persistence.is_some() {
        let _ = writeln!(
            out,
            "delete element {TABLE} post {{ {:#x} }}",
            u32::from(index) << 16
        );
        let _ = writeln!(out, "delete chain {TABLE} post_{name}");
        let _ = writeln!(out, "delete set {TABLE} persist_{name}");
    }
}

struct Targets {
    /// `meta l4proto … ` when the translation carries a port, else empty.
    l4: String,
    /// `ip` or `ip6`.
    ip: &'static str,
    /// Every destination, in key order.
    all: Vec<Target>,
}

struct Target {
    mark: u32,
    /// As a plain `dnat to` argument: `10.0.0.1:80`, `[2001:db8::1]:80`, `10.0.0.1`.
    plain: String,
    /// As a map value: `10.0.0.1 . 80`, `2001:db8::1 . 80`, `10.0.0.1`.
    in_map: String,
    /// Takes new connections (weight > 0).
    live: bool,
}

fn targets(key: &ServiceKey, service: &Service, mark: &dyn Fn(&DestKey) -> u32) -> Result<Targets> {
    let (ip, service_port) = match *key {
        ServiceKey::Address { address, port, .. } => (ip_word(address), Some(port)),
        ServiceKey::Fwmark { family, .. } => (
            match family {
                Family::Inet => "ip",
                Family::Inet6 => "ip6",
            },
            None,
        ),
    };
    // A destination port of 0 means "the service's port" for an address service; under a
    // fwmark service it means "keep the packet's port" (DR/TUN style), which DNAT expresses
    // by translating the address only.
    let with_ports = match service_port {
        Some(_) => true,
        None => {
            let ported = service.destinations.keys().filter(|d| d.port != 0).count();
            if ported != 0 && ported != service.destinations.len() {
                return Err(Error::InvalidArgument(format!(
                    "{key}: mixing destinations with and without ports"
                )));
            }
            ported != 0
        }
    };
    let l4 = match *key {
        ServiceKey::Address { protocol, .. } => format!("meta l4proto {} ", protocol.as_str()),
        ServiceKey::Fwmark { .. } if with_ports => "meta l4proto { tcp, udp, sctp } ".to_string(),
        ServiceKey::Fwmark { .. } => String::new(),
    };
    let all = service
        .destinations
        .iter()
        .map(|(dest, destination)| {
            let port = if dest.port == 0 {
                service_port.unwrap_or(0)
            } else {
                dest.port
            };
            let (plain, in_map) = match (with_ports, dest.address) {
                (false, address) => (address.to_string(), address.to_string()),
                (true, IpAddr::V4(v4)) => (format!("{v4}:{port}"), format!("{v4} . {port}")),
                (true, IpAddr::V6(v6)) => (format!("[{v6}]:{port}"), format!("{v6} . {port}")),
            };
            Target {
                mark: mark(dest),
                plain,
                in_map,
                live: destination.weight > 0,
            }
        })
        .collect();
    Ok(Targets { l4, ip, all })
}

/// The expression choosing a new connection's destination, or `None` when no destination
/// takes new connections (the service then lets packets through untranslated, to the
/// director itself, which refuses them).
///
/// IPVS schedulers map onto what nftables can compute without connection counts:
/// * `sh`, `mh` hash the client address (plus source port with flag-2, `sh-port`/`mh-port`);
///   `dh`, `lblc`, `lblcr` hash the destination address;
/// * `fo` and `ovf` send everything to the heaviest destination;
/// * `rr` cycles over destinations with equal shares;
/// * `wrr` and the connection-counting schedulers (`lc`, `wlc`, `sed`, `nq`, `twos`) cycle
///   over weight-sized slots, so shares follow weights exactly.
fn pick(service: &Service, saddr: &str, mark: &dyn Fn(&DestKey) -> u32) -> Option<String> {
    let live: Vec<(&DestKey, u32)> = service
        .destinations
        .iter()
        .filter(|(_, d)| d.weight > 0)
        .map(|(dest, d)| (dest, d.weight))
        .collect();
    if live.is_empty() {
        return None;
    }
    let settings = &service.settings;
    if matches!(settings.scheduler, Scheduler::Fo | Scheduler::Ovf) {
        // Highest weight wins; on a tie the first in key order, deterministically.
        let (dest, _) = live.iter().fold(live[0], |best, &(dest, weight)| {
            if weight > best.1 {
                (dest, weight)
            } else {
                best
            }
        });
        return Some(format!("{:#x}", mark(dest)));
    }
    let weights: Vec<u32> = match settings.scheduler {
        Scheduler::Rr => live.iter().map(|_| 1).collect(),
        _ => live.iter().map(|&(_, w)| w).collect(),
    };
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    let mut start = 0u32;
    let mut slots = Vec::with_capacity(live.len());
    for ((dest, _), weight) in live.iter().zip(&weights) {
        let end = start.saturating_add(*weight - 1).min(total - 1);
        slots.push(format!("{start}-{end} : {:#x}", mark(dest)));
        start = end.saturating_add(1);
    }
    let daddr = saddr.replace("saddr", "daddr");
    let selector = match settings.scheduler {
        Scheduler::Sh | Scheduler::Mh if settings.scheduler_flags.flag2 => {
            format!("jhash {saddr} . th sport mod {total} seed 0x0")
        }
        Scheduler::Sh | Scheduler::Mh => format!("jhash {saddr} mod {total} seed 0x0"),
        Scheduler::Dh | Scheduler::Lblc | Scheduler::Lblcr => {
            format!("jhash {daddr} mod {total} seed 0x0")
        }
        _ => format!("numgen inc mod {total}"),
    };
    Some(format!("{selector} map {{ {} }}", slots.join(", ")))
}

fn client_key(saddr: &str, family: Family, netmask: u32) -> String {
    match family {
        Family::Inet if netmask == u32::MAX => saddr.to_string(),
        Family::Inet => format!("{saddr} & {}", std::net::Ipv4Addr::from(netmask)),
        Family::Inet6 if netmask >= 128 => saddr.to_string(),
        Family::Inet6 => {
            let bits = u128::MAX.checked_shl(128 - netmask).unwrap_or(0);
            format!("{saddr} & {}", std::net::Ipv6Addr::from(bits))
        }
    }
}

fn ip_word(address: IpAddr) -> &'static str {
    match address {
        IpAddr::V4(_) => "ip",
        IpAddr::V6(_) => "ip6",
    }
}

fn dispatch_map(key: &ServiceKey) -> &'static str {
    match *key {
        ServiceKey::Address {
            address: IpAddr::V4(_),
            ..
        } => "dispatch4",
        ServiceKey::Address { .. } => "dispatch6",
        ServiceKey::Fwmark {
            family: Family::Inet,
            ..
        } => "mark4",
        ServiceKey::Fwmark { .. } => "mark6",
    }
}

fn dispatch_key(key: &ServiceKey) -> String {
    match *key {
        ServiceKey::Address {
            address,
            port,
            protocol,
        } => format!("{address} . {} . {port}", protocol.as_str()),
        ServiceKey::Fwmark { mark, .. } => format!("{mark:#x}"),
    }
}
