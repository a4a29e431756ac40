//! Scenario tests of the LVS blocks. Expected verdicts were observed with `keepalived -t`
//! 2.2.7 in a namespace with eth0..eth3 (the same configurations, one keyword each).

use std::net::IpAddr;

use crate::Config;
use crate::diag::{Class, Diagnostic, Severity, exit_code};
use crate::model::Seconds;
use crate::model::lvs::{
    CheckerKind, Family, Granularity, GroupEntry, Method, Protocol, Scheduler, Service, Tunnel,
    TunnelChecksum,
};
use crate::testing::{Fake, lines};

pub(super) fn host() -> Fake {
    Fake::corpus().with_file("/bin/true", 0o755)
}

pub(super) fn parse(text: &str) -> (Config, Vec<Diagnostic>) {
    let host = host();
    crate::parse(&lines(text), &host, &host)
}

/// A virtual server on 10.0.0.1:80 with scheduler, method and protocol set, so only the
/// keywords under test produce diagnostics.
pub(super) fn vs(body: &str) -> String {
    format!(
        "virtual_server 10.0.0.1 80 {{\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n{body}}}\n"
    )
}

/// `vs` with one real server 10.0.0.2:80 holding `rs_body`.
pub(super) fn vs_rs(rs_body: &str) -> String {
    vs(&format!(" real_server 10.0.0.2 80 {{\n{rs_body} }}\n"))
}

pub(super) fn find<'a>(diagnostics: &'a [Diagnostic], needle: &str) -> &'a Diagnostic {
    diagnostics
        .iter()
        .find(|d| d.message.contains(needle))
        .unwrap_or_else(|| panic!("no diagnostic with '{needle}' in {diagnostics:#?}"))
}

pub(super) fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

pub(super) fn secs(s: u64) -> Seconds {
    Seconds::from_secs(s)
}

#[test]
fn keyword_tables_are_sorted_for_binary_search() {
    assert!(super::keywords_sorted());
}

#[test]
fn a_complete_virtual_server_reads_with_keepalived_defaults() {
    // Input: scheduler, method, protocol and one real server with a bare TCP_CHECK.
    // Output: no diagnostics; delay_loop 60 s, quorum 1, weight 1; the checker has retry 1,
    // delay_before_retry 1 s, connect_timeout 5 s, warmup = delay_loop.
    let (config, diagnostics) = parse(&vs_rs("  TCP_CHECK {\n  }\n"));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(exit_code(&diagnostics), 0);
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!(
        vs.service,
        Service::Address {
            address: ip("10.0.0.1"),
            port: 80
        }
    );
    assert_eq!(
        (vs.lvs_sched, vs.lvs_method, vs.protocol),
        (Scheduler::Rr, Method::Nat, Some(Protocol::Tcp))
    );
    assert_eq!((vs.delay_loop, vs.quorum, vs.hysteresis), (secs(60), 1, 0));
    assert_eq!(vs.ip_family, Some(Family::Inet));
    let rs = &vs.real_servers[0];
    assert_eq!((rs.address, rs.port, rs.weight), (ip("10.0.0.2"), 80, 1));
    let o = &rs.checkers[0].options;
    assert_eq!(rs.checkers[0].kind, CheckerKind::Tcp);
    assert_eq!(
        (
            o.retry,
            o.delay_before_retry,
            o.connect_timeout,
            o.warmup,
            o.delay_loop
        ),
        (1, secs(1), secs(5), secs(60), secs(60))
    );
    assert!(!o.alpha);
}

