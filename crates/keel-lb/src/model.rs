//! The desired load-balancer state: services, their settings, and their destinations.
//!
//! The vocabulary is IPVS's (spec §3.12), because that is what keepalived programs and what
//! `ipvsadm -Ln` shows; the nftables backend maps the same model onto DNAT maps.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::ApplyError;

/// Transport protocol of an address service (`protocol TCP|UDP|SCTP`, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Protocol {
    /// TCP (keepalived's default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// keepalived's spelling in log and FIFO lines: `tcp`, `udp`, `sctp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    /// The IP protocol number IPVS expects (`IPVS_SVC_ATTR_PROTOCOL`).
    pub fn ip_protocol(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }
}

/// Address family of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Family {
    /// IPv4 (`inet`).
    #[default]
    Inet,
    /// IPv6 (`inet6`).
    Inet6,
}

impl Family {
    /// The socket address family number (`AF_INET` = 2, `AF_INET6` = 10 on Linux), as
    /// IPVS's `IPVS_SVC_ATTR_AF` / `IPVS_DEST_ATTR_ADDR_FAMILY` carry it.
    pub fn af(self) -> u16 {
        match self {
            Family::Inet => 2,
            Family::Inet6 => 10,
        }
    }

    /// The family of an address.
    pub fn of(address: IpAddr) -> Family {
        match address {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }
}

/// What identifies a virtual service in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    /// `virtual_server IP PORT` with its protocol.
    Address {
        /// The virtual address.
        address: IpAddr,
        /// The virtual port (0 for a port-less persistent service).
        port: u16,
        /// The protocol.
        protocol: Protocol,
    },
    /// `virtual_server fwmark N`: packets marked N by the firewall, of one family.
    Fwmark {
        /// The firewall mark.
        mark: u32,
        /// The family the service serves.
        family: Family,
    },
}

impl ServiceKey {
    /// An address service.
    pub fn address(address: IpAddr, port: u16, protocol: Protocol) -> Self {
        ServiceKey::Address {
            address,
            port,
            protocol,
        }
    }

    /// A fwmark service.
    pub fn fwmark(mark: u32, family: Family) -> Self {
        ServiceKey::Fwmark { mark, family }
    }

    /// The family of the service.
    pub fn family(&self) -> Family {
        match *self {
            ServiceKey::Address { address, .. } => Family::of(address),
            ServiceKey::Fwmark { family, .. } => family,
        }
    }
}

impl fmt::Display for ServiceKey {
    /// keepalived's `FMT_VS` form: `[192.168.201.15]:tcp:80`, or `FWM 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ServiceKey::Address {
                address,
                port,
                protocol,
            } => write!(f, "[{address}]:{}:{port}", protocol.as_str()),
            ServiceKey::Fwmark { mark, .. } => write!(f, "FWM {mark}"),
        }
    }
}

/// The IPVS scheduler (`lvs_sched`, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Scheduler {
    /// Round robin.
    Rr,
    /// Weighted round robin.
    Wrr,
    /// Least connections.
    Lc,
    /// Weighted least connections (keepalived's default, with a warning when unset).
    #[default]
    Wlc,
    /// Locality-based least connections.
    Lblc,
    /// Locality-based least connections with replication.
    Lblcr,
    /// Destination hashing.
    Dh,
    /// Source hashing.
    Sh,
    /// Shortest expected delay.
    Sed,
    /// Never queue.
    Nq,
    /// Weighted failover.
    Fo,
    /// Weighted overflow.
    Ovf,
    /// Maglev hashing.
    Mh,
    /// Weighted random twos choice.
    Twos,
}

impl Scheduler {
    /// Every scheduler, in keepalived's documentation order.
    pub const ALL: [Scheduler; 14] = [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Lc,
        Scheduler::Wlc,
        Scheduler::Lblc,
        Scheduler::Sh,
        Scheduler::Mh,
        Scheduler::Dh,
        Scheduler::Fo,
        Scheduler::Ovf,
        Scheduler::Lblcr,
        Scheduler::Sed,
        Scheduler::Nq,
        Scheduler::Twos,
    ];

    /// The kernel module suffix IPVS names the scheduler by (`IPVS_SVC_ATTR_SCHED_NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Rr => "rr",
            Scheduler::Wrr => "wrr",
            Scheduler::Lc => "lc",
            Scheduler::Wlc => "wlc",
            Scheduler::Lblc => "lblc",
            Scheduler::Lblcr => "lblcr",
            Scheduler::Dh => "dh",
            Scheduler::Sh => "sh",
            Scheduler::Sed => "sed",
            Scheduler::Nq => "nq",
            Scheduler::Fo => "fo",
            Scheduler::Ovf => "ovf",
            Scheduler::Mh => "mh",
            Scheduler::Twos => "twos",
        }
    }
}

impl FromStr for Scheduler {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scheduler::ALL
            .into_iter()
            .find(|scheduler| scheduler.name() == name)
            .ok_or_else(|| format!("unknown scheduler {name:?}"))
    }
}

