//! Small helpers shared by the keyword handlers.

use crate::diag::Diagnostic;
use crate::model::{Loc, RawKeyword, Script, Seconds, UserGroup};
use crate::token::{Token, TokenKind};
use crate::tree::Node;
use crate::values;

use super::Ctx;

/// The name argument of a named block (`vrrp_instance NAME {`).
pub fn block_name(ctx: &mut Ctx<'_>, node: &Node) -> Option<String> {
    match node.args.first() {
        Some(token) => Some(token.text.clone()),
        None => {
            ctx.report(
                Diagnostic::error(
                    Some(node.keyword.span),
                    format!("{} requires a name", node.name()),
                )
                .with_help(format!("write `{} NAME {{`", node.name())),
            );
            None
        }
    }
}

/// The first argument, reporting a missing one.
pub fn arg<'n>(ctx: &mut Ctx<'_>, node: &'n Node) -> Option<&'n Token> {
    ctx.value(values::required(node.keyword, node.args))
}

/// The first argument's text.
pub fn string(ctx: &mut Ctx<'_>, node: &Node) -> Option<String> {
    arg(ctx, node).map(|t| t.text.clone())
}

/// The first argument as an integer in `min..=max`.
pub fn int<T: TryFrom<i64>>(ctx: &mut Ctx<'_>, node: &Node, min: i64, max: i64) -> Option<T> {
    let token = arg(ctx, node)?;
    ctx.value(values::int(token, min, max))
}

/// The first argument as decimal seconds in `min..=max`.
pub fn timer(ctx: &mut Ctx<'_>, node: &Node, min: f64, max: f64) -> Option<Seconds> {
    let token = arg(ctx, node)?;
    ctx.value(values::timer(token, min, max))
}

/// A flag with an optional BOOL; `None` after reporting a bad BOOL.
pub fn flag(ctx: &mut Ctx<'_>, node: &Node) -> Option<bool> {
    ctx.value(values::flag(node.args))
}

/// A flag kept among the raw keywords as `KEYWORD true|false` (a bare flag is true), for
/// rare keywords the model has no field for; [`crate::model::RawKeyword::flag`] reads it.
pub fn raw_flag(ctx: &mut Ctx<'_>, node: &Node) -> Option<RawKeyword> {
    flag(ctx, node).map(|value| RawKeyword {
        keyword: node.name().to_owned(),
        args: vec![value.to_string()],
    })
}

/// The keyword and its arguments, kept as written.
pub fn raw(node: &Node) -> RawKeyword {
    RawKeyword {
        keyword: node.name().to_owned(),
        args: node.args.iter().map(|t| t.text.clone()).collect(),
    }
}

/// A script-valued keyword: `KW "cmd args" [user [[:]group]]` (spec §2.1).
pub fn script(ctx: &mut Ctx<'_>, node: &Node) -> Option<Script> {
    script_from(ctx, node.keyword, node.args)
}

/// A script from its command token and optional user/group tokens.
pub fn script_from(ctx: &mut Ctx<'_>, keyword: &Token, args: &[Token]) -> Option<Script> {
    let command_token = ctx.value(values::required(keyword, args))?;
    let command = ctx.value(values::split_command(
        &command_token.text,
        command_token.span,
    ))?;
    if command.is_empty() {
        ctx.report(
            Diagnostic::error(
                Some(command_token.span),
                format!("{} has an empty command", keyword.text),
            )
            .with_help("expected \"PROGRAM [ARGS...]\""),
        );
        return None;
    }
    let user = user_group(&args[1..]);
    Some(Script {
        command,
        user: user.as_ref().map(|u| u.user.clone()),
        group: user.and_then(|u| u.group),
        span: Loc(Some(command_token.span)),
    })
}

