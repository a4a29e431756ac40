//! Tests of [`super`]: each forks, so the test process keeps its own scheduling.

use super::*;

fn status_field(pid: u32, name: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("our own /proc status is readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .map(|value| value.trim().to_owned())
        .unwrap_or_default()
}

const CAP_SYS_RESOURCE: u32 = 24;

fn has_capability(bit: u32) -> bool {
    let effective = status_field(std::process::id(), "CapEff");
    u64::from_str_radix(&effective, 16).is_ok_and(|caps| caps & (1 << bit) != 0)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// For the tests that need root (realtime scheduling, memory locking): the CPUs this
/// process may run on (`Cpus_allowed_list`), which a reset must give back; `None`, with a
/// note that the test is skipped, when not root.
fn all_cpus_as_root() -> Option<String> {
    if !is_root() {
        eprintln!("skipped: needs root");
        return None;
    }
    Some(status_field(std::process::id(), "Cpus_allowed_list"))
}

/// Runs `child` in a forked process, so the test harness keeps its own scheduling, and
/// returns the report `child` builds there, read back through a pipe once it has exited.
fn report_from_fork(child: impl FnOnce() -> String) -> String {
    let (read_fd, write_fd) = {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two descriptors into `fds`.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    };
    // SAFETY: the child only makes system calls and std::process calls, then _exits;
    // the test harness's other threads are not used in it.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let report = child();
        // SAFETY: writes our buffer to the pipe, then exits without unwinding.
        unsafe {
            libc::write(write_fd, report.as_ptr().cast(), report.len());
            libc::_exit(0);
        }
    }
    // SAFETY: closes our copy of the write end.
    unsafe { libc::close(write_fd) };
    let mut status = 0;
    // SAFETY: waits for the child we forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let mut report = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        // SAFETY: reads into `buffer`.
        let n = unsafe { libc::read(read_fd, buffer.as_mut_ptr().cast(), buffer.len()) };
        if n <= 0 {
            break;
        }
        report.extend_from_slice(&buffer[..n as usize]);
    }
    // SAFETY: closes the read end.
    unsafe { libc::close(read_fd) };
    String::from_utf8_lossy(&report).into_owned()
}

/// Runs `script` with `/bin/sh -c` through a pre_exec that calls [`reset_in_child`], as
/// the daemon starts its scripts, and returns what the script printed (empty if it could
/// not run).
fn script_output_after_reset(script: &str) -> String {
    let mut command = std::process::Command::new("/bin/sh");
    command.arg("-c").arg(script);
    // SAFETY: reset_in_child is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            reset_in_child();
            Ok(())
        });
    }
    let output = command.output().map(|o| o.stdout).unwrap_or_default();
    String::from_utf8_lossy(&output).into_owned()
}

