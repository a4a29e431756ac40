//! Shared by the end-to-end tests: throwaway network namespaces and timed child runs.
//!
//! Every namespace is a keel-lab [`Netns`] named `PREFIX-PID-N`, so parallel test runs never
//! collide, and is deleted when it drops, even when the test fails.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keel_lab::Netns;

/// A new namespace `PREFIX-PID-N` with `lo` up.
pub fn netns(prefix: &str) -> Netns {
    let netns = Netns::new(&keel_lab::unique_name(&format!("{prefix}-")));
    netns.ip_batch(&["link set lo up".to_string()]);
    netns
}

/// The environment of the corpus verdicts (corpus README): veth `eth0`..`eth12` up with
/// 10.N.0.1/24, and a bridge `br0` with 192.168.0.1/24.
pub fn corpus_netns(prefix: &str) -> Netns {
    let netns = netns(prefix);
    let mut commands = Vec::new();
    for n in 0..=12 {
        commands.push(format!("link add eth{n} type veth peer name veth{n}p"));
        commands.push(format!("addr add 10.{n}.0.1/24 dev eth{n}"));
        commands.push(format!("link set veth{n}p up"));
        commands.push(format!("link set eth{n} up"));
    }
    commands.push("link add br0 type bridge".to_string());
    commands.push("addr add 192.168.0.1/24 dev br0".to_string());
    commands.push("link set br0 up".to_string());
    netns.ip_batch(&commands);
    netns
}

/// A namespace with the veth interfaces named, up, without addresses.
pub fn netns_with_interfaces(prefix: &str, interfaces: &[&str]) -> Netns {
    let netns = netns(prefix);
    let mut commands = Vec::new();
    for (n, interface) in interfaces.iter().enumerate() {
        commands.push(format!("link add {interface} type veth peer name kpeer{n}"));
        commands.push(format!("link set kpeer{n} up"));
        commands.push(format!("link set {interface} up"));
    }
    netns.ip_batch(&commands);
    netns
}

/// How a child run ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code, or `None` if it was killed by a signal or the timeout.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// True if the timeout killed it.
    pub timed_out: bool,
    /// Wall-clock time until it ended.
    pub wall: Duration,
    /// CPU time (user + system) it used.
    pub cpu: Duration,
    /// What it wrote to stdout.
    pub stdout: String,
    /// What it wrote to stderr.
    pub stderr: String,
}

/// Runs a command, killing it after `timeout`.
// The child is reaped by `wait4`, which also reports its CPU time.
#[allow(clippy::zombie_processes)]
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> Run {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command can be started");
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let pid = libc::pid_t::try_from(child.id()).expect("pids fit pid_t");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid buffer for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    loop {
        // SAFETY: `pid` is our unreaped child; `status` and `usage` are valid buffers.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break;
        }
        if reaped < 0 {
            panic!("wait4 failed: {}", std::io::Error::last_os_error());
        }
        if !timed_out && started.elapsed() > timeout {
            timed_out = true;
            // SAFETY: signalling our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall = started.elapsed();
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    Run {
        code,
        signal,
        timed_out,
        wall,
        cpu,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// The built `keel` binary.
pub fn keel() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keel"))
}

/// The shared conformance corpus: `<repo>/../shared/corpus` (`KEEL_CORPUS_DIR` overrides it,
/// for a checkout that does not sit next to `shared/`).
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KEEL_CORPUS_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn timeval(time: libc::timeval) -> Duration {
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let micros = u32::try_from(time.tv_usec).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(u64::from(micros))
}
