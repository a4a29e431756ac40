//! What one VRRP instance is configured to do: the typed form of a `vrrp_instance` block after
//! keel-conf resolved global defaults (spec §2.3, §2.6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::error::ConfigError;
use crate::priority::TrackedObject;

/// The VRRP protocol version an instance speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// RFC 3768: whole-second intervals, optional authentication, IPv4 only in keepalived.
    V2,
    /// RFC 5798 / RFC 9568: centisecond intervals, the backup learns the master's interval.
    V3,
}

/// The address family of an instance (all advertised VIPs share it, spec §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: multicast group 224.0.0.18, gratuitous ARP.
    Ipv4,
    /// IPv6: multicast group ff02::12, unsolicited neighbour advertisements.
    Ipv6,
}

impl Family {
    /// The family of `address`.
    pub fn of(address: IpAddr) -> Family {
        match address {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// The IANA VRRP multicast group of this family (RFC 5798 §5.1.1.2, §5.1.2.2).
    pub fn multicast_group(self) -> IpAddr {
        match self {
            Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
            Family::Ipv6 => IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
        }
    }
}

/// keepalived's `state` keyword: the state the instance wants at startup ("wantstate").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    /// `state BACKUP` (the default).
    Backup,
    /// `state MASTER`: the owner (255) starts MASTER at once, others after about one interval.
    Master,
}

/// v2 authentication (spec §2.6 `authentication`); the key is the first 8 bytes of `auth_pass`,
/// zero-padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// No authentication (auth type 0; the only choice in v3).
    None,
    /// Simple text password (auth type 1), compared over all 8 bytes.
    Pass([u8; 8]),
    /// IPsec AH (auth type 2), HMAC-MD5-96 keyed with these 8 bytes (spec §3.1).
    Ah([u8; 8]),
}

impl Authentication {
    /// The VRRPv2 `Auth Type` field value (RFC 2338 §5.3.6).
    pub fn auth_type(self) -> u8 {
        match self {
            Authentication::None => 0,
            Authentication::Pass(_) => 1,
            Authentication::Ah(_) => 2,
        }
    }
}

/// One `unicast_peer` line: the peer's address and the optional TTL window of its adverts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnicastPeer {
    /// Where adverts are sent and whom adverts may come from (with `check_unicast_src`).
    pub address: IpAddr,
    /// `min_ttl`: adverts from this peer with a lower TTL/hop limit are dropped.
    pub min_ttl: u8,
    /// `max_ttl`: adverts from this peer with a higher TTL/hop limit are dropped.
    pub max_ttl: u8,
}

impl UnicastPeer {
    /// A peer without a TTL window.
    pub fn new(address: IpAddr) -> Self {
        UnicastPeer {
            address,
            min_ttl: 0,
            max_ttl: 255,
        }
    }

    fn has_ttl_window(&self) -> bool {
        self.min_ttl != 0 || self.max_ttl != 255
    }
}

/// What to do with an advert whose VIP list differs from ours (spec §3.2, version note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VipMismatch {
    /// keepalived ≤ 2.3.2 (incl. 2.2.7, our interop target): count `addr_list_err`, discard.
    Discard,
    /// keepalived ≥ 2.3.3 / RFC 9568: count `addr_list_err`, process the advert anyway.
    CountOnly,
}

/// Gratuitous ARP / unsolicited NA schedule (spec §3.9; `garp_*` keywords, global defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpConfig {
    /// `garp_master_delay`: second burst this long after becoming MASTER (`None` = 0 = no burst).
    pub master_delay: Option<Duration>,
    /// `garp_master_repeat`: messages per VIP in each MASTER burst.
    pub master_repeat: u32,
    /// `garp_master_refresh`: period of refresh bursts while MASTER (`None` = off).
    pub master_refresh: Option<Duration>,
    /// `garp_master_refresh_repeat`: messages per VIP in each refresh.
    pub master_refresh_repeat: u32,
    /// `garp_lower_prio_delay`: second burst after a lower-priority advert (`None` = none).
    pub lower_prio_delay: Option<Duration>,
    /// `garp_lower_prio_repeat`: messages per VIP when a lower-priority advert is heard (0 = off).
    pub lower_prio_repeat: u32,
    /// `vrrp_garp_interval` / `vrrp_gna_interval`: spacing between messages of one burst.
    pub interval: Duration,
}

