//! `vrrp_instance NAME { ... }` (spec §2.6) and the tracking/notify keywords it shares
//! with `vrrp_sync_group`.

use crate::diag::Diagnostic;
use crate::model::vrrp::{
    AuthType, Authentication, InitialState, Ipvlan, IpvlanFlag, Notify, NotifyDeleted, TrackRef,
    Tracking, UnicastPeer, Vmac,
};
use crate::model::{Config, Instance, Loc};
use crate::tree::Node;
use crate::values;

use super::{Ctx, Keyword, address, dep, dispatch, kw, later, unsupported, util};

/// Reads an instance into [`crate::model::Vrrp::instances`]. Defaults that depend on
/// other keywords (priority 255 for MASTER) are applied by the cross-checks.
pub fn vrrp_instance(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut instance = Parsed {
        instance: Instance::new(name, Loc(Some(node.keyword.span))),
        priority_set: false,
        unicast_keyword: false,
    };
    dispatch(ctx, node.children(), KEYWORDS, &mut instance);
    let Parsed {
        mut instance,
        priority_set,
        unicast_keyword,
    } = instance;
    // spec §3.11: a unicast keyword without peers falls back to multicast.
    if unicast_keyword && instance.unicast_peer.is_empty() {
        ctx.report(Diagnostic::warning(
            Some(node.keyword.span),
            format!(
                "({}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.",
                instance.name
            ),
        ).with_help("add peers to unicast_peer, or remove the unicast keywords"));
    }
    // spec §2.6: "Omitted priority + MASTER ⇒ priority 255".
    if !priority_set && instance.state == Some(InitialState::Master) {
        instance.priority = 255;
    }
    config.vrrp.instances.push(instance);
}

/// An instance while its block is read.
pub struct Parsed {
    /// The instance.
    pub instance: Instance,
    /// Whether `priority` was written (an omitted priority with MASTER means 255).
    pub priority_set: bool,
    /// Whether `unicast_src_ip`, `unicast_peer` or `unicast_ttl` was written.
    pub unicast_keyword: bool,
}

type P = Parsed;

