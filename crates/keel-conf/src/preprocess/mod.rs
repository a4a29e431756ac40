//! The preprocessor: from a main file to logical lines of tokens with spans.
//!
//! It reproduces keepalived's `read_line()` (`lib/parser.c`, spec §2.1): every physical
//! line is decommented, then `@ID` conditionals, `$NAME=` definitions, `~SEQ`/`~LST`
//! repetition and `$` substitution are applied (again after each substitution), then an
//! `include` is followed, and finally braces are split off; what follows a brace goes
//! through the same steps. Lines come from a stack of frames — files, the remaining lines
//! of a multi-line definition, repetitions — so nesting works without recursion and every
//! limit (include depth, expansion depth, total expansion) is a plain counter.

mod defs;
mod emit;
mod include;
mod repeat;
mod text;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use self::defs::{Context, Definition, Definitions, Rng, Substituted};
use self::emit::{Scratch, emit_plain};
use self::include::Checks;
use self::repeat::Repeat;
use self::text::Text;
use crate::diag::{Class, Diagnostic};
use crate::lex;
use crate::source::{FileId, FileSystem, Host, SourceFile, SourceMap, Span};
use crate::token::{Line, Token, TokenKind};

/// How the configuration is read (keepalived's command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreprocessOptions {
    /// `-i`: the id that `@ID` lines are compared with. keepalived defaults it to the host
    /// name up to the first dot; the caller computes that.
    pub config_id: String,
    /// `-e`: every include problem is an error (as if `include_check` had every option).
    pub all_config: bool,
    /// The value of `${_INSTANCE}`; keepalived uses the config id when it is not given.
    pub instance: Option<String>,
    /// Seed of `${_RANDOM}` (global_defs `random_seed`); this crate draws no randomness.
    pub random_seed: u64,
}

/// What the preprocessor produced: the files it read, the logical lines, and the problems.
#[derive(Debug, Clone)]
pub struct Preprocessed {
    /// Every file read, so diagnostics can show their lines.
    pub sources: SourceMap,
    /// The logical lines, in the order keepalived would parse them.
    pub lines: Vec<Line>,
    /// Lexical and include problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `main` and everything it includes, and returns the logical lines.
///
/// Never fails and never panics: a missing main file, unreadable includes, include loops,
/// bad `~SEQ` syntax or runaway definitions are [`Diagnostic`]s.
pub fn preprocess(
    fs: &dyn FileSystem,
    host: &dyn Host,
    main: &Path,
    options: &PreprocessOptions,
) -> Preprocessed {
    let mut preprocessor = Preprocessor::new(fs, host, options);
    preprocessor.open_main(main);
    while let Some(text) = preprocessor.next_raw() {
        preprocessor.process(text);
    }
    Preprocessed {
        sources: preprocessor.sources,
        lines: preprocessor.lines,
        diagnostics: preprocessor.diagnostics,
    }
}

/// Files open at once; deeper nesting is reported (keepalived runs out of descriptors).
const MAX_INCLUDE_DEPTH: usize = 32;
/// Nested multi-line definitions and repetitions at once.
const MAX_EXPANSION_DEPTH: usize = 64;
/// Lines that definitions and repetitions may produce in total: eight times the 60,000-line
/// configurations keel must check quickly, far below what exhausts memory.
const MAX_EXPANDED_LINES: u64 = 500_000;
/// Alternatives one `{a,b}` include pattern may expand to.
const MAX_BRACE_ALTERNATIVES: usize = 1024;
/// Rounds of conditional/definition/substitution processing on one line.
const MAX_DIRECTIVE_ROUNDS: usize = 64;

/// keepalived 2.2.7 exits 6 when an include check (or `-e`) fails — verified with
/// `keepalived -t -e` on a missing include — which is the same code as scripts without
/// script security. [`Class`] has one variant per exit code, so this is that variant.
const MISSING_CONFIG: Class = Class::ScriptSecurity;

enum Frame {
    /// A file being read.
    File {
        id: FileId,
        path: PathBuf,
        next_line: u32,
        saved_checks: Checks,
    },
    /// Files an include matched that are still to be opened.
    Pending {
        paths: VecDeque<PathBuf>,
        span: Option<Span>,
        checks: Checks,
    },
    /// The remaining lines of a multi-line definition.
    Lines {
        lines: std::vec::IntoIter<String>,
        span: Span,
    },
    /// A `~SEQ`/`~LST` repetition of `template`; `span` is the directive's.
    Repeat {
        repeat: Repeat,
        template: Text,
        span: Span,
    },
}

struct Preprocessor<'a> {
    fs: &'a dyn FileSystem,
    host: &'a dyn Host,
    options: &'a PreprocessOptions,
    sources: SourceMap,
    lines: Vec<Line>,
    diagnostics: Vec<Diagnostic>,
    definitions: Definitions,
    rng: Rng,
    frames: Vec<Frame>,
    /// The `include_check` setting in force.
    checks: Checks,
    /// The multi-line definition being read.
    collecting: Option<String>,
    expanded_lines: u64,
    expansion_exhausted: bool,
    /// Set when the current raw line's unterminated quote was already reported.
    quote_reported: bool,
    /// Names of the open blocks, to recognise `global_defs { include_check }`.
    blocks: Vec<String>,
    /// The first word of the last piece of a line, named by the next `{`.
    last_keyword: String,
    /// `${_PWD}`: the directory of the current file ("." for a bare file name).
    pwd: String,
    /// `${_INSTANCE}`.
    instance: String,
    /// Buffers of the lexer, reused for every line.
    scratch: Scratch,
}

