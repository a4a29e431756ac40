//! `use_ipvlan` (spec §2.6, §3.10) in the test VM (Debian's cloud kernel under qemu,
//! `tests/vm/`; this machine's kernel has no ipvlan), keel beside keepalived 2.2.7 on the
//! same configuration.
//!
//! The VM's root namespace runs the daemon on `v0`, a veth whose other end `v1` is in the
//! namespace `peer`, where tcpdump captures the adverts. Per daemon: start it, let it
//! become MASTER, record the ipvlan (`ip -d link`), the addresses, the ipvlan's IPv6 switch,
//! the SIGUSR1 data dump and a ping of the VIP from the peer, stop it (SIGTERM), record the
//! links again and the capture. Then each daemon once more (`linkphase`): while it is
//! MASTER someone removes the ipvlan's address, sets the ipvlan down, up, and deletes it.
//!
//! Needs the VM build's Debian packages: qemu-system-x86, busybox-static, cpio,
//! xz-utils, ipvsadm, keepalived, iproute2, tcpdump.

use std::path::Path;

/// The side-by-side configuration (keepalived 2.2.7 accepts every word of it): a named
/// ipvlan with an address and the `private` flag.
const CONFIG: &str = "
vrrp_instance VI_1 {
  state MASTER
  interface v0
  virtual_router_id 51
  priority 150
  version 3
  advert_int 0.5
  use_ipvlan ipvl0 10.0.0.50/24 private
  virtual_ipaddress {
    10.0.0.100/24
  }
}
";

/// The VM's script. `phase NAME CONFIG DAEMON...` runs one daemon; the sections it prints
/// are read by the test. The busybox shell runs its own applets before anything on PATH,
/// so iproute2's `ip` is called by its path (through a function, except for background
/// jobs, whose `$!` must be the program itself).
const RUN: &str = r#"#!/bin/sh
ip() { /sbin/ip "$@"; }
section() { echo "==SECTION $1=="; }
end() { echo "==END SECTION=="; }
ip netns add peer
ip link add v0 type veth peer name v1
ip link set v1 netns peer
ip addr add 10.0.0.1/24 dev v0
ip link set v0 up
ip -n peer addr add 10.0.0.2/24 dev v1
ip -n peer link set v1 up
ip -n peer link set lo up
section v0-mac; cat /sys/class/net/v0/address; end

cat >/tmp/keel-only.conf <<'CONF'
vrrp_instance VI_2 {
  state MASTER
  interface v0
  virtual_router_id 52
  priority 150
  version 3
  advert_int 0.5
  use_ipvlan taken0 10.0.0.60/24 vepa group 9
  virtual_ipaddress {
    10.0.0.101/24
  }
}
vrrp_instance VI_3 {
  state MASTER
  interface v0
  virtual_router_id 53
  priority 150
  version 3
  advert_int 0.5
  use_ipvlan old0 10.0.0.70/24 vepa
  virtual_ipaddress {
    10.0.0.102/24
  }
}
CONF
cat >/tmp/ipv6.conf <<'CONF'
vrrp_instance VI_6 {
  state MASTER
  interface v0
  virtual_router_id 61
  priority 150
  advert_int 0.5
  use_ipvlan
  virtual_ipaddress {
    fe80::61/64
    fd00::100/64
  }
}
CONF

# phase NAME CONFIG LINKS DAEMON...: LINKS are the links to show.
phase() {
    name=$1; conf=$2; links=$3; shift 3
    /sbin/ip netns exec peer tcpdump -Z root -l -n -e -i v1 'ip proto 112 or ip6 proto 112' >/tmp/$name.cap 2>/dev/null &
    capture=$!
    sleep 1
    "$@" -n -l -D -P -f "$conf" -p /run/$name.pid -r /run/$name-vrrp.pid >/tmp/$name.log 2>&1 &
    daemon=$!
    i=0
    until grep -q "Entering MASTER STATE" /tmp/$name.log || [ $i -ge 100 ]; do usleep 100000; i=$((i+1)); done
    sleep 1
    section $name-link; for link in $links; do ip -d link show dev $link; done; end
    section $name-addr; ip -o addr show | sed 's/^[0-9]*: //; s/ *valid_lft.*//'; end
    section $name-ipv6-off; for link in $links; do echo "$link $(cat /proc/sys/net/ipv6/conf/$link/disable_ipv6)"; done; end
    section $name-ping; ip netns exec peer ping -c 1 -W 2 10.0.0.100 >/dev/null 2>&1 && echo reachable; end
    rm -f /tmp/keepalived.data
    kill -USR1 $daemon
    i=0
    until [ -s /tmp/keepalived.data ] || [ $i -ge 30 ]; do usleep 100000; i=$((i+1)); done
    usleep 300000
    section $name-dump; grep -E "IPVLAN|Interface = |src_ip" /tmp/keepalived.data; end
    kill $daemon
    i=0
    while kill -0 $daemon 2>/dev/null && [ $i -ge 0 ] && [ $i -lt 50 ]; do usleep 100000; i=$((i+1)); done
    sleep 1
    kill $capture
    section $name-after; ip -o link show | sed 's/^[0-9]*: //; s/:.*//'; end
    section $name-capture; cat /tmp/$name.cap; end
    section $name-log; cat /tmp/$name.log; end
}