/// Instance keywords, sorted by name.
pub(crate) static KEYWORDS: &[Keyword<P>] = &[
    kw("accept", |_, _, p| p.instance.accept = Some(true)),
    kw("advert_int", |ctx, node, p| {
        // keepalived: "Advert interval (x) not valid! Must be > 0 - ignoring".
        if let Some(v) = util::timer(ctx, node, 0.01, 255.0) {
            p.instance.advert_int = v;
        }
    }),
    later("auth_hmac", |_, node, p| {
        p.instance.other.push(util::raw(node))
    }),
    kw("authentication", authentication),
    kw("check_unicast_src", |_, _, p| {
        p.instance.check_unicast_src = true
    }),
    // spec §2.6: `debug` is a no-op in keepalived 2.2.7 too; keel keeps it for -t and dumps.
    kw("debug", |ctx, node, p| {
        if node.args.is_empty() || util::int::<u8>(ctx, node, 0, 4).is_some() {
            p.instance.other.push(util::raw(node));
        }
    }),
    kw("dont_track_primary", |_, _, p| {
        p.instance.dont_track_primary = true
    }),
    kw("down_timer_adverts", |ctx, node, p| {
        p.instance.down_timer_adverts = util::int(ctx, node, 1, 100)
    }),
    kw("garp_extra_if", |ctx, node, p| {
        p.instance.garp_extra_if = util::garp_extra_if(ctx, node)
    }),
    kw("garp_lower_prio_delay", |ctx, node, p| {
        p.instance.garp_lower_prio_delay = util::timer(ctx, node, 0.0, 86400.0)
    }),
    kw("garp_lower_prio_repeat", |ctx, node, p| {
        p.instance.garp_lower_prio_repeat = util::int(ctx, node, 0, i64::from(u32::MAX))
    }),
    kw("garp_master_delay", |ctx, node, p| {
        p.instance.garp_master_delay = util::timer(ctx, node, 0.0, 86400.0)
    }),
    kw("garp_master_refresh", |ctx, node, p| {
        p.instance.garp_master_refresh = util::timer(ctx, node, 0.0, 86400.0)
    }),
    kw("garp_master_refresh_repeat", |ctx, node, p| {
        p.instance.garp_master_refresh_repeat = util::int(ctx, node, 1, i64::from(u32::MAX))
    }),
    kw("garp_master_repeat", |ctx, node, p| {
        p.instance.garp_master_repeat = util::int(ctx, node, 1, i64::from(u32::MAX))
    }),
    kw("higher_prio_send_advert", |ctx, node, p| {
        p.instance.higher_prio_send_advert = util::flag(ctx, node)
    }),
    kw("interface", |ctx, node, p| {
        p.instance.interface = util::string(ctx, node);
        p.instance.interface_loc = Loc(Some(node.keyword.span));
    }),
    later("kernel_rx_buf_size", |ctx, node, p| {
        if util::int::<u64>(ctx, node, 0, i64::MAX).is_some() {
            p.instance.other.push(util::raw(node));
        }
    }),
    unsupported(dep(
        "linkbeat_use_polling",
        "linkbeat_use_polling (at top level)",
        |_, node, p| p.instance.other.push(util::raw(node)),
    )),
    kw("lower_prio_no_advert", |ctx, node, p| {
        p.instance.lower_prio_no_advert = util::flag(ctx, node)
    }),
    unsupported(dep(
        "lvs_sync_daemon_interface",
        "lvs_sync_daemon (in global_defs)",
        |_, node, p| p.instance.other.push(util::raw(node)),
    )),
    kw("mcast_dst_ip", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        p.instance.mcast_dst_ip = ctx.value(values::ip(token));
    }),
    kw("mcast_src_ip", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        p.instance.mcast_src_ip = ctx.value(values::ip(token));
    }),
    unsupported(dep("native_ipv6", "version 3", |_, node, p| {
        p.instance.other.push(util::raw(node))
    })),
    kw("no_accept", |_, _, p| p.instance.accept = Some(false)),
    kw("no_virtual_ipaddress", |_, _, p| {
        p.instance.no_virtual_ipaddress = true
    }),
    kw("nopreempt", |_, _, p| p.instance.nopreempt = true),
    kw("notify", |ctx, node, p| {
        notify_keyword(ctx, node, &mut p.instance.notify)
    }),
    kw("notify_backup", |ctx, node, p| {
        notify_keyword(ctx, node, &mut p.instance.notify)
    }),
    kw("notify_deleted", |ctx, node, p| {
        let script = if node.args.is_empty() {
            None
        } else {
            util::script(ctx, node)
        };
        p.instance.notify_deleted = Some(NotifyDeleted { script });
    }),
    kw("notify_fault", |ctx, node, p| {
        notify_keyword(ctx, node, &mut p.instance.notify)
    }),
    kw("notify_master", |ctx, node, p| {
        notify_keyword(ctx, node, &mut p.instance.notify)
    }),
    kw("notify_master_rx_lower_pri", |ctx, node, p| {
        notify_keyword(ctx, node, &mut p.instance.notify)
    }),
    kw("notify_priority_changes", |ctx, node, p| {
        p.instance.notify_priority_changes = util::flag(ctx, node)
    }),
    kw("notify_stop", |ctx, node, p| {
        notify_keyword(ctx, node, &mut p.instance.notify)
    }),
    later("old_unicast_checksum", |_, node, p| {
        p.instance.other.push(util::raw(node))
    }),
    kw("owner_ignore_adverts", |ctx, node, p| {
        p.instance.other.extend(util::raw_flag(ctx, node))
    }),
    kw("preempt", |_, _, p| p.instance.nopreempt = false),
    kw("preempt_delay", |ctx, node, p| {
        if let Some(v) = util::timer(ctx, node, 0.0, 1000.0) {
            p.instance.preempt_delay = v;
        }
    }),
    kw("priority", priority),
    kw("promote_secondaries", |_, _, p| {
        p.instance.promote_secondaries = true
    }),
    kw("skip_check_adv_addr", |ctx, node, p| {
        p.instance.skip_check_adv_addr = util::flag(ctx, node)
    }),
    kw("smtp_alert", |ctx, node, p| {
        p.instance.smtp_alert = util::flag(ctx, node)
    }),
    kw("state", state),
    kw("strict_mode", |ctx, node, p| {
        p.instance.strict_mode = util::flag(ctx, node)
    }),
    later("timer_expired_backup", |_, node, p| {
        p.instance.other.push(util::raw(node))
    }),
    kw("track_bfd", |ctx, node, p| {
        tracking_block(ctx, node, &mut p.instance.tracking)
    }),
    kw("track_file", |ctx, node, p| {
        tracking_block(ctx, node, &mut p.instance.tracking)
    }),
    kw("track_interface", |ctx, node, p| {
        tracking_block(ctx, node, &mut p.instance.tracking)
    }),
    kw("track_process", |ctx, node, p| {
        tracking_block(ctx, node, &mut p.instance.tracking)
    }),
    kw("track_script", |ctx, node, p| {
        tracking_block(ctx, node, &mut p.instance.tracking)
    }),
    kw("track_src_ip", |_, _, p| p.instance.track_src_ip = true),
    kw("unicast_fault_no_peer", |_, _, p| {
        p.instance.unicast_fault_no_peer = true
    }),
    kw("unicast_peer", unicast_peer),
    kw("unicast_src_ip", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        p.unicast_keyword = true;
        p.instance.unicast_src_ip = ctx.value(values::ip(token));
    }),
    kw("unicast_ttl", |ctx, node, p| {
        p.unicast_keyword = true;
        p.instance.unicast_ttl = util::int(ctx, node, 1, 255)
    }),
    kw("use_ipvlan", use_ipvlan),
    kw("use_vmac", use_vmac),
    kw("use_vmac_addr", |_, _, p| p.instance.use_vmac_addr = true),
    later("v3_checksum_as_v2", |_, node, p| {
        p.instance.other.push(util::raw(node))
    }),
    kw("version", |ctx, node, p| {
        p.instance.version = util::int(ctx, node, 2, 3)
    }),
    kw("virtual_ipaddress", |ctx, node, p| {
        let addresses = address::address_block(ctx, node);
        p.instance.virtual_ipaddress.extend(addresses);
    }),
    kw("virtual_ipaddress_excluded", |ctx, node, p| {
        let addresses = address::address_block(ctx, node);
        p.instance.virtual_ipaddress_excluded.extend(addresses);
    }),
    kw("virtual_router_id", |ctx, node, p| {
        if let Some(vrid) = util::int(ctx, node, 1, 255) {
            p.instance.virtual_router_id = vrid;
        }
    }),
    kw("virtual_routes", |ctx, node, p| {
        let routes = address::route_block(ctx, node);
        p.instance.virtual_routes.extend(routes);
    }),
    kw("virtual_rules", |ctx, node, p| {
        let rules = address::rule_block(ctx, node);
        p.instance.virtual_rules.extend(rules);
    }),
    dep("vmac_garp_intvl", "garp_extra_if", |ctx, node, p| {
        p.instance.garp_extra_if = util::garp_extra_if(ctx, node)
    }),
    kw("vmac_xmit_base", |_, _, p| p.instance.vmac_xmit_base = true),
    later("vrf", |_, node, p| p.instance.other.push(util::raw(node))),
];

