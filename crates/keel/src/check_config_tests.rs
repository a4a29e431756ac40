//! Scenarios: a keepalived.conf's LVS half, as the checker process will run it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use keel_check::{
    CheckerId, CheckerPath, ForwardingMethod, GroupEntry, ProbeKind, ProbeRequest, Protocol,
    VirtualServerTarget,
};
use keel_conf::memfs::{FakeHost, MemoryFs};
use keel_conf::preprocess::PreprocessOptions;
use keel_lb::Scheduler;

use super::{BackendChoice, CheckPlan};

fn plan(text: &str) -> CheckPlan {
    let mut fs = MemoryFs::new().with_file("/etc/keepalived/keepalived.conf", text);
    for program in ["/bin/echo", "/usr/bin/logger", "/bin/true"] {
        fs.add_file(program, "#!/bin/sh\n");
        fs.set_mode(program, 0o755);
    }
    let loaded = keel_conf::load(
        &fs,
        &FakeHost::new(),
        Path::new("/etc/keepalived/keepalived.conf"),
        &PreprocessOptions::default(),
    );
    for diagnostic in &loaded.diagnostics {
        eprintln!("{}", diagnostic.render(&loaded.sources));
    }
    CheckPlan::from_config(&loaded.config)
}

const WEB: &str = "
global_defs {
  router_id lb1
  lvs_notify_fifo /run/lvs.fifo
  smtp_server 127.0.0.1 2525
  notification_email {
    ops@example.com
  }
  notification_email_from lb@example.com
  smtp_alert_checker
  keel_lb_backend nftables
  lvs_flush
  lvs_flush_on_stop
  lvs_timeouts tcp 900 tcpfin 120 udp 300
}
virtual_server 192.0.2.10 80 {
  delay_loop 2
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  persistence_timeout 30
  quorum 2
  hysteresis 1
  quorum_up \"/bin/echo up\"
  sorry_server 192.0.2.99 8080
  real_server 10.0.0.1 8080 {
    weight 3
    inhibit_on_failure
    notify_down \"/usr/bin/logger -t lb 'rs down'\"
    HTTP_GET {
      url {
        path /health
        status_code 200-204
      }
      connect_timeout 2
      retry 4
      delay_before_retry 1
    }
  }
  real_server 10.0.0.2 8080 {
    TCP_CHECK {
      connect_port 9000
      bindto 10.0.0.254
    }
    MISC_CHECK {
      misc_path \"/bin/true\"
      misc_timeout 7
      misc_dynamic
    }
  }
}
";

#[test]
fn an_http_and_tcp_pool_keeps_its_options() {
    // Input: one NAT virtual server, wrr, persistence, quorum 2/hysteresis 1, a sorry
    // server, two real servers with HTTP_GET, TCP_CHECK and MISC_CHECK.
    // Output: keel-check sees the same servers, weights, scheduler, quorum and timings.
    let plan = plan(WEB);
    assert_eq!(plan.warnings, Vec::<String>::new());
    let vs = &plan.check.virtual_servers[0];
    assert_eq!(
        vs.target,
        VirtualServerTarget::Address {
            address: "192.0.2.10".parse().unwrap(),
            port: 80
        }
    );
    assert_eq!(vs.protocol, Protocol::Tcp);
    assert_eq!(vs.method, ForwardingMethod::Nat);
    assert_eq!(vs.settings.scheduler, Scheduler::Wrr);
    assert_eq!(vs.settings.persistence.map(|p| p.timeout), Some(30));
    assert_eq!((vs.quorum, vs.hysteresis), (2, 1));
    assert_eq!(vs.quorum_up.as_deref(), Some("/bin/echo up"));
    let sorry = vs.sorry_server.unwrap();
    assert_eq!(
        (sorry.address.to_string(), sorry.port),
        ("192.0.2.99".into(), Some(8080))
    );
    assert!(
        vs.smtp_alert,
        "smtp_alert_checker turns alerts on for the checkers"
    );

    let web = &vs.real_servers[0];
    assert_eq!((web.weight, web.inhibit_on_failure), (3, Some(true)));
    assert_eq!(
        web.notify_down.as_deref(),
        Some("/usr/bin/logger -t lb 'rs down'")
    );
    let http = &web.checkers[0];
    assert_eq!(http.timing.delay_loop, Some(Duration::from_secs(2)));
    assert_eq!(http.timing.retry, Some(4));
    assert_eq!(http.timing.connect_timeout, Some(Duration::from_secs(2)));
    let ProbeKind::Http(probe) = &http.probe.kind else {
        panic!("HTTP_GET maps to an HTTP probe: {:?}", http.probe.kind)
    };
    assert_eq!(probe.urls[0].status_codes, vec![200..=204]);

    let app = &vs.real_servers[1];
    assert_eq!(app.checkers[0].probe.connect.connect_port, Some(9000));
    assert_eq!(
        app.checkers[1].timing.retry,
        Some(0),
        "MISC_CHECK's retry is 0"
    );
}

