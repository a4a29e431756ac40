//! `use_ipvlan` (spec §2.6, §3.10): the forms keepalived 2.2.7 reads, and each mistake
//! reported at `file:line:col` with the words keepalived 2.2.7 uses (observed with
//! `keepalived -t`).

use crate::diag::{Diagnostic, Severity, exit_code};
use crate::model::vrrp::{Ipvlan, IpvlanFlag};
use crate::model::{Config, Prefix};
use crate::testing::{Fake, lines};

fn parse_text(text: &str) -> (Config, Vec<Diagnostic>) {
    let host = Fake::corpus();
    crate::parse(&lines(text), &host, &host)
}

/// An instance on eth0 (line 2) whose VIP block (lines 4-6) holds `vip`, with `extra`
/// from line 7 on.
fn instance(vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {{\n  {vip}\n }}\n{extra}}}\n"
    )
}

/// A diagnostic as the tests compare it: severity, message, line, column.
type Found = (Severity, String, u32, u32);

fn ipvlan_of(text: &str) -> (Option<Ipvlan>, Vec<Found>) {
    let (config, diagnostics) = parse_text(text);
    let found = diagnostics
        .iter()
        .map(|d| {
            (
                d.severity,
                d.message.clone(),
                d.span.map_or(0, |s| s.line),
                d.span.map_or(0, |s| s.col),
            )
        })
        .collect();
    (config.vrrp.instances[0].use_ipvlan.clone(), found)
}

fn prefix(text: &str) -> Option<Prefix> {
    crate::values::parse_prefix(text)
}

#[test]
fn every_valid_form_is_read_in_any_order() {
    // Input: the forms of keepalived.conf(5): a name, an address, a flag, `name NAME`,
    // `group G`, in several orders.
    // Output: each field where it belongs, no diagnostics, keel acts on the keyword.
    let cases: [(&str, Ipvlan); 5] = [
        (
            "ipvl0 10.0.0.50/24 private",
            Ipvlan {
                name: Some("ipvl0".into()),
                address: prefix("10.0.0.50/24"),
                flag: IpvlanFlag::Private,
                ..Ipvlan::default()
            },
        ),
        (
            "vepa 10.0.0.50",
            Ipvlan {
                address: prefix("10.0.0.50"),
                flag: IpvlanFlag::Vepa,
                ..Ipvlan::default()
            },
        ),
        (
            "10.0.0.50/24 name ipvl1 bridge group 9",
            Ipvlan {
                name: Some("ipvl1".into()),
                address: prefix("10.0.0.50/24"),
                flag: IpvlanFlag::Bridge,
                group: Some(9),
                ..Ipvlan::default()
            },
        ),
        (
            "group 0 10.0.0.50/32 ipvl2",
            Ipvlan {
                name: Some("ipvl2".into()),
                address: prefix("10.0.0.50/32"),
                group: Some(0),
                ..Ipvlan::default()
            },
        ),
        (
            "ipvlan.253 10.0.0.6",
            Ipvlan {
                name: Some("ipvlan.253".into()),
                address: prefix("10.0.0.6"),
                ..Ipvlan::default()
            },
        ),
    ];
    for (args, expected) in cases {
        let text = instance("10.0.0.100/24", &format!(" use_ipvlan {args}\n"));
        let (ipvlan, diagnostics) = ipvlan_of(&text);
        assert_eq!(ipvlan, Some(expected), "use_ipvlan {args}");
        assert!(diagnostics.is_empty(), "use_ipvlan {args}: {diagnostics:?}");
        let (config, _) = parse_text(&text);
        assert!(
            config
                .not_supported
                .iter()
                .all(|n| n.keyword != "use_ipvlan"),
            "{:?}",
            config.not_supported
        );
    }
}

#[test]
fn ipv6_needs_no_address() {
    // Input: `use_ipvlan` alone, and with an IPv6 address, in an IPv6 instance.
    // Output: both accepted (the ipvlan's link-local is the source, keepalived.conf(5)).
    for args in ["", " fd00::5/64"] {
        let (ipvlan, diagnostics) =
            ipvlan_of(&instance("fd00::100/64", &format!(" use_ipvlan{args}\n")));
        assert_eq!(ipvlan.unwrap().address, prefix(args.trim()), "{args}");
        assert!(diagnostics.is_empty(), "{args}: {diagnostics:?}");
    }
}

#[test]
fn a_second_flag_is_an_error_at_its_word() {
    // Input: `use_ipvlan 10.0.0.50/24 bridge private` on line 7.
    // Output: keepalived's error at 'private' (7:33); the first flag stays.
    let (ipvlan, diagnostics) = ipvlan_of(&instance(
        "10.0.0.100",
        " use_ipvlan 10.0.0.50/24 bridge private\n",
    ));
    assert_eq!(ipvlan.unwrap().flag, IpvlanFlag::Bridge);
    assert_eq!(
        diagnostics,
        [(
            Severity::Error,
            "(VI_1) ipvlan type already specified - ignoring 'private'".into(),
            7,
            33
        )]
    );
}

