//! Root-level LVS blocks (spec §2.7): `virtual_server_group`, `virtual_server`, `SSL`.
//!
//! A virtual server is read in one pass over its block; at its closing brace the
//! per-service fix-ups keepalived 2.2.7 makes (`vs_end_handler`, `validate_check_config`)
//! are applied and its checkers' options are resolved (checker, then real server, then
//! virtual server, then the checker type's default). Checks that need other root blocks
//! (groups, script security) run in [`check`] once the whole file is read.

pub mod check;
pub(crate) mod checker;
#[cfg(test)]
mod checker_tests;
#[cfg(test)]
mod corpus_tests;
pub(crate) mod group;
pub(crate) mod http;
pub(crate) mod real;
#[cfg(test)]
mod round_trip_tests;
#[cfg(test)]
mod tests;
mod validate;
mod value;

use crate::diag::Diagnostic;
use crate::model::lvs::{
    Family, Granularity, Method, Protocol, Scheduler, Service, SorryServer, VirtualServer,
};
use crate::model::{Config, Loc};
use crate::token::Token;
use crate::tree::Node;
use crate::values;

use super::{Ctx, Keyword, alias, dispatch, kw, later, util};

pub use group::{ssl, virtual_server_group};

/// `virtual_server IP PORT | fwmark N | group NAME { ... }`.
///
/// An unusable service address skips the whole block, as keepalived does; a virtual
/// server left without real servers is dropped with keepalived's warning.
pub fn virtual_server(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(service) = service(ctx, node) else {
        return;
    };
    expect_block(ctx, node);
    let mut parsed = Parsed::new(VirtualServer::new(service, Loc(Some(node.keyword.span))));
    if let Service::Address { address, .. } = parsed.vs.service {
        parsed.vs.ip_family = Some(Family::of(address));
    }
    // Large services hold hundreds of real servers; grow their vectors once.
    let real_servers = node
        .children()
        .iter()
        .filter(|child| child.name() == "real_server")
        .count();
    parsed.vs.real_servers.reserve(real_servers);
    parsed.checkers.reserve(real_servers);
    dispatch(ctx, node.children(), KEYWORDS, &mut parsed);
    if let Some(vs) = validate::finish(ctx, node, parsed, config) {
        config.lvs.virtual_servers.push(vs);
    }
}

/// A virtual server while its block is read: the model plus what keepalived needs to know
/// about what was (not) written.
pub(crate) struct Parsed {
    pub vs: VirtualServer,
    /// `lvs_sched` was written (a missing one warns and means wlc).
    pub sched_set: bool,
    /// `lvs_method` was written (a missing one warns and means NAT).
    pub method_set: bool,
    /// The real servers' checkers, before their options are resolved (index = real server).
    pub checkers: Vec<Vec<checker::Parsed>>,
    /// (address, port) of the real servers so far, to drop duplicates in O(1).
    pub seen: util::FastSet<(std::net::IpAddr, u16)>,
}

impl Parsed {
    fn new(vs: VirtualServer) -> Self {
        Parsed {
            vs,
            sched_set: false,
            method_set: false,
            checkers: Vec::new(),
            seen: util::FastSet::default(),
        }
    }
}

type P = Parsed;