/// Scheduler flags (`flag-1/2/3`; `sh-fallback`/`mh-fallback` are flag-1, `sh-port`/`mh-port`
/// flag-2, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SchedulerFlags {
    /// `flag-1` (`sh-fallback`, `mh-fallback`).
    pub flag1: bool,
    /// `flag-2` (`sh-port`, `mh-port`).
    pub flag2: bool,
    /// `flag-3`.
    pub flag3: bool,
}

impl SchedulerFlags {
    /// The bits in IPVS's service flags word (`IP_VS_SVC_F_SCHED1..3` = 0x08, 0x10, 0x20).
    pub fn ipvs_bits(self) -> u32 {
        u32::from(self.flag1) * 0x08 + u32::from(self.flag2) * 0x10 + u32::from(self.flag3) * 0x20
    }
}

/// Persistence (`persistence_timeout`, `persistence_granularity`, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Persistence {
    /// Seconds a client stays with its destination (keepalived's default 360).
    pub timeout: u32,
    /// `IPVS_SVC_ATTR_NETMASK`: for IPv4 the mask as a big-endian u32 (`0xffff_ff00` for
    /// /24; default `0xffff_ffff`), for IPv6 the prefix length (default 128).
    pub netmask: u32,
}

impl Persistence {
    /// Persistence per single client address of `family` for `timeout` seconds.
    pub fn per_client(timeout: u32, family: Family) -> Self {
        let netmask = match family {
            Family::Inet => u32::MAX,
            Family::Inet6 => 128,
        };
        Persistence { timeout, netmask }
    }
}

/// Settings of one service that `EditService` can change in place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ServiceSettings {
    /// The scheduler.
    pub scheduler: Scheduler,
    /// Scheduler flags.
    pub scheduler_flags: SchedulerFlags,
    /// Persistence, if any.
    pub persistence: Option<Persistence>,
    /// `ops`: one-packet scheduling (UDP), `IP_VS_SVC_F_ONEPACKET`.
    pub one_packet: bool,
    /// `persistence_engine` (only `sip` exists).
    pub persistence_engine: Option<String>,
}

/// Tunnel encapsulation of a TUN destination (`lvs_method TUN type ...`, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum TunnelType {
    /// IP-in-IP (the default).
    #[default]
    Ipip,
    /// Generic UDP encapsulation to `port`.
    Gue {
        /// Destination UDP port.
        port: u16,
    },
    /// GRE.
    Gre,
}

/// Checksum mode of a GUE/GRE tunnel (`nocsum|csum|remcsum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum TunnelChecksum {
    /// `nocsum` (the default).
    #[default]
    None,
    /// `csum`.
    Checksum,
    /// `remcsum`.
    Remote,
}

/// How the director forwards to a destination (`lvs_method`, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ForwardingMethod {
    /// NAT (masquerading), keepalived's default.
    #[default]
    Nat,
    /// Direct routing (`DR`).
    DirectRouting,
    /// IP tunnelling (`TUN`).
    Tunnel {
        /// Encapsulation.
        tunnel: TunnelType,
        /// Checksum mode.
        checksum: TunnelChecksum,
    },
}

/// What identifies a destination within a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DestKey {
    /// Real server address.
    pub address: IpAddr,
    /// Real server port (0 for DR/TUN under a fwmark service).
    pub port: u16,
}

impl DestKey {
    /// A destination key.
    pub fn new(address: IpAddr, port: u16) -> Self {
        DestKey { address, port }
    }
}

impl fmt::Display for DestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]:{}", self.address, self.port)
    }
}

/// A destination's settings that `EditDest` can change in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Destination {
    /// Weight; 0 means "in the table but given no new connections" (`inhibit_on_failure`).
    pub weight: u32,
    /// Forwarding method.
    pub method: ForwardingMethod,
    /// `uthreshold`: connection upper threshold (0 = none).
    pub upper_threshold: u32,
    /// `lthreshold`: connection lower threshold (0 = none).
    pub lower_threshold: u32,
}

impl Destination {
    /// A NAT destination with `weight` and no thresholds.
    pub fn nat(weight: u32) -> Self {
        Destination {
            weight,
            ..Destination::default()
        }
    }
}

/// One service: its settings and destinations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Service {
    /// Settings.
    pub settings: ServiceSettings,
    /// Destinations by key.
    pub destinations: BTreeMap<DestKey, Destination>,
}

/// The whole load-balancer state: every service and its destinations.
///
/// Ordered maps make iteration, and so [`crate::diff`]'s output, deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desired {
    /// Services by key.
    pub services: BTreeMap<ServiceKey, Service>,
}

impl Desired {
    /// Adds `key` with `settings`, or replaces the settings of an existing service (its
    /// destinations stay).
    pub fn insert_service(&mut self, key: ServiceKey, settings: ServiceSettings) {
        self.services.entry(key).or_default().settings = settings;
    }

    /// Sets a destination of an existing service.
    pub fn insert_destination(
        &mut self,
        service: ServiceKey,
        dest: DestKey,
        destination: Destination,
    ) -> Result<(), ApplyError> {
        self.services
            .get_mut(&service)
            .ok_or(ApplyError::NoSuchService(service))?
            .destinations
            .insert(dest, destination);
        Ok(())
    }