#[test]
fn checker_options_inherit_from_real_then_virtual_server() {
    // Input: retry/delay_before_retry/connect_timeout/warmup on the virtual server (after
    // its real servers, which keepalived allows), other values on the first real server,
    // and a checker that sets its own connect_timeout.
    // Output: checker > real server > virtual server > default, option by option.
    let text = vs(
        " real_server 10.0.0.2 80 {\n  retry 4\n  delay_loop 9\n  alpha\n  TCP_CHECK {\n   connect_timeout 2.5\n  }\n }\n real_server 10.0.0.3 80 {\n  TCP_CHECK {\n  }\n }\n retry 2\n delay_before_retry 6\n connect_timeout 8\n warmup 0\n",
    );
    let (config, diagnostics) = parse(&text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let vs = &config.lvs.virtual_servers[0];
    let first = &vs.real_servers[0].checkers[0].options;
    assert_eq!(first.connect_timeout, Seconds::from_micros(2_500_000));
    assert_eq!(
        (first.retry, first.delay_loop, first.alpha),
        (4, secs(9), true)
    );
    assert_eq!((first.delay_before_retry, first.warmup), (secs(6), secs(0)));
    let second = &vs.real_servers[1].checkers[0].options;
    assert_eq!(
        (
            second.retry,
            second.connect_timeout,
            second.delay_loop,
            second.alpha
        ),
        (2, secs(8), secs(60), false)
    );
}

#[test]
fn missing_scheduler_method_and_protocol_warn_and_take_keepalived_defaults() {
    // Input: a virtual server with only a real server.
    // Output: three warnings (exit 5, as keepalived 2.2.7); wlc, NAT, and UDP — keepalived
    // 2.2.7's default protocol.
    let (config, diagnostics) =
        parse("virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}\n");
    find(&diagnostics, "no protocol set - defaulting to UDP");
    find(&diagnostics, "no scheduler set, setting default 'wlc'");
    find(
        &diagnostics,
        "no forwarding method set, setting default NAT",
    );
    assert_eq!(exit_code(&diagnostics), 5);
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!(
        (vs.lvs_sched, vs.lvs_method, vs.protocol),
        (Scheduler::Wlc, Method::Nat, Some(Protocol::Udp))
    );
}

#[test]
fn deprecated_synonyms_are_noted_or_warned_like_keepalived() {
    // Input: lb_algo/lb_kind (accepted silently by keepalived 2.2.7) and nb_get_retry in
    // HTTP_GET (warned about by keepalived).
    // Output: notes naming lvs_sched/lvs_method (exit 0); a warning naming retry (exit 5),
    // and the values are used.
    let text = "virtual_server 10.0.0.1 80 {\n lb_algo sh\n lb_kind DR\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}\n";
    let (config, diagnostics) = parse(text);
    let note = find(
        &diagnostics,
        "'lb_algo' is deprecated - please use 'lvs_sched'",
    );
    assert_eq!(note.severity, Severity::Note);
    find(
        &diagnostics,
        "'lb_kind' is deprecated - please use 'lvs_method'",
    );
    assert_eq!(exit_code(&diagnostics), 0);
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!((vs.lvs_sched, vs.lvs_method), (Scheduler::Sh, Method::Dr));

    let http = vs_rs("  HTTP_GET {\n   nb_get_retry 4\n   url {\n    path /\n   }\n  }\n");
    let (config, diagnostics) = parse(&http);
    let warning = find(
        &diagnostics,
        "'nb_get_retry' is deprecated - please use 'retry'",
    );
    assert_eq!(warning.class, Class::Config);
    assert_eq!(
        config.lvs.virtual_servers[0].real_servers[0].checkers[0]
            .options
            .retry,
        4
    );

    // keepalived 2.2.7 knows nb_get_retry in HTTP_GET/SSL_GET only.
    let (_, diagnostics) = parse(&vs_rs("  TCP_CHECK {\n   nb_get_retry 4\n  }\n"));
    find(&diagnostics, "unknown keyword 'nb_get_retry'");
}

#[test]
fn out_of_range_values_point_at_the_value() {
    // Input: weight -1 on a real server (line 6, column 10), persistence_timeout 2678401,
    // connect_port 70000, quorum 0.
    // Output: one error each at the value; quorum falls back to 1, weight stays 1.
    let text = vs(
        " persistence_timeout 2678401\n quorum 0\n real_server 10.0.0.2 80 {\n  weight -1\n  TCP_CHECK {\n   connect_port 70000\n  }\n }\n",
    );
    let (config, diagnostics) = parse(&text);
    let weight = find(&diagnostics, "'-1' outside range [0, 2147483647]");
    assert_eq!(weight.span.map(|s| (s.line, s.col)), Some((8, 10)));
    find(&diagnostics, "'2678401' outside range [1, 2678400]");
    let port = find(&diagnostics, "'70000' outside range [1, 65535]");
    assert_eq!(port.span.map(|s| (s.line, s.col)), Some((10, 17)));
    find(&diagnostics, "'0' outside range [1, 4294967295]");
    assert_eq!(exit_code(&diagnostics), 5);
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!((vs.quorum, vs.persistence_timeout), (1, None));
    assert_eq!(vs.real_servers[0].weight, 1);
    assert_eq!(vs.real_servers[0].checkers[0].options.connect_port, None);
}

#[test]
fn virtual_server_groups_hold_addresses_ranges_and_fwmarks() {
    // Input: a single address, a last-byte range, a /30 network, an IPv6 range without
    // port, and fwmark entries; a group with a bad range and a bad address; an empty group.
    // Output: the good group's entries; the bad entries are errors and skipped; the empty
    // group is removed with keepalived's warning.
    let text = "virtual_server_group G {\n 10.0.0.1 80\n 10.0.0.10-20 80\n 10.0.1.0/30 443\n 2001:db8::1-ff\n fwmark 7 inet6\n}\nvirtual_server_group BAD {\n 10.0.2.5-1 80\n 10.0.3.300 80\n 10.0.1.1/24 80\n}\n";
    let (config, diagnostics) = parse(text);
    let groups = &config.lvs.virtual_server_groups;
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0].entries,
        vec![
            GroupEntry::Range {
                first: ip("10.0.0.1"),
                last: ip("10.0.0.1"),
                port: 80
            },
            GroupEntry::Range {
                first: ip("10.0.0.10"),
                last: ip("10.0.0.20"),
                port: 80
            },
            GroupEntry::Range {
                first: ip("10.0.1.0"),
                last: ip("10.0.1.3"),
                port: 443
            },
            GroupEntry::Range {
                first: ip("2001:db8::1"),
                last: ip("2001:db8::ff"),
                port: 0
            },
            GroupEntry::Fwmark {
                mark: 7,
                family: Some(Family::Inet6)
            },
        ]
    );
    let range = find(
        &diagnostics,
        "range end is not greater than address range start",
    );
    assert_eq!(range.span.map(|s| s.line), Some(9));
    find(
        &diagnostics,
        "invalid virtual server group IP address 10.0.3.300",
    );
    find(&diagnostics, "address mask bits not empty - 10.0.1.1/24");
    find(
        &diagnostics,
        "virtual server group BAD has no entries - removing",
    );
}

