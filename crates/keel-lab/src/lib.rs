//! keel-lab: the network-namespace lab used by keel's end-to-end tests.
//!
//! A [`Lab`] is one "switch" namespace holding a bridge `br0` (with `mcast_snooping 0`, see
//! LAB-NOTES: with snooping on, the bridge filters multicast it has not seen joins for) and
//! any number of hosts, each a namespace with a veth `e0` whose peer `pN` sits on the bridge.
//! Everything is named uniquely per test run (prefix + pid + counter) and deleted by `Drop`
//! guards, so a failed test leaves nothing behind.
//!
//! The lab also offers what the scenarios need around the topology: running commands in a
//! namespace ([`Netns::command`]), running Rust code in a namespace so the sockets it opens
//! belong there ([`Netns::run_in`]), nftables loss and partitions on the switch, link
//! down/up, tcpdump captures on the bridge ([`Capture`]), and a child subreaper with reaping
//! for harnesses that start daemons ([`become_subreaper`], [`reap_zombies`]), and the daemons
//! themselves: their files, log and signals ([`Daemon`], [`DaemonFiles`]), waiting for what
//! they should do ([`wait_until`], [`holds`]).
//!
//! The lab is test-only: it panics with a clear message when the machine refuses a step,
//! because a lab that cannot be built is a broken test environment, not a test result.
//!
//! ```no_run
//! use keel_lab::Lab;
//!
//! // Two routers on one segment; router 0 runs a daemon in its own PID namespace.
//! let mut lab = Lab::new("demo"); // fails the test unless root
//! let r0 = lab.add_host();
//! let r1 = lab.add_host();
//! lab.host(r0).add_address("10.0.0.1/24");
//! lab.host(r1).add_address("10.0.0.2/24");
//! let mut capture = lab.capture("ip proto 112");
//! let _daemon = lab.host(r0).ns.spawn_isolated(&["keepalived", "-n", "-l"], None);
//! lab.set_loss("vrrp", 20); // 20% of adverts lost on the switch
//! lab.partition(r1); // r1 cut off
//! lab.heal();
//! let wire = capture.read_tshark(); // judge what went on the wire
//! let vips = lab.host(r1).ns.ip(&["-o", "addr", "show", "dev", "e0"]); // judge who holds a VIP
//! # let _ = (wire, vips);
//! // Dropping `lab` kills what runs in its namespaces and deletes them.
//! ```

#![warn(missing_docs)]

mod capture;
mod daemon;
mod netns;
mod process;

pub mod vm;

pub use capture::Capture;
pub use daemon::{Daemon, DaemonFiles, holds, holds_on, wait_until};
pub use netns::Netns;
pub use process::{ChildGuard, become_subreaper, reap_zombies};

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

/// Fails the calling test with a message unless it runs as root.
///
/// Call it first in every test that builds a lab: namespaces, raw sockets and nftables need
/// root, and CI runs as root, so a non-root run is a misconfiguration that must not pass.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test needs root (network namespaces, raw sockets); run it as root like CI does"
    );
}

/// Returns a name unique to this process and call: `prefix` + pid + a counter.
///
/// Use it for namespaces and temporary files so parallel tests and parallel test binaries
/// never collide.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}-{n}", std::process::id())
}