/// `state MASTER|BACKUP`; anything else is an error and leaves BACKUP.
fn state(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    match token.text.as_str() {
        "MASTER" => p.instance.state = Some(InitialState::Master),
        "BACKUP" => p.instance.state = Some(InitialState::Backup),
        other => {
            ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!(
                        "({}) unknown state '{other}', defaulting to BACKUP",
                        p.instance.name
                    ),
                )
                .with_help("expected MASTER or BACKUP"),
            );
            p.instance.state = Some(InitialState::Backup);
        }
    }
}

/// `priority 1..255`; an invalid value keeps the default (keepalived: "Priority not
/// valid! must be between 1 & 255. Using default 100").
fn priority(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    match values::int::<u8>(token, 1, 255) {
        Ok(priority) => {
            p.instance.priority = priority;
            p.priority_set = true;
        }
        Err(_) => ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!(
                    "({}) priority '{}' not valid, using default 100",
                    p.instance.name, token.text
                ),
            )
            .with_help("expected an integer 1..255"),
        ),
    }
}

/// `authentication { auth_type PASS|AH; auth_pass STR }`.
fn authentication(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let mut auth_type = None;
    let mut auth_pass: Option<String> = None;
    for line in node.children() {
        match line.name() {
            "auth_type" => {
                let Some(token) = util::arg(ctx, line) else {
                    continue;
                };
                auth_type = match ctx.value(values::choice(token, &["PASS", "AH"])) {
                    Some("PASS") => Some(AuthType::Pass),
                    Some(_) => Some(AuthType::Ah),
                    None => None,
                };
            }
            "auth_pass" => {
                let Some(token) = util::arg(ctx, line) else {
                    continue;
                };
                let mut pass = token.text.clone();
                // RFC 2338 §5.3.10: the authentication data field is 8 octets.
                if pass.len() > 8 {
                    ctx.report(
                        Diagnostic::warning(
                            Some(token.span),
                            "truncating auth_pass to 8 characters",
                        )
                        .with_help("VRRPv2 carries at most 8 bytes of password"),
                    );
                    let mut end = 8;
                    while !pass.is_char_boundary(end) {
                        end -= 1;
                    }
                    pass.truncate(end);
                }
                auth_pass = Some(pass);
            }
            _ => ctx.report(super::unknown_keyword(
                line,
                ["auth_type", "auth_pass"].into_iter(),
            )),
        }
    }
    match (auth_type, auth_pass) {
        (Some(auth_type), pass) => {
            p.instance.authentication = Some(Authentication {
                auth_type,
                auth_pass: pass.unwrap_or_default(),
            })
        }
        (None, Some(_)) => ctx.report(
            Diagnostic::error(
                Some(node.keyword.span),
                "authentication has auth_pass but no auth_type",
            )
            .with_help("add `auth_type PASS` or `auth_type AH`"),
        ),
        (None, None) => {}
    }
}