#[test]
fn global_settings_reach_the_checker_process() {
    // Input: global_defs with router_id, lvs_notify_fifo, an SMTP server, lvs_flush,
    // lvs_flush_on_stop, lvs_timeouts and keel_lb_backend nftables.
    // Output: each lands in the checker's settings.
    let settings = plan(WEB).settings;
    assert_eq!(settings.router_id, "lb1");
    assert_eq!(
        settings.fifos,
        vec![Path::new("/run/lvs.fifo").to_path_buf()]
    );
    let smtp = settings.smtp.unwrap();
    assert_eq!((smtp.host.as_str(), smtp.port), ("127.0.0.1", 2525));
    assert_eq!(smtp.to, vec!["ops@example.com".to_string()]);
    assert!(settings.lvs_flush);
    assert_eq!(settings.lvs_flush_on_stop, Some(false));
    assert_eq!(settings.backend, BackendChoice::Nftables);
    assert_eq!(settings.lvs_timeouts, [900, 120, 300]);
}

#[test]
fn thresholds_persistence_engine_and_rs_init_notifies_reach_the_checker() {
    // Input: rs_init_notifies in global_defs; a UDP virtual server with
    // `persistence_engine sip` and a real server with uthreshold 100 and lthreshold 10.
    // Output: the checker notifies real servers found up at start-up, and the virtual
    // server and destination it installs carry the engine and both thresholds (IPVS's
    // `pe_name`, `u_threshold`, `l_threshold`; `ipvsadm -Ln --thresholds` shows them).
    let plan = plan(
        "global_defs {\n  rs_init_notifies\n}\n\
         virtual_server 192.0.2.20 5060 {\n  protocol UDP\n  lvs_sched rr\n  \
         persistence_timeout 60\n  persistence_engine sip\n  \
         real_server 10.0.0.5 5060 {\n    uthreshold 100\n    lthreshold 10\n  }\n  \
         real_server 10.0.0.6 5060 {\n  }\n}\n",
    );
    assert_eq!(plan.warnings, Vec::<String>::new());
    assert!(plan.check.rs_init_notifies);
    let vs = &plan.check.virtual_servers[0];
    assert_eq!(vs.settings.persistence_engine.as_deref(), Some("sip"));
    let thresholds: Vec<(u32, u32)> = vs
        .real_servers
        .iter()
        .map(|rs| (rs.upper_threshold, rs.lower_threshold))
        .collect();
    assert_eq!(thresholds, vec![(100, 10), (0, 0)]);
}

#[test]
fn a_probe_request_carries_target_bind_and_timeout() {
    // Input: keel-check asks for the TCP_CHECK of the second real server (connect_port
    // 9000, bindto 10.0.0.254) and the MISC_CHECK (misc_timeout 7).
    // Output: keel-probe requests with that target, source address and timeouts.
    let plan = plan(WEB);
    let request = |checker, destination: &str, timeout| ProbeRequest {
        checker: CheckerId(1),
        path: CheckerPath {
            virtual_server: 0,
            real_server: 1,
            checker,
        },
        destination: destination.parse().unwrap(),
        // probe_request reads only the path, destination and timeout.
        probe: std::sync::Arc::new(
            plan.check.virtual_servers[0].real_servers[1].checkers[0]
                .probe
                .clone(),
        ),
        timeout,
    };
    let tcp = plan
        .probe_request(&request(0, "10.0.0.2:9000", Duration::from_secs(5)))
        .unwrap();
    assert_eq!(tcp.spec, keel_probe::ProbeSpec::Tcp);
    assert_eq!(tcp.target, "10.0.0.2:9000".parse::<SocketAddr>().unwrap());
    assert_eq!(tcp.bind, Some("10.0.0.254:0".parse().unwrap()));
    let misc = plan
        .probe_request(&request(1, "10.0.0.2:8080", Duration::from_secs(7)))
        .unwrap();
    let keel_probe::ProbeSpec::Misc(spec) = misc.spec else {
        panic!("MISC_CHECK maps to a script probe")
    };
    assert_eq!(spec.command, vec!["/bin/true".to_string()]);
    assert_eq!(spec.timeout, Duration::from_secs(7));
    assert!(spec.dynamic);
    // A path from an older configuration finds nothing.
    assert_eq!(
        plan.probe_request(&request(5, "10.0.0.2:1", Duration::ZERO)),
        None
    );
}