impl<'a> Preprocessor<'a> {
    fn new(fs: &'a dyn FileSystem, host: &'a dyn Host, options: &'a PreprocessOptions) -> Self {
        Preprocessor {
            fs,
            host,
            options,
            sources: SourceMap::new(),
            lines: Vec::new(),
            diagnostics: Vec::new(),
            definitions: Definitions::new(),
            rng: Rng::new(options.random_seed),
            frames: Vec::new(),
            checks: if options.all_config {
                Checks::ALL
            } else {
                Checks::default()
            },
            collecting: None,
            expanded_lines: 0,
            expansion_exhausted: false,
            quote_reported: false,
            blocks: Vec::new(),
            last_keyword: String::new(),
            pwd: ".".to_string(),
            instance: options
                .instance
                .clone()
                .unwrap_or_else(|| options.config_id.clone()),
            scratch: Scratch::default(),
        }
    }

    fn open_main(&mut self, main: &Path) {
        match self.fs.read_to_string(main) {
            Ok(text) => self.open_file(main.to_path_buf(), text),
            Err(error) => {
                let message = if error.kind() == std::io::ErrorKind::NotFound {
                    format!("Config files missing '{}'.", main.display())
                } else {
                    format!(
                        "Configuration file '{}' open problem ({error})",
                        main.display()
                    )
                };
                self.diagnostics
                    .push(Diagnostic::error(None, message).with_class(Class::CannotRun));
            }
        }
    }

    fn open_file(&mut self, path: PathBuf, text: String) {
        let id = self.sources.add(path.clone(), text);
        // Nearly every line of a large file becomes one logical line.
        let line_count = self.sources.file(id).map_or(0, SourceFile::line_count);
        self.lines.reserve(line_count);
        self.frames.push(Frame::File {
            id,
            path,
            next_line: 0,
            saved_checks: self.checks,
        });
        self.update_pwd();
    }

