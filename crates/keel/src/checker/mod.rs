//! The health-checker process: keepalived's checker child (spec §1.1) as a tokio task.
//!
//! keel-check decides; this module does. Each [`keel_check::Action`] becomes I/O:
//! `RunProbe` a keel-probe task (at most [`CheckerOptions::max_concurrent_probes`] at a
//! time), whose outcome returns as an [`Input::ProbeResult`]; `LoadBalancerChanged` a
//! `keel_lb::diff` between what is applied and [`Checks::desired`], applied to IPVS or
//! nftables; `Notify` a detached script; `FifoLine` a line on `notify_fifo` /
//! `lvs_notify_fifo`; `Smtp` a mail. FILE_CHECK files are read once a second and reported
//! when their verdict changes.
//!
//! Start and stop follow keepalived (spec §2.3, §3.12): `lvs_flush` empties the table
//! first; at stop `omega` notifiers run, then keel removes what it installed, or flushes
//! everything (`lvs_flush_on_stop`), or only its virtual servers (`lvs_flush_on_stop VS`);
//! `-I` (`--dont-release-ipvs`) leaves the table as it is.

mod backend;
pub mod bfd_feed;
mod dump;
mod effects;
mod probes;
pub mod standalone;
pub mod supervisor;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use keel_check::{Action, CheckerId, Checks, Input, ProbeKind};
use keel_conf::Config;
use keel_lb::Desired;
use keel_sys::lb::Backend;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::check_config::{BackendChoice, CheckPlan};
use crate::daemon::log;
use effects::Effects;
use probes::ProbePool;

/// How the daemon runs the checker (from the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckerOptions {
    /// `-I` / `--dont-release-ipvs`: leave the load balancer as it is at exit.
    pub dont_release_ipvs: bool,
    /// Overrides `keel_lb_backend` from the configuration.
    pub backend: Option<BackendChoice>,
    /// The most probes in flight at once; keepalived runs every checker on one thread,
    /// keel bounds sockets and scripts instead.
    pub max_concurrent_probes: usize,
}

impl Default for CheckerOptions {
    fn default() -> Self {
        CheckerOptions {
            dont_release_ipvs: false,
            backend: None,
            max_concurrent_probes: 512,
        }
    }
}

/// What the daemon tells a running checker.
#[derive(Debug, Clone)]
pub enum CheckerEvent {
    /// A new configuration (SIGHUP): unchanged checkers keep their state (spec §1.1).
    Reload(Box<Config>),
    /// A virtual address appeared on or left this host (drives `ha_suspend`).
    AddressLocal {
        /// The address.
        address: std::net::IpAddr,
        /// Whether it is local now.
        local: bool,
    },
    /// SIGUSR1: write the checker's state to this file (`keepalived_check.data`).
    Dump(std::path::PathBuf),
    /// A BFD session's state, from the daemon (see [`bfd_feed`]).
    Bfd {
        /// The `bfd_instance` name.
        name: String,
        /// Whether the session is Up.
        up: bool,
    },
}

/// Runs the checker until `shutdown` turns `true` (or its sender is dropped), then stops
/// the way keepalived's checker child does. Errors only when it cannot start: an invalid
/// checker configuration, or no usable data plane. Without a daemon feeding
/// [`CheckerEvent`]s, `ha_suspend` virtual servers are judged once, at start, by whether
/// their address is local.
pub async fn run_checker(
    config: Config,
    options: CheckerOptions,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let (_events_tx, events_rx) = mpsc::unbounded_channel();
    run_checker_with_events(config, options, shutdown, events_rx).await
}