#[test]
fn groups_fwmarks_and_every_checker_type_map() {
    // Input: a group with a range and a fwmark, a DR fwmark service with sh, and one real
    // server carrying SMTP, DNS, UDP, PING, SSL and FILE checkers.
    // Output: the group entries, the fwmark target and every checker kind come across.
    let plan = plan(
        "
track_file ready {
  file /run/ready
  weight 5
}
virtual_server_group pool {
  192.0.2.1-3 443
  fwmark 7
}
virtual_server group pool {
  lvs_sched rr
  protocol TCP
  real_server 10.0.0.1 443 { TCP_CHECK { } }
}
virtual_server fwmark 9 {
  lvs_sched sh
  lvs_method DR
  real_server 10.0.0.5 {
    SMTP_CHECK {
      helo_name probe.example
    }
    DNS_CHECK {
      type A
      name example.com
    }
    UDP_CHECK {
      payload 0102
      require_reply 01xx
    }
    PING_CHECK { }
    SSL_GET {
      url {
        path /
      }
    }
    FILE_CHECK {
      track_file ready
    }
  }
}
",
    );
    assert_eq!(
        plan.check.groups[0].entries,
        vec![
            GroupEntry::Range {
                first: "192.0.2.1".parse().unwrap(),
                last: "192.0.2.3".parse().unwrap(),
                port: 443
            },
            GroupEntry::Fwmark {
                mark: 7,
                family: None
            }
        ]
    );
    let fw = &plan.check.virtual_servers[1];
    assert!(matches!(
        fw.target,
        VirtualServerTarget::Fwmark { mark: 9, .. }
    ));
    assert_eq!(fw.method, ForwardingMethod::DirectRouting);
    let kinds: Vec<&str> = fw.real_servers[0]
        .checkers
        .iter()
        .map(|c| c.probe.kind.keyword())
        .collect();
    assert_eq!(
        kinds,
        [
            "SMTP_CHECK",
            "DNS_CHECK",
            "UDP_CHECK",
            "PING_CHECK",
            "SSL_GET",
            "FILE_CHECK"
        ]
    );
    let templates = &plan.probes[1][0];
    let keel_probe::ProbeSpec::Udp(udp) = &templates[2].spec else {
        panic!("UDP_CHECK maps to a UDP probe")
    };
    assert_eq!(udp.payload, vec![1, 2]);
    assert!(udp.require_reply);
    assert!(udp.reply.as_ref().unwrap().matches(&[1, 0x55]));
    assert!(!udp.reply.as_ref().unwrap().matches(&[2, 0x55]));
    let keel_probe::ProbeSpec::Http(ssl) = &templates[4].spec else {
        panic!("SSL_GET maps to an HTTP probe")
    };
    assert!(ssl.tls.is_some());
    let keel_probe::ProbeSpec::File(file) = &templates[5].spec else {
        panic!("FILE_CHECK maps to a file probe")
    };
    assert_eq!((file.path.to_str(), file.weight), (Some("/run/ready"), 5));
}

#[test]
fn an_unknown_backend_spelling_is_a_warning_and_auto() {
    // Input: keel_lb_backend bogus.
    // Output: auto, and one warning naming the accepted spellings.
    let plan = plan("global_defs {\n keel_lb_backend bogus\n}\n");
    assert_eq!(plan.settings.backend, BackendChoice::Auto);
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].contains("auto, ipvs, nftables"));
}

