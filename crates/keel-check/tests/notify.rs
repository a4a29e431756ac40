//! Notifications: scripts, FIFO lines (spec §3.8), SMTP alerts, shutdown.

mod common;

use common::*;
use keel_check::*;

const VIP: &str = "192.168.201.15";

fn notifying(omega: bool) -> CheckConfig {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.timing.retry = Some(0);
    vs.omega = omega;
    vs.smtp_alert = true;
    vs.quorum_up = Some("/bin/qup".into());
    vs.quorum_down = Some("/bin/qdown VS1".into());
    let mut rs = tcp_server("1.2.3.4");
    rs.notify_up = Some("/bin/rs-up 1.2.3.4".into());
    rs.notify_down = Some("/bin/rs-down 1.2.3.4".into());
    vs.real_servers.push(rs);
    config(vec![vs])
}

// Input: the only real server fails, then recovers.
// Output: in keepalived's order: notify_down, its RS FIFO line, the checker's SMTP alert;
// then the lost quorum: quorum_down, the VS FIFO line, its SMTP alert. The recovery mirrors it.
#[test]
fn a_failure_runs_scripts_then_fifo_then_mail() {
    let mut lab = Lab::new(notifying(false));
    lab.run_until(secs(1.0));
    lab.set("1.2.3.4:80", Health::Down);
    lab.run_until(secs(6.0));
    let down: Vec<Action> = lab.events.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(
        down,
        vec![
            Action::Notify {
                script: "/bin/rs-down 1.2.3.4".into(),
                event: NotifyEvent::RealServerDown
            },
            Action::FifoLine("RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN".into()),
            Action::Notify {
                script: "/bin/qdown VS1".into(),
                event: NotifyEvent::QuorumDown
            },
            Action::FifoLine("VS [192.168.201.15]:tcp:80 DOWN".into()),
            Action::Smtp(SmtpAlert {
                subject: "Virtualserver [192.168.201.15]:tcp:80 - DOWN".into(),
                body: "=> Lost quorum 1+0=1 <= 0 <=".into(),
            }),
            Action::Smtp(SmtpAlert {
                subject:
                    "Realserver [1.2.3.4]:tcp:80 of virtual server [192.168.201.15]:tcp:80 - DOWN"
                        .into(),
                body: "=> TCP_CHECK failed on service: connection refused <=".into(),
            }),
        ]
    );
    lab.events.clear();
    lab.set("1.2.3.4:80", Health::Up);
    lab.run_until(secs(11.0));
    assert_eq!(
        lab.fifo_lines(),
        vec![
            "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP".to_string(),
            "VS [192.168.201.15]:tcp:80 UP".to_string(),
        ]
    );
    assert_eq!(
        lab.scripts(),
        vec!["/bin/rs-up 1.2.3.4".to_string(), "/bin/qup".to_string()]
    );
}

// Input: a healthy start, with and without rs_init_notifies.
// Output: no notification by default; with rs_init_notifies, notify_up and the UP line.
#[test]
fn startup_is_silent_unless_rs_init_notifies() {
    let lab = Lab::new(notifying(false));
    assert!(lab.events.is_empty());
    let mut config = notifying(false);
    config.rs_init_notifies = true;
    let lab = Lab::new(config);
    assert_eq!(lab.scripts(), vec!["/bin/rs-up 1.2.3.4".to_string()]);
    assert_eq!(
        lab.fifo_lines(),
        vec!["RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP".to_string()]
    );
}

// Input: Stop, with omega.
// Output: down notifiers for the alive server and the quorum ("=> Shutting down <="), no
// more timers, and an empty wanted load balancer.
#[test]
fn stop_with_omega_runs_the_down_notifiers() {
    let mut lab = Lab::new(notifying(true));
    lab.run_until(secs(1.0));
    lab.input(Input::Stop);
    assert_eq!(
        lab.scripts(),
        vec![
            "/bin/rs-down 1.2.3.4".to_string(),
            "/bin/qdown VS1".to_string()
        ]
    );
    assert_eq!(
        lab.fifo_lines(),
        vec![
            "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN".to_string(),
            "VS [192.168.201.15]:tcp:80 DOWN".to_string(),
        ]
    );
    assert!(
        lab.events
            .iter()
            .any(|(_, a)| matches!(a, Action::Smtp(m) if m.body == "=> Shutting down <="))
    );
    assert_eq!(lab.checks.poll_timeout(), None);
    assert!(lab.applied.services.is_empty());
}

// Input: Stop without omega.
// Output: no notifier at all; the load balancer is emptied all the same.
#[test]
fn stop_without_omega_is_silent() {
    let mut lab = Lab::new(notifying(false));
    lab.run_until(secs(1.0));
    lab.input(Input::Stop);
    assert!(lab.events.is_empty());
    assert!(lab.applied.services.is_empty());
}

// Input: a server of weight 2 on an IPv6 UDP virtual server fails.
// Output: FIFO lines in keepalived's trio format with brackets and `udp`.
#[test]
fn fifo_lines_name_protocol_and_ipv6_like_keepalived() {
    let mut vs = virtual_server("2001:db8::15", 53, 5);
    vs.protocol = keel_lb::Protocol::Udp;
    vs.timing.retry = Some(0);
    vs.real_servers
        .push(real_server("2001:db8::1", ProbeKind::Ping));
    let mut lab = Lab::new(config(vec![vs]));
    lab.set("[2001:db8::1]:53", Health::Down);
    lab.run_until(secs(0.0));
    assert_eq!(
        lab.fifo_lines(),
        vec![
            "RS [2001:db8::1]:udp:53 [2001:db8::15]:udp:53 DOWN".to_string(),
            "VS [2001:db8::15]:udp:53 DOWN".to_string(),
        ]
    );
}