/// A temporary directory removed (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh, uniquely named directory under the system temporary directory.
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique_name(prefix));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    /// The directory's path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Writes `text` to the file `name` in the directory; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Writes the script `text` to `name` in the directory, executable (0755); returns its
    /// path (notify scripts, command wrappers, the VM's `run`).
    pub fn write_executable(&self, name: &str, text: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.write(name, text);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("making {} executable: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One host of a [`Lab`]: a namespace with a veth `e0` plugged into the switch as `port`.
#[derive(Debug)]
pub struct Host {
    /// The host's namespace.
    pub ns: Netns,
    /// The name of the switch-side end of the host's veth (`p0`, `p1`, …).
    pub port: String,
}

impl Host {
    /// Adds an address (`"10.0.0.1/24"`, `"fd00::1/64"`) to `e0`; IPv6 gets `nodad` so it is
    /// usable at once (LAB-NOTES: DAD otherwise costs 1–2 s).
    pub fn add_address(&self, cidr: &str) {
        if cidr.contains(':') {
            self.ns
                .ip(&["-6", "addr", "add", cidr, "dev", "e0", "nodad"]);
        } else {
            self.ns.ip(&["addr", "add", cidr, "dev", "e0"]);
        }
    }

    /// The MAC address of `e0` as `aa:bb:cc:dd:ee:ff`.
    pub fn mac(&self) -> String {
        self.ns.link_mac("e0")
    }

    /// The IPv6 link-local address of `e0` (without prefix length), once it exists.
    ///
    /// The kernel assigns it when the link comes up; with `nodad` off it may be tentative
    /// for a moment, so this waits up to 3 s for a non-tentative one.
    pub fn link_local(&self) -> String {
        for _ in 0..300 {
            let out = self
                .ns
                .ip(&["-6", "-o", "addr", "show", "dev", "e0", "scope", "link"]);
            for line in out.lines() {
                if line.contains("tentative") {
                    continue;
                }
                if let Some(addr) = line.split_whitespace().skip_while(|w| *w != "inet6").nth(1) {
                    return addr.split('/').next().unwrap_or(addr).to_string();
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("no usable link-local address on e0 in {}", self.ns.name());
    }
}

/// A switch namespace with bridge `br0` and hosts attached to it.
#[derive(Debug)]
pub struct Lab {
    // Hosts are dropped before the switch (field order), so veths vanish with their hosts.
    hosts: Vec<Host>,
    switch: Netns,
    prefix: String,
}

impl Lab {
    /// Builds an empty lab: a switch namespace with `br0` up and `mcast_snooping 0`.
    ///
    /// `prefix` starts every namespace name, e.g. `"kvs"`; keep it short and test-specific.
    pub fn new(prefix: &str) -> Lab {
        require_root();
        let prefix = unique_name(prefix);
        let switch = Netns::new(&format!("{prefix}-sw"));
        switch.ip(&[
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        switch.ip(&["link", "set", "br0", "up"]);
        Lab {
            hosts: Vec::new(),
            switch,
            prefix,
        }
    }

    /// Adds a host namespace with `lo` and `e0` up, `e0` plugged into the bridge; returns its
    /// index for [`Lab::host`].
    pub fn add_host(&mut self) -> usize {
        let index = self.hosts.len();
        let ns = Netns::new(&format!("{}-h{index}", self.prefix));
        let port = format!("p{index}");
        self.switch.ip(&[
            "link",
            "add",
            &port,
            "type",
            "veth",
            "peer",
            "name",
            "e0",
            "netns",
            ns.name(),
        ]);
        self.switch.ip(&["link", "set", &port, "master", "br0"]);
        self.switch.ip(&["link", "set", &port, "up"]);
        ns.ip(&["link", "set", "lo", "up"]);
        ns.ip(&["link", "set", "e0", "up"]);
        self.hosts.push(Host { ns, port });
        index
    }

    /// The host with the given index (from [`Lab::add_host`]).
    pub fn host(&self, index: usize) -> &Host {
        &self.hosts[index]
    }

    /// The switch namespace (holds `br0` and the `pN` ports).
    pub fn switch(&self) -> &Netns {
        &self.switch
    }

    /// Drops `percent`% of the bridged packets of IP protocol `protocol` (e.g. `"vrrp"`, or a
    /// number) at random, with nftables in the switch (LAB-NOTES: no netem here). 0 adds
    /// nothing; 100 or more drops every such packet.
    pub fn set_loss(&self, protocol: &str, percent: u32) {
        self.ensure_filter_table();
        match percent {
            0 => {}
            1..=99 => self.switch.nft(&format!(
                "add rule bridge keel_lab forward ip protocol {protocol} numgen random mod 100 < {percent} drop"
            )),
            _ => self.switch.nft(&format!(
                "add rule bridge keel_lab forward ip protocol {protocol} drop"
            )),
        }
    }

    /// Cuts host `index` off the switch in both directions (a partition, link stays up).
    pub fn partition(&self, index: usize) {
        self.ensure_filter_table();
        let port = &self.hosts[index].port;
        self.switch.nft(&format!(
            "add rule bridge keel_lab forward iifname {port} drop"
        ));
        self.switch.nft(&format!(
            "add rule bridge keel_lab forward oifname {port} drop"
        ));
    }

    /// Removes every loss and partition rule.
    pub fn heal(&self) {
        self.ensure_filter_table();
        self.switch.nft("flush chain bridge keel_lab forward");
    }

    /// Sets the switch side of host `index`'s veth down (`up == false`) or up: the host sees
    /// its `e0` lose or regain carrier.
    pub fn set_port_up(&self, index: usize, up: bool) {
        let port = &self.hosts[index].port;
        self.switch
            .ip(&["link", "set", port, if up { "up" } else { "down" }]);
    }

    /// Starts a tcpdump capture on the bridge, with an optional pcap `filter`.
    pub fn capture(&self, filter: &str) -> Capture {
        Capture::start(&self.switch, "br0", filter)
    }

    fn ensure_filter_table(&self) {
        // `add` is idempotent in nft for tables and chains.
        self.switch.nft("add table bridge keel_lab");
        self.switch.nft(
            "add chain bridge keel_lab forward { type filter hook forward priority 0; policy accept; }",
        );
    }
}

/// Panics with the command's output unless it succeeded; returns its stdout as text.
pub(crate) fn checked(what: &str, out: std::io::Result<Output>) -> String {
    let out = out.unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
