//! Scenario tests of the checker blocks (spec §2.7). Expected verdicts were observed
//! with `keepalived -t` 2.2.7, one keyword each.

use std::net::IpAddr;

use crate::diag::{Severity, exit_code};
use crate::model::lvs::{CheckerKind, DnsType, HttpProtocol, StatusRange};
use crate::testing::lines;

use super::tests::{find, host, ip, parse, secs, vs, vs_rs};

#[test]
fn checker_defaults_depend_on_the_checker_type() {
    // Input: HTTP_GET, DNS_CHECK and MISC_CHECK with nothing but what they require, in a
    // virtual server with delay_loop 7.
    // Output: HTTP delay_before_retry 3 s; DNS retry 3 and delay_before_retry = delay_loop;
    // MISC retry 0.
    let text = vs(
        " delay_loop 7\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n  DNS_CHECK {\n  }\n  MISC_CHECK {\n   misc_path \"/bin/true\"\n  }\n }\n",
    );
    let (config, _) = parse(&text);
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    let (http, dns, misc) = (
        &checkers[0].options,
        &checkers[1].options,
        &checkers[2].options,
    );
    assert_eq!((http.retry, http.delay_before_retry), (1, secs(3)));
    assert_eq!((dns.retry, dns.delay_before_retry), (3, secs(7)));
    assert_eq!((misc.retry, misc.delay_before_retry), (0, secs(1)));
    assert_eq!(
        checkers[1].kind,
        CheckerKind::Dns(crate::model::lvs::DnsCheck {
            query_type: DnsType::Soa,
            name: ".".into()
        })
    );
}

#[test]
fn http_get_reads_several_urls_with_codes_digests_and_regex() {
    // Input: two url blocks, status codes and ranges, an upper-case digest, a regex with
    // options, http_protocol 1.1, virtualhost and enable_sni.
    // Output: everything as written, digest in lower case, the second url's default codes
    // 200-299; no diagnostics.
    let text = vs_rs(
        "  HTTP_GET {\n   url {\n    path /health\n    status_code 200 300-302\n    digest 0123456789ABCDEF0123456789abcdef\n    virtualhost www.example.com\n    regex \"^ok\"\n    regex_options caseless multiline\n    regex_stack 10 100\n   }\n   url {\n    path /b\n   }\n   http_protocol 1.1\n   virtualhost example.com\n   enable_sni\n   fast_recovery\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let CheckerKind::Http(http) = &config.lvs.virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!("an HTTP_GET checker");
    };
    assert_eq!(http.urls.len(), 2);
    let first = &http.urls[0];
    assert_eq!(first.path, "/health");
    assert_eq!(
        first.status_code,
        vec![
            StatusRange { min: 200, max: 200 },
            StatusRange { min: 300, max: 302 }
        ]
    );
    assert_eq!(first.digest, vec!["0123456789abcdef0123456789abcdef"]);
    assert_eq!(first.regex.as_deref(), Some("^ok"));
    assert_eq!(first.regex_options, vec!["caseless", "multiline"]);
    assert_eq!(first.regex_stack, Some((10, 100)));
    assert_eq!(first.virtualhost.as_deref(), Some("www.example.com"));
    assert_eq!(
        http.urls[1].status_code,
        vec![StatusRange { min: 200, max: 299 }]
    );
    assert_eq!(http.http_protocol, HttpProtocol::V1_1);
    assert!(http.enable_sni && http.fast_recovery);
    assert_eq!(http.virtualhost.as_deref(), Some("example.com"));
}

