//! The lexical layer of keepalived.conf: comments, quotes, words and braces on one line.
//!
//! These functions work on plain `&str` and return byte ranges, so the preprocessor can map
//! every token back to its source column. They follow keepalived's `lib/parser.c`
//! (`decomment()`, `alloc_strvec()` and the `{`/`}` split in `read_line()`), spec §2.1.

use std::ops::Range;

use crate::token::TokenKind;

/// A raw line with comments removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decommented {
    /// The byte range of the raw line that remains: leading and trailing blanks and the
    /// comment are gone.
    pub content: Range<usize>,
    /// Positions (inside `content`) of the `\` of each `\#`/`\!` escape, which are left out.
    pub escapes: Vec<usize>,
    /// The byte position of a `\` that ended the raw line; it is kept (after the trimmed
    /// text) because it continues a `$NAME=` definition (spec §2.1).
    pub continuation: Option<usize>,
    /// The byte position of a `"` that is never closed.
    pub unterminated_quote: Option<usize>,
}

/// Removes a comment (`!` or `#` outside `"..."`, to the end of the line), the escaping
/// backslash of `\#` and `\!`, and leading and trailing blanks.
pub fn decomment(raw: &str) -> Decommented {
    let bytes = raw.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    // Most lines hold no quote, backslash or comment: then only the trailing blanks go.
    if !bytes[start..]
        .iter()
        .any(|&b| matches!(b, b'"' | b'\\' | b'!' | b'#'))
    {
        let mut end = bytes.len();
        while end > start && matches!(bytes[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        return Decommented {
            content: start..end,
            escapes: Vec::new(),
            continuation: None,
            unterminated_quote: None,
        };
    }
    let mut in_quote = false;
    let mut quote_start = None;
    let mut comment = None;
    let mut continuation = None;
    let mut removed = Vec::new();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // spec §2.1: quotes only count before a comment starts.
                if comment.is_none() {
                    in_quote = !in_quote;
                    quote_start = Some(i);
                }
                i += 1;
            }
            b'\\' => {
                if i + 1 == bytes.len() {
                    continuation = Some(i);
                    break;
                }
                // `\#` and `\!` outside quotes are escapes; any other `\x` is kept as is.
                if !in_quote && comment.is_none() && matches!(bytes[i + 1], b'#' | b'!') {
                    removed.push(i);
                }
                i += 2;
            }
            b'!' | b'#' => {
                if !in_quote && comment.is_none() {
                    comment = Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut end = continuation
        .unwrap_or(bytes.len())
        .min(comment.unwrap_or(bytes.len()));
    while end > start && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    removed.retain(|&r| r < end);
    Decommented {
        content: start..end,
        escapes: removed,
        continuation,
        unterminated_quote: if in_quote { quote_start } else { None },
    }
}

impl Decommented {
    /// The byte ranges of the raw line that remain, in order (the content without escapes).
    pub fn kept(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let mut from = self.content.start;
        self.escapes
            .iter()
            .map(Some)
            .chain(std::iter::once(None))
            .filter_map(move |escape| {
                let end = escape.copied().unwrap_or(self.content.end);
                let range = from..end;
                from = end + 1;
                (!range.is_empty()).then_some(range)
            })
    }
}

/// A word of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawToken {
    /// Word, quoted string, or brace.
    pub kind: TokenKind,
    /// The token's text (for a quoted string, without the quotes).
    pub text: Range<usize>,
    /// Where the token stands (for a quoted string, including the quotes).
    pub source: Range<usize>,
}

/// Splits a line that holds no unquoted brace (see [`find_brace`]) into words and quoted
/// strings, separated by keepalived's `WHITE_SPACE` (space, tab, `\f`, `\r`, `\v`, `\n`).
/// A quote always starts a new token. Returns the tokens and, if a quote is never closed,
/// its position: keepalived drops the rest of such a line ("Unmatched quote").
pub fn tokenize(line: &str) -> (Vec<RawToken>, Option<usize>) {
    let mut tokens = Vec::new();
    let unmatched = tokenize_into(line, &mut tokens);
    (tokens, unmatched)
}

/// [`tokenize`] into a buffer the caller reuses (it is cleared first), so lexing a large
/// file allocates no vector per line. Returns the position of a quote never closed.
pub fn tokenize_into(line: &str, tokens: &mut Vec<RawToken>) -> Option<usize> {
    let bytes = line.as_bytes();
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\x0b' | b'\n');
    tokens.clear();
    let mut i = 0;
    loop {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            return None;
        }
        if bytes[i] == b'"' {
            let Some(close) = bytes[i + 1..].iter().position(|&b| b == b'"') else {
                return Some(i);
            };
            let close = i + 1 + close;
            tokens.push(RawToken {
                kind: TokenKind::Quoted,
                text: i + 1..close,
                source: i..close + 1,
            });
            i = close + 1;
        } else {
            let start = i;
            while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'"' {
                i += 1;
            }
            let kind = match &line[start..i] {
                "{" => TokenKind::Open,
                "}" => TokenKind::Close,
                _ => TokenKind::Word,
            };
            tokens.push(RawToken {
                kind,
                text: start..i,
                source: start..i,
            });
        }
    }
}

/// The position of the first `{` or `}` outside `"..."`, where keepalived splits a line so
/// that braces become words of their own (`vrrp_instance X{`, `}}`, one-line blocks).
pub fn find_brace(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'}' => return Some(i),
            b'"' => match bytes[i + 1..].iter().position(|&b| b == b'"') {
                Some(close) => i += close + 2,
                None => return None,
            },
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(raw: &str) -> String {
        decomment(raw).kept().map(|r| &raw[r]).collect()
    }

    #[test]
    fn comments_end_lines_outside_quotes() {
        // Input: comments after code, inside quotes, escaped. Output: what keepalived keeps.
        assert_eq!(kept("   priority 100   # main"), "priority 100");
        assert_eq!(kept("priority 100! main"), "priority 100");
        assert_eq!(kept("script \"/bin/a # b\" ! c"), "script \"/bin/a # b\"");
        assert_eq!(kept("word\\#not\\!comment"), "word#not!comment");
        assert_eq!(kept("# only a comment"), "");
        assert_eq!(kept("\t \t"), "");
    }

    #[test]
    fn trailing_backslash_is_reported_and_blanks_before_it_trimmed() {
        let raw = "$X=a b   \\";
        let d = decomment(raw);
        assert_eq!(kept(raw), "$X=a b");
        assert_eq!(d.continuation, Some(raw.len() - 1));
        // A backslash inside the line is literal.
        assert_eq!(decomment("a\\b").continuation, None);
    }

    #[test]
    fn unterminated_quote_is_found() {
        let d = decomment("foo \"x # y");
        assert_eq!(d.unterminated_quote, Some(4));
        // The open quote also swallows the comment character.
        assert_eq!(kept("foo \"x # y"), "foo \"x # y");
    }

    #[test]
    fn words_and_quoted_strings() {
        let line = "notify \"/bin/n.sh a b\"x  y";
        let (tokens, unmatched) = tokenize(line);
        let texts: Vec<&str> = tokens.iter().map(|t| &line[t.text.clone()]).collect();
        assert_eq!(texts, vec!["notify", "/bin/n.sh a b", "x", "y"]);
        assert_eq!(tokens[1].kind, TokenKind::Quoted);
        assert_eq!(tokens[1].source, 7..22);
        assert_eq!(unmatched, None);
        // `;` is not a separator.
        let (tokens, _) = tokenize("a;b");
        assert_eq!(tokens.len(), 1);
        let (tokens, unmatched) = tokenize("a \"b c");
        assert_eq!(tokens.len(), 1);
        assert_eq!(unmatched, Some(2));
    }

    #[test]
    fn braces_are_found_outside_quotes() {
        assert_eq!(find_brace("vrrp_instance X{"), Some(15));
        assert_eq!(find_brace("a \"{\" }"), Some(6));
        assert_eq!(find_brace("a \"{ b"), None);
        assert_eq!(find_brace("plain words"), None);
    }
}
