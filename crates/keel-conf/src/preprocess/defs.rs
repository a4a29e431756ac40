//! `$NAME=VALUE` definitions and their substitution (spec §2.1, keepalived.conf(5)
//! "Parameter substitution" and "Pre-defined definitions").

use std::borrow::Cow;
use std::collections::HashMap;

use super::text::Text;
use crate::source::{Host, Span};

/// Substitutions allowed on one line before it is declared runaway. A definition that
/// refers to itself (`$X=${X}x`) would otherwise grow forever; keepalived stops only at its
/// buffer size and produces garbage.
const MAX_SUBSTITUTIONS: usize = 1000;
/// Longest line substitution may produce.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// What a name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Definition {
    /// A one-line value.
    Value(String),
    /// A multi-line value (its definition lines ended in `\`): the first line replaces the
    /// reference, the others follow as lines of their own.
    Lines(Vec<String>),
    /// A pre-defined definition computed at each use.
    Builtin(Builtin),
}

/// keepalived's pre-defined definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// `${_PWD}`: the directory of the current configuration file.
    Pwd,
    /// `${_INSTANCE}`: the instance name (`-i`, defaulting to the host name).
    Instance,
    /// `${_RANDOM [MIN [MAX]]}`: a pseudo-random integer in `[MIN, MAX]` (0..32767).
    Random,
    /// `${_ENV VAR}`: an environment variable (keepalived 2.4+).
    Env,
    /// `${_HASH}`: a `#` that does not start a comment.
    Hash,
    /// `${_BANG}`: a `!` that does not start a comment.
    Bang,
}

/// What substitution needs from the preprocessor at the moment of use.
pub(crate) struct Context<'a> {
    /// Directory of the current file.
    pub pwd: &'a str,
    /// The `${_INSTANCE}` value.
    pub instance: &'a str,
    /// For `${_ENV VAR}`.
    pub host: &'a dyn Host,
    /// For `${_RANDOM}`.
    pub rng: &'a mut Rng,
}

/// The outcome of substituting one line.
pub(crate) enum Substituted {
    /// No reference to a known definition.
    Unchanged,
    /// The new line, and for each multi-line definition used (outermost first) the lines
    /// that follow it, with the span of its reference.
    Changed {
        text: Text,
        following: Vec<(Vec<String>, Span)>,
    },
    /// Substitution did not terminate; the span is the last reference replaced.
    Runaway(Option<Span>),
}

/// The table of definitions. Definitions are global: they outlive the file that made them.
#[derive(Debug, Clone)]
pub(crate) struct Definitions {
    table: HashMap<String, Definition>,
}

impl Definitions {
    /// The pre-defined definitions only.
    pub(crate) fn new() -> Self {
        let mut table = HashMap::new();
        for (name, builtin) in [
            ("_PWD", Builtin::Pwd),
            ("_INSTANCE", Builtin::Instance),
            ("_RANDOM", Builtin::Random),
            ("_ENV", Builtin::Env),
            ("_HASH", Builtin::Hash),
            ("_BANG", Builtin::Bang),
        ] {
            table.insert(name.to_string(), Definition::Builtin(builtin));
        }
        Definitions { table }
    }

    /// Defines or redefines `name`; a user definition may override a pre-defined one.
    pub(crate) fn set(&mut self, name: &str, definition: Definition) {
        match self.table.get_mut(name) {
            Some(slot) => *slot = definition,
            None => {
                self.table.insert(name.to_string(), definition);
            }
        }
    }

    /// Adds a line to a multi-line definition being read.
    pub(crate) fn push_line(&mut self, name: &str, line: &str) {
        match self.table.get_mut(name) {
            Some(Definition::Lines(lines)) => lines.push(line.to_string()),
            _ => {
                self.table
                    .insert(name.to_string(), Definition::Lines(vec![line.to_string()]));
            }
        }
    }

    /// Ends a multi-line definition; one with no lines becomes an empty one-line value.
    pub(crate) fn finish_lines(&mut self, name: &str) {
        if matches!(self.table.get(name), Some(Definition::Lines(lines)) if lines.is_empty()) {
            self.table
                .insert(name.to_string(), Definition::Value(String::new()));
        }
    }

