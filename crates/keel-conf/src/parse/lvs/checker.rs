//! Checker blocks (`TCP_CHECK`, `HTTP_GET`, ... spec §2.7) and the options they share.
//!
//! A checker is read into [`Parsed`] with its options as written; [`resolve`] fills in
//! what it did not say from its real server, its virtual server and the checker type's
//! default once the whole virtual server has been read.

use std::net::IpAddr;

use crate::diag::Diagnostic;
use crate::model::lvs::{
    Checker, CheckerKind, CheckerOptions, DnsCheck, DnsType, FileCheck, MiscCheck, RealServer,
    SmtpCheck, UdpCheck, VirtualServer,
};
use crate::model::{Config, Loc, Script, Seconds, UserGroup};
use crate::source::Span;
use crate::tree::Node;
use crate::values;

use super::super::{Ctx, Keyword, dispatch, kw, unknown_keyword, util};
use super::{http, value};

/// A checker as written.
pub(crate) struct Parsed {
    pub kind: Kind,
    pub written: Written,
    pub span: Span,
    /// `name` was given (DNS_CHECK takes one).
    written_name: bool,
}

/// The common options as written (`None` = inherit).
#[derive(Default, Clone)]
pub(crate) struct Written {
    connect_ip: Option<IpAddr>,
    connect_port: Option<u16>,
    bindto: Option<IpAddr>,
    bind_port: Option<u16>,
    bind_if: Option<String>,
    fwmark: Option<u32>,
    connect_timeout: Option<Seconds>,
    pub(super) retry: Option<u32>,
    delay_before_retry: Option<Seconds>,
    warmup: Option<Seconds>,
    delay_loop: Option<Seconds>,
    alpha: Option<bool>,
    log_all_failures: Option<bool>,
}

/// The type-specific part as written.
pub(crate) enum Kind {
    Tcp,
    Http(http::Http),
    Ssl(http::Http),
    Smtp {
        helo_name: String,
        /// Deprecated `host { ... }` blocks: each is one more SMTP checker.
        hosts: Vec<Written>,
    },
    Dns(DnsCheck),
    Misc {
        path: Option<Script>,
        timeout: Option<Seconds>,
        dynamic: bool,
        user: Option<UserGroup>,
    },
    Udp(UdpCheck),
    Ping,
    File {
        track_file: Option<(String, Span)>,
        weight: Option<i32>,
        reverse: bool,
    },
    Bfd {
        name: Option<(String, Span)>,
    },
}

/// Reads a checker block; `None` (after keepalived's error) when it cannot run.
pub(crate) fn read(ctx: &mut Ctx<'_>, node: &Node) -> Option<Parsed> {
    let (kind, tables): (Kind, Tables) = match node.name() {
        "TCP_CHECK" => (Kind::Tcp, (&[], true, true)),
        "HTTP_GET" => (
            Kind::Http(http::Http::default()),
            (http::KEYWORDS, true, true),
        ),
        "SSL_GET" => (
            Kind::Ssl(http::Http::default()),
            (http::KEYWORDS, true, true),
        ),
        "SMTP_CHECK" => (
            Kind::Smtp {
                helo_name: "smtpchecker.keepalived.org".into(),
                hosts: Vec::new(),
            },
            (SMTP, true, true),
        ),
        "DNS_CHECK" => (
            Kind::Dns(DnsCheck {
                query_type: DnsType::Soa,
                name: ".".into(),
            }),
            (DNS, true, true),
        ),
        // spec §2.7: MISC_CHECK takes the common options from `retry` on only.
        "MISC_CHECK" => (
            Kind::Misc {
                path: None,
                timeout: None,
                dynamic: false,
                user: None,
            },
            (MISC, false, true),
        ),
        "UDP_CHECK" => (
            Kind::Udp(UdpCheck {
                payload: None,
                require_reply: None,
                min_reply_length: 0,
                max_reply_length: 255,
            }),
            (UDP, true, true),
        ),
        "PING_CHECK" => (Kind::Ping, (&[], true, true)),
        "FILE_CHECK" => (
            Kind::File {
                track_file: None,
                weight: None,
                reverse: false,
            },
            (FILE, false, false),
        ),
        "BFD_CHECK" => (Kind::Bfd { name: None }, (BFD, false, false)),
        // The real-server table only routes the names above here.
        _ => return None,
    };
    super::expect_block(ctx, node);
    let mut parsed = Parsed {
        kind,
        written: Written::default(),
        span: node.keyword.span,
        written_name: false,
    };
    read_block(ctx, node.children(), tables, &mut parsed);
    finish(ctx, node, parsed)
}

