//! The checker's side effects other than probes and the data plane: notify scripts, FIFO
//! lines and SMTP alerts, in the order keel-check emits them (spec §3.8: script, FIFO,
//! mail).

use std::net::SocketAddr;

use keel_check::{Action, SmtpAlert};
use keel_sys::fifo::NotifyFifo;
use keel_sys::script::{ProcessRunner, ScriptCommand, ScriptRunner, UserIds};
use keel_sys::smtp::{self, Alert, SmtpSettings};

use crate::check_config::{CheckerSettings, SmtpConfig};
use crate::daemon::log;

/// Where effects go.
pub struct Effects {
    fifos: Vec<NotifyFifo>,
    smtp: Option<SmtpConfig>,
    router_id: String,
    script_user: UserIds,
    script_users: std::collections::BTreeMap<String, UserIds>,
}

impl Effects {
    /// Opens the FIFOs (creating them, spec §3.8) and resolves the script user.
    pub fn new(settings: &CheckerSettings) -> Effects {
        let mut fifos = Vec::new();
        for path in &settings.fifos {
            match NotifyFifo::open(path) {
                Ok(fifo) => fifos.push(fifo),
                Err(error) => log::error(&format!("FIFO {}: {error}", path.display())),
            }
        }
        // spec §3.14: scripts run as script_user, else root.
        let script_user = settings
            .script_user
            .as_ref()
            .and_then(
                |(user, group)| match UserIds::lookup(user, group.as_deref()) {
                    Ok(ids) => Some(ids),
                    Err(error) => {
                        log::error(&format!("script_user {user}: {error} - using root"));
                        None
                    }
                },
            )
            .unwrap_or_else(UserIds::root);
        let script_users = settings
            .script_users
            .iter()
            .filter_map(
                |(line, (user, group))| match UserIds::lookup(user, group.as_deref()) {
                    Ok(ids) => Some((line.clone(), ids)),
                    Err(error) => {
                        log::error(&format!("{line}: user {user}: {error} - using script_user"));
                        None
                    }
                },
            )
            .collect();
        Effects {
            script_users,
            fifos,
            smtp: settings.smtp.clone(),
            router_id: settings.router_id.clone(),
            script_user,
        }
    }

    /// Performs one action; `RunProbe` and `LoadBalancerChanged` belong to the loop.
    pub fn perform(&mut self, action: Action) {
        match action {
            Action::Notify { script, event } => {
                let command = ScriptCommand {
                    argv: split_command(&script),
                    user: self
                        .script_users
                        .get(&script)
                        .unwrap_or(&self.script_user)
                        .clone(),
                    timeout: None,
                };
                if command.argv.is_empty() {
                    return;
                }
                if let Err(error) = ProcessRunner.spawn_detached(&command) {
                    log::error(&format!("notify {event:?} {script}: {error}"));
                }
            }
            Action::FifoLine(line) => {
                for fifo in &mut self.fifos {
                    if let Err(error) = fifo.write_line(&line) {
                        log::error(&format!("FIFO {}: {error}", fifo.path().display()));
                    }
                }
            }
            Action::Smtp(alert) => self.mail(alert),
            Action::RunProbe(_) | Action::LoadBalancerChanged => {}
        }
    }

    fn mail(&self, alert: SmtpAlert) {
        let Some(config) = self.smtp.clone() else {
            return;
        };
        if config.to.is_empty() {
            return;
        }
        let alert = Alert {
            subject: format!("[{}] {}", self.router_id, alert.subject),
            body: alert.body,
        };
        tokio::spawn(async move {
            let server = match tokio::net::lookup_host((config.host.as_str(), config.port)).await {
                Ok(mut addresses) => addresses.next(),
                Err(_) => None,
            };
            let Some(server): Option<SocketAddr> = server else {
                log::warn(&format!("smtp_server {} does not resolve", config.host));
                return;
            };
            let settings = SmtpSettings {
                server,
                helo_name: config.helo_name,
                from: config.from,
                to: config.to,
                timeout: config.timeout,
            };
            if let Err(error) = smtp::send_alert(&settings, &alert).await {
                log::error(&format!("SMTP alert: {error}"));
            }
        });
    }
}

/// Splits a configured command line into words; single quotes group (as
/// `check_config::script_line` writes arguments with blanks).
pub fn split_command(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::split_command;

    #[test]
    fn quoted_arguments_stay_whole() {
        // Input: a notify line with a quoted argument holding a blank, and an empty one.
        // Output: the words keepalived would pass.
        assert_eq!(
            split_command("/usr/bin/logger -t lb 'rs down' ''"),
            ["/usr/bin/logger", "-t", "lb", "rs down", ""]
        );
        assert_eq!(split_command("  /bin/true  "), ["/bin/true"]);
    }
}
