//! `vrrp_instance` and `vrrp_sync_group` (spec §2.5, §2.6).

use std::net::IpAddr;

use serde::Serialize;

use super::{Loc, Prefix, RawKeyword, Route, Rule, Script, Seconds, VirtualAddress};

/// The state an instance asks for at startup (`state MASTER|BACKUP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InitialState {
    /// `state MASTER`.
    #[serde(rename = "MASTER")]
    Master,
    /// `state BACKUP` (also the default).
    #[serde(rename = "BACKUP")]
    Backup,
}

/// `auth_type PASS|AH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuthType {
    /// Simple password (RFC 2338 §5.3.6.1).
    #[serde(rename = "PASS")]
    Pass,
    /// IPsec AH (HMAC-MD5-96).
    #[serde(rename = "AH")]
    Ah,
}

/// `authentication { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authentication {
    /// The method.
    pub auth_type: AuthType,
    /// The password, at most 8 characters (keepalived truncates longer ones).
    pub auth_pass: String,
}

/// A tracked object referenced from an instance or sync group: `NAME [weight W [reverse]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackRef {
    /// Name of the script/file/process/bfd, or the interface for `track_interface`.
    pub name: String,
    /// `weight W`; `None` takes the tracked object's own weight.
    pub weight: Option<i32>,
    /// `reverse` (true) / `noreverse` (false); `None` takes the object's own.
    pub reverse: Option<bool>,
    /// Where the reference was written.
    #[serde(skip)]
    pub span: Loc,
}

/// `unicast_peer { IP [min_ttl N] [max_ttl N] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnicastPeer {
    /// The peer's address.
    pub address: IpAddr,
    /// `min_ttl N` (0..255).
    pub min_ttl: Option<u8>,
    /// `max_ttl N` (0..255).
    pub max_ttl: Option<u8>,
}

/// `use_vmac [[name] IF] [MAC] [netlink_notify_msg] [group G]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vmac {
    /// Interface name (default `vrrp.<VRID>`).
    pub name: Option<String>,
    /// MAC address (5 octets get the VRID appended).
    pub mac: Option<String>,
    /// `netlink_notify_msg`.
    pub netlink_notify_msg: bool,
    /// `group G` (link group).
    pub group: Option<u32>,
}

/// `use_ipvlan [[name] IF] [IP[/LEN]] [bridge|private|vepa] [group G]` (spec §2.6, §3.10):
/// an ipvlan in mode L2 on the instance interface, which adverts are sent and received on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ipvlan {
    /// Interface name (default `<vmac_prefix>.<VRID>`, as a VMAC's).
    pub name: Option<String>,
    /// The address put on the ipvlan; it is also the adverts' source address unless
    /// `unicast_src_ip`/`mcast_src_ip` is given. An IPv4 instance needs one.
    pub address: Option<Prefix>,
    /// The ipvlan flag (`bridge` unless written).
    pub flag: IpvlanFlag,
    /// `group G` (link group; keepalived 2.2.7 does not know the option, later versions do).
    pub group: Option<u32>,
    /// Where the address was written.
    #[serde(skip)]
    pub address_loc: Loc,
}

/// The ipvlan flag of `use_ipvlan` (the kernel's `IPVLAN_F_*`; one per parent interface:
/// the kernel applies the latest ipvlan's flag to every ipvlan on the same parent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum IpvlanFlag {
    /// `bridge`: ipvlans on one parent reach each other directly (the default).
    #[default]
    #[serde(rename = "bridge")]
    Bridge,
    /// `private`: ipvlans on one parent cannot reach each other.
    #[serde(rename = "private")]
    Private,
    /// `vepa`: traffic between ipvlans goes out through the parent.
    #[serde(rename = "vepa")]
    Vepa,
}

impl IpvlanFlag {
    /// The configuration word (and `ip -d link`'s).
    pub fn word(self) -> &'static str {
        match self {
            IpvlanFlag::Bridge => "bridge",
            IpvlanFlag::Private => "private",
            IpvlanFlag::Vepa => "vepa",
        }
    }
}

/// `notify_deleted [SCRIPT]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyDeleted {
    /// The script to run, if given (otherwise notify_stop's form with DELETED).
    pub script: Option<Script>,
}

/// The notification scripts of an instance or group (spec §3.8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Notify {
    /// `notify_master`.
    pub notify_master: Option<Script>,
    /// `notify_backup`.
    pub notify_backup: Option<Script>,
    /// `notify_fault`.
    pub notify_fault: Option<Script>,
    /// `notify_stop`.
    pub notify_stop: Option<Script>,
    /// `notify` (generic; gets INSTANCE|GROUP NAME STATE PRIORITY appended).
    pub notify: Option<Script>,
    /// `notify_master_rx_lower_pri`.
    pub notify_master_rx_lower_pri: Option<Script>,
}

