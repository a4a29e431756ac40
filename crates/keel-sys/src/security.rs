//! The script path safety check of `enable_script_security` (spec §3.14).
//!
//! A script that runs as root is unsafe when a non-root user could replace it: when the
//! file, or any directory on its path, is owned by a non-root user, or writable by a
//! non-root group, or writable by everyone. A directory with the sticky bit (like `/tmp`)
//! does not count as writable, since others cannot rename or remove root's entries in it.
//! Symbolic links are followed, and the real path is checked as well.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const GROUP_WRITE: u32 = 0o020;
const OTHER_WRITE: u32 = 0o002;
const STICKY: u32 = 0o1000;

/// The verdict on a script path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSafety {
    /// Only root can change the script or any directory leading to it.
    Safe,
    /// `component` (the file or one of its directories) can be changed by a non-root user;
    /// keepalived logs "Unsafe permissions found for script" and, with
    /// `enable_script_security`, disables the script.
    Unsafe {
        /// The first offending path.
        component: PathBuf,
    },
}

/// Checks `script` (an absolute path) and every directory above it.
///
/// Fails when a component cannot be inspected (e.g. the script does not exist), which
/// keepalived also treats as "disable the script".
pub fn check_script_path(script: &Path) -> Result<PathSafety> {
    if !script.is_absolute() {
        return Err(Error::InvalidArgument(format!(
            "script path {} is not absolute",
            script.display()
        )));
    }
    let real = std::fs::canonicalize(script).map_err(|e| Error::io("resolve script path", e))?;
    for path in [script, real.as_path()] {
        for component in path.ancestors() {
            let metadata =
                std::fs::metadata(component).map_err(|e| Error::io("stat script path", e))?;
            if is_unsafe(&metadata) {
                return Ok(PathSafety::Unsafe {
                    component: component.to_path_buf(),
                });
            }
        }
    }
    Ok(PathSafety::Safe)
}

fn is_unsafe(metadata: &std::fs::Metadata) -> bool {
    if metadata.uid() != 0 {
        return true;
    }
    let mode = metadata.mode();
    let sticky_directory = metadata.is_dir() && mode & STICKY != 0;
    if sticky_directory {
        return false;
    }
    (metadata.gid() != 0 && mode & GROUP_WRITE != 0) || mode & OTHER_WRITE != 0
}