/// (type-specific table, takes the connection options, takes the timing options).
type Tables = (&'static [Keyword<Parsed>], bool, bool);

/// Looks each statement up in the type's table, then the shared ones it accepts.
fn read_block(ctx: &mut Ctx<'_>, nodes: &[Node], tables: Tables, parsed: &mut Parsed) {
    let (specific, connect, timing) = tables;
    let find = |table: &[Keyword<Written>], name: &str| {
        table.binary_search_by(|k| k.name.cmp(name)).is_ok()
    };
    for node in nodes {
        let one = std::slice::from_ref(node);
        if specific
            .binary_search_by(|k| k.name.cmp(node.name()))
            .is_ok()
        {
            dispatch(ctx, one, specific, parsed);
        } else if connect && find(CONNECT, node.name()) {
            dispatch(ctx, one, CONNECT, &mut parsed.written);
        } else if timing && find(TIMING, node.name()) {
            dispatch(ctx, one, TIMING, &mut parsed.written);
        } else {
            let mut known: Vec<&str> = specific.iter().map(|k| k.name).collect();
            if connect {
                known.extend(CONNECT.iter().map(|k| k.name));
            }
            if timing {
                known.extend(TIMING.iter().map(|k| k.name));
            }
            ctx.report(unknown_keyword(node, known.into_iter()));
        }
    }
}

/// keepalived's end-of-block checks of each checker type.
fn finish(ctx: &mut Ctx<'_>, node: &Node, mut parsed: Parsed) -> Option<Parsed> {
    let end = node
        .block
        .as_ref()
        .and_then(|b| b.close)
        .unwrap_or(node.keyword.span);
    match &mut parsed.kind {
        Kind::Http(h) | Kind::Ssl(h) if h.urls.is_empty() => {
            // keepalived 2.2.7 crashes on this (exit 139); keel reports and drops it.
            ctx.report(
                Diagnostic::error(
                    Some(end),
                    "HTTP/SSL_GET checker has no urls specified - ignoring",
                )
                .with_help("add `url { path /PATH }`"),
            );
            return None;
        }
        Kind::Misc { path, user, .. } => {
            let Some(script) = path else {
                ctx.report(
                    Diagnostic::error(
                        Some(end),
                        "no script path has been specified for MISC_CHECKER - skipping",
                    )
                    .with_help("add `misc_path \"PROGRAM [ARGS]\"`"),
                );
                return None;
            };
            if let Some(user) = user.take() {
                script.user = Some(user.user);
                script.group = user.group;
            }
        }
        Kind::File { track_file, .. } if track_file.is_none() => {
            ctx.report(Diagnostic::error(
                Some(end),
                "FILE_CHECK has no track_file specified - ignoring",
            ));
            return None;
        }
        Kind::Udp(u) if u.min_reply_length > u.max_reply_length => {
            ctx.report(Diagnostic::warning(
                Some(end),
                format!(
                    "UDP_CHECK min_reply length {} > max_reply_length {} - will always fail",
                    u.min_reply_length, u.max_reply_length
                ),
            ));
        }
        Kind::Bfd { name } if name.is_none() => {
            ctx.report(Diagnostic::error(
                Some(end),
                "BFD_CHECK has no name specified - ignoring",
            ));
            return None;
        }
        _ => {}
    }
    // keepalived: "bindto address ... does not match address family of connect_ip".
    let w = &mut parsed.written;
    if let (Some(connect), Some(bind)) = (w.connect_ip, w.bindto) {
        if connect.is_ipv4() != bind.is_ipv4() {
            ctx.report(Diagnostic::error(
                Some(end),
                format!(
                    "bindto address {bind} does not match address family of connect_ip - skipping"
                ),
            ));
            w.bindto = None;
        }
    }
    // keepalived: "Checker link local address %s requires a bind_if".
    if let Some(IpAddr::V6(v6)) = w.connect_ip {
        if v6.is_unicast_link_local() && w.bind_if.is_none() {
            ctx.report(
                Diagnostic::error(
                    Some(end),
                    format!("checker link local address {v6} requires a bind_if"),
                )
                .with_help("add `bind_if INTERFACE`"),
            );
        }
    }
    Some(parsed)
}

/// The checker(s) a parsed block becomes once its real and virtual server are known.
/// `FILE_CHECK` and `BFD_CHECK` name objects that must be defined earlier in the file
/// (keepalived looks them up while parsing).
pub(crate) fn resolve(
    ctx: &mut Ctx<'_>,
    parsed: Parsed,
    rs: &RealServer,
    vs: &VirtualServer,
    config: &Config,
) -> Vec<Checker> {
    let loc = Loc(Some(parsed.span));
    let virtualhost = rs.virtualhost.as_ref().or(vs.virtualhost.as_ref());
    let options = |written: &Written, kind: &CheckerKind| options(written, kind, rs, vs);
    let kind = match parsed.kind {
        Kind::Tcp => CheckerKind::Tcp,
        Kind::Http(h) => CheckerKind::Http(h.into_model(virtualhost)),
        Kind::Ssl(h) => CheckerKind::Ssl(h.into_model(virtualhost)),
        Kind::Smtp { helo_name, hosts } => {
            let kind = CheckerKind::Smtp(SmtpCheck { helo_name });
            let mut out = vec![Checker {
                options: options(&parsed.written, &kind),
                kind: kind.clone(),
                loc,
            }];
            for host in hosts {
                let mut written = parsed.written.clone();
                written.connect_ip = host.connect_ip.or(written.connect_ip);
                written.connect_port = host.connect_port.or(written.connect_port);
                written.bindto = host.bindto.or(written.bindto);
                written.bind_port = host.bind_port.or(written.bind_port);
                written.bind_if = host.bind_if.or(written.bind_if);
                written.fwmark = host.fwmark.or(written.fwmark);
                written.connect_timeout = host.connect_timeout.or(written.connect_timeout);
                out.push(Checker {
                    options: options(&written, &kind),
                    kind: kind.clone(),
                    loc,
                });
            }
            return out;
        }
        Kind::Dns(d) => CheckerKind::Dns(d),
        Kind::Misc {
            path,
            timeout,
            dynamic,
            ..
        } => match path {
            Some(misc_path) => CheckerKind::Misc(MiscCheck {
                misc_path,
                misc_timeout: timeout,
                misc_dynamic: dynamic,
            }),
            None => return Vec::new(),
        },
        Kind::Udp(u) => CheckerKind::Udp(u),
        Kind::Ping => CheckerKind::Ping,
        Kind::File {
            track_file,
            weight,
            reverse,
        } => {
            let Some((name, span)) = track_file else {
                return Vec::new();
            };
            if !config.vrrp.track_files.iter().any(|t| t.name == name) {
                ctx.report(
                    Diagnostic::error(Some(span), format!("track_file {name} not found"))
                        .with_help(
                            "define `track_file NAME { file PATH }` before the virtual server",
                        ),
                );
                ctx.report(Diagnostic::error(
                    Some(span),
                    "FILE_CHECK has no track_file specified - ignoring",
                ));
                return Vec::new();
            }
            CheckerKind::File(FileCheck {
                track_file: name,
                weight,
                reverse,
            })
        }
        Kind::Bfd { name } => {
            let Some((name, span)) = name else {
                return Vec::new();
            };
            if !config.vrrp.bfd_instances.iter().any(|b| b.name == name) {
                ctx.report(
                    Diagnostic::error(
                        Some(span),
                        format!("({}) BFD_CHECK - BFD {name} not configured", vs.service),
                    )
                    .with_help("define `bfd_instance NAME { ... }` before the virtual server"),
                );
                return Vec::new();
            }
            CheckerKind::Bfd { name }
        }
    };
    let options = options(&parsed.written, &kind);
    let needs_port = matches!(
        kind,
        CheckerKind::Tcp | CheckerKind::Http(_) | CheckerKind::Ssl(_) | CheckerKind::Udp(_)
    );
    if needs_port && options.connect_port.is_none() && rs.port == 0 {
        // keepalived 2.2.7 accepts this (exit 0) and connects to port 0, which fails.
        ctx.report(
            Diagnostic::note(
                Some(parsed.span),
                format!(
                    "{} of real server {} has no port to connect to",
                    kind.keyword(),
                    rs.address
                ),
            )
            .with_help("add `connect_port PORT` (the real server has no port)"),
        );
    }
    vec![Checker { options, kind, loc }]
}

/// Inheritance and per-type defaults (spec §2.7): checker, then real server, then virtual
/// server, then retry 1 (DNS 3, MISC 0), delay_before_retry 1 s (HTTP/SSL 3 s, DNS =
/// delay_loop), connect_timeout 5 s, warmup = delay_loop.
fn options(
    written: &Written,
    kind: &CheckerKind,
    rs: &RealServer,
    vs: &VirtualServer,
) -> CheckerOptions {
    let delay_loop = written
        .delay_loop
        .or(rs.delay_loop)
        .unwrap_or(vs.delay_loop);
    let default_retry = match kind {
        CheckerKind::Dns(_) => 3,
        CheckerKind::Misc(_) => 0,
        _ => 1,
    };
    let default_delay_before_retry = match kind {
        CheckerKind::Http(_) | CheckerKind::Ssl(_) => Seconds::from_secs(3),
        CheckerKind::Dns(_) => delay_loop,
        _ => Seconds::from_secs(1),
    };
    CheckerOptions {
        connect_ip: written.connect_ip,
        connect_port: written.connect_port,
        bindto: written.bindto,
        bind_port: written.bind_port,
        bind_if: written.bind_if.clone(),
        fwmark: written.fwmark,
        connect_timeout: written
            .connect_timeout
            .or(rs.connect_timeout)
            .or(vs.connect_timeout)
            .unwrap_or(Seconds::from_secs(5)),
        retry: written
            .retry
            .or(rs.retry)
            .or(vs.retry)
            .unwrap_or(default_retry),
        delay_before_retry: written
            .delay_before_retry
            .or(rs.delay_before_retry)
            .or(vs.delay_before_retry)
            .unwrap_or(default_delay_before_retry),
        warmup: written
            .warmup
            .or(rs.warmup)
            .or(vs.warmup)
            .unwrap_or(delay_loop),
        delay_loop,
        alpha: written.alpha.or(rs.alpha).unwrap_or(vs.alpha),
        log_all_failures: written.log_all_failures,
    }
}

#[cfg(test)]
pub(super) fn keywords_sorted() -> bool {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    sorted(CONNECT)
        && sorted(TIMING)
        && sorted(SMTP)
        && sorted(DNS)
        && sorted(MISC)
        && sorted(UDP)
        && sorted(FILE)
        && sorted(BFD)
        && sorted(http::KEYWORDS)
        && http::keywords_sorted()
}

/// Where to connect from and to (all checkers but MISC, FILE, BFD), sorted.
pub(crate) static CONNECT: &[Keyword<Written>] = &[
    kw("bind_if", |ctx, node, w| {
        w.bind_if = util::string(ctx, node)
    }),
    kw("bind_port", |ctx, node, w| {
        w.bind_port = util::int(ctx, node, 1, 65535)
    }),
    kw("bindto", |ctx, node, w| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        w.bindto = ctx.value(values::ip(token));
    }),
    kw("connect_ip", |ctx, node, w| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        w.connect_ip = ctx.value(values::ip(token));
    }),
    kw("connect_port", |ctx, node, w| {
        w.connect_port = util::int(ctx, node, 1, 65535)
    }),
    kw("connect_timeout", |ctx, node, w| {
        w.connect_timeout = util::timer(ctx, node, 0.000_001, 4_294.967_295)
    }),
    kw("fwmark", |ctx, node, w| {
        w.fwmark = util::int(ctx, node, 0, i64::from(u32::MAX))
    }),
];

