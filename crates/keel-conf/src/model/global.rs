//! `global_defs { ... }` (spec §2.3).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::{Loc, RawKeyword, Script, Seconds, UserGroup};

/// Process-wide settings. Defaults are keepalived 2.2.7's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalDefs {
    /// `router_id STR`; `None` means the host name.
    pub router_id: Option<String>,
    /// `notification_email { addr ... }`.
    pub notification_email: Vec<String>,
    /// `notification_email_from ADDR`.
    pub notification_email_from: Option<String>,
    /// `smtp_server IP|NAME [PORT]`.
    pub smtp_server: Option<SmtpServer>,
    /// `smtp_helo_name NAME`.
    pub smtp_helo_name: Option<String>,
    /// `smtp_connect_timeout S` (30).
    pub smtp_connect_timeout: Seconds,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp [BOOL]`.
    pub smtp_alert_vrrp: Option<bool>,
    /// `smtp_alert_checker [BOOL]`.
    pub smtp_alert_checker: Option<bool>,
    /// `no_email_faults`.
    pub no_email_faults: bool,
    /// `checker_log_all_failures [BOOL]`.
    pub checker_log_all_failures: bool,
    /// `script_user USER [GROUP]`; `None`: `keepalived_script` if it exists, else root.
    pub script_user: Option<UserGroup>,
    /// Where `script_user` was written.
    #[serde(skip)]
    pub script_user_loc: Loc,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `vrrp_mcast_group4` (224.0.0.18).
    pub vrrp_mcast_group4: Ipv4Addr,
    /// `vrrp_mcast_group6` (ff02::12).
    pub vrrp_mcast_group6: Ipv6Addr,
    /// `default_interface IF` (eth0).
    pub default_interface: Option<String>,
    /// `vrrp_version 2|3` (2).
    pub vrrp_version: u8,
    /// `vrrp_strict`.
    pub vrrp_strict: bool,
    /// `vrrp_skip_check_adv_addr [BOOL]`.
    pub vrrp_skip_check_adv_addr: bool,
    /// `vrrp_check_unicast_src`.
    pub vrrp_check_unicast_src: bool,
    /// `dynamic_interfaces [allow_if_changes]`.
    pub dynamic_interfaces: Option<DynamicInterfaces>,
    /// `vrrp_startup_delay S`.
    pub vrrp_startup_delay: Seconds,
    /// GARP/NA timing defaults for every instance.
    pub garp: GarpDefaults,
    /// `vrrp_down_timer_adverts 1..100` (3).
    pub vrrp_down_timer_adverts: u8,
    /// `vrrp_lower_prio_no_advert [BOOL]`.
    pub vrrp_lower_prio_no_advert: bool,
    /// `vrrp_higher_prio_send_advert [BOOL]`.
    pub vrrp_higher_prio_send_advert: bool,
    /// `vrrp_notify_priority_changes [BOOL]`.
    pub vrrp_notify_priority_changes: bool,
    /// `notify_fifo PATH [USER [GROUP]]`.
    pub notify_fifo: Option<Fifo>,
    /// `vrrp_notify_fifo PATH [USER [GROUP]]`.
    pub vrrp_notify_fifo: Option<Fifo>,
    /// `lvs_notify_fifo PATH [USER [GROUP]]`.
    pub lvs_notify_fifo: Option<Fifo>,
    /// `vrrp_iptables [IN [OUT]]` (keepalived 2.2.7 uses nftables instead when built so).
    pub vrrp_iptables: Option<Vec<String>>,
    /// `vrrp_ipsets [NAMES...]`.
    pub vrrp_ipsets: Option<Vec<String>>,
    /// `nftables [TABLE]` (table `keepalived`).
    pub nftables: Option<String>,
    /// `nftables_priority N` (-1).
    pub nftables_priority: i32,
    /// `nftables_counters`.
    pub nftables_counters: bool,
    /// `nftables_ifindex`.
    pub nftables_ifindex: bool,
    /// `max_auto_priority [-1..99]`.
    pub max_auto_priority: Option<i32>,
    /// `lvs_sync_daemon IF [VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`.
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
    /// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`.
    pub lvs_timeouts: LvsTimeouts,
    /// `lvs_flush`.
    pub lvs_flush: bool,
    /// `lvs_flush_on_stop [VS]` (`Some(true)` = VS only).
    pub lvs_flush_on_stop: Option<bool>,
    /// `startup_script SCRIPT [USER]`.
    pub startup_script: Option<Script>,
    /// `startup_script_timeout S` (10).
    pub startup_script_timeout: Seconds,
    /// `shutdown_script SCRIPT [USER]`.
    pub shutdown_script: Option<Script>,
    /// `shutdown_script_timeout S` (10).
    pub shutdown_script_timeout: Seconds,
    /// `notify_fifo_script`, `vrrp_notify_fifo_script`, `lvs_notify_fifo_script`.
    pub fifo_scripts: Vec<(String, Script)>,
    /// `umask N` (octal or decimal as in C).
    pub umask: Option<u32>,
    /// `{vrrp,checker,bfd}_{priority,rt_priority,rlimit_rttime,no_swap,cpu_affinity}`.
    pub scheduling: super::scheduling::Scheduling,
    /// Keywords only recorded (SNMP, D-Bus, scheduling, buffers, dumps...), with their args.
    pub other: Vec<RawKeyword>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout: Seconds::from_secs(30),
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            no_email_faults: false,
            checker_log_all_failures: false,
            script_user: None,
            script_user_loc: Loc::default(),
            enable_script_security: false,
            vrrp_mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            vrrp_mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            default_interface: None,
            vrrp_version: 2,
            vrrp_strict: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_check_unicast_src: false,
            dynamic_interfaces: None,
            vrrp_startup_delay: Seconds::default(),
            garp: GarpDefaults::default(),
            vrrp_down_timer_adverts: 3,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_notify_priority_changes: false,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            lvs_notify_fifo: None,
            vrrp_iptables: None,
            vrrp_ipsets: None,
            nftables: None,
            nftables_priority: -1,
            nftables_counters: false,
            nftables_ifindex: false,
            max_auto_priority: None,
            lvs_sync_daemon: None,
            lvs_timeouts: LvsTimeouts::default(),
            lvs_flush: false,
            lvs_flush_on_stop: None,
            startup_script: None,
            startup_script_timeout: Seconds::from_secs(10),
            shutdown_script: None,
            shutdown_script_timeout: Seconds::from_secs(10),
            fifo_scripts: Vec::new(),
            umask: None,
            scheduling: Default::default(),
            other: Vec::new(),
        }
    }
}

