//! keel-sys: the Linux edge of keel.
//!
//! Everything here moves bytes, addresses and processes between the kernel and the daemon;
//! nothing here knows VRRP semantics. The core crates (keel-vrrp, keel-check) emit `Action`
//! values; the daemon carries them out through these adapters and turns what the adapters
//! report (packets, netlink events, script results) back into `Input`s.
//!
//! | module | kernel facility | keepalived feature |
//! |---|---|---|
//! | [`socket`] | raw IP sockets, proto 112 / 51 | adverts, multicast / unicast (spec §3.1, §3.11) |
//! | [`packet`] | AF_PACKET | gratuitous ARP, unsolicited NA (spec §3.9); multicast adverts as whole frames |
//! | [`netlink`] | rtnetlink | VIPs, virtual routes / rules, link and address events |
//! | [`vmac`] | rtnetlink + `/proc/sys` | `use_vmac` macvlan and its sysctls (spec §3.10) |
//! | [`script`], [`security`] | fork/exec, setpgid, setuid | `vrrp_script`, notify scripts, `enable_script_security` (spec §1.1, §3.14) |
//! | [`sched`] | sched_setscheduler, setrlimit, mlockall, sched_setaffinity | `vrrp_rt_priority`, `_priority`, `_no_swap`, `_cpu_affinity` (spec §2.3) |
//! | [`inotify`] | inotify | `track_file` |
//! | [`process`], [`proc_events`] | `/proc`, proc connector | `track_process` |
//! | [`fifo`] | FIFO | `notify_fifo` (spec §3.8) |
//! | [`smtp`] | TCP | `smtp_alert` |
//! | [`lb`], [`ipvs`] | generic netlink "IPVS" | virtual/real servers, `lvs_*` globals (spec §3.12) |
//! | [`nft`] | nftables (`nft -f`) | virtual/real servers as DNAT where the kernel has no IPVS |
//! | [`firewall`] | nftables (`nft -f`) | `no_accept` / strict DROP rules, VMAC IGMP (spec §3.7) |
//! | [`netns`] | setns, mount namespace | `net_namespace`, `-s` (spec §1.3) |
//!
//! Each adapter the daemon drives sits behind a small trait so the daemon can be tested
//! with fakes: [`socket::AdvertSocket`], [`packet::FrameSender`], [`netlink::NetlinkApi`],
//! [`script::ScriptRunner`]. The rest are thin types over one kernel facility each.
//!
//! Adapters that open kernel objects (sockets, netlink, inotify) bind them to the network
//! namespace of the thread that opens them, and must be opened inside a tokio runtime.
//! Sysctl writes ([`vmac`]) go to the namespace of the calling thread, so they are
//! synchronous.

#![warn(missing_docs)]

pub mod error;
pub mod fifo;
pub mod firewall;
#[doc(hidden)]
pub mod fuzzing;
pub mod inotify;
pub mod ipvs;
pub mod lb;
pub mod netlink;
pub mod netns;
pub mod nft;
pub mod packet;
pub mod proc_events;
pub mod process;
pub mod sched;
pub mod script;
pub mod security;
pub mod smtp;
pub mod socket;
mod sys;
pub mod vmac;

pub use error::{Error, Result};
pub use sys::interface_index;
