//! `keel -t`: check a configuration the way `keepalived -t` does (spec §1.4).
//!
//! Every diagnostic is printed rustc-style, then a one-line summary; the exit code is
//! keepalived's: the largest class found (0 valid, 4 cannot run, 5 errors but runnable,
//! 6 scripts without script security).

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use keel_conf::Loaded;
use keel_conf::diag::{self, Diagnostic, Severity};
use keel_conf::preprocess::PreprocessOptions;
use keel_conf::source::SourceMap;

use crate::cli::Options;
use crate::host::{self, RealFs, RealHost};

/// Reads the configuration the command line names (`-f`, `-i`, `-e`, `-s`) from the real
/// machine and checks it.
pub fn load(options: &Options) -> Loaded {
    let config_id = options
        .config_id
        .clone()
        .unwrap_or_else(host::default_config_id);
    let preprocess_options = PreprocessOptions {
        config_id,
        all_config: options.all_config,
        instance: None,
        random_seed: host::random_seed(),
    };
    let mut loaded = keel_conf::load(
        &RealFs,
        &RealHost::default(),
        &options.config_file,
        &preprocess_options,
    );
    if let Some(namespace) = &options.namespace {
        // spec §1.4: `-s NAME` overrides `net_namespace`; keepalived 2.2.7's -t then exits 0
        // whatever it finds, as it does for `net_namespace` in the file.
        loaded.config.root.net_namespace = Some(namespace.clone());
        keel_conf::check::uncount_for_namespace(&loaded.config, &mut loaded.diagnostics);
    }
    loaded
}

/// `keel -t`: checks the configuration, reports to stderr or the log file, and returns
/// keepalived's exit code.
pub fn run(options: &Options, log_file: Option<&Path>) -> i32 {
    let loaded = load(options);
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(not_supported_notes(&loaded.config));
    let mut out = output(log_file);
    report(&diagnostics, &loaded.sources, &mut out)
}

/// A note at the first use of each keyword keel reads but does not act on yet, so an
/// operator checking a keepalived.conf before switching learns of it from `-t`, not only
/// from the daemon's start-up warning (the same words). Notes never change the exit code:
/// the verdict stays keepalived's.
fn not_supported_notes(config: &keel_conf::Config) -> impl Iterator<Item = Diagnostic> + '_ {
    config
        .not_supported
        .iter()
        .map(|keyword| Diagnostic::note(keyword.loc.0, keyword.message()))
}

/// Writes every diagnostic and the summary to `out`; returns keepalived's exit code.
pub fn report(diagnostics: &[Diagnostic], sources: &SourceMap, out: &mut dyn Write) -> i32 {
    let mut text = String::new();
    for diagnostic in diagnostics {
        text.push_str(&diagnostic.render(sources));
    }
    if let Some(summary) = summary(diagnostics) {
        let _ = writeln!(text, "{summary}");
    }
    // A closed stderr or a full disk must not change the verdict.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    diag::exit_code(diagnostics)
}

/// `keel: configuration has 2 errors, 1 warning` — `None` when nothing was found.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let count = |severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let parts: Vec<String> = [
        (count(Severity::Error), "error"),
        (count(Severity::Warning), "warning"),
        (count(Severity::Note), "note"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}{}", if n == 1 { "" } else { "s" }))
    .collect();
    (!parts.is_empty()).then(|| format!("keel: configuration has {}", parts.join(", ")))
}

/// Where `-t`'s output goes: stderr, or the `--config-test=FILE` log, appended to as
/// keepalived does. A log that cannot be opened is reported and stderr used instead.
pub fn output(log_file: Option<&Path>) -> Box<dyn Write> {
    let Some(path) = log_file else {
        return Box::new(std::io::stderr());
    };
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(file) => Box::new(file),
        Err(error) => {
            eprintln!(
                "keel: cannot open {}: {error}; writing to stderr",
                path.display()
            );
            Box::new(std::io::stderr())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_conf::diag::Class;
    use keel_conf::source::Span;
    use std::path::PathBuf;

    fn sources() -> (SourceMap, Span) {
        let mut sources = SourceMap::new();
        let file = sources.add(
            PathBuf::from("/etc/keepalived/keepalived.conf"),
            "vrrp_instance VI_1 {\n    prority 100\n}\n".into(),
        );
        (
            sources,
            Span {
                file,
                line: 2,
                col: 5,
                len: 7,
            },
        )
    }

    #[test]
    fn a_clean_configuration_prints_nothing_and_exits_zero() {
        let (sources, _) = sources();
        let mut out = Vec::new();
        assert_eq!(report(&[], &sources, &mut out), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn diagnostics_are_rendered_with_a_summary_and_the_largest_class_wins() {
        // Input: an unknown keyword (error, class 5) and a missing interface (class 4).
        // Output: both rendered with file:line:col, the summary, exit 5 (keepalived 2.2.7).
        let (sources, span) = sources();
        let diagnostics = [
            Diagnostic::error(Some(span), "unknown keyword 'prority'")
                .with_help("did you mean 'priority'?"),
            Diagnostic::warning(None, "interface eth9 does not exist").with_class(Class::CannotRun),
        ];
        let mut out = Vec::new();
        assert_eq!(report(&diagnostics, &sources, &mut out), 5);
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("error: unknown keyword 'prority'\n"));
        assert!(text.contains("--> /etc/keepalived/keepalived.conf:2:5\n"));
        assert!(text.contains("^^^^^^^ did you mean 'priority'?"));
        assert!(text.ends_with("keel: configuration has 1 error, 1 warning\n"));
    }

    #[test]
    fn summary_counts_each_severity_in_words() {
        let error = Diagnostic::error(None, "e");
        let note = Diagnostic::note(None, "n");
        assert_eq!(
            summary(&[error.clone(), error, note]).as_deref(),
            Some("keel: configuration has 2 errors, 1 note")
        );
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn the_log_file_is_appended_to() {
        let path = std::env::temp_dir().join(format!("keel-t-log-{}", std::process::id()));
        std::fs::write(&path, "earlier run\n").expect("write");
        let (sources, span) = sources();
        {
            let mut out = output(Some(&path));
            report(&[Diagnostic::error(Some(span), "bad")], &sources, &mut out);
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        assert!(text.starts_with("earlier run\nerror: bad\n"));
    }
}