/// The tracked objects of an instance or sync group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tracking {
    /// `track_interface { IF [weight W [reverse]] }`.
    pub track_interface: Vec<TrackRef>,
    /// `track_script { NAME [weight W [reverse|noreverse]] }`.
    pub track_script: Vec<TrackRef>,
    /// `track_file { NAME [weight W [reverse]] }`.
    pub track_file: Vec<TrackRef>,
    /// `track_process { NAME [weight W [reverse]] }`.
    pub track_process: Vec<TrackRef>,
    /// `track_bfd { NAME [weight W [reverse]] }`.
    pub track_bfd: Vec<TrackRef>,
}

/// `vrrp_instance NAME { ... }` with defaults and cross-checks applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    /// The instance name (`VI_1`).
    pub name: String,
    /// `state`; `None` when not written (behaves as BACKUP).
    pub state: Option<InitialState>,
    /// `interface IF`.
    pub interface: Option<String>,
    /// Where `interface` was written.
    #[serde(skip)]
    pub interface_loc: Loc,
    /// `virtual_router_id 1..255` (required).
    pub virtual_router_id: u8,
    /// `priority 1..255` (100; 255 for `state MASTER` without a priority).
    pub priority: u8,
    /// `advert_int` (1 s; whole seconds for v2, centiseconds for v3).
    pub advert_int: Seconds,
    /// `version 2|3`; `None` takes `vrrp_version` (IPv6 is always 3).
    pub version: Option<u8>,
    /// `authentication { ... }`.
    pub authentication: Option<Authentication>,
    /// `virtual_ipaddress { ... }` (all one family).
    pub virtual_ipaddress: Vec<VirtualAddress>,
    /// `virtual_ipaddress_excluded { ... }`.
    pub virtual_ipaddress_excluded: Vec<VirtualAddress>,
    /// `no_virtual_ipaddress`.
    pub no_virtual_ipaddress: bool,
    /// `virtual_routes { ... }`.
    pub virtual_routes: Vec<Route>,
    /// `virtual_rules { ... }`.
    pub virtual_rules: Vec<Rule>,
    /// Tracked objects.
    pub tracking: Tracking,
    /// `unicast_src_ip IP`.
    pub unicast_src_ip: Option<IpAddr>,
    /// `mcast_src_ip IP`.
    pub mcast_src_ip: Option<IpAddr>,
    /// `unicast_peer { ... }`.
    pub unicast_peer: Vec<UnicastPeer>,
    /// `unicast_fault_no_peer`.
    pub unicast_fault_no_peer: bool,
    /// `check_unicast_src`.
    pub check_unicast_src: bool,
    /// `unicast_ttl 0..255` (255).
    pub unicast_ttl: Option<u8>,
    /// `mcast_dst_ip ADDR`.
    pub mcast_dst_ip: Option<IpAddr>,
    /// `nopreempt` (cleared by `preempt` and by `state MASTER`).
    pub nopreempt: bool,
    /// `preempt_delay 0..1000` s.
    pub preempt_delay: Seconds,
    /// `accept` (true) / `no_accept` (false); `None`: accept unless strict.
    pub accept: Option<bool>,
    /// `use_vmac ...`.
    pub use_vmac: Option<Vmac>,
    /// `vmac_xmit_base`.
    pub vmac_xmit_base: bool,
    /// `use_ipvlan ...`.
    pub use_ipvlan: Option<Ipvlan>,
    /// `use_vmac_addr`: a VMAC on each other interface a VIP names with `dev` (spec §3.10).
    pub use_vmac_addr: bool,
    /// `garp_extra_if [all] S` (and deprecated `vmac_garp_intvl`).
    pub garp_extra_if: Option<super::global::GarpExtraIf>,
    /// `dont_track_primary`.
    pub dont_track_primary: bool,
    /// `track_src_ip`.
    pub track_src_ip: bool,
    /// `promote_secondaries`.
    pub promote_secondaries: bool,
    /// `garp_master_delay S`.
    pub garp_master_delay: Option<Seconds>,
    /// `garp_master_repeat N`.
    pub garp_master_repeat: Option<u32>,
    /// `garp_master_refresh S`.
    pub garp_master_refresh: Option<Seconds>,
    /// `garp_master_refresh_repeat N`.
    pub garp_master_refresh_repeat: Option<u32>,
    /// `garp_lower_prio_delay S`.
    pub garp_lower_prio_delay: Option<Seconds>,
    /// `garp_lower_prio_repeat N`.
    pub garp_lower_prio_repeat: Option<u32>,
    /// `down_timer_adverts 1..100`.
    pub down_timer_adverts: Option<u8>,
    /// `lower_prio_no_advert [BOOL]`.
    pub lower_prio_no_advert: Option<bool>,
    /// `higher_prio_send_advert [BOOL]`.
    pub higher_prio_send_advert: Option<bool>,
    /// `skip_check_adv_addr [BOOL]`.
    pub skip_check_adv_addr: Option<bool>,
    /// `strict_mode [BOOL]`.
    pub strict_mode: Option<bool>,
    /// Notification scripts.
    pub notify: Notify,
    /// `notify_deleted [SCRIPT]`.
    pub notify_deleted: Option<NotifyDeleted>,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `notify_priority_changes [BOOL]`.
    pub notify_priority_changes: Option<bool>,
    /// Rare keywords kept with their arguments (auth_hmac, timer_expired_backup...).
    pub other: Vec<RawKeyword>,
    /// Where `vrrp_instance NAME` was written.
    #[serde(skip)]
    pub span: Loc,
}

