//! End to end on this kernel (no IPVS): `keel -C` checks three real servers and load
//! balances HTTP to them through nftables DNAT in a director namespace (issue 5, "nftables
//! under traffic"). Needs root, python3 and nft.
//!
//! ```text
//! client 10.77.0.2 ── 10.77.0.1 director 10.77.{1,2,3}.1 ── 10.77.{1,2,3}.2 rs1..rs3 :8080
//!                     (keel, VIP 192.0.2.10:80 → DNAT)
//! ```

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keel_lab::{ChildGuard, Daemon, Netns, TempDir, require_root, unique_name};

const VIP: &str = "192.0.2.10";

/// Client, director and real-server namespaces wired as in the module comment.
struct Topology {
    client: Netns,
    director: Netns,
    real_servers: Vec<Netns>,
}

impl Topology {
    fn new(real_servers: usize) -> Topology {
        let client = Netns::new(&unique_name("lbdc"));
        let director = Netns::new(&unique_name("lbdd"));
        link(&client, "10.77.0.2", &director, "10.77.0.1");
        client.ip(&["route", "add", "default", "via", "10.77.0.1"]);
        director.sh("sysctl -qw net.ipv4.ip_forward=1");
        let mut servers = Vec::new();
        for index in 1..=real_servers {
            let server = Netns::new(&unique_name("lbdr"));
            link(
                &server,
                &format!("10.77.{index}.2"),
                &director,
                &format!("10.77.{index}.1"),
            );
            // NAT mode: replies go back through the director, which un-DNATs them.
            server.ip(&[
                "route",
                "add",
                "default",
                "via",
                &format!("10.77.{index}.1"),
            ]);
            servers.push(server);
        }
        Topology {
            client,
            director,
            real_servers: servers,
        }
    }
}

/// A veth pair between `a` and `b` with a /24 on each end.
fn link(a: &Netns, a_address: &str, b: &Netns, b_address: &str) {
    let a_end = unique_name("va");
    let b_end = unique_name("vb");
    let out = Command::new("ip")
        .args([
            "link",
            "add",
            &a_end,
            "netns",
            a.name(),
            "type",
            "veth",
            "peer",
            "name",
        ])
        .args([&b_end, "netns", b.name()])
        .output()
        .expect("ip link add runs");
    assert!(
        out.status.success(),
        "veth: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (ns, end, address) in [(a, &a_end, a_address), (b, &b_end, b_address)] {
        ns.ip(&["addr", "add", &format!("{address}/24"), "dev", end]);
        ns.ip(&["link", "set", end, "up"]);
        ns.ip(&["link", "set", "lo", "up"]);
    }
}

/// `python3 -m http.server 8080` in `ns`, serving a directory whose `id` file says `name`.
fn http_server(ns: &Netns, dir: &Path, name: &str) -> ChildGuard {
    let root = dir.join(name);
    std::fs::create_dir_all(&root).expect("server directory");
    std::fs::write(root.join("id"), name).expect("id file");
    let child = ns
        .command("python3")
        .args(["-m", "http.server", "8080", "--bind", "0.0.0.0"])
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 starts");
    ChildGuard::new(child)
}