#[test]
fn a_group_mixing_families_with_a_bare_fwmark_is_removed() {
    // Input: IPv4 and IPv6 addresses and `fwmark 5` without a family.
    // Output: keepalived's error; the group is not kept.
    let (config, diagnostics) =
        parse("virtual_server_group G {\n 10.0.0.1 80\n 2001:db8::1 80\n fwmark 5\n}\n");
    find(
        &diagnostics,
        "cannot have IPv4, IPv6 and fwmark without family",
    );
    assert!(config.lvs.virtual_server_groups.is_empty());
}

#[test]
fn group_services_check_zero_ports_after_the_whole_file() {
    // Input: `virtual_server group G` written before the group, whose address has no port.
    // Output: keepalived's zero-port warning and persistence 360 s; a group that is never
    // defined is only a note (keepalived 2.2.7 exits 0).
    let text = "virtual_server group G {\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}\nvirtual_server_group G {\n 10.0.0.1\n}\n";
    let (config, diagnostics) = parse(text);
    find(
        &diagnostics,
        "[G]:0: zero port only valid for persistent services",
    );
    assert_eq!(config.lvs.virtual_servers[0].persistence_timeout, Some(360));
    let (_, diagnostics) = parse(&text.replace("group G {\n lvs", "group NOPE {\n lvs"));
    assert_eq!(
        find(&diagnostics, "NOPE is not defined").severity,
        Severity::Note
    );
}

