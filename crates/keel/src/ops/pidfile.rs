//! keepalived's pid files (spec §1.3): where they live, refusing to start twice, and removal
//! at exit.
//!
//! keepalived 2.2.7 writes `/run/keepalived.pid` (parent), `/run/vrrp.pid`,
//! `/run/checkers.pid` and `/run/bfd.pid` — the man page's `keepalived_vrrp.pid` names are
//! wrong. `-p`, `-r`, `-c`, `-b` override each path. With `use_pid_dir`, `instance NAME` or a
//! network namespace, the files move to `/run/keepalived/` and carry `_NAME`.

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Write as _};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::cli::PidFiles;

/// The directory keepalived keeps its run-time files in.
pub const RUN_DIR: &str = "/run";

/// Which process a pid file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// The parent (`keepalived.pid`).
    Main,
    /// The VRRP process (`vrrp.pid`).
    Vrrp,
    /// The checker process (`checkers.pid`).
    Checkers,
    /// The BFD process (`bfd.pid`).
    Bfd,
}

impl Process {
    fn stem(self) -> &'static str {
        match self {
            Process::Main => "keepalived",
            Process::Vrrp => "vrrp",
            Process::Checkers => "checkers",
            Process::Bfd => "bfd",
        }
    }
}

/// The settings that decide pid file locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PidLayout {
    /// `-p`, `-r`, `-c`, `-b`.
    pub overrides: PidFiles,
    /// `use_pid_dir`.
    pub use_pid_dir: bool,
    /// `instance NAME`.
    pub instance: Option<String>,
    /// `net_namespace NS` or `-s NS`.
    pub namespace: Option<String>,
}

impl PidLayout {
    /// The pid file of `process` under `run_dir` (normally [`RUN_DIR`]).
    pub fn path(&self, process: Process, run_dir: &Path) -> PathBuf {
        let overridden = match process {
            Process::Main => &self.overrides.main,
            Process::Vrrp => &self.overrides.vrrp,
            Process::Checkers => &self.overrides.checkers,
            Process::Bfd => &self.overrides.bfd,
        };
        if let Some(path) = overridden {
            return path.clone();
        }
        let stem = process.stem();
        if self.use_pid_dir || self.instance.is_some() || self.namespace.is_some() {
            // spec §1.3: a namespace gets its own /run/keepalived through a private mount,
            // so only the instance name goes into the file name.
            let name = match &self.instance {
                Some(instance) => format!("{stem}_{instance}.pid"),
                None => format!("{stem}.pid"),
            };
            run_dir.join("keepalived").join(name)
        } else {
            run_dir.join(format!("{stem}.pid"))
        }
    }
}

/// Why a pid file could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// Another live process holds the file: keepalived refuses to start a second daemon.
    #[error("daemon is already running (pid {pid} in {})", path.display())]
    Running {
        /// The pid file.
        path: PathBuf,
        /// The live process.
        pid: i32,
    },
    /// The file or its directory could not be written.
    #[error("cannot write pid file {}: {source}", path.display())]
    Io {
        /// The pid file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
}

/// A pid file this process holds; removed when dropped (normal exit).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    pid: i32,
}

