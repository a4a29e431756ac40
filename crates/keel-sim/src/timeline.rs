//! The readable record of a run: every transition, advert, VIP change and disturbance, with its
//! virtual time. A failing seed prints this so a person can follow what happened.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keel_vrrp::State;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An instance changed state.
    Transition {
        /// Router name.
        router: Arc<str>,
        /// Instance name.
        instance: Arc<str>,
        /// VRID of the instance.
        vrid: u8,
        /// Previous state.
        from: State,
        /// New state.
        to: State,
    },
    /// A sync group reported a new group state (`GROUP NAME STATE 0`, spec §3.6).
    GroupState {
        /// Router name.
        router: Arc<str>,
        /// Group name.
        group: String,
        /// The state word.
        state: &'static str,
    },
    /// An advert left a router.
    AdvertSent {
        /// Router name.
        router: Arc<str>,
        /// VRID.
        vrid: u8,
        /// Advertised priority (0: the master is stopping).
        priority: u8,
    },
    /// The fake kernel installed a VIP.
    VipAdded {
        /// Router name.
        router: Arc<str>,
        /// The address.
        address: IpAddr,
    },
    /// The fake kernel removed a VIP (by keel, a crash, or another program).
    VipRemoved {
        /// Router name.
        router: Arc<str>,
        /// The address.
        address: IpAddr,
    },
    /// A router started (first start or restart).
    Started {
        /// Router name.
        router: Arc<str>,
    },
    /// A router died silently: no advert, VIPs gone with the machine.
    Crashed {
        /// Router name.
        router: Arc<str>,
    },
    /// A router was stopped gracefully (daemon shutdown).
    Stopped {
        /// Router name.
        router: Arc<str>,
    },
    /// An interface went up or down.
    Link {
        /// Router name.
        router: Arc<str>,
        /// Interface name.
        interface: String,
        /// New state.
        up: bool,
    },
    /// A segment was split into groups that cannot hear each other.
    Partition {
        /// Segment name.
        segment: String,
        /// Router names of each group.
        groups: Vec<Vec<String>>,
    },
    /// A segment's partition was healed.
    Healed {
        /// Segment name.
        segment: String,
    },
    /// A segment's wire changed (loss burst start or end, latency change).
    Profile {
        /// Segment name.
        segment: String,
        /// The new profile, rendered.
        profile: String,
    },
    /// A tracker reported a result (priority change or FAULT, spec §3.5).
    Tracker {
        /// Router name.
        router: Arc<str>,
        /// Tracker id.
        tracker: String,
        /// The result, rendered.
        status: String,
    },
    /// Free text from a scenario driver (e.g. "disturbance 3: crash r2").
    Note(String),
}

/// An event and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Virtual time since the start of the run.
    pub at: Duration,
    /// What happened.
    pub event: Event,
}

/// How much of a timeline to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every entry.
    Full,
    /// Every entry except periodic adverts whose priority did not change since that router's
    /// previous advert for the VRID (the first advert, priority changes and priority 0 stay).
    Compact,
}

/// Every entry of a run, in time order.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    entries: Vec<Entry>,
}

impl Timeline {
    pub(crate) fn push(&mut self, at: Duration, event: Event) {
        self.entries.push(Entry { at, event });
    }

    /// All entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Renders the timeline, one line per entry: `  3609.375 ms  r2 VI_1 BACKUP→MASTER`.
    pub fn render(&self, detail: Detail) -> String {
        let mut out = String::new();
        let mut last_priority: BTreeMap<(Arc<str>, u8), u8> = BTreeMap::new();
        let mut hidden = 0usize;
        for entry in &self.entries {
            if let (
                Detail::Compact,
                Event::AdvertSent {
                    router,
                    vrid,
                    priority,
                },
            ) = (detail, &entry.event)
            {
                let key = (Arc::clone(router), *vrid);
                if last_priority.insert(key, *priority) == Some(*priority) {
                    hidden += 1;
                    continue;
                }
            }
            // Writing into a String cannot fail.
            let _ = writeln!(out, "{entry}");
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "({hidden} periodic adverts with an unchanged priority not shown)"
            );
        }
        out
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>11.3} ms  {}",
            self.at.as_secs_f64() * 1e3,
            self.event
        )
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Transition {
                router,
                instance,
                vrid,
                from,
                to,
            } => write!(
                f,
                "{router} {instance} (VRID {vrid}) {}→{}",
                from.as_str(),
                to.as_str()
            ),
            Event::GroupState {
                router,
                group,
                state,
            } => write!(f, "{router} group {group} {state}"),
            Event::AdvertSent {
                router,
                vrid,
                priority,
            } => write!(f, "{router} advert VRID {vrid} prio {priority}"),
            Event::VipAdded { router, address } => write!(f, "VIP {address} added on {router}"),
            Event::VipRemoved { router, address } => {
                write!(f, "VIP {address} removed from {router}")
            }
            Event::Started { router } => write!(f, "{router} started"),
            Event::Crashed { router } => write!(f, "{router} crashed"),
            Event::Stopped { router } => write!(f, "{router} stopped gracefully"),
            Event::Link {
                router,
                interface,
                up,
            } => write!(
                f,
                "link {router}/{interface} {}",
                if *up { "up" } else { "down" }
            ),
            Event::Partition { segment, groups } => {
                let groups: Vec<String> = groups
                    .iter()
                    .map(|group| format!("{{{}}}", group.join(",")))
                    .collect();
                write!(f, "partition {segment}: {}", groups.join(" | "))
            }
            Event::Healed { segment } => write!(f, "partition of {segment} healed"),
            Event::Profile { segment, profile } => write!(f, "wire {segment}: {profile}"),
            Event::Tracker {
                router,
                tracker,
                status,
            } => write!(f, "{router} tracker {tracker} {status}"),
            Event::Note(text) => write!(f, "-- {text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a takeover recorded at 3609.375 ms. Output: the line a person reads in a failure.
    #[test]
    fn a_transition_reads_as_a_sentence() {
        let mut timeline = Timeline::default();
        timeline.push(
            Duration::from_micros(3_609_375),
            Event::Transition {
                router: "r2".into(),
                instance: "VI_1".into(),
                vrid: 51,
                from: State::Backup,
                to: State::Master,
            },
        );
        assert_eq!(
            timeline.render(Detail::Full),
            "   3609.375 ms  r2 VI_1 (VRID 51) BACKUP→MASTER\n"
        );
    }

    // Input: three adverts at priority 100, then one at 0. Output: compact keeps the first and
    // the priority-0 one and says how many it hid.
    #[test]
    fn compact_hides_unchanged_periodic_adverts() {
        let mut timeline = Timeline::default();
        for (ms, priority) in [(0, 100), (1000, 100), (2000, 100), (2500, 0)] {
            timeline.push(
                Duration::from_millis(ms),
                Event::AdvertSent {
                    router: "r1".into(),
                    vrid: 1,
                    priority,
                },
            );
        }
        let text = timeline.render(Detail::Compact);
        assert!(text.contains("0.000 ms  r1 advert VRID 1 prio 100"));
        assert!(text.contains("2500.000 ms  r1 advert VRID 1 prio 0"));
        assert!(text.contains("(2 periodic adverts"));
        assert_eq!(text.lines().count(), 3);
    }
}
