//! virtual_server_group and ha_suspend.

mod common;

use common::*;
use keel_check::*;
use keel_lb::{Family, ServiceKey};

fn group_config() -> CheckConfig {
    let mut vs = VirtualServerConfig::new(VirtualServerTarget::Group { name: "web".into() });
    vs.timing.delay_loop = Some(std::time::Duration::from_secs(5));
    vs.timing.warmup = Some(std::time::Duration::ZERO);
    vs.timing.retry = Some(0);
    vs.real_servers.push(tcp_server("10.0.0.1"));
    vs.real_servers.push(tcp_server("10.0.0.2"));
    CheckConfig {
        virtual_servers: vec![vs],
        groups: vec![VirtualServerGroupConfig {
            name: "web".into(),
            entries: vec![
                GroupEntry::Range {
                    first: "192.168.201.10".parse().unwrap(),
                    last: "192.168.201.12".parse().unwrap(),
                    port: 80,
                },
                GroupEntry::Fwmark {
                    mark: 5,
                    family: None,
                },
            ],
        }],
        ..CheckConfig::default()
    }
}

// Input: a group of 192.168.201.10-12:80 and fwmark 5; two real servers; .2 dies.
// Output: four services, each with the same real servers (NAT, no port given: port 80 under
// the addresses, 0 under the fwmark); the dead server leaves all four; it is probed once
// (on the first member's port), not per member.
#[test]
fn a_group_programs_the_same_servers_on_every_member() {
    let mut lab = Lab::new(group_config());
    let services: Vec<ServiceKey> = lab.applied.services.keys().copied().collect();
    assert_eq!(
        services,
        vec![
            service("192.168.201.10", 80),
            service("192.168.201.11", 80),
            service("192.168.201.12", 80),
            ServiceKey::fwmark(5, Family::Inet),
        ]
    );
    let port = |key: &ServiceKey| {
        if matches!(key, ServiceKey::Fwmark { .. }) {
            0
        } else {
            80
        }
    };
    for key in &services {
        assert_eq!(
            lab.weight(key, &format!("10.0.0.1:{}", port(key))),
            Some(1),
            "{key}"
        );
        assert_eq!(
            lab.weight(key, &format!("10.0.0.2:{}", port(key))),
            Some(1),
            "{key}"
        );
    }
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(1.0));
    for key in &services {
        assert_eq!(
            lab.weight(key, &format!("10.0.0.2:{}", port(key))),
            None,
            "{key}"
        );
        assert_eq!(
            lab.weight(key, &format!("10.0.0.1:{}", port(key))),
            Some(1),
            "{key}"
        );
    }
    assert_eq!(lab.probe_times("10.0.0.2:80"), vec![0.0]);
    assert_eq!(
        lab.rs_fifo()[0].1,
        "RS [10.0.0.2]:tcp:80 [web]:0 DOWN",
        "keepalived prints a group's virtual server as [NAME]:port"
    );
}

// Input: a group naming no virtual_server_group; a range that runs backwards.
// Output: configuration errors, not panics.
#[test]
fn bad_groups_are_refused() {
    let mut config = group_config();
    config.groups.clear();
    assert_eq!(
        Checks::new(config, base(), 1).err(),
        Some(ConfigError::UnknownGroup("web".into()))
    );
    let mut config = group_config();
    config.groups[0].entries[0] = GroupEntry::Range {
        first: "192.168.201.12".parse().unwrap(),
        last: "192.168.201.10".parse().unwrap(),
        port: 80,
    };
    assert!(matches!(
        Checks::new(config, base(), 1),
        Err(ConfigError::InvalidRange { .. })
    ));
}

fn suspended_config(fwmark: bool) -> CheckConfig {
    let mut vs = if fwmark {
        let mut vs = VirtualServerConfig::new(VirtualServerTarget::Fwmark {
            mark: 3,
            family: None,
        });
        vs.timing.delay_loop = Some(std::time::Duration::from_secs(5));
        vs.timing.warmup = Some(std::time::Duration::ZERO);
        vs
    } else {
        virtual_server("192.168.201.15", 80, 5)
    };
    vs.ha_suspend = true;
    vs.real_servers.push(tcp_server("10.0.0.1"));
    config(vec![vs])
}