/// When to run (all checkers but FILE and BFD), sorted.
pub(crate) static TIMING: &[Keyword<Written>] = &[
    kw("alpha", |ctx, node, w| w.alpha = util::flag(ctx, node)),
    kw("delay_before_retry", |ctx, node, w| {
        w.delay_before_retry = util::timer(ctx, node, 0.0, value::TIMER_MAX)
    }),
    kw("delay_loop", |ctx, node, w| {
        w.delay_loop = util::timer(ctx, node, 0.000_001, value::TIMER_MAX)
    }),
    kw("log_all_failures", |ctx, node, w| {
        w.log_all_failures = util::flag(ctx, node)
    }),
    kw("retry", |ctx, node, w| {
        w.retry = util::int(ctx, node, 0, i64::from(u32::MAX))
    }),
    kw("warmup", |ctx, node, w| {
        w.warmup = util::timer(ctx, node, 0.0, value::TIMER_MAX)
    }),
];

pub(crate) static SMTP: &[Keyword<Parsed>] = &[
    kw("helo_name", |ctx, node, p| {
        let Kind::Smtp { helo_name, .. } = &mut p.kind else {
            return;
        };
        match node.args.first() {
            Some(token) => *helo_name = token.text.clone(),
            None => ctx.report(Diagnostic::error(
                Some(node.keyword.span),
                "SMTP_CHECK helo name missing",
            )),
        }
    }),
    kw("host", |ctx, node, p| {
        // keepalived 2.2.7 logs this without changing the verdict.
        ctx.report(
            Diagnostic::note(
                Some(node.keyword.span),
                "the SMTP_CHECK host block is deprecated - please define additional checkers",
            )
            .with_help("write one SMTP_CHECK with `connect_ip` per host"),
        );
        super::expect_block(ctx, node);
        let mut host = Written::default();
        dispatch(ctx, node.children(), CONNECT, &mut host);
        if let Kind::Smtp { hosts, .. } = &mut p.kind {
            hosts.push(host);
        }
    }),
];

