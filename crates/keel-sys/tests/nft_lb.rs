//! The nftables backend under real HTTP traffic (issue 5, "nftables under traffic"): a
//! client, a director running keel's `inet keel` table with forwarding on, and three real
//! servers that name themselves, each in its own namespace on one lab bridge. Real servers
//! route their replies back through the director (NAT mode). Needs root, nft and python3.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use keel_lab::{ChildGuard, Lab, TempDir};
use keel_lb::{
    Desired, DestKey, Destination, Family, Persistence, Protocol, Scheduler, ServiceKey,
    ServiceSettings, diff,
};
use keel_sys::lb::{Backend, BackendChoice, LbBackend};
use keel_sys::nft::NftBackend;

const CLIENT: usize = 0;
const DIRECTOR: usize = 1;
const VIP: &str = "10.88.1.100";
const FWMARK_VIP: &str = "10.88.1.101";
const SERVERS: [&str; 3] = ["10.88.2.10", "10.88.2.11", "10.88.2.12"];
const VIP6: &str = "2001:db8:88:1::100";
const SERVERS6: [&str; 3] = [
    "2001:db8:88:2::10",
    "2001:db8:88:2::11",
    "2001:db8:88:2::12",
];
const SERVER_PORT: u16 = 8000;

struct Setup {
    lab: Lab,
    _servers: Vec<ChildGuard>,
    _docs: TempDir,
}

