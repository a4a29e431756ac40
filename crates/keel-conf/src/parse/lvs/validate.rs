//! What keepalived 2.2.7 does at a virtual server's closing brace (`vs_end_handler`) and in
//! `validate_check_config`: each fix-up below is one of its messages, with the verdict
//! `keepalived -t` gives for it (all exit 5). Defaults and ranges are spec §2.7's.

use crate::diag::Diagnostic;
use crate::model::Config;
use crate::model::lvs::{Family, Method, Protocol, Scheduler, Service, VirtualServer};
use crate::tree::Node;

use super::super::Ctx;
use super::{Parsed, checker, tunnelled, value};

/// Applies the end-of-block fix-ups and resolves the checkers; `None` when keepalived
/// would ignore the virtual server.
pub(super) fn finish(
    ctx: &mut Ctx<'_>,
    node: &Node,
    parsed: Parsed,
    config: &Config,
) -> Option<VirtualServer> {
    let Parsed {
        mut vs,
        sched_set,
        method_set,
        checkers,
        ..
    } = parsed;
    let end = node
        .block
        .as_ref()
        .and_then(|b| b.close)
        .unwrap_or(node.keyword.span);
    let here = Some(node.keyword.span);
    let name = vs.service.to_string();

    // `vs_end_handler`: a sorry server of another family is dropped unless tunnelled.
    if let Some(sorry) = &vs.sorry_server {
        if !tunnelled(sorry.lvs_method.or(Some(vs.lvs_method))) {
            let family = Family::of(sorry.address);
            match vs.ip_family {
                None => vs.ip_family = Some(family),
                Some(f) if f != family => {
                    ctx.report(
                        Diagnostic::warning(
                            Some(end),
                            format!(
                                "address family of virtual server and sorry server {} don't match - skipping sorry server",
                                sorry.address
                            ),
                        )
                        .with_help(format!("this service is {}", f.keyword())),
                    );
                    vs.sorry_server = None;
                }
                Some(_) => {}
            }
        }
    }

    if vs.real_servers.is_empty() {
        ctx.report(
            Diagnostic::warning(
                here,
                format!("virtual server {name} has no real servers - ignoring"),
            )
            .with_help("add `real_server IP PORT { ... }`"),
        );
        return None;
    }

    // Checkers were read beside their real server (same order, same count).
    let resolved: Vec<Vec<_>> = vs
        .real_servers
        .iter()
        .zip(checkers)
        .map(|(rs, parsed)| {
            parsed
                .into_iter()
                .flat_map(|one| checker::resolve(ctx, one, rs, &vs, config))
                .collect()
        })
        .collect();
    for (rs, checkers) in vs.real_servers.iter_mut().zip(resolved) {
        rs.checkers = checkers;
    }

    match vs.service {
        Service::Fwmark { .. } => {
            if vs.ha_suspend {
                ctx.report(warning(
                    here,
                    format!("virtual server {name}: cannot use ha_suspend with fwmarks - clearing ha_suspend"),
                ));
                vs.ha_suspend = false;
            }
            if vs.protocol.take().is_some() {
                ctx.report(warning(
                    here,
                    format!("virtual server {name}: protocol specified for fwmark - protocol will be ignored"),
                ));
            }
        }
        Service::Address { .. } | Service::Group { .. } => {
            if vs.protocol.is_none() {
                // keepalived 2.2.7 really defaults to UDP here (its own log says so).
                ctx.report(
                    warning(
                        here,
                        format!("virtual server {name}: no protocol set - defaulting to UDP"),
                    )
                    .with_help("add `protocol TCP`"),
                );
                vs.protocol = Some(Protocol::Udp);
            }
        }
    }
    if vs.ops && vs.protocol != Some(Protocol::Udp) {
        ctx.report(warning(
            here,
            format!("virtual server {name}: one packet scheduling requires UDP - resetting"),
        ));
        vs.ops = false;
    }
    if let Service::Address { port: 0, .. } = vs.service {
        zero_port(ctx, &mut vs, here);
    }
    // `hashed` is accepted only after `lvs_sched sh`; a later scheduler change leaves
    // IPVS's internal hashed bit meaningless, so the model drops it.
    if vs.lvs_sched != Scheduler::Sh {
        vs.hashed = false;
    }
    if !sched_set {
        ctx.report(
            warning(
                here,
                format!("virtual server {name}: no scheduler set, setting default 'wlc'"),
            )
            .with_help("add `lvs_sched wlc` (or rr, wrr, ...)"),
        );
    }
    if !method_set {
        ctx.report(
            warning(
                here,
                format!("virtual server {name}: no forwarding method set, setting default NAT"),
            )
            .with_help("add `lvs_method NAT` (or DR, TUN)"),
        );
        vs.lvs_method = Method::Nat;
    }
    ports(ctx, &mut vs, here);
    // A DR/TUN port reset can make two real servers one destination; keepalived 2.2.7
    // checks duplicates before the reset and keeps both, which IPVS then refuses.
    let mut seen = std::collections::HashSet::new();
    vs.real_servers.retain(|rs| {
        if seen.insert((rs.address, rs.port)) {
            return true;
        }
        ctx.report(warning(
            rs.loc.0.or(here),
            format!(
                "VS {name}: real server [{}]:{} is duplicated after its port was reset - removing second rs",
                rs.address, rs.port
            ),
        ));
        false
    });
    sorry_matches_real(ctx, &mut vs, here);
    quorum(ctx, &mut vs, here);

    Some(vs)
}