#[test]
fn keel_tcp_check_picks_how_tcp_checks_probe() {
    // Input: no keel_tcp_check; `keel_tcp_check connect`; `keel_tcp_check syn`;
    // `keel_tcp_check bogus`.
    // Output: syn (half-open) by default, connect, syn; bogus is a warning naming the
    // accepted spellings, and syn.
    use crate::check_config::TcpCheckMode;
    assert_eq!(plan("").settings.tcp_check, TcpCheckMode::Syn);
    let connect = plan("global_defs {\n keel_tcp_check connect\n}\n");
    assert_eq!(connect.settings.tcp_check, TcpCheckMode::Connect);
    assert!(connect.warnings.is_empty(), "{:?}", connect.warnings);
    let syn = plan("global_defs {\n keel_tcp_check syn\n}\n");
    assert_eq!(syn.settings.tcp_check, TcpCheckMode::Syn);
    let bogus = plan("global_defs {\n keel_tcp_check bogus\n}\n");
    assert_eq!(bogus.settings.tcp_check, TcpCheckMode::Syn);
    assert_eq!(bogus.warnings.len(), 1);
    assert!(bogus.warnings[0].contains("syn, connect"));
}

#[test]
fn every_digest_of_a_url_reaches_the_probe() {
    // Input: an HTTP_GET url with two `digest` lines (keepalived 2.2.7 accepts several; a
    // body matching any one passes).
    // Output: no "only the first digest" warning; keel-check and keel-probe both hold the
    // two digests, in order.
    let plan = plan(
        "
virtual_server 192.0.2.10 80 {
  real_server 10.0.0.1 80 {
    HTTP_GET {
      url {
        path /
        digest 6f5902ac237024bdd0c176cb93063dc4
        digest 5D41402ABC4B2A76B9719D911017C592
      }
    }
  }
}
",
    );
    assert_eq!(plan.warnings, Vec::<String>::new());
    let checker = &plan.check.virtual_servers[0].real_servers[0].checkers[0];
    let ProbeKind::Http(http) = &checker.probe.kind else {
        panic!("HTTP_GET maps to an HTTP probe: {:?}", checker.probe.kind)
    };
    assert_eq!(
        http.urls[0].digests,
        vec![
            "6f5902ac237024bdd0c176cb93063dc4".to_string(),
            "5d41402abc4b2a76b9719d911017c592".to_string()
        ]
    );
    let keel_probe::ProbeSpec::Http(spec) = &plan.probes[0][0][0].spec else {
        panic!("the probe template is HTTP")
    };
    let hex: Vec<String> = spec.urls[0]
        .digests
        .iter()
        .map(|d| keel_probe::http::hex(d))
        .collect();
    assert_eq!(
        hex,
        vec![
            "6f5902ac237024bdd0c176cb93063dc4",
            "5d41402abc4b2a76b9719d911017c592"
        ]
    );
}

// Input: three real servers with the same TCP_CHECK, a fourth whose TCP_CHECK binds to a
// source address, and a fifth like the first three.
// Output: every real server's template says what its block says; the first three share
// one template, the fifth has its own again (only neighbours are compared).
#[test]
fn equal_neighbouring_checkers_share_one_template() {
    let tcp = "real_server 10.0.0.{n} 80 {\n TCP_CHECK {\n connect_timeout 2\n }\n}";
    let bound =
        "real_server 10.0.0.4 80 {\n TCP_CHECK {\n connect_timeout 2\n bindto 10.0.0.99\n }\n}";
    let servers = [
        tcp.replace("{n}", "1"),
        tcp.replace("{n}", "2"),
        tcp.replace("{n}", "3"),
        bound.to_string(),
        tcp.replace("{n}", "5"),
    ]
    .join("\n");
    let plan = plan(&format!(
        "virtual_server 192.168.201.15 80 {{\n delay_loop 1\n protocol TCP\n{servers}\n}}\n"
    ));
    let templates: Vec<_> = plan.probes[0].iter().map(|rs| &rs[0]).collect();
    assert_eq!(templates.len(), 5);
    assert!(std::sync::Arc::ptr_eq(templates[0], templates[1]));
    assert!(std::sync::Arc::ptr_eq(templates[0], templates[2]));
    assert_eq!(
        templates[3].bind.map(|bind| bind.ip().to_string()),
        Some("10.0.0.99".into())
    );
    assert_eq!(templates[4].bind, None);
    assert_eq!(templates[4], templates[0]);
    assert!(!std::sync::Arc::ptr_eq(templates[0], templates[4]));
}