impl Default for GarpConfig {
    /// keepalived's defaults: delay 5 s, repeat 5, refresh off, refresh repeat 1, lower-prio
    /// values equal to the master ones (spec §2.3).
    fn default() -> Self {
        GarpConfig {
            master_delay: Some(Duration::from_secs(5)),
            master_repeat: 5,
            master_refresh: None,
            master_refresh_repeat: 1,
            lower_prio_delay: Some(Duration::from_secs(5)),
            lower_prio_repeat: 5,
            interval: Duration::ZERO,
        }
    }
}

impl GarpConfig {
    /// `vrrp_min_garp`: one message, no second burst (spec §3.9).
    pub fn min_garp() -> Self {
        GarpConfig {
            master_delay: None,
            master_repeat: 1,
            lower_prio_delay: None,
            lower_prio_repeat: 1,
            ..GarpConfig::default()
        }
    }
}

/// Which notifications are configured (spec §3.8). Commands are kept as written in the config;
/// the daemon splits and runs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyConfig {
    /// `notify_master`.
    pub master: Option<String>,
    /// `notify_backup`.
    pub backup: Option<String>,
    /// `notify_fault`.
    pub fault: Option<String>,
    /// `notify_stop`.
    pub stop: Option<String>,
    /// `notify_deleted` (instances only).
    pub deleted: Option<String>,
    /// `notify`: the generic script, called with `INSTANCE|GROUP NAME STATE PRIORITY` appended.
    pub generic: Option<String>,
    /// `notify_master_rx_lower_pri`.
    pub master_rx_lower_pri: Option<String>,
    /// A `notify_fifo`/`vrrp_notify_fifo` is configured: emit [`crate::Action::FifoLine`]s.
    pub fifo: bool,
    /// `notify_priority_changes`: report effective-priority changes (`MASTER_PRIORITY`, ...).
    pub priority_changes: bool,
}

/// One `vrrp_instance`, with global defaults already applied.
///
/// Build it with [`InstanceConfig::new`] and set fields; [`crate::Instance::new`] validates it
/// and applies keepalived's silent corrections (recorded in [`crate::Instance::warnings`]).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceConfig {
    /// The instance name (`vrrp_instance NAME`), used in notifications.
    pub name: String,
    /// `interface`: part of the (interface, family, VRID) key adverts are routed by.
    pub interface: String,
    /// `virtual_router_id`, 1..=255.
    pub vrid: u8,
    /// `version` / `vrrp_version` (IPv6 is always 3).
    pub version: Version,
    /// Address family of the advertised VIPs.
    pub family: Family,
    /// `state`: the wanted state at startup.
    pub initial_state: InitialState,
    /// `priority`, 1..=255; 255 is the address owner.
    pub priority: u8,
    /// `advert_int`: v2 whole seconds, v3 centiseconds.
    pub advert_interval: Duration,
    /// `virtual_ipaddress`: advertised and installed while MASTER.
    pub virtual_addresses: Vec<IpAddr>,
    /// `virtual_ipaddress_excluded`: installed while MASTER, never advertised.
    pub excluded_addresses: Vec<IpAddr>,
    /// Our source address (`unicast_src_ip`/`mcast_src_ip` or the interface's primary); the
    /// equal-priority tie-break compares it (RFC 5798 §6.4.3).
    pub primary_address: IpAddr,
    /// `unicast_peer`: empty means multicast.
    pub unicast_peers: Vec<UnicastPeer>,
    /// `vrrp_mcast_group4/6` or `mcast_dst_ip`.
    pub multicast_group: IpAddr,
    /// `authentication` (v2/IPv4 only).
    pub authentication: Authentication,
    /// `nopreempt`.
    pub nopreempt: bool,
    /// `preempt_delay` (zero = none).
    pub preempt_delay: Duration,
    /// `accept` / `no_accept`; `None` = keepalived's default (on unless strict).
    pub accept: Option<bool>,
    /// `strict_mode` / `vrrp_strict`.
    pub strict: bool,
    /// `down_timer_adverts` (3).
    pub down_timer_adverts: u8,
    /// `lower_prio_no_advert`.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`.
    pub higher_prio_send_advert: bool,
    /// `owner_ignore_adverts`.
    pub owner_ignore_adverts: bool,
    /// `skip_check_adv_addr`: skip the VIP check for adverts from the master we already know.
    pub skip_check_adv_addr: bool,
    /// `check_unicast_src` / `vrrp_check_unicast_src`.
    pub check_unicast_src: bool,
    /// Accept v3/IPv4 unicast adverts whose checksum used the multicast group as pseudo-header
    /// destination (keepalived ≤ 1.3.6); false for `old_unicast_checksum never` (spec §3.1).
    pub accept_old_unicast_checksum: bool,
    /// VIP-list mismatch handling (spec §3.2).
    pub vip_mismatch: VipMismatch,
    /// Gratuitous ARP / NA schedule.
    pub garp: GarpConfig,
    /// Notifications.
    pub notify: NotifyConfig,
    /// `track_script`, `track_interface`, `track_file`, `track_process`, `track_bfd`.
    pub trackers: Vec<TrackedObject>,
    /// Remove VIPs when stopping (false for keepalived's `--dont-release-vrrp`).
    pub release_vips_on_stop: bool,
    /// Whether the instance's own interface going down puts it in FAULT; false for
    /// `dont_track_primary` (spec §3.5: "the instance interface (unless
    /// `dont_track_primary`) ⇒ FAULT when down"). Other trackers are unaffected.
    pub track_primary: bool,
}

