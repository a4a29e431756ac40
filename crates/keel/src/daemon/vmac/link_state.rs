//! What the engine was last told of each instance's own VMAC or ipvlan: up or down.
//!
//! keepalived 2.2.7 holds a `use_vmac`/`use_ipvlan` instance in FAULT while its VMAC or
//! ipvlan is down (or deleted, until it is made again) as it does while its interface is
//! down; the engine gets it as the instance's `vmac-link:NAME` tracker
//! ([`crate::vrrp_config::vmac_link_id`]), which starts up. The daemon compares the links'
//! states with what it last reported and reports only the changes, so an instance is told
//! once per transition whatever the number of netlink events.

use std::collections::BTreeSet;

/// The instances whose link was last reported down.
#[derive(Debug, Default)]
pub struct LinkReports {
    down: BTreeSet<String>,
}

impl LinkReports {
    /// The reports to make, as (instance, up), given every instance's own link and whether
    /// it is up now; records them as made. An instance reported down that has no link any
    /// more (a reload dropped `use_vmac`, or the kernel refused to make it again) is reported
    /// up: without a link it runs on its interface, as when its link cannot be made at start.
    pub fn changes<'a>(
        &mut self,
        links: impl Iterator<Item = (&'a str, bool)>,
    ) -> Vec<(String, bool)> {
        let mut changes = Vec::new();
        let mut seen = BTreeSet::new();
        for (instance, up) in links {
            seen.insert(instance);
            if up == self.down.contains(instance) {
                changes.push((instance.to_string(), up));
            }
        }
        for instance in &self.down {
            if !seen.contains(instance.as_str()) {
                changes.push((instance.clone(), true));
            }
        }
        for (instance, up) in &changes {
            if *up {
                self.down.remove(instance);
            } else {
                self.down.insert(instance.clone());
            }
        }
        changes
    }

    /// Records `instance`'s link as reported down; whether that is news.
    pub fn report_down(&mut self, instance: &str) -> bool {
        self.down.insert(instance.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: VI_1 and VI_2 up (as the engine assumes), then VI_1 down twice, then VI_1 up,
    // VI_2's link gone while reported down.
    // Output: nothing at first; VI_1 down once; VI_1 up; VI_2 up when its link is gone.
    #[test]
    fn reports_each_transition_once() {
        let mut reports = LinkReports::default();
        assert!(
            reports
                .changes([("VI_1", true), ("VI_2", true)].into_iter())
                .is_empty()
        );
        assert_eq!(
            reports.changes([("VI_1", false), ("VI_2", true)].into_iter()),
            [("VI_1".to_string(), false)]
        );
        assert!(
            reports
                .changes([("VI_1", false), ("VI_2", true)].into_iter())
                .is_empty()
        );
        assert_eq!(
            reports.changes([("VI_1", true), ("VI_2", true)].into_iter()),
            [("VI_1".to_string(), true)]
        );
        assert!(reports.report_down("VI_2"));
        assert!(!reports.report_down("VI_2"));
        assert_eq!(
            reports.changes([("VI_1", true)].into_iter()),
            [("VI_2".to_string(), true)]
        );
        assert!(reports.changes([("VI_1", true)].into_iter()).is_empty());
    }
}
