//! Turning processed lines into [`Line`]s of [`Token`]s, and noticing the blocks they open
//! (for `global_defs { include_check ... }` and `random_seed`).

use std::ops::Range;

use super::text::Text;
use super::{Preprocessor, chars};
use crate::diag::Diagnostic;
use crate::lex;
use crate::source::{FileId, Span};
use crate::token::{Line, Token, TokenKind};

impl Preprocessor<'_> {
    /// Adds the tokens of `line[range]` (which holds no unquoted brace) to `tokens`.
    pub(super) fn push_tokens(
        &mut self,
        line: &Text,
        range: Range<usize>,
        tokens: &mut Vec<Token>,
    ) {
        let s = &line.as_str()[range.clone()];
        let (raw_tokens, unmatched) = lex::tokenize(s);
        let first = tokens.len();
        tokens.reserve(raw_tokens.len());
        for raw in raw_tokens {
            let source = range.start + raw.source.start..range.start + raw.source.end;
            let Some(span) = line.span(source) else {
                continue;
            };
            self.track_block(raw.kind);
            tokens.push(Token {
                kind: raw.kind,
                text: s[raw.text].to_string(),
                span,
            });
        }
        if let Some(quote) = unmatched {
            if !self.quote_reported {
                self.diagnostics.push(Diagnostic::error(
                    line.span(range.start + quote..range.end),
                    "Unterminated quote",
                ));
            }
        }
        let piece = &tokens[first..];
        if let Some(keyword) = piece.first().filter(|t| t.kind == TokenKind::Word) {
            self.last_keyword.clone_from(&keyword.text);
            let in_global_defs = self.blocks.len() == 1 && self.blocks[0] == "global_defs";
            // spec §2.2: `random_seed N` seeds the `${_RANDOM}`s that follow it, as
            // keepalived's handler runs while the file is still being read. A bad value is
            // global_defs' parser's to report.
            if keyword.text == "random_seed" && in_global_defs {
                if let Some(seed) = piece.get(1).and_then(|t| t.text.parse::<u32>().ok()) {
                    self.rng = super::defs::Rng::new(u64::from(seed));
                }
            }
            if keyword.text == "include_check" && in_global_defs {
                let options: Vec<&str> = piece[1..].iter().map(|t| t.text.as_str()).collect();
                match self.checks.apply(&options) {
                    Ok(checks) => self.checks = checks,
                    Err(message) => self
                        .diagnostics
                        .push(Diagnostic::error(Some(keyword.span), message)),
                }
            }
        }
    }

    /// Follows `{` and `}` so that `include_check` and `random_seed` are recognised inside
    /// `global_defs`.
    pub(super) fn track_block(&mut self, kind: TokenKind) {
        match kind {
            TokenKind::Open => self.blocks.push(std::mem::take(&mut self.last_keyword)),
            TokenKind::Close => {
                self.blocks.pop();
            }
            _ => {}
        }
    }

    /// Ends the current logical line.
    pub(super) fn flush(&mut self, tokens: &mut Vec<Token>) {
        if !tokens.is_empty() {
            self.lines.push(Line {
                tokens: std::mem::take(tokens),
            });
        }
    }
}

/// Lexes a line that holds no directive — no `$`, `@`, `~` or `include` anywhere, so no
/// step of `directives()` can apply to it or to what follows one of its braces — straight
/// from the source, without building a [`Text`]. `place` is the file, line and column of
/// `s`. This is the path almost every line of a large configuration takes.
pub(super) fn emit_plain(
    lines: &mut Vec<Line>,
    blocks: &mut Vec<String>,
    last_keyword: &mut String,
    scratch: &mut Scratch,
    s: &str,
    place: (FileId, u32, u32),
) {
    let (file, line, col) = place;
    let ascii = s.is_ascii();
    let column_of = |offset: usize| {
        col + if ascii {
            u32::try_from(offset).unwrap_or(u32::MAX)
        } else {
            chars(&s[..offset])
        }
    };
    let width = |text: &str| {
        if ascii {
            u32::try_from(text.len()).unwrap_or(u32::MAX)
        } else {
            chars(text)
        }
    };
    let Scratch {
        raw: raw_tokens,
        tokens,
    } = scratch;
    tokens.clear();
    let mut offset = 0;
    while offset < s.len() {
        let piece = &s[offset..];
        let brace = lex::find_brace(piece);
        let head = piece[..brace.unwrap_or(piece.len())].trim_end_matches([' ', '\t']);
        lex::tokenize_into(head, raw_tokens);
        if let Some(first) = raw_tokens.first().filter(|t| t.kind == TokenKind::Word) {
            last_keyword.clear();
            last_keyword.push_str(&head[first.text.clone()]);
        }
        for raw in raw_tokens.drain(..) {
            let span = Span {
                file,
                line,
                col: column_of(offset + raw.source.start),
                len: width(&head[raw.source.clone()]),
            };
            tokens.push(Token {
                kind: raw.kind,
                text: head[raw.text].to_string(),
                span,
            });
        }
        let Some(brace) = brace else { break };
        let at = offset + brace;
        let (kind, text) = if s.as_bytes()[at] == b'{' {
            blocks.push(std::mem::take(last_keyword));
            (TokenKind::Open, "{")
        } else {
            blocks.pop();
            (TokenKind::Close, "}")
        };
        let span = Span {
            file,
            line,
            col: column_of(at),
            len: 1,
        };
        tokens.push(Token {
            kind,
            text: text.to_string(),
            span,
        });
        offset = at + 1;
        while matches!(s.as_bytes().get(offset), Some(b' ' | b'\t')) {
            offset += 1;
        }
    }
    if !tokens.is_empty() {
        // The line's vector is allocated at its exact length (the scratch one keeps its
        // room for the next line): a 60,000-line file keeps every token until it is parsed.
        let mut exact = Vec::with_capacity(tokens.len());
        exact.append(tokens);
        lines.push(Line { tokens: exact });
    }
}

/// Buffers [`emit_plain`] reuses from line to line.
#[derive(Default)]
pub(super) struct Scratch {
    raw: Vec<lex::RawToken>,
    tokens: Vec<Token>,
}
