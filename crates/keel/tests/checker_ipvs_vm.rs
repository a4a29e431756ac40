//! IPVS parity of the checker (issue 5, "IPVS parity"): in the test VM (Debian's cloud
//! kernel under qemu, `tests/vm/`), keepalived 2.2.7 and then `keel -C` run the same
//! configuration against the same real servers; `ipvsadm -Ln` must read the same at start
//! and after one real server's service stops (removed, or weight 0 with
//! `inhibit_on_failure`, and the sorry server in once the quorum is lost).
//!
//! Needs root-free qemu (TCG) and the VM build's Debian packages: qemu-system-x86,
//! busybox-static, cpio, xz-utils, ipvsadm, keepalived.

use std::path::Path;

const CONFIG: &str = "
virtual_server 192.168.201.15 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  real_server 10.0.1.1 8080 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 10.0.1.2 8080 {
    weight 2
    HTTP_GET {
      url {
        path /index.html
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 10.0.1.3 8080 {
    weight 3
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
virtual_server 192.168.201.16 443 {
  delay_loop 1
  lvs_sched sh
  lvs_method DR
  protocol TCP
  persistence_timeout 300
  quorum 2
  sorry_server 10.0.1.9 443
  real_server 10.0.1.1 443 {
    weight 1
    TCP_CHECK {
      connect_port 8080
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 10.0.1.3 443 {
    weight 1
    TCP_CHECK {
      connect_port 8080
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
";

/// The VM's script: for each daemon, start the three real servers' HTTP services, run the
/// daemon, print `ipvsadm -Ln` once settled, stop 10.0.1.3's service, print it again.
const RUN: &str = r#"#!/bin/sh
ip link set lo up
for n in 1 2 3 9; do ip addr add 10.0.1.$n/32 dev lo; done
mkdir -p /www && echo ok > /www/index.html
phase() {
    name=$1; shift
    ipvsadm -C
    for n in 1 2 3; do busybox httpd -p 10.0.1.$n:8080 -h /www; done
    "$@" >/tmp/$name.log 2>&1 &
    pid=$!
    sleep 6
    echo "==SECTION $name-start=="; ipvsadm -Ln; echo "==END SECTION=="
    kill $(ps | awk '/httpd -p 10.0.1.3:8080/ && !/awk/ {print $1}')
    sleep 6
    echo "==SECTION $name-stopped=="; ipvsadm -Ln; echo "==END SECTION=="
    kill $pid; sleep 2
    kill $(ps | awk '/httpd -p/ && !/awk/ {print $1}') 2>/dev/null
    echo "==SECTION $name-log=="; cat /tmp/$name.log; echo "==END SECTION=="
    echo "==SECTION $name-after-stop=="; ipvsadm -Ln; echo "==END SECTION=="
}
phase keepalived keepalived -n -l -C -f /payload/keepalived.conf -p /run/k.pid -c /run/c.pid
phase keel /payload/keel -C -n -f /payload/keepalived.conf
"#;

#[test]
fn keel_programs_the_table_keepalived_programs() {
    let console =
        keel_lab::vm::run_keel_payload(Path::new(env!("CARGO_BIN_EXE_keel")), CONFIG, RUN);
    let section = |name: &str| console.section(name);
    let logs = || {
        format!(
            "keepalived:\n{}\nkeel:\n{}",
            section("keepalived-log"),
            section("keel-log")
        )
    };

    for name in ["keel-start", "keel-stopped"] {
        eprintln!("{name}:\n{}", section(name));
    }
    // Input: three healthy real servers (weights 1/2/3) and a persistent DR service with
    // quorum 2 over two of them.
    // Output: both daemons program the same table.
    let start = section("keepalived-start");
    assert!(
        start.contains("10.0.1.3:8080"),
        "keepalived did not settle:\n{start}\n{}",
        logs()
    );
    assert_eq!(table(&start), table(&section("keel-start")), "{}", logs());

    // Input: 10.0.1.3's service stops.
    // Output: the same table again: 10.0.1.3:8080 at weight 0 (inhibit_on_failure),
    // 10.0.1.3:443 gone and the sorry server in (quorum 2 lost).
    let stopped = section("keepalived-stopped");
    assert!(
        stopped.contains("10.0.1.9:443"),
        "keepalived did not react:\n{stopped}"
    );
    assert_eq!(
        table(&stopped),
        table(&section("keel-stopped")),
        "{}",
        logs()
    );

    // Input: SIGTERM.
    // Output: keel leaves the table as empty as keepalived does.
    assert_eq!(
        table(&section("keepalived-after-stop")),
        table(&section("keel-after-stop"))
    );
}

/// `ipvsadm -Ln` without its version line and the counters' column widths.
fn table(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.starts_with("IP Virtual Server version"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect()
}