    /// The next line to process: from a repetition, a multi-line definition, or a file.
    fn next_raw(&mut self) -> Option<Text> {
        loop {
            self.quote_reported = false;
            match self.frames.last_mut()? {
                Frame::File { id, next_line, .. } => {
                    let id = *id;
                    *next_line += 1;
                    let number = *next_line;
                    let Some(raw) = self.sources.file(id).and_then(|file| file.line(number)) else {
                        self.close_file();
                        continue;
                    };
                    if raw.is_empty() {
                        // keepalived.conf(5): an empty line ends a multi-line definition.
                        self.finish_collecting();
                        continue;
                    }
                    let decommented = lex::decomment(raw);
                    if let Some(quote) = decommented.unterminated_quote {
                        let span = Span {
                            file: id,
                            line: number,
                            col: column(raw, quote),
                            len: chars(&raw[quote..]),
                        };
                        self.diagnostics
                            .push(Diagnostic::error(Some(span), "Unterminated quote"));
                        self.quote_reported = true;
                    }
                    let content = &raw[decommented.content.clone()];
                    if decommented.escapes.is_empty()
                        && decommented.continuation.is_none()
                        && self.collecting.is_none()
                        && !may_hold_directive(content)
                    {
                        // Only blanks precede the content, so its column is its byte offset.
                        let col = u32::try_from(decommented.content.start + 1).unwrap_or(u32::MAX);
                        let place = (id, number, col);
                        emit_plain(
                            &mut self.lines,
                            &mut self.blocks,
                            &mut self.last_keyword,
                            &mut self.scratch,
                            content,
                            place,
                        );
                        continue;
                    }
                    let mut text = Text::default();
                    for range in decommented.kept() {
                        let col = column(raw, range.start);
                        text.push_source(&raw[range], id, number, col);
                    }
                    if let Some(backslash) = decommented.continuation {
                        text.push_source("\\", id, number, column(raw, backslash));
                    }
                    return Some(text);
                }
                Frame::Pending {
                    paths,
                    span,
                    checks,
                } => {
                    let (span, checks) = (*span, *checks);
                    match paths.pop_front() {
                        Some(path) => self.open_include(path, span, checks),
                        None => {
                            self.frames.pop();
                        }
                    }
                }
                Frame::Lines { lines, span } => {
                    let span = *span;
                    match lines.next() {
                        Some(line) => {
                            if self.count_expanded_line(span) {
                                let mut text = Text::default();
                                text.push_generated(&line, span);
                                return Some(text);
                            }
                        }
                        None => {
                            self.frames.pop();
                        }
                    }
                }
                Frame::Repeat {
                    repeat,
                    template,
                    span,
                } => match repeat.next_assignments() {
                    Some(assignments) => {
                        let (template, span) = (template.clone(), *span);
                        for (name, value) in assignments {
                            self.definitions.set(&name, Definition::Value(value));
                        }
                        // Every repetition counts, even of an empty template, so nested
                        // repetitions of nothing cannot spin for ever.
                        if self.count_expanded_line(span) {
                            return Some(template);
                        }
                    }
                    None => {
                        self.frames.pop();
                    }
                },
            }
        }
    }

    /// Counts one generated line; past the budget, reports once and drops all expansion.
    fn count_expanded_line(&mut self, span: Span) -> bool {
        self.expanded_lines += 1;
        if self.expanded_lines <= MAX_EXPANDED_LINES {
            return true;
        }
        self.exhaust_expansion(span);
        false
    }

    /// Reports (once) that expansion went past its budget and drops all expansion.
    fn exhaust_expansion(&mut self, span: Span) {
        if !self.expansion_exhausted {
            self.expansion_exhausted = true;
            self.diagnostics.push(Diagnostic::error(
                Some(span),
                format!("definitions and ~SEQ/~LST expand to more than {MAX_EXPANDED_LINES} lines; expansion stopped"),
            ));
        }
        self.frames
            .retain(|frame| matches!(frame, Frame::File { .. } | Frame::Pending { .. }));
    }

    fn close_file(&mut self) {
        if let Some(Frame::File { saved_checks, .. }) = self.frames.pop() {
            // keepalived.conf(5): include_check is restored when the file is closed.
            self.checks = saved_checks;
        }
        self.update_pwd();
        self.finish_collecting();
    }

    fn finish_collecting(&mut self) {
        if let Some(name) = self.collecting.take() {
            self.definitions.finish_lines(&name);
        }
    }

