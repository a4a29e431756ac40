//! Process scheduling: keepalived's `{vrrp,checker,bfd}_priority`, `_rt_priority`,
//! `_rlimit_rttime`, `_no_swap` and `_cpu_affinity` (spec §2.3, "scheduling").
//!
//! A process calls [`apply`] once, early, before it starts threads: nice, scheduling policy
//! and CPU affinity are per thread on Linux and new threads inherit them from the thread
//! that creates them, so the runtime's threads started afterwards get them too.
//!
//! What keepalived 2.2.7 does, and this module with it:
//! - `*_rt_priority N`: `SCHED_RR` at N with `SCHED_RESET_ON_FORK`, then RLIMIT_RTTIME with
//!   the soft limit at half of `*_rlimit_rttime` (default 10000 µs) and the hard limit at
//!   all of it. At the soft limit the kernel sends SIGXCPU, which keepalived only logs
//!   ("VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be
//!   increased"); at the hard limit the kernel kills the process (keepalived's parent then
//!   restarts it). This module ignores SIGXCPU until the daemon installs its logging
//!   handler, so the signal can never kill the process by its default action.
//! - `*_priority N` (only without an rt priority): `setpriority(PRIO_PROCESS)`.
//! - `*_no_swap`: `mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)`.
//! - `*_cpu_affinity`: `sched_setaffinity`.
//!
//! Children must not inherit any of it (keepalived's `reset_process_priorities` in each
//! script child): [`reset_in_child`] runs between fork and exec of scripts and of the
//! checker child. Memory locks are never inherited over fork (mlockall(2)), and
//! `SCHED_RESET_ON_FORK` already drops `SCHED_RR` and a negative nice in the child; nice,
//! affinity and RLIMIT_RTTIME are restored explicitly.

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

/// What one process asks for. The default changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scheduling {
    /// The nice value, -20..19 (0: left as inherited). Ignored with `realtime`, as keepalived
    /// does.
    pub nice: i32,
    /// `SCHED_RR` and its CPU-time limit.
    pub realtime: Option<Realtime>,
    /// Lock current and future memory.
    pub lock_memory: bool,
    /// The CPUs to run on (empty: leave the affinity alone).
    pub cpus: Vec<u32>,
}

/// `*_rt_priority` with its `*_rlimit_rttime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realtime {
    /// SCHED_RR priority, 1..99.
    pub priority: u32,
    /// RLIMIT_RTTIME hard limit in microseconds; the soft limit is half of it.
    pub rlimit_rttime_us: u32,
}

/// One setting that could not be applied; the others still were.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct Failure {
    /// What was attempted (keepalived's words where it has them).
    pub what: String,
    /// The kernel's answer.
    #[source]
    pub source: io::Error,
}

/// Applies `settings` to the calling thread (and, for memory and limits, the process).
/// Returns what failed; a failure of one setting does not stop the others (keepalived logs
/// each and carries on).
pub fn apply(settings: &Scheduling) -> Vec<Failure> {
    let mut failures = Vec::new();
    if let Some(realtime) = settings.realtime {
        if let Err(failure) = set_realtime(realtime) {
            failures.push(failure);
        }
    } else if settings.nice != 0 {
        if let Err(failure) = set_nice(settings.nice) {
            failures.push(failure);
        }
    }
    if settings.lock_memory {
        // MCL_ONFAULT (Linux ≥ 4.4) locks pages as they are touched instead of
        // populating the whole address space now, as keepalived asks.
        // SAFETY: mlockall takes flags only.
        let locked =
            unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
        if locked != 0 {
            failures.push(failure("Unable to lock process in memory"));
        } else {
            LOCKED.store(true, Ordering::Relaxed);
        }
    }
    if !settings.cpus.is_empty() {
        if let Err(failure) = set_affinity(&settings.cpus) {
            failures.push(failure);
        }
    }
    failures
}

