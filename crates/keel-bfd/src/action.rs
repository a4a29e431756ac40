//! What a session asks the daemon to do.

use keel_wire::bfd::{Diagnostic, Repr, State};

/// An effect for the daemon to carry out, in the order [`crate::Session::poll_action`]
/// returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this control packet to the neighbour (encode it with `Repr::emit`).
    Send(Repr),
    /// The session changed state: VRRP instances with `track_bfd` and `BFD_CHECK` real
    /// servers follow it (Up is up; every other state is down).
    StateChanged {
        /// The state left.
        from: State,
        /// The state entered.
        to: State,
        /// Why (the local diagnostic now sent in every packet).
        diagnostic: Diagnostic,
    },
}
