//! What the daemon tells a session.

use keel_wire::bfd::Repr;

use crate::SessionConfig;

/// An input to [`crate::Session::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A control packet from the neighbour, already decoded (the daemon has checked the
    /// TTL, RFC 5881 §5, and the source address).
    Packet(Repr),
    /// Take the session administratively down (RFC 5880 §6.8.16): at stop, or when a reload
    /// removes its `bfd_instance`. The neighbour is told with AdminDown packets.
    AdminDown,
    /// Leave AdminDown for Down and start again.
    Enable,
    /// A reload changed the instance's intervals or multiplier; the state is kept and, if
    /// Up, a Poll Sequence announces the change (RFC 5880 §6.8.3).
    Reconfigure(SessionConfig),
}