#[test]
fn fwmark_services_ignore_protocol_ha_suspend_and_dr_ports() {
    // Input: fwmark 1 with protocol TCP, ha_suspend, DR, a real server with a port and a
    // sorry server with a port.
    // Output: four warnings (exit 5); protocol None, ha_suspend off, ports cleared.
    let text = "virtual_server fwmark 1 {\n lvs_sched rr\n lvs_method DR\n protocol TCP\n ha_suspend\n sorry_server 10.0.0.9 81\n real_server 10.0.0.2 81 {\n }\n}\n";
    let (config, diagnostics) = parse(text);
    find(
        &diagnostics,
        "protocol specified for fwmark - protocol will be ignored",
    );
    find(&diagnostics, "cannot use ha_suspend with fwmarks");
    find(
        &diagnostics,
        "real server [10.0.0.2]:81 has port specified - clearing",
    );
    find(&diagnostics, "sorry server has port specified - clearing");
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!(vs.service, Service::Fwmark { mark: 1 });
    assert_eq!((vs.protocol, vs.ha_suspend), (None, false));
    assert_eq!(vs.real_servers[0].port, 0);
    assert_eq!(vs.sorry_server.as_ref().map(|s| s.port), Some(0));
}

#[test]
fn dr_and_tun_real_servers_take_the_service_port_but_nat_keeps_its_own() {
    // Input: a NAT service with real servers on port 81 (one of them DR), and a real
    // server without a port.
    // Output: the NAT one keeps 81 silently; the DR one is reset to 80 with keepalived's
    // warning; the one without a port serves on 80.
    let text = vs(
        " real_server 10.0.0.2 81 {\n }\n real_server 10.0.0.3 81 {\n  lvs_method DR\n }\n real_server 10.0.0.4 {\n }\n",
    );
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "real server [10.0.0.3]:81 ports don't match - resetting",
    );
    let ports: Vec<u16> = config.lvs.virtual_servers[0]
        .real_servers
        .iter()
        .map(|rs| rs.port)
        .collect();
    assert_eq!(ports, vec![81, 80, 80]);
}

#[test]
fn quorum_above_the_total_weight_is_reduced_and_hysteresis_kept_below_it() {
    // Input: quorum 5, hysteresis 3, two real servers of weight 1 and 2.
    // Output: quorum 3 (the total), hysteresis 2, two warnings.
    let text = vs(
        " quorum 5\n hysteresis 3\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.3 80 {\n  weight 2\n }\n",
    );
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "quorum 5 for [10.0.0.1]:80 exceeds total weight of real servers 3, reducing quorum to 3",
    );
    find(
        &diagnostics,
        "hysteresis 3 >= quorum 3; setting hysteresis to 2",
    );
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!((vs.quorum, vs.hysteresis), (3, 2));
}

#[test]
fn real_servers_that_keepalived_drops_are_dropped() {
    // Input: a duplicate real server, an IPv6 real server in an IPv4 NAT service, an IPv6
    // sorry server, and a service without any real server.
    // Output: one real server kept; the sorry server dropped; the empty service ignored.
    let text = vs(
        " sorry_server 2001:db8::9 80\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.2 80 {\n }\n real_server 2001:db8::2 80 {\n }\n",
    ) + "virtual_server 10.0.0.5 80 {\n lvs_sched rr\n}\n";
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "real server [10.0.0.2]:80 is duplicated - removing second rs",
    );
    find(
        &diagnostics,
        "virtual server and real server 2001:db8::2 don't match - skipping real server",
    );
    find(
        &diagnostics,
        "virtual server and sorry server 2001:db8::9 don't match - skipping sorry server",
    );
    find(&diagnostics, "[10.0.0.5]:80 has no real servers - ignoring");
    assert_eq!(config.lvs.virtual_servers.len(), 1);
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!(vs.real_servers.len(), 1);
    assert!(vs.sorry_server.is_none());
}

#[test]
fn a_sorry_server_that_is_also_a_real_server_takes_its_inhibit_setting() {
    // Input: sorry server 10.0.0.2:80 (no inhibit) and the same real server with
    // inhibit_on_failure.
    // Output: keepalived's warning "... setting on sorry server"; the sorry server inhibits.
    let text =
        vs(" sorry_server 10.0.0.2 80\n real_server 10.0.0.2 80 {\n  inhibit_on_failure\n }\n");
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "inhibit setting differs, setting on sorry server",
    );
    let sorry = config.lvs.virtual_servers[0].sorry_server.as_ref();
    assert_eq!(sorry.map(|s| s.inhibit), Some(true));
}