/// `unicast_peer { IP [min_ttl N] [max_ttl N] ... }`.
fn unicast_peer(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    p.unicast_keyword = true;
    for line in node.children() {
        let Some(address) = ctx.value(values::ip(line.keyword)) else {
            continue;
        };
        let mut peer = UnicastPeer {
            address,
            min_ttl: None,
            max_ttl: None,
        };
        let mut args = line.args.iter();
        while let Some(option) = args.next() {
            let Some(value) = args.next() else {
                ctx.report(Diagnostic::error(
                    Some(option.span),
                    format!("{} requires a value", option.text),
                ));
                break;
            };
            match option.text.as_str() {
                "min_ttl" => peer.min_ttl = ctx.value(values::int(value, 0, 255)),
                "max_ttl" => peer.max_ttl = ctx.value(values::int(value, 0, 255)),
                other => ctx.report(
                    Diagnostic::error(
                        Some(option.span),
                        format!("unknown unicast_peer option '{other}'"),
                    )
                    .with_help("expected min_ttl N or max_ttl N"),
                ),
            }
        }
        // spec §2.6: min_ttl/max_ttl imply check_unicast_src.
        if peer.min_ttl.is_some() || peer.max_ttl.is_some() {
            p.instance.check_unicast_src = true;
        }
        p.instance.unicast_peer.push(peer);
    }
}

