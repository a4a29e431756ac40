//! tcpdump captures: start on an interface of a namespace, stop, read back.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::{Netns, TempDir, checked};

/// A running (or stopped) `tcpdump -w` capture. Stop it with [`Capture::stop`] before
/// reading; dropping it stops it and deletes the file.
#[derive(Debug)]
pub struct Capture {
    child: Option<Child>,
    dir: TempDir,
    file: PathBuf,
}

impl Capture {
    /// Starts `tcpdump -i IFACE --immediate-mode -U -w FILE FILTER` in `ns` and returns once
    /// tcpdump listens,
    /// so nothing sent after this call is missed.
    pub fn start(ns: &Netns, iface: &str, filter: &str) -> Capture {
        let dir = TempDir::new("keel-lab-cap");
        let file = dir.path().join("capture.pcap");
        let mut command = ns.command("tcpdump");
        command
            // --immediate-mode: without it libpcap hands packets over in ring blocks with a
            // 1 s timeout, and the packets of the last block before SIGINT are lost.
            .args(["-i", iface, "--immediate-mode", "-U", "-n", "-w"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !filter.is_empty() {
            command.args(filter.split_whitespace());
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tcpdump: {e}"));
        // tcpdump prints "listening on IFACE" to stderr once the capture is armed.
        let stderr = child.stderr.take().expect("stderr was piped above");
        let mut lines = BufReader::new(stderr).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("listening on") => break,
                Some(Ok(_)) => continue,
                _ => {
                    let _ = child.kill();
                    let status = child.wait();
                    panic!("tcpdump did not start on {iface}: {status:?}");
                }
            }
        }
        // Keep draining stderr so tcpdump never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Capture {
            child: Some(child),
            dir,
            file,
        }
    }

    /// Stops the capture (SIGINT, so tcpdump flushes) and waits for tcpdump to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill has no memory-safety preconditions; the pid is our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let _ = child.wait();
        }
    }

    /// The pcap file (complete once stopped).
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// The captured packets as `tcpdump -r FILE -n -tt -e -v` text, one string per line.
    pub fn read_text(&mut self) -> Vec<String> {
        self.stop();
        let out = checked(
            "tcpdump -r",
            Command::new("tcpdump")
                .args(["-r"])
                .arg(&self.file)
                .args(["-n", "-tt", "-e", "-v"])
                .output(),
        );
        out.lines().map(str::to_string).collect()
    }

    /// The captured packets decoded by `tshark -r FILE -V` (full detail), as one text.
    pub fn read_tshark(&mut self) -> String {
        self.stop();
        checked(
            "tshark -r",
            Command::new("tshark")
                .arg("-r")
                .arg(&self.file)
                .arg("-V")
                .output(),
        )
    }

    /// Chosen fields of every captured packet, one row per packet, via `tshark -T fields`
    /// (e.g. `["frame.time_epoch", "ip.src", "vrrp.prio"]` for a failover timeline). A field
    /// a packet lacks is an empty string.
    pub fn read_fields(&mut self, fields: &[&str]) -> Vec<Vec<String>> {
        self.stop();
        let mut command = Command::new("tshark");
        command.arg("-r").arg(&self.file).args(["-T", "fields"]);
        for field in fields {
            command.args(["-e", field]);
        }
        let out = checked("tshark -T fields", command.output());
        out.lines()
            .map(|line| line.split('\t').map(str::to_string).collect())
            .collect()
    }

    /// The directory holding the capture (removed on drop).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
    }
}