#[test]
fn tunnel_methods_and_their_options() {
    // Input: TUN type gue port 6080 nocsum on the service; TUN type gre remcsum on a real
    // server; TUN type ipip csum on another; an unknown method.
    // Output: the gue tunnel; errors for remcsum on gre, a checksum on ipip, and FOO.
    let text = "virtual_server 10.0.0.1 80 {\n lvs_sched rr\n lvs_method TUN type gue port 6080 nocsum\n protocol TCP\n real_server 10.0.0.2 80 {\n  lvs_method TUN type gre remcsum\n }\n real_server 10.0.0.3 80 {\n  lvs_method TUN type ipip csum\n }\n real_server 10.0.0.4 80 {\n  lvs_method FOO\n }\n}\n";
    let (config, diagnostics) = parse(text);
    let vs = &config.lvs.virtual_servers[0];
    assert_eq!(
        vs.lvs_method,
        Method::Tun {
            tunnel: Tunnel::Gue { port: 6080 },
            checksum: Some(TunnelChecksum::Nocsum)
        }
    );
    assert_eq!(
        vs.real_servers[0].lvs_method,
        Some(Method::Tun {
            tunnel: Tunnel::Gre,
            checksum: None
        })
    );
    find(
        &diagnostics,
        "gre tunnels do not support remote checksum option",
    );
    find(&diagnostics, "ipip tunnels do not support checksum option");
    find(&diagnostics, "unknown [FOO] routing method for real server");
}

#[test]
fn scheduler_flags_need_their_scheduler_first() {
    // Input: sh-port after `lvs_sched sh`; mh-port and hashed with rr; ops with TCP.
    // Output: sh-port sets flag-2; errors for the others (keepalived exit 5); ops reset.
    let (config, diagnostics) = parse(&vs(
        " lvs_sched sh\n sh-port\n ops\n real_server 10.0.0.2 80 {\n }\n",
    ));
    let vs = &config.lvs.virtual_servers[0];
    assert!(vs.scheduler_flags.flag_2);
    find(
        &diagnostics,
        "one packet scheduling requires UDP - resetting",
    );
    assert!(!vs.ops);
    let (_, diagnostics) =
        parse(&vs_rs("").replace(" lvs_sched rr\n", " lvs_sched rr\n mh-port\n hashed\n"));
    find(&diagnostics, "mh-port only applies to mh scheduler");
    find(&diagnostics, "hashed only applies to sh scheduler");
}

#[test]
fn persistence_and_zero_ports() {
    // Input: a service without a port and no persistence; a bare persistence_timeout; a
    // granularity of 255.255.255.0; a non-solid mask (keepalived 2.2.7 only logs it).
    // Output: zero-port warning and 360 s; 360 s; the netmask; a note for the bad mask.
    let text = "virtual_server 10.0.0.1 {\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n real_server 10.0.0.2 {\n }\n}\n";
    let (config, diagnostics) = parse(text);
    find(
        &diagnostics,
        "zero port only valid for persistent services - setting",
    );
    assert_eq!(config.lvs.virtual_servers[0].persistence_timeout, Some(360));

    let (config, diagnostics) = parse(&vs(
        " persistence_timeout\n persistence_granularity 255.255.255.0\n real_server 10.0.0.2 80 {\n }\n",
    ));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let vs0 = &config.lvs.virtual_servers[0];
    assert_eq!(vs0.persistence_timeout, Some(360));
    assert_eq!(
        vs0.persistence_granularity,
        Some(Granularity::Netmask("255.255.255.0".parse().expect("mask")))
    );

    let (_, diagnostics) = parse(&vs(
        " persistence_granularity 255.0.255.0\n real_server 10.0.0.2 80 {\n }\n",
    ));
    assert_eq!(exit_code(&diagnostics), 0);
    assert_eq!(find(&diagnostics, "not solid").severity, Severity::Note);
}

