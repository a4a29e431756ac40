//! `smtp_alert`: a plain SMTP client sending keepalived's alert mails.
//!
//! The dialogue is RFC 5321's minimum (keepalived/core/smtp.c): greeting 220, `HELO
//! <smtp_helo_name>` (default `localhost`) 250, `MAIL FROM:<notification_email_from>` 250,
//! one `RCPT TO:<…>` 250 per `notification_email` address, `DATA` 354, the message, `.` 250,
//! `QUIT`. The message carries `Date`, `From`, `Subject`, `X-Mailer: Keepalived` and `To`
//! (all recipients, comma separated) headers. `smtp_connect_timeout` bounds the connection
//! and each reply.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::error::{Error, Result};

/// keepalived's default `smtp_connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom to send alerts (`global_defs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// `smtp_server` (default port 25).
    pub server: SocketAddr,
    /// `smtp_helo_name` (keepalived's default is `localhost`).
    pub helo_name: String,
    /// `notification_email_from`.
    pub from: String,
    /// `notification_email` addresses.
    pub to: Vec<String>,
    /// `smtp_connect_timeout`.
    pub timeout: Duration,
}

/// One alert mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The full subject line (see [`vrrp_instance_subject`]).
    pub subject: String,
    /// The body text.
    pub body: String,
}

/// A VRRP instance state alert as keepalived words it (vrrp.c `vrrp_smtp_notifier`):
/// subject `[ROUTER_ID] VRRP Instance NAME - Entering STATE state` (`Stopping` at stop)
/// and the matching body. Returns `None` for states keepalived sends no mail for.
pub fn vrrp_instance_alert(router_id: &str, instance: &str, state: &str) -> Option<Alert> {
    let (text, body) = match state {
        "MASTER" => (
            format!("Entering {state} state"),
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        "BACKUP" | "FAULT" => (
            format!("Entering {state} state"),
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        "STOP" => ("Stopping".to_string(), "=> VRRP Instance stopping <="),
        _ => return None,
    };
    Some(Alert {
        subject: vrrp_instance_subject(router_id, instance, &text),
        body: body.to_string(),
    })
}

/// A sync group's alert as keepalived words it (`vrrp_sync_smtp_notifier`): subject
/// `[ROUTER_ID] VRRP Group NAME - Entering STATE state` (`Stopping` at stop) and body
/// `=> All VRRP group instances are now in STATE state <=`. `None` for other states.
pub fn vrrp_group_alert(router_id: &str, group: &str, state: &str) -> Option<Alert> {
    let (text, body) = match state {
        "MASTER" | "BACKUP" | "FAULT" => (
            format!("Entering {state} state"),
            format!("=> All VRRP group instances are now in {state} state <="),
        ),
        "STOP" => (
            "Stopping".to_string(),
            "=> All VRRP group instances are now stopping <=".to_string(),
        ),
        _ => return None,
    };
    Some(Alert {
        subject: vrrp_group_subject(router_id, group, &text),
        body,
    })
}

/// `[ROUTER_ID] VRRP Instance NAME - TEXT` (smtp.c, `SMTP_MSG_VRRP`).
pub fn vrrp_instance_subject(router_id: &str, instance: &str, text: &str) -> String {
    format!("[{router_id}] VRRP Instance {instance} - {text}")
}

/// `[ROUTER_ID] VRRP Group NAME - TEXT` (smtp.c, `SMTP_MSG_VGROUP`).
pub fn vrrp_group_subject(router_id: &str, group: &str, text: &str) -> String {
    format!("[{router_id}] VRRP Group {group} - {text}")
}

/// Sends `alert` to every recipient in `settings`, dated now in local time.
pub async fn send_alert(settings: &SmtpSettings, alert: &Alert) -> Result<()> {
    let message = compose_message(settings, alert, &rfc2822_now());
    let connect = TcpStream::connect(settings.server);
    let stream = tokio::time::timeout(settings.timeout, connect)
        .await
        .map_err(|_| Error::TimedOut("SMTP connect"))?
        .map_err(|e| Error::io("SMTP connect", e))?;
    let mut session = Session {
        stream: BufReader::new(stream),
        timeout: settings.timeout,
    };
    session.expect("greeting", 220).await?;
    session
        .command("HELO", &format!("HELO {}\r\n", settings.helo_name), 250)
        .await?;
    session
        .command(
            "MAIL FROM",
            &format!("MAIL FROM:<{}>\r\n", settings.from),
            250,
        )
        .await?;
    for recipient in &settings.to {
        session
            .command("RCPT TO", &format!("RCPT TO:<{recipient}>\r\n"), 250)
            .await?;
    }
    session.command("DATA", "DATA\r\n", 354).await?;
    session.command("message", &message, 250).await?;
    // The mail is accepted; a failed QUIT changes nothing for the caller.
    let _ = session.send("QUIT\r\n").await;
    Ok(())
}

/// The DATA section: headers, blank line, body, and the terminating `.` line. Body lines
/// starting with `.` are dot-stuffed (RFC 5321 §4.5.2).
pub fn compose_message(settings: &SmtpSettings, alert: &Alert, date: &str) -> String {
    let mut message = format!(
        "Date: {date}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n",
        settings.from,
        alert.subject,
        settings.to.join(", ")
    );
    for line in alert.body.lines() {
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push_str("\r\n.\r\n");
    message
}

/// The current local time as `Thu, 26 Nov 2026 09:56:00 +0000` (strftime
/// `%a, %d %b %Y %H:%M:%S %z`, as keepalived writes its Date header).
pub fn rfc2822_now() -> String {
    // SAFETY: time/localtime_r/strftime write only into the local buffers given, whose
    // sizes are passed; strftime's result length bounds what we read back.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut local: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut local).is_null() {
            return String::new();
        }
        let mut buffer = [0u8; 64];
        let length = libc::strftime(
            buffer.as_mut_ptr().cast(),
            buffer.len(),
            c"%a, %d %b %Y %H:%M:%S %z".as_ptr(),
            &local,
        );
        String::from_utf8_lossy(&buffer[..length]).into_owned()
    }
}

struct Session {
    stream: BufReader<TcpStream>,
    timeout: Duration,
}

impl Session {
    async fn command(&mut self, stage: &'static str, text: &str, expected: u16) -> Result<()> {
        self.send(text).await?;
        self.expect(stage, expected).await
    }

    async fn send(&mut self, text: &str) -> Result<()> {
        let write = self.stream.get_mut().write_all(text.as_bytes());
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| Error::TimedOut("SMTP send"))?
            .map_err(|e| Error::io("SMTP send", e))
    }

    /// Reads one reply (all its `NNN-` continuation lines) and checks its code.
    async fn expect(&mut self, stage: &'static str, expected: u16) -> Result<()> {
        loop {
            let mut line = String::new();
            let read = self.stream.read_line(&mut line);
            let length = tokio::time::timeout(self.timeout, read)
                .await
                .map_err(|_| Error::TimedOut("SMTP reply"))?
                .map_err(|e| Error::io("SMTP reply", e))?;
            if length == 0 {
                return Err(Error::SmtpReply {
                    stage,
                    code: 0,
                    text: "connection closed".into(),
                });
            }
            let (code, continued) = reply_line(&line);
            if continued {
                continue;
            }
            if code != expected {
                return Err(Error::SmtpReply {
                    stage,
                    code,
                    text: line.trim_end().to_string(),
                });
            }
            return Ok(());
        }
    }
}

