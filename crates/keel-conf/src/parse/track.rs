//! Tracked objects (spec §2.4): `vrrp_script`, `track_file`, `vrrp_track_process`,
//! `bfd_instance`.

use crate::diag::Diagnostic;
use crate::model::track::InitFile;
use crate::model::{
    BfdInstance, Config, Loc, Script, Seconds, TrackFile, TrackProcess, VrrpScript,
};
use crate::tree::Node;
use crate::values;

use super::util;
use super::{Ctx, Keyword, dispatch, kw};

/// `vrrp_script NAME { ... }`. A script without `script` is dropped with keepalived's
/// error ("No script set for vrrp_script NAME - removing").
pub fn vrrp_script(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut script = VrrpScript {
        name,
        script: Script::default(),
        interval: Seconds::from_secs(1),
        timeout: None,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        init_fail: false,
        span: Loc(Some(node.keyword.span)),
    };
    dispatch(ctx, node.children(), SCRIPT_KEYWORDS, &mut script);
    if script.script.command.is_empty() {
        ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            format!("no script set for vrrp_script {} - removing", script.name),
        ));
        return;
    }
    config.vrrp.scripts.push(script);
}

pub(crate) static SCRIPT_KEYWORDS: &[Keyword<VrrpScript>] = &[
    kw("fall", |ctx, node, s| {
        if let Some(v) = util::int(ctx, node, 1, i64::from(i32::MAX)) {
            s.fall = v;
        }
    }),
    kw("init_fail", |_, _, s| s.init_fail = true),
    kw("interval", |ctx, node, s| {
        if let Some(v) = util::timer(ctx, node, 0.000001, 86400.0 * 365.0) {
            s.interval = v;
        }
    }),
    kw("rise", |ctx, node, s| {
        if let Some(v) = util::int(ctx, node, 1, i64::from(i32::MAX)) {
            s.rise = v;
        }
    }),
    kw("script", |ctx, node, s| {
        // keepalived 2.2.7: every word after `script` belongs to the command (a user is
        // given with the `user` keyword), unlike notify scripts.
        if let Some(script) = util::command_line(ctx, node) {
            s.script = script;
        }
    }),
    kw("timeout", |ctx, node, s| {
        s.timeout = util::timer(ctx, node, 0.000001, 86400.0 * 365.0);
    }),
    kw("user", |ctx, node, s| match util::user_group(node.args) {
        Some(user) => s.user = Some(user),
        None => ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            "user requires a user name",
        )),
    }),
    kw("weight", |ctx, node, s| {
        let (weight, reverse) = object_weight(ctx, node, 253);
        if let Some(weight) = weight {
            s.weight = weight;
        }
        s.reverse = reverse;
    }),
];

/// `weight W [reverse]` inside a tracked object's block.
fn object_weight(ctx: &mut Ctx<'_>, node: &Node, max: i64) -> (Option<i32>, bool) {
    let Some(token) = util::arg(ctx, node) else {
        return (None, false);
    };
    let weight = ctx.value(values::int(token, -max, max));
    let mut reverse = false;
    for extra in &node.args[1..] {
        if extra.text == "reverse" {
            reverse = true;
        } else {
            ctx.report(
                Diagnostic::error(
                    Some(extra.span),
                    format!("unknown weight option '{}'", extra.text),
                )
                .with_help("expected `weight W [reverse]`"),
            );
        }
    }
    (weight, reverse)
}

/// `track_file NAME { ... }` (and deprecated `vrrp_track_file`).
pub fn track_file(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut file = TrackFile {
        name,
        file: String::new(),
        weight: 1,
        reverse: false,
        init_file: None,
        span: Loc(Some(node.keyword.span)),
    };
    dispatch(ctx, node.children(), FILE_KEYWORDS, &mut file);
    if file.file.is_empty() {
        ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            format!("no file set for track_file {} - ignoring", file.name),
        ));
        return;
    }
    config.vrrp.track_files.push(file);
}

pub(crate) static FILE_KEYWORDS: &[Keyword<TrackFile>] = &[
    kw("file", |ctx, node, f| {
        if let Some(path) = util::string(ctx, node) {
            f.file = path;
        }
    }),
    kw("init_file", |ctx, node, f| {
        let mut init = InitFile {
            value: 0,
            overwrite: false,
        };
        for token in node.args {
            if token.text == "overwrite" {
                init.overwrite = true;
            } else if let Some(value) = ctx.value(values::integer(
                token,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
            )) {
                init.value = value;
            }
        }
        f.init_file = Some(init);
    }),
    kw("weight", |ctx, node, f| {
        let (weight, reverse) = object_weight(ctx, node, 254);
        if let Some(weight) = weight {
            f.weight = weight;
        }
        f.reverse = reverse;
    }),
];

/// `vrrp_track_process NAME { ... }`.
pub fn vrrp_track_process(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut process = TrackProcess {
        name,
        process: Vec::new(),
        param_match: None,
        weight: 0,
        reverse: false,
        quorum: 1,
        quorum_max: None,
        fork_delay: None,
        terminate_delay: None,
        full_command: false,
        span: Loc(Some(node.keyword.span)),
    };
    dispatch(ctx, node.children(), PROCESS_KEYWORDS, &mut process);
    if process.process.is_empty() {
        ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            format!(
                "vrrp_track_process {} has no process specified - ignoring",
                process.name
            ),
        ));
        return;
    }
    if let Some(max) = process.quorum_max.filter(|max| *max < process.quorum) {
        ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            format!(
                "vrrp_track_process {}: quorum_max {max} is less than quorum {}",
                process.name, process.quorum
            ),
        ));
    }
    config.vrrp.track_processes.push(process);
}