#[test]
fn a_mode_word_after_the_name_is_an_error_at_its_word() {
    // Input: `use_ipvlan ipvl0 10.0.0.50/24 l3` (a kernel mode where a flag goes).
    // Output: keepalived 2.2.7's error at 'l3' (7:32), with what was expected; the
    // ipvlan keeps its name, address and the default flag.
    let (config, diagnostics) = parse_text(&instance(
        "10.0.0.100",
        " use_ipvlan ipvl0 10.0.0.50/24 l3\n",
    ));
    let error = diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("an error");
    assert_eq!(
        error.message,
        "(VI_1) IPVLAN interface already specified - ignoring 'l3'"
    );
    assert_eq!(error.span.map(|s| (s.line, s.col)), Some((7, 32)));
    assert!(
        error
            .help
            .as_deref()
            .unwrap_or("")
            .contains("bridge|private|vepa"),
        "{error:?}"
    );
    let ipvlan = config.vrrp.instances[0].use_ipvlan.clone().unwrap();
    assert_eq!(ipvlan.name.as_deref(), Some("ipvl0"));
    assert_eq!(ipvlan.flag, IpvlanFlag::Bridge);
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn a_mode_word_as_the_only_name_is_noted() {
    // Input: `use_ipvlan 10.0.0.50/24 l2` (keepalived takes 'l2' for the name).
    // Output: the name is 'l2', a note says so at 7:26 and the exit code stays 0.
    let (ipvlan, diagnostics) = ipvlan_of(&instance("10.0.0.100", " use_ipvlan 10.0.0.50/24 l2\n"));
    assert_eq!(ipvlan.unwrap().name.as_deref(), Some("l2"));
    assert_eq!(
        diagnostics,
        [(
            Severity::Note,
            "'l2' is taken as the ipvlan's name".into(),
            7,
            26
        )]
    );
}

#[test]
fn a_bad_group_is_an_error_at_its_value() {
    // Input: `group abc`, `group -1`, and `group` with nothing after it.
    // Output: an error at the value (or at `group`), no group kept.
    let cases = [
        ("10.0.0.50/24 group abc", 7, 32),
        ("10.0.0.50/24 group -1", 7, 32),
        ("10.0.0.50/24 group", 7, 26),
    ];
    for (args, line, col) in cases {
        let (ipvlan, diagnostics) =
            ipvlan_of(&instance("10.0.0.100", &format!(" use_ipvlan {args}\n")));
        assert_eq!(ipvlan.unwrap().group, None, "{args}");
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.0 == Severity::Error)
            .map(|d| (d.2, d.3))
            .collect();
        assert_eq!(errors, [(line, col)], "{args}: {diagnostics:?}");
    }
}

#[test]
fn address_mistakes_are_errors_at_the_address() {
    // Input: a second address; an address with a bad prefix length; an address of the
    // other family than the VIPs.
    // Output: keepalived's errors at the offending word; the first good address stays, a
    // wrong-family one is dropped (and an IPv4 instance then has none: FAULT, below).
    let (ipvlan, diagnostics) = ipvlan_of(&instance(
        "10.0.0.100",
        " use_ipvlan 10.0.0.50/24 10.0.0.51/24\n",
    ));
    assert_eq!(ipvlan.unwrap().address, prefix("10.0.0.50/24"));
    assert_eq!(
        diagnostics,
        [(
            Severity::Error,
            "(VI_1) ipvlan address already specified - ignoring '10.0.0.51/24'".into(),
            7,
            26
        )]
    );

    let (ipvlan, diagnostics) =
        ipvlan_of(&instance("10.0.0.100", " use_ipvlan ipvl0 10.0.0.50/33\n"));
    let ipvlan = ipvlan.unwrap();
    assert_eq!(
        (ipvlan.name.as_deref(), ipvlan.address),
        (Some("ipvl0"), None)
    );
    assert_eq!(
        (
            diagnostics[0].1.as_str(),
            diagnostics[0].2,
            diagnostics[0].3
        ),
        (
            "(VI_1) invalid ipvlan address '10.0.0.50/33' - ignoring",
            7,
            19
        )
    );

    let (ipvlan, diagnostics) =
        ipvlan_of(&instance("10.0.0.100", " use_ipvlan ipvl0 fd00::5/64\n"));
    assert_eq!(ipvlan.unwrap().address, None);
    assert_eq!(
        (
            diagnostics[0].1.as_str(),
            diagnostics[0].2,
            diagnostics[0].3
        ),
        (
            "(VI_1) ipvlan address[fd00::5/64] MUST match vrrp instance family !!! Skipping...",
            7,
            19
        )
    );
}

