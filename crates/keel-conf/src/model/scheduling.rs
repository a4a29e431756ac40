//! How each of keepalived's processes asks to be scheduled (spec §2.3, "scheduling"):
//! `{vrrp,checker,bfd}_priority`, `_rt_priority`, `_rlimit_rttime`, `_no_swap`,
//! `_cpu_affinity`.

use serde::Serialize;

/// keepalived's `RT_RLIMIT_DEFAULT`: the RLIMIT_RTTIME hard limit, in microseconds, a
/// process gets with `*_rt_priority` when no `*_rlimit_rttime` is given (spec §2.3).
pub const DEFAULT_RLIMIT_RTTIME: u32 = 10_000;

/// The scheduling settings of the VRRP, checker and BFD processes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scheduling {
    /// `vrrp_*`.
    pub vrrp: ProcessScheduling,
    /// `checker_*`.
    pub checker: ProcessScheduling,
    /// `bfd_*`.
    pub bfd: ProcessScheduling,
    /// `process_name NAME`: the parent process's name.
    pub process_name: Option<String>,
    /// `process_names`: keepalived's default names for every process (`keepalived`,
    /// `keepalived_vrrp`, `keepalived_ipvs`, `keepalived_bfd`).
    pub process_names: bool,
}

/// One process's scheduling keywords. The default changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessScheduling {
    /// `*_priority -20..19`: the nice value (0: left as inherited).
    pub priority: i32,
    /// `*_rt_priority 1..99`: SCHED_RR at this priority (`None`: normal scheduling).
    pub rt_priority: Option<u32>,
    /// `*_rlimit_rttime USEC` (10000): the RLIMIT_RTTIME hard limit while realtime.
    pub rlimit_rttime: u32,
    /// `*_no_swap`: lock the process's memory.
    pub no_swap: bool,
    /// `*_cpu_affinity CPU...`: the CPUs the process may run on (empty: all).
    pub cpu_affinity: Vec<u32>,
    /// `vrrp_process_name`, `checker_process_name` (*dep* `lvs_process_name`),
    /// `bfd_process_name NAME`: the process's name (its `comm`, 15 bytes at most).
    pub name: Option<String>,
}

impl Default for ProcessScheduling {
    fn default() -> Self {
        ProcessScheduling {
            priority: 0,
            rt_priority: None,
            rlimit_rttime: DEFAULT_RLIMIT_RTTIME,
            no_swap: false,
            cpu_affinity: Vec::new(),
            name: None,
        }
    }
}

impl ProcessScheduling {
    /// Whether no scheduling keyword asked for something (the name aside: a default
    /// process's scheduling is left alone).
    pub fn is_default(&self) -> bool {
        ProcessScheduling {
            name: None,
            ..self.clone()
        } == ProcessScheduling::default()
    }
}
