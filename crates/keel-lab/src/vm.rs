//! The IPVS test VM (`tests/vm/run.sh`: Debian's cloud kernel under qemu with a busybox
//! userland; ARCHITECTURE.md, "Test environments"). A payload directory is mounted as
//! `/payload`, its executable `run` script runs, and the console comes back; scripts mark
//! what a test reads with `==SECTION NAME==` … `==END SECTION==` lines.

use std::path::Path;
use std::process::Command;

use crate::TempDir;

/// Runs `script` in the VM with `keel` (the binary under test) as `/payload/keel` and
/// `config` as `/payload/keepalived.conf`; returns the console output.
pub fn run_keel_payload(keel: &Path, config: &str, script: &str) -> Console {
    run_payload(keel, "keel", config, script)
}

/// Runs `script` in the VM with `binary` as `/payload/NAME` (a test binary that runs
/// itself inside, for one) and `config` as `/payload/keepalived.conf`; returns the console
/// output.
pub fn run_payload(binary: &Path, name: &str, config: &str, script: &str) -> Console {
    let payload = TempDir::new("keel-vm");
    std::fs::copy(binary, payload.path().join(name)).expect("binary copied into the payload");
    payload.write("keepalived.conf", config);
    payload.write_executable("run", script);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/keel-lab is two levels below the repository root");
    let output = Command::new(root.join("tests/vm/run.sh"))
        .arg(payload.path())
        .output()
        .expect("tests/vm/run.sh runs (needs qemu-system-x86, busybox-static, cpio, xz-utils)");
    Console(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The VM's console output.
#[derive(Debug, Clone)]
pub struct Console(pub String);

impl Console {
    /// The trimmed text between `==SECTION name==` and the next `==END SECTION==`; panics
    /// with the whole console when the script never printed it.
    pub fn section(&self, name: &str) -> String {
        let begin = format!("==SECTION {name}==");
        self.0
            .split(&begin)
            .nth(1)
            .and_then(|rest| rest.split("==END SECTION==").next())
            .unwrap_or_else(|| panic!("no section {name} in:\n{}", self.0))
            .trim()
            .to_string()
    }
}
