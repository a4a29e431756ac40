//! `virtual_routes`/`virtual_rules` (installed while MASTER) and `static_ipaddress`,
//! `static_routes`, `static_rules` (installed for the daemon's life) as rtnetlink specs
//! (spec §2.4, §2.6).

use std::collections::HashMap;

use keel_conf::model::{Route, Rule, VirtualAddress};
use keel_sys::netlink::{AddressSpec, RouteKind, RouteScope, RouteSpec, RuleAction, RuleSpec};

/// A `table` argument: a number or one of iproute2's reserved names.
fn table_number(table: &str) -> Result<u32, String> {
    match table {
        "main" => Ok(254),
        "local" => Ok(255),
        "default" => Ok(253),
        other => other
            .parse()
            .map_err(|_| format!("table {other:?} is neither a number nor main/local/default")),
    }
}

/// The rtnetlink form of a route; `links` maps interface names to indices.
pub fn route_spec(route: &Route, links: &HashMap<String, u32>) -> Result<RouteSpec, String> {
    let full = if route.to.address.is_ipv4() { 32 } else { 128 };
    let mut spec = RouteSpec::new(route.to.address, route.to.len.unwrap_or(full));
    spec.gateway = route.via;
    spec.source = route.src;
    spec.metric = route.metric;
    if let Some(dev) = &route.dev {
        spec.ifindex = Some(
            *links
                .get(dev)
                .ok_or_else(|| format!("route to {}: no interface {dev}", route.to))?,
        );
    }
    if let Some(table) = &route.table {
        spec.table = table_number(table)?;
    }
    spec.kind = match route.route_type.as_deref() {
        None | Some("unicast") => RouteKind::Unicast,
        Some("blackhole") => RouteKind::Blackhole,
        Some("unreachable") => RouteKind::Unreachable,
        Some("prohibit") => RouteKind::Prohibit,
        Some("throw") => RouteKind::Throw,
        Some(other) => return Err(format!("route type {other} is not supported")),
    };
    for (name, value) in &route.options {
        match (name.as_str(), value.as_deref()) {
            ("scope", Some(scope)) => {
                spec.scope = Some(match scope {
                    "global" | "universe" => RouteScope::Global,
                    "site" => RouteScope::Site,
                    "link" => RouteScope::Link,
                    "host" => RouteScope::Host,
                    "nowhere" => RouteScope::Nowhere,
                    other => return Err(format!("route scope {other}")),
                })
            }
            ("protocol" | "proto", Some(number)) => {
                spec.protocol = Some(number.parse().map_err(|_| format!("protocol {number}"))?)
            }
            (other, _) => return Err(format!("route option {other} is not supported yet")),
        }
    }
    Ok(spec)
}

/// The rtnetlink form of a rule.
pub fn rule_spec(rule: &Rule) -> Result<RuleSpec, String> {
    let mut action = match &rule.table {
        Some(table) => Some(RuleAction::Table(table_number(table)?)),
        None => None,
    };
    let mut spec = RuleSpec::new(RuleAction::Nop);
    let full = |p: &keel_conf::model::Prefix| {
        (
            p.address,
            p.len.unwrap_or(if p.address.is_ipv4() { 32 } else { 128 }),
        )
    };
    spec.from = rule.from.as_ref().map(full);
    spec.to = rule.to.as_ref().map(full);
    spec.priority = rule.preference;
    for (name, value) in &rule.options {
        match (name.as_str(), value.as_deref()) {
            ("iif", Some(name)) => spec.iif = Some(name.to_string()),
            ("oif", Some(name)) => spec.oif = Some(name.to_string()),
            ("fwmark", Some(mark)) => {
                let (mark, mask) = match mark.split_once('/') {
                    Some((mark, mask)) => (mark, Some(mask)),
                    None => (mark, None),
                };
                spec.fwmark = Some(parse_number(mark)?);
                spec.fwmask = mask.map(parse_number).transpose()?;
            }
            ("goto", Some(target)) => action = Some(RuleAction::Goto(parse_number(target)?)),
            ("no_op" | "nop", _) => action = Some(RuleAction::Nop),
            ("blackhole", _) => action = Some(RuleAction::Blackhole),
            ("unreachable", _) => action = Some(RuleAction::Unreachable),
            ("prohibit", _) => action = Some(RuleAction::Prohibit),
            ("inet6", _) => spec.ipv6 = true,
            (other, _) => return Err(format!("rule option {other} is not supported yet")),
        }
    }
    spec.action = action.ok_or("rule without table or action")?;
    Ok(spec)
}