pub(crate) static DNS: &[Keyword<Parsed>] = &[
    kw("name", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        let Kind::Dns(d) = &mut p.kind else {
            return;
        };
        let text = &token.text;
        // A DNS name may be "." (the root); otherwise no label may be empty.
        // keepalived 2.2.7 also rejects a one-character first label ("a.example.com"),
        // a bug keel does not copy.
        if text != "." && (text.starts_with('.') || text.contains("..")) {
            ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!("DNS_CHECK name '{text}' has empty label - ignoring"),
                )
                .with_help("labels are separated by single dots"),
            );
        } else if p.written_name {
            ctx.report(Diagnostic::error(
                Some(node.keyword.span),
                "DNS_CHECK name already specified - ignoring",
            ));
        } else {
            d.name = text.clone();
            p.written_name = true;
        }
    }),
    kw("type", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        let upper = token.text.to_ascii_uppercase();
        match DnsType::ALL.iter().find(|(k, _)| *k == upper) {
            Some((_, t)) => {
                if let Kind::Dns(d) = &mut p.kind {
                    d.query_type = *t;
                }
            }
            None => ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!("unknown DNS check type {} - ignoring", token.text),
                )
                .with_help("expected A|NS|CNAME|SOA|MX|TXT|AAAA|RRSIG|DNSKEY"),
            ),
        }
    }),
];

