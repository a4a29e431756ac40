//! The block structure of a configuration: keyword lines and `{ ... }` blocks.
//!
//! keepalived reads `KEYWORD args... {` and allows the `{` on the next line, one-line
//! blocks (`group { VI_1 VI_2 }`) and several closing braces on one line (spec §2.1).
//! The tree keeps every token with its span so the parser can point at the exact place.

use crate::diag::Diagnostic;
use crate::source::Span;
use crate::token::{Line, Token, TokenKind};

/// One keyword with its arguments and, if it opens one, its block. Borrows the tokens
/// of the preprocessed lines, so building the tree copies no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'a> {
    /// The first token of the statement.
    pub keyword: &'a Token,
    /// The tokens after the keyword up to the end of the line or the next brace.
    pub args: &'a [Token],
    /// The `{ ... }` that follows, if any.
    pub block: Option<Block<'a>>,
}

/// The contents of a `{ ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    /// The statements inside, in order.
    pub nodes: Vec<Node<'a>>,
    /// Where the `{` stands.
    pub open: Span,
    /// Where the matching `}` stands; `None` when the file ended first.
    pub close: Option<Span>,
}

impl<'a> Node<'a> {
    /// The keyword's text.
    pub fn name(&self) -> &str {
        &self.keyword.text
    }

    /// The span covering the keyword and its arguments on its line.
    pub fn span(&self) -> Span {
        let first = self.keyword.span;
        match self.args.last() {
            Some(last) if last.span.file == first.file && last.span.line == first.line => {
                let end = last.span.col + last.span.len;
                Span {
                    len: end.saturating_sub(first.col),
                    ..first
                }
            }
            _ => first,
        }
    }

    /// The nodes of the block, or nothing when the keyword opened no block.
    pub fn children(&self) -> &[Node<'a>] {
        self.block.as_ref().map_or(&[], |b| b.nodes.as_slice())
    }
}

/// Builds the tree of a whole configuration from preprocessed lines.
///
/// Brace problems are reported where keepalived reports them: an unmatched `}` at the
/// `}` ("Extra '}' found"), a `{` with no keyword before it at the `{`, and a block that
/// is never closed at its `{`. The tree is returned in any case.
pub fn build(lines: &[Line]) -> (Vec<Node<'_>>, Vec<Diagnostic>) {
    let mut builder = Builder::default();
    for line in lines {
        builder.line(&line.tokens);
    }
    builder.finish()
}

/// An open block: the node that owns it (if any) and its statements so far.
struct Frame<'a> {
    owner: Option<Node<'a>>,
    nodes: Vec<Node<'a>>,
    open: Span,
}

#[derive(Default)]
struct Builder<'a> {
    root: Vec<Node<'a>>,
    stack: Vec<Frame<'a>>,
    diagnostics: Vec<Diagnostic>,
    /// True when the last statement seen may still take a `{` (on this or the next line).
    may_open: bool,
}