/// `count` fresh HTTP connections from the client to the VIP; which server answered each.
fn requests(client: &Netns, count: usize) -> std::collections::BTreeMap<String, usize> {
    let script = format!(
        "import http.client, collections, json\n\
         seen = collections.Counter()\n\
         for _ in range({count}):\n\
         \x20   try:\n\
         \x20       c = http.client.HTTPConnection('{VIP}', 80, timeout=2)\n\
         \x20       c.request('GET', '/id')\n\
         \x20       seen[c.getresponse().read().decode()] += 1\n\
         \x20       c.close()\n\
         \x20   except Exception:\n\
         \x20       seen['failed'] += 1\n\
         print(json.dumps(seen))\n"
    );
    let out = client
        .command("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 client runs");
    assert!(
        out.status.success(),
        "client: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("client prints JSON");
    counts
        .as_object()
        .expect("a JSON object")
        .iter()
        .map(|(name, n)| (name.clone(), n.as_u64().unwrap_or(0) as usize))
        .collect()
}

/// Waits until `address`:8080 accepts a TCP connection from `ns`.
fn wait_listening(ns: &Netns, address: &str) {
    let start = Instant::now();
    let probe = format!("exec 3<>/dev/tcp/{address}/8080");
    while !ns
        .command("bash")
        .args(["-c", &probe])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{address}:8080 never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn nft_rules(director: &Netns) -> String {
    let out = director
        .command("nft")
        .args(["list", "ruleset"])
        .output()
        .expect("nft runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits up to `limit` for `condition` on the director's ruleset; returns how long it took.
fn wait_for(director: &Netns, limit: Duration, condition: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        let rules = nft_rules(director);
        if condition(&rules) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "timed out; ruleset:\n{rules}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `keel -C` in the foreground on `config` inside `director`, logging to the console
/// without syslog; keel -C writes keepalived's pid files, kept in `dir` out of the host's
/// /run.
fn keel_checker(director: &Netns, dir: &Path, config: &Path) -> Command {
    let mut command = director.command(env!("CARGO_BIN_EXE_keel"));
    command
        .args(["-C", "-n", "-l", "-G", "-f"])
        .arg(config)
        .arg("-p")
        .arg(dir.join("keel.pid"))
        .arg("-c")
        .arg(dir.join("checkers.pid"));
    command
}

const CONFIG: &str = "
global_defs {
  router_id director
  keel_lb_backend nftables
}
virtual_server 192.0.2.10 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  real_server 10.77.1.2 8080 {
    weight 1
    TCP_CHECK { connect_timeout 1 retry 1 delay_before_retry 1 }
  }
  real_server 10.77.2.2 8080 {
    weight 2
    TCP_CHECK { connect_timeout 1 retry 1 delay_before_retry 1 }
  }
  real_server 10.77.3.2 8080 {
    weight 3
    HTTP_GET {
      url { path /id status_code 200 }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
";

#[test]
fn http_through_nftables_follows_weights_and_health() {
    require_root();
    let lab = Topology::new(3);
    let dir = TempDir::new("lbd-e2e");
    let mut servers: Vec<Option<ChildGuard>> = ["rs1", "rs2", "rs3"]
        .iter()
        .zip(&lab.real_servers)
        .map(|(name, ns)| Some(http_server(ns, dir.path(), name)))
        .collect();
    // The servers listen before keel starts, so no first check fails and the map settles.
    for index in 1..=3 {
        wait_listening(&lab.director, &format!("10.77.{index}.2"));
    }
    let config = dir.path().join("keepalived.conf");
    std::fs::write(&config, CONFIG).expect("config written");
    let command = keel_checker(&lab.director, dir.path(), &config);
    let mut keel = Daemon::spawn(command, &dir.path().join("keel.log"));

    // Input: three healthy real servers of weight 1, 2, 3 behind 192.0.2.10:80.
    // Output: all three in keel's DNAT map; 600 fresh connections split 100/200/300 (±10%).
    wait_for(&lab.director, Duration::from_secs(15), |rules| {
        rules.contains("table inet keel")
            && ["10.77.1.2", "10.77.2.2", "10.77.3.2"]
                .iter()
                .all(|rs| rules.contains(rs))
    });
    // The python servers may still be binding; the checks passing says they listen.
    let counts = requests(&lab.client, 600);
    for (name, expected) in [("rs1", 100.0), ("rs2", 200.0), ("rs3", 300.0)] {
        let got = counts.get(name).copied().unwrap_or(0) as f64;
        assert!(
            (got - expected).abs() <= expected * 0.10,
            "{name}: {got} of 600, expected {expected} ± 10%: {counts:?}\nkeel log:\n{}",
            keel.log_text()
        );
    }

    // Input: rs3's HTTP service stops.
    // Output: after retry + 1 = 2 failed checks it leaves the map, and it gets no new
    // connection; the others keep serving.
    servers[2] = None;
    let detected = wait_for(&lab.director, Duration::from_secs(15), |rules| {
        !rules.contains("10.77.3.2")
    });
    eprintln!("rs3 removed {detected:?} after its service stopped");
    let after = requests(&lab.client, 120);
    assert_eq!(after.get("rs3"), None, "rs3 got connections: {after:?}");
    assert_eq!(after.get("failed"), None, "connections failed: {after:?}");
    assert_eq!(after.get("rs1"), Some(&40), "{after:?}");
    assert_eq!(after.get("rs2"), Some(&80), "{after:?}");

    // Input: SIGHUP after the file gives rs1 weight 4 instead of 1.
    // Output: new connections split 4:2 between rs1 and rs2 (rs3 still down).
    std::fs::write(&config, CONFIG.replacen("weight 1", "weight 4", 1)).expect("config written");
    keel.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_secs(2));
    let reloaded = requests(&lab.client, 120);
    let rs1 = reloaded.get("rs1").copied().unwrap_or(0) as f64;
    assert!(
        (rs1 - 80.0).abs() <= 8.0,
        "after reload: {reloaded:?}\n{}",
        keel.log_text()
    );
    assert_eq!(reloaded.get("rs3"), None, "{reloaded:?}");

    // Input: keel gets SIGTERM.
    // Output: it exits 0 and its nft table is gone.
    let status = keel.stop(Duration::from_secs(10)).expect("keel exits");
    assert!(
        status.success(),
        "keel exit {status:?}\n{}",
        keel.log_text()
    );
    let rules = nft_rules(&lab.director);
    assert!(
        !rules.contains(" keel "),
        "keel's table outlived it:\n{rules}"
    );
}

// Input: one healthy real server; the data plane refuses keel's first change that names it
// (an `nft` in front of the real one fails once, as a netlink or nft error on a busy
// machine would).
// Output: keel logs the refusal and tries again about a second later, so the real server
// is in the DNAT map although no check result changed meanwhile (before, it stayed out
// until some real server changed state: in steady state, for good).
#[test]
fn a_refused_load_balancer_change_is_retried() {
    require_root();
    let lab = Topology::new(1);
    let dir = TempDir::new("lbd-retry");
    let _server = http_server(&lab.real_servers[0], dir.path(), "rs1");
    wait_listening(&lab.director, "10.77.1.2");
    let real_nft = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v nft"])
            .output()
            .expect("sh runs")
            .stdout,
    )
    .expect("a path");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin dir");
    let marker = dir.path().join("fail-once");
    std::fs::write(&marker, "").expect("marker written");
    dir.write_executable(
        "bin/nft",
        &format!(
            "#!/bin/sh\nscript=$(cat)\ncase \"$script\" in *10.77.1.2*)\n  \
             if [ -e {marker} ]; then rm -f {marker}; echo 'injected refusal' >&2; exit 1; fi;;\nesac\n\
             printf '%s\\n' \"$script\" | exec {real} \"$@\"\n",
            marker = marker.display(),
            real = real_nft.trim()
        ),
    );
    let config = dir.path().join("keepalived.conf");
    std::fs::write(
        &config,
        "global_defs {\n  keel_lb_backend nftables\n}\n\
         virtual_server 192.0.2.10 80 {\n  delay_loop 1\n  lvs_sched wrr\n  lvs_method NAT\n  \
         protocol TCP\n  real_server 10.77.1.2 8080 {\n    weight 1\n    \
         TCP_CHECK { connect_timeout 1 }\n  }\n}\n",
    )
    .expect("config written");
    let mut command = keel_checker(&lab.director, dir.path(), &config);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    command.env("PATH", path);
    let mut keel = Daemon::spawn(command, &dir.path().join("keel.log"));
    let took = wait_for(&lab.director, Duration::from_secs(10), |rules| {
        rules.contains("10.77.1.2")
    });
    eprintln!("rs1 programmed {took:?} after start");
    assert!(!marker.exists(), "the refusal was never injected");
    assert!(
        keel.log_text().contains("injected refusal"),
        "keel did not log the refusal:\n{}",
        keel.log_text()
    );
    let status = keel.stop(Duration::from_secs(10)).expect("keel exits");
    assert!(status.success(), "{}", keel.log_text());
}
