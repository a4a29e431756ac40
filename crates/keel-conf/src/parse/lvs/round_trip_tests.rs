//! Printing the LVS part and parsing it again gives the same model (what
//! `keel --dump-conf` relies on), for a configuration using every block and for every
//! corpus file with a virtual server.

use std::collections::BTreeMap;

use crate::Config;
use crate::print::print;
use crate::source::FileSystem;
use crate::testing::{CorpusHost, Fake, corpus_dir, lines};

fn parse(text: &str, host: &Fake) -> Config {
    crate::parse(&lines(text), host, host).0
}

const EVERYTHING: &str = r#"
global_defs {
 enable_script_security
}
track_file tf {
 file /tmp/x
}
bfd_instance b1 {
 neighbor_ip 10.0.0.2
}
SSL {
 password secret
 ca /etc/ca.pem
 certificate /etc/c.pem
 key /etc/k.pem
}
virtual_server_group G {
 10.0.0.1 80
 10.0.0.10-20 80
 10.0.4.0/22 80
 2001:db8::1-ff 80
 fwmark 7 inet6
}
virtual_server group G {
 lvs_sched sh
 sh-port
 sh-fallback
 lvs_method TUN type gue port 6080 csum
 protocol TCP
 persistence_timeout 600
 quorum 2
 hysteresis 1
 quorum_up "/bin/true up 'a b'" root
 quorum_down "/bin/true down" root
 alpha
 omega
 virtualhost www.example.com
 smtp_alert off
 connect_timeout 4.5
 retry 3
 delay_before_retry 2
 warmup 0
 sorry_server 10.0.0.99 80
 sorry_server_inhibit
 sorry_server_lvs_method DR
 real_server 10.0.0.2 80 {
  weight 3
  inhibit_on_failure
  notify_up "/bin/true rs up" root
  uthreshold 100
  lthreshold 10
  HTTP_GET {
   url {
    path /health
    status_code 200 300-302
    digest 0123456789abcdef0123456789abcdef
    regex "^ok"
    regex_no_match
    regex_options caseless
    regex_stack 1 2
    regex_min_offset 1
    regex_max_offset 9
   }
   http_protocol 1.0C
   enable_sni
  }
  SMTP_CHECK {
   helo_name mail.example.com
   host {
    connect_ip 10.0.0.7
   }
  }
  MISC_CHECK {
   misc_path "/bin/true misc"
   misc_timeout 3
   misc_dynamic
   user root
  }
  FILE_CHECK {
   track_file tf
   weight -5 reverse
  }
  BFD_CHECK {
   name b1
   alpha
  }
 }
 real_server 10.0.0.3 80 {
  alpha off
  delay_loop 2
  UDP_CHECK {
   payload 0a0b
   require_reply 0axx
   max_reply_length 300
  }
  DNS_CHECK {
   type MX
   name example.com
  }
  PING_CHECK {
   bindto 10.0.0.1
   bind_if eth0
   fwmark 9
   log_all_failures
  }
 }
}
virtual_server fwmark 5 {
 lvs_sched mh
 mh-port
 lvs_method DR
 real_server 2001:db8::2 {
  TCP_CHECK {
   connect_ip fe80::1
   bind_if eth1
  }
 }
}
virtual_server 10.0.0.1 0 {
 lvs_sched wrr
 lvs_method NAT
 protocol UDP
 ops
 persistence_granularity 255.255.255.0
 real_server 10.0.0.2 53 {
  weight 2
 }
}
"#;

#[test]
fn a_configuration_using_every_lvs_block_prints_and_parses_back_equal() {
    // Input: groups, the three service kinds, every checker, SSL, tunnels, scripts.
    // Output: print → parse gives the same LVS model and no new errors.
    let host = Fake::corpus().with_file("/bin/true", 0o755);
    let (first, diagnostics) = crate::parse(&lines(EVERYTHING), &host, &host);
    assert!(
        diagnostics.iter().all(|d| d.class.exit_code() == 0),
        "{diagnostics:#?}"
    );
    assert_eq!(first.lvs.virtual_servers.len(), 3);
    let text = print(&first);
    let second = parse(&text, &host);
    assert_eq!(first.lvs, second.lvs, "printed:\n{text}");
}

