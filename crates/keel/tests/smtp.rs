//! `smtp_alert`: keel mails keepalived's alert to `notification_email` through
//! `smtp_server` when an instance becomes MASTER. The server is a minimal SMTP responder on
//! the router's loopback.
//!
//! Needs root.

mod vrrp_lab;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use vrrp_lab::{Daemon, holds, lab, serial, start, wait_until};

/// Answers one SMTP session as a server that accepts everything; returns what the client
/// sent.
fn serve_one(listener: &TcpListener) -> String {
    let (stream, _) = listener.accept().expect("accept");
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
    host.ns.ip(&["link", "set", "lo", "up"]);
    let listener = host
        .ns
        .run_in(|| TcpListener::bind("127.0.0.1:2525").expect("bind 2525 in the namespace"));
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
    let _keel = start(
        Daemon::Keel,
        host,
        dir.path(),
        "keel",
        "global_defs {\n  router_id r1\n  notification_email {\n    ops@example.org\n    \
         oncall@example.org\n  }\n  notification_email_from keel@example.org\n  \
         smtp_server 127.0.0.1 2525\n  smtp_connect_timeout 5\n  \
         smtp_helo_name mx-r1.example.org\n}\n\
         vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 73\n  \
         priority 150\n  advert_int 1\n  smtp_alert\n  virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n",
    );
    assert!(wait_until(Duration::from_secs(6), || holds(host, "10.88.0.100")).is_some());
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
    host.ns.ip(&["link", "set", "lo", "up"]);
    let listener = host
        .ns
        .run_in(|| TcpListener::bind("127.0.0.1:2525").expect("bind 2525 in the namespace"));
    let server = std::thread::spawn(move || {
        loop {
            if serve_one(&listener).contains("MASTER state") {
                return listener;
            }
        }
    });
    let keel = start(
        Daemon::Keel,
        host,
        dir.path(),
        "keel",
        "global_defs {\n  router_id r1\n  notification_email {\n    ops@example.org\n  }\n  \
         notification_email_from keel@example.org\n  smtp_server 127.0.0.1 2525\n  \
         smtp_connect_timeout 5\n  no_email_faults\n}\n\
         vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 74\n  \
         priority 150\n  advert_int 1\n  smtp_alert\n  virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n",
    );
    assert!(wait_until(Duration::from_secs(6), || holds(host, "10.88.0.100")).is_some());
    let listener = server.join().expect("the MASTER mail arrives");
    host.ns.ip(&["link", "set", "e0", "down"]);
    assert!(
        wait_until(Duration::from_secs(5), || keel
            .log_text()
            .contains("Entering FAULT STATE"))
        .is_some(),
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