    /// The service `key`, if present.
    pub fn service(&self, key: &ServiceKey) -> Option<&Service> {
        self.services.get(key)
    }

    /// The destination `dest` of service `key`, if present.
    pub fn destination(&self, key: &ServiceKey, dest: &DestKey) -> Option<&Destination> {
        self.services.get(key)?.destinations.get(dest)
    }

    /// Number of destinations over all services.
    pub fn destination_count(&self) -> usize {
        self.services.values().map(|s| s.destinations.len()).sum()
    }

    /// Applies one op, strictly: adding what exists, or editing/deleting what does not, is
    /// an error and leaves `self` unchanged. Backends use this to mirror what they applied.
    pub fn apply(&mut self, op: &crate::Op) -> Result<(), ApplyError> {
        use crate::Op;
        match op {
            Op::AddService { key, settings } => {
                if self.services.contains_key(key) {
                    return Err(ApplyError::ServiceExists(*key));
                }
                self.services.insert(
                    *key,
                    Service {
                        settings: settings.clone(),
                        destinations: BTreeMap::new(),
                    },
                );
            }
            Op::EditService { key, settings } => {
                self.services
                    .get_mut(key)
                    .ok_or(ApplyError::NoSuchService(*key))?
                    .settings = settings.clone();
            }
            Op::DelService { key } => {
                let service = self
                    .services
                    .get(key)
                    .ok_or(ApplyError::NoSuchService(*key))?;
                if !service.destinations.is_empty() {
                    return Err(ApplyError::ServiceNotEmpty(*key));
                }
                self.services.remove(key);
            }
            Op::AddDest {
                service,
                dest,
                destination,
            } => {
                let destinations = self.destinations_mut(service)?;
                if destinations.contains_key(dest) {
                    return Err(ApplyError::DestinationExists {
                        service: *service,
                        dest: *dest,
                    });
                }
                destinations.insert(*dest, *destination);
            }
            Op::EditDest {
                service,
                dest,
                destination,
            } => {
                let slot = self.destinations_mut(service)?.get_mut(dest).ok_or(
                    ApplyError::NoSuchDestination {
                        service: *service,
                        dest: *dest,
                    },
                )?;
                *slot = *destination;
            }
            Op::DelDest { service, dest } => {
                self.destinations_mut(service)?.remove(dest).ok_or(
                    ApplyError::NoSuchDestination {
                        service: *service,
                        dest: *dest,
                    },
                )?;
            }
        }
        Ok(())
    }

    fn destinations_mut(
        &mut self,
        service: &ServiceKey,
    ) -> Result<&mut BTreeMap<DestKey, Destination>, ApplyError> {
        Ok(&mut self
            .services
            .get_mut(service)
            .ok_or(ApplyError::NoSuchService(*service))?
            .destinations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: every lvs_sched keyword. Output: each parses back to the scheduler of that name.
    #[test]
    fn scheduler_names_round_trip() {
        for scheduler in Scheduler::ALL {
            assert_eq!(scheduler.name().parse::<Scheduler>(), Ok(scheduler));
        }
        assert!("rrr".parse::<Scheduler>().is_err());
    }

    // Input: services as keepalived logs them. Output: `[VIP]:proto:port` and `FWM n`.
    #[test]
    fn service_keys_print_like_keepalived() {
        let key = ServiceKey::address("192.168.201.15".parse().unwrap(), 80, Protocol::Tcp);
        assert_eq!(key.to_string(), "[192.168.201.15]:tcp:80");
        let key = ServiceKey::address("2001:db8::1".parse().unwrap(), 53, Protocol::Udp);
        assert_eq!(key.to_string(), "[2001:db8::1]:udp:53");
        assert_eq!(ServiceKey::fwmark(7, Family::Inet).to_string(), "FWM 7");
    }

    // Input: sh-fallback + sh-port. Output: IPVS flag bits 0x08 | 0x10.
    #[test]
    fn scheduler_flags_map_to_ipvs_bits() {
        let flags = SchedulerFlags {
            flag1: true,
            flag2: true,
            flag3: false,
        };
        assert_eq!(flags.ipvs_bits(), 0x18);
    }

    // Input: delete a service that still has a destination. Output: refused, state unchanged.
    #[test]
    fn strict_apply_refuses_to_delete_a_service_with_destinations() {
        let key = ServiceKey::address("10.0.0.100".parse().unwrap(), 80, Protocol::Tcp);
        let mut desired = Desired::default();
        desired.insert_service(key, ServiceSettings::default());
        desired
            .insert_destination(
                key,
                DestKey::new("10.0.0.1".parse().unwrap(), 80),
                Destination::nat(1),
            )
            .unwrap();
        let before = desired.clone();
        assert_eq!(
            desired.apply(&crate::Op::DelService { key }),
            Err(ApplyError::ServiceNotEmpty(key))
        );
        assert_eq!(desired, before);
    }
}
