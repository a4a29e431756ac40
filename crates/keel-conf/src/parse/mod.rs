//! From the block tree to the typed [`Config`]: one keyword table per block.
//!
//! Each block has a static table of [`Keyword`]s sorted by name (binary search keeps the
//! lookup cheap for 60,000-line configurations). A keyword may be a deprecated synonym
//! (a warning names its replacement, as keepalived does) or one keel accepts but does not
//! act on yet (recorded once in [`Config::not_supported`]). An unknown keyword is an
//! error with a "did you mean" suggestion; parsing continues with the next statement.

pub mod address;
#[cfg(test)]
mod block_tests;
pub mod global;
pub mod instance;
#[cfg(test)]
mod ipvlan_tests;
pub mod lvs;
pub mod root;
pub mod scheduling;
pub mod statics;
#[cfg(test)]
mod support_tests;
pub mod sync;
#[cfg(test)]
pub(crate) mod tests;
pub mod track;
pub(crate) mod util;

use std::collections::HashSet;

use crate::diag::Diagnostic;
use crate::model::{Config, Loc, NotSupported};
use crate::source::{FileSystem, Host};
use crate::token::Line;
use crate::tree::{self, Node};

/// Parses preprocessed lines into a configuration, without cross-checks against the
/// machine beyond what keyword handlers need. Use [`crate::parse()`] for the full pipeline.
pub fn config(lines: &[Line], fs: &dyn FileSystem, host: &dyn Host) -> (Config, Vec<Diagnostic>) {
    let (nodes, tree_diagnostics) = tree::build(lines);
    let mut ctx = Ctx::new(fs, host);
    ctx.diagnostics.extend(tree_diagnostics);
    let mut config = Config::default();
    dispatch(&mut ctx, &nodes, root::KEYWORDS, &mut config);
    config.not_supported = std::mem::take(&mut ctx.not_supported);
    (config, ctx.diagnostics)
}

/// What a keyword handler can reach: diagnostics and the machine.
pub struct Ctx<'a> {
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
    /// Files (script checks).
    pub fs: &'a dyn FileSystem,
    /// Interfaces, users, groups.
    pub host: &'a dyn Host,
    not_supported: Vec<NotSupported>,
    seen_not_supported: HashSet<String>,
}

impl<'a> Ctx<'a> {
    /// A context with no diagnostics yet.
    pub fn new(fs: &'a dyn FileSystem, host: &'a dyn Host) -> Self {
        Ctx {
            diagnostics: Vec::new(),
            fs,
            host,
            not_supported: Vec::new(),
            seen_not_supported: HashSet::new(),
        }
    }

    /// Records a problem.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The value, or `None` after recording its error.
    pub fn value<T>(&mut self, result: Result<T, Diagnostic>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// Records that keel does not act on this keyword yet (once per keyword).
    pub fn not_supported(&mut self, node: &Node) {
        if self.seen_not_supported.insert(node.name().to_owned()) {
            self.not_supported.push(NotSupported {
                keyword: node.name().to_owned(),
                loc: Loc(Some(node.keyword.span)),
            });
        }
    }
}

/// A keyword handler: reads `node` into `target`.
pub type Handler<T> = fn(&mut Ctx<'_>, &Node<'_>, &mut T);

/// One entry of a block's keyword table.
pub struct Keyword<T: 'static> {
    /// The keyword as written in the configuration.
    pub name: &'static str,
    /// What reads it.
    pub handler: Handler<T>,
    /// For a deprecated synonym, the keyword to use instead.
    pub replacement: Option<&'static str>,
    /// Whether keepalived 2.2.7 warns about the deprecated synonym (a warning counts in
    /// `-t`'s exit code); otherwise keel only notes it.
    pub warns: bool,
    /// False when keel parses the keyword but does not act on it yet.
    pub supported: bool,
}

/// A keyword keel acts on.
pub const fn kw<T>(name: &'static str, handler: Handler<T>) -> Keyword<T> {
    Keyword {
        name,
        handler,
        replacement: None,
        warns: false,
        supported: true,
    }
}

/// A deprecated synonym of `replacement` that keepalived warns about.
pub const fn dep<T>(
    name: &'static str,
    replacement: &'static str,
    handler: Handler<T>,
) -> Keyword<T> {
    Keyword {
        name,
        handler,
        replacement: Some(replacement),
        warns: true,
        supported: true,
    }
}