#[cfg(test)]
mod group_alert_tests {
    use super::*;

    // Input: sync group G1 on router LB1 goes MASTER, BACKUP, FAULT, STOP, and an unknown state.
    // Output: keepalived's group subjects and bodies (vrrp_sync_smtp_notifier); none for
    // the unknown state.
    #[test]
    fn group_alerts_use_keepalived_wording() {
        let master = vrrp_group_alert("LB1", "G1", "MASTER").unwrap();
        assert_eq!(
            master.subject,
            "[LB1] VRRP Group G1 - Entering MASTER state"
        );
        assert_eq!(
            master.body,
            "=> All VRRP group instances are now in MASTER state <="
        );
        let backup = vrrp_group_alert("LB1", "G1", "BACKUP").unwrap();
        assert_eq!(
            backup.subject,
            "[LB1] VRRP Group G1 - Entering BACKUP state"
        );
        let fault = vrrp_group_alert("LB1", "G1", "FAULT").unwrap();
        assert_eq!(
            fault.body,
            "=> All VRRP group instances are now in FAULT state <="
        );
        let stop = vrrp_group_alert("LB1", "G1", "STOP").unwrap();
        assert_eq!(stop.subject, "[LB1] VRRP Group G1 - Stopping");
        assert_eq!(stop.body, "=> All VRRP group instances are now stopping <=");
        assert_eq!(vrrp_group_alert("LB1", "G1", "DELETED"), None);
    }
}

/// The code of one SMTP reply line (0 when it has none) and whether the reply continues:
/// RFC 5321 §4.2.1, "NNN-" continues a multiline reply, "NNN " ends it.
pub(crate) fn reply_line(line: &str) -> (u16, bool) {
    let code = line
        .get(..3)
        .and_then(|c| c.parse::<u16>().ok())
        .unwrap_or(0);
    (code, line.as_bytes().get(3) == Some(&b'-'))
}

#[cfg(test)]
mod tests {
    use super::reply_line;

    #[test]
    fn reply_lines_give_their_code_and_whether_more_follows() {
        // Input: a continued and a final line of a 250 reply, a line without a code, a
        // two-character line, and a line whose third byte is inside a UTF-8 character.
        // Output: (250, more), (250, last), (0, last) for the rest: never a panic.
        assert_eq!(reply_line("250-mail.example\r\n"), (250, true));
        assert_eq!(reply_line("250 OK\r\n"), (250, false));
        assert_eq!(reply_line("hello\r\n"), (0, false));
        assert_eq!(reply_line("25"), (0, false));
        assert_eq!(reply_line("2é0 x"), (0, false));
    }
}

#[cfg(test)]
mod instance_alert_tests {
    use super::*;

    // Input: instance VI_1 on router LB1 goes MASTER, BACKUP, FAULT, STOP, DELETED.
    // Output: keepalived's instance subjects and bodies (vrrp_smtp_notifier), "Stopping"
    // for STOP; no mail for DELETED.
    #[test]
    fn instance_alerts_use_keepalived_wording() {
        let master = vrrp_instance_alert("LB1", "VI_1", "MASTER").unwrap();
        assert_eq!(
            master.subject,
            "[LB1] VRRP Instance VI_1 - Entering MASTER state"
        );
        assert_eq!(master.body, "=> VRRP Instance is now owning VRRP VIPs <=");
        let fault = vrrp_instance_alert("LB1", "VI_1", "FAULT").unwrap();
        assert_eq!(
            fault.subject,
            "[LB1] VRRP Instance VI_1 - Entering FAULT state"
        );
        assert_eq!(
            fault.body,
            "=> VRRP Instance is no longer owning VRRP VIPs <="
        );
        let stop = vrrp_instance_alert("LB1", "VI_1", "STOP").unwrap();
        assert_eq!(stop.subject, "[LB1] VRRP Instance VI_1 - Stopping");
        assert_eq!(stop.body, "=> VRRP Instance stopping <=");
        assert_eq!(vrrp_instance_alert("LB1", "VI_1", "DELETED"), None);
    }
}