impl<'a> Builder<'a> {
    fn current(&mut self) -> &mut Vec<Node<'a>> {
        match self.stack.last_mut() {
            Some(frame) => &mut frame.nodes,
            None => &mut self.root,
        }
    }

    fn line(&mut self, tokens: &'a [Token]) {
        let mut i = 0;
        while let Some(token) = tokens.get(i) {
            match token.kind {
                TokenKind::Open => {
                    let owner = if self.may_open {
                        self.current().pop()
                    } else {
                        None
                    };
                    if owner.is_none() {
                        self.diagnostics.push(
                            Diagnostic::error(Some(token.span), "unexpected '{' - ignoring")
                                .with_help("a block opens after a keyword: `keyword {`"),
                        );
                    }
                    self.stack.push(Frame {
                        owner,
                        nodes: Vec::new(),
                        open: token.span,
                    });
                    self.may_open = false;
                    i += 1;
                }
                TokenKind::Close => {
                    match self.stack.pop() {
                        Some(frame) => {
                            let block = Block {
                                nodes: frame.nodes,
                                open: frame.open,
                                close: Some(token.span),
                            };
                            if let Some(mut owner) = frame.owner {
                                owner.block = Some(block);
                                self.current().push(owner);
                            } else {
                                // The anonymous block's statements still count.
                                self.current().extend(block.nodes);
                            }
                        }
                        None => self.diagnostics.push(
                            Diagnostic::error(Some(token.span), "extra '}' found")
                                .with_help("this '}' closes no block"),
                        ),
                    }
                    self.may_open = false;
                    i += 1;
                }
                TokenKind::Word | TokenKind::Quoted => {
                    let end = tokens[i..]
                        .iter()
                        .position(|t| matches!(t.kind, TokenKind::Open | TokenKind::Close))
                        .map_or(tokens.len(), |p| i + p);
                    let node = Node {
                        keyword: token,
                        args: &tokens[i + 1..end],
                        block: None,
                    };
                    self.current().push(node);
                    self.may_open = true;
                    i = end;
                }
            }
        }
    }

    fn finish(mut self) -> (Vec<Node<'a>>, Vec<Diagnostic>) {
        while let Some(frame) = self.stack.pop() {
            self.diagnostics.push(
                Diagnostic::error(Some(frame.open), "missing '}' at end of configuration")
                    .with_help("this block is never closed"),
            );
            let block = Block {
                nodes: frame.nodes,
                open: frame.open,
                close: None,
            };
            match frame.owner {
                Some(mut owner) => {
                    owner.block = Some(block);
                    self.current().push(owner);
                }
                None => self.current().extend(block.nodes),
            }
        }
        (self.root, self.diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lines;

    #[test]
    fn brace_on_next_line_opens_the_block_of_the_previous_keyword() {
        // Input: `vrrp_instance VI_1` then `{` alone on the next line.
        // Output: one node with a block holding `state MASTER`.
        let source = lines("vrrp_instance VI_1\n{\n state MASTER\n}\n");
        let (tree, diags) = build(&source);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].name(), "vrrp_instance");
        assert_eq!(tree[0].args[0].text, "VI_1");
        let block = tree[0].block.as_ref().expect("block present");
        assert_eq!(block.nodes[0].name(), "state");
        assert_eq!(block.open.line, 2);
        assert_eq!(block.close.map(|s| s.line), Some(4));
    }

    #[test]
    fn one_line_block_and_nested_blocks() {
        // Input: `group { VI_1 VI_2 }` on one line inside a sync group.
        // Output: the group block holds one statement `VI_1` with argument `VI_2`.
        let source = lines("vrrp_sync_group G { group { VI_1 VI_2 } }\n");
        let (tree, diags) = build(&source);
        assert!(diags.is_empty());
        let group = &tree[0].children()[0];
        assert_eq!(group.name(), "group");
        assert_eq!(group.children()[0].name(), "VI_1");
        assert_eq!(group.children()[0].args[0].text, "VI_2");
    }

    #[test]
    fn extra_close_is_reported_at_the_brace() {
        // Input: a block closed twice.
        // Output: "extra '}' found" at line 3, column 1.
        let source = lines("global_defs {\n}\n}\n");
        let (_, diags) = build(&source);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "extra '}' found");
        let span = diags[0].span.expect("span");
        assert_eq!((span.line, span.col), (3, 1));
    }

    #[test]
    fn unclosed_block_is_reported_at_its_open_brace() {
        // Input: `global_defs {` never closed.
        // Output: one error pointing at the `{` on line 1; the contents are kept.
        let source = lines("global_defs {\n router_id r1\n");
        let (tree, diags) = build(&source);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].span.map(|s| (s.line, s.col)), Some((1, 13)));
        assert_eq!(tree[0].children()[0].name(), "router_id");
        assert!(tree[0].block.as_ref().is_some_and(|b| b.close.is_none()));
    }

    #[test]
    fn stray_open_brace_is_reported() {
        // Input: `{` right after a closing brace, with no keyword.
        // Output: an "unexpected '{'" error at the brace; its contents land in the parent.
        let source = lines("a {\n}\n{\n b\n}\n");
        let (tree, diags) = build(&source);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("unexpected '{'"));
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[1].name(), "b");
    }
}