// Input: ha_suspend; the VIP is not local until 12 s, and leaves again at 22 s.
// Output: no probe while it is not local (the checker ticks every delay_loop without
// probing); probes at 15 and 20 once it is; none after it left.
#[test]
fn ha_suspend_pauses_checkers_while_the_address_is_not_local() {
    let mut lab = Lab::new(suspended_config(false));
    lab.run_until(secs(12.0));
    assert!(lab.probes.is_empty());
    assert!(lab.checks.virtual_servers()[0].suspended);
    lab.input(Input::AddressLocal {
        address: "192.168.201.15".parse().unwrap(),
        local: true,
    });
    lab.run_until(secs(22.0));
    lab.input(Input::AddressLocal {
        address: "192.168.201.15".parse().unwrap(),
        local: false,
    });
    lab.run_until(secs(40.0));
    assert_eq!(lab.probe_times("10.0.0.1:80"), vec![15.0, 20.0]);
}

// Input: ha_suspend; two real servers; the VIP is not local at start, becomes local at
// 3 s, 10.0.0.2 stops answering at 4 s, the VIP leaves at 7 s, 10.0.0.2 answers again at
// 8 s and 10.0.0.1 stops at 9 s.
// Output: keepalived 2.2.7's behaviour (check_api.c update_checker_activity only enables
// or disables the checkers; ipwrapper.c adds the service and its servers at start and
// never removes them for ha_suspend): the service and both servers are programmed while
// suspended; while the VIP is local the dead server leaves; once the VIP is gone the table
// stays as it was: nothing is probed, so neither change after 7 s shows.
#[test]
fn ha_suspend_keeps_the_load_balancer_entries_as_they_are() {
    let vip = "192.168.201.15";
    let mut config = suspended_config(false);
    config.virtual_servers[0]
        .real_servers
        .push(tcp_server("10.0.0.2"));
    let mut lab = Lab::new(config);
    let key = service(vip, 80);
    lab.run_until(secs(2.0));
    assert_eq!(lab.weight(&key, "10.0.0.1:80"), Some(1));
    assert_eq!(lab.weight(&key, "10.0.0.2:80"), Some(1));
    lab.run_until(secs(3.0));
    lab.input(Input::AddressLocal {
        address: vip.parse().unwrap(),
        local: true,
    });
    lab.run_until(secs(4.0));
    lab.set("10.0.0.2:80", Health::Down);
    lab.run_until(secs(7.0));
    assert_eq!(
        lab.weight(&key, "10.0.0.2:80"),
        None,
        "removed while checked"
    );
    lab.input(Input::AddressLocal {
        address: vip.parse().unwrap(),
        local: false,
    });
    lab.run_until(secs(8.0));
    lab.set("10.0.0.2:80", Health::Up);
    lab.run_until(secs(9.0));
    lab.set("10.0.0.1:80", Health::Down);
    lab.run_until(secs(30.0));
    assert!(lab.checks.virtual_servers()[0].suspended);
    assert_eq!(
        lab.weight(&key, "10.0.0.1:80"),
        Some(1),
        "kept while suspended"
    );
    assert_eq!(
        lab.weight(&key, "10.0.0.2:80"),
        None,
        "not re-added while suspended"
    );
    assert!(lab.applied.services.contains_key(&key), "the service stays");
}

// Input: ha_suspend on a fwmark virtual server (it has no address of its own).
// Output: never suspended: probes from the start (keepalived enables fwmark checkers).
#[test]
fn ha_suspend_never_holds_a_fwmark_service() {
    let mut lab = Lab::new(suspended_config(true));
    lab.run_until(secs(6.0));
    assert_eq!(lab.probe_times("10.0.0.1:0"), vec![0.0, 5.0]);
}