impl PidFile {
    /// Writes `pid` to `path` (mode 0644 whatever the umask, directory created), unless a live process other
    /// than `pid` is named in an existing file. A file naming a dead process, a zombie or
    /// garbage is stale and taken over. Call it once at start, after daemonizing (the pid
    /// must be the daemon's).
    pub fn acquire(path: &Path, pid: i32) -> Result<PidFile, PidFileError> {
        let io_error = |source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
            && !dir.is_dir()
        {
            fs::create_dir_all(dir).map_err(io_error)?;
            // Searchable whatever the umask, like keepalived's /run/keepalived.
            fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(io_error)?;
        }
        // Two attempts: a stale file is removed once, then O_EXCL decides any race with a
        // second daemon starting at the same moment.
        for _ in 0..2 {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(path)
            {
                Ok(mut file) => {
                    // keepalived's pid files are 0644 whatever the umask (0177 by default).
                    file.set_permissions(fs::Permissions::from_mode(0o644))
                        .map_err(io_error)?;
                    file.write_all(format!("{pid}\n").as_bytes())
                        .map_err(io_error)?;
                    return Ok(PidFile {
                        path: path.to_path_buf(),
                        pid,
                    });
                }
                Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                    if let Some(holder) = read_pid(path).filter(|holder| *holder != pid)
                        && process_alive(holder)
                    {
                        return Err(PidFileError::Running {
                            path: path.to_path_buf(),
                            pid: holder,
                        });
                    }
                    match fs::remove_file(path) {
                        Ok(()) => {}
                        Err(error) if error.kind() == ErrorKind::NotFound => {}
                        Err(error) => return Err(io_error(error)),
                    }
                }
                Err(error) => return Err(io_error(error)),
            }
        }
        Err(io_error(io::Error::new(
            ErrorKind::AlreadyExists,
            "pid file reappeared while taking it over",
        )))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pid written.
    pub fn pid(&self) -> i32 {
        self.pid
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Only remove the file if it still names us: a forked child dropping a copy of the
        // parent's guard, or a successor that took over, must keep theirs.
        if read_pid(&self.path) == Some(self.pid) && self.pid == std::process::id() as i32 {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The pid in a pid file (first line, decimal), if it holds one.
pub fn read_pid(path: &Path) -> Option<i32> {
    let text = fs::read_to_string(path).ok()?;
    text.lines()
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|pid| *pid > 0)
}

/// True when `pid` names a live (not zombie) process: keepalived's `kill(pid, 0)` check,
/// plus a look at `/proc` so that an unreaped crashed daemon does not block a restart.
pub fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: no options. Output: keepalived 2.2.7's verified names under /run.
    #[test]
    fn default_paths() {
        let layout = PidLayout::default();
        let run = Path::new(RUN_DIR);
        assert_eq!(
            layout.path(Process::Main, run),
            Path::new("/run/keepalived.pid")
        );
        assert_eq!(layout.path(Process::Vrrp, run), Path::new("/run/vrrp.pid"));
        assert_eq!(
            layout.path(Process::Checkers, run),
            Path::new("/run/checkers.pid")
        );
        assert_eq!(layout.path(Process::Bfd, run), Path::new("/run/bfd.pid"));
    }

    // Input: -r /tmp/v.pid with `instance lb1`. Output: the override wins for VRRP; the
    // others go to /run/keepalived/NAME_lb1.pid.
    #[test]
    fn overrides_and_instance() {
        let layout = PidLayout {
            overrides: PidFiles {
                vrrp: Some(PathBuf::from("/tmp/v.pid")),
                ..PidFiles::default()
            },
            instance: Some("lb1".into()),
            ..PidLayout::default()
        };
        let run = Path::new(RUN_DIR);
        assert_eq!(layout.path(Process::Vrrp, run), Path::new("/tmp/v.pid"));
        assert_eq!(
            layout.path(Process::Main, run),
            Path::new("/run/keepalived/keepalived_lb1.pid")
        );
        assert_eq!(
            layout.path(Process::Checkers, run),
            Path::new("/run/keepalived/checkers_lb1.pid")
        );
    }

    // Input: use_pid_dir alone, and a namespace alone. Output: /run/keepalived/ without suffix.
    #[test]
    fn pid_dir_without_instance() {
        for layout in [
            PidLayout {
                use_pid_dir: true,
                ..PidLayout::default()
            },
            PidLayout {
                namespace: Some("blue".into()),
                ..PidLayout::default()
            },
        ] {
            assert_eq!(
                layout.path(Process::Vrrp, Path::new(RUN_DIR)),
                Path::new("/run/keepalived/vrrp.pid")
            );
        }
    }
}