pub(crate) static PROCESS_KEYWORDS: &[Keyword<TrackProcess>] = &[
    kw("delay", |ctx, node, p| {
        let delay = util::timer(ctx, node, 0.0, 3600.0);
        p.fork_delay = delay;
        p.terminate_delay = delay;
    }),
    kw("fork_delay", |ctx, node, p| {
        p.fork_delay = util::timer(ctx, node, 0.0, 3600.0)
    }),
    kw("full_command", |_, _, p| p.full_command = true),
    kw("param_match", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        p.param_match = ctx
            .value(values::choice(token, &["initial", "partial"]))
            .map(str::to_owned);
    }),
    kw("process", |ctx, node, p| {
        // keepalived: "process NAME [PARAMS]"; the whole parameter list is matched.
        if let Some(command) = util::command_line(ctx, node) {
            p.process = command.command;
        }
    }),
    kw("quorum", |ctx, node, p| {
        if let Some(v) = util::int(ctx, node, 1, 65535) {
            p.quorum = v;
        }
    }),
    kw("quorum_max", |ctx, node, p| {
        p.quorum_max = util::int(ctx, node, 0, 65535)
    }),
    kw("terminate_delay", |ctx, node, p| {
        p.terminate_delay = util::timer(ctx, node, 0.0, 3600.0)
    }),
    kw("weight", |ctx, node, p| {
        let (weight, reverse) = object_weight(ctx, node, 254);
        if let Some(weight) = weight {
            p.weight = weight;
        }
        p.reverse = reverse;
    }),
];

/// `bfd_instance NAME { ... }`. keepalived disables an instance without a neighbour
/// ("BFD instance NAME has no neighbor address set, disabling instance").
pub fn bfd_instance(ctx: &mut Ctx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = util::block_name(ctx, node) else {
        return;
    };
    let mut bfd = BfdInstance {
        name,
        neighbor_ip: None,
        source_ip: None,
        min_rx_ms: 10,
        min_tx_ms: 10,
        idle_tx_ms: 1000,
        multiplier: 5,
        passive: false,
        ttl: None,
        max_hops: None,
        multihop: false,
        weight: 0,
        reverse: false,
        other: Vec::new(),
        span: Loc(Some(node.keyword.span)),
    };
    dispatch(ctx, node.children(), BFD_KEYWORDS, &mut bfd);
    if bfd.neighbor_ip.is_none() {
        ctx.report(Diagnostic::error(
            Some(util::block_end(node)),
            format!(
                "BFD instance {} has no neighbor address set, disabling instance",
                bfd.name
            ),
        ));
        return;
    }
    config.vrrp.bfd_instances.push(bfd);
}

pub(crate) static BFD_KEYWORDS: &[Keyword<BfdInstance>] = &[
    kw("checker", |_, node, b| b.other.push(util::raw(node))),
    kw("hoplimit", |ctx, node, b| {
        b.ttl = util::int(ctx, node, 1, 255)
    }),
    kw("idle_tx", |ctx, node, b| {
        if let Some(v) = util::int(ctx, node, 1, 1000 * 3600) {
            b.idle_tx_ms = v;
        }
    }),
    kw("max_hops", |ctx, node, b| {
        b.max_hops = util::int(ctx, node, 0, 255)
    }),
    kw("min_rx", |ctx, node, b| {
        if let Some(v) = util::int(ctx, node, 1, 1000 * 3600) {
            b.min_rx_ms = v;
        }
    }),
    kw("min_tx", |ctx, node, b| {
        if let Some(v) = util::int(ctx, node, 1, 1000 * 3600) {
            b.min_tx_ms = v;
        }
    }),
    kw("multihop", |ctx, node, b| {
        if let Some(v) = util::flag(ctx, node) {
            b.multihop = v;
        }
    }),
    kw("multiplier", |ctx, node, b| {
        if let Some(v) = util::int(ctx, node, 1, 255) {
            b.multiplier = v;
        }
    }),
    kw("neighbor_ip", neighbor_ip),
    kw("neighbour_ip", neighbor_ip),
    kw("passive", |_, _, b| b.passive = true),
    kw("source_ip", |ctx, node, b| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        b.source_ip = ctx.value(values::ip(token));
    }),
    kw("ttl", |ctx, node, b| b.ttl = util::int(ctx, node, 1, 255)),
    kw("vrrp", |_, node, b| b.other.push(util::raw(node))),
    kw("weight", |ctx, node, b| {
        let (weight, reverse) = object_weight(ctx, node, 253);
        if let Some(weight) = weight {
            b.weight = weight;
        }
        b.reverse = reverse;
    }),
];

fn neighbor_ip(ctx: &mut Ctx<'_>, node: &Node, b: &mut BfdInstance) {
    let Some(token) = util::arg(ctx, node) else {
        return;
    };
    b.neighbor_ip = ctx.value(values::ip(token));
}

/// True when every table of this module is sorted (binary search needs it).
#[cfg(test)]
pub(crate) fn keywords_sorted() -> bool {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    sorted(SCRIPT_KEYWORDS)
        && sorted(FILE_KEYWORDS)
        && sorted(PROCESS_KEYWORDS)
        && sorted(BFD_KEYWORDS)
}