/// `use_vmac [[name] IF] [MAC] [netlink_notify_msg] [group G]`.
fn use_vmac(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let mut vmac = Vmac::default();
    let mut args = node.args.iter().peekable();
    while let Some(token) = args.next() {
        match token.text.as_str() {
            "name" => vmac.name = args.next().map(|t| t.text.clone()),
            "netlink_notify_msg" => vmac.netlink_notify_msg = true,
            "group" => match args.next() {
                Some(value) => vmac.group = ctx.value(values::int(value, 0, i64::from(u32::MAX))),
                None => ctx.report(Diagnostic::error(
                    Some(token.span),
                    "group requires a value",
                )),
            },
            text if is_mac(text) => vmac.mac = Some(text.to_owned()),
            text if vmac.name.is_none() => vmac.name = Some(text.to_owned()),
            other => ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!("unknown use_vmac option '{other}'"),
                )
                .with_help("expected [name] IF, MAC, netlink_notify_msg or group G"),
            ),
        }
    }
    p.instance.use_vmac = Some(vmac);
}

/// `use_ipvlan [[name] IF] [IP[/LEN]] [bridge|private|vepa] [group G]`, read as keepalived
/// 2.2.7's `vrrp_ipvlan_handler` reads it (spec §2.6): the words in any order, the first
/// word that is neither a flag, `group`, `name` nor an address is the name, and a second
/// name, address or flag is an error that keeps the first. `group G` is the later
/// keepalived's option (2.2.7 takes `group` for a second name), as for `use_vmac`.
fn use_ipvlan(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let instance = p.instance.name.clone();
    if p.instance.use_ipvlan.is_some() {
        ctx.report(
            Diagnostic::error(
                Some(node.keyword.span),
                format!("({instance}) use_ipvlan already specified"),
            )
            .with_help("an instance has one ipvlan; the first use_ipvlan is kept"),
        );
        return;
    }
    let mut ipvlan = Ipvlan::default();
    let mut flag_written = false;
    let mut args = node.args.iter();
    while let Some(token) = args.next() {
        let flag = match token.text.as_str() {
            "bridge" => Some(IpvlanFlag::Bridge),
            "private" => Some(IpvlanFlag::Private),
            "vepa" => Some(IpvlanFlag::Vepa),
            _ => None,
        };
        if let Some(flag) = flag {
            if flag_written {
                ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!(
                            "({instance}) ipvlan type already specified - ignoring '{}'",
                            token.text
                        ),
                    )
                    .with_help("give one of bridge, private or vepa"),
                );
            } else {
                ipvlan.flag = flag;
                flag_written = true;
            }
            continue;
        }
        match token.text.as_str() {
            "group" => match args.next() {
                Some(value) => ipvlan.group = ctx.value(values::int(value, 0, i64::from(u32::MAX))),
                None => ctx.report(
                    Diagnostic::error(Some(token.span), "group requires a value")
                        .with_help("expected group G, a link group number"),
                ),
            },
            "name" => match args.next() {
                Some(name) => ipvlan_name(ctx, &instance, name, &mut ipvlan),
                None => ctx.report(
                    Diagnostic::error(Some(token.span), "name requires a value")
                        .with_help("expected name IFNAME"),
                ),
            },
            text => match values::parse_prefix(text) {
                Some(_) if ipvlan.address.is_some() => ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!(
                            "({instance}) ipvlan address already specified - ignoring '{text}'"
                        ),
                    )
                    .with_help("an ipvlan gets one address"),
                ),
                Some(prefix) => {
                    ipvlan.address = Some(prefix);
                    ipvlan.address_loc = Loc(Some(token.span));
                }
                // An interface name cannot hold a '/'; this was meant as an address.
                None if text.contains('/') => ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!("({instance}) invalid ipvlan address '{text}' - ignoring"),
                    )
                    .with_help("expected ADDRESS[/LEN], LEN 0..32 for IPv4 and 0..128 for IPv6"),
                ),
                None => ipvlan_name(ctx, &instance, token, &mut ipvlan),
            },
        }
    }
    p.instance.use_ipvlan = Some(ipvlan);
}