phase keepalived /payload/keepalived.conf ipvl0 keepalived
phase keel /payload/keepalived.conf ipvl0 /payload/keel

ip link add taken0 type dummy
ip link add old0 link v0 type ipvlan mode l2 bridge
section old0-before; ip -o link show dev old0 | cut -d: -f1; end
phase keel-only /tmp/keel-only.conf "vrrp.52 old0" /payload/keel
ip link del taken0

# keel as the BACKUP on its ipvlan, keepalived 2.2.7 the MASTER in the peer namespace:
# keel must hear the master's adverts on the ipvlan, then take over when it stops.
sed 's/state MASTER/state BACKUP/; s/priority 150/priority 100/' /payload/keepalived.conf >/tmp/backup.conf
sed 's/interface v0/interface v1/; s/priority 150/priority 200/; /use_ipvlan/d' /payload/keepalived.conf >/tmp/peer.conf
/sbin/ip netns exec peer keepalived -n -l -D -P -f /tmp/peer.conf -p /run/peer.pid -r /run/peer-vrrp.pid >/tmp/peer.log 2>&1 &
peer=$!
i=0
until grep -q "Entering MASTER STATE" /tmp/peer.log || [ $i -ge 100 ]; do usleep 100000; i=$((i+1)); done
/payload/keel -n -l -D -P -f /tmp/backup.conf -p /run/backup.pid -r /run/backup-vrrp.pid >/tmp/backup.log 2>&1 &
backup=$!
sleep 4
section backup-while-peer-master; cat /tmp/backup.log; end
kill $peer
i=0
until grep -q "Entering MASTER STATE" /tmp/backup.log || [ $i -ge 50 ]; do usleep 100000; i=$((i+1)); done
section backup-after-peer-stop; cat /tmp/backup.log; end
kill $backup
sleep 1
section backup-peer-log; cat /tmp/peer.log; end

phase keepalived6 /tmp/ipv6.conf vrrp.61 keepalived
phase keel6 /tmp/ipv6.conf vrrp.61 /payload/keel

# linkphase NAME DAEMON...: once MASTER on ipvl0 (0.2 s adverts), someone removes the
# ipvlan's address (then puts it back), sets the ipvlan down, up, and deletes it.
sed 's/advert_int 0.5/advert_int 0.2/' /payload/keepalived.conf >/tmp/link.conf
mark() { n=$(wc -l < /tmp/$name.log); }
since() { tail -n +$((n+1)) /tmp/$name.log; }
wait_log() { i=0; until since | grep -q "$1" || [ $i -ge $2 ]; do usleep 100000; i=$((i+1)); done; }
state() { ip -o link show dev ipvl0 | sed 's/^[^<]*<\([^>]*\)>.*/\1/'; ip -o addr show | sed 's/^[0-9]*: //; s/ *valid_lft.*//' | grep -E '^(ipvl0|v0) +inet '; }
linkphase() {
    name=$1; shift
    "$@" -n -l -D -P -f /tmp/link.conf -p /run/$name.pid -r /run/$name-vrrp.pid >/tmp/$name.log 2>&1 &
    daemon=$!
    n=0; wait_log "Entering MASTER STATE" 100
    /sbin/ip netns exec peer tcpdump -Z root -l -n -i v1 'ip proto 112' >/tmp/$name-addrdel.cap 2>/dev/null &
    capture=$!
    usleep 300000
    mark; ip addr del 10.0.0.50/24 dev ipvl0; usleep 800000
    kill $capture
    section $name-addrdel; state; echo "-- log"; since; echo "-- capture"; cat /tmp/$name-addrdel.cap; end
    ip addr add 10.0.0.50/24 dev ipvl0
    mark; ip link set ipvl0 down; wait_log "Entering FAULT STATE" 30; usleep 300000
    section $name-down; state; echo "-- log"; since; end
    mark; ip link set ipvl0 up; wait_log "Entering MASTER STATE" 30
    section $name-up; state; echo "-- log"; since; end
    mark; ip link del ipvl0; wait_log "creating ipvlan interface" 30; wait_log "Entering MASTER STATE" 15
    section $name-del; state; echo "-- log"; since; end
    kill $daemon
    i=0; while kill -0 $daemon 2>/dev/null && [ $i -lt 50 ]; do usleep 100000; i=$((i+1)); done
}
linkphase keepalived-link keepalived
linkphase keel-link /payload/keel
"#;