/// Undoes [`apply`] in a forked child before it execs a script or the checker: normal
/// scheduling, the original nice value, RLIMIT_RTTIME and CPU affinity, SIGXCPU's default
/// action.
///
/// Async-signal-safe (plain system calls on values saved before the fork), so it may run in
/// `Command::pre_exec`. Failures are ignored: the child runs either way, as keepalived's do.
pub fn reset_in_child() {
    // SAFETY: every call below is a system call taking plain values or pointers to
    // locals/statics that outlive it; none allocates or takes a lock.
    unsafe {
        if REALTIME_SET.load(Ordering::Relaxed) {
            let policy = libc::sched_getscheduler(0);
            if policy >= 0 && policy & !libc::SCHED_RESET_ON_FORK != libc::SCHED_OTHER {
                let param = libc::sched_param { sched_priority: 0 };
                libc::sched_setscheduler(0, libc::SCHED_OTHER, &param);
            }
            let limit = libc::rlimit {
                rlim_cur: ORIGINAL_RTTIME_SOFT.load(Ordering::Relaxed),
                rlim_max: ORIGINAL_RTTIME_HARD.load(Ordering::Relaxed),
            };
            if libc::setrlimit(libc::RLIMIT_RTTIME, &limit) != 0 {
                // Raising a hard limit needs CAP_SYS_RESOURCE (containers often drop it):
                // at least lift the soft limit to the hard one, so no SIGXCPU warning is
                // inherited. A SCHED_OTHER child is not limited by RLIMIT_RTTIME anyway.
                let mut current = limit;
                if libc::getrlimit(libc::RLIMIT_RTTIME, &mut current) == 0 {
                    current.rlim_cur = current.rlim_max;
                    libc::setrlimit(libc::RLIMIT_RTTIME, &current);
                }
            }
            libc::signal(libc::SIGXCPU, libc::SIG_DFL);
        }
        if NICE_SET.load(Ordering::Relaxed) {
            libc::setpriority(libc::PRIO_PROCESS, 0, ORIGINAL_NICE.load(Ordering::Relaxed));
        }
        if let Some(mask) = ORIGINAL_AFFINITY.get() {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), mask);
        }
    }
}

