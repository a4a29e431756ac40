//! What the daemon has seen of its tracked objects, kept for the dumps (spec §4.1, §4.3):
//! [`crate::ops::snapshot::Observed`] filled from tracker events and link states.
//!
//! The engine owns rise/fall and weights; this only mirrors keepalived's per-script
//! `Result` counter so `keepalived.data` prints the same numbers.

use std::collections::HashMap;
use std::time::SystemTime;

use keel_conf::Config;
use keel_vrrp::{TrackerId, TrackerStatus};

use crate::ops::snapshot::{Observed, ScriptObservation};

/// Tracker results by object name, updated as events arrive.
#[derive(Debug, Default)]
pub struct Observations {
    scripts: HashMap<String, ScriptObservation>,
    file_values: HashMap<String, i64>,
    process_counts: HashMap<String, u32>,
}

impl Observations {
    /// Records one tracker result. `config` gives a script's rise and fall.
    pub fn tracker(&mut self, config: &Config, id: &TrackerId, status: TrackerStatus) {
        if let Some(name) = id.0.strip_prefix("script:") {
            let Some(script) = config.vrrp.scripts.iter().find(|s| s.name == name) else {
                return;
            };
            let (rise, fall) = (script.rise.max(1), script.fall.max(1));
            let entry = self
                .scripts
                .entry(name.to_string())
                .or_insert(ScriptObservation {
                    // spec §3.5: a script starts good unless init_fail, at the edge of its range.
                    result: if script.init_fail { 0 } else { rise },
                    good: !script.init_fail,
                    running: false,
                });
            step_script(entry, status == TrackerStatus::Success, rise, fall);
        } else if let Some(name) = id.0.strip_prefix("file:") {
            if let TrackerStatus::Value(value) = status {
                self.file_values.insert(name.to_string(), value);
            }
        }
    }

    /// Records the number of processes matching a `vrrp_track_process`.
    pub fn process_count(&mut self, id: &TrackerId, count: u32) {
        if let Some(name) = id.0.strip_prefix("process:") {
            self.process_counts.insert(name.to_string(), count);
        }
    }

    /// The snapshot input at `wall_clock`; `links` maps interface names to (index, up).
    pub fn observed(
        &self,
        wall_clock: SystemTime,
        links: &HashMap<String, (u32, bool)>,
        script_uid_gid: (u32, u32),
    ) -> Observed {
        let mut observed = Observed::new(wall_clock, &host_name());
        observed.script_uid_gid = script_uid_gid;
        observed.scripts = self.scripts.iter().map(|(k, v)| (k.clone(), *v)).collect();
        observed.file_values = self
            .file_values
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        observed.process_counts = self
            .process_counts
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        observed.interfaces_down = links
            .iter()
            .filter(|(_, (_, up))| !up)
            .map(|(name, _)| name.clone())
            .collect();
        observed.interfaces_down.sort();
        observed.interface_indexes = links
            .iter()
            .map(|(name, (index, _))| (name.clone(), *index))
            .collect();
        observed
    }
}

/// keepalived's script counter: 0..rise+fall-1; `rise` successes in a row from BAD make it
/// GOOD (counter jumps to the top), `fall` failures in a row from GOOD make it BAD (counter
/// drops to 0) (spec §3.5).
fn step_script(seen: &mut ScriptObservation, success: bool, rise: u32, fall: u32) {
    let top = rise + fall - 1;
    if success {
        if seen.result < rise - 1 {
            seen.result += 1;
        } else {
            seen.result = top;
            seen.good = true;
        }
    } else if seen.result > rise {
        seen.result -= 1;
    } else {
        seen.result = 0;
        seen.good = false;
    }
}

fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the live buffer.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> ScriptObservation {
        ScriptObservation {
            result: 0,
            good: false,
            running: false,
        }
    }

    // Input: rise 2, fall 3, starting BAD; success, success, then failures.
    // Output: GOOD after the 2nd success with Result = rise+fall-1 = 4; BAD after 3 failures.
    #[test]
    fn script_counter_follows_rise_and_fall() {
        let mut seen = fresh();
        step_script(&mut seen, true, 2, 3);
        assert_eq!((seen.result, seen.good), (1, false));
        step_script(&mut seen, true, 2, 3);
        assert_eq!((seen.result, seen.good), (4, true));
        step_script(&mut seen, false, 2, 3);
        step_script(&mut seen, false, 2, 3);
        assert_eq!((seen.result, seen.good), (2, true));
        step_script(&mut seen, false, 2, 3);
        assert_eq!((seen.result, seen.good), (0, false));
    }

    // Input: links eth0 (index 2, up) and eth1 (index 3, down); file f1 = 7; 2 processes.
    // Output: eth1 listed down, indexes known, the value and count carried over.
    #[test]
    fn observed_carries_links_and_values() {
        let mut observations = Observations::default();
        observations.tracker(
            &Config::default(),
            &TrackerId("file:f1".into()),
            TrackerStatus::Value(7),
        );
        observations.process_count(&TrackerId("process:nginx".into()), 2);
        let links = HashMap::from([
            ("eth0".to_string(), (2, true)),
            ("eth1".to_string(), (3, false)),
        ]);
        let observed = observations.observed(SystemTime::UNIX_EPOCH, &links, (0, 0));
        assert_eq!(observed.interfaces_down, vec!["eth1".to_string()]);
        assert_eq!(observed.interface_indexes.get("eth0"), Some(&2));
        assert_eq!(observed.file_values.get("f1"), Some(&7));
        assert_eq!(observed.process_counts.get("nginx"), Some(&2));
    }
}