#[test]
fn corpus_virtual_servers_print_and_parse_back_equal() {
    // Input: every corpus file with a virtual_server, through the test tokenizer.
    // Output: for each, print → parse gives the same LVS model.
    let dir = corpus_dir().join("keepalived-configs");
    let host = CorpusHost::new();
    let verdicts = host
        .read_to_string(&corpus_dir().join("keepalived-2.2.7-verdicts.txt"))
        .expect("verdicts file is readable");
    let mut checked = BTreeMap::new();
    for name in verdicts.lines().filter_map(|l| l.split(' ').next()) {
        let Ok(text) = host.read_to_string(&dir.join(name)) else {
            continue;
        };
        if !text.contains("virtual_server") {
            continue;
        }
        let first = crate::parse(&lines(&text), &host, &host).0;
        let printed = print(&first);
        let second = crate::parse(&lines(&printed), &host, &host).0;
        assert_eq!(first.lvs, second.lvs, "{name} printed:\n{printed}");
        checked.insert(name.to_owned(), first.lvs.virtual_servers.len());
    }
    assert!(checked.len() >= 100, "only {} files", checked.len());
    assert!(checked.values().sum::<usize>() >= 300);
}

mod property {
    //! Random LVS configurations built from keyword lines (valid and invalid values, in
    //! any order): whatever keel makes of them prints and parses back equal.

    use proptest::prelude::*;

    use super::parse;
    use crate::print::print;
    use crate::testing::Fake;

    const SERVICES: &[&str] = &[
        "10.0.0.1 80",
        "10.0.0.1 0",
        "10.0.0.1",
        "2001:db8::1 443",
        "fwmark 1",
        "group G",
        "group NOPE",
    ];

    const GROUP_LINES: &[&str] = &[
        "10.0.0.1 80",
        "10.0.0.5-9 80",
        "10.0.4.0/30 80",
        "10.0.0.7",
        "2001:db8::1-f 80",
        "fwmark 3",
        "fwmark 4 inet",
        "10.0.0.9-2 80",
    ];

    const VS_LINES: &[&str] = &[
        "lvs_sched rr",
        "lvs_sched sh",
        "lvs_sched mh",
        "lb_algo wrr",
        "lvs_sched bogus",
        "lvs_method NAT",
        "lvs_method DR",
        "lvs_method TUN type gue port 80",
        "lvs_method TUN type gre csum",
        "lb_kind TUN",
        "protocol TCP",
        "protocol UDP",
        "protocol sctp",
        "delay_loop 3",
        "delay_loop 0.5",
        "persistence_timeout",
        "persistence_timeout 30",
        "persistence_granularity 255.255.0.0",
        "persistence_granularity 64",
        "quorum 2",
        "quorum 0",
        "hysteresis 1",
        "hysteresis 7",
        "alpha",
        "omega",
        "inhibit_on_failure",
        "inhibit_on_failure off",
        "ha_suspend",
        "ops",
        "sh-port",
        "sh-fallback",
        "mh-port",
        "hashed",
        "flag-2",
        "virtualhost www.example.com",
        "smtp_alert",
        "smtp_alert no",
        "weight 3",
        "connect_timeout 2",
        "retry 2",
        "delay_before_retry 4.5",
        "warmup 1",
        "sorry_server 10.0.0.9 80",
        "sorry_server 10.0.0.2 80",
        "sorry_server 2001:db8::9",
        "sorry_server_inhibit",
        "sorry_server_lvs_method DR",
        "ip_family inet",
        "ip_family inet6",
        "quorum_up \"/bin/true up\" root",
        "quorum_down \"/bin/true 'a b'\"",
        "snmp_name s1",
        "persistence_engine sip",
    ];

    const RS_ADDRESSES: &[&str] = &[
        "10.0.0.2 80",
        "10.0.0.2 81",
        "10.0.0.3",
        "10.0.0.4 80",
        "2001:db8::2 80",
    ];

    const RS_LINES: &[&str] = &[
        "weight 0",
        "weight 5",
        "inhibit_on_failure",
        "inhibit_on_failure no",
        "lvs_method TUN",
        "lvs_method DR",
        "lvs_method NAT",
        "notify_up \"/bin/true\" root",
        "notify_down \"/bin/true down\"",
        "uthreshold 10",
        "lthreshold 2",
        "alpha",
        "alpha off",
        "retry 3",
        "delay_loop 2",
        "warmup 0",
        "connect_timeout 1",
        "delay_before_retry 2",
        "virtualhost h.example.com",
        "smtp_alert yes",
    ];

    const CHECKERS: &[&str] = &[
        "TCP_CHECK",
        "HTTP_GET",
        "SSL_GET",
        "SMTP_CHECK",
        "DNS_CHECK",
        "MISC_CHECK",
        "UDP_CHECK",
        "PING_CHECK",
        "FILE_CHECK",
        "BFD_CHECK",
    ];