pub(crate) static MISC: &[Keyword<Parsed>] = &[
    kw("misc_dynamic", |_, _, p| {
        if let Kind::Misc { dynamic, .. } = &mut p.kind {
            *dynamic = true;
        }
    }),
    kw("misc_path", |ctx, node, p| {
        let script = util::script(ctx, node);
        if let Kind::Misc { path, .. } = &mut p.kind {
            if script.is_some() {
                *path = script;
            }
        }
    }),
    kw("misc_timeout", |ctx, node, p| {
        let v = util::timer(ctx, node, 0.0, value::TIMER_MAX);
        if let Kind::Misc { timeout, .. } = &mut p.kind {
            *timeout = v.or(*timeout);
        }
    }),
    kw("user", |ctx, node, p| {
        let Some(found) = util::user_group(node.args) else {
            ctx.report(
                Diagnostic::error(Some(node.keyword.span), "user requires a user name")
                    .with_help("write `user USER [GROUP]`"),
            );
            return;
        };
        if let Kind::Misc { user, .. } = &mut p.kind {
            *user = Some(found);
        }
    }),
];

pub(crate) static UDP: &[Keyword<Parsed>] = &[
    kw("max_reply_length", |ctx, node, p| {
        if let (Some(v), Kind::Udp(u)) = (util::int(ctx, node, 0, 65535), &mut p.kind) {
            u.max_reply_length = v;
        }
    }),
    kw("min_reply_length", |ctx, node, p| {
        if let (Some(v), Kind::Udp(u)) = (util::int(ctx, node, 0, 65535), &mut p.kind) {
            u.min_reply_length = v;
        }
    }),
    kw("payload", |ctx, node, p| {
        let Some(token) = node.args.first() else {
            ctx.report(Diagnostic::error(
                Some(node.keyword.span),
                "UDP_CHECK payload requires a payload",
            ));
            return;
        };
        match value::hex_bytes(&token.text) {
            Some(bytes) => {
                if let Kind::Udp(u) = &mut p.kind {
                    u.payload = Some(bytes);
                }
            }
            None => ctx.report(
                Diagnostic::error(Some(token.span), "invalid hex string for UDP_CHECK payload")
                    .with_help("expected an even number of hex digits"),
            ),
        }
    }),
    kw("require_reply", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        match value::hex_pattern(&token.text) {
            Some(pattern) => {
                if let Kind::Udp(u) = &mut p.kind {
                    u.require_reply = Some(pattern);
                }
            }
            None => ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    "invalid hex string for UDP_CHECK require_reply",
                )
                .with_help("expected hex digits, `x` for any digit"),
            ),
        }
    }),
];

