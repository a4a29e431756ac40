//! `reload_check_config [LOG_FILE]` (spec §1.1, §2.3): with it in the running
//! configuration, a SIGHUP first checks the new file as `keel -t` would, and a file with
//! any error is not loaded — the running configuration stays, where keel otherwise reloads
//! whatever part of a faulty file can run (as keepalived does). With LOG_FILE, the check's
//! diagnostics and verdict are written there, the way keepalived's checking child logs to it.

use std::path::PathBuf;

use keel_conf::Config;

use crate::cli::Options;

/// A configured reload check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReloadCheck {
    log_file: Option<PathBuf>,
}

impl ReloadCheck {
    /// The check the running configuration asks for, if any.
    pub(super) fn configured(config: &Config) -> Option<ReloadCheck> {
        let keyword = config
            .global_defs
            .other
            .iter()
            .rev()
            .find(|k| k.keyword == "reload_check_config")?;
        Some(ReloadCheck {
            log_file: keyword.args.first().map(PathBuf::from),
        })
    }

    /// Checks the configuration file `options` names; `Err` says why it must not be loaded.
    pub(super) fn run(&self, options: &Options) -> Result<(), String> {
        let loaded = super::run::read_config(options);
        let code = keel_conf::diag::exit_code(&loaded.diagnostics);
        let verdict = if code == 0 {
            Ok(())
        } else {
            Err(format!(
                "reload check: {} has errors (keel -t exits {code}); not reloading",
                options.config_file.display()
            ))
        };
        if let Some(path) = &self.log_file {
            let mut text: String = loaded
                .diagnostics
                .iter()
                .map(|d| d.render(&loaded.sources))
                .collect();
            text.push_str(match &verdict {
                Ok(()) => "reload check: configuration OK\n",
                Err(_) => "reload check: configuration has errors, not reloading\n",
            });
            if let Err(error) = std::fs::write(path, text) {
                super::log::warn(&format!("reload check log {}: {error}", path.display()));
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use keel_conf::model::RawKeyword;

    use super::*;

    fn from_raw(other: Vec<RawKeyword>) -> Option<ReloadCheck> {
        let mut config = Config::default();
        config.global_defs.other = other;
        ReloadCheck::configured(&config)
    }

    // Input: no keyword; a bare `reload_check_config`; one with a log file.
    // Output: no check; a check without log; a check logging to that file.
    #[test]
    fn the_keyword_and_its_log_file() {
        assert_eq!(from_raw(Vec::new()), None);
        let bare = RawKeyword {
            keyword: "reload_check_config".into(),
            args: Vec::new(),
        };
        assert_eq!(
            from_raw(vec![bare.clone()]),
            Some(ReloadCheck { log_file: None })
        );
        let logged = RawKeyword {
            args: vec!["/var/log/keel-check.log".into()],
            ..bare
        };
        assert_eq!(
            from_raw(vec![logged]),
            Some(ReloadCheck {
                log_file: Some(PathBuf::from("/var/log/keel-check.log"))
            })
        );
    }
}