#[test]
fn ssl_block_and_replacements() {
    // Input: SSL with all four keywords, password given twice, then a second SSL block.
    // Output: the second block's context; two warnings "already specified - replacing".
    let text = "SSL {\n password x\n password y\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/k.pem\n}\nSSL {\n ca /etc/other.pem\n}\n";
    let (config, diagnostics) = parse(text);
    find(&diagnostics, "SSL password already specified - replacing");
    find(&diagnostics, "SSL context already specified - replacing");
    assert_eq!(exit_code(&diagnostics), 5);
    let ssl = config.lvs.ssl.expect("an SSL context");
    assert_eq!(
        (ssl.ca.as_deref(), ssl.password),
        (Some("/etc/other.pem"), None)
    );
}

#[test]
fn every_checker_script_is_listed_for_the_daemon() {
    // Input: quorum_up, quorum_down, a real server's notify_up and a MISC_CHECK.
    // Output: `Lvs::scripts()` yields the four commands, in file order per server.
    let text = "global_defs {\n enable_script_security\n}\n".to_owned()
        + &vs(
            " quorum_up \"/bin/true q-up\" root\n quorum_down \"/bin/true q-down\" root\n real_server 10.0.0.2 80 {\n  notify_up \"/bin/true n-up\" root\n  MISC_CHECK {\n   misc_path \"/bin/true misc\"\n   user root\n  }\n }\n",
        );
    let (config, diagnostics) = parse(&text);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    let scripts: Vec<&str> = config
        .lvs
        .scripts()
        .map(|s| s.command[1].as_str())
        .collect();
    assert_eq!(scripts, vec!["q-up", "q-down", "n-up", "misc"]);
}

#[test]
fn bad_service_addresses_skip_the_whole_block() {
    // Input: virtual_server 10.0.0.300 80 with an unknown keyword inside; a fwmark out of
    // range; a real server with a bad address.
    // Output: one error per bad address and no "unknown keyword" from the skipped block.
    let text =
        "virtual_server 10.0.0.300 80 {\n nonsense 1\n}\nvirtual_server fwmark 4294967296 {\n}\n"
            .to_owned()
            + &vs(" real_server 10.0.0.300 80 {\n }\n real_server 10.0.0.2 80 {\n }\n");
    let (config, diagnostics) = parse(&text);
    find(&diagnostics, "invalid IP address '10.0.0.300'");
    find(&diagnostics, "'4294967296' outside range");
    assert!(
        diagnostics.iter().all(|d| !d.message.contains("nonsense")),
        "{diagnostics:#?}"
    );
    assert_eq!(config.lvs.virtual_servers.len(), 1);
    assert_eq!(config.lvs.virtual_servers[0].real_servers.len(), 1);
}

#[test]
fn dump_json_uses_keepalived_vocabulary() {
    // Input: a service with an HTTP_GET checker.
    // Output: JSON with lvs_sched "rr", lvs_method {"method":"NAT"}, checker type
    // "HTTP_GET" and seconds as numbers.
    let (config, _) = parse(&vs_rs("  HTTP_GET {\n   url {\n    path /\n   }\n  }\n"));
    let json = serde_json::to_value(&config.lvs).expect("serialisable");
    let vs = &json["virtual_servers"][0];
    assert_eq!(vs["lvs_sched"], "rr");
    assert_eq!(vs["lvs_method"]["method"], "NAT");
    assert_eq!(vs["protocol"], "TCP");
    assert_eq!(vs["delay_loop"], 60.0);
    let checker = &vs["real_servers"][0]["checkers"][0];
    assert_eq!(checker["kind"]["type"], "HTTP_GET");
    assert_eq!(checker["options"]["delay_before_retry"], 3.0);
    assert_eq!(checker["kind"]["urls"][0]["path"], "/");
}

/// 100 virtual servers × 100 real servers, each with a TCP_CHECK: about 60,000 lines.
fn large_configuration() -> String {
    let mut text = String::with_capacity(2_000_000);
    for v in 0..100u32 {
        text.push_str(&format!(
            "virtual_server 10.1.{}.{} 80 {{\n lvs_sched wrr\n lvs_method DR\n protocol TCP\n delay_loop 1\n",
            v / 250,
            v % 250 + 1
        ));
        for r in 0..100u32 {
            text.push_str(&format!(
                " real_server 10.2.{v}.{} 80 {{\n  weight {}\n  TCP_CHECK {{\n   connect_timeout 3\n  }}\n }}\n",
                r + 1,
                r % 5 + 1
            ));
        }
        text.push_str("}\n");
    }
    text
}

