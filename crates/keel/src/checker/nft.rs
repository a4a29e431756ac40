//! The nftables data plane for kernels without IPVS: NAT-mode DNAT (spec §3.12's NAT
//! forwarding, done by nftables instead of IPVS).
//!
//! keel owns the tables `ip keel` and `ip6 keel`. Each service becomes one rule in a
//! `prerouting` and an `output` nat chain: match the virtual address, protocol and port (or
//! `meta mark` for a fwmark service), then `dnat` through an anonymous map from a slot
//! number to a real server. A destination of weight `w` holds `w` slots (weights divided by
//! their greatest common divisor), so `numgen inc` splits new connections by weight, like IPVS's `wrr`.
//! Services with persistence or a hashing scheduler (`sh`, `dh`, `mh`) pick the slot with
//! `jhash ip saddr`, so one client keeps its real server for as long as the pool is
//! unchanged (no timeout: nftables has no per-connection-group timer here).
//!
//! Every change re-renders one family's table and replaces it in a single `nft -f`
//! transaction: packets see the old rules or the new ones, never a gap, and established
//! connections keep their NAT binding in conntrack, so healthy flows are not disturbed.
//! Only NAT forwarding exists here; a DR or TUN destination is refused.
//!
//! This module drives the `nft` binary; keel-sys's nftables backend (branch `ipvs`) is
//! meant to replace it when it lands.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use keel_lb::{Desired, Family, ForwardingMethod, Op, Scheduler, Service, ServiceKey};

/// The nftables backend: what keel has installed, per family.
#[derive(Debug, Default)]
pub struct Nftables {
    installed: Desired,
}

impl Nftables {
    /// Checks that `nft` runs in this network namespace.
    pub fn open() -> Result<Nftables> {
        run_nft("list tables\n").context("nft is not usable")?;
        Ok(Nftables::default())
    }

    /// Applies `ops` to the installed state and re-renders the families they touch.
    pub fn apply(&mut self, ops: &[Op]) -> Result<()> {
        let mut next = self.installed.clone();
        for op in ops {
            next.apply(op).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for family in [Family::Inet, Family::Inet6] {
            let touched = ops.iter().any(|op| op.service().family() == family);
            if touched {
                run_nft(&render(&next, family)?)?;
            }
        }
        self.installed = next;
        Ok(())
    }

    /// What keel has installed.
    pub fn current(&self) -> &Desired {
        &self.installed
    }

    /// Deletes keel's tables (stop, `lvs_flush`, `lvs_flush_on_stop`).
    pub fn flush(&mut self) -> Result<()> {
        // Declaring the table first makes the delete succeed when it does not exist.
        run_nft("table ip keel\ndelete table ip keel\ntable ip6 keel\ndelete table ip6 keel\n")?;
        self.installed = Desired::default();
        Ok(())
    }
}

/// The nft script that replaces `family`'s keel table with `desired`'s services.
pub fn render(desired: &Desired, family: Family) -> Result<String> {
    let table = match family {
        Family::Inet => "ip keel",
        Family::Inet6 => "ip6 keel",
    };
    let mut rules = String::new();
    for (key, service) in &desired.services {
        if key.family() != family {
            continue;
        }
        if let Some(rule) = rule(key, service)? {
            let _ = writeln!(rules, "    {rule}");
        }
    }
    let mut script = format!("table {table}\ndelete table {table}\n");
    if rules.is_empty() {
        return Ok(script);
    }
    let _ = write!(
        script,
        "table {table} {{\n  chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n{rules}  }}\n  chain output {{\n    type nat hook output priority -100; policy accept;\n{rules}  }}\n}}\n"
    );
    Ok(script)
}

/// One service's DNAT rule; `None` while it has no destination with a weight.
fn rule(key: &ServiceKey, service: &Service) -> Result<Option<String>> {
    let live: Vec<_> = service
        .destinations
        .iter()
        .filter(|(_, dest)| dest.weight > 0)
        .collect();
    for (dest_key, dest) in &service.destinations {
        if dest.method != ForwardingMethod::Nat {
            bail!("{key}: destination {dest_key}: nftables forwards by NAT only");
        }
    }
    if live.is_empty() {
        return Ok(None);
    }
    let (ip, l4) = match key.family() {
        Family::Inet => ("ip", "ip"),
        Family::Inet6 => ("ip6", "ip6"),
    };
    let matcher = match *key {
        ServiceKey::Address {
            address,
            port,
            protocol,
        } => {
            let proto = protocol.as_str();
            if port == 0 {
                format!("{ip} daddr {address} meta l4proto {proto}")
            } else {
                format!("{ip} daddr {address} {proto} dport {port}")
            }
        }
        ServiceKey::Fwmark { mark, .. } => format!("meta mark {mark}"),
    };
    let divisor = live
        .iter()
        .fold(0, |g, (_, dest)| gcd(g, dest.weight))
        .max(1);
    let with_port = live.iter().all(|(dest, _)| dest.port != 0);
    let targets: Vec<(String, u32)> = live
        .iter()
        .map(|(dest, d)| {
            let target = if with_port {
                format!("{} . {}", dest.address, dest.port)
            } else {
                dest.address.to_string()
            };
            (target, d.weight / divisor)
        })
        .collect();
    let slots = smooth_order(&targets);
    let selector = if sticky(service) {
        format!("jhash {l4} saddr mod {} seed 0x4b45454c", slots.len())
    } else {
        format!("numgen inc mod {}", slots.len())
    };
    let map = slots
        .iter()
        .enumerate()
        .map(|(slot, target)| format!("{slot} : {target}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Some(format!(
        "{matcher} dnat {ip} to {selector} map {{ {map} }}"
    )))
}