    /// Replaces references to definitions, left to right and recursively: replaced text is
    /// scanned again, so values may refer to other definitions (resolved at use, not at
    /// definition). Unknown names are left verbatim.
    pub(crate) fn substitute(&self, text: &Text, context: &mut Context<'_>) -> Substituted {
        let mut current: Option<Text> = None;
        let mut following = Vec::new();
        let mut count = 0;
        let mut position = 0;
        loop {
            let line = current.as_ref().unwrap_or(text);
            let s = line.as_str();
            let Some(offset) = s[position..].find('$') else {
                break;
            };
            let dollar = position + offset;
            let Some(reference) = self.reference_at(s, dollar) else {
                position = dollar + 1;
                continue;
            };
            let span = line.span(dollar..reference.end);
            let value: Cow<'_, str> = match reference.definition {
                Definition::Value(value) => Cow::Borrowed(value),
                Definition::Lines(lines) => {
                    let mut lines = lines.iter();
                    let first = Cow::Borrowed(lines.next().map_or("", String::as_str));
                    let rest: Vec<String> = lines.cloned().collect();
                    if !rest.is_empty() {
                        if let Some(span) = span {
                            following.push((rest, span));
                        }
                    }
                    first
                }
                Definition::Builtin(builtin) => {
                    Cow::Owned(evaluate(*builtin, reference.params, context))
                }
            };
            count += 1;
            if count > MAX_SUBSTITUTIONS || s.len() + value.len() > MAX_LINE_BYTES {
                return Substituted::Runaway(span);
            }
            let Some(span) = span else {
                position = dollar + 1;
                continue;
            };
            current = Some(line.replace(dollar..reference.end, &value, span));
            if value.trim_start_matches([' ', '\t']).starts_with('~') {
                // keepalived stops at a value that starts a `~SEQ`/`~LST`, so the
                // directive is set up before the rest of its line is substituted.
                break;
            }
            // Do not advance: the value is scanned again (recursive substitution).
            position = dollar;
        }
        match current {
            Some(text) => Substituted::Changed { text, following },
            None => Substituted::Unchanged,
        }
    }

    /// Substitutes one-line definitions in plain text (the arguments of `~SEQ`/`~LST`).
    pub(crate) fn substitute_str(&self, s: &str, context: &mut Context<'_>) -> Option<String> {
        let mut out = s.to_string();
        let mut position = 0;
        let mut count = 0;
        while let Some(offset) = out[position..].find('$') {
            let dollar = position + offset;
            let Some(reference) = self.reference_at(&out, dollar) else {
                position = dollar + 1;
                continue;
            };
            let value = match reference.definition {
                Definition::Value(value) => value.clone(),
                Definition::Lines(_) => return None,
                Definition::Builtin(builtin) => evaluate(*builtin, reference.params, context),
            };
            count += 1;
            if count > MAX_SUBSTITUTIONS || out.len() + value.len() > MAX_LINE_BYTES {
                return None;
            }
            out.replace_range(dollar..reference.end, &value);
            position = dollar;
        }
        Some(out)
    }

    /// The reference starting at `s[dollar] == '$'`, if it names a known definition.
    ///
    /// keepalived.conf(5): `$NAME` must be followed by whitespace (or `,`, `)` or the end of
    /// the line, as in `lib/parser.c`); `${NAME}` may be followed by anything. A multi-line
    /// definition is only replaced when its reference ends the line.
    fn reference_at<'d, 's>(&'d self, s: &'s str, dollar: usize) -> Option<Reference<'d, 's>> {
        let bytes = s.as_bytes();
        let braced = bytes.get(dollar + 1) == Some(&b'{');
        let name_start = dollar + 1 + usize::from(braced);
        let first = *bytes.get(name_start)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let mut name_end = name_start + 1;
        while bytes
            .get(name_end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            name_end += 1;
        }
        let name = &s[name_start..name_end];
        let definition = self.table.get(name)?;
        let mut params = None;
        let end = if braced {
            let mut p = name_end;
            let allows_params = matches!(
                definition,
                Definition::Builtin(Builtin::Random) | Definition::Builtin(Builtin::Env)
            );
            if allows_params && bytes.get(p) == Some(&b' ') {
                while bytes.get(p) == Some(&b' ') {
                    p += 1;
                }
                let params_start = p;
                let is_env = matches!(definition, Definition::Builtin(Builtin::Env));
                while bytes.get(p).is_some_and(|&b| {
                    if is_env {
                        b.is_ascii_alphanumeric() || b == b'_'
                    } else {
                        b == b' ' || b.is_ascii_digit()
                    }
                }) {
                    p += 1;
                }
                // The parameters must not end with a space.
                if p == params_start || bytes[p - 1] == b' ' {
                    return None;
                }
                params = Some(&s[params_start..p]);
            }
            if bytes.get(p) != Some(&b'}') {
                return None;
            }
            p + 1
        } else {
            match bytes.get(name_end) {
                None | Some(b' ' | b'\t' | b',' | b')') => name_end,
                Some(_) => return None,
            }
        };
        if matches!(definition, Definition::Lines(_)) && end != s.len() {
            return None;
        }
        Some(Reference {
            definition,
            params,
            end,
        })
    }
}

struct Reference<'d, 's> {
    definition: &'d Definition,
    params: Option<&'s str>,
    end: usize,
}

fn evaluate(builtin: Builtin, params: Option<&str>, context: &mut Context<'_>) -> String {
    match builtin {
        Builtin::Pwd => context.pwd.to_string(),
        Builtin::Instance => context.instance.to_string(),
        Builtin::Hash => "#".to_string(),
        Builtin::Bang => "!".to_string(),
        Builtin::Env => params
            .and_then(|name| context.host.env(name))
            .unwrap_or_default(),
        Builtin::Random => {
            let mut numbers = params
                .unwrap_or("")
                .split_whitespace()
                .map(|n| n.parse::<u64>().ok());
            let min = numbers.next().flatten().unwrap_or(0);
            let max = numbers.next().flatten().unwrap_or(32767).max(min);
            let width = max - min;
            let value = if width == u64::MAX {
                context.rng.next()
            } else {
                min + context.rng.next() % (width + 1)
            };
            value.to_string()
        }
    }
}

/// A small deterministic generator (SplitMix64) for `${_RANDOM}`: the crate draws no
/// randomness of its own, the caller supplies the seed (ARCHITECTURE.md, "The one rule").
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next value.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Parses `$NAME=VALUE` at the start of `s` (spec §2.1: no space before `=`). Returns the
/// name and the byte offset where the value starts (blanks after `=` skipped).
pub(crate) fn parse_definition(s: &str) -> Option<(&str, usize)> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'$') {
        return None;
    }
    let first = *bytes.get(1)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let mut end = 2;
    while bytes
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        end += 1;
    }
    if bytes.get(end) != Some(&b'=') {
        return None;
    }
    let mut value = end + 1;
    while matches!(bytes.get(value), Some(b' ' | b'\t')) {
        value += 1;
    }
    Some((&s[1..end], value))
}
