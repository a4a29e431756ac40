//! `keel --demo`: a live failover in throwaway network namespaces.
//!
//! A switch namespace with a bridge, two keel routers (this binary, run as child processes
//! with generated configurations) sharing a VIP, and a client pinging the VIP every 100 ms.
//! The master is SIGKILLed; the timeline is read back from the routers' notify scripts, a
//! capture on the bridge and the ping replies, and the failover is compared with VRRP's
//! bound 3 × advert_int + skew. Every namespace and file is removed at the end, also on
//! Ctrl-C or error (keel-lab's guards).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use keel_lab::{ChildGuard, Lab, TempDir};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

const VIP: &str = "10.77.0.100";
const ADDRESSES: [&str; 2] = ["10.77.0.1", "10.77.0.2"];
const PRIORITIES: [u8; 2] = [150, 100];
const ADVERT_INTERVAL: f64 = 1.0;

/// Runs the demo; returns the exit code.
pub fn run() -> i32 {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("keel --demo needs root (network namespaces, raw sockets)");
        return 1;
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(signal, on_interrupt as *const () as usize) };
    }
    match std::panic::catch_unwind(demo) {
        Ok(Ok(())) => 0,
        Ok(Err(message)) => {
            eprintln!("demo: {message}");
            1
        }
        Err(_) => {
            eprintln!("demo: failed (see above); namespaces removed");
            1
        }
    }
}

fn demo() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let dir = TempDir::new("keel-demo");
    println!("keel demo: building a switch, two routers and a client in network namespaces");
    let mut lab = Lab::new("kdemo");
    let routers = [lab.add_host(), lab.add_host()];
    let client = lab.add_host();
    for (host, address) in routers.iter().zip(ADDRESSES) {
        lab.host(*host).add_address(&format!("{address}/24"));
    }
    lab.host(client).add_address("10.77.0.10/24");
    let mut capture = lab.capture("ip proto 112");
    let mut daemons: Vec<ChildGuard> = Vec::new();
    for (index, host) in routers.iter().enumerate() {
        let config = write_router_files(dir.path(), index)?;
        let log = dir.path().join(format!("r{index}.log"));
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = lab
            .host(*host)
            .ns
            .command(&exe.to_string_lossy())
            .args(["-n", "-l", "-G", "-P", "-f"])
            .arg(&config)
            .arg("-p")
            .arg(dir.path().join(format!("r{index}.pid")))
            .arg("-r")
            .arg(dir.path().join(format!("r{index}-vrrp.pid")))
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting router {index}: {e}"))?;
        daemons.push(ChildGuard::new(child));
        println!(
            "  router r{index}: {} priority {} (keel pid {})",
            ADDRESSES[index],
            PRIORITIES[index],
            daemons[index].pid()
        );
    }
    wait_for("r0 to hold the VIP", Duration::from_secs(8), || {
        holds_vip(&lab, routers[0])
    })?;
    println!("  r0 is MASTER and holds {VIP}; client pings it every 100 ms");
    let ping = lab
        .host(client)
        .ns
        .command("ping")
        .args(["-D", "-n", "-i", "0.1", "-W", "1", VIP])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("ping: {e}"))?;
    pause(Duration::from_secs(2))?;
    let killed_at = epoch_now();
    println!(
        "  SIGKILL r0 (pid {}) and unplug its cable: a dead host keeps no VIP reachable",
        daemons[0].pid()
    );
    daemons[0]
        .child_mut()
        .kill()
        .map_err(|e| format!("kill: {e}"))?;
    lab.set_port_up(routers[0], false);
    let _ = daemons[0].child_mut().wait();
    wait_for("r1 to take over", Duration::from_secs(8), || {
        holds_vip(&lab, routers[1])
    })?;
    pause(Duration::from_secs(1))?;
    // SAFETY: kill has no memory-safety preconditions; the pid is our own child.
    unsafe { libc::kill(ping.id() as i32, libc::SIGINT) };
    let output = ping.wait_with_output().map_err(|e| e.to_string())?;
    let replies = ping_replies(&String::from_utf8_lossy(&output.stdout));
    capture.stop();
    let adverts = adverts(capture.file());
    print_timeline(dir.path(), killed_at, &replies, &adverts);
    drop(daemons);
    drop(lab);
    println!("cleaned up: namespaces and temporary files removed");
    Ok(())
}

