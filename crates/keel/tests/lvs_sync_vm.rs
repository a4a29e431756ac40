//! `lvs_sync_daemon` follows its VRRP instance (spec §2.3, §3.12), in the IPVS test VM
//! (Debian's cloud kernel under qemu, `tests/vm/`): `ipvsadm -L --daemon` is the judge.
//!
//! Needs the VM build's Debian packages: qemu-system-x86, busybox-static, cpio,
//! xz-utils, ipvsadm.

use std::path::Path;

/// One instance alone on a dummy link: BACKUP at start, MASTER once its down timer
/// (3 × 3 s + skew ≈ 10.8 s) runs out with no master heard.
const CONFIG: &str = "
global_defs {
  lvs_sync_daemon sync0 VI_1 id 7
}
vrrp_instance VI_1 {
  state BACKUP
  interface sync0
  virtual_router_id 51
  priority 100
  advert_int 3
  virtual_ipaddress {
    192.168.77.100/24
  }
}
";

/// The VM's script: start keel, read the sync daemons once one runs (it is BACKUP then)
/// and once a master one runs, stop keel and read them again. Waits are bounded polls:
/// the emulated CPU is slow and shared.
const RUN: &str = r#"#!/bin/sh
ip link set lo up
ip link add sync0 type dummy
ip link set sync0 multicast on up
ip addr add 192.168.77.1/24 dev sync0
/payload/keel -n -l -G -f /payload/keepalived.conf -p /run/k.pid -r /run/v.pid >/tmp/keel.log 2>&1 &
pid=$!
wait_for() {
    i=0
    until ipvsadm -L --daemon | grep -q "$1" || [ $i -ge 300 ]; do usleep 100000; i=$((i+1)); done
}
wait_for "sync daemon"
echo "==SECTION backup=="; ipvsadm -L --daemon; echo "==END SECTION=="
wait_for "master sync daemon"
usleep 500000
echo "==SECTION master=="; ipvsadm -L --daemon; ip addr show dev sync0; echo "==END SECTION=="
kill $pid; sleep 2
echo "==SECTION stopped=="; ipvsadm -L --daemon; echo "==END SECTION=="
echo "==SECTION log=="; cat /tmp/keel.log; echo "==END SECTION=="
"#;

#[test]
fn the_sync_daemon_follows_the_instance_state() {
    let console =
        keel_lab::vm::run_keel_payload(Path::new(env!("CARGO_BIN_EXE_keel")), CONFIG, RUN);
    let section = |name: &str| console.section(name);
    let log = section("log");

    // Input: `lvs_sync_daemon sync0 VI_1 id 7`; VI_1 starts BACKUP.
    // Output: a backup sync daemon on sync0 with syncid 7, no master one.
    let backup = section("backup");
    assert!(
        backup.contains("backup sync daemon (mcast=sync0, syncid=7,"),
        "{backup}\n{log}"
    );
    assert!(!backup.contains("master sync daemon"), "{backup}\n{log}");

    // Input: no master is heard; VI_1 becomes MASTER.
    // Output: the VIP is on sync0 and the master sync daemon replaced the backup one.
    let master = section("master");
    assert!(master.contains("192.168.77.100/24"), "{master}\n{log}");
    assert!(
        master.contains("master sync daemon (mcast=sync0, syncid=7,"),
        "{master}\n{log}"
    );
    assert!(!master.contains("backup sync daemon"), "{master}\n{log}");

    // Input: SIGTERM.
    // Output: no sync daemon left.
    let stopped = section("stopped");
    assert!(!stopped.contains("sync daemon"), "{stopped}\n{log}");
}
