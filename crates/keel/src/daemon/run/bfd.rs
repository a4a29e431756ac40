//! The daemon's side of BFD: start the sessions with the daemon, hand them reloads, write
//! `keepalived_bfd.data`, and make tracked sessions start down.

use std::time::Instant;

use keel_vrrp::{RouterInput, TrackerStatus};

use super::Daemon;
use crate::daemon::bfd::{self, Bfd};
use crate::daemon::log;
use crate::ops::dump::DumpKind;
use crate::vrrp_config::bfd_id;

impl Daemon {
    /// Starts the sessions unless `-B` or there are none. Before the instances start,
    /// every tracked session counts as down: keepalived's VRRP process starts with its
    /// tracked BFDs down, so a weight-0 `track_bfd` holds the instance in FAULT until its
    /// session comes Up (spec §3.5).
    /// With `-B` the sessions never run, so their trackers stay down, as keepalived's do
    /// without its BFD process.
    pub(super) async fn start_bfd(&mut self) {
        let setups = bfd::setups(&self.source);
        if setups.is_empty() {
            return;
        }
        let now = Instant::now();
        for setup in setups.iter().filter(|s| s.to_vrrp) {
            self.router.handle(
                now,
                RouterInput::Tracker {
                    id: bfd_id(&setup.name),
                    status: TrackerStatus::Down,
                },
            );
        }
        if self.options.subsystems.bfd {
            self.bfd = Some(Bfd::spawn(setups, self.events_tx.clone()));
        } else {
            log::info("BFD not started (-B): tracked sessions stay down");
        }
        self.drain().await;
    }

    /// Hands the reloaded `bfd_instance`s to the running sessions (or starts them, when
    /// the old configuration had none).
    pub(super) async fn reload_bfd(&mut self) {
        match &self.bfd {
            Some(running) => running.reload(bfd::setups(&self.source)),
            None => {
                self.start_bfd().await;
                self.feed_checker_bfd();
            }
        }
    }

    /// The checker child hears of session states (`BFD_CHECK`, `checker::bfd_feed`).
    pub(super) fn feed_checker_bfd(&self) {
        if let (Some(checker), Some(running)) = (&self.checker, &self.bfd) {
            checker.follow_bfd(running.states());
        }
    }

    /// `keepalived_bfd.data` beside `keepalived.data` (spec §4.1).
    pub(super) async fn dump_bfd(&self) {
        let Some(running) = &self.bfd else {
            return;
        };
        let text = running.dump().await;
        let global = &self.source.global_defs.other;
        let namespace = self
            .options
            .namespace
            .clone()
            .or(self.source.root.net_namespace.clone());
        let tmpdir = std::env::var_os("TMPDIR");
        let paths = crate::ops::dump::DumpPaths::resolve(
            global,
            tmpdir.as_deref(),
            namespace.as_deref(),
            self.source.root.instance.as_deref(),
        );
        let data = paths.path(DumpKind::Data);
        let name = data
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .replacen("keepalived", "keepalived_bfd", 1)
            })
            .unwrap_or_else(|| "keepalived_bfd.data".into());
        let path = data.with_file_name(name);
        if let Err(error) = std::fs::write(&path, text) {
            log::error(&format!("writing {}: {error}", path.display()));
        }
    }
}
