//! `disable_local_igmp` (spec §2.3): while keel runs, the kernel sends no IGMP reports for
//! link-local groups such as VRRP's 224.0.0.18 (`net.ipv4.igmp_link_local_mcast_reports`
//! 0); the previous value comes back at stop. As keepalived: done once at start, not on a
//! reload, and only when the setting was on.

use std::path::{Path, PathBuf};

use keel_conf::Config;
use keel_conf::model::RawKeyword;

use super::log;

/// The sysctl, in the network namespace of the calling thread.
pub const SYSCTL: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// Holds the sysctl at 0; writes 1 back when dropped.
#[derive(Debug)]
pub struct LocalIgmpOff {
    path: PathBuf,
}

impl LocalIgmpOff {
    /// Turns link-local IGMP reports off when `config` asks for it and they are on.
    pub fn from_config(config: &Config) -> Option<LocalIgmpOff> {
        RawKeyword::flag(&config.global_defs.other, "disable_local_igmp")
            .unwrap_or(false)
            .then(|| LocalIgmpOff::switch_off(Path::new(SYSCTL)))
            .flatten()
    }

    /// Writes 0 to `path` if it reads 1; the guard restores it.
    pub fn switch_off(path: &Path) -> Option<LocalIgmpOff> {
        match std::fs::read_to_string(path) {
            Ok(value) if value.trim() == "1" => match std::fs::write(path, "0") {
                Ok(()) => Some(LocalIgmpOff {
                    path: path.to_path_buf(),
                }),
                Err(error) => {
                    log::warn(&format!("Unable to write {}: {error}", path.display()));
                    None
                }
            },
            Ok(_) => None,
            Err(error) => {
                log::warn(&format!("Unable to read {}: {error}", path.display()));
                None
            }
        }
    }
}

impl Drop for LocalIgmpOff {
    fn drop(&mut self) {
        if let Err(error) = std::fs::write(&self.path, "1") {
            log::warn(&format!("Unable to write {}: {error}", self.path.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a stand-in sysctl file reading 1; then one reading 0.
    // Output: 0 while the guard lives and 1 after; a setting already off is left alone.
    #[test]
    fn switches_off_and_restores_only_what_was_on() {
        let dir = keel_lab::TempDir::new("keel-igmp");
        let path = dir.write("igmp_link_local_mcast_reports", "1\n");
        let guard = LocalIgmpOff::switch_off(&path).expect("was on");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "0");
        drop(guard);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1");
        std::fs::write(&path, "0\n").unwrap();
        assert!(LocalIgmpOff::switch_off(&path).is_none());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "0\n");
    }
}
