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