    /// Processes one line: directives, include, brace splitting, tokens.
    fn process(&mut self, text: Text) {
        if text.as_str().is_empty() {
            // A comment-only line does not end a multi-line definition (keepalived 2.2.7).
            return;
        }
        if let Some(name) = self.collecting.clone() {
            let s = text.as_str();
            match s.strip_suffix('\\') {
                Some(body) => {
                    let body = body.trim_end_matches([' ', '\t']);
                    if !body.is_empty() {
                        self.definitions.push_line(&name, body);
                    }
                }
                None => {
                    self.definitions.push_line(&name, s);
                    self.finish_collecting();
                }
            }
            return;
        }
        let mut tokens = Vec::new();
        let Some(mut line) = self.directives(text) else {
            return;
        };
        let mut start = 0;
        loop {
            let end = line.as_str().len();
            let s = &line.as_str()[start..];
            if s.is_empty() {
                break;
            }
            if let Some((added, pattern)) = include::detect(s) {
                self.flush(&mut tokens);
                if start + pattern < end {
                    self.include(&line, start + pattern, added);
                } else {
                    let span = line.span(start..end);
                    self.diagnostics
                        .push(Diagnostic::error(span, "include without a file name"));
                }
                break;
            }
            match lex::find_brace(s) {
                None => {
                    self.push_tokens(&line, start..end, &mut tokens);
                    break;
                }
                Some(0) => {
                    let (kind, brace) = if s.starts_with('{') {
                        (TokenKind::Open, "{")
                    } else {
                        (TokenKind::Close, "}")
                    };
                    if let Some(span) = line.span(start..start + 1) {
                        let text = brace.to_string();
                        tokens.push(Token { kind, text, span });
                    }
                    self.track_block(kind);
                    start += 1;
                    while matches!(line.as_str().as_bytes().get(start), Some(b' ' | b'\t')) {
                        start += 1;
                    }
                }
                Some(brace) => {
                    let head = s[..brace].trim_end_matches([' ', '\t']).len();
                    self.push_tokens(&line, start..start + head, &mut tokens);
                    start += brace;
                }
            }
            // What follows a brace goes through the directives again (keepalived's line
            // residue); that can only change something if it starts with one or holds a `$`.
            let rest = &line.as_str()[start..];
            if rest.contains('$') || rest.starts_with(['@', '~']) {
                let residue = line.slice(start..end);
                match self.directives(residue) {
                    Some(processed) => {
                        line = processed;
                        start = 0;
                    }
                    None => break,
                }
            }
        }
        self.flush(&mut tokens);
    }

