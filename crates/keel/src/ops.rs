//! The daemon's operations surface: what an operator sees and touches besides VRRP itself.
//!
//! Each concern is one module the daemon calls at the edge: [`snapshot`] and [`dump`] for the
//! SIGUSR1 / SIGUSR2 / SIGRTMIN+2 files (spec §4.1–§4.3), [`pidfile`] for keepalived's pid
//! files (spec §1.3), [`logging`] for log names and the per-instance error rate limiter,
//! [`systemd`] for `Type=notify` readiness and the watchdog, [`umask`] for `-u` / `umask`.

pub mod dump;
pub mod logging;
pub mod pidfile;
pub mod snapshot;
pub mod systemd;
pub mod umask;