#[test]
#[allow(clippy::disallowed_methods)] // test-only timing of the parser itself
fn ten_thousand_real_servers_parse_quickly() {
    // Input: 100 virtual servers × 100 real servers (≈60,000 lines), tokenized up front.
    // Output: every real server and checker in the model, no diagnostics, and the parse
    // (tree, keyword tables, fix-ups) well under a second even unoptimised — no quadratic
    // duplicate checks. (Release builds take a few ms; see the crate's bench note.)
    let text = large_configuration();
    assert!(text.lines().count() >= 60_000);
    let tokens = lines(&text);
    let host = host();
    // The machine is shared: the fastest of three runs is the parser's own cost.
    let mut elapsed = std::time::Duration::MAX;
    let mut parsed = None;
    for _ in 0..3 {
        let start = std::time::Instant::now();
        parsed = Some(crate::parse(&tokens, &host, &host));
        elapsed = elapsed.min(start.elapsed());
    }
    let (config, diagnostics) = parsed.expect("three runs");
    assert!(
        diagnostics.is_empty(),
        "{:#?}",
        &diagnostics[..3.min(diagnostics.len())]
    );
    assert_eq!(config.lvs.virtual_servers.len(), 100);
    let checkers: usize = config
        .lvs
        .virtual_servers
        .iter()
        .flat_map(|vs| &vs.real_servers)
        .map(|rs| rs.checkers.len())
        .sum();
    assert_eq!(checkers, 10_000);
    println!("100 x 100 real servers parsed in {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
}

#[test]
fn a_block_keyword_without_its_block_is_an_error() {
    // Input: `real_server 10.0.0.2 80` with no `{ }`.
    // Output: keepalived's "Missing '{'" error (exit 5); the real server still counts.
    let (config, diagnostics) = parse(&vs(" real_server 10.0.0.2 80\n"));
    let missing = find(
        &diagnostics,
        "missing '{' at beginning of configuration block",
    );
    assert_eq!(missing.span.map(|s| s.line), Some(5));
    assert_eq!(config.lvs.virtual_servers[0].real_servers.len(), 1);
}

#[test]
fn real_servers_take_the_service_weight_and_inhibit_read_before_them() {
    // Input: `weight 4` and `inhibit_on_failure` on the service, then a real server that
    // sets neither and one that says `inhibit_on_failure off` and `weight 2`.
    // Output: 4/inhibit for the first, 2/no inhibit for the second (keepalived copies the
    // service's values when it allocates a real server).
    let (config, diagnostics) = parse(&vs(
        " weight 4\n inhibit_on_failure\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.3 80 {\n  inhibit_on_failure off\n  weight 2\n }\n",
    ));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let servers: Vec<(u32, bool)> = config.lvs.virtual_servers[0]
        .real_servers
        .iter()
        .map(|rs| (rs.weight, rs.inhibit_on_failure))
        .collect();
    assert_eq!(servers, vec![(4, true), (2, false)]);
}

#[test]
fn ip_family_must_agree_with_the_addresses() {
    // Input: `ip_family inet6` on an IPv4 service, `ip_family foo`, and `ip_family inet6`
    // on a fwmark service with an IPv6 real server.
    // Output: keepalived's conflict and unknown-family errors; the fwmark service is IPv6.
    let (_, diagnostics) = parse(&vs(
        " ip_family inet6\n ip_family foo\n real_server 10.0.0.2 80 {\n }\n",
    ));
    find(
        &diagnostics,
        "specified family inet6 conflicts with server family",
    );
    find(&diagnostics, "unknown address family foo");
    let text = "virtual_server fwmark 2 {\n lvs_sched rr\n lvs_method NAT\n ip_family inet6\n real_server 2001:db8::2 {\n }\n}\n";
    let (config, diagnostics) = parse(text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(config.lvs.virtual_servers[0].ip_family, Some(Family::Inet6));
}
