//! Quorum, hysteresis and the sorry server (spec §3.13).

mod common;

use common::*;
use keel_check::*;
use keel_lb::{DestKey, Destination, Op};

const VIP: &str = "192.168.201.15";

fn four_servers(quorum: u32, hysteresis: u32) -> VirtualServerConfig {
    let mut vs = virtual_server(VIP, 80, 5);
    vs.quorum = quorum;
    vs.hysteresis = hysteresis;
    vs.timing.retry = Some(0);
    vs.quorum_up = Some("/bin/quorum-up".into());
    vs.quorum_down = Some("/bin/quorum-down".into());
    for i in 1..=4 {
        vs.real_servers.push(tcp_server(&format!("10.0.0.{i}")));
    }
    vs
}

fn vs_lines(lab: &Lab) -> Vec<(f64, String)> {
    lab.fifo()
        .into_iter()
        .filter(|(_, line)| line.starts_with("VS "))
        .map(|(t, line)| (t.as_secs_f64(), line))
        .collect()
}

// Input: quorum 3, hysteresis 1, four servers of weight 1. Servers die one by one (probes at
// 5, 10, 15), then come back one by one (20, 25, 30).
// Output: the quorum holds at 3 and 2 alive (not below 3 − 1), is lost at 1 (15 s); it is
// regained only at 4 alive (≥ 3 + 1, at 30 s). quorum_down / quorum_up run once each.
#[test]
fn hysteresis_widens_the_band_both_ways() {
    let mut lab = Lab::new(config(vec![four_servers(3, 1)]));
    lab.run_until(secs(1.0));
    for (t, server) in [
        (1.0, "10.0.0.1:80"),
        (6.0, "10.0.0.2:80"),
        (11.0, "10.0.0.3:80"),
    ] {
        lab.run_until(secs(t));
        lab.set(server, Health::Down);
    }
    for (t, server) in [
        (16.0, "10.0.0.1:80"),
        (21.0, "10.0.0.2:80"),
        (26.0, "10.0.0.3:80"),
    ] {
        lab.run_until(secs(t));
        lab.set(server, Health::Up);
    }
    lab.run_until(secs(31.0));

    assert_eq!(
        vs_lines(&lab),
        vec![
            (15.0, "VS [192.168.201.15]:tcp:80 DOWN".to_string()),
            (30.0, "VS [192.168.201.15]:tcp:80 UP".to_string()),
        ]
    );
    assert_eq!(
        lab.scripts(),
        vec!["/bin/quorum-down".to_string(), "/bin/quorum-up".to_string()]
    );
}

// Input: quorum 2, no hysteresis; two of four servers die at once.
// Output: still 2 ≥ 2: no change; the third death loses the quorum.
#[test]
fn quorum_without_hysteresis_is_a_plain_threshold() {
    let mut lab = Lab::new(config(vec![four_servers(2, 0)]));
    lab.set("10.0.0.1:80", Health::Down);
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(6.0));
    assert!(lab.checks.virtual_servers()[0].quorum_up);
    lab.set("10.0.0.3:80", Health::Down);
    lab.run_until(secs(11.0));
    assert!(!lab.checks.virtual_servers()[0].quorum_up);
}

fn with_sorry(inhibit: bool) -> VirtualServerConfig {
    let mut vs = four_servers(3, 0);
    let mut sorry = SorryServerConfig::new("10.0.0.99".parse().unwrap());
    sorry.inhibit = inhibit;
    vs.sorry_server = Some(sorry);
    vs
}

fn dest(address: &str) -> DestKey {
    DestKey::new(address.parse().unwrap(), 80)
}

// Input: quorum 3 with a sorry server; two servers die (probes at 5 s), then come back (10 s).
// Output: the first death only removes that server (3 ≥ 3); the second loses the quorum: the
// sorry server is added, then the remaining alive servers removed — adds first, so the
// service is never empty; on the gain the reverse.
#[test]
fn sorry_server_replaces_the_alive_servers_while_quorum_is_lost() {
    let mut lab = Lab::new(config(vec![with_sorry(false)]));
    lab.run_until(secs(1.0));
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.99:80"), None);
    lab.clear_log();
    lab.set("10.0.0.1:80", Health::Down);
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(6.0));
    let vip = service(VIP, 80);
    assert_eq!(
        lab.ops.iter().map(|(_, op)| op.clone()).collect::<Vec<_>>(),
        vec![
            Op::DelDest {
                service: vip,
                dest: dest("10.0.0.1")
            },
            Op::AddDest {
                service: vip,
                dest: dest("10.0.0.99"),
                destination: Destination::nat(1)
            },
            Op::DelDest {
                service: vip,
                dest: dest("10.0.0.2")
            },
            Op::DelDest {
                service: vip,
                dest: dest("10.0.0.3")
            },
            Op::DelDest {
                service: vip,
                dest: dest("10.0.0.4")
            },
        ]
    );
    assert!(lab.checks.virtual_servers()[0].sorry_server_active);

    lab.clear_log();
    lab.set("10.0.0.1:80", Health::Up);
    lab.set("10.0.0.2:80", Health::Up);
    lab.run_until(secs(11.0));
    let after: Vec<Op> = lab.ops.iter().map(|(_, op)| op.clone()).collect();
    // .1 returns: 3 alive ≥ 3, quorum gained: .1, .3, .4 in, then the sorry server out;
    // then .2 returns on its own.
    assert_eq!(after.len(), 5, "{after:?}");
    assert!(after[..3].iter().all(|op| matches!(op, Op::AddDest { .. })));
    assert_eq!(
        after[3],
        Op::DelDest {
            service: vip,
            dest: dest("10.0.0.99")
        }
    );
    assert!(matches!(after[4], Op::AddDest { dest: d, .. } if d == dest("10.0.0.2")));
    assert_eq!(lab.applied.service(&vip).unwrap().destinations.len(), 4);
}

