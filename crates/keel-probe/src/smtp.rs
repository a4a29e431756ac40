//! `SMTP_CHECK` (spec §2.7): read the `220` greeting, send `HELO <helo_name>`, expect
//! `250`, send `QUIT` and read its reply, as keepalived's `check_smtp.c` does. Each step is
//! bounded by `connect_timeout`.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::ProbeRequest;
use crate::error::{ProbeError, io_error, within};
use crate::socket::connect_tcp;

/// keepalived's `helo_name` when none is configured.
pub const DEFAULT_HELO_NAME: &str = "smtpchecker.keepalived.org";

/// `SMTP_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSpec {
    /// `helo_name`: the name sent in `HELO`.
    pub helo_name: String,
}

impl Default for SmtpSpec {
    fn default() -> Self {
        SmtpSpec {
            helo_name: DEFAULT_HELO_NAME.to_string(),
        }
    }
}

pub(crate) async fn check(request: &ProbeRequest, spec: &SmtpSpec) -> Result<(), ProbeError> {
    let stream = connect_tcp(request).await?;
    let mut session = Session {
        stream: BufReader::new(stream),
        request,
    };
    session.expect(220, "greeting banner").await?;
    session
        .send(&format!("HELO {}\r\n", spec.helo_name))
        .await?;
    session.expect(250, "HELO response").await?;
    session.send("QUIT\r\n").await?;
    // keepalived compat: any reply to QUIT completes the check.
    session.reply("QUIT response").await.map(drop)
}

struct Session<'a> {
    stream: BufReader<TcpStream>,
    request: &'a ProbeRequest,
}

impl Session<'_> {
    async fn send(&mut self, line: &str) -> Result<(), ProbeError> {
        let stream = self.stream.get_mut();
        within(self.request.connect_timeout, "SMTP write", async {
            stream
                .write_all(line.as_bytes())
                .await
                .map_err(io_error("SMTP write"))
        })
        .await
    }

    async fn expect(&mut self, code: u16, what: &str) -> Result<(), ProbeError> {
        let reply = self.reply(what).await?;
        if reply == Some(code) {
            Ok(())
        } else {
            Err(ProbeError::BadReply(format!(
                "bad SMTP {what}: expected {code}, got {}",
                reply.map_or("no status".to_string(), |code| code.to_string())
            )))
        }
    }

    /// Reads one reply, following `NNN-` continuation lines, and returns its code.
    async fn reply(&mut self, what: &str) -> Result<Option<u16>, ProbeError> {
        let timeout = self.request.connect_timeout;
        loop {
            let mut line = Vec::new();
            let count = within(timeout, "SMTP read", async {
                (&mut self.stream)
                    .take(4096)
                    .read_until(b'\n', &mut line)
                    .await
                    .map_err(io_error("SMTP read"))
            })
            .await?;
            if count == 0 {
                return Err(ProbeError::BadReply(format!(
                    "connection closed before the SMTP {what}"
                )));
            }
            let (code, continued) = reply_line(&line);
            if !continued {
                return Ok(code);
            }
        }
    }
}

/// The code of one reply line, if it starts with three digits, and whether the reply
/// continues (RFC 5321 §4.2.1: `NNN-` continues a multiline reply).
pub(crate) fn reply_line(line: &[u8]) -> (Option<u16>, bool) {
    let code = line
        .get(..3)
        .filter(|digits| digits.iter().all(u8::is_ascii_digit))
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse().ok());
    (code, line.get(3) == Some(&b'-'))
}

#[cfg(test)]
mod tests {
    use super::reply_line;

    #[test]
    fn reply_lines_give_their_code_and_whether_more_follows() {
        // Input: a continued and a final line of a 250 reply, a line whose code has a sign,
        // a short line, and bytes that are not UTF-8.
        // Output: (250, more), (250, last); no code for the rest, and never a panic.
        assert_eq!(reply_line(b"250-mx.example\r\n"), (Some(250), true));
        assert_eq!(reply_line(b"250 HELP\r\n"), (Some(250), false));
        assert_eq!(reply_line(b"+25 x\r\n"), (None, false));
        assert_eq!(reply_line(b"22"), (None, false));
        assert_eq!(reply_line(b"\xff\xfe\xfd-"), (None, true));
    }
}