    /// `@ID`, `$NAME=`, `~SEQ`/`~LST` and `$` substitution, repeated while substitution
    /// changes the line. `None` when the line is consumed or dropped.
    fn directives(&mut self, piece: Text) -> Option<Text> {
        let mut text = piece.trim_start();
        for _ in 0..MAX_DIRECTIVE_ROUNDS {
            let s = text.as_str();
            if s.starts_with('@') {
                // spec §2.1: `@ID rest` is kept only if ID is the config id, `@^ID rest`
                // only if it is not; a line with nothing after the ID is dropped.
                let (negated, id_start) = if s.starts_with("@^") {
                    (true, 2)
                } else {
                    (false, 1)
                };
                let id_end = id_start + s[id_start..].find([' ', '\t'])?;
                let matched = s[id_start..id_end] == self.options.config_id;
                if matched == negated {
                    return None;
                }
                text = text.slice(id_end..s.len()).trim_start();
            }
            let s = text.as_str();
            if let Some((name, value)) = defs::parse_definition(s) {
                let (name, value) = (name.to_string(), s[value..].to_string());
                self.define(&name, &value);
                return None;
            }
            if s.starts_with("~SEQ") || s.starts_with("~LST") {
                self.start_repeat(&text);
                return None;
            }
            if s.starts_with('~') || !s.contains('$') {
                return Some(text);
            }
            let mut context = Context {
                pwd: &self.pwd,
                instance: &self.instance,
                host: self.host,
                rng: &mut self.rng,
            };
            match self.definitions.substitute(&text, &mut context) {
                Substituted::Unchanged => return Some(text),
                Substituted::Changed {
                    text: changed,
                    following,
                } => {
                    for (lines, span) in following {
                        if self.expansion_room(span) {
                            self.frames.push(Frame::Lines {
                                lines: lines.into_iter(),
                                span,
                            });
                        }
                    }
                    text = changed.trim_start();
                    // keepalived 2.2.7 looks at the line again only if it now starts with
                    // `@` or still holds a `$`: a value `~SEQ(K,1,2) c` stays a plain line.
                    let s = text.as_str();
                    if !s.starts_with('@') && !s.contains('$') {
                        return Some(text);
                    }
                }
                Substituted::Runaway(span) => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            span,
                            "definition expands without end (does it refer to itself?)",
                        )
                        .with_help("a definition may not use itself, directly or through others"),
                    );
                    return None;
                }
            }
        }
        let span = text.span(0..text.as_str().len());
        self.diagnostics.push(Diagnostic::error(
            span,
            "definitions keep producing new directives; line dropped",
        ));
        None
    }

    /// `$NAME=VALUE`; a value ending in `\` starts a multi-line definition.
    fn define(&mut self, name: &str, value: &str) {
        match value.strip_suffix('\\') {
            Some(first) => {
                self.definitions.set(name, Definition::Lines(Vec::new()));
                let first = first.trim_end_matches([' ', '\t']);
                if !first.is_empty() {
                    self.definitions.push_line(name, first);
                }
                self.collecting = Some(name.to_string());
            }
            None => self
                .definitions
                .set(name, Definition::Value(value.to_string())),
        }
    }

    fn start_repeat(&mut self, text: &Text) {
        let s = text.as_str();
        let mut context = Context {
            pwd: &self.pwd,
            instance: &self.instance,
            host: self.host,
            rng: &mut self.rng,
        };
        let definitions = &self.definitions;
        let parsed = repeat::parse(s, |args| definitions.substitute_str(args, &mut context));
        let directive = match parsed {
            Ok(directive) => directive,
            Err(message) => {
                let end = s.find(')').map_or(s.len(), |i| i + 1);
                self.diagnostics
                    .push(Diagnostic::error(text.span(0..end), message));
                return;
            }
        };
        let Some(span) = text.span(0..directive.end) else {
            return;
        };
        let count = directive.repeat.remaining();
        let room = MAX_EXPANDED_LINES.saturating_sub(self.expanded_lines);
        if count <= MAX_EXPANDED_LINES && count > room {
            // Nested repetitions have used up the budget.
            self.exhaust_expansion(span);
            return;
        }
        if count > MAX_EXPANDED_LINES {
            self.diagnostics.push(
                Diagnostic::error(
                    Some(span),
                    format!("repetition of {count} lines is too large"),
                )
                .with_help(format!(
                    "definitions and ~SEQ/~LST may produce at most {MAX_EXPANDED_LINES} lines"
                )),
            );
            return;
        }
        if self.expansion_room(span) {
            let template = text.slice(directive.rest..s.len());
            self.frames.push(Frame::Repeat {
                repeat: directive.repeat,
                template,
                span,
            });
        }
    }

    /// True if another expansion frame may be pushed; reports runaway nesting otherwise.
    fn expansion_room(&mut self, span: Span) -> bool {
        let depth = self
            .frames
            .iter()
            .filter(|frame| matches!(frame, Frame::Lines { .. } | Frame::Repeat { .. }))
            .count();
        if depth < MAX_EXPANSION_DEPTH {
            return true;
        }
        self.diagnostics.push(
            Diagnostic::error(
                Some(span),
                "definitions and ~SEQ/~LST nest too deeply (does a definition use itself?)",
            )
            .with_help(format!(
                "at most {MAX_EXPANSION_DEPTH} expansions may be nested"
            )),
        );
        false
    }

    fn current_file(&self) -> Option<&Path> {
        self.frames.iter().rev().find_map(|frame| match frame {
            Frame::File { path, .. } => Some(path.as_path()),
            _ => None,
        })
    }

    fn current_dir(&self) -> PathBuf {
        self.current_file()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Recomputes `${_PWD}` after the current file changed.
    fn update_pwd(&mut self) {
        let dir = self.current_dir();
        self.pwd = if dir.as_os_str().is_empty() {
            ".".to_string()
        } else {
            dir.to_string_lossy().into_owned()
        };
    }
}

/// True if `s` holds a `$`, `@`, `~`, `include` or `random_seed` anywhere: only such a
/// line (or what follows one of its braces) can be changed by a directive, be an include
/// or reseed `${_RANDOM}`.
fn may_hold_directive(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'$' | b'@' | b'~' => true,
        b'i' => bytes[i..].starts_with(b"include"),
        b'r' => bytes[i..].starts_with(b"random_seed"),
        _ => false,
    })
}

/// The 1-based column of byte `offset` of `line`.
pub(crate) fn column(line: &str, offset: usize) -> u32 {
    chars(&line[..offset]) + 1
}

pub(crate) fn chars(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
