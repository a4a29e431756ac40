//! IPVS programmed by keel in a VM running Debian's cloud kernel (this host's kernel has no
//! IPVS; ARCHITECTURE.md "Test environments", LAB-NOTES.md "IPVS in a VM"). `ipvsadm -Ln`
//! inside the VM is the judge, and keepalived 2.2.7 in the same VM, given the equivalent
//! `keepalived.conf`, is the reference.
//!
//! The host test copies this very test binary into the VM and runs its ignored test
//! `in_vm_payload` there: that one applies each desired state through [`Ipvs`], checks
//! that the kernel reads back as the same state, and prints `ipvsadm` output between
//! markers. The host test then asserts on those tables.
//!
//! Needs qemu (TCG, no KVM) and, for the first run, `apt-get download` of the kernel: Debian
//! packages qemu-system-x86, busybox-static, cpio, xz-utils, ipvsadm, keepalived.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::Command;

use keel_lb::{
    Desired, DestKey, Destination, Family, ForwardingMethod, Persistence, Protocol, Scheduler,
    SchedulerFlags, ServiceKey, ServiceSettings, TunnelChecksum, TunnelType, diff,
};
use keel_sys::ipvs::{Ipvs, SyncDaemon, SyncRole, Timeouts};
use keel_sys::lb::{Backend, BackendChoice, LbBackend};

const BEGIN: &str = "==KEEL-VM-BEGIN==";
const END: &str = "==KEEL-VM-END==";

fn vip(address: &str, port: u16, protocol: Protocol) -> ServiceKey {
    ServiceKey::address(address.parse().unwrap(), port, protocol)
}

fn rs(address: &str, port: u16) -> DestKey {
    DestKey::new(address.parse::<IpAddr>().unwrap(), port)
}

fn settings(scheduler: Scheduler) -> ServiceSettings {
    ServiceSettings {
        scheduler,
        ..ServiceSettings::default()
    }
}

fn with(weight: u32, method: ForwardingMethod) -> Destination {
    Destination {
        weight,
        method,
        ..Destination::default()
    }
}

fn tunnel(tunnel: TunnelType, checksum: TunnelChecksum) -> ForwardingMethod {
    ForwardingMethod::Tunnel { tunnel, checksum }
}