/// `smtp_server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpServer {
    /// Address or host name.
    pub host: String,
    /// Port (25).
    pub port: u16,
}

/// `dynamic_interfaces`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DynamicInterfaces {
    /// `allow_if_changes`.
    pub allow_if_changes: bool,
}

/// The global GARP/NA timing (spec §3.9); instances may override each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GarpDefaults {
    /// `vrrp_garp_master_delay S` (5).
    pub master_delay: Seconds,
    /// `vrrp_garp_master_repeat N` (5).
    pub master_repeat: u32,
    /// `vrrp_garp_master_refresh S` (0 = off).
    pub master_refresh: Seconds,
    /// `vrrp_garp_master_refresh_repeat N` (1).
    pub master_refresh_repeat: u32,
    /// `vrrp_garp_lower_prio_delay S` (= master_delay).
    pub lower_prio_delay: Option<Seconds>,
    /// `vrrp_garp_lower_prio_repeat N` (= master_repeat).
    pub lower_prio_repeat: Option<u32>,
    /// `vrrp_garp_interval S` (0).
    pub interval: Seconds,
    /// `vrrp_gna_interval S` (0).
    pub gna_interval: Seconds,
    /// `vrrp_min_garp [BOOL]`.
    pub min_garp: bool,
    /// `vrrp_garp_extra_if [all] S`.
    pub extra_if: Option<GarpExtraIf>,
}

impl Default for GarpDefaults {
    fn default() -> Self {
        GarpDefaults {
            master_delay: Seconds::from_secs(5),
            master_repeat: 5,
            master_refresh: Seconds::default(),
            master_refresh_repeat: 1,
            lower_prio_delay: None,
            lower_prio_repeat: None,
            interval: Seconds::default(),
            gna_interval: Seconds::default(),
            min_garp: false,
            extra_if: None,
        }
    }
}

/// `garp_extra_if [all] S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GarpExtraIf {
    /// `all`: on every other interface, not just those with addresses.
    pub all: bool,
    /// Period.
    pub interval: Seconds,
}

/// A FIFO that receives state lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fifo {
    /// Path of the FIFO.
    pub path: String,
    /// Owner user.
    pub user: Option<String>,
    /// Owner group.
    pub group: Option<String>,
}

/// `lvs_sync_daemon`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LvsSyncDaemon {
    /// Interface.
    pub interface: String,
    /// VRRP instance whose state drives it.
    pub instance: Option<String>,
    /// `id N` (0..255).
    pub id: Option<u8>,
    /// `maxlen N`.
    pub maxlen: Option<u16>,
    /// `port N` (8848).
    pub port: Option<u16>,
    /// `ttl N`.
    pub ttl: Option<u8>,
    /// `group IP` (224.0.0.81).
    pub group: Option<IpAddr>,
}

/// `lvs_timeouts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LvsTimeouts {
    /// `tcp S`.
    pub tcp: Option<Seconds>,
    /// `tcpfin S`.
    pub tcpfin: Option<Seconds>,
    /// `udp S`.
    pub udp: Option<Seconds>,
}
