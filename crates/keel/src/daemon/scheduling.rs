//! The scheduling keywords of one of keepalived's processes (spec §2.3, "scheduling"),
//! applied when that process starts: the VRRP daemon, the checker child and (when keel has
//! one) the BFD process each call [`apply`] before their runtime starts, then
//! [`spawn_sigxcpu_logger`] inside it.
//!
//! The work is keel-sys's [`keel_sys::sched`]; this module maps the configuration onto it
//! and logs what keepalived logs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use keel_conf::model::scheduling::{ProcessScheduling, Scheduling as Configured};
use keel_sys::sched::{self, Realtime, Scheduling};
use tokio::signal::unix::{SignalKind, signal};

use super::log;

/// Which of keepalived's processes is starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessKind {
    /// The VRRP process (`vrrp_*`).
    Vrrp,
    /// The health-checker process (`checker_*`).
    Checker,
    /// The BFD process (`bfd_*`).
    Bfd,
}

impl ProcessKind {
    /// keepalived's name of the process in its SIGXCPU message.
    fn name(self) -> &'static str {
        match self {
            ProcessKind::Vrrp => "VRRP",
            ProcessKind::Checker => "Checker",
            ProcessKind::Bfd => "BFD",
        }
    }

    /// The keyword prefix.
    fn prefix(self) -> &'static str {
        match self {
            ProcessKind::Vrrp => "vrrp",
            ProcessKind::Checker => "checker",
            ProcessKind::Bfd => "bfd",
        }
    }
}

/// Applies `settings` to the calling process. Call on the thread that will run the
/// runtime, before the runtime starts (its threads inherit the settings). Failures are
/// logged, never fatal: keepalived runs on with whatever it could set.
pub fn apply(process: ProcessKind, settings: &ProcessScheduling) {
    if let Ok(mut applied) = APPLIED.lock() {
        *applied = Some(settings.clone());
    }
    if settings.is_default() {
        return;
    }
    let request = Scheduling {
        nice: settings.priority,
        realtime: settings.rt_priority.map(|priority| Realtime {
            priority,
            rlimit_rttime_us: settings.rlimit_rttime,
        }),
        lock_memory: settings.no_swap,
        cpus: settings.cpu_affinity.clone(),
    };
    for failure in sched::apply(&request) {
        log::warn(&format!("{} process: {failure}", process.name()));
    }
    if let Some(priority) = settings.rt_priority {
        log::detail(&format!(
            "{} process: realtime priority {priority}, rlimit_rttime {} us",
            process.name(),
            settings.rlimit_rttime
        ));
    }
}

/// Names the process as `process_name`, `vrrp_process_name`, `checker_process_name` or
/// `process_names` ask (keepalived.conf(5)). keel's VRRP process is also keepalived's
/// parent, so it takes `vrrp_process_name`, else `process_name`, else with `process_names`
/// `keepalived_vrrp`; the checker child `checker_process_name`, else `keepalived_ipvs`. Call
/// on the main thread, at start.
pub fn set_name(process: ProcessKind, configured: &Configured) {
    let explicit = match process {
        ProcessKind::Vrrp => configured
            .vrrp
            .name
            .as_ref()
            .or(configured.process_name.as_ref()),
        ProcessKind::Checker => configured.checker.name.as_ref(),
        ProcessKind::Bfd => configured.bfd.name.as_ref(),
    };
    let default = match process {
        ProcessKind::Vrrp => "keepalived_vrrp",
        ProcessKind::Checker => "keepalived_ipvs",
        ProcessKind::Bfd => "keepalived_bfd",
    };
    let name = match explicit {
        Some(name) => name.as_str(),
        None if configured.process_names => default,
        None => return,
    };
    if let Err(error) = sched::set_name(name) {
        log::warn(&format!("cannot set the process name to {name}: {error}"));
    }
}

/// At a reload (SIGHUP), when the settings changed: back to what the process had at start,
/// then `settings`, as keepalived resets and re-applies them around its reload. Call on the
/// runtime's thread (the loop's, which the settings are for); with an rt priority new in
/// this configuration, inside the runtime (it starts the SIGXCPU logger).
pub fn reload(process: ProcessKind, settings: &ProcessScheduling) {
    let unchanged = APPLIED
        .lock()
        .map(|applied| applied.as_ref() == Some(settings))
        .unwrap_or(false);
    if unchanged {
        return;
    }
    for failure in sched::reset() {
        log::warn(&format!("{} process: {failure}", process.name()));
    }
    apply(process, settings);
    spawn_sigxcpu_logger(process, settings);
}

/// The settings [`apply`] last applied in this process.
static APPLIED: Mutex<Option<ProcessScheduling>> = Mutex::new(None);
/// Whether the SIGXCPU logger runs (one is enough for the process's life).
static LOGGER: AtomicBool = AtomicBool::new(false);

/// Logs keepalived's warning each time the process passes its soft RLIMIT_RTTIME (half of
/// `*_rlimit_rttime`); the kernel kills it at the hard limit. Call inside the runtime, only
/// when an rt priority is set (keepalived installs the handler only then).
pub fn spawn_sigxcpu_logger(process: ProcessKind, settings: &ProcessScheduling) {
    if settings.rt_priority.is_none() || LOGGER.load(Ordering::Relaxed) {
        return;
    }
    let mut stream = match signal(SignalKind::from_raw(libc::SIGXCPU)) {
        Ok(stream) => stream,
        Err(error) => {
            // SIGXCPU stays ignored (keel_sys::sched), so the soft limit cannot kill us.
            log::warn(&format!("cannot handle SIGXCPU: {error}"));
            return;
        }
    };
    LOGGER.store(true, Ordering::Relaxed);
    let message = sched::sigxcpu_message(process.name(), process.prefix());
    tokio::spawn(async move {
        while stream.recv().await.is_some() {
            log::info(&message);
        }
    });
}
