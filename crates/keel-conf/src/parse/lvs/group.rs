//! `virtual_server_group NAME { ... }` and `SSL { ... }` (spec §2.7).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::diag::Diagnostic;
use crate::model::lvs::{Family, GroupEntry, SslContext, VirtualServerGroup};
use crate::model::{Config, Loc};
use crate::tree::Node;
use crate::values;

use super::super::{Ctx, Keyword, dispatch, kw, util};

/// `virtual_server_group NAME { IP [PORT] | RANGE [PORT] | fwmark N [inet|inet6] }`.
///
/// A bad entry is skipped; a group left empty, or mixing IPv4, IPv6 and a fwmark of no
/// family, is removed (keepalived 2.2.7, both with exit 5).
pub fn virtual_server_group(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    super::expect_block(ctx, node);
    let entries: Vec<GroupEntry> = node
        .children()
        .iter()
        .filter_map(|entry| group_entry(ctx, &name, entry))
        .collect();
    let end = node
        .block
        .as_ref()
        .and_then(|b| b.close)
        .unwrap_or(node.keyword.span);
    if entries.is_empty() {
        ctx.report(
            Diagnostic::warning(
                Some(end),
                format!("virtual server group {name} has no entries - removing"),
            )
            .with_help("add `IP PORT`, `IP-RANGE PORT` or `fwmark N` lines"),
        );
        return;
    }
    let has = |family: Family| {
        entries
            .iter()
            .any(|e| matches!(e, GroupEntry::Range { first, .. } if Family::of(*first) == family))
    };
    let bare_fwmark = entries
        .iter()
        .any(|e| matches!(e, GroupEntry::Fwmark { family: None, .. }));
    if has(Family::Inet) && has(Family::Inet6) && bare_fwmark {
        ctx.report(
            Diagnostic::error(
                Some(end),
                format!(
                    "virtual server group {name} cannot have IPv4, IPv6 and fwmark without family - removing"
                ),
            )
            .with_help("write `fwmark N inet` or `fwmark N inet6`"),
        );
        return;
    }
    config.lvs.virtual_server_groups.push(VirtualServerGroup {
        name,
        entries,
        loc: Loc(Some(node.keyword.span)),
    });
}

fn group_entry(ctx: &mut Ctx<'_>, group: &str, node: &Node) -> Option<GroupEntry> {
    if node.name() == "fwmark" {
        let token = util::arg(ctx, node)?;
        let mark = ctx
            .value(values::int(token, 0, i64::from(u32::MAX)).map_err(|d| {
                d.with_help(format!("({group}): fwmark must be in [0, 4294967295]"))
            }))?;
        let family = match node.args.get(1) {
            None => None,
            Some(t) if t.text == "inet" => Some(Family::Inet),
            Some(t) if t.text == "inet6" => Some(Family::Inet6),
            Some(t) => {
                ctx.report(
                    Diagnostic::error(
                        Some(t.span),
                        format!(
                            "({group}): fwmark '{mark}' family {} unknown - ignoring",
                            t.text
                        ),
                    )
                    .with_help("expected inet|inet6"),
                );
                return None;
            }
        };
        return Some(GroupEntry::Fwmark { mark, family });
    }
    let port = match node.args.first() {
        Some(token) => ctx.value(values::int(token, 0, 65535))?,
        None => 0,
    };
    match range(&node.keyword.text) {
        Ok((first, last)) => Some(GroupEntry::Range { first, last, port }),
        Err(reason) => {
            ctx.report(
                Diagnostic::error(Some(node.keyword.span), format!("{reason} - skipping"))
                    .with_help("expected IP, a.b.c.d-e, a.b.c.d/nn or `fwmark N`"),
            );
            None
        }
    }
}

/// `IP`, `IP-LAST` (the last IPv4 byte or IPv6 group) or `IP/LEN` (with no host bits set)
/// as (first, last).
fn range(text: &str) -> Result<(IpAddr, IpAddr), String> {
    let invalid = || format!("invalid virtual server group IP address {text}");
    if let Some((address, _)) = text.split_once('/') {
        let first = values::parse_ip(address).ok_or_else(invalid)?;
        let prefix =
            values::parse_prefix(text).ok_or_else(|| format!("invalid netmask - {text}"))?;
        let len = u32::from(prefix.len.unwrap_or(0));
        return match first {
            IpAddr::V4(v4) => {
                let host = u32::MAX.checked_shr(len).unwrap_or(0);
                if u32::from(v4) & host != 0 {
                    return Err(format!("address mask bits not empty - {text}"));
                }
                Ok((first, IpAddr::V4(Ipv4Addr::from(u32::from(v4) | host))))
            }
            IpAddr::V6(v6) => {
                let host = u128::MAX.checked_shr(len).unwrap_or(0);
                if u128::from(v6) & host != 0 {
                    return Err(format!("address mask bits not empty - {text}"));
                }
                Ok((first, IpAddr::V6(Ipv6Addr::from(u128::from(v6) | host))))
            }
        };
    }
    let Some((address, end)) = text.rsplit_once('-') else {
        let address = values::parse_ip(text).ok_or_else(invalid)?;
        return Ok((address, address));
    };
    let first = values::parse_ip(address).ok_or_else(invalid)?;
    let last = match first {
        IpAddr::V4(v4) => {
            let end: u8 = end
                .parse()
                .map_err(|_| format!("invalid range end {end}"))?;
            let [a, b, c, start] = v4.octets();
            if end <= start {
                return Err(format!(
                    "address range end is not greater than address range start - {text}"
                ));
            }
            IpAddr::V4(Ipv4Addr::new(a, b, c, end))
        }
        IpAddr::V6(v6) => {
            let end =
                u16::from_str_radix(end, 16).map_err(|_| format!("invalid range end {end}"))?;
            let mut segments = v6.segments();
            if end <= segments[7] {
                return Err(format!(
                    "address range end is not greater than address range start - {text}"
                ));
            }
            segments[7] = end;
            IpAddr::V6(Ipv6Addr::from(segments))
        }
    };
    Ok((first, last))
}

/// `SSL { password; ca; certificate; key }`; a second block replaces the first, as in
/// keepalived (with a warning).
pub fn ssl(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    if config.lvs.ssl.is_some() {
        ctx.report(
            Diagnostic::warning(
                Some(node.keyword.span),
                "SSL context already specified - replacing",
            )
            .with_help("keep one SSL block"),
        );
    }
    super::expect_block(ctx, node);
    let mut context = SslContext::default();
    dispatch(ctx, node.children(), SSL, &mut context);
    config.lvs.ssl = Some(context);
}

/// `SSL` keywords, sorted.
pub(crate) static SSL: &[Keyword<SslContext>] = &[
    kw("ca", |ctx, node, s| set(ctx, node, &mut s.ca)),
    kw("certificate", |ctx, node, s| {
        set(ctx, node, &mut s.certificate)
    }),
    kw("key", |ctx, node, s| set(ctx, node, &mut s.key)),
    kw("password", |ctx, node, s| set(ctx, node, &mut s.password)),
];

#[cfg(test)]
pub(super) fn keywords_sorted() -> bool {
    SSL.windows(2).all(|w| w[0].name < w[1].name)
}

fn set(ctx: &mut Ctx<'_>, node: &Node, slot: &mut Option<String>) {
    let Some(value) = util::string(ctx, node) else {
        return;
    };
    if slot.is_some() {
        ctx.report(Diagnostic::warning(
            Some(node.keyword.span),
            format!("SSL {} already specified - replacing", node.name()),
        ));
    }
    *slot = Some(value);
}