fn write_router_files(dir: &Path, index: usize) -> Result<std::path::PathBuf, String> {
    let notify = dir.join(format!("notify-r{index}.sh"));
    let events = dir.join(format!("events-r{index}.log"));
    std::fs::write(
        &notify,
        format!(
            "#!/bin/sh\necho \"$(date +%s.%N) $3\" >> {}\n",
            events.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    let state = if index == 0 { "MASTER" } else { "BACKUP" };
    let config = format!(
        "global_defs {{\n  router_id r{index}\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n}}\n\
         vrrp_instance VI_DEMO {{\n  state {state}\n  interface e0\n  virtual_router_id 77\n  \
         priority {}\n  advert_int {ADVERT_INTERVAL}\n  virtual_ipaddress {{\n    {VIP}/24\n  }}\n  \
         notify {}\n}}\n",
        PRIORITIES[index],
        notify.display()
    );
    let path = dir.join(format!("r{index}.conf"));
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    Ok(path)
}

fn holds_vip(lab: &Lab, host: usize) -> bool {
    let out = lab
        .host(host)
        .ns
        .ip_output(&["-o", "-4", "addr", "show", "dev", "e0"]);
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {VIP}/"))
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let start = Instant::now();
    while !done() {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err("interrupted".into());
        }
        if start.elapsed() > limit {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn pause(duration: Duration) -> Result<(), String> {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err("interrupted".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Reply times from `ping -D` lines: `[1732615780.123456] 64 bytes from ...`.
pub fn ping_replies(text: &str) -> Vec<f64> {
    text.lines()
        .filter(|line| line.contains("bytes from"))
        .filter_map(|line| {
            line.strip_prefix('[')
                .and_then(|rest| rest.split(']').next())
                .and_then(|stamp| stamp.parse().ok())
        })
        .collect()
}

/// (time, source) of every captured advert, from `tcpdump -tt -n -r`.
pub fn parse_adverts(text: &str) -> Vec<(f64, String)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let time = words.next()?.parse().ok()?;
            let _ip = words.next().filter(|w| *w == "IP")?;
            let source = words.next()?.to_string();
            Some((time, source))
        })
        .collect()
}

fn adverts(file: &Path) -> Vec<(f64, String)> {
    Command::new("tcpdump")
        .arg("-r")
        .arg(file)
        .args(["-tt", "-n"])
        .stderr(Stdio::null())
        .output()
        .map(|out| parse_adverts(&String::from_utf8_lossy(&out.stdout)))
        .unwrap_or_default()
}

fn print_timeline(dir: &Path, killed_at: f64, replies: &[f64], adverts: &[(f64, String)]) {
    println!("\nfailover timeline (seconds relative to the SIGKILL of r0):");
    let mut lines: Vec<(f64, String)> = Vec::new();
    for index in 0..2 {
        let events =
            std::fs::read_to_string(dir.join(format!("events-r{index}.log"))).unwrap_or_default();
        for line in events.lines() {
            if let Some((time, state)) = line.split_once(' ') {
                if let Ok(time) = time.parse::<f64>() {
                    lines.push((time, format!("r{index} became {state}")));
                }
            }
        }
    }
    let last_dead = adverts
        .iter()
        .filter(|(t, s)| s == ADDRESSES[0] && *t <= killed_at)
        .map(|(t, _)| *t)
        .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.max(t))));
    let first_new = adverts
        .iter()
        .find(|(t, s)| s == ADDRESSES[1] && *t > killed_at)
        .map(|(t, _)| *t);
    if let Some(t) = last_dead {
        lines.push((t, "last advert of r0 on the wire".into()));
    }
    if let Some(t) = first_new {
        lines.push((t, "first advert of r1 on the wire".into()));
    }
    lines.push((killed_at, "r0 killed (SIGKILL, cable unplugged)".into()));
    let (gap_start, gap) =
        replies
            .windows(2)
            .map(|w| (w[0], w[1] - w[0]))
            .fold(
                (0.0, 0.0),
                |best, item| if item.1 > best.1 { item } else { best },
            );
    if gap > 0.0 {
        lines.push((gap_start, "last ping reply before the gap".into()));
        lines.push((gap_start + gap, "first ping reply after the gap".into()));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (time, text) in &lines {
        println!("  {:+8.3} s  {text}", time - killed_at);
    }
    // RFC 5798 §6.1: Skew_Time = (256 − Priority) × Master_Adver_Interval / 256.
    let bound =
        3.0 * ADVERT_INTERVAL + (256.0 - f64::from(PRIORITIES[1])) * ADVERT_INTERVAL / 256.0;
    println!(
        "\nping: {} replies, longest gap {:.3} s",
        replies.len(),
        gap
    );
    match (last_dead, first_new) {
        (Some(last), Some(first)) => println!(
            "failover: {:.3} s from r0's last advert to r1's first; bound 3 × advert_int + skew = {bound:.3} s; ratio {:.4}",
            first - last,
            (first - last) / bound
        ),
        _ => println!("failover: adverts not found in the capture"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: ping -D output with a timeout line in between.
    // Output: the reply times only.
    #[test]
    fn ping_reply_times_are_read_from_ping_d() {
        let text = "PING 10.77.0.100 (10.77.0.100) 56(84) bytes of data.\n\
                    [1700000000.100000] 64 bytes from 10.77.0.100: icmp_seq=1 ttl=64 time=0.05 ms\n\
                    [1700000000.200000] no answer yet for icmp_seq=2\n\
                    [1700000003.900000] 64 bytes from 10.77.0.100: icmp_seq=3 ttl=64 time=0.04 ms\n";
        assert_eq!(ping_replies(text), vec![1700000000.1, 1700000003.9]);
    }

    // Input: tcpdump -tt -n lines for two VRRP adverts.
    // Output: their times and sources.
    #[test]
    fn adverts_are_read_from_tcpdump_text() {
        let text = "1700000000.500000 IP 10.77.0.1 > 224.0.0.18: VRRPv3, Advertisement, vrid 77, prio 150, intvl 100cs, length 12\n\
                    1700000004.100000 IP 10.77.0.2 > 224.0.0.18: VRRPv3, Advertisement, vrid 77, prio 100, intvl 100cs, length 12\n";
        assert_eq!(
            parse_adverts(text),
            vec![
                (1700000000.5, "10.77.0.1".to_string()),
                (1700000004.1, "10.77.0.2".to_string())
            ]
        );
    }
}