/// The ipvlan's name from `use_ipvlan`: the first one written, at most 15 characters
/// (IFNAMSIZ).
fn ipvlan_name(
    ctx: &mut Ctx<'_>,
    instance: &str,
    token: &crate::token::Token,
    ipvlan: &mut Ipvlan,
) {
    let text = token.text.as_str();
    if ipvlan.name.is_some() {
        ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!("({instance}) IPVLAN interface already specified - ignoring '{text}'"),
            )
            .with_help("expected [name] IFNAME, ADDRESS[/LEN], bridge|private|vepa or group G"),
        );
        return;
    }
    if text.len() > 15 {
        ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!("({instance}) IPVLAN interface name '{text}' too long - ignoring"),
            )
            .with_help("interface names have at most 15 characters"),
        );
        return;
    }
    // keepalived takes any other word for the name; a kernel mode word there is most
    // likely a mistake, so say how it was read.
    if matches!(text, "l2" | "l3" | "l3s") {
        ctx.report(
            Diagnostic::note(
                Some(token.span),
                format!("'{text}' is taken as the ipvlan's name"),
            )
            .with_help("the ipvlan is always mode l2; its flag is bridge, private or vepa"),
        );
    }
    ipvlan.name = Some(text.to_owned());
}

fn is_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    (parts.len() == 5 || parts.len() == 6)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `notify_master|backup|fault|stop|notify|notify_master_rx_lower_pri SCRIPT`.
pub fn notify_keyword(ctx: &mut Ctx<'_>, node: &Node, notify: &mut Notify) {
    let Some(script) = util::script(ctx, node) else {
        return;
    };
    let slot = match node.name() {
        "notify_master" => &mut notify.notify_master,
        "notify_backup" => &mut notify.notify_backup,
        "notify_fault" => &mut notify.notify_fault,
        "notify_stop" => &mut notify.notify_stop,
        "notify_master_rx_lower_pri" => &mut notify.notify_master_rx_lower_pri,
        _ => &mut notify.notify,
    };
    *slot = Some(script);
}

/// `track_interface|track_script|track_file|track_process|track_bfd { NAME [weight W
/// [reverse]] }` (weights: ±253, ±254 for files and processes).
pub fn tracking_block(ctx: &mut Ctx<'_>, node: &Node, tracking: &mut Tracking) {
    let (list, max) = match node.name() {
        "track_interface" => (&mut tracking.track_interface, 253),
        "track_script" => (&mut tracking.track_script, 253),
        "track_file" => (&mut tracking.track_file, 254),
        "track_process" => (&mut tracking.track_process, 254),
        _ => (&mut tracking.track_bfd, 253),
    };
    for line in node.children() {
        // keepalived accepts ±254 for every tracker and clamps the ±253 kinds with a
        // warning ("weight for s cannot be +/-254. Setting to +/-253").
        let (mut weight, reverse) = util::weight_args(ctx, line.args, 254);
        if let Some(w) = weight.filter(|w| w.abs() > max) {
            let span = line
                .args
                .iter()
                .find(|t| t.text == w.to_string())
                .map(|t| t.span);
            ctx.report(
                Diagnostic::warning(
                    span,
                    format!(
                        "weight for {} cannot be +/-{}. Setting to +/-{max}",
                        line.keyword.text,
                        w.abs()
                    ),
                )
                .with_help(format!("expected an integer -{max}..{max}")),
            );
            weight = Some(w.signum() * max);
        }
        list.push(TrackRef {
            name: line.keyword.text.clone(),
            weight,
            reverse,
            span: Loc(Some(line.keyword.span)),
        });
    }
}

/// True when every table of this module is sorted (binary search needs it).
#[cfg(test)]
pub(crate) fn keywords_sorted() -> bool {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    sorted(KEYWORDS)
}