/// Slots in smooth weighted round-robin order (each step picks the target with the largest
/// running credit), so consecutive connections interleave like IPVS's `wrr` instead of
/// arriving in runs.
fn smooth_order(targets: &[(String, u32)]) -> Vec<String> {
    let total: i64 = targets.iter().map(|(_, w)| i64::from(*w)).sum();
    let mut credit = vec![0i64; targets.len()];
    let mut slots = Vec::new();
    for _ in 0..total {
        for (c, (_, w)) in credit.iter_mut().zip(targets) {
            *c += i64::from(*w);
        }
        let Some((best, _)) = credit
            .iter()
            .enumerate()
            .max_by_key(|&(i, c)| (*c, -(i as i64)))
        else {
            break;
        };
        credit[best] -= total;
        slots.push(targets[best].0.clone());
    }
    slots
}

/// Whether a client must keep landing on the same real server.
fn sticky(service: &Service) -> bool {
    service.settings.persistence.is_some()
        || matches!(
            service.settings.scheduler,
            Scheduler::Sh | Scheduler::Dh | Scheduler::Mh
        )
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn run_nft(script: &str) -> Result<()> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("running nft")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .context("writing to nft")?;
    }
    let output = child.wait_with_output().context("waiting for nft")?;
    if !output.status.success() {
        bail!(
            "nft refused the rules: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use keel_lb::{DestKey, Destination, Persistence, Protocol, ServiceSettings};

    use super::*;

    fn pool(settings: ServiceSettings, weights: &[(u8, u32)]) -> Desired {
        let key = ServiceKey::address("192.0.2.10".parse().unwrap(), 80, Protocol::Tcp);
        let mut desired = Desired::default();
        desired.insert_service(key, settings);
        for (host, weight) in weights {
            let address = format!("10.0.1.{host}").parse().unwrap();
            // The service was inserted just above.
            let _ = desired.insert_destination(
                key,
                DestKey::new(address, 8080),
                Destination::nat(*weight),
            );
        }
        desired
    }

    #[test]
    fn weights_become_slots_divided_by_their_gcd() {
        // Input: real servers of weight 2, 4, 6 and one inhibited at weight 0.
        // Output: 1, 2 and 3 slots of a round-robin counter, interleaved; the inhibited
        // server has none.
        let script = render(
            &pool(
                ServiceSettings::default(),
                &[(1, 2), (2, 4), (3, 6), (4, 0)],
            ),
            Family::Inet,
        )
        .unwrap();
        assert!(script.contains(
            "ip daddr 192.0.2.10 tcp dport 80 dnat ip to numgen inc mod 6 map { 0 : 10.0.1.3 . 8080, 1 : 10.0.1.2 . 8080, 2 : 10.0.1.1 . 8080, 3 : 10.0.1.3 . 8080, 4 : 10.0.1.2 . 8080, 5 : 10.0.1.3 . 8080 }"
        ), "{script}");
        assert!(!script.contains("10.0.1.4"));
    }

    #[test]
    fn persistence_hashes_the_client_address() {
        // Input: a persistent service.
        // Output: the slot comes from jhash of the source address, not numgen.
        let settings = ServiceSettings {
            persistence: Some(Persistence::per_client(300, Family::Inet)),
            ..ServiceSettings::default()
        };
        let script = render(&pool(settings, &[(1, 1), (2, 1)]), Family::Inet).unwrap();
        assert!(script.contains("jhash ip saddr mod 2"), "{script}");
    }

    #[test]
    fn an_empty_pool_leaves_no_table() {
        // Input: every destination at weight 0 (quorum lost, no sorry server).
        // Output: the script only deletes keel's table.
        let script = render(&pool(ServiceSettings::default(), &[(1, 0)]), Family::Inet).unwrap();
        assert_eq!(script, "table ip keel\ndelete table ip keel\n");
    }

    #[test]
    fn direct_routing_is_refused() {
        // Input: a DR destination.
        // Output: an error naming the destination; nothing is rendered.
        let mut desired = pool(ServiceSettings::default(), &[]);
        let key = *desired.services.keys().next().unwrap();
        let dest = Destination {
            method: ForwardingMethod::DirectRouting,
            ..Destination::nat(1)
        };
        let _ =
            desired.insert_destination(key, DestKey::new("10.0.1.9".parse().unwrap(), 80), dest);
        let error = render(&desired, Family::Inet).unwrap_err().to_string();
        assert!(error.contains("10.0.1.9"), "{error}");
    }
}
