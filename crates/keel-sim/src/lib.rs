//! keel-sim: a deterministic multi-router VRRP simulator with virtual time.
//!
//! This is keel's test bench for multi-router behaviour. Each simulated router runs the real
//! [`keel_vrrp::Router`]; the simulator plays the daemon's part (ARCHITECTURE.md, "Data flow,
//! one advert"): it turns adverts into deliveries on virtual L2 segments and carries out every
//! [`keel_vrrp::Action`] on a fake kernel address table. Time is virtual and jumps from one
//! deadline or delivery to the next, so a minute of VRRP costs microseconds; every random
//! choice (loss, jitter, scenario plans) comes from one seed, so a failing run replays exactly
//! and prints a readable [`Timeline`].
//!
//! ```text
//! let mut sim = Sim::new(seed);
//! let lan = sim.add_segment("lan", LinkProfile::IDEAL);
//! let r1 = sim.add_router("r1", config)?;   sim.attach(r1, "eth0", lan)?;
//! sim.start_all()?;
//! sim.run_until(Duration::from_secs(5))?;
//! check::single_master(&sim)?;              // RFC 5798 §6.4: one master per VRID
//! sim.crash(r1)?;  sim.run_for(...)?;       // disturbances between runs
//! ```
//!
//! - [`build`]: one address plan and small builders so scenarios read as stories;
//! - [`check`]: properties over the current state and the run's records, each citing its RFC
//!   or spec section;
//! - [`timing`]: Skew_Time and Master_Down_Interval from the RFC formulas, independent of
//!   keel-vrrp's own arithmetic, to predict takeover times;
//! - [`random`]: seeded random scenarios (routers, priorities, intervals, disturbances) and a
//!   runner that checks the properties after every disturbance;
//! - [`loss`]: steady random loss and the RFC-derived bound on transitions it may cause.
//!
//! Replay a random seed with its full timeline:
//! `cargo run -p keel-sim --example replay -- SEED [sync] [real-wire] [unicast] [ipv6]`.
#![warn(missing_docs)]

pub mod build;
pub mod check;
mod drive;
mod error;
pub mod loss;
mod network;
pub mod random;
mod record;
mod rng;
mod sim;
mod timeline;
pub mod timing;

pub use drive::RunError;
pub use error::SimError;
pub use network::{LinkProfile, SegmentId};
pub use record::{AdvertRecord, DeliveryRecord, Fate, OwnershipSpan, TransitionRecord};
pub use rng::SimRng;
pub use sim::{RouterId, RouterStatus, Sim};
pub use timeline::{Detail, Entry, Event, Timeline};
