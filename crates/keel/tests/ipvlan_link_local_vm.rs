//! An IPv6 `use_ipvlan` without an address whose ipvlan gets its link-local late (spec
//! §3.10), in the test VM (`tests/vm/`; this machine's kernel has no ipvlan), keepalived
//! 2.2.7 then keel on the same steps.
//!
//! `default.addr_gen_mode` is 1, so the kernel gives the ipvlan no link-local; the test adds
//! one by hand later. Meanwhile another instance of the same daemon advertises every 50 ms:
//! waiting for the link-local must not stop the event loop (it used to wait up to a second
//! in it, at each reload).
//!
//! Needs the VM build's Debian packages: qemu-system-x86, busybox-static, cpio, xz-utils,
//! ipvsadm, keepalived, iproute2, tcpdump.

use std::path::Path;

/// VI_A alone; the reload adds VI_6 (`CONFIG_6`).
const CONFIG: &str = "
vrrp_instance VI_A {
  state MASTER
  interface v0
  virtual_router_id 1
  priority 150
  version 3
  advert_int 0.05
  virtual_ipaddress {
    10.0.0.100/24
  }
}
";

/// The VM's script: per daemon, start it with VI_A, capture in the peer namespace once
/// VI_A is MASTER, reload with VI_6 added (its ipvlan has no link-local), reload keel again
/// unchanged, then add fe80::61:1 to the ipvlan.
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
sleep 1
# Links made from now on get no IPv6 link-local from the kernel.
echo 1 > /proc/sys/net/ipv6/conf/default/addr_gen_mode
cat /payload/keepalived.conf - >/tmp/six.conf <<'CONF'
vrrp_instance VI_6 {
  state MASTER
  interface v0
  virtual_router_id 61
  priority 150
  advert_int 0.2
  use_ipvlan
  virtual_ipaddress {
    fe80::61/64
    fd00::100/64
  }
}
CONF
mark() { n=$(wc -l < /tmp/$name.log); }
since() { tail -n +$((n+1)) /tmp/$name.log; }
wait_log() { i=0; until since | grep -q "$1" || [ $i -ge $2 ]; do usleep 100000; i=$((i+1)); done; }

late() {
    name=$1; shift
    cp /payload/keepalived.conf /tmp/k.conf
    "$@" -n -l -D -P -f /tmp/k.conf -p /run/$name.pid -r /run/$name-vrrp.pid >/tmp/$name.log 2>&1 &
    daemon=$!
    n=0; wait_log "(VI_A) Entering MASTER STATE" 100
    /sbin/ip netns exec peer tcpdump -Z root -tt -l -n -i v1 'ip proto 112 or ip6 proto 112' >/tmp/$name.cap 2>/dev/null &
    capture=$!
    sleep 1
    cp /tmp/six.conf /tmp/k.conf
    mark; kill -HUP $daemon; sleep 2
    section $name-reload; since; end
    # keepalived 2.2.7 makes the ipvlan again as vrrp6.61 at a second reload: keel only.
    if [ $name = keel ]; then mark; kill -HUP $daemon; sleep 1; else mark; fi
    section $name-reload-again; since; end
    section $name-addr; ip -o addr show dev vrrp.61 | sed 's/^[0-9]*: //; s/ *valid_lft.*//'; end
    mark; ip addr add fe80::61:1/64 dev vrrp.61 nodad
    wait_log "(VI_6) Entering MASTER STATE" 50; sleep 1
    section $name-added; since; end
    kill $daemon
    i=0; while kill -0 $daemon 2>/dev/null && [ $i -lt 50 ]; do usleep 100000; i=$((i+1)); done
    sleep 1
    kill $capture
    section $name-capture; cat /tmp/$name.cap; end
    section $name-log; cat /tmp/$name.log; end
}
late keepalived keepalived
late keel /payload/keel
"#;

#[test]
fn ipvlan_link_local_added_late() {
    let console =
        keel_lab::vm::run_keel_payload(Path::new(env!("CARGO_BIN_EXE_keel")), CONFIG, RUN);
    let section = |name: &str| console.section(name);

    // Output: VI_A, every 50 ms, never paused while VI_6 waited: no gap between two of
    // keel's adverts (until its priority-0 advert at stop) reaches 0.5 s. The old code
    // waited up to 1 s inside the event loop at the reload.
    let capture = section("keel-capture");
    let times: Vec<f64> = capture
        .lines()
        .filter(|line| line.contains("vrid 1, prio 150"))
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(times.len() > 40, "{capture}");
    let (gap, at) = times
        .windows(2)
        .map(|pair| (pair[1] - pair[0], pair[0]))
        .fold(
            (0.0, 0.0),
            |worst, next| if next.0 > worst.0 { next } else { worst },
        );
    eprintln!("VI_A's longest gap: {gap:.3} s ({} adverts)", times.len());
    assert!(
        gap < 0.5,
        "VI_A fell silent for {gap:.3} s after {at:.3}:\n{}",
        section("keel-log")
    );

    // Input: a reload adds VI_6, whose ipvlan vrrp.61 gets no link-local; a second reload.
    // Output: keepalived 2.2.7 and keel hold VI_6 in FAULT ("no IPv6 address for
    // interface"); keel across the second reload too, with the ipvlan kept.
    for daemon in ["keepalived", "keel"] {
        let reload = section(&format!("{daemon}-reload"));
        assert!(
            reload.contains("(VI_6) entering FAULT state (no IPv6 address for interface"),
            "{daemon}:\n{reload}\n{}",
            section(&format!("{daemon}-log"))
        );
        let again = section(&format!("{daemon}-reload-again"));
        assert!(
            !again.contains("(VI_6) Entering MASTER STATE")
                && !again.contains("(VI_6) Entering BACKUP STATE"),
            "{daemon}:\n{again}"
        );
        let addresses = section(&format!("{daemon}-addr"));
        assert!(!addresses.contains("inet6"), "{daemon}:\n{addresses}");
    }

    // Input: fe80::61:1 added to vrrp.61.
    // Output: VI_6 leaves FAULT and becomes MASTER, every one of its adverts from
    // fe80::61:1 (none before: it was in FAULT), for both.
    for daemon in ["keepalived", "keel"] {
        let added = section(&format!("{daemon}-added"));
        assert!(
            added.contains("(VI_6) Entering MASTER STATE"),
            "{daemon}:\n{added}\n{}",
            section(&format!("{daemon}-log"))
        );
        let capture = section(&format!("{daemon}-capture"));
        let adverts: Vec<&str> = capture
            .lines()
            .filter(|line| line.contains("vrid 61, prio 150"))
            .collect();
        assert!(!adverts.is_empty(), "{daemon}:\n{capture}");
        assert!(
            adverts
                .iter()
                .all(|line| line.contains("IP6 fe80::61:1 > ff02::12")),
            "{daemon}:\n{capture}"
        );
    }
}
