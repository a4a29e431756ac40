//! VMAC: keepalived's per-VRID macvlan interface and the sysctls it needs (spec §3.10).
//!
//! The interface itself is created with [`crate::netlink::Netlink::create_macvlan`]; this module names it,
//! picks its MAC, and sets (and later restores) the IPv4 sysctls that make ARP and reverse
//! path filtering behave with a macvlan sharing its parent's subnet:
//! VMAC `arp_ignore=1, accept_local=1, rp_filter=0`; parent `arp_ignore=1, arp_filter=1`;
//! `all.rp_filter` lowered to 0 (the kernel uses the maximum of `all` and the interface), with
//! every other interface raised to the old `all` value so their behaviour is unchanged.
//!
//! Sysctls under `/proc/sys/net` belong to the network namespace of the calling *thread*,
//! so these functions are synchronous and must run on a thread in the right namespace.

use std::fs;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::netlink::{MacvlanSpec, NetlinkApi};

/// Which address family a VMAC serves; it decides the MAC (RFC 5798 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmacFamily {
    /// IPv4: 00:00:5e:00:01:VRID.
    Ipv4,
    /// IPv6: 00:00:5e:00:02:VRID.
    Ipv6,
}

/// The virtual router MAC address of `vrid` (RFC 5798 §7.3).
pub fn vmac_address(vrid: u8, family: VmacFamily) -> [u8; 6] {
    let kind = match family {
        VmacFamily::Ipv4 => 0x01,
        VmacFamily::Ipv6 => 0x02,
    };
    [0x00, 0x00, 0x5e, 0x00, kind, vrid]
}

/// keepalived's default VMAC name: `vrrp.<VRID>` (`vmac_prefix` replaces `vrrp`).
pub fn vmac_name(prefix: &str, vrid: u8) -> String {
    format!("{prefix}.{vrid}")
}

/// Creates the VMAC for `vrid` on `parent` and returns its index.
///
/// The name is `vmac_name(prefix, vrid)`; keepalived's collision fallback (`vrrp1.VRID`, …)
/// is left to the caller, which sees errno `EEXIST`.
pub async fn create_vmac(
    netlink: &impl NetlinkApi,
    parent: u32,
    prefix: &str,
    vrid: u8,
    family: VmacFamily,
) -> Result<u32> {
    netlink
        .create_macvlan(&MacvlanSpec {
            name: vmac_name(prefix, vrid),
            parent,
            mac: vmac_address(vrid, family),
            link_group: None,
        })
        .await
}

/// Sysctl values changed by [`configure_vmac_sysctls`], to put back with
/// [`SysctlRestore::restore`] at shutdown.
#[derive(Debug, Default)]
#[must_use = "restore the sysctls at shutdown"]
pub struct SysctlRestore {
    previous: Vec<(PathBuf, String)>,
}