/// Virtual-server keywords, sorted by name (byte order).
pub(crate) static KEYWORDS: &[Keyword<P>] = &[
    kw("alpha", |_, _, p| p.vs.alpha = true),
    kw("connect_timeout", |ctx, node, p| {
        p.vs.connect_timeout = util::timer(ctx, node, 0.000_001, 4_294.967_295)
    }),
    kw("delay_before_retry", |ctx, node, p| {
        if let Some(v) = util::timer(ctx, node, 0.0, value::TIMER_MAX) {
            p.vs.delay_before_retry = Some(v);
        }
    }),
    kw("delay_loop", |ctx, node, p| {
        if let Some(v) = util::timer(ctx, node, 0.000_001, value::TIMER_MAX) {
            p.vs.delay_loop = v;
        }
    }),
    kw("flag-1", |_, _, p| p.vs.scheduler_flags.flag_1 = true),
    kw("flag-2", |_, _, p| p.vs.scheduler_flags.flag_2 = true),
    kw("flag-3", |_, _, p| p.vs.scheduler_flags.flag_3 = true),
    kw("ha_suspend", |_, _, p| p.vs.ha_suspend = true),
    kw("hashed", |ctx, node, p| {
        if sched_flag_allowed(ctx, node, p, Scheduler::Sh) {
            p.vs.hashed = true;
        }
    }),
    kw("hysteresis", |ctx, node, p| {
        if let Some(v) = util::int(ctx, node, 0, i64::from(u32::MAX)) {
            p.vs.hysteresis = v;
        }
    }),
    kw("inhibit_on_failure", |ctx, node, p| {
        if let Some(v) = util::flag(ctx, node) {
            p.vs.inhibit_on_failure = v;
        }
    }),
    kw("ip_family", ip_family),
    // keepalived 2.2.7 accepts the old names silently (exit 0); keel notes the new name.
    alias("lb_algo", "lvs_sched", lvs_sched),
    alias("lb_kind", "lvs_method", lvs_method),
    kw("lvs_method", lvs_method),
    kw("lvs_sched", lvs_sched),
    kw("mh-fallback", |ctx, node, p| {
        if sched_flag_allowed(ctx, node, p, Scheduler::Mh) {
            p.vs.scheduler_flags.flag_1 = true;
        }
    }),
    kw("mh-port", |ctx, node, p| {
        if sched_flag_allowed(ctx, node, p, Scheduler::Mh) {
            p.vs.scheduler_flags.flag_2 = true;
        }
    }),
    kw("omega", |_, _, p| p.vs.omega = true),
    kw("ops", |_, _, p| p.vs.ops = true),
    kw("persistence_engine", |ctx, node, p| {
        p.vs.persistence_engine = util::string(ctx, node)
    }),
    kw("persistence_granularity", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        match value::granularity(token, p.vs.ip_family) {
            Ok(g) => {
                // keepalived `pgr_handler`: the granularity fixes a service family not yet known.
                p.vs.ip_family.get_or_insert(match g {
                    Granularity::Netmask(_) => Family::Inet,
                    Granularity::PrefixLen(_) => Family::Inet6,
                });
                p.vs.persistence_granularity = Some(g);
                if p.vs.persistence_timeout.is_none() {
                    p.vs.persistence_timeout = Some(value::DEFAULT_PERSISTENCE);
                }
            }
            // keepalived 2.2.7 only logs a bad granularity (exit 0); keel notes it.
            Err(diagnostic) => ctx.report(Diagnostic {
                severity: crate::diag::Severity::Note,
                class: crate::diag::Class::Info,
                ..diagnostic
            }),
        }
    }),
    kw("persistence_timeout", |ctx, node, p| {
        match node.args.first() {
            None => p.vs.persistence_timeout = Some(value::DEFAULT_PERSISTENCE),
            Some(token) => {
                if let Some(v) = ctx.value(values::int(token, 1, 2_678_400)) {
                    p.vs.persistence_timeout = Some(v);
                }
            }
        }
    }),
    kw("protocol", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        match token.text.to_ascii_uppercase().as_str() {
            "TCP" => p.vs.protocol = Some(Protocol::Tcp),
            "UDP" => p.vs.protocol = Some(Protocol::Udp),
            "SCTP" => p.vs.protocol = Some(Protocol::Sctp),
            _ => ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!("unknown protocol {} - ignoring", token.text),
                )
                .with_help("expected TCP|UDP|SCTP"),
            ),
        }
    }),
    kw("quorum", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        // keepalived: "Quorum %s must be in [1, %u]. Setting to 1."
        p.vs.quorum = ctx
            .value(values::int(token, 1, i64::from(u32::MAX)))
            .unwrap_or(1);
    }),
    kw("quorum_down", |ctx, node, p| {
        if p.vs.quorum_down.is_some() {
            ctx.report(already(node));
        } else {
            p.vs.quorum_down = util::script(ctx, node);
        }
    }),
    kw("quorum_up", |ctx, node, p| {
        if p.vs.quorum_up.is_some() {
            ctx.report(already(node));
        } else {
            p.vs.quorum_up = util::script(ctx, node);
        }
    }),
    kw("real_server", real::real_server),
    kw("retry", |ctx, node, p| {
        p.vs.retry = util::int(ctx, node, 1, i64::from(u32::MAX))
    }),
    kw("sh-fallback", |ctx, node, p| {
        if sched_flag_allowed(ctx, node, p, Scheduler::Sh) {
            p.vs.scheduler_flags.flag_1 = true;
        }
    }),
    kw("sh-port", |ctx, node, p| {
        if sched_flag_allowed(ctx, node, p, Scheduler::Sh) {
            p.vs.scheduler_flags.flag_2 = true;
        }
    }),
    kw("smtp_alert", |ctx, node, p| {
        p.vs.smtp_alert = util::flag(ctx, node)
    }),
    later("snmp_name", |ctx, node, p| {
        p.vs.snmp_name = util::string(ctx, node)
    }),
    kw("sorry_server", sorry_server),
    kw("sorry_server_inhibit", |ctx, node, p| {
        match p.vs.sorry_server.as_mut() {
            Some(sorry) => sorry.inhibit = true,
            None => ctx.report(
                Diagnostic::error(
                    Some(node.keyword.span),
                    "ignoring sorry_server_inhibit used before or without sorry_server",
                )
                .with_help("write `sorry_server IP [PORT]` first"),
            ),
        }
    }),
    kw("sorry_server_lvs_method", |ctx, node, p| {
        let method = value::method(ctx, node, "sorry");
        match p.vs.sorry_server.as_mut() {
            Some(sorry) => sorry.lvs_method = method.or(sorry.lvs_method),
            None => ctx.report(
                Diagnostic::error(
                    Some(node.keyword.span),
                    "sorry_server forwarding used without sorry_server",
                )
                .with_help("write `sorry_server IP [PORT]` first"),
            ),
        }
    }),
    kw("virtualhost", |ctx, node, p| match node.args.first() {
        Some(token) => p.vs.virtualhost = Some(token.text.clone()),
        None => ctx.report(Diagnostic::error(
            Some(node.keyword.span),
            "virtual server virtualhost missing",
        )),
    }),
    kw("warmup", |ctx, node, p| {
        if let Some(v) = util::timer(ctx, node, 0.0, value::TIMER_MAX) {
            p.vs.warmup = Some(v);
        }
    }),
    kw("weight", |ctx, node, p| {
        if let Some(v) = util::int(ctx, node, 1, i64::from(i32::MAX)) {
            p.vs.weight = v;
        }
    }),
];