#[test]
fn http_get_errors_match_keepalived() {
    // Input: a url without path, a short digest, a non-hex digest, a duplicate digest,
    // status 600 and 300-200, http_protocol 2.0; and an HTTP_GET without any url.
    // Output: keepalived's messages; the url without path and the url-less checker are
    // dropped (keepalived 2.2.7 crashes on the latter; keel reports it).
    let text = vs_rs(
        "  HTTP_GET {\n   url {\n    status_code 200\n   }\n   url {\n    path /\n    digest 0123\n    digest 0123456789abcdef0123456789abcdeg\n    digest 0123456789abcdef0123456789abcdef\n    digest 0123456789abcdef0123456789abcdef\n    status_code 600 300-200\n   }\n   http_protocol 2.0\n  }\n  SSL_GET {\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    let no_path = find(&diagnostics, "url has no path - ignoring");
    assert_eq!(no_path.span.map(|s| s.line), Some(9));
    find(&diagnostics, "character length should be 32 rather than 4");
    find(&diagnostics, "unable to interpret hex digit in");
    find(&diagnostics, "is a duplicate");
    find(&diagnostics, "invalid HTTP_GET status code '600'");
    find(&diagnostics, "invalid HTTP_GET status code '300-200'");
    find(&diagnostics, "invalid http_protocol version 2.0");
    find(&diagnostics, "checker has no urls specified - ignoring");
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    assert_eq!(checkers.len(), 1);
    let CheckerKind::Http(http) = &checkers[0].kind else {
        panic!("the HTTP_GET checker");
    };
    assert_eq!(http.urls.len(), 1);
    assert_eq!(http.urls[0].digest.len(), 1);
}

#[test]
fn misc_check_splits_its_script_and_counts_for_script_security() {
    // Input: misc_path "/bin/true 'a b' c", misc_timeout 5, misc_dynamic, user root; no
    // enable_script_security.
    // Output: program and arguments split like a shell; keepalived's exit 6.
    let text = vs_rs(
        "  MISC_CHECK {\n   misc_path \"/bin/true 'a b' c\"\n   misc_timeout 5\n   misc_dynamic\n   user root\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    let CheckerKind::Misc(misc) = &config.lvs.virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!("a MISC_CHECK");
    };
    assert_eq!(misc.misc_path.command, vec!["/bin/true", "a b", "c"]);
    assert_eq!(misc.misc_path.user.as_deref(), Some("root"));
    assert_eq!(
        (misc.misc_timeout, misc.misc_dynamic),
        (Some(secs(5)), true)
    );
    find(&diagnostics, "SECURITY VIOLATION - check scripts");
    assert_eq!(exit_code(&diagnostics), 6);

    // With enable_script_security and a safe root-owned program: exit 0.
    let secure = format!("global_defs {{\n enable_script_security\n}}\n{text}");
    let (_, diagnostics) = parse(&secure);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");

    // A program that does not exist is disabled quietly, as keepalived does (exit 0).
    let (config, diagnostics) = parse(&text.replace("/bin/true", "/nowhere/check.sh"));
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    assert!(
        config.lvs.virtual_servers[0].real_servers[0]
            .checkers
            .is_empty()
    );
}

#[test]
fn misc_check_without_a_path_and_with_connection_options_is_rejected() {
    // Input: MISC_CHECK with misc_timeout only; MISC_CHECK with connect_timeout.
    // Output: "no script path" (checker dropped); connect_timeout is an unknown keyword in
    // MISC_CHECK (keepalived 2.2.7).
    let text = vs_rs(
        "  MISC_CHECK {\n   misc_timeout 3\n  }\n  MISC_CHECK {\n   misc_path \"/bin/true\"\n   connect_timeout 3\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "no script path has been specified for MISC_CHECKER",
    );
    find(&diagnostics, "unknown keyword 'connect_timeout'");
    assert_eq!(
        config.lvs.virtual_servers[0].real_servers[0].checkers.len(),
        1
    );
}

#[test]
fn smtp_host_blocks_become_additional_checkers() {
    // Input: SMTP_CHECK with connect_timeout 4 and two deprecated host blocks.
    // Output: three SMTP checkers (the real server, then each host's connect_ip), the
    // default helo name, and a note only (keepalived 2.2.7 exits 0).
    let text = vs_rs(
        "  SMTP_CHECK {\n   connect_timeout 4\n   host {\n    connect_ip 10.0.0.7\n    connect_port 2525\n   }\n   host {\n    connect_ip 10.0.0.8\n   }\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    find(&diagnostics, "SMTP_CHECK host block is deprecated");
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    let targets: Vec<(Option<IpAddr>, Option<u16>)> = checkers
        .iter()
        .map(|c| (c.options.connect_ip, c.options.connect_port))
        .collect();
    assert_eq!(
        targets,
        vec![
            (None, None),
            (Some(ip("10.0.0.7")), Some(2525)),
            (Some(ip("10.0.0.8")), None)
        ]
    );
    assert!(
        checkers
            .iter()
            .all(|c| c.options.connect_timeout == secs(4))
    );
    let CheckerKind::Smtp(smtp) = &checkers[0].kind else {
        panic!("an SMTP_CHECK");
    };
    assert_eq!(smtp.helo_name, "smtpchecker.keepalived.org");
}

#[test]
fn dns_udp_and_ping_checkers() {
    // Input: DNS_CHECK type aaaa (any case) and a name; UDP_CHECK with payload, a reply
    // pattern with x wildcards and lengths; PING_CHECK; then bad values.
    // Output: the typed values; errors for an unknown DNS type, bad hex and a length over
    // 65535.
    let text = vs_rs(
        "  DNS_CHECK {\n   type aaaa\n   name example.com\n  }\n  UDP_CHECK {\n   payload 0a0B\n   require_reply 0axx\n   min_reply_length 2\n   max_reply_length 512\n  }\n  PING_CHECK {\n   connect_ip 10.0.0.9\n  }\n  DNS_CHECK {\n   type XX\n  }\n  UDP_CHECK {\n   payload zz\n   max_reply_length 70000\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    let CheckerKind::Dns(dns) = &checkers[0].kind else {
        panic!("a DNS_CHECK");
    };
    assert_eq!(
        (dns.query_type, dns.name.as_str()),
        (DnsType::Aaaa, "example.com")
    );
    let CheckerKind::Udp(udp) = &checkers[1].kind else {
        panic!("a UDP_CHECK");
    };
    assert_eq!(udp.payload, Some(vec![0x0a, 0x0b]));
    assert_eq!(udp.require_reply, Some(vec![Some(0), Some(10), None, None]));
    assert_eq!((udp.min_reply_length, udp.max_reply_length), (2, 512));
    assert_eq!(checkers[2].kind, CheckerKind::Ping);
    assert_eq!(checkers[2].options.connect_ip, Some(ip("10.0.0.9")));
    find(&diagnostics, "unknown DNS check type XX - ignoring");
    find(&diagnostics, "invalid hex string for UDP_CHECK payload");
    find(&diagnostics, "'70000' outside range [0, 65535]");
}

#[test]
fn file_and_bfd_checkers_need_their_objects_defined_first() {
    // Input: track_file tf and bfd_instance b1 defined before the virtual server, used by
    // FILE_CHECK (weight 10 reverse) and BFD_CHECK; then names that do not exist.
    // Output: the two checkers; for the unknown names keepalived's errors and no checker.
    let defined = "track_file tf {\n file /tmp/x\n}\nbfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n"
        .to_owned()
        + &vs_rs(
            "  FILE_CHECK {\n   track_file tf\n   weight 10 reverse\n  }\n  BFD_CHECK {\n   name b1\n  }\n",
        );
    let (config, diagnostics) = parse(&defined);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    let CheckerKind::File(file) = &checkers[0].kind else {
        panic!("a FILE_CHECK");
    };
    assert_eq!(
        (file.track_file.as_str(), file.weight, file.reverse),
        ("tf", Some(10), true)
    );
    assert_eq!(checkers[1].kind, CheckerKind::Bfd { name: "b1".into() });

    let missing =
        vs_rs("  FILE_CHECK {\n   track_file nope\n  }\n  BFD_CHECK {\n   name nope\n  }\n");
    let (config, diagnostics) = parse(&missing);
    find(&diagnostics, "track_file nope not found");
    find(&diagnostics, "BFD_CHECK - BFD nope not configured");
    assert!(
        config.lvs.virtual_servers[0].real_servers[0]
            .checkers
            .is_empty()
    );
}

#[test]
fn checker_connection_sanity() {
    // Input: connect_ip IPv6 with bindto IPv4; a link-local connect_ip without bind_if.
    // Output: keepalived's two errors; the mismatched bindto is dropped.
    let text = vs_rs(
        "  TCP_CHECK {\n   connect_ip 2001:db8::1\n   bindto 10.0.0.1\n  }\n  TCP_CHECK {\n   connect_ip fe80::1\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "bindto address 10.0.0.1 does not match address family of connect_ip",
    );
    find(
        &diagnostics,
        "link local address fe80::1 requires a bind_if",
    );
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    assert_eq!(checkers[0].options.bindto, None);
}

#[test]
fn checkers_inherit_the_virtual_host_and_need_a_port() {
    // Input: a fwmark service with virtualhost www.example.com; its real server has no
    // port; HTTP_GET without connect_port, TCP_CHECK with connect_port 8080.
    // Output: the HTTP checker uses the service's virtual host; a note (keepalived exits
    // 0) that the HTTP checker has no port; none for the TCP checker.
    let text = "virtual_server fwmark 3 {\n lvs_sched rr\n lvs_method DR\n virtualhost www.example.com\n real_server 10.0.0.2 {\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n  TCP_CHECK {\n   connect_port 8080\n  }\n }\n}\n";
    let (config, diagnostics) = parse(text);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    let note = find(&diagnostics, "HTTP_GET of real server 10.0.0.2 has no port");
    assert_eq!(note.severity, Severity::Note);
    assert!(
        !diagnostics
            .iter()
            .any(|d| d.message.contains("TCP_CHECK of"))
    );
    let CheckerKind::Http(http) = &config.lvs.virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!("an HTTP_GET checker");
    };
    assert_eq!(http.virtualhost.as_deref(), Some("www.example.com"));
}

#[test]
fn checker_scripts_follow_keepalived_script_security() {
    // Input (each checked with keepalived 2.2.7 -t): a MISC_CHECK user that does not
    // exist; enable_script_security without a keepalived_script user and a MISC_CHECK
    // without user; the same for notify_up; a world-writable MISC script run as root with
    // and without script security.
    // Output: exit 5 with the MISC checker removed; exit 5 ("Unable to set default
    // user"); exit 5 for notify_up (removed); with security the unsafe script is removed
    // quietly (exit 0); without it, exit 6.
    let misc = |body: &str| {
        vs_rs(&format!(
            "  MISC_CHECK {{\n   misc_path \"/bin/true\"\n{body}  }}\n"
        ))
    };
    let secure = "global_defs {\n enable_script_security\n}\n";

    let (config, diagnostics) = parse(&misc("   user nobody2\n"));
    find(
        &diagnostics,
        "failed to set uid/gid for misc script '/bin/true' - removing",
    );
    assert_eq!(exit_code(&diagnostics), 5);
    assert!(
        config.lvs.virtual_servers[0].real_servers[0]
            .checkers
            .is_empty()
    );

    let (_, diagnostics) = parse(&format!("{secure}{}", misc("")));
    find(
        &diagnostics,
        "Unable to set default user for misc script '/bin/true' - removing",
    );
    assert_eq!(exit_code(&diagnostics), 5);

    let notify = vs_rs("  notify_up \"/bin/true\"\n");
    let (config, diagnostics) = parse(&format!("{secure}{notify}"));
    find(
        &diagnostics,
        "Unable to set default user keepalived_script for script",
    );
    assert_eq!(exit_code(&diagnostics), 5);
    assert!(
        config.lvs.virtual_servers[0].real_servers[0]
            .notify_up
            .is_none()
    );

    let host = host().with_file("/tmp/ww.sh", 0o777);
    let unsafe_misc = vs_rs("  MISC_CHECK {\n   misc_path \"/tmp/ww.sh\"\n   user root\n  }\n");
    let (config, diagnostics) =
        crate::parse(&lines(&format!("{secure}{unsafe_misc}")), &host, &host);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    assert!(
        config.lvs.virtual_servers[0].real_servers[0]
            .checkers
            .is_empty()
    );
    let (_, diagnostics) = crate::parse(&lines(&unsafe_misc), &host, &host);
    assert_eq!(exit_code(&diagnostics), 6);
}

#[test]
fn dns_names_udp_lengths_and_file_weights_follow_keepalived() {
    // Input: DNS_CHECK type rrsig, a name with an empty label, then two names; UDP_CHECK
    // with min > max and a bare payload; FILE_CHECK weight 300 and `noreverse`.
    // Output: RRSIG; "has empty label" and "name already specified" errors, the first
    // good name kept; the UDP warning and error; FILE_CHECK problems are notes only
    // (keepalived 2.2.7 exits 0 for them).
    let text = vs_rs(
        "  DNS_CHECK {\n   type rrsig\n   name ab..cd\n   name ab.cd\n   name ef.gh\n  }\n  UDP_CHECK {\n   min_reply_length 10\n   max_reply_length 5\n   payload\n  }\n",
    );
    let (config, diagnostics) = parse(&text);
    find(
        &diagnostics,
        "DNS_CHECK name 'ab..cd' has empty label - ignoring",
    );
    find(&diagnostics, "DNS_CHECK name already specified - ignoring");
    find(
        &diagnostics,
        "min_reply length 10 > max_reply_length 5 - will always fail",
    );
    find(&diagnostics, "UDP_CHECK payload requires a payload");
    let CheckerKind::Dns(dns) = &config.lvs.virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!("a DNS_CHECK");
    };
    assert_eq!(
        (dns.query_type, dns.name.as_str()),
        (DnsType::Rrsig, "ab.cd")
    );

    let file = "track_file tf {\n file /tmp/x\n}\n".to_owned()
        + &vs_rs(
            "  FILE_CHECK {\n   track_file tf\n   weight 300\n  }\n  FILE_CHECK {\n   track_file tf\n   weight 3 noreverse\n  }\n",
        );
    let (config, diagnostics) = parse(&file);
    assert_eq!(exit_code(&diagnostics), 0, "{diagnostics:#?}");
    find(&diagnostics, "weight for track file must be in [-254..254]");
    let checkers = &config.lvs.virtual_servers[0].real_servers[0].checkers;
    let weights: Vec<Option<i32>> = checkers
        .iter()
        .map(|c| match &c.kind {
            CheckerKind::File(f) => f.weight,
            _ => None,
        })
        .collect();
    assert_eq!(weights, vec![None, Some(3)]);
}
