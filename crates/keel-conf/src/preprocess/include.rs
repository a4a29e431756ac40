//! `include` and its checked variants (keepalived.conf(5), "include"; spec §2.1).
//!
//! keepalived 2.2.7 recognises `include` after `@` conditionals and `$` substitution (an
//! `@main include x` line or an included `$INC` works — verified against 2.2.7), takes the
//! rest of the line as one glob pattern, and by default never fails on a missing file. The
//! variants and `include_check` turn missing or unreadable files into errors.

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