impl InstanceConfig {
    /// An instance with keepalived's defaults: BACKUP, priority 100, 1 s, multicast, version 2
    /// for IPv4 and 3 for IPv6, accept by default, 3 down-timer adverts, default GARP.
    pub fn new(name: &str, interface: &str, vrid: u8, primary_address: IpAddr) -> Self {
        let family = Family::of(primary_address);
        InstanceConfig {
            name: name.to_string(),
            interface: interface.to_string(),
            vrid,
            version: match family {
                Family::Ipv4 => Version::V2,
                Family::Ipv6 => Version::V3,
            },
            family,
            initial_state: InitialState::Backup,
            priority: 100,
            advert_interval: Duration::from_secs(1),
            virtual_addresses: Vec::new(),
            excluded_addresses: Vec::new(),
            primary_address,
            unicast_peers: Vec::new(),
            multicast_group: family.multicast_group(),
            authentication: Authentication::None,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            accept: None,
            strict: false,
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            owner_ignore_adverts: false,
            skip_check_adv_addr: false,
            check_unicast_src: false,
            accept_old_unicast_checksum: true,
            vip_mismatch: VipMismatch::Discard,
            garp: GarpConfig::default(),
            notify: NotifyConfig::default(),
            trackers: Vec::new(),
            release_vips_on_stop: true,
            track_primary: true,
        }
    }

