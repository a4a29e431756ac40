//! keel-sys: the Linux edge of keel.
//!
//! Everything here moves bytes, addresses and processes between the kernel and the daemon;
//! nothing here knows VRRP semantics. The core crates (keel-vrrp, keel-check) emit `Action`
//! values; the daemon carries them out through these adapters and turns what the adapters
//! report (packets, netlink events, script results) back into `Input`s.
//!
//! Each adapter sits behind a small trait where the daemon needs a fake in its tests:
//! [`socket::AdvertSocket`] for raw VRRP sockets, [`packet::FrameSender`] for gratuitous
//! ARP / unsolicited NA frames. The rest are thin async types over one kernel facility each.
//!
//! Adapters that open kernel objects (sockets, netlink, inotify) bind them to the network
//! namespace of the thread that opens them, and must be opened inside a tokio runtime.

#![warn(missing_docs)]

pub mod error;
pub mod fifo;
pub mod inotify;
pub mod netlink;
pub mod packet;
pub mod proc_events;
pub mod process;
pub mod script;
pub mod security;
pub mod smtp;
pub mod socket;
mod sys;
pub mod vmac;

pub use error::{Error, Result};
pub use sys::interface_index;
