//! The nftables load-balancer backend: NAT-mode DNAT for kernels without IPVS (issue 5).
//!
//! [`NftBackend`] keeps keel's services in one table, `inet keel` (layout in
//! `script.rs`), and drives it through the `nft` program: every batch of ops becomes one
//! `nft -f` transaction that rewrites only the services those ops touch, so healthy
//! services are never flushed and a service is never seen half-updated. Weights, weight 0
//! (quiescent), persistence with its timeout and granularity, fwmark services and the
//! schedulers' intent (hashing, failover, weighted cycling) are honoured; see `script.rs`
//! for how each maps.
//!
//! What DNAT cannot do: every forwarding method becomes NAT (real servers must route their
//! replies through the director), `ops` (one-packet scheduling) has no equivalent because
//! NAT works per connection, port-0 ("all ports") address services are refused, and the
//! connection-counting schedulers are approximated by weighted cycling. The backend uses the
//! connections' `ct mark` (service index << 16 | destination id).
//!
//! `nft` runs in the network namespace of the calling thread.

mod script;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use keel_lb::{Desired, DestKey, Op, ServiceKey};

use crate::error::{Error, Result};
use crate::lb::LbBackend;

pub use script::TABLE;

/// The nftables backend; see the module docs.
#[derive(Debug)]
pub struct NftBackend {
    program: String,
    state: Desired,
    ids: Ids,
}

/// Stable numbers for services (ct mark high half) and destinations (low half). A number
/// is never reused while its owner exists, so a persistent client's remembered mark never
/// names another server.
#[derive(Debug, Clone, Default)]
struct Ids {
    services: BTreeMap<ServiceKey, u16>,
    destinations: BTreeMap<(ServiceKey, DestKey), u16>,
    /// The last destination id handed out per service: ids go round before one is reused.
    last: BTreeMap<ServiceKey, u16>,
}

impl NftBackend {
    /// Creates the `inet keel` table empty, replacing one a previous run left behind.
    pub fn open() -> Result<NftBackend> {
        NftBackend::with_program("nft")
    }

    /// As [`NftBackend::open`], running `program` instead of `nft` from `PATH`.
    pub fn with_program(program: &str) -> Result<NftBackend> {
        let backend = NftBackend {
            program: program.to_string(),
            state: Desired::default(),
            ids: Ids::default(),
        };
        backend.run(&script::base())?;
        Ok(backend)
    }

    /// Removes the table and with it every rule keel added (keel's stop).
    pub fn stop(self) -> Result<()> {
        self.run(&format!("delete table {TABLE}\n"))
    }

    fn run(&self, script: &str) -> Result<()> {
        run_script(&self.program, script)
    }
}

/// Runs `script` through `program -f -` as one nftables transaction (also used by
/// [`crate::firewall`]).
pub(crate) fn run_script(program: &str, script: &str) -> Result<()> {
    let mut child = Command::new(program)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("spawn nft", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| Error::io("write nft script", e))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Error::io("wait for nft", e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Nft(format!(
            "{}\n--- script ---\n{script}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

impl LbBackend for NftBackend {
    /// Applies `ops` as one transaction: either all of them take effect or none does.
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        let mut next = self.state.clone();
        for op in ops {
            next.apply(op)?;
        }
        let touched: std::collections::BTreeSet<ServiceKey> = ops.iter().map(Op::service).collect();
        let mut ids = self.ids.clone();
        let mut text = String::new();
        for key in &touched {
            let old = self.state.service(key);
            match next.service(key) {
                Some(service) => {
                    let index = ids.service(key)?;
                    for dest in service.destinations.keys() {
                        ids.destination(key, dest)?;
                    }
                    ids.forget_missing(key, service);
                    let name = script::name(key);
                    let lookup =
                        |dest: &DestKey| ids.destinations.get(&(*key, *dest)).copied().unwrap_or(0);
                    script::replace_service(
                        &mut text,
                        key,
                        script::Slot { name: &name, index },
                        old,
                        service,
                        &lookup,
                    )?;
                }
                None => {
                    if let Some(old) = old {
                        let index = ids.services.get(key).copied().unwrap_or(0);
                        let name = script::name(key);
                        script::delete_service(
                            &mut text,
                            key,
                            script::Slot { name: &name, index },
                            old,
                        );
                        ids.services.remove(key);
                        ids.last.remove(key);
                        ids.destinations.retain(|(service, _), _| service != key);
                    }
                }
            }
        }
        if !text.is_empty() {
            self.run(&text)?;
        }
        self.state = next;
        self.ids = ids;
        Ok(())
    }

    /// What this backend applied (the table is keel's own; nothing else writes it).
    fn current(&self) -> Result<Desired> {
        Ok(self.state.clone())
    }
}

impl Ids {
    fn service(&mut self, key: &ServiceKey) -> Result<u16> {
        if let Some(index) = self.services.get(key) {
            return Ok(*index);
        }
        let index = first_free(self.services.values().copied())
            .ok_or_else(|| Error::InvalidArgument("more than 65535 nftables services".into()))?;
        self.services.insert(*key, index);
        Ok(index)
    }

    fn destination(&mut self, key: &ServiceKey, dest: &DestKey) -> Result<u16> {
        if let Some(id) = self.destinations.get(&(*key, *dest)) {
            return Ok(*id);
        }
        let used: std::collections::BTreeSet<u16> = self
            .destinations
            .iter()
            .filter(|((service, _), _)| service == key)
            .map(|(_, id)| *id)
            .collect();
        let last = self.last.get(key).copied().unwrap_or(0);
        let id = (1..=u16::MAX)
            .map(|step| ((u32::from(last) + u32::from(step) - 1) % 65535 + 1) as u16)
            .find(|id| !used.contains(id))
            .ok_or_else(|| {
                Error::InvalidArgument(format!("more than 65535 destinations in {key}"))
            })?;
        self.destinations.insert((*key, *dest), id);
        self.last.insert(*key, id);
        Ok(id)
    }

    fn forget_missing(&mut self, key: &ServiceKey, service: &keel_lb::Service) {
        self.destinations
            .retain(|(owner, dest), _| owner != key || service.destinations.contains_key(dest));
    }
}

/// The smallest number in 1..=65535 not in `used`.
fn first_free(used: impl Iterator<Item = u16>) -> Option<u16> {
    let used: std::collections::BTreeSet<u16> = used.collect();
    (1..=u16::MAX).find(|n| !used.contains(n))
}

#[cfg(test)]
mod tests;