/// True when every keyword table of this module is sorted for binary search.
#[cfg(test)]
pub(crate) fn keywords_sorted() -> bool {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    sorted(KEYWORDS)
        && real::keywords_sorted()
        && checker::keywords_sorted()
        && group::keywords_sorted()
}

/// The service of `virtual_server ARGS`; `None` (after an error) skips the block.
fn service(ctx: &mut Ctx<'_>, node: &Node) -> Option<Service> {
    let Some(first) = node.args.first() else {
        ctx.report(
            Diagnostic::error(
                Some(node.keyword.span),
                "virtual_server is missing a parameter",
            )
            .with_help("write `virtual_server IP PORT {`, `virtual_server fwmark N {` or `virtual_server group NAME {`"),
        );
        return None;
    };
    match first.text.as_str() {
        "fwmark" => {
            let token = ctx.value(values::required(first, &node.args[1..]))?;
            let mark = ctx.value(values::int(token, 0, i64::from(u32::MAX)))?;
            Some(Service::Fwmark { mark })
        }
        "group" => {
            let token = ctx.value(values::required(first, &node.args[1..]))?;
            Some(Service::Group {
                name: token.text.clone(),
            })
        }
        _ => {
            let address = ctx.value(values::ip(first))?;
            let port = match node.args.get(1) {
                Some(token) => ctx.value(values::int(token, 0, 65535))?,
                None => 0,
            };
            Some(Service::Address { address, port })
        }
    }
}