impl SysctlRestore {
    /// Writes back every saved value, newest change first; keeps going after an error and
    /// reports the first one. Interfaces that no longer exist (a deleted VMAC) are skipped.
    pub fn restore(self) -> Result<()> {
        let mut first_error = None;
        for (path, value) in self.previous.into_iter().rev() {
            if !path.exists() {
                continue;
            }
            if let Err(e) = fs::write(&path, &value) {
                first_error.get_or_insert(Error::io("restore sysctl", e));
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Takes over `other`'s saved values, to be restored with this one's. Used when one of
    /// two VMACs on the same parent goes away: the parent must keep the VMAC sysctls while
    /// the other remains, and still get its original values back at the end.
    pub fn absorb(&mut self, other: SysctlRestore) {
        // Restored newest first: `other`'s values are older than this one's changes.
        let mut previous = other.previous;
        previous.append(&mut self.previous);
        self.previous = previous;
    }

    /// The number of values changed.
    pub fn len(&self) -> usize {
        self.previous.len()
    }

    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.previous.is_empty()
    }

    /// Sets `/proc/sys/net/ipv4/conf/INTERFACE/NAME` to `value`, saving the old value to
    /// restore (nothing is saved when it already has that value).
    pub fn set(&mut self, interface: &str, name: &str, value: &str) -> Result<()> {
        let path = conf_path(interface, name);
        let old = fs::read_to_string(&path)
            .map_err(|e| Error::io("read sysctl", e))?
            .trim()
            .to_string();
        if old == value {
            return Ok(());
        }
        fs::write(&path, value).map_err(|e| Error::io("write sysctl", e))?;
        self.previous.push((path, old));
        Ok(())
    }
}

/// Sets the sysctls keepalived sets for a VMAC `vmac` on `parent` (spec §3.10).
pub fn configure_vmac_sysctls(vmac: &str, parent: &str) -> Result<SysctlRestore> {
    let mut changes = SysctlRestore::default();
    let all_rp_filter = read_conf("all", "rp_filter")?;
    if all_rp_filter != "0" {
        // Keep every other interface's effective value: max(all, interface) stays the same.
        for interface in interfaces()? {
            if interface == vmac || interface == "all" {
                continue;
            }
            let own: u8 = read_conf(&interface, "rp_filter")?.parse().unwrap_or(0);
            let all: u8 = all_rp_filter.parse().unwrap_or(0);
            if own < all {
                changes.set(&interface, "rp_filter", &all_rp_filter)?;
            }
        }
        changes.set("all", "rp_filter", "0")?;
    }
    changes.set(vmac, "arp_ignore", "1")?;
    changes.set(vmac, "accept_local", "1")?;
    changes.set(vmac, "rp_filter", "0")?;
    changes.set(parent, "arp_ignore", "1")?;
    changes.set(parent, "arp_filter", "1")?;
    Ok(changes)
}

/// Reads `/proc/sys/net/ipv4/conf/INTERFACE/NAME`, trimmed.
pub fn read_conf(interface: &str, name: &str) -> Result<String> {
    fs::read_to_string(conf_path(interface, name))
        .map(|value| value.trim().to_string())
        .map_err(|e| Error::io("read sysctl", e))
}

/// Writes `/proc/sys/net/ipv6/conf/INTERFACE/NAME` (a VMAC's or ipvlan's IPv6 settings;
/// not restored: the link goes away at stop).
pub fn write_ipv6_conf(interface: &str, name: &str, value: &str) -> Result<()> {
    let path = PathBuf::from("/proc/sys/net/ipv6/conf")
        .join(interface)
        .join(name);
    fs::write(&path, value).map_err(|e| Error::io("write sysctl", e))
}

fn conf_path(interface: &str, name: &str) -> PathBuf {
    PathBuf::from("/proc/sys/net/ipv4/conf")
        .join(interface)
        .join(name)
}

fn interfaces() -> Result<Vec<String>> {
    let entries = fs::read_dir("/proc/sys/net/ipv4/conf")
        .map_err(|e| Error::io("list /proc/sys/net/ipv4/conf", e))?;
    Ok(entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: VMAC A changed the parent's arp_ignore 0 → 1 (saved 0); VMAC B, made later on
    // the same parent, found 1 and saved nothing for it but saved its own 0 → 1 of a second
    // setting. B goes first: its record is absorbed by A; then A is restored.
    // Output: both settings end at their original 0, each written back once.
    #[test]
    fn absorbed_records_restore_the_originals() {
        let dir = std::env::temp_dir().join(format!("keel-sysctl-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (arp_ignore, other) = (dir.join("arp_ignore"), dir.join("other"));
        fs::write(&arp_ignore, "1").unwrap();
        fs::write(&other, "1").unwrap();
        let mut first = SysctlRestore {
            previous: vec![(arp_ignore.clone(), "0".into())],
        };
        let second = SysctlRestore {
            previous: vec![(other.clone(), "0".into())],
        };
        first.absorb(second);
        assert_eq!(first.len(), 2);
        first.restore().unwrap();
        assert_eq!(fs::read_to_string(&arp_ignore).unwrap(), "0");
        assert_eq!(fs::read_to_string(&other).unwrap(), "0");
        let _ = fs::remove_dir_all(&dir);
    }
}