// Input: sorry_server_inhibit; quorum lost then regained.
// Output: the sorry server is always in the table: weight 0, 1 during the loss, 0 again.
#[test]
fn inhibited_sorry_server_stays_at_weight_zero_when_unused() {
    let mut lab = Lab::new(config(vec![with_sorry(true)]));
    let vip = service(VIP, 80);
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), Some(0));
    lab.set("10.0.0.1:80", Health::Down);
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(6.0));
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), Some(1));
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(11.0));
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), Some(0));
    assert!(
        lab.ops
            .iter()
            .all(|(_, op)| !matches!(op, Op::DelDest { dest: d, .. } if *d == dest("10.0.0.99")))
    );
}

// Input: sorry server with its own lvs_method (DR) while the virtual server uses NAT.
// Output: the sorry destination is programmed with DR.
#[test]
fn sorry_server_uses_its_own_method() {
    let mut vs = with_sorry(false);
    if let Some(sorry) = vs.sorry_server.as_mut() {
        sorry.method = Some(ForwardingMethod::DirectRouting);
    }
    vs.alpha = true;
    let lab = Lab::new(config(vec![vs]));
    let destination = lab
        .applied
        .destination(&service(VIP, 80), &dest("10.0.0.99"))
        .copied();
    assert_eq!(
        destination.map(|d| d.method),
        Some(ForwardingMethod::DirectRouting)
    );
}

// Input: alpha servers (all start down) and a sorry server.
// Output: keel starts with the quorum down: the sorry server is in at once, "VS ... DOWN" is
// written; when enough servers pass their first check it is swapped out.
#[test]
fn starting_without_quorum_installs_the_sorry_server() {
    let mut vs = with_sorry(false);
    vs.alpha = true;
    let mut lab = Lab::new(config(vec![vs]));
    let vip = service(VIP, 80);
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), Some(1));
    assert_eq!(
        vs_lines(&lab),
        vec![(0.0, "VS [192.168.201.15]:tcp:80 DOWN".to_string())]
    );
    lab.run_until(secs(1.0));
    assert_eq!(lab.weight(&vip, "10.0.0.99:80"), None);
    assert_eq!(lab.applied.service(&vip).unwrap().destinations.len(), 4);
}

// Input: quorum 10 but the servers weigh 4 in total.
// Output: keepalived's correction (check_data.c): quorum lowered to 4, so all four up ⇒ up,
// and one down ⇒ lost.
#[test]
fn impossible_quorum_is_lowered_to_the_total_weight() {
    let mut lab = Lab::new(config(vec![four_servers(10, 0)]));
    assert!(lab.checks.virtual_servers()[0].quorum_up);
    lab.set("10.0.0.4:80", Health::Down);
    lab.run_until(secs(1.0));
    assert!(!lab.checks.virtual_servers()[0].quorum_up);
}

// Input: smtp_alert on the virtual server; quorum lost.
// Output: an alert "Virtualserver [..]:tcp:80 - DOWN" with keepalived's numbers
// (quorum+hysteresis=threshold <= weight).
#[test]
fn quorum_changes_send_mail_when_asked() {
    let mut vs = four_servers(3, 0);
    vs.smtp_alert = true;
    let mut lab = Lab::new(config(vec![vs]));
    lab.set("10.0.0.1:80", Health::Down);
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(1.0));
    let alerts: Vec<SmtpAlert> = lab
        .events
        .iter()
        .filter_map(|(_, a)| match a {
            Action::Smtp(alert) if alert.subject.starts_with("Virtualserver") => {
                Some(alert.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        alerts,
        vec![SmtpAlert {
            subject: "Virtualserver [192.168.201.15]:tcp:80 - DOWN".into(),
            body: "=> Lost quorum 3+0=3 <= 2 <=".into(),
        }]
    );
}

// Input: every real server has weight 0 (so keepalived clamps the quorum to 0).
// Output: the pool never holds the quorum: it starts lost (sorry server in), and checker
// transitions do not flap it up and down.
#[test]
fn a_pool_of_zero_weight_never_holds_the_quorum() {
    let mut vs = with_sorry(false);
    for rs in &mut vs.real_servers {
        rs.weight = 0;
    }
    let mut lab = Lab::new(config(vec![vs]));
    assert!(!lab.checks.virtual_servers()[0].quorum_up);
    assert_eq!(lab.weight(&service(VIP, 80), "10.0.0.99:80"), Some(1));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(6.0));
    lab.set("10.0.0.1:80", Health::Up);
    lab.run_until(secs(11.0));
    assert_eq!(
        vs_lines(&lab),
        vec![(0.0, "VS [192.168.201.15]:tcp:80 DOWN".to_string())]
    );
}
