//! `include` and its checked variants (keepalived.conf(5), "include"; spec §2.1).
//!
//! keepalived 2.2.7 recognises `include` after `@` conditionals and `$` substitution (an
//! `@main include x` line or an included `$INC` works — verified against 2.2.7), takes the
//! rest of the line as one glob pattern, and by default never fails on a missing file. The
//! variants and `include_check` turn missing or unreadable files into errors.

use std::path::PathBuf;

use super::text::Text;
use super::{Frame, MAX_BRACE_ALTERNATIVES, MAX_INCLUDE_DEPTH, MISSING_CONFIG, Preprocessor};
use crate::diag::{Class, Diagnostic};
use crate::glob;
use crate::source::Span;

/// Which include problems are errors (`include_check` options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Checks {
    /// `readable`: a match that cannot be read (directory, executable, unreadable).
    pub readable: bool,
    /// `match`: no file matches a pattern without wildcards.
    pub matched: bool,
    /// `wildcard_match`: no file matches even though the pattern has wildcards.
    pub wildcard_match: bool,
    /// `brace_match`: one alternative of a `{a,b}` pattern matches nothing.
    pub brace_match: bool,
}

impl Checks {
    /// Every check: `includea`, `include_check` without options, and `-e`.
    pub(crate) const ALL: Checks = Checks {
        readable: true,
        matched: true,
        wildcard_match: true,
        brace_match: true,
    };

    /// Both sets of checks.
    pub(crate) fn union(self, other: Checks) -> Checks {
        Checks {
            readable: self.readable || other.readable,
            matched: self.matched || other.matched,
            wildcard_match: self.wildcard_match || other.wildcard_match,
            brace_match: self.brace_match || other.brace_match,
        }
    }

    /// Applies `include_check [+|-]OPTION ...` to the current setting. No option means all.
    /// An option without a sign replaces the setting; `+` adds and `-` removes. `match`,
    /// `wildcard_match` and `brace_match` imply `readable` (keepalived.conf(5)).
    pub(crate) fn apply(self, options: &[&str]) -> Result<Checks, String> {
        if options.is_empty() {
            return Ok(Checks::ALL);
        }
        let mut checks = self;
        let mut replaced = false;
        for option in options {
            let (sign, name) = match option.as_bytes().first() {
                Some(b'+') => (Some(true), &option[1..]),
                Some(b'-') => (Some(false), &option[1..]),
                _ => (None, *option),
            };
            let named = match name {
                "readable" => Checks {
                    readable: true,
                    ..Checks::default()
                },
                "match" => Checks {
                    readable: true,
                    matched: true,
                    ..Checks::default()
                },
                "wildcard_match" => Checks {
                    readable: true,
                    wildcard_match: true,
                    ..Checks::default()
                },
                "brace_match" => Checks {
                    readable: true,
                    brace_match: true,
                    ..Checks::default()
                },
                _ => return Err(format!("Unknown include_check option '{option}'")),
            };
            match sign {
                Some(true) => checks = checks.union(named),
                Some(false) => {
                    checks.readable &= !named.readable || name != "readable";
                    checks.matched &= !named.matched;
                    checks.wildcard_match &= !named.wildcard_match;
                    checks.brace_match &= !named.brace_match;
                }
                None => {
                    if !replaced {
                        checks = Checks::default();
                        replaced = true;
                    }
                    checks = checks.union(named);
                }
            }
        }
        Ok(checks)
    }
}

/// If `line` is an include directive, the checks its keyword adds and the byte offset of
/// its pattern (the rest of the line).
pub(crate) fn detect(line: &str) -> Option<(Checks, usize)> {
    let keyword_end = line.find([' ', '\t']).unwrap_or(line.len());
    let checks = match &line[..keyword_end] {
        "include" => Checks::default(),
        "includer" => Checks {
            readable: true,
            ..Checks::default()
        },
        "includem" => Checks {
            readable: true,
            matched: true,
            ..Checks::default()
        },
        "includew" => Checks {
            readable: true,
            wildcard_match: true,
            ..Checks::default()
        },
        "includeb" => Checks {
            readable: true,
            brace_match: true,
            ..Checks::default()
        },
        "includea" => Checks::ALL,
        _ => return None,
    };
    let pattern = keyword_end
        + (line.len() - keyword_end - line[keyword_end..].trim_start_matches([' ', '\t']).len());
    Some((checks, pattern))
}

