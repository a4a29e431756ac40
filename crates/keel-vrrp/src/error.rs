//! Errors of keel-vrrp: configurations the state machine refuses to run.

use std::net::IpAddr;
use std::time::Duration;

/// A configuration the state machine cannot run.
///
/// keel-conf reports most mistakes with spans before a config reaches this crate; these are the
/// invariants the timing and election arithmetic depend on, checked again so that a bad value
/// from any caller is an error rather than a panic or a wrong timer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `virtual_router_id` must be 1..=255 (RFC 5798 §5.2.3).
    #[error("{instance}: virtual_router_id 0 is invalid (1..255)")]
    InvalidVrid {
        /// Instance name.
        instance: String,
    },
    /// `priority` must be 1..=255; 0 is reserved for "stopping" (RFC 5798 §5.2.4).
    #[error("{instance}: priority 0 is reserved for a master that stops")]
    InvalidPriority {
        /// Instance name.
        instance: String,
    },
    /// The advert interval does not fit the version: v2 whole seconds 1..=255, v3 centiseconds
    /// 1..=4095 (spec §2.6 `advert_int`).
    #[error("{instance}: advert_int {interval:?} is not valid for this VRRP version")]
    InvalidAdvertInterval {
        /// Instance name.
        instance: String,
        /// The rejected interval.
        interval: Duration,
    },
    /// `down_timer_adverts` must be 1..=100 (spec §2.3).
    #[error("{instance}: down_timer_adverts {value} is outside 1..100")]
    InvalidDownTimerAdverts {
        /// Instance name.
        instance: String,
        /// The rejected value.
        value: u8,
    },
    /// A delay or period is outside what keel schedules: `preempt_delay` 0..=1000 s
    /// (spec §2.6), GARP delays/periods up to `u32::MAX` seconds, GARP repeats 0..=255.
    #[error("{instance}: {keyword} is out of range")]
    OutOfRange {
        /// Instance name.
        instance: String,
        /// The keyword.
        keyword: &'static str,
    },
    /// An address does not belong to the instance's address family.
    #[error("{instance}: address {address} is not of the instance's family")]
    FamilyMismatch {
        /// Instance name.
        instance: String,
        /// The offending address.
        address: IpAddr,
    },
    /// Authentication (PASS or AH) exists only in VRRPv2 over IPv4 (spec §2.6).
    #[error("{instance}: authentication needs VRRP version 2 over IPv4")]
    AuthenticationNeedsV2Ipv4 {
        /// Instance name.
        instance: String,
    },
    /// `vrrp_strict` forbids unicast peers (spec §3.7).
    #[error("{instance}: unicast peers are not supported in strict mode")]
    StrictUnicast {
        /// Instance name.
        instance: String,
    },
    /// Two instances share interface, family and VRID in one router.
    #[error("{instance}: VRID {vrid} is already used on {interface} by {other}")]
    DuplicateVrid {
        /// Instance name.
        instance: String,
        /// The instance that already holds the VRID.
        other: String,
        /// Interface name.
        interface: String,
        /// The VRID.
        vrid: u8,
    },
    /// Two instances have the same name.
    #[error("instance name {instance} is used twice")]
    DuplicateInstance {
        /// Instance name.
        instance: String,
    },
    /// A sync group names an instance that does not exist or is in another group.
    #[error("sync group {group}: member {instance} does not exist or is already in a group")]
    BadGroupMember {
        /// Group name.
        group: String,
        /// Member name.
        instance: String,
    },
    /// A reload changed what identifies an instance (interface, family or VRID); the router
    /// treats that as delete + create, a single instance cannot.
    #[error("{instance}: reload changed interface, family or VRID")]
    IdentityChanged {
        /// Instance name.
        instance: String,
    },
}
