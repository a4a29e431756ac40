//! Diagnostics in the style of rustc, classified the way `keepalived -t` classifies them.
//!
//! keepalived's `-t` exit code is the numerically largest class of the problems it found
//! (spec §1.4): 0 valid, 4 cannot run, 5 errors or warnings but runnable, 6 scripts run
//! without script security. A missing interface together with a warning therefore gives 5.

use std::fmt::Write as _;

use crate::source::{SourceMap, Span};

/// How a problem is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Severity {
    /// Informational; never changes the verdict.
    Note,
    /// keepalived would log it and carry on.
    Warning,
    /// keepalived would log it as an error.
    Error,
}

/// What a problem does to `keel -t`'s exit code (keepalived 2.2.7's classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Class {
    /// Does not change the verdict (exit 0).
    Info = 0,
    /// keepalived cannot run with this configuration (exit 4): a missing configuration file,
    /// a missing interface, a fatal error.
    CannotRun = 4,
    /// An error or warning, but keepalived would run (exit 5).
    Config = 5,
    /// Scripts would run as root without `enable_script_security` (exit 6).
    ScriptSecurity = 6,
}

impl Class {
    /// The exit code `keepalived -t` gives when this is the largest class found.
    pub fn exit_code(self) -> i32 {
        self as i32
    }
}

/// One problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// How it is shown.
    pub severity: Severity,
    /// What it does to the exit code.
    pub class: Class,
    /// What is wrong, in one line: "unknown keyword 'prority'".
    pub message: String,
    /// Where, if it has a place in the source.
    pub span: Option<Span>,
    /// What was expected or what to write instead: "expected an integer 1..255",
    /// "use `lvs_sched` instead".
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error of class [`Class::Config`].
    pub fn error(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            class: Class::Config,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// A warning of class [`Class::Config`] (keepalived counts warnings in the exit code).
    pub fn warning(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            class: Class::Config,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// A note that does not change the verdict.
    pub fn note(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            class: Class::Info,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// Sets the class.
    pub fn with_class(mut self, class: Class) -> Self {
        self.class = class;
        self
    }

    /// Adds what was expected or what to write instead.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic like rustc:
    ///
    /// ```text
    /// error: priority 300 is out of range
    ///   --> /etc/keepalived/keepalived.conf:12:14
    ///    |
    /// 12 |     priority 300
    ///    |              ^^^ expected an integer 1..255
    /// ```
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let _ = writeln!(out, "{label}: {}", self.message);
        let located = self
            .span
            .and_then(|span| sources.file(span.file).map(|file| (span, file)));
        match located {
            Some((span, file)) => {
                let number = span.line.to_string();
                let pad = " ".repeat(number.len());
                let _ = writeln!(
                    out,
                    "{pad}--> {}:{}:{}",
                    file.path.display(),
                    span.line,
                    span.col
                );
                if let Some(text) = file.line(span.line) {
                    let text = text.replace('\t', " ");
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{number} | {text}");
                    let carets = "^".repeat(usize::try_from(span.len.max(1)).unwrap_or(1));
                    let indent =
                        " ".repeat(usize::try_from(span.col.saturating_sub(1)).unwrap_or(0));
                    match &self.help {
                        Some(help) => {
                            let _ = writeln!(out, "{pad} | {indent}{carets} {help}");
                        }
                        None => {
                            let _ = writeln!(out, "{pad} | {indent}{carets}");
                        }
                    }
                } else if let Some(help) = &self.help {
                    let _ = writeln!(out, "{pad} = help: {help}");
                }
            }
            None => {
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "  = help: {help}");
                }
            }
        }
        out
    }
}

/// The exit code `keel -t` gives for a set of diagnostics (spec §1.4).
pub fn exit_code(diagnostics: &[Diagnostic]) -> i32 {
    diagnostics
        .iter()
        .map(|d| d.class)
        .max()
        .unwrap_or(Class::Info)
        .exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceMap};
    use std::path::PathBuf;

    #[test]
    fn renders_file_line_col_with_caret() {
        let mut sources = SourceMap::new();
        let file = sources.add(
            PathBuf::from("/etc/keepalived/keepalived.conf"),
            "vrrp_instance VI_1 {\n    priority 300\n}\n".into(),
        );
        let span = Span {
            file,
            line: 2,
            col: 14,
            len: 3,
        };
        let text = Diagnostic::error(Some(span), "priority 300 is out of range")
            .with_help("expected an integer 1..255")
            .render(&sources);
        assert_eq!(
            text,
            "error: priority 300 is out of range\n \
             --> /etc/keepalived/keepalived.conf:2:14\n  |\n\
             2 |     priority 300\n  |              ^^^ expected an integer 1..255\n"
        );
        assert_eq!(FileId(0), file);
    }

    #[test]
    fn exit_code_is_the_largest_class() {
        // keepalived 2.2.7: a missing interface (4) together with a warning (5) gives 5.
        let missing = Diagnostic::error(None, "no interface eth9").with_class(Class::CannotRun);
        let warning = Diagnostic::warning(None, "deprecated");
        assert_eq!(exit_code(std::slice::from_ref(&missing)), 4);
        assert_eq!(exit_code(&[missing, warning]), 5);
        assert_eq!(exit_code(&[]), 0);
    }
}