/// The first state: NAT, DR and TUN (ipip, gue, gre); rr, wrr, lc, wlc, sh, mh; persistence
/// with granularity and with the SIP engine; fwmark; TCP, UDP (with `ops`) and SCTP; IPv4
/// and IPv6.
fn initial() -> Desired {
    use ForwardingMethod::{DirectRouting as Dr, Nat};
    let mut desired = Desired::default();
    let mut service =
        |key: ServiceKey, settings: ServiceSettings, dests: &[(DestKey, Destination)]| {
            desired.insert_service(key, settings);
            for (dest, destination) in dests {
                desired
                    .insert_destination(key, *dest, *destination)
                    .unwrap();
            }
        };
    service(
        vip("192.168.201.15", 80, Protocol::Tcp),
        settings(Scheduler::Wrr),
        &[
            (rs("10.0.1.1", 8080), with(1, Nat)),
            (rs("10.0.1.2", 8080), with(2, Nat)),
            (rs("10.0.1.3", 8080), with(3, Nat)),
        ],
    );
    service(
        vip("192.168.201.15", 443, Protocol::Tcp),
        ServiceSettings {
            persistence: Some(Persistence {
                timeout: 300,
                netmask: 0xffff_ff00,
            }),
            ..settings(Scheduler::Rr)
        },
        &[
            (rs("10.0.1.1", 443), with(1, Dr)),
            (rs("10.0.1.2", 443), with(1, Dr)),
        ],
    );
    service(
        vip("192.168.201.16", 53, Protocol::Udp),
        ServiceSettings {
            one_packet: true,
            ..settings(Scheduler::Lc)
        },
        &[
            (rs("10.0.1.1", 53), with(1, Nat)),
            (rs("10.0.1.2", 53), with(1, Nat)),
        ],
    );
    service(
        vip("192.168.201.17", 80, Protocol::Tcp),
        settings(Scheduler::Wlc),
        &[
            (
                rs("10.0.2.1", 80),
                with(1, tunnel(TunnelType::Ipip, TunnelChecksum::None)),
            ),
            (
                rs("10.0.2.2", 80),
                Destination {
                    upper_threshold: 100,
                    lower_threshold: 10,
                    ..with(4, tunnel(TunnelType::Ipip, TunnelChecksum::None))
                },
            ),
        ],
    );
    let both_flags = SchedulerFlags {
        flag1: true,
        flag2: true,
        flag3: false,
    };
    service(
        vip("192.168.201.18", 80, Protocol::Tcp),
        ServiceSettings {
            scheduler_flags: both_flags,
            ..settings(Scheduler::Sh)
        },
        &[
            (rs("10.0.1.1", 80), with(1, Dr)),
            (rs("10.0.1.2", 80), with(1, Dr)),
        ],
    );
    service(
        vip("192.168.201.19", 80, Protocol::Tcp),
        ServiceSettings {
            scheduler_flags: both_flags,
            ..settings(Scheduler::Mh)
        },
        &[
            (
                rs("10.0.2.1", 80),
                with(
                    1,
                    tunnel(TunnelType::Gue { port: 6080 }, TunnelChecksum::None),
                ),
            ),
            (
                rs("10.0.2.2", 80),
                with(1, tunnel(TunnelType::Gre, TunnelChecksum::Checksum)),
            ),
        ],
    );
    service(
        ServiceKey::fwmark(7, Family::Inet),
        ServiceSettings {
            persistence: Some(Persistence::per_client(60, Family::Inet)),
            ..settings(Scheduler::Wrr)
        },
        &[
            (rs("10.0.1.1", 0), with(2, Dr)),
            (rs("10.0.1.2", 0), with(1, Dr)),
        ],
    );
    service(
        vip("2001:db8::15", 80, Protocol::Tcp),
        settings(Scheduler::Wrr),
        &[
            (rs("2001:db8:1::1", 80), with(1, Nat)),
            (rs("2001:db8:1::2", 80), with(2, Nat)),
        ],
    );
    service(
        vip("192.168.201.20", 3868, Protocol::Sctp),
        settings(Scheduler::Rr),
        &[(rs("10.0.1.1", 3868), with(1, Nat))],
    );
    service(
        vip("192.168.201.21", 5060, Protocol::Udp),
        ServiceSettings {
            persistence: Some(Persistence::per_client(60, Family::Inet)),
            persistence_engine: Some("sip".into()),
            ..settings(Scheduler::Rr)
        },
        &[(rs("10.0.1.1", 5060), with(1, Nat))],
    );
    desired
}

/// The same services as keepalived.conf, real servers without checkers (so all are up).
const KEEPALIVED_CONF: &str = r#"
virtual_server 192.168.201.15 80 {
    lvs_sched wrr
    lvs_method NAT
    protocol TCP
    real_server 10.0.1.1 8080 { weight 1 }
    real_server 10.0.1.2 8080 { weight 2 }
    real_server 10.0.1.3 8080 { weight 3 }
}
virtual_server 192.168.201.15 443 {
    lvs_sched rr
    lvs_method DR
    protocol TCP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 10.0.1.1 443 { weight 1 }
    real_server 10.0.1.2 443 { weight 1 }
}
virtual_server 192.168.201.16 53 {
    lvs_sched lc
    lvs_method NAT
    protocol UDP
    ops
    real_server 10.0.1.1 53 { weight 1 }
    real_server 10.0.1.2 53 { weight 1 }
}
virtual_server 192.168.201.17 80 {
    lvs_sched wlc
    lvs_method TUN
    protocol TCP
    real_server 10.0.2.1 80 { weight 1 }
    real_server 10.0.2.2 80 {
        weight 4
        uthreshold 100
        lthreshold 10
    }
}
virtual_server 192.168.201.18 80 {
    lvs_sched sh
    sh-port
    sh-fallback
    lvs_method DR
    protocol TCP
    real_server 10.0.1.1 80 { weight 1 }
    real_server 10.0.1.2 80 { weight 1 }
}
virtual_server 192.168.201.19 80 {
    lvs_sched mh
    mh-port
    mh-fallback
    protocol TCP
    real_server 10.0.2.1 80 {
        weight 1
        lvs_method TUN type gue port 6080 nocsum
    }
    real_server 10.0.2.2 80 {
        weight 1
        lvs_method TUN type gre csum
    }
}
virtual_server fwmark 7 {
    lvs_sched wrr
    lvs_method DR
    persistence_timeout 60
    real_server 10.0.1.1 0 { weight 2 }
    real_server 10.0.1.2 0 { weight 1 }
}
virtual_server 2001:db8::15 80 {
    lvs_sched wrr
    lvs_method NAT
    protocol TCP
    real_server 2001:db8:1::1 80 { weight 1 }
    real_server 2001:db8:1::2 80 { weight 2 }
}
virtual_server 192.168.201.20 3868 {
    lvs_sched rr
    lvs_method NAT
    protocol SCTP
    real_server 10.0.1.1 3868 { weight 1 }
}
virtual_server 192.168.201.21 5060 {
    lvs_sched rr
    lvs_method NAT
    protocol UDP
    persistence_timeout 60
    persistence_engine sip
    real_server 10.0.1.1 5060 { weight 1 }
}
"#;