#[test]
fn ipv4_without_an_address_is_an_error() {
    // Input: `use_ipvlan` alone in an IPv4 instance.
    // Output: keepalived 2.2.7's error (the daemon keeps the instance in FAULT), exit 5.
    let (config, diagnostics) = parse_text(&instance("10.0.0.100", " use_ipvlan\n"));
    assert!(config.vrrp.instances[0].use_ipvlan.is_some());
    assert_eq!(
        diagnostics
            .iter()
            .map(|d| (d.severity, d.message.as_str()))
            .collect::<Vec<_>>(),
        [(
            Severity::Error,
            "(VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state"
        )]
    );
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn an_instance_made_ipv6_by_its_peers_needs_no_ipvlan_address() {
    // Input: no VIPs, an IPv6 unicast peer, `use_ipvlan` without an address.
    // Output: no "IPv4 ipvlan requires a source ip" error: the peer makes the instance IPv6,
    // as the daemon maps it (keel_conf's `written_family_ipv4`, one rule for both).
    let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
                unicast_peer {\n  fd00::2\n }\n use_ipvlan\n}\n";
    let (config, diagnostics) = parse_text(text);
    assert_eq!(config.vrrp.instances[0].written_family_ipv4(), Some(false));
    assert!(
        !diagnostics
            .iter()
            .any(|d| d.message.contains("requires a source ip")),
        "{diagnostics:?}"
    );
}

#[test]
fn repeats_and_long_names_are_errors() {
    // Input: use_ipvlan twice (line 8 the second); a 16-character name.
    // Output: the first use_ipvlan is kept; the long name is ignored.
    let (ipvlan, diagnostics) = ipvlan_of(&instance(
        "10.0.0.100",
        " use_ipvlan 10.0.0.50/24\n use_ipvlan 10.0.0.51/24\n",
    ));
    assert_eq!(ipvlan.unwrap().address, prefix("10.0.0.50/24"));
    assert_eq!(
        diagnostics,
        [(
            Severity::Error,
            "(VI_1) use_ipvlan already specified".into(),
            8,
            2
        )]
    );

    let (ipvlan, diagnostics) = ipvlan_of(&instance(
        "10.0.0.100",
        " use_ipvlan abcdefghijklmnop 10.0.0.50/24\n",
    ));
    assert_eq!(ipvlan.unwrap().name, None);
    assert_eq!(
        diagnostics,
        [(
            Severity::Error,
            "(VI_1) IPVLAN interface name 'abcdefghijklmnop' too long - ignoring".into(),
            7,
            13
        )]
    );
}

#[test]
fn xmit_base_and_unicast_with_an_ipvlan_are_errors() {
    // Input: use_ipvlan with vmac_xmit_base; use_ipvlan with a unicast peer.
    // Output: keepalived 2.2.7's errors, and no vmac_xmit_base in the model (it is only
    // for a VMAC).
    let (config, diagnostics) = parse_text(&instance(
        "10.0.0.100",
        " use_ipvlan 10.0.0.50/24\n vmac_xmit_base\n",
    ));
    assert!(!config.vrrp.instances[0].vmac_xmit_base);
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        ["(VI_1) vmac_xmit_base is only valid with a vmac"]
    );

    let (config, diagnostics) = parse_text(&instance(
        "10.0.0.100",
        " use_ipvlan 10.0.0.50/24\n unicast_peer {\n  10.0.0.9\n }\n",
    ));
    assert!(!config.vrrp.instances[0].vmac_xmit_base);
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "(VI_1) unicast with use_vmac requires vmac_xmit_base - setting",
            "(VI_1) vmac_xmit_base is only valid with a vmac"
        ]
    );
}

#[test]
fn two_instances_cannot_share_a_name() {
    // Input: VI_1 `use_vmac shared0`, VI_2 `use_ipvlan shared0 10.0.0.60/24`.
    // Output: VI_2's name is dropped with keepalived's warning (it gets the default).
    let text = format!(
        "{}{}",
        instance("10.0.0.100", " use_vmac shared0\n"),
        instance("10.0.0.101", " use_ipvlan shared0 10.0.0.60/24\n")
            .replace("VI_1", "VI_2")
            .replace("router_id 51", "router_id 52")
    );
    let (config, diagnostics) = parse_text(&text);
    assert_eq!(
        config.vrrp.instances[1].use_ipvlan.as_ref().unwrap().name,
        None
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message
                == "(VI_2) VRRP instance VI_1 is already using shared0 - ignoring name"),
        "{diagnostics:?}"
    );
}