/// A command that takes the whole rest of the line (`vrrp_script`'s `script`, `process`):
/// quoted tokens are split as a shell would, bare words are taken as they are.
pub fn command_line(ctx: &mut Ctx<'_>, node: &Node) -> Option<Script> {
    let first = arg(ctx, node)?;
    let mut command = Vec::new();
    for token in node.args {
        if token.kind == TokenKind::Quoted {
            command.extend(ctx.value(values::split_command(&token.text, token.span))?);
        } else {
            command.push(token.text.clone());
        }
    }
    if command.is_empty() {
        ctx.report(
            Diagnostic::error(
                Some(first.span),
                format!("{} has an empty command", node.name()),
            )
            .with_help("expected \"PROGRAM [ARGS...]\""),
        );
        return None;
    }
    Some(Script {
        command,
        user: None,
        group: None,
        span: Loc(Some(first.span)),
    })
}

/// `USER [[:]GROUP]` or `USER:GROUP`.
pub fn user_group(args: &[Token]) -> Option<UserGroup> {
    let first = args.first()?;
    if let Some((user, group)) = first.text.split_once(':') {
        return Some(UserGroup {
            user: user.to_owned(),
            group: (!group.is_empty()).then(|| group.to_owned()),
        });
    }
    let group = args
        .get(1)
        .map(|g| g.text.trim_start_matches(':').to_owned());
    Some(UserGroup {
        user: first.text.clone(),
        group: group.filter(|g| !g.is_empty()),
    })
}

/// `weight W [reverse|noreverse]` after a tracked object's name, with W in `-max..=max`.
/// Returns (weight, reverse).
pub fn weight_args(ctx: &mut Ctx<'_>, args: &[Token], max: i64) -> (Option<i32>, Option<bool>) {
    let mut weight = None;
    let mut reverse = None;
    let mut i = 0;
    while let Some(token) = args.get(i) {
        match token.text.as_str() {
            "weight" => match args.get(i + 1) {
                Some(value) => {
                    weight = ctx.value(values::int(value, -max, max));
                    i += 2;
                    continue;
                }
                None => ctx.report(
                    Diagnostic::error(Some(token.span), "weight requires a value")
                        .with_help(format!("expected an integer {}..{max}", -max)),
                ),
            },
            "reverse" => reverse = Some(true),
            "noreverse" => reverse = Some(false),
            other => ctx.report(
                Diagnostic::error(Some(token.span), format!("unknown track option '{other}'"))
                    .with_help("expected `weight W [reverse|noreverse]`"),
            ),
        }
        i += 1;
    }
    (weight, reverse)
}

/// Where keepalived reports a problem found when a block ends: its closing brace (or the
/// keyword when the block never closed).
pub fn block_end(node: &Node) -> crate::source::Span {
    node.block
        .as_ref()
        .and_then(|b| b.close)
        .unwrap_or(node.keyword.span)
}

/// `garp_extra_if [all] S` (global `vrrp_garp_extra_if` and per instance).
pub fn garp_extra_if(ctx: &mut Ctx<'_>, node: &Node) -> Option<crate::model::global::GarpExtraIf> {
    let (all, rest) = match node.args.first() {
        Some(t) if t.text == "all" => (true, &node.args[1..]),
        _ => (false, node.args),
    };
    let token = ctx.value(values::required(node.keyword, rest))?;
    let interval = ctx.value(values::timer(token, 0.0, 86400.0))?;
    Some(crate::model::global::GarpExtraIf { all, interval })
}

/// A set of small keys taken from the configuration (addresses and ports), hashed with
/// FxHash's multiply-rotate instead of SipHash: the administrator writes the keys, so no
/// attacker picks them to collide, and a 10,000-real-server configuration hashes each.
pub(crate) type FastSet<T> =
    std::collections::HashSet<T, std::hash::BuildHasherDefault<FastHasher>>;

/// The hasher of [`FastSet`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    /// FxHash's multiplier (from Firefox and rustc).
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        for &byte in chunks.remainder() {
            self.add(u64::from(byte));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