fn setup() -> Setup {
    let mut lab = Lab::new("knft");
    let client = lab.add_host();
    let director = lab.add_host();
    assert_eq!((client, director), (CLIENT, DIRECTOR));
    lab.host(CLIENT).add_address("10.88.1.2/24");
    lab.host(CLIENT).add_address("2001:db8:88:1::2/64");
    let d = lab.host(DIRECTOR);
    d.add_address("10.88.1.1/24");
    d.add_address(&format!("{VIP}/32"));
    d.add_address(&format!("{FWMARK_VIP}/32"));
    d.add_address("10.88.2.1/24");
    d.add_address("2001:db8:88:1::1/64");
    d.add_address(&format!("{VIP6}/128"));
    d.add_address("2001:db8:88:2::1/64");
    // Forward, and never tell a real server to bypass the director (a redirect would send
    // replies around the NAT).
    let sysctls = d.ns.sh(
        "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
         net.ipv4.conf.e0.send_redirects=0 net.ipv6.conf.all.forwarding=1",
    );
    assert!(sysctls.status.success(), "{sysctls:?}");
    // The firewall marks what the fwmark service serves (spec §2.7 `virtual_server fwmark`).
    let marks = d.ns.sh("nft -f - <<'EOF'
table inet marker {
    chain pre {
        type filter hook prerouting priority mangle; policy accept;
        ip daddr 10.88.1.101 tcp dport 80 meta mark set 7
    }
}
EOF");
    assert!(marks.status.success(), "{marks:?}");

    let docs = TempDir::new("knft-docs");
    let mut servers = Vec::new();
    for (i, address) in SERVERS.iter().enumerate() {
        let host = lab.add_host();
        let ns = &lab.host(host).ns;
        lab.host(host).add_address(&format!("{address}/24"));
        lab.host(host).add_address(&format!("{}/64", SERVERS6[i]));
        ns.ip(&["route", "add", "default", "via", "10.88.2.1"]);
        ns.ip(&["-6", "route", "add", "default", "via", "2001:db8:88:2::1"]);
        // Both prefixes share the bridge: an IPv6 redirect from the director would send
        // replies around the NAT.
        let sysctls = ns.sh(
            "sysctl -qw net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.e0.accept_redirects=0 \
             net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.e0.accept_redirects=0",
        );
        assert!(sysctls.status.success(), "{sysctls:?}");
        let root = docs.path().join(format!("rs{i}"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("id"), format!("rs{i}")).unwrap();
        let child = ns
            .command("python3")
            // "::" serves IPv4 too (Python's dual-stack server).
            .args([
                "-m",
                "http.server",
                "--bind",
                "::",
                &SERVER_PORT.to_string(),
            ])
            .arg("--directory")
            .arg(&root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs");
        servers.push(ChildGuard::new(child));
        let target: SocketAddr = format!("{address}:{SERVER_PORT}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        ns.run_in(|| {
            while TcpStream::connect_timeout(&target, Duration::from_millis(200)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "http server {address} did not start"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    }
    Setup {
        lab,
        _servers: servers,
        _docs: docs,
    }
}

fn web() -> ServiceKey {
    ServiceKey::address(VIP.parse().unwrap(), 80, Protocol::Tcp)
}

fn marked() -> ServiceKey {
    ServiceKey::fwmark(7, Family::Inet)
}

fn server(i: usize) -> DestKey {
    DestKey::new(SERVERS[i].parse::<IpAddr>().unwrap(), SERVER_PORT)
}

fn web6() -> ServiceKey {
    ServiceKey::address(VIP6.parse().unwrap(), 80, Protocol::Tcp)
}

fn desired(weights: &[(usize, u32)], persistent_weights: &[(usize, u32)]) -> Desired {
    let mut desired = Desired::default();
    desired.insert_service(
        web(),
        ServiceSettings {
            scheduler: Scheduler::Wrr,
            ..ServiceSettings::default()
        },
    );
    for &(i, weight) in weights {
        desired
            .insert_destination(web(), server(i), Destination::nat(weight))
            .unwrap();
    }
    desired.insert_service(
        marked(),
        ServiceSettings {
            scheduler: Scheduler::Wrr,
            persistence: Some(Persistence::per_client(300, Family::Inet)),
            ..ServiceSettings::default()
        },
    );
    for &(i, weight) in persistent_weights {
        desired
            .insert_destination(marked(), server(i), Destination::nat(weight))
            .unwrap();
    }
    desired.insert_service(
        web6(),
        ServiceSettings {
            scheduler: Scheduler::Wrr,
            ..ServiceSettings::default()
        },
    );
    for (i, weight) in [(0, 1), (1, 1), (2, 2)] {
        let dest = DestKey::new(SERVERS6[i].parse::<IpAddr>().unwrap(), SERVER_PORT);
        desired
            .insert_destination(web6(), dest, Destination::nat(weight))
            .unwrap();
    }
    desired
}

/// `count` fresh HTTP/1.0 connections from the client to `vip:80`; how many each real
/// server answered.
fn requests(setup: &Setup, vip: &str, count: usize) -> BTreeMap<String, usize> {
    let target = SocketAddr::new(vip.parse().unwrap(), 80);
    setup.lab.host(CLIENT).ns.run_in(|| {
        let mut answers = BTreeMap::new();
        for _ in 0..count {
            let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(3))
                .unwrap_or_else(|e| panic!("connect {target}: {e}"));
            stream
                .set_read_timeout(Some(Duration::from_secs(3)))
                .unwrap();
            stream
                .write_all(b"GET /id HTTP/1.0\r\nHost: vip\r\n\r\n")
                .unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).unwrap();
            let body = reply
                .rsplit("\r\n\r\n")
                .next()
                .unwrap_or_default()
                .to_string();
            *answers.entry(body).or_insert(0) += 1;
        }
        answers
    })
}

fn within_ten_percent(answers: &BTreeMap<String, usize>, name: &str, expected: usize) {
    let got = answers.get(name).copied().unwrap_or(0);
    assert!(
        got.abs_diff(expected) * 10 <= expected,
        "{name}: {got} connections, expected {expected} ± 10% ({answers:?})"
    );
}

fn tables(setup: &Setup) -> String {
    let out = setup.lab.host(DIRECTOR).ns.sh("nft list tables");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// Input: VIP:80 (wrr) over rs0/rs1/rs2 at weights 1/2/3, the same over IPv6 at 1/1/2, and
// a persistent fwmark service; 600 (IPv6: 200) fresh connections; then rs2 leaves the
// desired state; then keel stops.
// Output: 100/200/300 (50/50/100) connections within 10%; a persistent client stays on one server and
// keeps its entry while another service is edited; after the removal rs2 gets none of 300
// new connections; after stop the `keel` table is gone and the other table stays.
#[test]
fn nft_backend_splits_by_weight_and_follows_changes() {
    let setup = setup();
    let director = &setup.lab.host(DIRECTOR).ns;
    let mut backend = director.run_in(|| NftBackend::open().expect("nft creates the keel table"));
    let first = desired(&[(0, 1), (1, 2), (2, 3)], &[(0, 1), (1, 1), (2, 1)]);
    director.run_in(|| backend.apply(&diff(&Desired::default(), &first)).unwrap());
    assert!(tables(&setup).contains("table inet keel"));

    let answers = requests(&setup, VIP, 600);
    within_ten_percent(&answers, "rs0", 100);
    within_ten_percent(&answers, "rs1", 200);
    within_ten_percent(&answers, "rs2", 300);
    // The same over IPv6: weights 1/1/2 over 200 connections.
    let answers = requests(&setup, VIP6, 200);
    within_ten_percent(&answers, "rs0", 50);
    within_ten_percent(&answers, "rs1", 50);
    within_ten_percent(&answers, "rs2", 100);

    // Persistence: every connection of this client goes to the one server it first got.
    let sticky = requests(&setup, FWMARK_VIP, 30);
    assert_eq!(sticky.len(), 1, "{sticky:?}");
    let persist = |setup: &Setup| {
        let out = setup
            .lab
            .host(DIRECTOR)
            .ns
            .sh("nft list set inet keel persist_fwm4_7");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        persist(&setup).contains("10.88.1.2 "),
        "{}",
        persist(&setup)
    );

    // rs2 leaves VIP:80 only: one transaction rewriting that service; the persistent
    // service's remembered clients are untouched.
    let second = desired(&[(0, 1), (1, 2)], &[(0, 1), (1, 1), (2, 1)]);
    let ops = diff(&first, &second);
    assert_eq!(ops.len(), 1);
    director.run_in(|| backend.apply(&ops).unwrap());
    assert_eq!(backend.current().unwrap(), second);
    assert!(
        persist(&setup).contains("10.88.1.2 "),
        "{}",
        persist(&setup)
    );
    assert_eq!(
        requests(&setup, FWMARK_VIP, 10),
        sticky.keys().map(|k| (k.clone(), 10)).collect()
    );

    let answers = requests(&setup, VIP, 300);
    assert_eq!(answers.get("rs2"), None, "{answers:?}");
    within_ten_percent(&answers, "rs0", 100);
    within_ten_percent(&answers, "rs1", 200);

    // The persistent client's server leaves: the client is scheduled anew, elsewhere.
    let (gone, _) = sticky.iter().next().expect("one server answered");
    let gone_index: usize = gone.trim_start_matches("rs").parse().unwrap();
    let remaining: Vec<(usize, u32)> = (0..3)
        .filter(|&i| i != gone_index)
        .map(|i| (i, 1))
        .collect();
    let third = desired(&[(0, 1), (1, 2)], &remaining);
    director.run_in(|| backend.apply(&diff(&second, &third)).unwrap());
    let moved = requests(&setup, FWMARK_VIP, 10);
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert!(!moved.contains_key(gone), "{moved:?}");

    director.run_in(|| backend.stop().unwrap());
    let after = tables(&setup);
    assert!(!after.contains("keel"), "{after}");
    assert!(after.contains("table inet marker"), "{after}");
}

// Input: the automatic backend choice in a fresh namespace of this host.
// Output: nftables exactly when the kernel has no IPVS even after `modprobe ip_vs` (this
// machine's case, ARCHITECTURE.md), with the keel table created; IPVS otherwise.
#[test]
fn automatic_choice_follows_the_kernel() {
    let ns = keel_lab::Netns::new(&keel_lab::unique_name("knftauto"));
    let backend = ns.run_in(|| Backend::open(BackendChoice::Auto).expect("a backend opens"));
    let has_ipvs = std::path::Path::new("/sys/module/ip_vs").exists();
    assert_eq!(backend.kind(), if has_ipvs { "ipvs" } else { "nftables" });
    let tables = ns.sh("nft list tables");
    let tables = String::from_utf8_lossy(&tables.stdout);
    assert_eq!(tables.contains("table inet keel"), !has_ipvs, "{tables}");
    ns.run_in(|| backend.stop(&Desired::default(), false).unwrap());
    let tables = ns.sh("nft list tables");
    assert!(!String::from_utf8_lossy(&tables.stdout).contains("keel"));
}
