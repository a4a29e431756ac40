//! The checker's use of keel-sys's data planes (IPVS over generic netlink, or nftables DNAT
//! where the kernel has no IPVS; issue 5, part 3): open by `keel_lb_backend`, converge on
//! keel-check's desired state, and keepalived's flush rules at start and stop (spec §2.3).

use std::time::Duration;

use anyhow::{Context, Result};
use keel_lb::{Desired, diff};
use keel_sys::lb::{Backend, BackendChoice, LbBackend};

/// Opens the backend `choice` names; `Auto` takes IPVS when the kernel has the "IPVS"
/// generic-netlink family (spec §3.12), else nftables.
pub fn open(choice: BackendChoice) -> Result<Backend> {
    Backend::open(choice).with_context(|| format!("opening the {choice:?} load balancer"))
}

/// What the data plane already holds of the services keel wants: keel adopts such a
/// service and edits it into shape, as keepalived does, instead of failing to add it.
pub fn adopt(backend: &Backend, wanted: &Desired) -> Result<Desired> {
    let mut adopted = Desired::default();
    for (key, service) in backend.current()?.services {
        if wanted.services.contains_key(&key) {
            adopted.services.insert(key, service);
        }
    }
    Ok(adopted)
}

/// `lvs_flush`: empties the IPVS table at start. nftables starts empty anyway (keel-sys
/// replaces a `keel` table left behind when it opens).
pub fn flush(backend: &Backend) -> Result<()> {
    if let Backend::Ipvs(ipvs) = backend {
        ipvs.flush().context("lvs_flush")?;
    }
    Ok(())
}

/// `lvs_timeouts` (spec §2.3), IPVS only: nftables NAT follows conntrack's own timeouts.
pub fn set_timeouts(backend: &Backend, [tcp, tcp_fin, udp]: [u32; 3]) -> Result<()> {
    if let Backend::Ipvs(ipvs) = backend
        && (tcp, tcp_fin, udp) != (0, 0, 0)
    {
        let timeouts = keel_sys::ipvs::Timeouts { tcp, tcp_fin, udp };
        ipvs.set_timeouts(&timeouts).context("lvs_timeouts")?;
    }
    Ok(())
}

/// Brings `backend` from `applied` to `desired`, and `applied` with it: to `desired`, or
/// after a refusal to what the data plane reads back as (so the next change diffs against
/// the truth), returning the error.
pub fn converge(backend: &mut Backend, applied: &mut Desired, desired: Desired) -> Result<()> {
    let ops = diff(applied, &desired);
    if ops.is_empty() {
        return Ok(());
    }
    match backend.apply(&ops) {
        Ok(()) => {
            // Moved, not cloned: with thousands of destinations a copy of the model per
            // change showed in the VM profile.
            *applied = desired;
            Ok(())
        }
        Err(error) => {
            if let Ok(truth) = backend.current() {
                *applied = truth;
            }
            Err(error.into())
        }
    }
}

/// keepalived's stop (spec §2.3): without `lvs_flush_on_stop` only what keel applied goes;
/// `lvs_flush_on_stop` flushes the whole IPVS table; `lvs_flush_on_stop VS` deletes the
/// virtual servers keel configured, with whatever destinations they hold. nftables: keel's
/// table goes in every case (it holds nothing else).
pub fn stop(mut backend: Backend, applied: &Desired, flush_on_stop: Option<bool>) -> Result<()> {
    match (&mut backend, flush_on_stop) {
        (Backend::Ipvs(_), Some(true)) => {
            let mut doomed = Desired::default();
            for (key, service) in backend.current()?.services {
                if applied.services.contains_key(&key) {
                    doomed.services.insert(key, service);
                }
            }
            backend.apply(&diff(&doomed, &Desired::default()))?;
            Ok(())
        }
        _ => Ok(backend.stop(applied, flush_on_stop == Some(false))?),
    }
}

/// When to try again a convergence the data plane refused (issue 5: "every destination
/// programmed"). Without it a refusal at start, say a netlink error on a busy machine, left
/// the refused entries out until some real server changed state, which in steady state is
/// never: a VM run once ended with 1,895 of 2,000 destinations. keepalived does not retry;
/// keel retries after 1 s, doubling to 30 s, until the data plane takes the whole state.
#[derive(Debug, Default)]
pub struct Retry {
    next: Option<(std::time::Instant, Duration)>,
}

/// The first retry's delay.
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest delay between two retries.
const RETRY_MAX: Duration = Duration::from_secs(30);

impl Retry {
    /// Records the outcome of a convergence at `now`.
    pub fn record(&mut self, now: std::time::Instant, succeeded: bool) {
        self.next = if succeeded {
            None
        } else {
            let delay = match self.next {
                Some((_, delay)) => (delay * 2).min(RETRY_MAX),
                None => RETRY_FIRST,
            };
            Some((now + delay, delay))
        };
    }

    /// When the next attempt is due, if one is.
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.next.map(|(at, _)| at)
    }

    /// Whether an attempt is due at `now`.
    pub fn due(&self, now: std::time::Instant) -> bool {
        self.deadline().is_some_and(|at| at <= now)
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;
    use std::time::Instant;

    // Input: a refusal, four more refusals, then a success.
    // Output: retries due 1, 2, 4, 8, 16 s after each refusal, never more than 30 s
    // apart, and none once the data plane took the state.
    #[test]
    fn refusals_back_off_and_a_success_stops_the_retries() {
        let start = Instant::now();
        let mut retry = Retry::default();
        assert_eq!(retry.deadline(), None);
        let mut now = start;
        for expected in [1, 2, 4, 8, 16, 30, 30] {
            retry.record(now, false);
            let due = retry.deadline().expect("a retry is scheduled");
            assert_eq!(due - now, Duration::from_secs(expected));
            assert!(!retry.due(due - Duration::from_millis(1)));
            assert!(retry.due(due));
            now = due;
        }
        retry.record(now, true);
        assert_eq!(retry.deadline(), None);
        assert!(!retry.due(now + Duration::from_secs(3600)));
        // A later refusal starts again from 1 s.
        retry.record(now, false);
        assert_eq!(retry.deadline(), Some(now + RETRY_FIRST));
    }
}
