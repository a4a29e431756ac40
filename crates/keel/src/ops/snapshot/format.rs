//! keepalived's one-line forms of addresses, routes, rules and commands, as its dumps print
//! them (`format_ipaddress` and friends in keepalived 2.2.7).

use std::net::IpAddr;

use keel_conf::model::{Route, Rule, Script, VirtualAddress};

/// keepalived's quoting of a command line: each word in single quotes, space separated.
pub fn quote_command(script: &Script) -> String {
    script
        .command
        .iter()
        .map(|word| format!("'{word}'"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// keepalived's one-line form of a VIP (`format_ipaddress`): address (with `/len` unless a
/// host prefix), `brd`, `dev`, `scope`, `label`, `peer`, flags, IPv6 lifetime, ` set` when
/// installed.
pub fn format_address(address: &VirtualAddress, default_dev: &str, set: bool) -> String {
    let host_len = if address.address.is_ipv6() { 128 } else { 32 };
    let mut out = address.address.to_string();
    if address.prefix_len != host_len && address.peer.is_none() {
        out.push_str(&format!("/{}", address.prefix_len));
    }
    if let Some(broadcast) = &address.broadcast
        && address.address.is_ipv4()
        && address.peer.is_none()
        && let Some(resolved) = broadcast_address(address, broadcast)
    {
        out.push_str(&format!(" brd {resolved}"));
    }
    out.push_str(&format!(
        " dev {}",
        address.dev.as_deref().unwrap_or(default_dev)
    ));
    if address.use_vmac {
        out.push_str(" use_vmac");
    }
    // keepalived compat: IPv6 addresses never carry a scope, so they print as global.
    let scope = match (&address.scope, address.address.is_ipv6()) {
        (Some(scope), false) => scope.as_str(),
        _ => "global",
    };
    out.push_str(&format!(" scope {scope}"));
    if let Some(label) = &address.label
        && address.address.is_ipv4()
    {
        out.push_str(&format!(" label {label}"));
    }
    if let Some(peer) = &address.peer {
        out.push_str(&format!(
            " peer {}/{}",
            peer.address,
            peer.len.unwrap_or(address.prefix_len)
        ));
    }
    for (flag, text) in [
        (address.home, " home"),
        (address.nodad, " -nodad"),
        (address.mngtmpaddr, " mngtmpaddr"),
        (address.noprefixroute, " noprefixroute"),
        (address.autojoin, " autojoin"),
        (address.no_track, " no_track"),
    ] {
        if flag {
            out.push_str(text);
        }
    }
    if let Some(group) = &address.track_group {
        out.push_str(&format!(" track_group {group}"));
    }
    if address.address.is_ipv6() {
        // keepalived compat: an unset preferred_lft means deprecated for a /128, forever
        // otherwise.
        match address.preferred_lft {
            Some(0) => out.push_str(" deprecated"),
            Some(seconds) => out.push_str(&format!(" preferred_lft {seconds}")),
            None if address.prefix_len == 128 => out.push_str(" deprecated"),
            None => out.push_str(" preferred_lft forever"),
        }
    }
    if set {
        out.push_str(" set");
    }
    out
}

/// One `virtual_routes` line as keepalived 2.2.7 dumps it, e.g.
/// `prepend 192.0.2.0/24 via inet 10.98.0.254 dev veth1 proto 18` (18 is keepalived's
/// route protocol number, which keel uses too; `prepend` is the netlink create mode).
pub fn format_route(route: &Route) -> String {
    let mut words = vec!["prepend".to_string()];
    if let Some(kind) = route.route_type.as_ref().filter(|kind| *kind != "unicast") {
        words.push(kind.clone());
    }
    let host_len = if route.to.address.is_ipv6() { 128 } else { 32 };
    match route.to.len {
        Some(len) if len != host_len => words.push(format!("{}/{len}", route.to.address)),
        _ => words.push(route.to.address.to_string()),
    }
    if let Some(src) = route.src {
        words.push(format!("src {src}"));
    }
    if let Some(via) = route.via {
        let family = if via.is_ipv6() { "inet6" } else { "inet" };
        words.push(format!("via {family} {via}"));
    }
    if let Some(dev) = &route.dev {
        words.push(format!("dev {dev}"));
    }
    if let Some(table) = &route.table {
        words.push(format!("table {table}"));
    }
    if let Some(metric) = route.metric {
        words.push(format!("metric {metric}"));
    }
    push_options(&mut words, &route.options);
    words.push("proto 18".to_string());
    if route.no_track {
        words.push("no_track".to_string());
    }
    words.join(" ")
}

/// One `virtual_rules` line as keepalived 2.2.7 dumps it, e.g.
/// `from 10.98.0.100 priority 16384 tos 0x0 protocol 18 lookup 100` (without a
/// `preference`, keepalived's rules get priority 16384).
pub fn format_rule(rule: &Rule) -> String {
    let mut words = Vec::new();
    for (keyword, prefix) in [("from", &rule.from), ("to", &rule.to)] {
        if let Some(prefix) = prefix {
            let host_len = if prefix.address.is_ipv6() { 128 } else { 32 };
            match prefix.len {
                Some(len) if len != host_len => {
                    words.push(format!("{keyword} {}/{len}", prefix.address))
                }
                _ => words.push(format!("{keyword} {}", prefix.address)),
            }
        }
    }
    words.push(format!("priority {}", rule.preference.unwrap_or(16384)));
    words.push("tos 0x0".to_string());
    push_options(&mut words, &rule.options);
    words.push("protocol 18".to_string());
    if let Some(table) = &rule.table {
        words.push(format!("lookup {table}"));
    }
    if rule.no_track {
        words.push("no_track".to_string());
    }
    words.join(" ")
}

/// `brd IP`, or `+`/`-` computed from the prefix (keepalived only for prefixes up to /30).
fn broadcast_address(address: &VirtualAddress, broadcast: &str) -> Option<IpAddr> {
    let IpAddr::V4(v4) = address.address else {
        return None;
    };
    match broadcast {
        "+" | "-" if address.prefix_len <= 30 => {
            let host_mask = u32::MAX
                .checked_shr(u32::from(address.prefix_len))
                .unwrap_or(0);
            let base = u32::from(v4);
            let value = if broadcast == "+" {
                base | host_mask
            } else {
                base & !host_mask
            };
            Some(IpAddr::V4(value.into()))
        }
        "+" | "-" => None,
        written => written.parse().ok(),
    }
}

fn push_options(words: &mut Vec<String>, options: &[(String, Option<String>)]) {
    for (keyword, value) in options {
        match value {
            Some(value) => words.push(format!("{keyword} {value}")),
            None => words.push(keyword.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_conf::model::Loc;

    fn vip(text: &str) -> VirtualAddress {
        let (address, len) = match text.split_once('/') {
            Some((address, len)) => (address, len.parse().ok()),
            None => (text, None),
        };
        let address: IpAddr = address.parse().expect("test addresses are valid");
        VirtualAddress {
            address,
            prefix_len: len.unwrap_or(if address.is_ipv6() { 128 } else { 32 }),
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
            span: Loc::default(),
        }
    }

    // Input: VIPs as written in keepalived.conf. Output: keepalived 2.2.7's dump strings
    // (the /32 of a host address dropped, dev defaulted to the instance's interface).
    #[test]
    fn addresses_print_like_keepalived() {
        assert_eq!(
            format_address(&vip("10.99.0.100/24"), "veth0", true),
            "10.99.0.100/24 dev veth0 scope global set"
        );
        let mut labelled = vip("10.99.0.101/24");
        labelled.label = Some("veth0:1".into());
        assert_eq!(
            format_address(&labelled, "veth0", false),
            "10.99.0.101/24 dev veth0 scope global label veth0:1"
        );
        let mut linked = vip("10.99.2.100/24");
        linked.dev = Some("veth1".into());
        linked.scope = Some("link".into());
        linked.broadcast = Some("+".into());
        assert_eq!(
            format_address(&linked, "veth0", true),
            "10.99.2.100/24 brd 10.99.2.255 dev veth1 scope link set"
        );
        assert_eq!(
            format_address(&vip("10.99.0.200"), "veth0", true),
            "10.99.0.200 dev veth0 scope global set"
        );
        assert_eq!(
            format_address(&vip("2001:db8::1"), "eth0", false),
            "2001:db8::1 dev eth0 scope global deprecated"
        );
        assert_eq!(
            format_address(&vip("2001:db8::1/64"), "eth0", true),
            "2001:db8::1/64 dev eth0 scope global preferred_lft forever set"
        );
    }
}
