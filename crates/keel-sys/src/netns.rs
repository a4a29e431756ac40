//! `net_namespace NAME` / `-s NAME` (spec §1.3, §1.4): running inside a named network
//! namespace, the one `ip netns add NAME` creates under `/run/netns`.
//!
//! As keepalived does, the process joins the namespace (`setns`) and, in a private mount
//! namespace of its own, bind-mounts `/run/keepalived/NAME` on `/run/keepalived`, so that
//! daemons in different namespaces keep their pid files apart while each writes the names
//! keepalived writes.

use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where `ip netns add` leaves its namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// Joins the network namespace `name` (`/run/netns/NAME`). Call before opening any socket;
/// threads started afterwards and child processes inherit it.
pub fn enter(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') {
        return Err(Error::InvalidArgument(format!(
            "network namespace name {name:?}"
        )));
    }
    let path = Path::new(NETNS_DIR).join(name);
    let file = std::fs::File::open(&path).map_err(|e| Error::io("open network namespace", e))?;
    // SAFETY: the descriptor is open for the call; setns only changes this thread's
    // namespace (the caller is single-threaded at start-up).
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(Error::last_os("setns"));
    }
    Ok(())
}

/// The private `/run/keepalived` of a daemon in namespace `name`; undone on drop.
#[derive(Debug)]
pub struct PrivateRunDir {
    mount_point: PathBuf,
    source: PathBuf,
}

impl PrivateRunDir {
    /// Moves this process into a mount namespace of its own (not propagating back) and
    /// mounts `RUN/keepalived/NAME` on `RUN/keepalived`, creating both directories.
    pub fn mount(run_dir: &Path, name: &str) -> Result<PrivateRunDir> {
        let mount_point = run_dir.join("keepalived");
        let source = mount_point.join(name);
        std::fs::create_dir_all(&source).map_err(|e| Error::io("create run directory", e))?;
        // Searchable whatever the umask (0177 by default), like keepalived's.
        for dir in [&mount_point, &source] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::io("chmod run directory", e))?;
        }
        // SAFETY: unshare takes no pointers; it affects only this process.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            return Err(Error::last_os("unshare mount namespace"));
        }
        // systemd makes mounts shared; a slave mount keeps ours from leaking back.
        mount(None, Path::new("/"), libc::MS_REC | libc::MS_SLAVE)?;
        mount(Some(&source), &mount_point, libc::MS_BIND)?;
        Ok(PrivateRunDir {
            mount_point,
            source,
        })
    }
}

impl Drop for PrivateRunDir {
    fn drop(&mut self) {
        let Ok(target) = c_path(&self.mount_point) else {
            return;
        };
        // SAFETY: target is a valid NUL-terminated path.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        // Only an empty directory goes, as keepalived leaves a non-empty one.
        let _ = std::fs::remove_dir(&self.source);
    }
}

fn c_path(path: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::InvalidArgument(format!("{}", path.display())))
}

fn mount(source: Option<&Path>, target: &Path, flags: libc::c_ulong) -> Result<()> {
    let source = source.map(c_path).transpose()?;
    let target = c_path(target)?;
    let none = c"";
    // SAFETY: every pointer is a valid NUL-terminated string for the call, or null for the
    // file system type, which a bind or propagation change does not use.
    let status = unsafe {
        libc::mount(
            source.as_deref().unwrap_or(none).as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    if status != 0 {
        return Err(Error::last_os("mount"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: names that are not a namespace's file name. Output: an error, no syscall.
    #[test]
    fn bad_names_are_refused() {
        for name in ["", "../etc", "a/b"] {
            assert!(
                matches!(enter(name), Err(Error::InvalidArgument(_))),
                "{name}"
            );
        }
    }
}
