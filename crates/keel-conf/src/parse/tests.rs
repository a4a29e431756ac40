//! Scenario tests of the keyword tables, through the test tokenizer.

use super::*;
use crate::diag::{Class, Severity, exit_code};
use crate::model::vrrp::{AuthType, InitialState};
use crate::testing::{Fake, lines};

/// The seed's master.conf (issue 2), shared with keel's tests through `testdata/`.
pub(crate) const SEED_MASTER: &str = include_str!("../../../../testdata/seed/master.conf");

/// The seed's backup.conf: state BACKUP, priority 99, weight -1.
pub(crate) const SEED_BACKUP: &str = include_str!("../../../../testdata/seed/backup.conf");

/// The corpus machine plus the scripts the seed configs name.
pub(crate) fn seed_host() -> Fake {
    Fake::corpus()
        .with_file("/etc/keepalived/notify.sh", 0o755)
        .with_file("/usr/bin/pidof", 0o755)
}

fn parse_text(text: &str, host: &Fake) -> (crate::Config, Vec<Diagnostic>) {
    crate::parse(&lines(text), host, host)
}

#[test]
fn every_keyword_table_is_sorted_for_binary_search() {
    fn sorted<T>(table: &[Keyword<T>]) -> bool {
        table.windows(2).all(|w| w[0].name < w[1].name)
    }
    assert!(sorted(root::KEYWORDS));
    assert!(sorted(global::KEYWORDS));
    assert!(instance::keywords_sorted());
    assert!(track::keywords_sorted());
    assert!(sync::keywords_sorted());
    assert!(statics::keywords_sorted());
}

#[test]
fn seed_master_parses_to_its_values() {
    // Input: the seed master.conf on a machine with eth0.
    // Output: the values a user reads in the file.
    let (config, diagnostics) = parse_text(SEED_MASTER, &seed_host());
    let g = &config.global_defs;
    assert_eq!(g.router_id.as_deref(), Some("LVS_DEVEL"));
    assert_eq!(g.notification_email, vec!["root@localhost".to_owned()]);
    assert_eq!(
        g.notification_email_from.as_deref(),
        Some("keepalived@localhost")
    );
    assert_eq!(
        g.smtp_server.as_ref().map(|s| (s.host.as_str(), s.port)),
        Some(("127.0.0.1", 25))
    );
    assert_eq!(g.smtp_connect_timeout.micros(), 30_000_000);

    let script = &config.vrrp.scripts[0];
    assert_eq!(script.name, "chk_nginx");
    assert_eq!(
        script.script.command,
        vec!["pidof".to_owned(), "nginx".to_owned()]
    );
    assert_eq!(script.interval.micros(), 1_000_000);
    assert_eq!((script.weight, script.fall, script.rise), (-3, 2, 1));

    let vi = &config.vrrp.instances[0];
    assert_eq!(vi.name, "VI_1");
    assert_eq!(vi.state, Some(InitialState::Master));
    assert_eq!(vi.interface.as_deref(), Some("eth0"));
    assert_eq!((vi.virtual_router_id, vi.priority), (51, 100));
    assert_eq!(vi.advert_int.micros(), 1_000_000);
    let auth = vi.authentication.as_ref().expect("authentication block");
    assert_eq!(
        (auth.auth_type, auth.auth_pass.as_str()),
        (AuthType::Pass, "1111")
    );
    assert_eq!(vi.virtual_ipaddress.len(), 1);
    assert_eq!(vi.virtual_ipaddress[0].address.to_string(), "192.168.1.199");
    assert_eq!(vi.virtual_ipaddress[0].prefix_len, 32);
    assert_eq!(vi.tracking.track_script[0].name, "chk_nginx");
    let master = vi.notify.notify_master.as_ref().expect("notify_master");
    assert_eq!(
        master.command,
        vec!["/etc/keepalived/notify.sh".to_owned(), "master".to_owned()]
    );
    let fault = vi.notify.notify_fault.as_ref().expect("notify_fault");
    assert_eq!(fault.command[1], "fault");
    assert!(vi.notify.notify_backup.is_some());

    // keepalived 2.2.7 on this machine: no keepalived_script user, no script security.
    assert!(
        diagnostics.iter().any(|d| d.class == Class::ScriptSecurity),
        "{diagnostics:?}"
    );
    assert_eq!(exit_code(&diagnostics), 6);
}

#[test]
fn seed_backup_parses_to_its_values() {
    // Input: backup.conf (state BACKUP, priority 99, weight -1).
    // Output: those values, and exit code 6 like keepalived 2.2.7.
    let (config, diagnostics) = parse_text(SEED_BACKUP, &seed_host());
    assert_eq!(config.vrrp.scripts[0].weight, -1);
    let vi = &config.vrrp.instances[0];
    assert_eq!(vi.state, Some(InitialState::Backup));
    assert_eq!(vi.priority, 99);
    assert_eq!(exit_code(&diagnostics), 6);
}

#[test]
fn unknown_keyword_suggests_the_closest_and_parsing_continues() {
    // Input: `prority 150` (typo) followed by a valid `virtual_router_id`.
    // Output: "unknown keyword 'prority'" at 3:3 with "did you mean 'priority'?";
    // the instance still gets its vrid.
    let text = "vrrp_instance VI_1 {\n interface eth0\n prority 150\n virtual_router_id 7\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
    let (config, diagnostics) = parse_text(text, &Fake::corpus());
    let unknown = diagnostics
        .iter()
        .find(|d| d.message == "unknown keyword 'prority'")
        .expect("unknown keyword reported");
    assert_eq!(unknown.help.as_deref(), Some("did you mean 'priority'?"));
    assert_eq!(unknown.span.map(|s| (s.line, s.col)), Some((3, 2)));
    assert_eq!(unknown.class, Class::Config);
    assert_eq!(config.vrrp.instances[0].virtual_router_id, 7);
}

