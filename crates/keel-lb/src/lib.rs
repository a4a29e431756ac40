//! keel-lb: the desired load-balancer model and the diff that turns it into operations.
//!
//! This is the pure middle of keel's health-check data path (ARCHITECTURE.md, "Data flow,
//! one health check"): keel-check decides *what* the load balancer should hold right now
//! and says so as a [`Desired`] value — the set of virtual services (VIP:port/protocol or
//! fwmark) with their scheduler, persistence and flags, and under each the destinations
//! (real servers) with weight, forwarding method and thresholds. [`diff`] compares the
//! state a backend holds with the state wanted and returns the [`Op`]s that turn one into
//! the other. The backends in keel-sys (IPVS over generic netlink, nftables) apply ops;
//! nothing here does I/O.
//!
//! Applying only differences is what keeps a reload or a checker transition from touching
//! healthy entries (issue 5, part 3): an unchanged service yields no op, a weight change is
//! one [`Op::EditDest`], never a delete and re-add.
//!
//! ```
//! use keel_lb::{diff, Desired, Destination, DestKey, Op, Protocol, ServiceKey, ServiceSettings};
//!
//! let vip = ServiceKey::address("192.168.201.15".parse().unwrap(), 80, Protocol::Tcp);
//! let rs = DestKey::new("10.0.0.1".parse().unwrap(), 80);
//! let mut before = Desired::default();
//! before.insert_service(vip, ServiceSettings::default());
//! before.insert_destination(vip, rs, Destination::nat(1)).unwrap();
//!
//! let mut after = before.clone();
//! after.insert_destination(vip, rs, Destination::nat(3)).unwrap();
//!
//! let ops = diff(&before, &after);
//! assert_eq!(ops, vec![Op::EditDest { service: vip, dest: rs, destination: Destination::nat(3) }]);
//! assert!(diff(&after, &after).is_empty());
//! ```
#![warn(missing_docs)]

mod diff;
mod error;
mod model;

pub use diff::{Op, diff};
pub use error::ApplyError;
pub use model::{
    Desired, DestKey, Destination, Family, ForwardingMethod, Persistence, Protocol, Scheduler,
    SchedulerFlags, Service, ServiceKey, ServiceSettings, TunnelChecksum, TunnelType,
};
