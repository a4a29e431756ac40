//! Process plumbing: daemon mode, pid files, signals, systemd readiness and watchdog.

use std::path::Path;
use std::sync::Arc;

use keel_conf::model::RootOptions;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedSender;

use super::{Event, Signal, log};
use crate::cli::Options;
pub use crate::ops::pidfile::Process;
use crate::ops::pidfile::{PidFile, PidLayout, RUN_DIR};
use crate::ops::systemd::Notifier;

/// keepalived's pid files (spec §1.3): the main one and the VRRP one, laid out by
/// [`crate::ops::pidfile`] (`-p`/`-r`, `use_pid_dir`, `instance`, namespace). keel is one
/// process, so both hold its pid. Removed on drop.
#[derive(Debug)]
pub struct PidFiles {
    _files: Vec<PidFile>,
}

impl PidFiles {
    /// Takes both pid files; refuses to start when one names a live process, as keepalived
    /// does.
    pub fn create(options: &Options, root: &RootOptions) -> Result<PidFiles, String> {
        PidFiles::create_for(options, root, &[Process::Main, Process::Vrrp])
    }

    /// The pid files of `processes`, all holding this process's pid: `keel -C` alone
    /// writes the main and checker files, the daemon's checker child only its own.
    pub fn create_for(
        options: &Options,
        root: &RootOptions,
        processes: &[Process],
    ) -> Result<PidFiles, String> {
        let layout = PidLayout {
            overrides: options.pid_files.clone(),
            use_pid_dir: root.use_pid_dir,
            instance: root.instance.clone(),
            namespace: options.namespace.clone().or(root.net_namespace.clone()),
        };
        let pid = std::process::id() as i32;
        let mut files = Vec::new();
        for &process in processes {
            let path = layout.path(process, Path::new(RUN_DIR));
            files.push(PidFile::acquire(&path, pid).map_err(|e| e.to_string())?);
        }
        Ok(PidFiles { _files: files })
    }
}

/// Whether process `pid` exists (and is not a zombie we could reap).
pub fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state letter follows the parenthesised command name.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

/// Detaches from the terminal: fork (the parent exits 0), setsid, chdir /, stdio to
/// /dev/null (stderr kept with `-l`). Call before any thread exists.
pub fn daemonize(keep_stderr: bool) -> Result<(), String> {
    // SAFETY: called before the runtime starts, so the process is single-threaded and fork
    // duplicates only this thread.
    match unsafe { libc::fork() } {
        -1 => return Err(std::io::Error::last_os_error().to_string()),
        0 => {}
        // SAFETY: _exit ends the parent without running the child's destructors twice.
        _ => unsafe { libc::_exit(0) },
    }
    // SAFETY: setsid and chdir take no pointers but the NUL-terminated literal.
    unsafe {
        libc::setsid();
        libc::chdir(c"/".as_ptr());
    }
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| e.to_string())?;
    use std::os::fd::AsRawFd;
    let targets: &[libc::c_int] = if keep_stderr { &[0, 1] } else { &[0, 1, 2] };
    for &fd in targets {
        // SAFETY: dup2 onto the standard descriptors; `null` stays open for the call.
        unsafe { libc::dup2(null.as_raw_fd(), fd) };
    }
    Ok(())
}

/// Forwards SIGHUP, SIGTERM, SIGINT (unless `--ignore-sigint`), SIGUSR1, SIGUSR2 and
/// SIGRTMIN+2 to the loop (spec §1.2).
pub fn spawn_signal_handlers(events: &UnboundedSender<Event>, ignore_sigint: bool) {
    let mut wanted = vec![
        (SignalKind::hangup(), Signal::Reload),
        (SignalKind::terminate(), Signal::Stop),
        (SignalKind::user_defined1(), Signal::Data),
        (SignalKind::user_defined2(), Signal::Stats),
        (SignalKind::from_raw(libc::SIGRTMIN() + 2), Signal::Json),
        (
            SignalKind::from_raw(libc::SIGRTMAX() - 1),
            Signal::StatsClear,
        ),
    ];
    if !ignore_sigint {
        wanted.push((SignalKind::interrupt(), Signal::Stop));
    } else {
        // SAFETY: SIG_IGN for SIGINT has no preconditions.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    }
    for (kind, meaning) in wanted {
        let mut stream = match signal(kind) {
            Ok(stream) => stream,
            Err(error) => {
                log::error(&format!(
                    "cannot handle signal {}: {error}",
                    kind.as_raw_value()
                ));
                continue;
            }
        };
        let events = events.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if events.send(Event::Signal(meaning)).is_err() {
                    return;
                }
            }
        });
    }
}

/// systemd `Type=notify` (spec §1.3 of keel's ops): readiness now, and `WATCHDOG=1` at half
/// of `WatchdogSec=` from a task of the daemon's own runtime, so a stuck loop stops the
/// pings. Returns the notifier for reload and stop messages.
pub fn start_systemd() -> Option<Arc<Notifier>> {
    let notifier = match Notifier::from_env() {
        Ok(notifier) if notifier.is_enabled() => Arc::new(notifier),
        Ok(_) => return None,
        Err(error) => {
            log::warn(&format!("systemd notify socket: {error}"));
            return None;
        }
    };
    if let Err(error) = notifier.ready("VRRP instances running") {
        log::warn(&format!("systemd notify: {error}"));
    }
    if let Some(period) = notifier.watchdog_interval() {
        let pinger = Arc::clone(&notifier);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            loop {
                ticks.tick().await;
                if let Err(error) = pinger.watchdog() {
                    log::warn(&format!("systemd watchdog: {error}"));
                }
            }
        });
    }
    Some(notifier)
}
