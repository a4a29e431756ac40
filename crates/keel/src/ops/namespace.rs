//! `-s NAME` / `net_namespace NAME` (spec §1.3, §1.4): the daemon runs in that network
//! namespace, with its own `/run/keepalived` (see [`keel_sys::netns`]).

use std::path::Path;

use keel_sys::netns::{self, PrivateRunDir};

use super::pidfile::RUN_DIR;

/// Joins `namespace` (the command line's, else the configuration's) before any socket is
/// opened; the returned guard undoes the private `/run/keepalived` mount when dropped.
/// `None` when no namespace is asked for.
pub fn enter(namespace: Option<&str>) -> Result<Option<PrivateRunDir>, String> {
    let Some(name) = namespace else {
        return Ok(None);
    };
    netns::enter(name)
        .map_err(|e| format!("Unable to set network namespace {name} - exiting ({e})"))?;
    PrivateRunDir::mount(Path::new(RUN_DIR), name)
        .map(Some)
        .map_err(|e| format!("network namespace {name}: private /run/keepalived: {e}"))
}