/// The steps after `initial`, each a (name, state) the backend is driven to by diff.
fn steps() -> Vec<(&'static str, Desired)> {
    let web = vip("192.168.201.15", 80, Protocol::Tcp);
    let mut steps = vec![("initial", initial())];
    let mut state = initial();
    state
        .insert_destination(web, rs("10.0.1.2", 8080), Destination::nat(5))
        .unwrap();
    steps.push(("weight", state.clone()));
    state
        .services
        .get_mut(&web)
        .unwrap()
        .destinations
        .remove(&rs("10.0.1.3", 8080));
    steps.push(("remove", state.clone()));
    state.insert_service(
        web,
        ServiceSettings {
            persistence: Some(Persistence::per_client(120, Family::Inet)),
            ..settings(Scheduler::Lc)
        },
    );
    steps.push(("edit-service", state.clone()));
    state
        .insert_destination(web, rs("10.0.1.1", 8080), Destination::nat(0))
        .unwrap();
    steps.push(("inhibit", state.clone()));
    steps.push(("empty", Desired::default()));
    steps
}

fn ipvsadm(args: &[&str]) -> String {
    let output = Command::new("ipvsadm")
        .args(args)
        .output()
        .expect("ipvsadm runs in the VM (it is in the initramfs)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn section(name: &str, text: &str) {
    println!("==SECTION {name}==");
    print!("{text}");
    println!("==END SECTION==");
}

/// Runs inside the VM only (the host test starts it there).
#[test]
#[ignore = "runs inside the IPVS VM; started by ipvs_tables_in_vm"]
fn in_vm_payload() {
    let mut ipvs = Ipvs::open().expect("the VM kernel has IPVS");
    let info = ipvs.info().unwrap();
    section("info", &format!("version {:#08x}\n", info.version));
    ipvs.flush().unwrap();

    for (name, desired) in steps() {
        let current = ipvs.current().unwrap();
        let ops = diff(&current, &desired);
        ipvs.apply(&ops).unwrap();
        // Decoding against a real kernel: what we wrote reads back as the same model.
        assert_eq!(ipvs.current().unwrap(), desired, "step {name}");
        section(name, &format!("ops {}\n{}", ops.len(), ipvsadm(&["-Ln"])));
        if name == "initial" {
            section("initial-tunnels", &ipvsadm(&["-Ln", "--tun-info"]));
            section("initial-thresholds", &ipvsadm(&["-Ln", "--thresholds"]));
            section(
                "initial-persistent",
                &ipvsadm(&["-Ln", "--persistent-conn"]),
            );
        }
    }

    // Refusals come back as the kernel's errno, as ipvsadm reports them.
    let web = vip("192.168.201.15", 80, Protocol::Tcp);
    ipvs.add_service(&web, &settings(Scheduler::Rr)).unwrap();
    let exists = ipvs
        .add_service(&web, &settings(Scheduler::Rr))
        .unwrap_err();
    assert_eq!(exists.netlink_errno(), Some(libc::EEXIST), "{exists}");
    let missing = ipvs
        .delete_destination(&web, &rs("10.9.9.9", 80))
        .unwrap_err();
    assert_eq!(missing.netlink_errno(), Some(libc::ENOENT), "{missing}");
    let no_service = ipvs
        .delete_service(&vip("192.168.201.99", 80, Protocol::Tcp))
        .unwrap_err();
    assert_eq!(
        no_service.netlink_errno(),
        Some(libc::ESRCH),
        "{no_service}"
    );
    println!("refusals ok");

    // Every lvs_sched: one service moves through each in place (IPVS_CMD_SET_SERVICE) and
    // reads back with it; a scheduler whose module the kernel lacks is refused with ENOENT.
    let mut available = Vec::new();
    for scheduler in Scheduler::ALL {
        match ipvs.edit_service(&web, &settings(scheduler)) {
            Ok(()) => {
                assert_eq!(ipvs.services().unwrap(), vec![(web, settings(scheduler))]);
                available.push(scheduler.name());
            }
            Err(error) => assert_eq!(error.netlink_errno(), Some(libc::ENOENT), "{error}"),
        }
    }
    section("schedulers", &format!("{}\n", available.join(" ")));
    ipvs.delete_service(&web).unwrap();

    // Stop without lvs_flush_on_stop: keel removes what it applied and nothing else.
    assert!(
        Command::new("ipvsadm")
            .args(["-A", "-u", "192.168.201.50:53", "-s", "rr"])
            .status()
            .unwrap()
            .success()
    );
    // The automatic choice takes IPVS where the kernel has it.
    let mut backend = Backend::open(BackendChoice::Auto).unwrap();
    assert_eq!(backend.kind(), "ipvs");
    backend
        .apply(&diff(&Desired::default(), &initial()))
        .unwrap();
    backend.stop(&initial(), false).unwrap();
    section("removed-own", &ipvsadm(&["-Ln"]));

    // lvs_flush_on_stop: everything goes, services keel did not add included.
    let backend = Backend::open(BackendChoice::Ipvs).unwrap();
    backend.stop(&Desired::default(), true).unwrap();
    assert_eq!(ipvs.current().unwrap(), Desired::default());
    section("after-flush", &ipvsadm(&["-Ln"]));

    // lvs_timeouts
    let timeouts = Timeouts {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    };
    ipvs.set_timeouts(&timeouts).unwrap();
    assert_eq!(ipvs.timeouts().unwrap(), timeouts);
    ipvs.set_timeouts(&Timeouts {
        tcp: 0,
        tcp_fin: 0,
        udp: 200,
    })
    .unwrap();
    section("timeouts", &ipvsadm(&["-L", "--timeout"]));

    // lvs_sync_daemon
    let daemon = SyncDaemon {
        role: SyncRole::Master,
        interface: "dummy0".into(),
        sync_id: 5,
        max_len: Some(1400),
        group: Some("224.0.0.82".parse().unwrap()),
        port: Some(8850),
        ttl: Some(2),
    };
    ipvs.start_sync_daemon(&daemon).unwrap();
    assert_eq!(ipvs.sync_daemons().unwrap(), vec![daemon]);
    section("daemon", &ipvsadm(&["-L", "--daemon"]));
    ipvs.stop_sync_daemon(SyncRole::Master).unwrap();
    assert_eq!(ipvs.sync_daemons().unwrap(), vec![]);
    section("daemon-stopped", &ipvsadm(&["-L", "--daemon"]));
}

/// The VM's console output split into `==SECTION name==` blocks.
fn sections(console: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in console.lines() {
        let line = line.trim_end_matches('\r');
        // libtest's "test in_vm_payload ... " may precede the first marker on its line.
        let marker = line.find("==SECTION ").map(|at| &line[at..]);
        if let Some(name) = marker
            .and_then(|rest| rest.strip_prefix("==SECTION "))
            .and_then(|rest| rest.strip_suffix("=="))
        {
            current = Some((name.to_string(), String::new()));
        } else if line == "==END SECTION==" {
            if let Some((name, text)) = current.take() {
                out.insert(name, text);
            }
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

/// An `ipvsadm -Ln` table as a set of services, each with its sorted destination lines,
/// whitespace collapsed: the kernel lists services in hash order.
fn table(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut service = None;
    for line in text.lines() {
        let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if ["TCP ", "UDP ", "SCTP ", "FWM "]
            .iter()
            .any(|p| words.starts_with(p))
        {
            out.insert(words.clone(), Vec::new());
            service = Some(words);
        } else if let (Some(key), true) = (&service, words.starts_with("-> ")) {
            if !words.starts_with("-> RemoteAddress") {
                out.entry(key.clone()).or_default().push(words);
            }
        }
    }
    for dests in out.values_mut() {
        dests.sort();
    }
    out
}

fn run_vm() -> String {
    let expected_dests = initial().destination_count();
    let script = format!(
        r#"#!/bin/sh
# The dummy module made dummy0 when it was loaded; the sync daemon needs it up with an
# address and a multicast route.
ip link add dummy0 type dummy 2>/dev/null
ip link set dummy0 multicast on up
ip addr add 10.99.0.1/24 dev dummy0
ip route add 224.0.0.0/4 dev dummy0
./ipvs_vm --ignored --exact in_vm_payload --nocapture --test-threads=1 2>&1
echo "==PAYLOAD-EXIT $?=="
ipvsadm -C
keepalived -n -l -C -f /payload/keepalived.conf -p /run/keepalived.pid -c /run/checkers.pid >/tmp/keepalived.log 2>&1 &
i=0
while [ $i -lt 120 ]; do
    [ "$(ipvsadm -Ln | grep -c -- '->' )" -ge {with_header} ] && break
    sleep 0.5
    i=$((i + 1))
done
sleep 1
echo "==SECTION keepalived=="
ipvsadm -Ln
echo "==END SECTION=="
echo "==SECTION keepalived-tunnels=="
ipvsadm -Ln --tun-info
echo "==END SECTION=="
echo "==SECTION keepalived-log=="
cat /tmp/keepalived.log
echo "==END SECTION=="
kill "$(cat /run/keepalived.pid)"
"#,
        with_header = expected_dests + 1
    );
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let console = keel_lab::vm::run_payload(&test_binary, "ipvs_vm", KEEPALIVED_CONF, &script).0;
    assert!(
        console.contains(BEGIN) && console.contains(END),
        "the VM did not run the payload:\n{console}"
    );
    console
}

// Input: the desired states of `steps()` applied in turn by keel's IPVS backend inside the
// VM, then keepalived 2.2.7 started there with the equivalent keepalived.conf.
// Output: every state reads back from the kernel as written (checked in the VM); the
// tables `ipvsadm -Ln` shows are the expected ones; each edit changes only its own line;
// keepalived programs exactly the table keel programmed for the same configuration.
#[test]
fn ipvs_tables_in_vm() {
    let console = run_vm();
    let sections = sections(&console);
    let payload = console
        .split(BEGIN)
        .nth(1)
        .and_then(|rest| rest.split(END).next())
        .unwrap_or_default();
    assert!(
        payload.contains("==PAYLOAD-EXIT 0=="),
        "the in-VM checks failed:\n{payload}"
    );
    let section = |name: &str| {
        sections
            .get(name)
            .unwrap_or_else(|| panic!("no section {name} in:\n{payload}"))
            .as_str()
    };
    assert!(section("info").contains("version 0x010201"));

    // The first table, as ipvsadm prints it.
    let initial = table(section("initial"));
    assert_eq!(initial, table(EXPECTED_INITIAL), "{}", section("initial"));
    assert!(section("initial").starts_with("ops 29\n"));
    let tunnels = section("initial-tunnels");
    for line in [
        "-> 10.0.2.1:80 Tunnel ipip 1 0 0",
        "-> 10.0.2.1:80 Tunnel gue:6080:-c 1 0 0",
        "-> 10.0.2.2:80 Tunnel gre:+c 1 0 0",
    ] {
        assert!(
            lines(tunnels).iter().any(|l| l == line),
            "{line} missing in\n{tunnels}"
        );
    }
    assert!(
        lines(section("initial-thresholds"))
            .iter()
            .any(|l| l == "-> 10.0.2.2:80 100 10 0 0")
    );

    // Each edit is one op and changes only its own line.
    let step = |name: &str, ops: usize| {
        let text = section(name);
        assert!(text.starts_with(&format!("ops {ops}\n")), "{name}: {text}");
        table(text)
    };
    let weight = step("weight", 1);
    assert_eq!(
        changed(&initial, &weight),
        (
            vec!["-> 10.0.1.2:8080 Masq 2 0 0".to_string()],
            vec!["-> 10.0.1.2:8080 Masq 5 0 0".to_string()]
        )
    );
    let remove = step("remove", 1);
    assert_eq!(
        changed(&weight, &remove),
        (vec!["-> 10.0.1.3:8080 Masq 3 0 0".to_string()], vec![])
    );
    let edit = step("edit-service", 1);
    assert_eq!(
        changed(&remove, &edit),
        (
            vec!["TCP 192.168.201.15:80 wrr".to_string()],
            vec!["TCP 192.168.201.15:80 lc persistent 120".to_string()]
        )
    );
    let inhibit = step("inhibit", 1);
    assert_eq!(
        changed(&edit, &inhibit),
        (
            vec!["-> 10.0.1.1:8080 Masq 1 0 0".to_string()],
            vec!["-> 10.0.1.1:8080 Masq 0 0 0".to_string()]
        )
    );
    // Removing everything: 18 destinations, then 10 services.
    assert!(step("empty", 28).is_empty());
    // Debian 12's kernel has every scheduler but twos (Linux 6.2 added it).
    assert_eq!(
        section("schedulers").trim(),
        "rr wrr lc wlc lblc sh mh dh fo ovf lblcr sed nq"
    );
    assert_eq!(
        table(section("removed-own")),
        table("UDP  192.168.201.50:53 rr\n"),
        "{}",
        section("removed-own")
    );
    assert!(table(section("after-flush")).is_empty());

    assert!(
        section("timeouts").contains("Timeout (tcp tcpfin udp): 900 120 200"),
        "{}",
        section("timeouts")
    );
    assert_eq!(
        section("daemon").trim(),
        "master sync daemon (mcast=dummy0, syncid=5, maxlen=1400, group=224.0.0.82, port=8850, ttl=2)"
    );
    assert_eq!(section("daemon-stopped").trim(), "");

    // keepalived 2.2.7, same configuration, same kernel: the same table.
    assert_eq!(
        table(section("keepalived")),
        initial,
        "keepalived:\n{}\nkeel:\n{}\nlog:\n{}",
        section("keepalived"),
        section("initial"),
        section("keepalived-log")
    );
    assert_eq!(
        table(section("keepalived-tunnels")),
        table(tunnels),
        "{}",
        section("keepalived-tunnels")
    );
}

const EXPECTED_INITIAL: &str = "
TCP  192.168.201.15:80 wrr
  -> 10.0.1.1:8080                Masq    1      0          0
  -> 10.0.1.2:8080                Masq    2      0          0
  -> 10.0.1.3:8080                Masq    3      0          0
TCP  192.168.201.15:443 rr persistent 300 mask 255.255.255.0
  -> 10.0.1.1:443                 Route   1      0          0
  -> 10.0.1.2:443                 Route   1      0          0
TCP  192.168.201.17:80 wlc
  -> 10.0.2.1:80                  Tunnel  1      0          0
  -> 10.0.2.2:80                  Tunnel  4      0          0
TCP  192.168.201.18:80 sh (sh-fallback,sh-port)
  -> 10.0.1.1:80                  Route   1      0          0
  -> 10.0.1.2:80                  Route   1      0          0
TCP  192.168.201.19:80 mh (mh-fallback,mh-port)
  -> 10.0.2.1:80                  Tunnel  1      0          0
  -> 10.0.2.2:80                  Tunnel  1      0          0
UDP  192.168.201.16:53 lc ops
  -> 10.0.1.1:53                  Masq    1      0          0
  -> 10.0.1.2:53                  Masq    1      0          0
SCTP 192.168.201.20:3868 rr
  -> 10.0.1.1:3868                Masq    1      0          0
TCP  [2001:db8::15]:80 wrr
  -> [2001:db8:1::1]:80           Masq    1      0          0
  -> [2001:db8:1::2]:80           Masq    2      0          0
FWM  7 wrr persistent 60
  -> 10.0.1.1:0                   Route   2      0          0
  -> 10.0.1.2:0                   Route   1      0          0
UDP  192.168.201.21:5060 rr persistent 60 pe sip
  -> 10.0.1.1:5060                Masq    1      0          0
";

/// Every line of an ipvsadm listing, whitespace collapsed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Lines only in `before` and lines only in `after`, compared service by service (a
/// service is known by its protocol and address, so a changed scheduler is one changed line).
fn changed(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
) -> (Vec<String>, Vec<String>) {
    let by_identity = |table: &BTreeMap<String, Vec<String>>| {
        table
            .iter()
            .map(|(service, dests)| {
                let identity = service.split(' ').take(2).collect::<Vec<_>>().join(" ");
                let mut lines = vec![service.clone()];
                lines.extend(dests.iter().cloned());
                (identity, lines)
            })
            .collect::<BTreeMap<_, _>>()
    };
    let (before, after) = (by_identity(before), by_identity(after));
    let empty = Vec::new();
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for identity in before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let old = before.get(identity).unwrap_or(&empty);
        let new = after.get(identity).unwrap_or(&empty);
        removed.extend(old.iter().filter(|l| !new.contains(l)).cloned());
        added.extend(new.iter().filter(|l| !old.contains(l)).cloned());
    }
    (removed, added)
}
