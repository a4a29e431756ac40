//! Address, route and rule lines shared by `virtual_ipaddress`, `static_ipaddress`,
//! `virtual_routes`, `static_routes`, `virtual_rules` and `static_rules` (spec §2.4, §2.6).
//!
//! Each line of such a block is one [`Node`]: the keyword is the first word.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::diag::Diagnostic;
use crate::model::{Loc, Prefix, Route, Rule, VirtualAddress};
use crate::token::Token;
use crate::tree::Node;
use crate::values;

use super::Ctx;

/// The words of a line: the keyword and its arguments.
fn words<'a>(node: &Node<'a>) -> Vec<&'a Token> {
    std::iter::once(node.keyword)
        .chain(node.args.iter())
        .collect()
}

/// Reads every line of an address block.
pub fn address_block(ctx: &mut Ctx<'_>, node: &Node) -> Vec<VirtualAddress> {
    node.children()
        .iter()
        .filter_map(|line| virtual_address(ctx, line))
        .collect()
}

/// One address line. keepalived skips a line whose address does not parse
/// ("VRRP parsed invalid IP x. skipping IP...") and ignores unknown options
/// ("Unknown configuration entry 'x' for ip address - ignoring").
pub fn virtual_address(ctx: &mut Ctx<'_>, node: &Node) -> Option<VirtualAddress> {
    let words = words(node);
    // `words` starts with the keyword, so it is never empty.
    let first = words[0];
    let Some(prefix) = values::parse_prefix(&first.text) else {
        ctx.report(
            Diagnostic::error(
                Some(first.span),
                format!("invalid IP address '{}' - skipping", first.text),
            )
            .with_help("expected ADDRESS[/LEN] followed by options"),
        );
        return None;
    };
    let max_len = if prefix.address.is_ipv4() { 32 } else { 128 };
    let mut address = VirtualAddress {
        address: prefix.address,
        prefix_len: prefix.len.unwrap_or(max_len),
        broadcast: None,
        dev: None,
        use_vmac: false,
        scope: None,
        label: None,
        peer: None,
        home: false,
        nodad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        no_track: false,
        preferred_lft: None,
        track_group: None,
        span: Loc(Some(node.span())),
    };
    let mut i = 1;
    while let Some(token) = words.get(i) {
        let value = words.get(i + 1).copied();
        let takes_value = matches!(
            token.text.as_str(),
            "brd"
                | "broadcast"
                | "dev"
                | "scope"
                | "label"
                | "peer"
                | "preferred_lft"
                | "track_group"
        );
        if takes_value && value.is_none() {
            ctx.report(Diagnostic::error(
                Some(token.span),
                format!(
                    "{} requires a value for ip address {}",
                    token.text, first.text
                ),
            ));
            break;
        }
        match (token.text.as_str(), value) {
            ("brd" | "broadcast", Some(v)) => {
                if v.text == "+" || v.text == "-" || values::parse_ip(&v.text).is_some() {
                    address.broadcast = Some(v.text.clone());
                } else {
                    ctx.report(
                        Diagnostic::error(
                            Some(v.span),
                            format!("invalid broadcast address '{}'", v.text),
                        )
                        .with_help("expected an address, `+` or `-`"),
                    );
                }
            }
            ("dev", Some(v)) => address.dev = Some(v.text.clone()),
            ("scope", Some(v)) => {
                if scope_ok(&v.text) {
                    address.scope = Some(v.text.clone());
                } else {
                    ctx.report(
                        Diagnostic::error(Some(v.span), format!("invalid scope '{}'", v.text))
                            .with_help("expected site|link|host|nowhere|global or 0..255"),
                    );
                }
            }
            ("label", Some(_)) if address.address.is_ipv6() => ctx.report(
                Diagnostic::warning(
                    Some(token.span),
                    format!(
                        "Cannot specify label for IPv6 addresses ({}) - ignoring label",
                        address.address
                    ),
                )
                .with_help("labels exist for IPv4 addresses only"),
            ),
            ("label", Some(v)) => address.label = Some(v.text.clone()),
            ("peer", Some(v)) => address.peer = ctx.value(values::prefix(v)),
            ("preferred_lft", Some(v)) => {
                address.preferred_lft = if v.text == "forever" {
                    None
                } else {
                    ctx.value(values::int(v, 0, i64::from(u32::MAX)))
                };
            }
            ("track_group", Some(v)) => address.track_group = Some(v.text.clone()),
            (flag, _) => {
                match flag {
                    "use_vmac" => address.use_vmac = true,
                    "home" => address.home = true,
                    "-nodad" | "nodad" => address.nodad = true,
                    "mngtmpaddr" => address.mngtmpaddr = true,
                    "noprefixroute" => address.noprefixroute = true,
                    "autojoin" => address.autojoin = true,
                    "no_track" => address.no_track = true,
                    other => ctx.report(
                        Diagnostic::error(
                            Some(token.span),
                            format!("unknown configuration entry '{other}' for ip address - ignoring"),
                        )
                        .with_help("expected brd|dev|scope|label|peer|home|-nodad|mngtmpaddr|noprefixroute|autojoin|no_track|preferred_lft|use_vmac"),
                    ),
                }
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    Some(address)
}

fn scope_ok(text: &str) -> bool {
    matches!(text, "site" | "link" | "host" | "nowhere" | "global") || text.parse::<u8>().is_ok()
}

/// `ip route` option words that take a value.
const ROUTE_VALUE_OPTIONS: &[&str] = &[
    "advmss",
    "congctl",
    "cwnd",
    "dev",
    "dsfield",
    "encap",
    "expires",
    "fastopen_no_cookie",
    "features",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "metric",
    "mtu",
    "oif",
    "pref",
    "preference",
    "priority",
    "proto",
    "protocol",
    "quickack",
    "realm",
    "realms",
    "reordering",
    "rto_min",
    "rtt",
    "rttvar",
    "scope",
    "src",
    "ssthresh",
    "table",
    "tos",
    "track_group",
    "via",
    "gw",
    "weight",
    "window",
    "or",
    "to",
    "ttl-propagate",
    "nhid",
];

/// `ip route` metrics, which accept `lock` before their value.
const ROUTE_METRICS: &[&str] = &[
    "advmss",
    "cwnd",
    "features",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "mtu",
    "reordering",
    "rto_min",
    "rtt",
    "rttvar",
    "ssthresh",
    "window",
];

/// `ip route` option words without a value.
const ROUTE_FLAGS: &[&str] = &[
    "lock",
    "no_track",
    "onlink",
    "pervasive",
    "inet6",
    "inet",
    "nexthop",
];

/// Route types (`ip route` TYPE).
const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "multicast",
    "throw",
    "unreachable",
    "prohibit",
    "blackhole",
    "nat",
    "anycast",
];

/// Reads every line of a route block.
pub fn route_block(ctx: &mut Ctx<'_>, node: &Node) -> Vec<Route> {
    node.children()
        .iter()
        .filter_map(|line| route(ctx, line))
        .collect()
}

/// One route line: `[TYPE] [src IP] [to] DST [via IP] [dev IF] ... [no_track]`.
pub fn route(ctx: &mut Ctx<'_>, node: &Node) -> Option<Route> {
    let words = words(node);
    let mut route = Route {
        route_type: None,
        to: Prefix {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            len: Some(0),
        },
        src: None,
        via: None,
        dev: None,
        table: None,
        metric: None,
        no_track: false,
        track_group: None,
        options: Vec::new(),
        span: Loc(Some(node.span())),
    };
    let mut destination: Option<Prefix> = None;
    let mut default_destination = false;
    let mut in_nexthop = false;
    let mut i = 0;
    while let Some(token) = words.get(i) {
        let word = token.text.as_str();
        if ROUTE_VALUE_OPTIONS.contains(&word) {
            // `via [inet|inet6] ADDR`: the family word comes before the address.
            let family = matches!(word, "via" | "gw")
                && words
                    .get(i + 1)
                    .is_some_and(|t| t.text == "inet" || t.text == "inet6");
            if family {
                i += 1;
            }
            let Some(mut value) = words.get(i + 1) else {
                ctx.report(Diagnostic::error(
                    Some(token.span),
                    format!("route option '{word}' requires a value"),
                ));
                return None;
            };
            // `ip route` metrics take `lock` before the value: `mtu lock 1400`.
            let locked = value.text == "lock" && ROUTE_METRICS.contains(&word);
            if locked {
                i += 1;
                let Some(locked_value) = words.get(i + 1) else {
                    ctx.report(Diagnostic::error(
                        Some(value.span),
                        format!("route option '{word} lock' requires a value"),
                    ));
                    return None;
                };
                value = locked_value;
            }
            let ok = match word {
                "src" => ctx
                    .value(values::ip(value))
                    .map(|ip| route.src = Some(ip))
                    .is_some(),
                "via" | "gw" if !in_nexthop => ctx
                    .value(values::ip(value))
                    .map(|ip| route.via = Some(ip))
                    .is_some(),
                "dev" | "oif" if !in_nexthop => {
                    route.dev = Some(value.text.clone());
                    true
                }
                "table" => {
                    route.table = Some(value.text.clone());
                    true
                }
                "metric" | "priority" | "preference" => ctx
                    .value(values::int(value, 0, i64::from(u32::MAX)))
                    .map(|m| route.metric = Some(m))
                    .is_some(),
                "track_group" => {
                    route.track_group = Some(value.text.clone());
                    true
                }
                "to" => match parse_destination(&value.text) {
                    Some((prefix, is_default)) => {
                        destination = Some(prefix);
                        default_destination = is_default;
                        true
                    }
                    None => {
                        ctx.report(invalid_destination(value));
                        return None;
                    }
                },
                _ => {
                    let text = if locked {
                        format!("lock {}", value.text)
                    } else {
                        value.text.clone()
                    };
                    route.options.push((word.to_owned(), Some(text)));
                    true
                }
            };
            if !ok {
                return None;
            }
            i += 2;
        } else if ROUTE_FLAGS.contains(&word) {
            match word {
                "no_track" => route.no_track = true,
                "nexthop" => {
                    in_nexthop = true;
                    route.options.push((word.to_owned(), None));
                }
                _ => route.options.push((word.to_owned(), None)),
            }
            i += 1;
        } else if ROUTE_TYPES.contains(&word) && destination.is_none() {
            route.route_type = Some(word.to_owned());
            i += 1;
        } else if destination.is_none() {
            match parse_destination(word) {
                Some((prefix, is_default)) => {
                    destination = Some(prefix);
                    default_destination = is_default;
                }
                None => {
                    ctx.report(invalid_destination(token));
                    return None;
                }
            }
            i += 1;
        } else {
            ctx.report(
                Diagnostic::error(Some(token.span), format!("unknown route keyword '{word}'"))
                    .with_help(
                        "expected an `ip route` option such as via, dev, table, metric, scope",
                    ),
            );
            i += 1;
        }
    }
    let Some(mut to) = destination else {
        ctx.report(Diagnostic::error(
            Some(node.keyword.span),
            "route has no destination",
        ));
        return None;
    };
    // `default` takes the family of the gateway or source.
    if default_destination
        && (route.via.is_some_and(|v| v.is_ipv6())
            || route.src.is_some_and(|s| s.is_ipv6())
            || route.options.iter().any(|(k, _)| k == "inet6"))
    {
        to = Prefix {
            address: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            len: Some(0),
        };
    }
    route.to = to;
    Some(route)
}

fn parse_destination(text: &str) -> Option<(Prefix, bool)> {
    if text == "default" {
        return Some((
            Prefix {
                address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                len: Some(0),
            },
            true,
        ));
    }
    values::parse_prefix(text).map(|p| (p, false))
}

fn invalid_destination(token: &Token) -> Diagnostic {
    Diagnostic::error(
        Some(token.span),
        format!("invalid route destination '{}' - skipping", token.text),
    )
    .with_help("expected ADDRESS[/LEN] or `default`")
}

/// `ip rule` option words that take a value.
const RULE_VALUE_OPTIONS: &[&str] = &[
    "dport",
    "dsfield",
    "fwmark",
    "goto",
    "iif",
    "ipproto",
    "lookup",
    "oif",
    "order",
    "pref",
    "preference",
    "priority",
    "protocol",
    "realms",
    "sport",
    "suppress_ifgroup",
    "suppress_prefixlength",
    "table",
    "tos",
    "track_group",
    "uidrange",
    "from",
    "to",
    "type",
];

/// `ip rule` option words without a value.
const RULE_FLAGS: &[&str] = &[
    "inet",
    "inet6",
    "l3mdev",
    "no_track",
    "not",
    "blackhole",
    "prohibit",
    "unreachable",
    "nop",
];

/// Reads every line of a rule block.
pub fn rule_block(ctx: &mut Ctx<'_>, node: &Node) -> Vec<Rule> {
    node.children()
        .iter()
        .filter_map(|line| rule(ctx, line))
        .collect()
}

/// One rule line: `from P to P table T iif IF oif IF fwmark N preference N ... [no_track]`.
pub fn rule(ctx: &mut Ctx<'_>, node: &Node) -> Option<Rule> {
    let words = words(node);
    let mut rule = Rule {
        from: None,
        to: None,
        table: None,
        preference: None,
        no_track: false,
        track_group: None,
        options: Vec::new(),
        span: Loc(Some(node.span())),
    };
    let mut i = 0;
    while let Some(token) = words.get(i) {
        let word = token.text.as_str();
        if RULE_VALUE_OPTIONS.contains(&word) {
            let Some(value) = words.get(i + 1) else {
                ctx.report(Diagnostic::error(
                    Some(token.span),
                    format!("rule option '{word}' requires a value"),
                ));
                return None;
            };
            match word {
                "from" | "to" => {
                    let prefix = if value.text == "all" {
                        None
                    } else {
                        Some(ctx.value(values::prefix(value))?)
                    };
                    if word == "from" {
                        rule.from = prefix;
                    } else {
                        rule.to = prefix;
                    }
                }
                "table" | "lookup" => rule.table = Some(value.text.clone()),
                "preference" | "priority" | "order" | "pref" => {
                    rule.preference =
                        Some(ctx.value(values::int(value, 0, i64::from(u32::MAX)))?);
                }
                "track_group" => rule.track_group = Some(value.text.clone()),
                _ => rule
                    .options
                    .push((word.to_owned(), Some(value.text.clone()))),
            }
            i += 2;
        } else if RULE_FLAGS.contains(&word) {
            if word == "no_track" {
                rule.no_track = true;
            } else {
                rule.options.push((word.to_owned(), None));
            }
            i += 1;
        } else {
            ctx.report(
                Diagnostic::error(Some(token.span), format!("unknown rule option '{word}'"))
                    .with_help("expected an `ip rule` option such as from, to, table, iif, fwmark, preference"),
            );
            i += 1;
        }
    }
    Some(rule)
}