fn lvs_sched(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    match Scheduler::ALL.iter().find(|(k, _)| *k == token.text) {
        Some((_, sched)) => {
            p.vs.lvs_sched = *sched;
            p.sched_set = true;
        }
        None => ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!("invalid lvs_scheduler '{}' - ignoring", token.text),
            )
            .with_help(format!(
                "expected one of {}",
                Scheduler::ALL.map(|(k, _)| k).join("|")
            )),
        ),
    }
}

fn lvs_method(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    if let Some(method) = value::method(ctx, node, "virtual") {
        p.vs.lvs_method = method;
        p.method_set = true;
    }
}

fn ip_family(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    let family = match token.text.as_str() {
        "inet" => Family::Inet,
        "inet6" => Family::Inet6,
        _ => {
            ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!("unknown address family {}", token.text),
                )
                .with_help("expected inet|inet6"),
            );
            return;
        }
    };
    match p.vs.ip_family {
        Some(current) if current != family => ctx.report(
            Diagnostic::error(
                Some(token.span),
                format!(
                    "virtual server specified family {} conflicts with server family",
                    token.text
                ),
            )
            .with_help(format!(
                "the addresses of this service are {}",
                current.keyword()
            )),
        ),
        _ => p.vs.ip_family = Some(family),
    }
}

fn sorry_server(ctx: &mut Ctx<'_>, node: &Node, p: &mut P) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    let Some(address) = ctx.value(values::ip(token)) else {
        return;
    };
    let port = match node.args.get(1) {
        Some(token) => match ctx.value(values::int(token, 0, 65535)) {
            Some(port) => port,
            None => return,
        },
        None => 0,
    };
    p.vs.sorry_server = Some(SorryServer {
        address,
        port,
        inhibit: false,
        lvs_method: None,
    });
}

/// keepalived: "sh-port only applies to sh scheduler - ignoring" (the scheduler as read
/// so far, so `lvs_sched` must come first).
fn sched_flag_allowed(ctx: &mut Ctx<'_>, node: &Node, p: &P, needed: Scheduler) -> bool {
    if p.sched_set && p.vs.lvs_sched == needed {
        return true;
    }
    ctx.report(
        Diagnostic::error(
            Some(node.keyword.span),
            format!(
                "{} only applies to {} scheduler - ignoring",
                node.name(),
                needed.keyword()
            ),
        )
        .with_help(format!("write `lvs_sched {}` before it", needed.keyword())),
    );
    false
}

/// keepalived: "(VS) quorum_up script already specified - ignoring".
fn already(node: &Node) -> Diagnostic {
    Diagnostic::error(
        Some(node.keyword.span),
        format!("{} script already specified - ignoring", node.name()),
    )
}

/// The port argument after an address (`IP [PORT]`), 0 when absent.
pub(crate) fn optional_port(ctx: &mut Ctx<'_>, token: Option<&Token>) -> Option<u16> {
    match token {
        Some(token) => ctx.value(values::int(token, 0, 65535)),
        None => Some(0),
    }
}

/// keepalived: "Missing '{' at beginning of configuration block" for a block keyword
/// written without its block; the keyword still counts, with an empty block.
pub(crate) fn expect_block(ctx: &mut Ctx<'_>, node: &Node) {
    if node.block.is_none() {
        ctx.report(
            Diagnostic::error(
                Some(node.span()),
                "missing '{' at beginning of configuration block",
            )
            .with_help(format!(
                "write `{} ... {{` and close it with `}}`",
                node.name()
            )),
        );
    }
}

/// Whether a method forwards through a tunnel (whose address family may differ).
pub(crate) fn tunnelled(method: Option<Method>) -> bool {
    matches!(method, Some(Method::Tun { .. }))
}
