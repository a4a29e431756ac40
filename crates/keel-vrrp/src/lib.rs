//! keel-vrrp: the VRRP state machine, without I/O.
//!
//! Instances, sync groups, effective priority from trackers, gratuitous ARP schedules and
//! notifications, driven by `handle(now, input)` / `poll_timeout()` / `poll_action()`.
#![warn(missing_docs)]