/// Undoes [`apply`] in this process, on the calling thread (keepalived's
/// `reset_process_priorities` at the start of a reload, before the new settings are
/// applied): normal scheduling with the original RLIMIT_RTTIME (or the soft limit lifted to
/// the hard one without CAP_SYS_RESOURCE), the original nice value and CPU affinity, memory
/// unlocked. SIGXCPU keeps its handler. Returns what failed.
pub fn reset() -> Vec<Failure> {
    let mut failures = Vec::new();
    if REALTIME_SET.swap(false, Ordering::Relaxed) {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` outlives the call.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) } != 0 {
            failures.push(failure("cannot reset realtime scheduling"));
        }
        let original = libc::rlimit {
            rlim_cur: ORIGINAL_RTTIME_SOFT.load(Ordering::Relaxed),
            rlim_max: ORIGINAL_RTTIME_HARD.load(Ordering::Relaxed),
        };
        // SAFETY: `original` outlives the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &original) } != 0 {
            let mut current = original;
            // SAFETY: as above; lifting the soft limit to the hard one needs no privilege.
            unsafe {
                if libc::getrlimit(libc::RLIMIT_RTTIME, &mut current) == 0 {
                    current.rlim_cur = current.rlim_max;
                    libc::setrlimit(libc::RLIMIT_RTTIME, &current);
                }
            }
        }
    }
    if NICE_SET.swap(false, Ordering::Relaxed) {
        let nice = ORIGINAL_NICE.load(Ordering::Relaxed);
        // SAFETY: plain values.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) } != 0 {
            failures.push(failure("Unable to reset process priority"));
        }
    }
    if let Some(mask) = ORIGINAL_AFFINITY.get() {
        // SAFETY: `mask` is a static cpu_set_t.
        if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), mask) } != 0
        {
            failures.push(failure("unable to reset cpu affinity"));
        }
    }
    if LOCKED.swap(false, Ordering::Relaxed) {
        // SAFETY: no arguments.
        unsafe { libc::munlockall() };
    }
    failures
}

/// Names the calling thread (for the main thread: the process's `comm`, what `ps`, `top`
/// and `pidof` show) `name`, cut to the kernel's 15 bytes (`process_name` and friends;
/// keepalived uses `prctl(PR_SET_NAME)` the same way). A name with a NUL byte is refused.
pub fn set_name(name: &str) -> io::Result<()> {
    let name =
        std::ffi::CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: PR_SET_NAME reads a NUL-terminated string (at most 16 bytes) from a pointer
    // that stays valid for the call.
    if unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr() as libc::c_ulong, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// keepalived's SIGXCPU message for `process` ("VRRP", "Checker", "BFD") and its keyword
/// prefix ("vrrp", "checker", "bfd").
pub fn sigxcpu_message(process: &str, prefix: &str) -> String {
    format!(
        "{process} process has used too much CPU time, {prefix}_rlimit_rttime may need to be increased"
    )
}

// What `apply` changed, saved for `reset_in_child` (which cannot allocate or lock).
static REALTIME_SET: AtomicBool = AtomicBool::new(false);
static ORIGINAL_RTTIME_SOFT: AtomicU64 = AtomicU64::new(libc::RLIM_INFINITY);
static ORIGINAL_RTTIME_HARD: AtomicU64 = AtomicU64::new(libc::RLIM_INFINITY);
static NICE_SET: AtomicBool = AtomicBool::new(false);
static ORIGINAL_NICE: AtomicI32 = AtomicI32::new(0);
static ORIGINAL_AFFINITY: OnceLock<libc::cpu_set_t> = OnceLock::new();
static LOCKED: AtomicBool = AtomicBool::new(false);
static RTTIME_SAVED: AtomicBool = AtomicBool::new(false);

fn set_realtime(realtime: Realtime) -> Result<(), Failure> {
    let param = libc::sched_param {
        sched_priority: realtime.priority as libc::c_int,
    };
    // keepalived compat: SCHED_RR | SCHED_RESET_ON_FORK, so children start unprivileged.
    // SAFETY: `param` outlives the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) }
        != 0
    {
        return Err(failure("cannot raise priority"));
    }
    REALTIME_SET.store(true, Ordering::Relaxed);
    let mut original = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // Only the first time: after a reset without CAP_SYS_RESOURCE the current limit is not
    // the original any more.
    // SAFETY: writes one rlimit into `original`.
    if !RTTIME_SAVED.load(Ordering::Relaxed)
        && unsafe { libc::getrlimit(libc::RLIMIT_RTTIME, &mut original) } == 0
    {
        ORIGINAL_RTTIME_SOFT.store(original.rlim_cur, Ordering::Relaxed);
        ORIGINAL_RTTIME_HARD.store(original.rlim_max, Ordering::Relaxed);
        RTTIME_SAVED.store(true, Ordering::Relaxed);
    }
    // The default action of SIGXCPU ends the process with a core dump; the soft limit must
    // only warn. The daemon replaces this with a handler that logs.
    // SAFETY: SIG_IGN for SIGXCPU has no preconditions.
    unsafe { libc::signal(libc::SIGXCPU, libc::SIG_IGN) };
    let limit = libc::rlimit {
        rlim_cur: libc::rlim_t::from(realtime.rlimit_rttime_us / 2),
        rlim_max: libc::rlim_t::from(realtime.rlimit_rttime_us),
    };
    // SAFETY: `limit` outlives the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &limit) } != 0 {
        return Err(failure("cannot set realtime rlimit"));
    }
    Ok(())
}

fn set_nice(nice: i32) -> Result<(), Failure> {
    // getpriority can return -1 legitimately: errno tells.
    // SAFETY: errno is thread-local; getpriority takes plain values.
    let original = unsafe {
        *libc::__errno_location() = 0;
        libc::getpriority(libc::PRIO_PROCESS, 0)
    };
    if original == -1 && io::Error::last_os_error().raw_os_error() != Some(0) {
        return Err(failure("Unable to read process priority"));
    }
    // SAFETY: plain values.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) } != 0 {
        return Err(failure(&format!(
            "Unable to set process priority to {nice}"
        )));
    }
    ORIGINAL_NICE.store(original, Ordering::Relaxed);
    NICE_SET.store(true, Ordering::Relaxed);
    // (After a reset the current value is the original again, so a re-read is right.)
    Ok(())
}

fn set_affinity(cpus: &[u32]) -> Result<(), Failure> {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut original: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel writes at most `size` bytes into `original`.
    if unsafe { libc::sched_getaffinity(0, size, &mut original) } != 0 {
        return Err(failure("unable to read the cpu affinity"));
    }
    // SAFETY: as above.
    let mut mask: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let bits = 8 * size;
    for &cpu in cpus {
        let cpu = cpu as usize;
        if cpu >= bits {
            return Err(Failure {
                what: format!("unable to set cpu affinity to cpu {cpu}"),
                source: io::Error::from_raw_os_error(libc::EINVAL),
            });
        }
        // SAFETY: `cpu` is below the set's size in bits, checked just above.
        unsafe { libc::CPU_SET(cpu, &mut mask) };
    }
    // SAFETY: `mask` outlives the call.
    if unsafe { libc::sched_setaffinity(0, size, &mask) } != 0 {
        return Err(failure("unable to set cpu affinity"));
    }
    // The first original is the one children get back (a second apply, at reload, must not
    // make the daemon's own mask the "original").
    let _ = ORIGINAL_AFFINITY.set(original);
    Ok(())
}

fn failure(what: &str) -> Failure {
    Failure {
        what: what.to_owned(),
        source: io::Error::last_os_error(),
    }
}

#[cfg(test)]
#[path = "sched_tests.rs"]
mod tests;