pub(crate) static FILE: &[Keyword<Parsed>] = &[
    kw("track_file", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        if let Kind::File { track_file, .. } = &mut p.kind {
            *track_file = Some((token.text.clone(), token.span));
        }
    }),
    kw("weight", file_weight),
];

pub(crate) static BFD: &[Keyword<Parsed>] = &[
    kw("alpha", |ctx, node, p| {
        p.written.alpha = util::flag(ctx, node)
    }),
    kw("name", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        if let Kind::Bfd { name } = &mut p.kind {
            *name = Some((token.text.clone(), token.span));
        }
    }),
];

/// `weight N [reverse|noreverse]` in FILE_CHECK. keepalived 2.2.7 only logs a weight
/// outside -254..254 or an unknown option (exit 0), so keel notes them.
fn file_weight(ctx: &mut Ctx<'_>, node: &Node, p: &mut Parsed) {
    let Kind::File {
        weight, reverse, ..
    } = &mut p.kind
    else {
        return;
    };
    let Some(value) = node.args.first() else {
        ctx.report(Diagnostic::note(
            Some(node.keyword.span),
            "track file weight missing",
        ));
        return;
    };
    match values::int::<i32>(value, -254, 254) {
        Ok(w) => *weight = Some(w),
        Err(_) => ctx.report(
            Diagnostic::note(
                Some(value.span),
                "weight for track file must be in [-254..254] inclusive. Ignoring...",
            )
            .with_help("expected an integer -254..254"),
        ),
    }
    for option in &node.args[1..] {
        match option.text.as_str() {
            "reverse" => *reverse = true,
            "noreverse" => *reverse = false,
            other => ctx.report(Diagnostic::note(
                Some(option.span),
                format!("unknown track file weight option {other} - ignoring"),
            )),
        }
    }
}
