//! A line of text that remembers where each of its characters came from.
//!
//! Substitution and `~SEQ` rewrite lines as text (that is how keepalived defines them), yet
//! every token must point back into the source. A [`Text`] is a `String` plus a list of
//! segments: a segment copied from a source line knows its file, line and column; a
//! segment produced by a substitution carries the span of the reference that produced it.

use std::ops::Range;

use crate::source::{FileId, Span};

/// Where the characters of a segment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Copied from a source line; `col` is the column of the segment's first character.
    Source { file: FileId, line: u32, col: u32 },
    /// Produced by a substitution or expansion; every character maps to this span.
    Generated(Span),
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    origin: Origin,
}

/// Text with the origin of every character.
#[derive(Debug, Clone, Default)]
pub(crate) struct Text {
    text: String,
    segments: Vec<Segment>,
}

impl Text {
    /// The characters.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Appends characters copied from `line` of `file`, the first standing at `col`.
    pub(crate) fn push_source(&mut self, s: &str, file: FileId, line: u32, col: u32) {
        if s.is_empty() {
            return;
        }
        self.segments.push(Segment {
            start: self.text.len(),
            origin: Origin::Source { file, line, col },
        });
        self.text.push_str(s);
    }

    /// Appends generated characters that all map to `span`.
    pub(crate) fn push_generated(&mut self, s: &str, span: Span) {
        if s.is_empty() {
            return;
        }
        self.segments.push(Segment {
            start: self.text.len(),
            origin: Origin::Generated(span),
        });
        self.text.push_str(s);
    }

    /// Appends `other[range]`, keeping its origins.
    pub(crate) fn push_slice(&mut self, other: &Text, range: Range<usize>) {
        for (index, segment) in other.segments.iter().enumerate() {
            let end = other.segment_end(index);
            let lo = segment.start.max(range.start);
            let hi = end.min(range.end);
            if lo >= hi {
                continue;
            }
            let origin = match segment.origin {
                Origin::Source { file, line, col } => Origin::Source {
                    file,
                    line,
                    col: col + char_count(&other.text[segment.start..lo]),
                },
                generated => generated,
            };
            self.segments.push(Segment {
                start: self.text.len(),
                origin,
            });
            self.text.push_str(&other.text[lo..hi]);
        }
    }

    /// A copy of `self[range]`.
    pub(crate) fn slice(&self, range: Range<usize>) -> Text {
        let mut out = Text {
            text: String::with_capacity(range.len()),
            segments: Vec::with_capacity(self.segments.len()),
        };
        out.push_slice(self, range);
        out
    }

    /// A copy with `range` replaced by generated text mapped to `span`.
    pub(crate) fn replace(&self, range: Range<usize>, with: &str, span: Span) -> Text {
        let mut out = Text {
            text: String::with_capacity(self.text.len() + with.len()),
            segments: Vec::with_capacity(self.segments.len() + 2),
        };
        out.push_slice(self, 0..range.start);
        out.push_generated(with, span);
        out.push_slice(self, range.end..self.text.len());
        out
    }

    /// A copy without leading blanks.
    pub(crate) fn trim_start(self) -> Text {
        let start = self.text.len() - self.text.trim_start_matches([' ', '\t']).len();
        if start == 0 {
            self
        } else {
            self.slice(start..self.text.len())
        }
    }

    /// The source span of `range`. Characters copied from one source line give their exact
    /// position; generated characters give the span of the reference that produced them,
    /// merged with neighbouring source characters of the same line.
    pub(crate) fn span(&self, range: Range<usize>) -> Option<Span> {
        let mut hull: Option<(FileId, u32, u32, u32)> = None;
        let mut first_generated = None;
        let mut mixed = false;
        for (index, segment) in self.segments.iter().enumerate() {
            let end = self.segment_end(index);
            let lo = segment.start.max(range.start);
            let hi = end.min(range.end);
            let point = range.is_empty() && segment.start <= range.start && range.start <= end;
            if lo >= hi && !point {
                continue;
            }
            let (file, line, from, to) = match segment.origin {
                Origin::Source { file, line, col } => {
                    let from = col + char_count(&self.text[segment.start..lo.min(end)]);
                    let to = from + char_count(&self.text[lo.min(end)..hi.max(lo).min(end)]);
                    (file, line, from, to)
                }
                Origin::Generated(span) => {
                    first_generated.get_or_insert(span);
                    (span.file, span.line, span.col, span.col + span.len)
                }
            };
            hull = match hull {
                None => Some((file, line, from, to)),
                Some((f, l, a, b)) if f == file && l == line => {
                    Some((f, l, a.min(from), b.max(to)))
                }
                Some(other) => {
                    mixed = true;
                    Some(other)
                }
            };
            if point {
                break;
            }
        }
        if mixed {
            if let Some(span) = first_generated {
                return Some(span);
            }
        }
        hull.map(|(file, line, from, to)| Span {
            file,
            line,
            col: from,
            len: to - from,
        })
    }

    fn segment_end(&self, index: usize) -> usize {
        self.segments
            .get(index + 1)
            .map_or(self.text.len(), |s| s.start)
    }
}

fn char_count(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: FileId = FileId(0);

    #[test]
    fn spans_follow_source_and_substitutions() {
        // Input: `ip 10.0.${N}.1` read from column 5 of line 3, then `${N}` replaced by `7`.
        let mut text = Text::default();
        text.push_source("ip 10.0.${N}.1", FILE, 3, 5);
        assert_eq!(
            text.span(3..14),
            Some(Span {
                file: FILE,
                line: 3,
                col: 8,
                len: 11
            })
        );
        let reference = text.span(8..12).unwrap();
        assert_eq!(
            reference,
            Span {
                file: FILE,
                line: 3,
                col: 13,
                len: 4
            }
        );
        let replaced = text.replace(8..12, "7", reference);
        assert_eq!(replaced.as_str(), "ip 10.0.7.1");
        // Output: the whole token `10.0.7.1` points at `10.0.${N}.1` in the source.
        assert_eq!(
            replaced.span(3..11),
            Some(Span {
                file: FILE,
                line: 3,
                col: 8,
                len: 11
            })
        );
        assert_eq!(
            replaced.span(0..2),
            Some(Span {
                file: FILE,
                line: 3,
                col: 5,
                len: 2
            })
        );
    }

    #[test]
    fn generated_text_from_another_line_keeps_the_reference_span() {
        let elsewhere = Span {
            file: FileId(1),
            line: 9,
            col: 2,
            len: 6,
        };
        let mut text = Text::default();
        text.push_source("a", FILE, 1, 1);
        text.push_generated("bc", elsewhere);
        assert_eq!(text.span(0..3), Some(elsewhere));
        assert_eq!(text.clone().trim_start().as_str(), "abc");
    }
}
