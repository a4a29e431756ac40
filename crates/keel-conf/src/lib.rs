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
#![warn(missing_docs)]

pub mod diag;
pub mod glob;
pub mod lex;
pub mod memfs;
pub mod preprocess;
pub mod source;
pub mod token;
