//! `keel -C`: the checker process (keepalived's `Keepalived_healthcheckers`, spec §1.1),
//! run alone or as the daemon's checker child ([`super::supervisor`]).
//!
//! Alone it behaves like the daemon: it forks into the background unless `-n`, writes
//! keepalived's main and checker pid files (`-p`, `-c`; spec §1.3), logs to the console
//! (`-l`), syslog (ident `Keepalived_healthcheckers`, `-S`, `-G`) and `-g FILE` (with
//! `_healthcheckers` before the extension). As the daemon's child it stays in the
//! foreground, writes only the checker pid file and ends if its parent is gone.
//!
//! Signals (spec §1.2): SIGTERM/SIGINT stop (omega notifiers, keepalived's stop rules for
//! the load balancer), SIGHUP re-reads the file (a file that cannot run is reported and
//! the running configuration stays), SIGUSR1 writes `keepalived_check.data`. An rtnetlink
//! address monitor tells the checker when a virtual address becomes local or leaves
//! (`ha_suspend`), as keepalived's checker process does.

use std::net::IpAddr;

use keel_sys::netlink::{NetEvent, NetlinkMonitor};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{mpsc, watch};

use super::supervisor::CHILD_ENV;
use super::{CheckerEvent, CheckerOptions, is_local, run_checker_with_events};
use crate::cli::Options;
use crate::daemon::scheduling::{self as daemon_scheduling, ProcessKind};
use crate::daemon::{load_config, log, process};
use crate::ops::dump::DumpPaths;
use crate::ops::logging::LogProcess;

/// Runs the checker process for `options` until it is stopped; returns the exit code.
pub fn run(options: &Options) -> i32 {
    let parent = std::env::var(CHILD_ENV)
        .ok()
        .and_then(|pid| pid.parse::<i32>().ok());
    log::init_as(
        LogProcess::Checkers,
        &options.logging,
        options.namespace.as_deref(),
    );
    let config = match load_config(options) {
        Ok(config) => config,
        Err(error) => {
            log::error(&error);
            if !options.logging.console && parent.is_none() {
                eprint!("{error}");
            }
            // spec §1.1: CONFIG (2) makes keepalived's parent stop rather than respawn.
            return if parent.is_some() { 2 } else { 4 };
        }
    };
    // spec §1.4: as the VRRP side (the daemon passes its `-u` on).
    crate::ops::umask::apply(crate::ops::umask::effective_umask(
        options.umask,
        config.global_defs.umask,
    ));
    // spec §1.3: `keel -C` alone joins the namespace itself; the daemon's child inherits it.
    let _run_dir = if parent.is_none() {
        let namespace = options.namespace.as_deref();
        match crate::ops::namespace::enter(namespace.or(config.root.net_namespace.as_deref())) {
            Ok(run_dir) => run_dir,
            Err(error) => {
                log::error(&error);
                return 1;
            }
        }
    } else {
        None
    };
    if let Some(parent) = parent {
        // The parent may have died before PR_SET_PDEATHSIG took effect.
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } != parent {
            log::error("the keel daemon that started this checker is gone");
            return 0;
        }
    } else if !options.dont_fork {
        if let Err(error) = process::daemonize(options.logging.console) {
            log::error(&format!("cannot daemonize: {error}"));
            return 1;
        }
    }
    let processes: &[process::Process] = if parent.is_some() {
        &[process::Process::Checkers]
    } else {
        &[process::Process::Main, process::Process::Checkers]
    };
    let pid_files = match process::PidFiles::create_for(options, &config.root, processes) {
        Ok(files) => files,
        Err(error) => {
            log::error(&error);
            return 1;
        }
    };
    // As the daemon's child, the parent has said this already.
    if parent.is_none() {
        log::info(&format!(
            "Starting Healthcheck child process, pid={}",
            std::process::id()
        ));
    }
    // Before the runtime, so its threads inherit them (spec §2.3).
    let scheduling = config.global_defs.scheduling.checker.clone();
    daemon_scheduling::apply(ProcessKind::Checker, &scheduling);
    daemon_scheduling::set_name(ProcessKind::Checker, &config.global_defs.scheduling);
    let Some(runtime) = crate::daemon::runtime::event_loop() else {
        return 1;
    };
    let checker_options = CheckerOptions {
        dont_release_ipvs: options.dont_release_ipvs,
        ..CheckerOptions::default()
    };
    let dump_path = check_data_path(options, &config);
    let result = runtime.block_on(async {
        daemon_scheduling::spawn_sigxcpu_logger(ProcessKind::Checker, &scheduling);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        spawn_signal_handlers(options, shutdown_tx, &events_tx, dump_path)?;
        spawn_address_monitor(&events_tx);
        if parent.is_some() {
            super::bfd_feed::spawn_reader(&events_tx);
        } else if has_bfd_checks(&config) {
            log::warn("BFD_CHECK: no keel daemon runs the BFD sessions; the checkers keep their initial state");
        }
        run_checker_with_events(config, checker_options, shutdown_rx, events_rx).await
    });
    drop(pid_files);
    match result {
        Ok(()) => {
            log::info("Stopped");
            0
        }
        Err(error) => {
            log::error(&format!("{error:#}"));
            1
        }
    }
}

