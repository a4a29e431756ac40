//! keel-bfd: Bidirectional Forwarding Detection sessions (RFC 5880), sans-IO.
//!
//! One [`Session`] is one `bfd_instance` of keepalived.conf (spec §2.4): a BFD session in
//! asynchronous mode with one neighbour, over UDP single hop (RFC 5881) or multihop
//! (RFC 5883). It runs the state machine of RFC 5880 §6.2 (AdminDown, Down, Init, Up), the
//! reception rules of §6.8.6, periodic transmission with jitter (§6.8.7), the detection
//! time (§6.8.4), the Poll Sequence that guards interval changes (§6.5, §6.8.3), the slow
//! transmit rate while the session is not Up (keepalived's `idle_tx`, §6.8.3) and the
//! passive role (§6.1).
//!
//! Like keel-vrrp it does no I/O: the daemon owns the UDP sockets and the clock. It feeds
//! decoded packets in with [`Session::handle`], calls [`Session::handle_timeout`] when
//! [`Session::poll_timeout`] passes, and carries out what [`Session::poll_action`] returns:
//! [`Action::Send`] a packet to the neighbour, [`Action::StateChanged`] for VRRP's
//! `track_bfd` and the checker's `BFD_CHECK`. Randomness (the transmit jitter) comes from a
//! seed given at creation, so a run is reproducible.
#![warn(missing_docs)]

mod action;
mod config;
mod error;
mod events;
mod input;
mod session;
mod timers;

pub use action::Action;
pub use config::SessionConfig;
pub use error::{ConfigError, Discard};
pub use input::Input;
pub use keel_wire::bfd::{Diagnostic, Repr as Packet, State};
pub use session::Session;
pub use timers::Timer;