impl Preprocessor<'_> {
    /// Follows `include PATTERN` (the rest of the line is the pattern).
    pub(super) fn include(&mut self, line: &Text, start: usize, added: Checks) {
        let s = line.as_str();
        let pattern = &s[start..];
        let span = line.span(start..s.len());
        let checks = self.checks.union(added);
        let Some(alternatives) = glob::expand_braces(pattern, MAX_BRACE_ALTERNATIVES) else {
            self.diagnostics.push(Diagnostic::error(
                span,
                format!("include pattern '{pattern}' has too many brace alternatives"),
            ));
            return;
        };
        let braces =
            alternatives.len() != 1 || alternatives.first().map(String::as_str) != Some(pattern);
        // keepalived changes into the including file's directory, so relative patterns
        // are relative to it (keepalived.conf(5), "include").
        let dir = self.current_dir();
        let mut found = Vec::new();
        let mut alternative_missing = false;
        for alternative in &alternatives {
            let full = dir.join(alternative);
            let matches = self.fs.glob(&full.to_string_lossy());
            alternative_missing |= matches.is_empty();
            found.extend(matches);
        }
        if found.is_empty() {
            if glob::has_wildcard(pattern) {
                let message = format!("No config files matched '{pattern}'.");
                if checks.wildcard_match {
                    self.include_problem(true, span, message);
                } else {
                    // keepalived says nothing: an empty conf.d is normal.
                    self.diagnostics.push(Diagnostic::note(span, message));
                }
            } else {
                self.include_problem(
                    checks.matched,
                    span,
                    format!("Config files missing '{pattern}'."),
                );
            }
            return;
        }
        if braces && alternative_missing {
            self.include_problem(
                checks.brace_match,
                span,
                format!("Some config files missing: \"{pattern}\"."),
            );
        }
        // keepalived 2.2.7 hands out the rest of a multi-line definition before the lines
        // of a file included by its first line (checked by running it), so the included
        // files go below those frames.
        let below = self.frames.len()
            - self
                .frames
                .iter()
                .rev()
                .take_while(|frame| matches!(frame, Frame::Lines { .. }))
                .count();
        let pending = Frame::Pending {
            paths: found.into(),
            span,
            checks,
        };
        self.frames.insert(below, pending);
    }

    pub(super) fn open_include(&mut self, path: PathBuf, span: Option<Span>, checks: Checks) {
        let shown = path.display().to_string();
        if let Some(info) = self.fs.info(&path) {
            if info.is_dir {
                self.include_problem(
                    checks.readable,
                    span,
                    format!("Configuration file '{shown}/' is a directory - skipping"),
                );
                return;
            }
            if info.mode & 0o111 != 0 {
                self.include_problem(
                    checks.readable,
                    span,
                    format!("Configuration file '{shown}' is not a regular non-executable file - skipping"),
                );
                return;
            }
        }
        let normalized = glob::normalize(&path);
        let open_files: Vec<&PathBuf> = self
            .frames
            .iter()
            .filter_map(|frame| match frame {
                Frame::File { path, .. } => Some(path),
                _ => None,
            })
            .collect();
        if open_files
            .iter()
            .any(|open| glob::normalize(open) == normalized)
        {
            self.diagnostics.push(
                Diagnostic::error(
                    span,
                    format!("Configuration file '{shown}' includes itself - skipping"),
                )
                .with_help("include loop: a file may not include a file that is including it"),
            );
            return;
        }
        if open_files.len() >= MAX_INCLUDE_DEPTH {
            self.diagnostics.push(Diagnostic::error(
                span,
                format!("Configuration file '{shown}' is nested more than {MAX_INCLUDE_DEPTH} includes deep - skipping"),
            ));
            return;
        }
        match self.fs.read_to_string(&path) {
            Ok(text) => self.open_file(path, text),
            Err(error) => self.include_problem(
                checks.readable,
                span,
                format!("Configuration file '{shown}' open problem ({error}) - skipping"),
            ),
        }
    }

    /// An include problem: an error that makes `keepalived -t` exit 6 when the check is on,
    /// otherwise a message that does not change the verdict (as keepalived logs it).
    fn include_problem(&mut self, is_error: bool, span: Option<Span>, message: String) {
        let diagnostic = if is_error {
            Diagnostic::error(span, message).with_class(MISSING_CONFIG)
        } else {
            Diagnostic::warning(span, message).with_class(Class::Info)
        };
        self.diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_keywords_and_their_checks() {
        assert_eq!(
            detect("include conf.d/*.conf"),
            Some((Checks::default(), 8))
        );
        assert_eq!(detect("includea  x"), Some((Checks::ALL, 10)));
        assert!(detect("includer x").unwrap().0.readable);
        assert_eq!(detect("include_check"), None);
        assert_eq!(detect("\"include\" x"), None);
    }

    #[test]
    fn include_check_options() {
        let none = Checks::default();
        assert_eq!(none.apply(&[]).unwrap(), Checks::ALL);
        let m = none.apply(&["match"]).unwrap();
        assert!(m.matched && m.readable && !m.wildcard_match);
        let all_but_wildcard = Checks::ALL.apply(&["-wildcard_match"]).unwrap();
        assert!(
            all_but_wildcard.matched
                && !all_but_wildcard.wildcard_match
                && all_but_wildcard.readable
        );
        let plus = none.apply(&["+match", "-wildcard_match"]).unwrap();
        assert!(plus.matched && !plus.wildcard_match);
        assert!(none.apply(&["bogus"]).is_err());
    }
}
