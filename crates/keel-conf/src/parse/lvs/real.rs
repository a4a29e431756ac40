//! `real_server IP [PORT] { ... }` inside a virtual server (spec §2.7).

use crate::diag::Diagnostic;
use crate::model::Loc;
use crate::model::lvs::{Family, RealServer, Service};
use crate::tree::Node;
use crate::values;

use super::super::{Ctx, Keyword, dispatch, kw, later, util};
use super::{Parsed, checker, expect_block, optional_port, tunnelled, value};

/// A real server while its block is read.
pub(crate) struct Rs {
    rs: RealServer,
    checkers: Vec<checker::Parsed>,
}

/// Reads a real server into the virtual server being parsed. keepalived skips one with a
/// bad address, one whose family differs from the service's (unless tunnelled), and a
/// second one with the same address and port.
pub(super) fn real_server(ctx: &mut Ctx<'_>, node: &Node, p: &mut Parsed) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    let Some(address) = ctx.value(values::ip(token)) else {
        return;
    };
    let Some(port) = optional_port(ctx, node.args.get(1)) else {
        return;
    };
    expect_block(ctx, node);
    let loc = Loc(Some(node.keyword.span));
    let mut rs = Rs {
        rs: RealServer::new(address, port, p.vs.weight, loc),
        checkers: Vec::new(),
    };
    // keepalived `alloc_rs` copies the service's weight and inhibit setting so far.
    rs.rs.inhibit_on_failure = p.vs.inhibit_on_failure;
    dispatch(ctx, node.children(), KEYWORDS, &mut rs);
    let Rs { mut rs, checkers } = rs;

    // keepalived `rs_end_handler`: tunnelled servers may be of another family.
    let method = rs.lvs_method.or(p.method_set.then_some(p.vs.lvs_method));
    if !tunnelled(method) {
        let family = Family::of(address);
        match p.vs.ip_family {
            None => p.vs.ip_family = Some(family),
            Some(vs_family) if vs_family != family => {
                ctx.report(
                    Diagnostic::warning(
                        Some(token.span),
                        format!(
                            "address family of virtual server and real server {address} don't match - skipping real server"
                        ),
                    )
                    .with_help(format!("this service is {}", vs_family.keyword())),
                );
                return;
            }
            Some(_) => {}
        }
    }
    // A real server without a port serves on the service's port.
    if rs.port == 0 {
        if let Service::Address { port, .. } = p.vs.service {
            rs.port = port;
        }
    }
    // keepalived `validate_check_config`: "real server ... is duplicated - removing second rs".
    if !p.seen.insert((rs.address, rs.port)) {
        ctx.report(
            Diagnostic::warning(
                Some(token.span),
                format!(
                    "VS {}: real server [{}]:{} is duplicated - removing second rs",
                    p.vs.service, rs.address, rs.port
                ),
            )
            .with_help("each real server may appear once per virtual server"),
        );
        return;
    }
    p.vs.real_servers.push(rs);
    p.checkers.push(checkers);
}

/// Real-server keywords, sorted by name (byte order: upper case first).
pub(crate) static KEYWORDS: &[Keyword<Rs>] = &[
    kw("BFD_CHECK", add_checker),
    kw("DNS_CHECK", add_checker),
    kw("FILE_CHECK", add_checker),
    kw("HTTP_GET", add_checker),
    kw("MISC_CHECK", add_checker),
    kw("PING_CHECK", add_checker),
    kw("SMTP_CHECK", add_checker),
    kw("SSL_GET", add_checker),
    kw("TCP_CHECK", add_checker),
    kw("UDP_CHECK", add_checker),
    kw("alpha", |ctx, node, r| r.rs.alpha = util::flag(ctx, node)),
    kw("connect_timeout", |ctx, node, r| {
        r.rs.connect_timeout = util::timer(ctx, node, 0.000_001, 4_294.967_295)
    }),
    kw("delay_before_retry", |ctx, node, r| {
        r.rs.delay_before_retry = util::timer(ctx, node, 0.0, value::TIMER_MAX)
    }),
    kw("delay_loop", |ctx, node, r| {
        r.rs.delay_loop = util::timer(ctx, node, 0.000_001, value::TIMER_MAX)
    }),
    kw("inhibit_on_failure", |ctx, node, r| {
        if let Some(v) = util::flag(ctx, node) {
            r.rs.inhibit_on_failure = v;
        }
    }),
    kw("lthreshold", |ctx, node, r| {
        r.rs.lthreshold = util::int(ctx, node, 0, i64::from(u32::MAX))
    }),
    kw("lvs_method", |ctx, node, r| {
        if let Some(method) = value::method(ctx, node, "real") {
            r.rs.lvs_method = Some(method);
        }
    }),
    kw("notify_down", |ctx, node, r| {
        if r.rs.notify_down.is_some() {
            ctx.report(already(node));
        } else {
            r.rs.notify_down = util::script(ctx, node);
        }
    }),
    kw("notify_up", |ctx, node, r| {
        if r.rs.notify_up.is_some() {
            ctx.report(already(node));
        } else {
            r.rs.notify_up = util::script(ctx, node);
        }
    }),
    kw("retry", |ctx, node, r| {
        r.rs.retry = util::int(ctx, node, 1, i64::from(u32::MAX))
    }),
    kw("smtp_alert", |ctx, node, r| {
        r.rs.smtp_alert = util::flag(ctx, node)
    }),
    later("snmp_name", |ctx, node, r| {
        r.rs.snmp_name = util::string(ctx, node)
    }),
    kw("uthreshold", |ctx, node, r| {
        r.rs.uthreshold = util::int(ctx, node, 0, i64::from(u32::MAX))
    }),
    kw("virtualhost", |ctx, node, r| match node.args.first() {
        Some(token) => r.rs.virtualhost = Some(token.text.clone()),
        None => ctx.report(Diagnostic::error(
            Some(node.keyword.span),
            "real server virtualhost missing",
        )),
    }),
    kw("warmup", |ctx, node, r| {
        r.rs.warmup = util::timer(ctx, node, 0.0, value::TIMER_MAX)
    }),
    kw("weight", |ctx, node, r| {
        if let Some(v) = util::int(ctx, node, 0, i64::from(i32::MAX)) {
            r.rs.weight = v;
        }
    }),
];

#[cfg(test)]
pub(super) fn keywords_sorted() -> bool {
    KEYWORDS.windows(2).all(|w| w[0].name < w[1].name)
}

fn add_checker(ctx: &mut Ctx<'_>, node: &Node, r: &mut Rs) {
    if let Some(parsed) = checker::read(ctx, node) {
        r.checkers.push(parsed);
    }
}

fn already(node: &Node) -> Diagnostic {
    Diagnostic::error(
        Some(node.keyword.span),
        format!("{} script already specified - ignoring", node.name()),
    )
}
