//! keel-conf: the keepalived.conf language.
//!
//! The front end runs in two stages. The *preprocessor* ([`source`], [`token`], and the
//! lexer) reads files through the [`source::FileSystem`] trait, follows `include`s, applies
//! `@ID` conditionals, `$NAME` definitions and `~SEQ`/`~LST` repetition, and yields logical
//! [`token::Line`]s whose every token carries a [`source::Span`]. The *parser* turns those
//! lines into a typed `Config` with keepalived's defaults, ranges and cross-checks, reporting
//! every problem as a [`diag::Diagnostic`] that points at `file:line:col`.
//!
//! Nothing here touches the machine: files, interfaces, users and the environment are
//! reached through traits so the same code runs in `keel -t`, in the daemon and in tests.
//!
//! Entry points: [`load`] (file → [`Loaded`]: typed config, sources, diagnostics),
//! [`parse()`] (lines → config + diagnostics), [`print::print`] (config → keepalived.conf
//! text), and [`diag::exit_code`] for `keel -t`. The parser is [`tree`] (blocks) →
//! [`mod@parse`] (one keyword table per block, [`values`] for typed arguments) → [`check`]
//! (keepalived 2.2.7's cross-checks).
#![warn(missing_docs)]

pub mod check;
#[cfg(test)]
mod corpus_tests;
pub mod diag;
pub mod glob;
pub mod lex;
pub mod memfs;
pub mod model;
pub mod parse;
pub mod preprocess;
pub mod print;
#[cfg(test)]
mod print_tests;
#[cfg(test)]
mod robust_tests;
pub mod source;
#[cfg(test)]
mod testing;
pub mod token;
pub mod tree;
pub mod values;

pub use model::Config;

/// A loaded configuration: the typed model, the files read, and every problem found.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What keepalived would run with.
    pub config: Config,
    /// Every file read, for rendering diagnostics.
    pub sources: source::SourceMap,
    /// Preprocessor, parser and cross-check diagnostics, in that order.
    pub diagnostics: Vec<diag::Diagnostic>,
}

/// Reads `path` (and its includes) and builds the typed configuration: the whole front
/// end of `keel -t` and of the daemon's (re)load.
pub fn load(
    fs: &dyn source::FileSystem,
    host: &dyn source::Host,
    path: &std::path::Path,
    options: &preprocess::PreprocessOptions,
) -> Loaded {
    let preprocessed = preprocess::preprocess(fs, host, path, options);
    let (mut config, parsed) = parse::config(&preprocessed.lines, fs, host);
    let mut diagnostics = preprocessed.diagnostics;
    diagnostics.extend(parsed);
    diagnostics.extend(check::check(&mut config, fs, host));
    check::uncount_for_namespace(&config, &mut diagnostics);
    Loaded {
        config,
        sources: preprocessed.sources,
        diagnostics,
    }
}

/// Parses preprocessed lines into a typed configuration and runs keepalived's
/// cross-checks (spec §3.3–§3.14) against the machine seen through `fs` and `host`.
///
/// Every problem is returned as a diagnostic; the configuration holds what keepalived
/// would run with (invalid entries dropped, defaults applied).
pub fn parse(
    lines: &[token::Line],
    fs: &dyn source::FileSystem,
    host: &dyn source::Host,
) -> (Config, Vec<diag::Diagnostic>) {
    let (mut config, mut diagnostics) = parse::config(lines, fs, host);
    diagnostics.extend(check::check(&mut config, fs, host));
    check::uncount_for_namespace(&config, &mut diagnostics);
    (config, diagnostics)
}