impl Instance {
    /// The `use_ipvlan` address, if one is written.
    pub fn ipvlan_address(&self) -> Option<IpAddr> {
        self.use_ipvlan
            .as_ref()
            .and_then(|ipvlan| ipvlan.address)
            .map(|prefix| prefix.address)
    }

    /// The advert source the configuration fixes: `unicast_src_ip`, else `mcast_src_ip`,
    /// else the `use_ipvlan` address (keepalived 2.2.7, vrrp_parser.c); `None` leaves it to
    /// the interface's address.
    pub fn configured_source(&self) -> Option<IpAddr> {
        self.unicast_src_ip
            .or(self.mcast_src_ip)
            .or_else(|| self.ipvlan_address())
    }

    /// Whether the instance is IPv4, as far as its configuration says (spec §2.6): its
    /// first VIP, else its first unicast peer, else `unicast_src_ip`, else the `use_ipvlan`
    /// address; `None` when none of them is written (keepalived then takes IPv4).
    pub fn written_family_ipv4(&self) -> Option<bool> {
        self.virtual_ipaddress
            .first()
            .map(|vip| vip.address)
            .or_else(|| self.unicast_peer.first().map(|peer| peer.address))
            .or(self.unicast_src_ip)
            .or_else(|| self.ipvlan_address())
            .map(|address| address.is_ipv4())
    }

    /// A fresh instance with keepalived's defaults (vrid 0 until set).
    pub fn new(name: String, span: Loc) -> Self {
        Instance {
            name,
            state: None,
            interface: None,
            interface_loc: Loc::default(),
            virtual_router_id: 0,
            priority: 100,
            advert_int: Seconds::from_secs(1),
            version: None,
            authentication: None,
            virtual_ipaddress: Vec::new(),
            virtual_ipaddress_excluded: Vec::new(),
            no_virtual_ipaddress: false,
            virtual_routes: Vec::new(),
            virtual_rules: Vec::new(),
            tracking: Tracking::default(),
            unicast_src_ip: None,
            mcast_src_ip: None,
            unicast_peer: Vec::new(),
            unicast_fault_no_peer: false,
            check_unicast_src: false,
            unicast_ttl: None,
            mcast_dst_ip: None,
            nopreempt: false,
            preempt_delay: Seconds::default(),
            accept: None,
            use_vmac: None,
            vmac_xmit_base: false,
            use_ipvlan: None,
            use_vmac_addr: false,
            garp_extra_if: None,
            dont_track_primary: false,
            track_src_ip: false,
            promote_secondaries: false,
            garp_master_delay: None,
            garp_master_repeat: None,
            garp_master_refresh: None,
            garp_master_refresh_repeat: None,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            down_timer_adverts: None,
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            skip_check_adv_addr: None,
            strict_mode: None,
            notify: Notify::default(),
            notify_deleted: None,
            smtp_alert: None,
            notify_priority_changes: None,
            other: Vec::new(),
            span,
        }
    }
}

/// `vrrp_sync_group NAME { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncGroup {
    /// The group name.
    pub name: String,
    /// `group { VI ... }`: the member instances.
    pub group: Vec<String>,
    /// Notification scripts.
    pub notify: Notify,
    /// Group-level tracked objects (apply to every member).
    pub tracking: Tracking,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `notify_priority_changes [BOOL]`.
    pub notify_priority_changes: Option<bool>,
    /// `sync_group_tracking_weight` (and deprecated `global_tracking`).
    pub sync_group_tracking_weight: bool,
    /// Where `vrrp_sync_group NAME` was written.
    #[serde(skip)]
    pub span: Loc,
}
