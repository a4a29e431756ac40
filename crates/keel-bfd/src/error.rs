//! The errors of keel-bfd.

/// Why a session configuration cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `multiplier` must be 1..255 (RFC 5880 §4.1: Detect Mult 0 is invalid).
    #[error("multiplier must be at least 1")]
    ZeroMultiplier,
    /// An interval is zero or does not fit the packet's 32-bit microsecond field.
    #[error("{0} must be between 1 µs and 4294 s")]
    BadInterval(&'static str),
}

/// Why a session discarded a received packet (RFC 5880 §6.8.6). The daemon counts these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Discard {
    /// The A bit is set but this session uses no authentication.
    #[error("authentication present but not configured")]
    UnexpectedAuthentication,
    /// Your Discriminator is non-zero and is not this session's.
    #[error("your discriminator {0:#x} is not ours")]
    WrongDiscriminator(u32),
    /// The session is AdminDown: received packets are ignored.
    #[error("session is AdminDown")]
    AdminDown,
}