// Input: a forked process (so the test harness keeps its own settings) applies SCHED_RR
// 10 with a 20000 µs rttime limit, memory locking and affinity to CPU 0, then runs
// /bin/sh through a pre_exec that calls reset_in_child, which reports its own settings.
// Output: the process is SCHED_RR|RESET_ON_FORK at 10, RLIMIT_RTTIME 10000/20000,
// VmLck > 0 and Cpus_allowed_list "0"; the script is SCHED_OTHER, unlimited rttime
// (20000/20000 without CAP_SYS_RESOURCE, which raising a hard limit needs), VmLck 0 and
// has every CPU back.
#[test]
fn realtime_memory_and_affinity_apply_and_children_get_none_of_it() {
    let Some(all_cpus) = all_cpus_as_root() else {
        return;
    };
    let report = report_from_fork(|| {
        let failures = apply(&Scheduling {
            nice: 0,
            realtime: Some(Realtime {
                priority: 10,
                rlimit_rttime_us: 20_000,
            }),
            lock_memory: true,
            cpus: vec![0],
        });
        let me = std::process::id();
        let mut report = format!("failures={}\n", failures.len());
        // SAFETY: plain query.
        let policy = unsafe { libc::sched_getscheduler(0) };
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: writes one rlimit.
        unsafe { libc::getrlimit(libc::RLIMIT_RTTIME, &mut limit) };
        report += &format!(
            "policy={policy}\nrttime={}/{}\nvmlck={}\ncpus={}\n",
            limit.rlim_cur,
            limit.rlim_max,
            status_field(me, "VmLck"),
            status_field(me, "Cpus_allowed_list")
        );
        report += &script_output_after_reset(
            "echo child_sched=$(awk '{print $41}' /proc/$$/stat); \
             echo child_rttime=$(awk '/realtime timeout/ {print $4\"/\"$5}' /proc/$$/limits); \
             echo child_vmlck=$(awk '/VmLck/ {print $2}' /proc/$$/status); \
             echo child_cpus=$(awk '/Cpus_allowed_list/ {print $2}' /proc/$$/status)",
        );
        report
    });
    let value = |key: &str| {
        report
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(value("failures"), "0", "{report}");
    assert_eq!(
        value("policy"),
        (libc::SCHED_RR | libc::SCHED_RESET_ON_FORK).to_string(),
        "{report}"
    );
    assert_eq!(value("rttime"), "10000/20000", "{report}");
    assert_ne!(value("vmlck"), "0 kB", "{report}");
    assert_eq!(value("cpus"), "0", "{report}");
    assert_eq!(value("child_sched"), "0", "{report}");
    let restored = if has_capability(CAP_SYS_RESOURCE) {
        "unlimited/unlimited"
    } else {
        "20000/20000"
    };
    assert_eq!(value("child_rttime"), restored, "{report}");
    assert_eq!(value("child_vmlck"), "0", "{report}");
    assert_eq!(value("child_cpus"), all_cpus, "{report}");
}

// Input: a forked process sets nice 7 (no realtime), then a pre_exec'd child reports
// its nice value.
// Output: the process runs at 7, the child at the original value.
#[test]
fn nice_applies_and_children_get_the_original_back() {
    // SAFETY: plain query.
    let original = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let report = report_from_fork(|| {
        let failures = apply(&Scheduling {
            nice: 7,
            ..Scheduling::default()
        });
        // SAFETY: plain query.
        let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let output = script_output_after_reset("echo child=$(awk '{print $19}' /proc/$$/stat)");
        format!("failures={}\nnice={nice}\n{output}", failures.len())
    });
    assert!(report.contains("failures=0\n"), "{report}");
    assert!(report.contains("nice=7\n"), "{report}");
    assert!(report.contains(&format!("child={original}\n")), "{report}");
}

// Input: a forked process applies SCHED_RR 5, nice is ignored with it, memory locking
// and CPU 0; then resets (a reload), then applies nice 3 alone.
// Output: after the reset it is SCHED_OTHER, nothing locked, every CPU again; then at
// nice 3 with the same normal scheduling.
#[test]
fn reset_undoes_apply_for_a_reload() {
    let Some(all_cpus) = all_cpus_as_root() else {
        return;
    };
    let report = report_from_fork(|| {
        let mut failures = apply(&Scheduling {
            nice: 0,
            realtime: Some(Realtime {
                priority: 5,
                rlimit_rttime_us: 10_000,
            }),
            lock_memory: true,
            cpus: vec![0],
        });
        failures.extend(reset());
        let me = std::process::id();
        // SAFETY: plain query.
        let policy = unsafe { libc::sched_getscheduler(0) };
        let mut report = format!(
            "after_reset={policy} {} {}\n",
            status_field(me, "VmLck"),
            status_field(me, "Cpus_allowed_list")
        );
        failures.extend(apply(&Scheduling {
            nice: 3,
            ..Scheduling::default()
        }));
        // SAFETY: plain queries.
        let (policy, nice) = unsafe {
            (
                libc::sched_getscheduler(0),
                libc::getpriority(libc::PRIO_PROCESS, 0),
            )
        };
        report += &format!("after_nice={policy} {nice}\nfailures={}\n", failures.len());
        report
    });
    assert!(
        report.contains(&format!("after_reset=0 0 kB {all_cpus}\n")),
        "{report}"
    );
    assert!(report.contains("after_nice=0 3\n"), "{report}");
    assert!(report.contains("failures=0\n"), "{report}");
}

// Input: the process names keepalived uses.
// Output: keepalived's SIGXCPU log line.
#[test]
fn sigxcpu_message_is_keepalived_s() {
    assert_eq!(
        sigxcpu_message("VRRP", "vrrp"),
        "VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased"
    );
}

// Input: a thread named "keepalived_vrrp_long_name" (longer than the kernel keeps), then a
// name with a NUL byte.
// Output: /proc/self/task/TID/comm reads "keepalived_vrrp" (its first 15 bytes); the NUL
// name is an error, not a panic.
#[test]
fn set_name_names_the_thread_cut_to_15_bytes() {
    std::thread::spawn(|| {
        set_name("keepalived_vrrp_long_name").expect("prctl succeeds");
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let comm = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
            .expect("our own comm is readable");
        assert_eq!(comm.trim_end(), "keepalived_vrrp");
        assert!(set_name("bad\0name").is_err());
    })
    .join()
    .expect("the naming thread does not panic");
}