#[test]
fn use_ipvlan_matches_keepalived() {
    let console =
        keel_lab::vm::run_keel_payload(Path::new(env!("CARGO_BIN_EXE_keel")), CONFIG, RUN);
    let section = |name: &str| console.section(name);
    let logs = |daemon: &str| section(&format!("{daemon}-log"));
    let v0_mac = section("v0-mac");

    // Input: `use_ipvlan ipvl0 10.0.0.50/24 private` on v0, keepalived 2.2.7 then keel.
    // Output: both make the same link: ipvl0 on v0, up, v0's MAC, default link group,
    // "ipvlan mode l2 private".
    let keepalived_link = link_summary(&section("keepalived-link"));
    assert!(
        keepalived_link.contains(&"ipvlan mode l2 private".to_string()),
        "keepalived did not make the ipvlan: {keepalived_link:?}\n{}",
        logs("keepalived")
    );
    assert_eq!(
        link_summary(&section("keel-link")),
        keepalived_link,
        "{}",
        logs("keel")
    );
    assert!(
        keepalived_link.contains(&format!("link/ether {v0_mac}")),
        "{keepalived_link:?}"
    );

    // Output: the address on ipvl0, the VIP on v0 (keepalived 2.2.7 puts VIPs on the
    // instance interface, not on the ipvlan), for both; IPv6 off on the ipvlan.
    for daemon in ["keepalived", "keel"] {
        let addresses = section(&format!("{daemon}-addr"));
        assert!(
            addresses.contains("ipvl0    inet 10.0.0.50/24"),
            "{daemon}:\n{addresses}"
        );
        assert!(
            addresses.contains("v0    inet 10.0.0.100/24"),
            "{daemon}:\n{addresses}"
        );
        assert!(
            !addresses.contains("ipvl0    inet6"),
            "{daemon}:\n{addresses}"
        );
        assert_eq!(
            section(&format!("{daemon}-ipv6-off")),
            "ipvl0 1",
            "{daemon}"
        );
        assert_eq!(
            section(&format!("{daemon}-ping")),
            "reachable",
            "{daemon}: the peer cannot reach the VIP"
        );
    }
    assert_eq!(
        ipv4_addresses(&section("keel-addr")),
        ipv4_addresses(&section("keepalived-addr"))
    );

    // Output: adverts leave from the ipvlan's address with v0's MAC (the ipvlan's own):
    // priority 150 while MASTER, priority 0 at stop; keepalived's the same.
    for daemon in ["keepalived", "keel"] {
        let capture = section(&format!("{daemon}-capture"));
        let from_ipvlan = format!(
            "{v0_mac} > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 46: 10.0.0.50 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio"
        );
        let adverts: Vec<&str> = capture
            .lines()
            .filter(|line| line.contains("VRRPv3"))
            .collect();
        assert!(!adverts.is_empty(), "{daemon} sent nothing:\n{capture}");
        assert!(
            adverts.iter().all(|line| line.contains(&from_ipvlan)),
            "{daemon}:\n{capture}"
        );
        assert!(
            adverts.iter().any(|line| line.contains("prio 150,")),
            "{daemon}:\n{capture}"
        );
        assert!(
            adverts.last().is_some_and(|line| line.contains("prio 0,")),
            "{daemon} sent no priority-0 advert at stop:\n{capture}"
        );
    }

    // Output: keepalived's data dump lines for the ipvlan, word for word.
    let keepalived_dump = section("keepalived-dump");
    assert!(
        keepalived_dump.contains(
            "Use IPVLAN, i/f ipvl0, is_up = true, i/f address = 10.0.0.50/24, type private"
        ),
        "{keepalived_dump}"
    );
    let instance_lines = |dump: &str| -> Vec<String> {
        dump.lines()
            .map(str::trim)
            .filter(|line| {
                line.starts_with("Use IPVLAN")
                    || line.starts_with("Interface = ipvl0, ipvlan")
                    || line.starts_with("Using src_ip")
            })
            .map(String::from)
            .collect()
    };
    assert_eq!(
        instance_lines(&section("keel-dump")),
        instance_lines(&keepalived_dump)
    );

    // Input: SIGTERM.
    // Output: the ipvlan is gone, for both.
    for daemon in ["keepalived", "keel"] {
        let after = section(&format!("{daemon}-after"));
        assert!(
            after.lines().all(|name| !name.starts_with("ipvl0")),
            "{daemon} left its ipvlan:\n{after}"
        );
        assert!(after.lines().any(|name| name.starts_with("v0")), "{after}");
    }

    keel_only(&section, &logs);
    backup(&section);
    ipv6(&section, &logs, &v0_mac);
    link_changes(&section);
}