/// The rtnetlink form of a `static_ipaddress` entry (it names its own `dev`).
pub fn static_address_spec(
    address: &VirtualAddress,
    links: &HashMap<String, u32>,
) -> Result<AddressSpec, String> {
    let dev = address
        .dev
        .as_ref()
        .ok_or_else(|| format!("static address {} has no dev", address.address))?;
    let ifindex = *links
        .get(dev)
        .ok_or_else(|| format!("static address {}: no interface {dev}", address.address))?;
    let mut spec = AddressSpec::new(ifindex, address.address, address.prefix_len);
    spec.label = address.label.clone();
    spec.broadcast = address.broadcast.as_deref().and_then(|b| b.parse().ok());
    spec.options.nodad = address.nodad;
    spec.options.noprefixroute = address.noprefixroute;
    Ok(spec)
}

fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("{text:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_conf::model::{Loc, Prefix};

    fn route(to: &str, len: u8) -> Route {
        Route {
            route_type: None,
            to: Prefix {
                address: to.parse().unwrap(),
                len: Some(len),
            },
            src: None,
            via: None,
            dev: None,
            table: None,
            metric: None,
            no_track: false,
            track_group: None,
            options: Vec::new(),
            span: Loc::default(),
        }
    }

    // Input: `10.99.0.0/24 via 10.88.0.254 dev e0 table 100 metric 5`.
    // Output: the same route for rtnetlink, e0 resolved to its index.
    #[test]
    fn gateway_route_with_table_and_metric() {
        let mut r = route("10.99.0.0", 24);
        r.via = Some("10.88.0.254".parse().unwrap());
        r.dev = Some("e0".into());
        r.table = Some("100".into());
        r.metric = Some(5);
        let links = HashMap::from([("e0".to_string(), 7)]);
        let spec = route_spec(&r, &links).unwrap();
        assert_eq!(spec.prefix_len, 24);
        assert_eq!(spec.gateway, r.via);
        assert_eq!(spec.ifindex, Some(7));
        assert_eq!(spec.table, 100);
        assert_eq!(spec.metric, Some(5));
        // An unknown interface is an error value, not a panic.
        r.dev = Some("nope".into());
        assert!(route_spec(&r, &links).is_err());
    }

    // Input: `from 10.88.0.100 table 100 preference 100`; `fwmark 0x10/0xff goto 200`.
    // Output: a table rule with a /32 source; a goto rule with mark and mask.
    #[test]
    fn rules_with_tables_marks_and_gotos() {
        let rule = Rule {
            from: Some(Prefix {
                address: "10.88.0.100".parse().unwrap(),
                len: None,
            }),
            to: None,
            table: Some("100".into()),
            preference: Some(100),
            no_track: false,
            track_group: None,
            options: Vec::new(),
            span: Loc::default(),
        };
        let spec = rule_spec(&rule).unwrap();
        assert_eq!(spec.from, Some(("10.88.0.100".parse().unwrap(), 32)));
        assert_eq!(spec.action, RuleAction::Table(100));
        assert_eq!(spec.priority, Some(100));
        let marked = Rule {
            table: None,
            options: vec![
                ("fwmark".into(), Some("0x10/0xff".into())),
                ("goto".into(), Some("200".into())),
            ],
            ..rule
        };
        let spec = rule_spec(&marked).unwrap();
        assert_eq!((spec.fwmark, spec.fwmask), (Some(16), Some(255)));
        assert_eq!(spec.action, RuleAction::Goto(200));
    }
}