/// Whether some real server has a `BFD_CHECK`.
fn has_bfd_checks(config: &keel_conf::Config) -> bool {
    config.lvs.virtual_servers.iter().any(|vs| {
        vs.real_servers.iter().any(|rs| {
            rs.checkers
                .iter()
                .any(|c| matches!(c.kind, keel_conf::model::lvs::CheckerKind::Bfd { .. }))
        })
    })
}

/// `keepalived_check.data`: keepalived's data dump file with `_check` before the
/// extension, in the same place (`$TMPDIR` or `/tmp`, `state_dump_file`,
/// `data_use_instance`; spec §1.2, §1.3).
fn check_data_path(options: &Options, config: &keel_conf::Config) -> std::path::PathBuf {
    let tmpdir = std::env::var_os("TMPDIR");
    let namespace = options
        .namespace
        .clone()
        .or(config.root.net_namespace.clone());
    let paths = DumpPaths::resolve(
        &config.global_defs.other,
        tmpdir.as_deref(),
        namespace.as_deref(),
        config.root.instance.as_deref(),
    );
    crate::ops::insert_before_extension(&paths.data, "_check")
}

fn spawn_signal_handlers(
    options: &Options,
    shutdown_tx: watch::Sender<bool>,
    events_tx: &UnboundedSender<CheckerEvent>,
    dump_path: std::path::PathBuf,
) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut int = if options.ignore_sigint {
        // SAFETY: SIG_IGN for SIGINT has no preconditions.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
        None
    } else {
        Some(signal(SignalKind::interrupt())?)
    };
    tokio::spawn(async move {
        let interrupted = async {
            match &mut int {
                Some(int) => int.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupted => {}
        }
        let _ = shutdown_tx.send(true);
        // Keep the sender alive until the checker has seen the change.
        std::future::pending::<()>().await;
    });
    let reload_options = options.clone();
    let reload_tx = events_tx.clone();
    tokio::spawn(async move {
        // spec §1.1: SIGHUP re-reads the configuration; a file keepalived could not run is
        // reported and the old configuration stays.
        while hup.recv().await.is_some() {
            log::info("Reloading");
            match load_config(&reload_options) {
                Ok(config) => {
                    crate::ops::umask::apply(crate::ops::umask::effective_umask(
                        reload_options.umask,
                        config.global_defs.umask,
                    ));
                    daemon_scheduling::reload(
                        ProcessKind::Checker,
                        &config.global_defs.scheduling.checker,
                    );
                    let _ = reload_tx.send(CheckerEvent::Reload(Box::new(config)));
                }
                Err(error) => log::error(&format!(
                    "reload failed, keeping the running configuration: {error}"
                )),
            }
        }
    });
    let dump_tx = events_tx.clone();
    tokio::spawn(async move {
        while usr1.recv().await.is_some() {
            let _ = dump_tx.send(CheckerEvent::Dump(dump_path.clone()));
        }
    });
    Ok(())
}

/// Reports every address that appears or goes, with whether it is still local after
/// the change (an address may sit on two interfaces).
fn spawn_address_monitor(events_tx: &UnboundedSender<CheckerEvent>) {
    let mut monitor = match NetlinkMonitor::open() {
        Ok(monitor) => monitor,
        Err(error) => {
            log::error(&format!(
                "netlink address monitor: {error}; ha_suspend follows only the start state"
            ));
            return;
        }
    };
    let events_tx = events_tx.clone();
    tokio::spawn(async move {
        while let Some(event) = monitor.next().await {
            let address: IpAddr = match event {
                NetEvent::AddressAdded { address, .. }
                | NetEvent::AddressRemoved { address, .. } => address,
                _ => continue,
            };
            let local = is_local(address);
            let event = CheckerEvent::AddressLocal { address, local };
            if events_tx.send(event).is_err() {
                return;
            }
        }
    });
}
