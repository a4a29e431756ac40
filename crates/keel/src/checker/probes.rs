//! Probes waiting for a slot, and the slots: `TCP_CHECK`s on one [`TcpProber`] (no task
//! per check; half-open unless `keel_tcp_check connect`, the SYNs of one turn in one
//! batch), every other checker as a keel-probe task.
//!
//! At most `limit` probes are in flight in all; the rest wait as requests in a queue. A
//! probe becomes a task only when it gets a slot: a probe future holds every checker
//! type's state (TLS included), so thousands of queued tasks would cost megabytes where a
//! queued request costs a few hundred bytes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use keel_check::CheckerId;
use keel_probe::{ProbeSpec, TcpCheckMode, TcpProber};
use tokio::sync::{Semaphore, mpsc};

/// Where the results of task probes go.
pub(super) type ResultSender = mpsc::UnboundedSender<(CheckerId, keel_check::ProbeOutcome)>;

pub(super) struct ProbePool {
    pending: VecDeque<(CheckerId, keel_probe::ProbeRequest)>,
    limit: usize,
    /// One permit per task slot; `limit` in all.
    task_slots: Arc<Semaphore>,
    /// `None` only if the epoll set could not be created; TCP checks then run as tasks.
    tcp: Option<TcpProber<CheckerId>>,
    result_tx: ResultSender,
}

impl ProbePool {
    pub(super) fn new(limit: usize, result_tx: ResultSender, mode: TcpCheckMode) -> ProbePool {
        let limit = limit.max(1);
        let tcp = match TcpProber::with_mode(mode) {
            Ok(prober) => {
                if prober.mode() != mode {
                    crate::daemon::log::warn(
                        "TCP_CHECK connects: no raw socket (CAP_NET_RAW) for keel_tcp_check syn",
                    );
                }
                Some(prober)
            }
            Err(error) => {
                crate::daemon::log::warn(&format!(
                    "TCP_CHECK runs one task per check: epoll: {error}"
                ));
                None
            }
        };
        ProbePool {
            pending: VecDeque::new(),
            limit,
            task_slots: Arc::new(Semaphore::new(limit)),
            tcp,
            result_tx,
        }
    }

    pub(super) fn queue(&mut self, checker: CheckerId, probe: keel_probe::ProbeRequest) {
        self.pending.push_back((checker, probe));
    }

    /// Starts queued probes while slots are free. A finished task probe frees its slot and
    /// wakes the loop (its result), which calls this again; so does a finished TCP check
    /// ([`ProbePool::ready`]). The SYNs of the half-open checks started leave together at
    /// the end.
    pub(super) fn launch(&mut self, now: Instant) {
        self.launch_queued(now);
        if let Some(prober) = &mut self.tcp {
            prober.flush(now);
        }
    }

    fn launch_queued(&mut self, now: Instant) {
        while !self.pending.is_empty() {
            let tasks = self.limit - self.task_slots.available_permits();
            let tcp = self.tcp.as_ref().map_or(0, TcpProber::in_flight);
            if tasks + tcp >= self.limit {
                return;
            }
            let Some((checker, probe)) = self.pending.pop_front() else {
                return;
            };
            if let (ProbeSpec::Tcp, Some(prober)) = (&probe.spec, self.tcp.as_mut()) {
                prober.start(checker, &probe, now);
                continue;
            }
            let Ok(slot) = self.task_slots.clone().try_acquire_owned() else {
                self.pending.push_front((checker, probe));
                return;
            };
            let result_tx = self.result_tx.clone();
            tokio::spawn(async move {
                // Boxed: the probe future is sized for the largest checker (TLS), and
                // an unboxed one would be copied whole into every task.
                let outcome = super::outcome(Box::pin(keel_probe::run(&probe)).await);
                // Free the slot before the loop hears of the result and launches more.
                drop(slot);
                let _ = result_tx.send((checker, outcome));
            });
        }
    }

    /// Resolves when TCP checks have results for [`ProbePool::poll_result`] (after
    /// [`ProbePool::collect`]); never without a [`TcpProber`].
    pub(super) async fn ready(&self) {
        match &self.tcp {
            Some(prober) => {
                if prober.ready().await.is_err() {
                    // The reactor is gone: the runtime is shutting down.
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }

    /// Takes the finished TCP checks; call after [`ProbePool::ready`].
    pub(super) fn collect(&mut self) {
        if let Some(prober) = &mut self.tcp {
            prober.collect();
        }
    }

    /// The next TCP check's deadline (`connect_timeout`).
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        self.tcp.as_ref().and_then(TcpProber::poll_timeout)
    }

    /// Fails the TCP checks whose `connect_timeout` has passed.
    pub(super) fn handle_timeout(&mut self, now: Instant) {
        if let Some(prober) = &mut self.tcp {
            prober.handle_timeout(now);
        }
    }

    /// A finished TCP check.
    pub(super) fn poll_result(&mut self) -> Option<(CheckerId, keel_check::ProbeOutcome)> {
        let (checker, outcome) = self.tcp.as_mut()?.poll_result()?;
        Some((checker, super::outcome(outcome)))
    }
}
