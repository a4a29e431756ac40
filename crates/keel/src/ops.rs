//! The daemon's operations surface: what an operator sees and touches besides VRRP itself.
//!
//! Each concern is one module the daemon calls at the edge: [`snapshot`] and [`dump`] for the
//! SIGUSR1 / SIGUSR2 / SIGRTMIN+2 files (spec §4.1–§4.3), [`pidfile`] for keepalived's pid
//! files (spec §1.3), [`logging`] for log names and the per-instance error rate limiter,
//! [`systemd`] for `Type=notify` readiness and the watchdog, [`umask`] for `-u` / `umask`,
//! [`namespace`] for `-s` / `net_namespace`. Process names and scheduling are
//! `daemon::scheduling`'s.

pub mod dump;
pub mod logging;
pub mod namespace;
pub mod pidfile;
pub mod snapshot;
pub mod systemd;
pub mod umask;

use std::path::{Path, PathBuf};

/// `path` with `insert` placed before the last `.` of its file name (appended when the name
/// has no extension): how keepalived names per-process logs and per-instance dumps.
pub(crate) fn insert_before_extension(path: &Path, insert: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let renamed = match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}{insert}{}", &name[..dot], &name[dot..]),
        _ => format!("{name}{insert}"),
    };
    path.with_file_name(renamed)
}