/// [`run_checker`], also taking reloads and address changes from the daemon.
pub async fn run_checker_with_events(
    config: Config,
    options: CheckerOptions,
    mut shutdown: watch::Receiver<bool>,
    mut events: mpsc::UnboundedReceiver<CheckerEvent>,
) -> Result<()> {
    let mut plan = CheckPlan::from_config(&config);
    // The parsed file (spans, every VRRP block) is not needed past this point; an async
    // fn would otherwise keep its argument alive until the checker stops.
    drop(config);
    // keel-check keeps the checker configuration; the plan's copy is moved into it (past
    // start only the plan's probe templates are read), one copy fewer per real server.
    let suspended = suspended_addresses(&plan);
    let virtual_servers = plan.check.virtual_servers.len();
    let check = std::mem::take(&mut plan.check);
    let mut plan = Arc::new(plan);
    for warning in &plan.warnings {
        log::warn(warning);
    }
    let choice = options.backend.unwrap_or(plan.settings.backend);
    let backend = backend::open(choice)?;
    let seed = u64::from(std::process::id()) ^ 0x6b65_656c;
    let start = Instant::now();
    let mut checks = Checks::new(check, start.into_std(), seed).context("checker configuration")?;
    log::info(&format!(
        "Initializing ipvs: {} virtual servers, {} checkers, {} backend",
        virtual_servers,
        checks.checker_ids().count(),
        backend.kind()
    ));
    if plan.settings.lvs_flush {
        backend::flush(&backend)?;
    }
    backend::set_timeouts(&backend, plan.settings.lvs_timeouts)?;
    for address in suspended {
        let local = is_local(address);
        let _ = checks.handle(start.into_std(), Input::AddressLocal { address, local });
    }
    let applied = backend::adopt(&backend, &checks.desired())?;
    let mut lb = Lb {
        backend,
        applied,
        retry: backend::Retry::default(),
    };
    let mut effects = Effects::new(&plan.settings);
    let (result_tx, mut result_rx) = mpsc::unbounded_channel();
    let mut probes = ProbePool::new(
        options.max_concurrent_probes,
        result_tx,
        plan.settings.tcp_check,
    );
    let mut files = FileWatch::new(&plan, &checks);
    let mut bfd_known = bfd_feed::Known::new();
    // Parsing and planning were the peak; give their freed pages back (a few MB at 2,000
    // real servers) before settling into the steady state.
    crate::memory::release_freed();
    let mut file_tick = tokio::time::interval(Duration::from_secs(1));

    let far = || Instant::now() + Duration::from_secs(3600);
    let sleep = tokio::time::sleep_until(far());
    tokio::pin!(sleep);
    loop {
        drain(&mut checks, &plan, &mut lb, &mut effects, &mut probes);
        probes.launch(Instant::now().into_std());
        let deadline = [
            checks.poll_timeout(),
            probes.poll_timeout(),
            lb.retry.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(Instant::from_std)
        .unwrap_or_else(far);
        // One timer entry for the whole run, moved only when the deadline moves.
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        tokio::select! {
            _ = &mut sleep => {
                let now = Instant::now().into_std();
                if lb.retry.due(now) {
                    lb.converge(&checks);
                }
                checks.handle_timeout(now);
                // TCP checks past connect_timeout; their results come through ready().
                probes.handle_timeout(now);
            }
            _ = probes.ready() => {
                probes.collect();
                while let Some((checker, outcome)) = probes.poll_result() {
                    report(&mut checks, checker, outcome);
                }
            }
            Some((checker, outcome)) = result_rx.recv() => {
                report(&mut checks, checker, outcome);
                // Take every result already here in one turn of the loop.
                while let Ok((checker, outcome)) = result_rx.try_recv() {
                    report(&mut checks, checker, outcome);
                }
            }
            _ = file_tick.tick(), if !files.is_empty() => {
                for (checker, outcome) in files.changes().await {
                    report(&mut checks, checker, outcome);
                }
            }
            Some(event) = events.recv() => {
                let now = Instant::now().into_std();
                let input = match event {
                    CheckerEvent::Dump(path) => {
                        if let Err(error) = dump::write(&checks, &path, now) {
                            log::error(&format!("writing {}: {error}", path.display()));
                        }
                        continue;
                    }
                    CheckerEvent::Reload(config) => {
                        let mut next = CheckPlan::from_config(&config);
                        for warning in &next.warnings {
                            log::warn(warning);
                        }
                        let input = Input::Reload(std::mem::take(&mut next.check));
                        plan = Arc::new(next);
                        input
                    }
                    CheckerEvent::AddressLocal { address, local } => {
                        Input::AddressLocal { address, local }
                    }
                    CheckerEvent::Bfd { name, up } => {
                        for (checker, outcome) in bfd_feed::outcomes(&checks, &name, up) {
                            report(&mut checks, checker, outcome);
                        }
                        bfd_known.insert(name, up);
                        continue;
                    }
                };
                let reload = matches!(input, Input::Reload(_));
                if let Err(error) = checks.handle(now, input) {
                    log::error(&error.to_string());
                }
                if reload {
                    files = FileWatch::new(&plan, &checks);
                    for (name, up) in &bfd_known {
                        for (checker, outcome) in bfd_feed::outcomes(&checks, name, *up) {
                            report(&mut checks, checker, outcome);
                        }
                    }
                    crate::memory::release_freed();
                }
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }

    // spec §1.1: at stop, omega notifiers run, then the service's entries go.
    let _ = checks.handle(Instant::now().into_std(), Input::Stop);
    while let Some(action) = checks.poll_action() {
        match action {
            Action::LoadBalancerChanged | Action::RunProbe(_) => {}
            other => effects.perform(other),
        }
    }
    if options.dont_release_ipvs {
        return Ok(());
    }
    backend::stop(lb.backend, &lb.applied, plan.settings.lvs_flush_on_stop)
}

/// The addresses of `ha_suspend` virtual servers.
fn suspended_addresses(plan: &CheckPlan) -> Vec<std::net::IpAddr> {
    plan.check
        .virtual_servers
        .iter()
        .filter(|vs| vs.ha_suspend)
        .filter_map(|vs| match vs.target {
            keel_check::VirtualServerTarget::Address { address, .. } => Some(address),
            _ => None,
        })
        .collect()
}

/// Whether `address` is configured on one of this host's interfaces, as keepalived counts
/// it for `ha_suspend` (its netlink address list, not routes: a `local` route's addresses
/// can be bound but are not on an interface). Read from the kernel's address list, which
/// already holds (or no longer holds) an address when its RTM_NEWADDR / RTM_DELADDR
/// arrives; binding a socket would race with the local route, which the kernel adds and
/// removes only after sending the notification. An unreadable list counts as not local.
fn is_local(address: std::net::IpAddr) -> bool {
    let Ok(interfaces) = nix::ifaddrs::getifaddrs() else {
        return false;
    };
    interfaces.into_iter().any(|interface| {
        let Some(configured) = interface.address else {
            return false;
        };
        match address {
            std::net::IpAddr::V4(v4) => configured
                .as_sockaddr_in()
                .is_some_and(|sin| sin.ip() == v4),
            std::net::IpAddr::V6(v6) => configured
                .as_sockaddr_in6()
                .is_some_and(|sin6| sin6.ip() == v6),
        }
    })
}

/// The data plane, what it holds, and when to try again what it refused.
struct Lb {
    backend: Backend,
    applied: Desired,
    retry: backend::Retry,
}

impl Lb {
    /// Brings the data plane to keel-check's desired state; a refusal is logged and retried
    /// later ([`backend::Retry`]).
    fn converge(&mut self, checks: &Checks) {
        let result = backend::converge(&mut self.backend, &mut self.applied, checks.desired());
        if let Err(error) = &result {
            log::error(&format!("{} backend: {error:#}", self.backend.kind()));
        }
        self.retry.record(Instant::now().into_std(), result.is_ok());
    }
}

/// Performs every pending action.
fn drain(
    checks: &mut Checks,
    plan: &Arc<CheckPlan>,
    lb: &mut Lb,
    effects: &mut Effects,
    probes: &mut ProbePool,
) {
    // Nothing feeds `checks` while its actions are drained, so the first
    // LoadBalancerChanged's desired state already holds every later one's: one diff per
    // batch of results instead of one per changed real server.
    let mut converged = false;
    while let Some(action) = checks.poll_action() {
        match action {
            Action::RunProbe(request) => {
                let Some(probe) = plan.probe_request(&request) else {
                    continue;
                };
                probes.queue(request.checker, probe);
            }
            Action::LoadBalancerChanged if converged => {}
            Action::LoadBalancerChanged => {
                converged = true;
                lb.converge(checks);
            }
            other => effects.perform(other),
        }
    }
}

fn report(checks: &mut Checks, checker: CheckerId, outcome: keel_check::ProbeOutcome) {
    let input = Input::ProbeResult { checker, outcome };
    if let Err(error) = checks.handle(Instant::now().into_std(), input) {
        log::error(&error.to_string());
    }
}

/// keel-probe's verdict in keel-check's words.
fn outcome(outcome: keel_probe::ProbeOutcome) -> keel_check::ProbeOutcome {
    match outcome {
        keel_probe::ProbeOutcome::Up => keel_check::ProbeOutcome::Up,
        keel_probe::ProbeOutcome::UpWithWeight(weight) => {
            keel_check::ProbeOutcome::UpWithWeight(weight)
        }
        keel_probe::ProbeOutcome::UpWithWeightOffset(offset) => {
            keel_check::ProbeOutcome::UpWithWeightOffset(offset)
        }
        keel_probe::ProbeOutcome::Down { reason } => keel_check::ProbeOutcome::Down { reason },
    }
}

/// FILE_CHECK checkers: keel-check never schedules them, the daemon reports their file's
/// verdict whenever it changes (and once at start).
struct FileWatch {
    checkers: Vec<(CheckerId, keel_probe::FileSpec)>,
    last: HashMap<CheckerId, keel_check::ProbeOutcome>,
}

impl FileWatch {
    fn new(plan: &CheckPlan, checks: &Checks) -> FileWatch {
        let mut checkers = Vec::new();
        for id in checks.checker_ids() {
            let Some(status) = checks.checker(id) else {
                continue;
            };
            if !matches!(status.probe.kind, ProbeKind::File { .. }) {
                continue;
            }
            let path = status.path;
            let template = plan
                .probes
                .get(path.virtual_server)
                .and_then(|vs| vs.get(path.real_server))
                .and_then(|rs| rs.get(path.checker));
            if let Some(keel_probe::ProbeSpec::File(spec)) = template.map(|t| &t.spec) {
                checkers.push((id, spec.clone()));
            }
        }
        FileWatch {
            checkers,
            last: HashMap::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.checkers.is_empty()
    }

    async fn changes(&mut self) -> Vec<(CheckerId, keel_check::ProbeOutcome)> {
        let mut changed = Vec::new();
        for (id, spec) in &self.checkers {
            let request = keel_probe::ProbeRequest::new(
                keel_probe::ProbeSpec::File(spec.clone()),
                std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            );
            let verdict = outcome(keel_probe::run(&request).await);
            if self.last.get(id) != Some(&verdict) {
                self.last.insert(*id, verdict.clone());
                changed.push((*id, verdict));
            }
        }
        changed
    }
}
