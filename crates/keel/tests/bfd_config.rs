//! `keel -t` and `keel --dump` on BFD configurations (no privileges needed).

use std::process::Command;

const CONFIG: &str = "bfd_instance b1 {
  neighbor_ip 10.0.0.2
  source_ip 10.0.0.1
  min_rx 100
  min_tx 50
  multiplier 3
  weight 10
  vrrp
  checker
}
vrrp_sync_group G {
  group {
    V
  }
  track_bfd {
    b1
  }
}
vrrp_instance V {
  interface lo
  virtual_router_id 3
  virtual_ipaddress {
    10.0.0.100
  }
  track_bfd {
    b1 weight -20
  }
}
virtual_server 10.0.0.100 80 {
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server 10.0.0.5 80 {
    BFD_CHECK {
      name b1
    }
  }
}
";

fn keel(args: &[&str]) -> (Option<i32>, String) {
    let dir = keel_lab::TempDir::new("keel-bfd-conf");
    let path = dir.write("keepalived.conf", CONFIG);
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(args)
        .arg("-f")
        .arg(&path)
        .output()
        .expect("keel runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

// Input: bfd_instance (with vrrp, checker, weight), track_bfd in an instance and a sync
// group, BFD_CHECK in a real server.
// Output: `keel -t` says nothing of "not supported" (issue 4: track_bfd was not built).
#[test]
fn check_config_accepts_every_bfd_keyword() {
    let (_, text) = keel(&["-t"]);
    assert!(!text.contains("not supported"), "{text}");
    assert!(!text.contains("BFD"), "{text}");
}

// Input: the same file, `keel --dump`.
// Output: keepalived's `BFD Topology` section with the instance's settings in µs, and no
// "Not supported yet" section.
#[test]
fn dump_prints_the_bfd_topology() {
    let (code, text) = keel(&["--dump"]);
    assert_eq!(code, Some(0), "{text}");
    let section: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "------< BFD Topology >------")
        .take(13)
        .collect();
    assert_eq!(
        section,
        [
            "------< BFD Topology >------",
            " BFD Instance = b1",
            "   Neighbor IP = 10.0.0.2",
            "   Source IP = 10.0.0.1",
            "   Required min RX interval = 100000 us",
            "   Desired min TX interval = 50000 us",
            "   Desired idle TX interval = 1000000 us",
            "   Detection multiplier = 3",
            "   TTL = 255",
            "   max_hops = 0",
            "   passive = false",
            "   send event to VRRP process = Yes",
            "   send event to checker process = Yes",
        ],
        "{text}"
    );
    assert!(!text.contains("Not supported yet"), "{text}");
}
