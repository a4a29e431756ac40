//! `smtp_alert`: keel mails keepalived's alert to `notification_email` through
//! `smtp_server` when an instance becomes MASTER. The server is a minimal SMTP responder on
//! the router's loopback.
//!
//! Needs root.

mod vrrp_lab;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Router, holds, lab, logs_within, serial, start_keel, wait_until};

/// A TCP listener on 127.0.0.1:2525 inside `host`'s namespace (with `lo` up): the SMTP
/// server the alerting configurations name.
fn smtp_listener(host: &Host) -> TcpListener {
    host.ns.ip(&["link", "set", "lo", "up"]);
    host.ns
        .run_in(|| TcpListener::bind("127.0.0.1:2525").expect("bind 2525 in the namespace"))
}

/// An alerting configuration: router_id r1 mailing `recipients` from keel@example.org through
/// 127.0.0.1:2525, with `global` (whole lines) added to `global_defs`, then `groups`, then
/// VI_1 (MASTER, virtual router `vrid`, smtp_alert) holding 10.88.0.100.
fn alert_config(recipients: &[&str], global: &str, groups: &str, vrid: u8) -> String {
    let recipients: String = recipients.iter().map(|r| format!("    {r}\n")).collect();
    format!(
        "global_defs {{\n  router_id r1\n  notification_email {{\n{recipients}  }}\n  \
         notification_email_from keel@example.org\n  smtp_server 127.0.0.1 2525\n  \
         smtp_connect_timeout 5\n{global}}}\n\
         {groups}\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface e0\n  virtual_router_id {vrid}\n  \
         priority 150\n  advert_int 1\n  smtp_alert\n  virtual_ipaddress {{\n    10.88.0.100/24\n  }}\n}}\n"
    )
}

/// Starts keel on `host` with `config` and waits (6 s) for it to hold 10.88.0.100.
fn start_master(host: &Host, dir: &Path, config: &str) -> Router {
    let keel = start_keel(host, dir, "keel", config);
    assert!(wait_until(Duration::from_secs(6), || holds(host, "10.88.0.100")).is_some());
    keel
}

/// Answers one SMTP session as a server that accepts everything; returns what the client
/// sent.
fn serve_one(listener: &TcpListener) -> String {
    let (stream, _) = listener.accept().expect("accept");
    serve_stream(stream)
}

/// Serves sessions until `done` holds for the transcripts so far or `limit` passes.
fn serve_until(
    listener: TcpListener,
    limit: Duration,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let start = std::time::Instant::now();
    let mut sessions = Vec::new();
    while !done(&sessions) && start.elapsed() < limit {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking stream");
                sessions.push(serve_stream(stream));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    sessions
}

fn serve_stream(stream: std::net::TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut transcript = String::new();
    writer.write_all(b"220 test ESMTP\r\n").unwrap();
    let mut in_data = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return transcript;
        }
        transcript.push_str(&line);
        let reply: &[u8] = if in_data {
            if line == ".\r\n" {
                in_data = false;
                b"250 queued\r\n"
            } else {
                continue;
            }
        } else if line.starts_with("DATA") {
            in_data = true;
            b"354 go on\r\n"
        } else if line.starts_with("QUIT") {
            let _ = writer.write_all(b"221 bye\r\n");
            return transcript;
        } else {
            b"250 ok\r\n"
        };
        writer.write_all(reply).unwrap();
    }
}