#[test]
fn deprecated_keyword_warns_with_its_replacement() {
    // Input: `vrrp_vmac_garp_intvl 5` (keepalived 2.2.7 warns) and `lvs_flush_onstop`
    // (accepted silently by keepalived).
    // Output: a warning naming `vrrp_garp_extra_if`, a note naming `lvs_flush_on_stop`;
    // both values are still set.
    let text = "global_defs {\n vrrp_vmac_garp_intvl 5\n lvs_flush_onstop\n}\n";
    let (config, diagnostics) = parse_text(text, &Fake::corpus());
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert!(
        diagnostics[0].message.contains("'vrrp_garp_extra_if'"),
        "{diagnostics:?}"
    );
    assert_eq!(diagnostics[0].span.map(|s| (s.line, s.col)), Some((2, 2)));
    assert_eq!(diagnostics[1].severity, Severity::Note);
    assert!(diagnostics[1].message.contains("'lvs_flush_on_stop'"));
    assert_eq!(
        config
            .global_defs
            .garp
            .extra_if
            .map(|e| e.interval.micros()),
        Some(5_000_000)
    );
    assert_eq!(config.global_defs.lvs_flush_on_stop, Some(false));
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn lvs_blocks_are_accepted_without_unknown_keywords() {
    // Input: a virtual_server with a real_server and a checker.
    // Output: no "unknown keyword" diagnostics; the virtual server is in the model.
    let text = "virtual_server 10.0.0.1 80 {\n lb_algo rr\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n connect_timeout 3\n }\n }\n}\n";
    let (config, diagnostics) = parse_text(text, &Fake::corpus());
    assert!(
        diagnostics
            .iter()
            .all(|d| !d.message.contains("unknown keyword")),
        "{diagnostics:?}"
    );
    assert_eq!(config.lvs.virtual_servers.len(), 1);
}

#[test]
fn seed_configs_load_through_the_whole_front_end() {
    // Input: master.conf and backup.conf as files, on a machine with eth0, /usr/bin/pidof,
    // the notify script, only root (no keepalived_script user).
    // Output: the seed values and exit code 6, as keepalived 2.2.7 gives for both.
    use crate::memfs::{FakeHost, MemoryFs};
    use crate::preprocess::PreprocessOptions;
    use std::path::Path;

    let mut fs = MemoryFs::new()
        .with_file("/etc/keepalived/master.conf", SEED_MASTER)
        .with_file("/etc/keepalived/backup.conf", SEED_BACKUP)
        .with_file("/etc/keepalived/notify.sh", "#!/bin/sh\n")
        .with_file("/usr/bin/pidof", "");
    assert!(fs.set_mode("/etc/keepalived/notify.sh", 0o755));
    assert!(fs.set_mode("/usr/bin/pidof", 0o755));
    let host = FakeHost::new()
        .with_interface("eth0")
        .with_user("root", 0, 0)
        .with_group("root", 0)
        .with_path_dir("/usr/bin");
    let options = PreprocessOptions {
        config_id: "lb1".into(),
        ..PreprocessOptions::default()
    };

    let master = crate::load(
        &fs,
        &host,
        Path::new("/etc/keepalived/master.conf"),
        &options,
    );
    assert_eq!(
        exit_code(&master.diagnostics),
        6,
        "{:?}",
        master.diagnostics
    );
    let vi = &master.config.vrrp.instances[0];
    assert_eq!((vi.state, vi.priority), (Some(InitialState::Master), 100));
    assert_eq!(master.config.vrrp.scripts[0].weight, -3);
    let rendered = master.diagnostics[0].render(&master.sources);
    assert!(
        rendered.contains("--> /etc/keepalived/master.conf:12:8"),
        "{rendered}"
    );

    let backup = crate::load(
        &fs,
        &host,
        Path::new("/etc/keepalived/backup.conf"),
        &options,
    );
    assert_eq!(exit_code(&backup.diagnostics), 6);
    let vi = &backup.config.vrrp.instances[0];
    assert_eq!((vi.state, vi.priority), (Some(InitialState::Backup), 99));
    assert_eq!(backup.config.vrrp.scripts[0].weight, -1);
    assert_eq!(
        (
            backup.config.vrrp.scripts[0].fall,
            backup.config.vrrp.scripts[0].rise
        ),
        (2, 1)
    );
}

#[test]
fn a_keyword_in_the_wrong_block_names_its_block() {
    // Input: `vrrp_strict` inside a vrrp_instance, `priority` at the top level.
    // Output: unknown keyword errors whose help names the right block.
    let text = "priority 100\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n vrrp_strict\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n";
    let (_, diagnostics) = parse_text(text, &Fake::corpus());
    let helps: Vec<(&str, Option<&str>)> = diagnostics
        .iter()
        .filter(|d| d.message.starts_with("unknown keyword"))
        .map(|d| (d.message.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        helps,
        [
            (
                "unknown keyword 'priority'",
                Some("'priority' belongs in a vrrp_instance block")
            ),
            (
                "unknown keyword 'vrrp_strict'",
                Some("'vrrp_strict' belongs in global_defs")
            ),
        ]
    );
}
