//! Notify FIFO and SMTP alerts (the SMTP peer is Python's aiosmtpd on loopback).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keel_lab::{ChildGuard, TempDir};
use keel_sys::fifo::{NotifyFifo, group_line, instance_line};
use keel_sys::smtp::{Alert, SmtpSettings, send_alert, vrrp_instance_alert};

#[test]
fn fifo_is_created_written_without_a_reader_and_read_in_order() {
    let dir = TempDir::new("kfifo");
    let path = dir.path().join("notify.fifo");

    // Input: notify_fifo names a path where nothing exists; no reader is attached.
    // Output: the FIFO is created and lines are accepted at once.
    let mut fifo = NotifyFifo::open(&path).expect("open FIFO");
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    fifo.write_line(&instance_line("VI_1", "BACKUP", 100))
        .unwrap();
    fifo.write_line(&instance_line("VI_1", "MASTER", 100))
        .unwrap();
    fifo.write_line(&group_line("G", "MASTER")).unwrap();

    // Input: the fifo_script attaches as a reader.  Output: the lines, in order, in
    // keepalived's format.
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&path)
        .unwrap();
    let mut lines = BufReader::new(reader).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "INSTANCE \"VI_1\" BACKUP 100"
    );
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "INSTANCE \"VI_1\" MASTER 100"
    );
    assert_eq!(lines.next().unwrap().unwrap(), "GROUP \"G\" MASTER 0");
}

#[test]
fn a_fifo_nobody_drains_fails_fast_instead_of_blocking() {
    let dir = TempDir::new("kfifo");
    let path = dir.path().join("stuck.fifo");
    let mut fifo = NotifyFifo::open(&path).unwrap();

    // Input: lines written until the pipe buffer is full, with no reader.
    // Output: an error comes back (within the first few thousand lines), promptly.
    let started = Instant::now();
    let line = instance_line("VI_WITH_A_LONG_NAME_TO_FILL_THE_PIPE", "MASTER", 200);
    let failed_at = (0..10_000).find(|_| fifo.write_line(&line).is_err());
    assert!(failed_at.is_some(), "64 KiB pipe never filled");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Input: a regular file where the FIFO should be.  Output: refused.
    let regular = dir.path().join("regular");
    std::fs::write(&regular, "").unwrap();
    assert!(NotifyFifo::open(&regular).is_err());
}

use std::os::unix::fs::FileTypeExt;

const SERVER: &str = r#"
import sys
from aiosmtpd.controller import Controller

class Recorder:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.endswith("@refused.example"):
            return "550 5.7.1 relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2], "a") as out:
            out.write("HELO " + str(session.host_name) + "\n")
            out.write("FROM " + envelope.mail_from + "\n")
            for rcpt in envelope.rcpt_tos:
                out.write("RCPT " + rcpt + "\n")
            out.write(envelope.content.decode() + "\nEND\n")
        return "250 OK"

controller = Controller(Recorder(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"#;

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts aiosmtpd on loopback; fails the test with a hint if it is not installed.
fn start_smtp_server(record: &std::path::Path) -> (ChildGuard, SocketAddr) {
    let port = free_port();
    let mut child = Command::new("python3")
        .args(["-c", SERVER, &port.to_string()])
        .arg(record)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the SMTP test");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    if first.trim() != "ready" {
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        panic!("aiosmtpd did not start (pip install aiosmtpd): {stderr}");
    }
    (
        ChildGuard::new(child),
        SocketAddr::from(([127, 0, 0, 1], port)),
    )
}

fn settings(server: SocketAddr, to: &[&str]) -> SmtpSettings {
    SmtpSettings {
        server,
        helo_name: "lb1.example".into(),
        from: "keepalived@lb1.example".into(),
        to: to.iter().map(|s| s.to_string()).collect(),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn smtp_alert_reaches_a_real_server_in_keepalived_format() {
    let dir = TempDir::new("ksmtp");
    let record = dir.path().join("mail");
    let (_server, address) = start_smtp_server(&record);

    // Input: VI_1 on router LB1 enters MASTER; two notification_email addresses.
    // Output: one mail through HELO/MAIL/RCPT×2/DATA with keepalived's headers and body.
    let alert = vrrp_instance_alert("LB1", "VI_1", "MASTER").unwrap();
    let config = settings(address, &["ops@example.com", "noc@example.com"]);
    send_alert(&config, &alert).await.expect("mail accepted");
    let mail = std::fs::read_to_string(&record).unwrap();
    for expected in [
        "HELO lb1.example",
        "FROM keepalived@lb1.example",
        "RCPT ops@example.com",
        "RCPT noc@example.com",
        "From: keepalived@lb1.example",
        "Subject: [LB1] VRRP Instance VI_1 - Entering MASTER state",
        "X-Mailer: Keepalived",
        "To: ops@example.com, noc@example.com",
        "=> VRRP Instance is now owning VRRP VIPs <=",
    ] {
        assert!(mail.contains(expected), "missing {expected:?} in:\n{mail}");
    }
    let date = mail
        .lines()
        .find(|l| l.starts_with("Date: "))
        .expect("Date header");
    assert!(
        date.len() > "Date: Thu, 01 Jan 1970 00:00:00 +0000".len() - 2,
        "{date}"
    );

    // Input: a body line starting with "." (would end DATA early if not stuffed).
    // Output: delivered intact.
    let dotted = Alert {
        subject: "[LB1] test".into(),
        body: "line one\n.hidden line\nlast".into(),
    };
    send_alert(&config, &dotted)
        .await
        .expect("dotted mail accepted");
    let mail = std::fs::read_to_string(&record).unwrap();
    let lines: Vec<&str> = mail.lines().map(str::trim_end).collect();
    assert!(lines.contains(&".hidden line"), "{mail}");
    assert!(lines.contains(&"last"), "{mail}");

    // Input: the server refuses a recipient.  Output: an SmtpReply error naming RCPT, 550.
    let refused = settings(address, &["someone@refused.example"]);
    match send_alert(&refused, &alert).await {
        Err(keel_sys::Error::SmtpReply { stage, code, .. }) => {
            assert_eq!((stage, code), ("RCPT TO", 550));
        }
        other => panic!("expected a 550 on RCPT TO, got {other:?}"),
    }
}

#[tokio::test]
async fn smtp_alert_gives_up_on_a_silent_or_absent_server() {
    // Input: a server that accepts TCP but never greets; timeout 300 ms.
    // Output: TimedOut after about 300 ms, not a hang.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = settings(silent.local_addr().unwrap(), &["ops@example.com"]);
    config.timeout = Duration::from_millis(300);
    let alert = vrrp_instance_alert("LB1", "VI_1", "BACKUP").unwrap();
    assert_eq!(
        alert.body,
        "=> VRRP Instance is no longer owning VRRP VIPs <="
    );
    let started = Instant::now();
    let result = send_alert(&config, &alert).await;
    assert!(
        matches!(result, Err(keel_sys::Error::TimedOut(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    // Input: nothing listens on the port.  Output: a connect error.
    let port = free_port();
    config.server = SocketAddr::from(([127, 0, 0, 1], port));
    assert!(send_alert(&config, &alert).await.is_err());
    // No mail for a state keepalived has no alert text for (STOP has "Stopping").
    assert!(vrrp_instance_alert("LB1", "VI_1", "DELETED").is_none());
}