/// A deprecated synonym of `replacement` that keepalived 2.2.7 accepts silently; keel
/// adds a note that does not change the verdict.
pub const fn alias<T>(
    name: &'static str,
    replacement: &'static str,
    handler: Handler<T>,
) -> Keyword<T> {
    Keyword {
        name,
        handler,
        replacement: Some(replacement),
        warns: false,
        supported: true,
    }
}

/// A keyword keel parses and keeps but does not act on yet.
pub const fn later<T>(name: &'static str, handler: Handler<T>) -> Keyword<T> {
    Keyword {
        name,
        handler,
        replacement: None,
        warns: false,
        supported: false,
    }
}

/// A deprecated synonym (from [`dep`] or [`alias`]) that keel parses but does not act on.
pub const fn unsupported<T>(keyword: Keyword<T>) -> Keyword<T> {
    Keyword {
        supported: false,
        ..keyword
    }
}

/// Whether keel acts on `keyword` of `table`: a synonym is supported when it and the
/// keyword it stands for are.
pub(crate) fn acts_on<T>(table: &[Keyword<T>], keyword: &Keyword<T>) -> bool {
    keyword.supported
        && keyword.replacement.is_none_or(|replacement| {
            table
                .binary_search_by(|k| compare_keyword(k.name, replacement))
                .map_or(true, |index| table[index].supported)
        })
}

/// Runs each node through the table of its block.
pub fn dispatch<T>(ctx: &mut Ctx<'_>, nodes: &[Node], table: &[Keyword<T>], target: &mut T) {
    for node in nodes {
        match table.binary_search_by(|k| compare_keyword(k.name, node.name())) {
            Ok(index) => {
                let keyword = &table[index];
                if let Some(replacement) = keyword.replacement {
                    let message = format!(
                        "keyword '{}' is deprecated - please use '{replacement}'",
                        keyword.name
                    );
                    let span = Some(node.keyword.span);
                    let diagnostic = if keyword.warns {
                        Diagnostic::warning(span, message)
                    } else {
                        Diagnostic::note(span, message)
                    };
                    ctx.report(diagnostic.with_help(format!("use `{replacement}` instead")));
                }
                if !acts_on(table, keyword) {
                    ctx.not_supported(node);
                }
                (keyword.handler)(ctx, node, target);
            }
            Err(_) => {
                let mut diagnostic = unknown_keyword(node, table.iter().map(|k| k.name));
                if diagnostic.help.is_none() {
                    if let Some(home) = home_block(node.name()) {
                        diagnostic =
                            diagnostic.with_help(format!("'{}' belongs in {home}", node.name()));
                    }
                }
                ctx.report(diagnostic);
            }
        }
    }
}

/// Byte order of two keywords, as `str::cmp`. Most probes of a table's binary search
/// differ in the first byte, which is decided here without a call to `memcmp`.
fn compare_keyword(a: &str, b: &str) -> std::cmp::Ordering {
    match a.as_bytes().first().cmp(&b.as_bytes().first()) {
        std::cmp::Ordering::Equal => a.cmp(b),
        decided => decided,
    }
}

/// keepalived: "Unknown keyword 'x'", with the closest known keyword as a suggestion.
pub fn unknown_keyword<'n>(node: &Node, known: impl Iterator<Item = &'n str>) -> Diagnostic {
    let name = node.name();
    let diagnostic =
        Diagnostic::error(Some(node.keyword.span), format!("unknown keyword '{name}'"));
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let best = known
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, suggestion)) => diagnostic.with_help(format!("did you mean '{suggestion}'?")),
        None => diagnostic,
    }
}

/// The block a keyword belongs to when it is written in the wrong one (`vrrp_strict` in
/// a vrrp_instance, `priority` at the top level).
fn home_block(name: &str) -> Option<&'static str> {
    fn has<T>(table: &[Keyword<T>], name: &str) -> bool {
        table.binary_search_by(|k| k.name.cmp(name)).is_ok()
    }
    if has(root::KEYWORDS, name) {
        Some("the top level")
    } else if has(global::KEYWORDS, name) {
        Some("global_defs")
    } else if has(instance::KEYWORDS, name) {
        Some("a vrrp_instance block")
    } else {
        None
    }
}

/// Levenshtein distance between two short words.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
