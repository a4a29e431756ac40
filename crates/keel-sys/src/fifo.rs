//! `notify_fifo` / `vrrp_notify_fifo` / `lvs_notify_fifo`: state lines written to a FIFO.
//!
//! spec §3.8: keepalived creates the FIFO if it is absent and opens it read-write, so a
//! write never fails or blocks for want of a reader; lines are written in event order
//! (scripts may run concurrently, the FIFO keeps the order). Here the descriptor is also
//! non-blocking, so a FIFO whose reader stopped draining it costs an error value once the
//! pipe buffer (64 KiB) is full, never a stuck daemon.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The mode of a FIFO created by [`NotifyFifo::open`]: owner read/write, group read.
const FIFO_MODE: libc::mode_t = 0o640;

/// An open notify FIFO.
#[derive(Debug)]
pub struct NotifyFifo {
    file: File,
    path: PathBuf,
}

impl NotifyFifo {
    /// Opens `path` read-write and non-blocking, creating the FIFO if nothing is there.
    /// Fails if `path` exists and is not a FIFO.
    pub fn open(path: &Path) -> Result<NotifyFifo> {
        match std::fs::metadata(path) {
            Ok(metadata) if !metadata.file_type().is_fifo() => {
                return Err(Error::InvalidArgument(format!(
                    "{} exists and is not a FIFO",
                    path.display()
                )));
            }
            Ok(_) => {}
            Err(_) => {
                let c_path = CString::new(path.as_os_str().as_bytes())
                    .map_err(|_| Error::InvalidArgument(format!("{}", path.display())))?;
                // SAFETY: c_path is a valid NUL-terminated path for the call.
                if unsafe { libc::mkfifo(c_path.as_ptr(), FIFO_MODE) } < 0 {
                    return Err(Error::last_os("mkfifo"));
                }
            }
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| Error::io("open FIFO", e))?;
        Ok(NotifyFifo {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The FIFO's path (passed as last argument to the `*_fifo_script`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line (a newline is added if missing). Lines up to 4096 bytes are written
    /// whole or not at all (POSIX `PIPE_BUF`); a full pipe is an error, not a wait.
    pub fn write_line(&mut self, line: &str) -> Result<()> {
        let mut text = line.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .map_err(|e| Error::io("write FIFO", e))
    }
}

/// A VRRP instance line: `INSTANCE "VI_1" MASTER 100` (spec §3.8).
pub fn instance_line(instance: &str, state: &str, priority: u8) -> String {
    format!("INSTANCE \"{instance}\" {state} {priority}\n")
}

/// A sync group line: `GROUP "G" BACKUP 0` (groups report priority 0, spec §3.8).
pub fn group_line(group: &str, state: &str) -> String {
    format!("GROUP \"{group}\" {state} 0\n")
}