/// keepalived 2.2.7, then keel, MASTER on `ipvl0` (10.0.0.50/24, 0.2 s adverts), while
/// someone removes the ipvlan's address, sets the ipvlan down, up, and deletes it.
fn link_changes(section: &impl Fn(&str) -> String) {
    let step = |daemon: &str, step: &str| section(&format!("{daemon}-link-{step}"));
    // The part of a step's section before `-- log`: ipvl0's flags, then the addresses of
    // ipvl0 and v0 as "link    inet address".
    let state = |text: &str| -> Vec<String> {
        text.split("-- log")
            .next()
            .unwrap_or_default()
            .lines()
            .map(|line| {
                line.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let log = |text: &str| -> String {
        let rest = text.split("-- log").nth(1).unwrap_or_default();
        rest.split("-- capture")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    for daemon in ["keepalived", "keel"] {
        // Input: `ip addr del 10.0.0.50/24 dev ipvl0`.
        // Output: nothing changes but the address: still MASTER (no transition), the VIP
        // on v0, adverts still from 10.0.0.50 at priority 150; only the -D log says it.
        let addrdel = step(daemon, "addrdel");
        assert_eq!(
            state(&addrdel),
            [
                "BROADCAST,MULTICAST,UP,LOWER_UP",
                "v0 inet 10.0.0.1/24",
                "v0 inet 10.0.0.100/24"
            ],
            "{daemon}:\n{addrdel}"
        );
        assert!(!log(&addrdel).contains("Entering"), "{daemon}:\n{addrdel}");
        assert!(
            log(&addrdel).contains("Deassigned address 10.0.0.50 from interface ipvl0"),
            "{daemon}:\n{addrdel}"
        );
        let capture = addrdel.split("-- capture").nth(1).unwrap_or_default();
        let adverts: Vec<&str> = capture.lines().filter(|l| l.contains("VRRPv3")).collect();
        assert!(adverts.len() >= 4, "{daemon}:\n{addrdel}");
        assert!(
            adverts.iter().all(|line| line
                .contains("10.0.0.50 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 150")),
            "{daemon}:\n{addrdel}"
        );

        // Input: `ip link set ipvl0 down` (after the address was put back).
        // Output: FAULT, the VIP gone from v0, the ipvlan left down.
        let down = step(daemon, "down");
        assert_eq!(
            state(&down),
            [
                "BROADCAST,MULTICAST",
                "v0 inet 10.0.0.1/24",
                "ipvl0 inet 10.0.0.50/24"
            ],
            "{daemon}:\n{down}"
        );
        for line in ["Netlink reports ipvl0 down", "(VI_1) Entering FAULT STATE"] {
            assert!(log(&down).contains(line), "{daemon}: {line}\n{down}");
        }

        // Input: `ip link set ipvl0 up`.
        // Output: BACKUP, then MASTER with the VIP.
        let up = step(daemon, "up");
        assert!(
            state(&up).contains(&"v0 inet 10.0.0.100/24".to_string()),
            "{daemon}:\n{up}"
        );
        for line in [
            "Netlink reports ipvl0 up",
            "(VI_1) Entering BACKUP STATE",
            "(VI_1) Entering MASTER STATE",
        ] {
            assert!(log(&up).contains(line), "{daemon}: {line}\n{up}");
        }

        // Input: `ip link del ipvl0`.
        // Output: FAULT, "Interface ipvl0 deleted", the ipvlan made again, up, with its
        // address.
        let deleted = step(daemon, "del");
        let deleted_state = state(&deleted);
        assert_eq!(
            deleted_state.first().map(String::as_str),
            Some("BROADCAST,MULTICAST,UP,LOWER_UP"),
            "{daemon}:\n{deleted}"
        );
        assert!(
            deleted_state.contains(&"ipvl0 inet 10.0.0.50/24".to_string()),
            "{daemon}:\n{deleted}"
        );
        for line in [
            "Netlink reports ipvl0 down",
            "(VI_1) Entering FAULT STATE",
            "Interface ipvl0 deleted",
            "(VI_1): Success creating ipvlan interface ipvl0",
        ] {
            assert!(log(&deleted).contains(line), "{daemon}: {line}\n{deleted}");
        }
    }
    // Output: there keepalived 2.2.7 stays in FAULT for good (it does for a remade ipvlan,
    // not for a remade VMAC; a restart is its only way out); keel goes BACKUP, then MASTER
    // with the VIP, as both do for a VMAC.
    let keepalived = step("keepalived", "del");
    assert!(
        !log(&keepalived).contains("Entering BACKUP STATE"),
        "{keepalived}"
    );
    assert!(
        !state(&keepalived).contains(&"v0 inet 10.0.0.100/24".to_string()),
        "{keepalived}"
    );
    let keel = step("keel", "del");
    for line in [
        "(VI_1) Entering BACKUP STATE",
        "(VI_1) Entering MASTER STATE",
    ] {
        assert!(log(&keel).contains(line), "keel: {line}\n{keel}");
    }
    assert!(
        state(&keel).contains(&"v0 inet 10.0.0.100/24".to_string()),
        "{keel}"
    );
}

/// keel BACKUP (priority 100) on its ipvlan, keepalived 2.2.7 MASTER (priority 200) on the
/// peer's v1 with the same VRID.
fn backup(section: &impl Fn(&str) -> String) {
    let peer = section("backup-peer-log");
    assert!(peer.contains("(VI_1) Entering MASTER STATE"), "{peer}");
    // Output: keel hears the master's adverts on the ipvlan and stays BACKUP.
    let before = section("backup-while-peer-master");
    assert!(before.contains("(VI_1) Entering BACKUP STATE"), "{before}");
    assert!(
        !before.contains("Entering MASTER STATE"),
        "keel did not hear keepalived's adverts on its ipvlan:\n{before}\n{peer}"
    );
    // Input: keepalived stops (priority-0 advert).
    // Output: keel takes over.
    let after = section("backup-after-peer-stop");
    assert!(
        after.contains("(VI_1) Entering MASTER STATE"),
        "keel did not take over:\n{after}\n{peer}"
    );
}

/// keel alone (keepalived 2.2.7 does not know `group`): VI_2 `use_ipvlan taken0
/// 10.0.0.60/24 vepa group 9` where a dummy `taken0` exists; VI_3 `use_ipvlan old0 ...
/// vepa` where an L2 ipvlan `old0` already sits on v0.
fn keel_only(section: &impl Fn(&str) -> String, logs: &impl Fn(&str) -> String) {
    let log = logs("keel-only");
    // Output: the taken name is refused with keepalived's error and the default name used;
    // the flag and link group applied.
    assert!(
        log.contains(
            "(VI_2) interface taken0 already exists and is not an l2 ipvlan; ignoring ipvlan if_name"
        ),
        "{log}"
    );
    let links = section("keel-only-link");
    let vrrp52 = link_summary(links.split("old0@").next().unwrap_or_default());
    assert!(
        vrrp52.contains(&"vrrp.52@v0".to_string()),
        "{vrrp52:?}\n{log}"
    );
    assert!(vrrp52.contains(&"group 9".to_string()), "{vrrp52:?}");
    assert!(
        vrrp52.contains(&"ipvlan mode l2 vepa".to_string()),
        "{vrrp52:?}"
    );
    // Output: old0 is taken over (same index), gets the configured flag and address, and
    // is deleted at stop like one keel made.
    let before = section("old0-before");
    assert!(
        links.contains(&format!("{before}: old0@v0")),
        "old0 (index {before}) was not kept:\n{links}"
    );
    assert!(links.contains("ipvlan  mode l2 vepa"), "{links}");
    let addresses = section("keel-only-addr");
    assert!(
        addresses.contains("vrrp.52    inet 10.0.0.60/24"),
        "{addresses}"
    );
    assert!(
        addresses.contains("old0    inet 10.0.0.70/24"),
        "{addresses}"
    );
    let after = section("keel-only-after");
    assert!(
        after
            .lines()
            .all(|name| !name.starts_with("vrrp.52") && !name.starts_with("old0")),
        "{after}"
    );
    assert!(after.lines().any(|name| name == "taken0"), "{after}");
    let capture = section("keel-only-capture");
    for (source, vrid) in [("10.0.0.60", 52), ("10.0.0.70", 53)] {
        assert!(
            capture.contains(&format!(
                "{source} > 224.0.0.18: VRRPv3, Advertisement, vrid {vrid}, prio 150"
            )),
            "{capture}"
        );
    }
}

/// An IPv6 instance with `use_ipvlan` alone: adverts leave from the ipvlan's own
/// link-local address (keepalived.conf(5)), the one keepalived 2.2.7 uses.
fn ipv6(section: &impl Fn(&str) -> String, logs: &impl Fn(&str) -> String, v0_mac: &str) {
    let source = |daemon: &str| -> Option<String> {
        let capture = section(&format!("{daemon}-capture"));
        capture
            .lines()
            .find(|line| line.contains("VRRPv3, Advertisement, vrid 61, prio 150"))
            .and_then(|line| line.split(": ").nth(1))
            .and_then(|text| text.split(" > ").next())
            .map(str::to_string)
    };
    let keepalived = source("keepalived6")
        .unwrap_or_else(|| panic!("no keepalived IPv6 advert\n{}", logs("keepalived6")));
    assert!(keepalived.starts_with("fe80::"), "{keepalived}");
    let addresses = section("keel6-addr");
    assert!(
        addresses.contains(&format!("vrrp.61    inet6 {keepalived}/64")),
        "the ipvlan's link-local is not {keepalived}:\n{addresses}"
    );
    assert_eq!(
        source("keel6"),
        Some(keepalived),
        "{}\n{}",
        section("keel6-capture"),
        logs("keel6")
    );
    assert!(
        section("keel6-capture").contains(&format!("{v0_mac} > 33:33:00:00:00:12")),
        "{}",
        section("keel6-capture")
    );
    assert_eq!(
        link_summary(&section("keel6-link")),
        link_summary(&section("keepalived6-link"))
    );
    assert_eq!(section("keel6-ipv6-off"), "vrrp.61 0");
    assert!(
        section("keel6-after")
            .lines()
            .all(|name| !name.starts_with("vrrp.61"))
    );
}

/// The words of `ip -d link show` that say what a link is: its name (without the index),
/// flags, MAC, link group and ipvlan mode and flag.
fn link_summary(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(name) = words.get(1).filter(|_| line.starts_with(char::is_numeric)) {
            out.push(name.trim_end_matches(':').to_string());
            out.extend(words.get(2).map(|flags| flags.to_string()));
            if let Some(at) = words.iter().position(|word| *word == "group") {
                out.push(format!("group {}", words[at + 1]));
            }
        }
        if let Some(at) = words.iter().position(|word| *word == "link/ether") {
            out.push(format!("link/ether {}", words[at + 1]));
        }
        if let Some(at) = words.iter().position(|word| *word == "ipvlan") {
            out.push(format!(
                "ipvlan {} {} {}",
                words[at + 1],
                words[at + 2],
                words[at + 3]
            ));
        }
    }
    out
}

/// The IPv4 addresses of `ip -o addr`, as "link address".
fn ipv4_addresses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter(|line| line.contains(" inet "))
        .map(|line| {
            line.split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    out.sort();
    out
}