// Input: an instance with smtp_alert, smtp_server 127.0.0.1 2525, smtp_helo_name, two
// recipients.
// Output: a mail for BACKUP (init), then when it becomes MASTER one mail with
// `HELO <smtp_helo_name>`, MAIL FROM, a RCPT TO per recipient, and
// keepalived's subject "[r1] VRRP Instance VI_1 - Entering MASTER state" and body.
#[test]
fn becoming_master_sends_keepalived_alert_mail() {
    let _serial = serial();
    let (lab, dir) = lab("ksmtp", 1);
    let host = lab.host(0);
    let listener = smtp_listener(host);
    // keel mails every instance transition: BACKUP (init) first, then MASTER.
    let server = std::thread::spawn(move || {
        let mut sessions = Vec::new();
        while sessions.len() < 3 {
            let transcript = serve_one(&listener);
            let done = transcript.contains("MASTER state");
            sessions.push(transcript);
            if done {
                break;
            }
        }
        sessions
    });
    let config = alert_config(
        &["ops@example.org", "oncall@example.org"],
        "  smtp_helo_name mx-r1.example.org\n",
        "",
        73,
    );
    let _keel = start_master(host, dir.path(), &config);
    let sessions = server.join().expect("SMTP sessions");
    assert!(
        sessions[0].contains("Entering BACKUP state"),
        "{sessions:?}"
    );
    let transcript = sessions.last().unwrap();
    assert!(
        transcript.starts_with("HELO mx-r1.example.org\r\n"),
        "{transcript}"
    );
    assert!(
        transcript.contains("MAIL FROM:<keel@example.org>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("RCPT TO:<ops@example.org>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("RCPT TO:<oncall@example.org>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Subject: [r1] VRRP Instance VI_1 - Entering MASTER state"),
        "{transcript}"
    );
    assert!(
        transcript.contains("=> VRRP Instance is now owning VRRP VIPs <="),
        "{transcript}"
    );
}

// Input: the same alerting instance with `no_email_faults`; once it is MASTER its interface
// goes down, so it enters FAULT.
// Output: the FAULT transition is logged, but no SMTP session follows the MASTER mail.
#[test]
fn no_email_faults_sends_no_mail_for_fault() {
    let _serial = serial();
    let (lab, dir) = lab("ksmtpf", 1);
    let host = lab.host(0);
    let listener = smtp_listener(host);
    let server = std::thread::spawn(move || {
        loop {
            if serve_one(&listener).contains("MASTER state") {
                return listener;
            }
        }
    });
    let config = alert_config(&["ops@example.org"], "  no_email_faults\n", "", 74);
    let keel = start_master(host, dir.path(), &config);
    let listener = server.join().expect("the MASTER mail arrives");
    host.ns.ip(&["link", "set", "e0", "down"]);
    assert!(
        logs_within(&keel, Duration::from_secs(5), "Entering FAULT STATE"),
        "{}",
        keel.log_text()
    );
    // A mail would be on its way at once; give it two seconds to show up.
    listener.set_nonblocking(true).expect("non-blocking");
    std::thread::sleep(Duration::from_secs(2));
    match listener.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(error) => panic!("accept: {error}"),
        Ok(_) => panic!("a mail was sent for FAULT:\n{}", keel.log_text()),
    }
}

// Input: instance VI_1 in sync group G1, both with smtp_alert; VI_1 becomes MASTER; then
// SIGTERM.
// Output: before exiting keel sends keepalived's stop alerts (vrrp_smtp_notifier and
// vrrp_sync_smtp_notifier wording): "[r1] VRRP Instance VI_1 - Stopping" with
// "=> VRRP Instance stopping <=" and "[r1] VRRP Group G1 - Stopping" with "=> All VRRP
// group instances are now stopping <=".
#[test]
fn sigterm_sends_the_stopping_alerts() {
    let _serial = serial();
    let (lab, dir) = lab("ksmtpstop", 1);
    let host = lab.host(0);
    let listener = smtp_listener(host);
    let stop_mails = |sessions: &[String]| {
        let has = |text: &str| sessions.iter().any(|s| s.contains(text));
        has("VRRP Instance VI_1 - Stopping") && has("VRRP Group G1 - Stopping")
    };
    let server =
        std::thread::spawn(move || serve_until(listener, Duration::from_secs(30), stop_mails));
    let config = alert_config(
        &["ops@example.org"],
        "",
        "vrrp_sync_group G1 {\n  group {\n    VI_1\n  }\n  smtp_alert\n}\n",
        74,
    );
    let mut keel = start_master(host, dir.path(), &config);
    // Let the MASTER mails go first.
    std::thread::sleep(Duration::from_millis(500));
    let status = keel.stop(Duration::from_secs(10)).expect("keel exits");
    assert!(status.success(), "{}", keel.log_text());
    let sessions = server.join().expect("SMTP sessions");
    let instance = sessions
        .iter()
        .find(|s| s.contains("Subject: [r1] VRRP Instance VI_1 - Stopping"))
        .unwrap_or_else(|| panic!("no instance stop mail: {sessions:?}\n{}", keel.log_text()));
    assert!(
        instance.contains("=> VRRP Instance stopping <="),
        "{instance}"
    );
    let group = sessions
        .iter()
        .find(|s| s.contains("Subject: [r1] VRRP Group G1 - Stopping"))
        .unwrap_or_else(|| panic!("no group stop mail: {sessions:?}"));
    assert!(
        group.contains("=> All VRRP group instances are now stopping <="),
        "{group}"
    );
}
