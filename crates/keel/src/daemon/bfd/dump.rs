//! `keepalived_bfd.data` (SIGUSR1, spec §4.1): the `BFD Topology` section in keepalived
//! 2.2.7's wording. keepalived's lines about its own file descriptors and thread pointers
//! have no meaning for keel and are left out.

use std::fmt::Write;
use std::time::SystemTime;

use keel_bfd::{Diagnostic, Session};

use super::Setup;

/// One session to print.
pub struct Entry<'a> {
    /// Its configuration.
    pub setup: &'a Setup,
    /// Its state.
    pub session: &'a Session,
    /// When its last packet was accepted.
    pub last_seen: Option<SystemTime>,
}

/// The `------< BFD Topology >------` section of the running sessions.
pub fn topology(entries: &[Entry<'_>]) -> String {
    let mut out = String::from("------< BFD Topology >------\n");
    for entry in entries {
        let s = entry.session;
        let micros = |d: std::time::Duration| d.as_micros();
        let (remote_tx, remote_rx, remote_mult) = s.remote_parameters();
        let mut lines = configured_lines(entry.setup, s.config());
        lines.extend([
            format!("   local state = {}", s.state().name()),
            format!("   remote state = {}", s.remote_state().name()),
            format!("   local discriminator = {:#x}", s.local_discriminator()),
            format!("   remote discriminator = {:#x}", s.remote_discriminator()),
            format!("   local diag = {}", diagnostic_name(s.local_diagnostic())),
            format!("   remote min tx intv = {} us", micros(remote_tx)),
            format!("   remote min rx intv = {} us", micros(remote_rx)),
            "   local demand = 0".to_string(),
            "   remote demand = 0".to_string(),
            format!("   remote detect multiplier = {remote_mult}"),
            if s.polling() {
                "   poll, !final".to_string()
            } else {
                "   !poll, !final".to_string()
            },
            format!("   local tx intv = {} us", micros(s.transmit_interval())),
            format!(
                "   local detection time = {} us",
                s.detection_time().map_or(0, micros)
            ),
            match entry.last_seen {
                Some(at) => {
                    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                    format!(
                        "   last seen = {}.{:06}",
                        since.as_secs(),
                        since.subsec_micros()
                    )
                }
                None => "   last seen = never".to_string(),
            },
        ]);
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// The same section from the configuration alone (`keel --dump`): what each instance is
/// set to, without run-time state.
pub fn configured(setups: &[Setup]) -> String {
    if setups.is_empty() {
        return String::new();
    }
    let mut out = String::from("------< BFD Topology >------\n");
    for setup in setups {
        for line in configured_lines(setup, &setup.session) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// keepalived's configuration lines of one instance.
fn configured_lines(setup: &Setup, config: &keel_bfd::SessionConfig) -> Vec<String> {
    let micros = |d: std::time::Duration| d.as_micros();
    let yes = |b: bool| if b { "Yes" } else { "No" };
    vec![
        format!(" BFD Instance = {}", setup.name),
        format!("   Neighbor IP = {}", setup.neighbor),
        match setup.source {
            Some(source) => format!("   Source IP = {source}"),
            None => "   Source IP = (none)".to_string(),
        },
        format!(
            "   Required min RX interval = {} us",
            micros(config.required_min_rx)
        ),
        format!(
            "   Desired min TX interval = {} us",
            micros(config.desired_min_tx)
        ),
        format!(
            "   Desired idle TX interval = {} us",
            micros(config.idle_tx)
        ),
        format!("   Detection multiplier = {}", config.detect_mult),
        format!("   TTL = {}", setup.ttl),
        format!(
            "   max_hops = {}",
            setup.ttl.saturating_sub(setup.min_received_ttl)
        ),
        format!("   passive = {}", config.passive),
        format!("   send event to VRRP process = {}", yes(setup.to_vrrp)),
        format!(
            "   send event to checker process = {}",
            yes(setup.to_checker)
        ),
    ]
}

/// keepalived's names of the diagnostic codes (RFC 5880 §4.1).
pub fn diagnostic_name(diagnostic: Diagnostic) -> &'static str {
    match diagnostic {
        Diagnostic::None => "No Diagnostic",
        Diagnostic::DetectionTimeExpired => "Control Detection Time Expired",
        Diagnostic::EchoFailed => "Echo Function Failed",
        Diagnostic::NeighborSignaledDown => "Neighbor Signaled Session Down",
        Diagnostic::ForwardingPlaneReset => "Forwarding Plane Reset",
        Diagnostic::PathDown => "Path Down",
        Diagnostic::ConcatenatedPathDown => "Concatenated Path Down",
        Diagnostic::AdministrativelyDown => "Administratively Down",
        Diagnostic::ReverseConcatenatedPathDown => "Reverse Concatenated Path Down",
        Diagnostic::Reserved(_) => "Unknown",
    }
}
