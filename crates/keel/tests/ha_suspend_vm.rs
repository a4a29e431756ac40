//! `ha_suspend` against the IPVS table, keel beside keepalived 2.2.7 in the test VM
//! (`tests/vm/`): while the virtual address is not local the checkers stop, and the
//! service and its servers stay in the table as they were. keepalived 2.2.7 only
//! disables the checkers (check_api.c `update_checker_activity`); nothing in ipwrapper.c
//! removes or re-adds entries for `ha_suspend` (spec §3.13).
//!
//! Needs root-free qemu (TCG) and the VM build's Debian packages: qemu-system-x86,
//! busybox-static, cpio, xz-utils, ipvsadm, keepalived.

use std::path::Path;

const CONFIG: &str = "
virtual_server 10.9.9.9 80 {
  delay_loop 1
  ha_suspend
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 20000 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 127.0.0.1 20001 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
";

/// For each daemon: start it with the virtual address absent, add the address, stop
/// :20001's listener, remove the address, then bring :20001 back and stop :20000; print
/// `ipvsadm -Ln` after each step.
const RUN: &str = r#"#!/bin/sh
ip link set lo up
ip link add d0 type dummy
ip link set d0 up
mkdir -p /www && echo ok > /www/index.html
listen() { busybox httpd -p 127.0.0.1:$1 -h /www; }
silence() { kill $(ps | awk "/httpd -p 127.0.0.1:$1/ && !/awk/ {print \$1}"); }
table() { echo "==SECTION $1=="; ipvsadm -Ln; echo "==END SECTION=="; }
phase() {
    name=$1; shift
    ipvsadm -C
    listen 20000; listen 20001
    "$@" >/tmp/$name.log 2>&1 &
    pid=$!
    sleep 4
    table $name-suspended
    ip addr add 10.9.9.9/32 dev d0
    sleep 3
    silence 20001
    sleep 5
    table $name-checked
    ip addr del 10.9.9.9/32 dev d0
    sleep 2
    listen 20001; silence 20000
    sleep 5
    table $name-suspended-again
    kill $pid; sleep 2
    silence 20000; silence 20001
    echo "==SECTION $name-log=="; cat /tmp/$name.log; echo "==END SECTION=="
}
phase keepalived keepalived -n -l -C -f /payload/keepalived.conf -p /run/k.pid -c /run/c.pid
phase keel /payload/keel -C -n -l -D -f /payload/keepalived.conf
"#;

#[test]
fn ha_suspend_keeps_the_table_as_keepalived_does() {
    let console =
        keel_lab::vm::run_keel_payload(Path::new(env!("CARGO_BIN_EXE_keel")), CONFIG, RUN);
    let section = |name: &str| table(&console.section(name));
    let logs = || {
        format!(
            "keepalived:\n{}\nkeel:\n{}",
            console.section("keepalived-log"),
            console.section("keel-log")
        )
    };
    let service = "TCP 10.9.9.9:80 rr".to_string();
    let dest = |port: u16| format!("-> 127.0.0.1:{port} Masq 1 0 0");

    // Input: the virtual address is not on the host at start.
    // Output: the service and both servers are programmed, checkers suspended.
    let suspended = section("keepalived-suspended");
    assert!(
        suspended.contains(&service) && suspended.contains(&dest(20000)),
        "keepalived did not start:\n{suspended:?}\n{}",
        logs()
    );
    assert!(suspended.contains(&dest(20001)));
    assert_eq!(suspended, section("keel-suspended"), "{}", logs());

    // Input: the address arrives; :20001 stops answering.
    // Output: checked again, :20001 leaves.
    let checked = section("keepalived-checked");
    assert!(!checked.contains(&dest(20001)), "{checked:?}");
    assert_eq!(checked, section("keel-checked"), "{}", logs());

    // Input: the address leaves; :20001 answers again and :20000 stops.
    // Output: nothing changes: the table is the one from before the address left.
    let again = section("keepalived-suspended-again");
    assert_eq!(
        again, checked,
        "keepalived changed the table while suspended"
    );
    assert_eq!(again, section("keel-suspended-again"), "{}", logs());
}

/// `ipvsadm -Ln` without its version and header lines, whitespace collapsed.
fn table(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.starts_with("IP Virtual Server version"))
        .filter(|line| !line.contains("RemoteAddress:Port") && !line.starts_with("Prot "))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect()
}