    /// Checks the invariants the state machine relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let instance = || self.name.clone();
        if self.vrid == 0 {
            return Err(ConfigError::InvalidVrid {
                instance: instance(),
            });
        }
        if self.priority == 0 {
            return Err(ConfigError::InvalidPriority {
                instance: instance(),
            });
        }
        if !interval_fits(self.version, self.advert_interval) {
            return Err(ConfigError::InvalidAdvertInterval {
                instance: instance(),
                interval: self.advert_interval,
            });
        }
        if !(1..=100).contains(&self.down_timer_adverts) {
            return Err(ConfigError::InvalidDownTimerAdverts {
                instance: instance(),
                value: self.down_timer_adverts,
            });
        }
        let out_of_range = |keyword| ConfigError::OutOfRange {
            instance: instance(),
            keyword,
        };
        if self.preempt_delay > Duration::from_secs(1000) {
            return Err(out_of_range("preempt_delay"));
        }
        let garp = &self.garp;
        let periods = [
            ("garp_master_delay", garp.master_delay),
            ("garp_master_refresh", garp.master_refresh),
            ("garp_lower_prio_delay", garp.lower_prio_delay),
            ("garp_interval", Some(garp.interval)),
        ];
        for (keyword, period) in periods {
            if period.is_some_and(|period| period > Duration::from_secs(u64::from(u32::MAX))) {
                return Err(out_of_range(keyword));
            }
        }
        let repeats = [
            ("garp_master_repeat", garp.master_repeat),
            ("garp_master_refresh_repeat", garp.master_refresh_repeat),
            ("garp_lower_prio_repeat", garp.lower_prio_repeat),
        ];
        for (keyword, repeat) in repeats {
            if repeat > MAX_GARP_REPEAT {
                return Err(out_of_range(keyword));
            }
        }
        let family_checked = self
            .virtual_addresses
            .iter()
            .chain(self.unicast_peers.iter().map(|peer| &peer.address))
            .chain([&self.primary_address, &self.multicast_group]);
        for address in family_checked {
            if Family::of(*address) != self.family {
                return Err(ConfigError::FamilyMismatch {
                    instance: instance(),
                    address: *address,
                });
            }
        }
        let v2_ipv4 = self.version == Version::V2 && self.family == Family::Ipv4;
        if self.authentication != Authentication::None && !v2_ipv4 {
            return Err(ConfigError::AuthenticationNeedsV2Ipv4 {
                instance: instance(),
            });
        }
        if self.strict && !self.unicast_peers.is_empty() {
            return Err(ConfigError::StrictUnicast {
                instance: instance(),
            });
        }
        Ok(())
    }

    /// Applies keepalived's silent corrections and returns the warnings it would log.
    pub(crate) fn normalize(&mut self) -> Vec<String> {
        let mut warnings = Vec::new();
        let name = self.name.clone();
        if self.strict {
            // spec §3.7: vrrp_strict ⇒ no auth, no preempt_delay, MASTER ⇔ 255, owner ignores
            // adverts, down_timer_adverts 3, no_accept by default.
            if self.authentication != Authentication::None {
                warnings.push(format!(
                    "{name}: strict mode does not support authentication"
                ));
                self.authentication = Authentication::None;
            }
            if !self.preempt_delay.is_zero() {
                warnings.push(format!("{name}: preempt_delay is ignored in strict mode"));
                self.preempt_delay = Duration::ZERO;
            }
            if self.initial_state == InitialState::Master && self.priority != 255 {
                warnings.push(format!(
                    "{name}: strict mode: state MASTER needs priority 255"
                ));
                self.initial_state = InitialState::Backup;
            }
            self.owner_ignore_adverts = true;
            self.down_timer_adverts = 3;
        }
        if self.nopreempt && self.initial_state == InitialState::Master {
            // spec §3.7: nopreempt requires initial state BACKUP.
            warnings.push(format!(
                "{name}: nopreempt needs state BACKUP; nopreempt cleared"
            ));
            self.nopreempt = false;
        }
        if self.nopreempt && self.priority == 255 {
            warnings.push(format!(
                "{name}: nopreempt is incompatible with priority 255"
            ));
            self.nopreempt = false;
        }
        if !self.preempt_delay.is_zero()
            && (self.nopreempt || self.initial_state == InitialState::Master)
        {
            // spec §3.4: preempt_delay is only effective with initial state BACKUP, not nopreempt.
            warnings.push(format!("{name}: preempt_delay has no effect here; cleared"));
            self.preempt_delay = Duration::ZERO;
        }
        if matches!(self.authentication, Authentication::Ah(_))
            && self.initial_state == InitialState::Master
            && self.priority != 255
        {
            // spec §3.1: AH + initial MASTER (non-owner) is forced BACKUP.
            warnings.push(format!("{name}: AH authentication forces state BACKUP"));
            self.initial_state = InitialState::Backup;
        }
        if self.unicast_peers.iter().any(UnicastPeer::has_ttl_window) {
            // spec §2.6: min_ttl/max_ttl imply check_unicast_src.
            self.check_unicast_src = true;
        }
        warnings
    }

    /// Effective accept mode: configured, else on unless strict; the owner always accepts
    /// (spec §3.7, §3.11; RFC 5798 §6.1 Accept_Mode).
    pub fn accept_mode(&self) -> bool {
        self.priority == 255 || self.accept.unwrap_or(!self.strict)
    }

    /// Where adverts go: the unicast peers, else the multicast group (spec §3.11).
    pub fn destinations(&self) -> Vec<IpAddr> {
        if self.unicast_peers.is_empty() {
            vec![self.multicast_group]
        } else {
            self.unicast_peers.iter().map(|peer| peer.address).collect()
        }
    }

    /// VIPs then excluded VIPs: what is installed while MASTER.
    pub fn all_addresses(&self) -> Vec<IpAddr> {
        self.virtual_addresses
            .iter()
            .chain(&self.excluded_addresses)
            .copied()
            .collect()
    }
}

/// Most messages per address in one gratuitous burst keel accepts.
const MAX_GARP_REPEAT: u32 = 255;

/// The largest interval a v3 advert can carry: 4095 centiseconds (RFC 5798 §5.2.7).
pub(crate) const MAX_V3_INTERVAL: Duration = Duration::from_millis(40_950);

/// v2: whole seconds 1..=255; v3: whole centiseconds 1..=4095 (12-bit field, RFC 5798 §5.2.7).
fn interval_fits(version: Version, interval: Duration) -> bool {
    match version {
        Version::V2 => interval.subsec_nanos() == 0 && (1..=255).contains(&interval.as_secs()),
        Version::V3 => {
            let nanos = interval.as_nanos();
            nanos % 10_000_000 == 0 && (1..=4095).contains(&(nanos / 10_000_000))
        }
    }
}
