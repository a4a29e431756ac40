//! Static objects and interface helpers (spec §2.4): `static_ipaddress`, `static_routes`,
//! `static_rules`, `track_group`, `garp_group`, `linkbeat_interfaces`,
//! `interface_up_down_delays`.

use crate::diag::Diagnostic;
use crate::model::track::{GarpGroup, InterfaceDelay, LinkbeatInterface, TrackGroup};
use crate::model::{Config, Loc};
use crate::tree::Node;
use crate::values;

use super::{Ctx, Keyword, address, dispatch, kw, util};

/// `static_ipaddress { ADDR ... }`.
pub fn static_ipaddress(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    extra_parameters(ctx, node);
    let addresses = address::address_block(ctx, node);
    config.vrrp.static_ipaddress.extend(addresses);
}

/// `static_routes { ROUTE ... }`.
pub fn static_routes(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    extra_parameters(ctx, node);
    let routes = address::route_block(ctx, node);
    config.vrrp.static_routes.extend(routes);
}

/// `static_rules { RULE ... }`.
pub fn static_rules(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    extra_parameters(ctx, node);
    let rules = address::rule_block(ctx, node);
    config.vrrp.static_rules.extend(rules);
}

/// keepalived: "Block static_ipaddress has extra parameters x ..." (the words are ignored).
fn extra_parameters(ctx: &mut Ctx<'_>, node: &Node) {
    if let Some(first) = node.args.first() {
        ctx.report(
            Diagnostic::warning(
                Some(first.span),
                format!(
                    "Block {} has extra parameters {} ...",
                    node.name(),
                    first.text
                ),
            )
            .with_help(format!(
                "`{} {{` takes no name; use track_group on each line",
                node.name()
            )),
        );
    }
}

/// `track_group NAME { group { VI ... } }`.
pub fn track_group(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut group = TrackGroup {
        name,
        group: Vec::new(),
    };
    dispatch(ctx, node.children(), TRACK_GROUP_KEYWORDS, &mut group);
    config.vrrp.track_groups.push(group);
}

pub(crate) static TRACK_GROUP_KEYWORDS: &[Keyword<TrackGroup>] = &[kw("group", |_, node, g| {
    g.group.extend(names(node));
})];

/// Every word of a list block (`group { VI_1 VI_2 }`, one or several per line).
pub fn names(node: &Node) -> Vec<String> {
    node.children()
        .iter()
        .flat_map(|line| std::iter::once(line.keyword).chain(line.args.iter()))
        .map(|t| t.text.clone())
        .collect()
}

/// `garp_group { garp_interval S; gna_interval S; interface IF | interfaces { IF ... } }`.
pub fn garp_group(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let mut group = GarpGroup {
        span: Loc(Some(util::block_end(node))),
        ..GarpGroup::default()
    };
    dispatch(ctx, node.children(), GARP_GROUP_KEYWORDS, &mut group);
    if group.interfaces.is_empty() {
        ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            "garp_group has no interfaces - ignoring",
        ));
        return;
    }
    // keepalived: "garp group N does not have any delay set - removing".
    if group.garp_interval.is_none() && group.gna_interval.is_none() {
        ctx.report(
            Diagnostic::error(
                Some(util::block_end(node)),
                format!(
                    "garp group {} does not have any delay set - removing",
                    config.vrrp.garp_groups.len()
                ),
            )
            .with_help("set garp_interval or gna_interval"),
        );
        return;
    }
    config.vrrp.garp_groups.push(group);
}

pub(crate) static GARP_GROUP_KEYWORDS: &[Keyword<GarpGroup>] = &[
    kw("garp_interval", |ctx, node, g| {
        g.garp_interval = util::timer(ctx, node, 0.0, 86400.0)
    }),
    kw("gna_interval", |ctx, node, g| {
        g.gna_interval = util::timer(ctx, node, 0.0, 86400.0)
    }),
    kw("interface", |ctx, node, g| {
        if let Some(name) = util::string(ctx, node) {
            g.interfaces.push(name);
        }
    }),
    kw("interfaces", |_, node, g| g.interfaces.extend(names(node))),
];

/// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] }`.
pub fn linkbeat_interfaces(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    for line in node.children() {
        let method = match line.args.first() {
            None => None,
            Some(token) => ctx
                .value(values::choice(token, &["MII", "ETHTOOL", "IOCTL"]))
                .map(str::to_owned),
        };
        config.vrrp.linkbeat_interfaces.push(LinkbeatInterface {
            interface: line.keyword.text.clone(),
            method,
        });
    }
}

/// `interface_up_down_delays { IF DOWN [UP] }` (each ≤ 255 s).
pub fn interface_up_down_delays(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    for line in node.children() {
        let Some(down_token) = line.args.first() else {
            ctx.report(
                Diagnostic::error(
                    Some(line.keyword.span),
                    format!("interface {} has no down delay", line.keyword.text),
                )
                .with_help("expected `IF DOWN [UP]`"),
            );
            continue;
        };
        let Some(down) = ctx.value(values::timer(down_token, 0.0, 255.0)) else {
            continue;
        };
        let up = match line.args.get(1) {
            Some(token) => match ctx.value(values::timer(token, 0.0, 255.0)) {
                Some(up) => up,
                None => continue,
            },
            None => down,
        };
        config.vrrp.interface_up_down_delays.push(InterfaceDelay {
            interface: line.keyword.text.clone(),
            down,
            up,
        });
    }
}

/// True when every table of this module is sorted (binary search needs it).
#[cfg(test)]
pub(crate) fn keywords_sorted() -> bool {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    sorted(TRACK_GROUP_KEYWORDS) && sorted(GARP_GROUP_KEYWORDS)
}