    const CHECKER_LINES: &[&str] = &[
        "connect_ip 10.0.0.8",
        "connect_ip fe80::1",
        "connect_port 8080",
        "bindto 10.0.0.1",
        "bind_port 2000",
        "bind_if eth0",
        "fwmark 7",
        "connect_timeout 3",
        "retry 0",
        "retry 5",
        "nb_get_retry 2",
        "delay_before_retry 0",
        "warmup 9",
        "delay_loop 4",
        "alpha",
        "log_all_failures off",
        "url {\n path /a\n status_code 200 301-302\n digest 0123456789abcdef0123456789abcdef\n }",
        "url {\n path /b\n regex \"ok\"\n regex_no_match\n virtualhost v\n }",
        "url {\n status_code 200\n }",
        "http_protocol 1.1",
        "virtualhost www",
        "enable_sni",
        "fast_recovery off",
        "helo_name h",
        "host {\n connect_ip 10.0.0.6\n }",
        "type MX",
        "name example.org",
        "misc_path \"/bin/true x\"",
        "misc_timeout 2",
        "misc_dynamic",
        "user root",
        "payload 0102",
        "require_reply 01xx",
        "min_reply_length 1",
        "max_reply_length 9",
        "track_file tf",
        "weight 2 reverse",
        "name b1",
    ];

    fn lines_from(pool: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(pool), 0..max).prop_map(|l| l.join("\n"))
    }

    fn checker() -> impl Strategy<Value = String> {
        (prop::sample::select(CHECKERS), lines_from(CHECKER_LINES, 8))
            .prop_map(|(kind, body)| format!("{kind} {{\n{body}\n}}"))
    }

    fn real_server() -> impl Strategy<Value = String> {
        (
            prop::sample::select(RS_ADDRESSES),
            lines_from(RS_LINES, 5),
            prop::collection::vec(checker(), 0..3),
        )
            .prop_map(|(address, body, checkers)| {
                format!(
                    "real_server {address} {{\n{body}\n{}\n}}",
                    checkers.join("\n")
                )
            })
    }

    fn configuration() -> impl Strategy<Value = String> {
        let virtual_server = (
            prop::sample::select(SERVICES),
            lines_from(VS_LINES, 10),
            prop::collection::vec(real_server(), 0..4),
        )
            .prop_map(|(service, body, servers)| {
                format!(
                    "virtual_server {service} {{\n{body}\n{}\n}}",
                    servers.join("\n")
                )
            });
        (
            lines_from(GROUP_LINES, 5),
            prop::collection::vec(virtual_server, 1..4),
            any::<bool>(),
        )
            .prop_map(|(group, servers, secure)| {
                let global = if secure {
                    "global_defs {\n enable_script_security\n}\n"
                } else {
                    ""
                };
                format!(
                    "{global}track_file tf {{\n file /tmp/x\n}}\nbfd_instance b1 {{\n neighbor_ip 10.0.0.2\n}}\nvirtual_server_group G {{\n{group}\n}}\n{}\n",
                    servers.join("\n")
                )
            })
    }

    /// LVS words, values (good and bad), braces and line ends for the soup test.
    const SOUP: &[&str] = &[
        "virtual_server",
        "virtual_server_group",
        "real_server",
        "SSL",
        "url",
        "host",
        "TCP_CHECK",
        "HTTP_GET",
        "SSL_GET",
        "SMTP_CHECK",
        "DNS_CHECK",
        "MISC_CHECK",
        "UDP_CHECK",
        "PING_CHECK",
        "FILE_CHECK",
        "BFD_CHECK",
        "lvs_sched",
        "lvs_method",
        "TUN",
        "type",
        "gue",
        "port",
        "fwmark",
        "group",
        "sorry_server",
        "quorum",
        "hysteresis",
        "status_code",
        "digest",
        "regex_stack",
        "misc_path",
        "payload",
        "require_reply",
        "weight",
        "reverse",
        "track_file",
        "persistence_granularity",
        "10.0.0.1",
        "2001:db8::1",
        "10.0.0.1-9",
        "10.0.0.0/24",
        "80",
        "0",
        "-1",
        "65536",
        "4294967296",
        "x",
        "\"/bin/true a\"",
        "{",
        "{",
        "}",
        "}",
        "\n",
        "\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn lvs_keyword_soup_never_panics(words in prop::collection::vec(prop::sample::select(SOUP), 0..120)) {
            // Input: any sequence of LVS words, values and braces.
            // Output: a model and diagnostics, no panic; the model still round-trips.
            let host = Fake::corpus().with_file("/bin/true", 0o755);
            let first = parse(&words.join(" "), &host);
            let second = parse(&print(&first), &host);
            prop_assert_eq!(&first.lvs, &second.lvs);
        }

        #[test]
        fn any_lvs_configuration_prints_and_parses_back_equal(text in configuration()) {
            // Input: random virtual servers, real servers and checkers, some values invalid.
            // Output: no panic, and print → parse gives the same LVS model.
            let host = Fake::corpus().with_file("/bin/true", 0o755);
            let first = parse(&text, &host);
            let printed = print(&first);
            let second = parse(&printed, &host);
            prop_assert_eq!(&first.lvs, &second.lvs, "input:\n{}\nprinted:\n{}", text, printed);
        }
    }
}
