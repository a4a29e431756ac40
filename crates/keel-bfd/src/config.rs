//! A session's configuration: what `bfd_instance` sets (spec §2.4).

use std::time::Duration;

use crate::error::ConfigError;

/// The timing parameters of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// `min_tx` (10 ms): bfd.DesiredMinTxInterval while Up.
    pub desired_min_tx: Duration,
    /// `min_rx` (10 ms): bfd.RequiredMinRxInterval.
    pub required_min_rx: Duration,
    /// `idle_tx` (1000 ms): the Desired Min TX sent while not Up. RFC 5880 §6.8.3 asks for
    /// at least one second there; keepalived lets the user choose and defaults to one.
    pub idle_tx: Duration,
    /// `multiplier` (5): bfd.DetectMult.
    pub detect_mult: u8,
    /// `passive`: send nothing until the neighbour has spoken (RFC 5880 §6.1).
    pub passive: bool,
}

impl Default for SessionConfig {
    /// keepalived's defaults (spec §2.4).
    fn default() -> Self {
        SessionConfig {
            desired_min_tx: Duration::from_millis(10),
            required_min_rx: Duration::from_millis(10),
            idle_tx: Duration::from_millis(1000),
            detect_mult: 5,
            passive: false,
        }
    }
}

impl SessionConfig {
    /// Checks the values fit the packet fields.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.detect_mult == 0 {
            return Err(ConfigError::ZeroMultiplier);
        }
        for (value, name) in [
            (self.desired_min_tx, "min_tx"),
            (self.required_min_rx, "min_rx"),
            (self.idle_tx, "idle_tx"),
        ] {
            let micros = value.as_micros();
            if micros == 0 || micros > u128::from(u32::MAX) {
                return Err(ConfigError::BadInterval(name));
            }
        }
        Ok(())
    }
}

/// An interval as the packet's microsecond field (validated configurations fit).
pub(crate) fn micros(value: Duration) -> u32 {
    u32::try_from(value.as_micros()).unwrap_or(u32::MAX)
}
