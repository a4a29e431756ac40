//! `keel -C`: the checker alone, in the foreground, until SIGTERM or SIGINT; SIGHUP
//! reloads.
//!
//! This is the smallest entry the command line needs while the daemon (VRRP side, pid
//! files, reload, daemonising) is built elsewhere; the daemon spawns [`super::run_checker`]
//! itself and this module then only serves `-C` until it is folded in.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use super::{CheckerEvent, CheckerOptions, run_checker_with_events};
use crate::cli::Options;
use crate::config_test;

/// Loads the configuration `options` names and runs the checker; returns the exit code.
pub fn run(options: &Options) -> i32 {
    let loaded = config_test::load(options);
    let verdict = config_test::report(&loaded.diagnostics, &loaded.sources, &mut std::io::stderr());
    // spec §1.4: class 4 means keepalived cannot run this configuration.
    if verdict == 4 {
        return verdict;
    }
    let keel_conf::Loaded { config, .. } = loaded;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("keel: tokio runtime: {error}");
            return 1;
        }
    };
    let checker_options = CheckerOptions {
        dont_release_ipvs: options.dont_release_ipvs,
        ..CheckerOptions::default()
    };
    let result = runtime.block_on(async {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (mut term, mut int, mut hup) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(term), Ok(int), Ok(hup)) => (term, int, hup),
            (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                anyhow::bail!("signal handlers: {error}")
            }
        };
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let reload_options = options.clone();
        tokio::spawn(async move {
            // spec §1.1: SIGHUP re-reads the configuration; a file keepalived could not run
            // is reported and the old configuration stays.
            while hup.recv().await.is_some() {
                let loaded = config_test::load(&reload_options);
                let verdict = config_test::report(
                    &loaded.diagnostics,
                    &loaded.sources,
                    &mut std::io::stderr(),
                );
                if verdict != 4 {
                    let _ = events_tx.send(CheckerEvent::Reload(Box::new(loaded.config)));
                }
            }
        });
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            let _ = shutdown_tx.send(true);
            // Keep the sender alive until the checker has seen the change.
            std::future::pending::<()>().await;
        });
        run_checker_with_events(config, checker_options, shutdown_rx, events_rx).await
    });
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("keel checker: {error:#}");
            1
        }
    }
}