/// keepalived: "zero port only valid for persistent services - setting".
pub(super) fn zero_port(
    ctx: &mut Ctx<'_>,
    vs: &mut VirtualServer,
    here: Option<crate::source::Span>,
) {
    if vs.persistence_timeout.is_none() {
        ctx.report(
            warning(
                here,
                format!(
                    "virtual server {}: zero port only valid for persistent services - setting",
                    vs.service
                ),
            )
            .with_help("add a port, or `persistence_timeout`"),
        );
        vs.persistence_timeout = Some(value::DEFAULT_PERSISTENCE);
    }
}

/// DR and TUN forward to the service's own port: keepalived resets a real or sorry
/// server's differing port (and clears it for fwmark services), with a warning.
fn ports(ctx: &mut Ctx<'_>, vs: &mut VirtualServer, here: Option<crate::source::Span>) {
    let service = vs.service.clone();
    let keeps_port = |method: Method| matches!(method, Method::Dr | Method::Tun { .. });
    let vs_method = vs.lvs_method;
    for rs in &mut vs.real_servers {
        if !keeps_port(rs.lvs_method.unwrap_or(vs_method)) {
            continue;
        }
        match service {
            Service::Address { port, .. } if rs.port != port => {
                ctx.report(warning(
                    rs.loc.0.or(here),
                    format!(
                        "virtual server {service} and real server [{}]:{} ports don't match - resetting",
                        rs.address, rs.port
                    ),
                ));
                rs.port = port;
            }
            Service::Fwmark { .. } if rs.port != 0 => {
                ctx.report(warning(
                    rs.loc.0.or(here),
                    format!(
                        "fwmark virtual server {service}, real server [{}]:{} has port specified - clearing",
                        rs.address, rs.port
                    ),
                ));
                rs.port = 0;
            }
            _ => {}
        }
    }
    if let Some(sorry) = vs.sorry_server.as_mut() {
        if keeps_port(sorry.lvs_method.unwrap_or(vs_method)) && sorry.port != 0 {
            match service {
                Service::Address { port, .. } if sorry.port != port => {
                    ctx.report(warning(
                        here,
                        format!(
                            "virtual server {service} and sorry server ports don't match - resetting"
                        ),
                    ));
                    sorry.port = port;
                }
                Service::Fwmark { .. } => {
                    ctx.report(warning(
                        here,
                        format!(
                            "virtual server {service}, sorry server has port specified - clearing"
                        ),
                    ));
                    sorry.port = 0;
                }
                _ => {}
            }
        }
    }
}

/// keepalived: "real server ... matches sorry server, but inhibit setting differs,
/// setting/clearing on sorry server" (one IPVS destination cannot have both).
fn sorry_matches_real(
    ctx: &mut Ctx<'_>,
    vs: &mut VirtualServer,
    here: Option<crate::source::Span>,
) {
    let Some(sorry) = vs.sorry_server.as_mut() else {
        return;
    };
    let Some(rs) = vs
        .real_servers
        .iter()
        .find(|rs| rs.address == sorry.address && rs.port == sorry.port)
    else {
        return;
    };
    if rs.inhibit_on_failure != sorry.inhibit {
        let verb = if rs.inhibit_on_failure {
            "setting"
        } else {
            "clearing"
        };
        ctx.report(warning(
            here,
            format!(
                "virtual server {}: real server [{}]:{} matches sorry server, but inhibit setting differs, {verb} on sorry server",
                vs.service, rs.address, rs.port
            ),
        ));
        sorry.inhibit = rs.inhibit_on_failure;
    }
}

/// Quorum no larger than the real servers' total weight, and hysteresis below quorum.
fn quorum(ctx: &mut Ctx<'_>, vs: &mut VirtualServer, here: Option<crate::source::Span>) {
    let total: u64 = vs.real_servers.iter().map(|rs| u64::from(rs.weight)).sum();
    if u64::from(vs.quorum) > total {
        let reduced = u32::try_from(total).unwrap_or(u32::MAX);
        ctx.report(
            warning(
                here,
                format!(
                    "quorum {} for {} exceeds total weight of real servers {total}, reducing quorum to {reduced}",
                    vs.quorum, vs.service
                ),
            )
            .with_help("the service could never reach its quorum"),
        );
        vs.quorum = reduced;
    }
    if vs.hysteresis >= vs.quorum {
        let set = vs.quorum.saturating_sub(1);
        ctx.report(warning(
            here,
            format!(
                "virtual server {}: hysteresis {} >= quorum {}; setting hysteresis to {set}",
                vs.service, vs.hysteresis, vs.quorum
            ),
        ));
        vs.hysteresis = set;
    }
}

fn warning(span: Option<crate::source::Span>, message: String) -> Diagnostic {
    Diagnostic::warning(span, message)
}
