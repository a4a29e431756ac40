//! The preprocessor's output: logical lines of tokens, each with its source position.
//!
//! This is the contract between the lexer/preprocessor and the parser.

use crate::source::Span;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TokenKind {
    /// A bare word.
    Word,
    /// A `"..."` string; [`Token::text`] holds what was between the quotes, unchanged
    /// (escape sequences and single quotes are left for script-aware keywords to interpret).
    Quoted,
    /// `{`
    Open,
    /// `}`
    Close,
}

/// One token after preprocessing (includes, `@` conditionals, `$` substitution, `~SEQ`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    /// What kind of token this is.
    pub kind: TokenKind,
    /// The text (without the surrounding quotes for [`TokenKind::Quoted`]).
    pub text: String,
    /// Where the token stands in the source. For text produced by a `$` substitution or a
    /// `~SEQ` expansion, the span of the reference or directive it came from.
    pub span: Span,
}

/// One logical line: the tokens of one source line (after `{`/`}` are split off as their
/// own tokens and comments removed). Never empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    /// The tokens, in order.
    pub tokens: Vec<Token>,
}
