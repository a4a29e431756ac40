//! The real machine behind keel-conf's `FileSystem` and `Host` traits.
//!
//! keel-conf never touches the machine itself; `keel -t` and the daemon hand it these two
//! adapters. Interfaces are looked up in the current network namespace (so `ip netns exec`
//! and `-s` see the namespace's interfaces), users and groups through the C library (so
//! NSS sources such as LDAP count, as they do for keepalived).

use std::ffi::{CStr, CString};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use keel_conf::source::{FileInfo, FileSystem, Host};

/// The search path glibc uses when `PATH` is unset (`confstr(_CS_PATH)`).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// The file system, through `std::fs` and the `glob` crate.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl FileSystem for RealFs {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        // keepalived reads bytes; a stray Latin-1 byte in a comment must not make the whole
        // file unreadable.
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()))
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        if !pattern.contains(['*', '?', '[']) {
            let path = PathBuf::from(pattern);
            return if std::fs::symlink_metadata(&path).is_ok() {
                vec![path]
            } else {
                Vec::new()
            };
        }
        // glob(3) as keepalived calls it: `*` does not cross `/` and does not match a leading
        // dot; results sorted by byte order.
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let Ok(paths) = glob::glob_with(pattern, options) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
        found.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        found
    }

    fn info(&self, path: &Path) -> Option<FileInfo> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileInfo {
            is_dir: metadata.is_dir(),
            mode: metadata.permissions().mode() & 0o7777,
            uid: metadata.uid(),
            gid: metadata.gid(),
        })
    }
}

/// The machine keel runs on: its interfaces, users, groups and environment.
///
/// Answers about interfaces, users and groups are remembered: a configuration asks about
/// the same interface for every instance and the same script user for every script, and
/// each NSS lookup of a user reads several files. Make one per configuration load, so a
/// reload sees interfaces and users that appeared since.
#[derive(Debug, Default)]
pub struct RealHost {
    interfaces: Memo<bool>,
    users: Memo<Option<(u32, u32)>>,
    groups: Memo<Option<u32>>,
}

/// Answers by name, filled on first use.
type Memo<T> = std::sync::Mutex<std::collections::HashMap<String, T>>;

/// The remembered answer for `name`, or `lookup`'s (then remembered).
fn memo<T: Copy>(memo: &Memo<T>, name: &str, lookup: impl FnOnce(&str) -> T) -> T {
    // A poisoned lock only means another lookup panicked; its map is still consistent.
    let mut map = memo
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&answer) = map.get(name) {
        return answer;
    }
    let answer = lookup(name);
    map.insert(name.to_owned(), answer);
    answer
}

impl Host for RealHost {
    fn interface_exists(&self, name: &str) -> bool {
        memo(&self.interfaces, name, interface_exists)
    }

    fn user(&self, name: &str) -> Option<(u32, u32)> {
        memo(&self.users, name, user)
    }

    fn group(&self, name: &str) -> Option<u32> {
        memo(&self.groups, name, group)
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn path_dirs(&self) -> Vec<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
        std::env::split_paths(&path).collect()
    }
}

/// `if_nametoindex(3)` in the current network namespace.
fn interface_exists(name: &str) -> bool {
    // IFNAMSIZ is 16 including the terminating NUL.
    if name.is_empty() || name.len() >= 16 {
        return false;
    }
    let Ok(name) = CString::new(name) else {
        return false;
    };
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::if_nametoindex(name.as_ptr()) != 0 }
}

/// The password database's uid and primary gid of `name` (nix's `getpwnam_r`).
fn user(name: &str) -> Option<(u32, u32)> {
    let user = nix::unistd::User::from_name(name).ok()??;
    Some((user.uid.as_raw(), user.gid.as_raw()))
}

/// The group database's gid of `name` (nix's `getgrnam_r`).
fn group(name: &str) -> Option<u32> {
    Some(nix::unistd::Group::from_name(name).ok()??.gid.as_raw())
}

/// The host name up to its first dot: keepalived's default `-i` config id (spec §2.1).
pub fn default_config_id() -> String {
    node_name()
        .map(|name| short_host_name(&name).to_string())
        .unwrap_or_default()
}

/// A seed for `${_RANDOM}`: keepalived seeds from the clock unless `random_seed` is set.
pub fn random_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    // Only the low bits vary between runs; fold the pid in so two keels started in the
    // same nanosecond differ.
    (now as u64) ^ (u64::from(std::process::id()) << 32)
}

/// `uname -srv`, for the version banner.
pub fn system_description() -> Option<String> {
    let names = uname()?;
    Some(format!(
        "{} {} {}",
        names.sysname, names.release, names.version
    ))
}

/// The part of a node name before the first dot.
fn short_host_name(node_name: &str) -> &str {
    node_name.split('.').next().unwrap_or(node_name)
}

fn node_name() -> Option<String> {
    uname().map(|names| names.nodename)
}

struct Uname {
    sysname: String,
    nodename: String,
    release: String,
    version: String,
}

fn uname() -> Option<Uname> {
    // SAFETY: an all-zero utsname is a valid buffer for uname to fill.
    let mut names: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `names` is a valid, writable utsname.
    if unsafe { libc::uname(&mut names) } != 0 {
        return None;
    }
    let field = |chars: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates every field within its array.
        unsafe { CStr::from_ptr(chars.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    Some(Uname {
        sysname: field(&names.sysname),
        nodename: field(&names.nodename),
        release: field(&names.release),
        version: field(&names.version),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Self {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "keel-host-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("the temp dir is writable");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn glob_is_sorted_skips_dot_files_and_does_not_cross_directories() {
        // Input: b.conf, a.conf, .hidden.conf, sub/c.conf; pattern DIR/*.conf.
        // Output: a.conf, b.conf — as glob(3) gives keepalived.
        let scratch = Scratch::new();
        for name in ["b.conf", "a.conf", ".hidden.conf", "notes.txt"] {
            std::fs::write(scratch.0.join(name), "").expect("write");
        }
        std::fs::create_dir(scratch.0.join("sub")).expect("mkdir");
        std::fs::write(scratch.0.join("sub/c.conf"), "").expect("write");
        let pattern = format!("{}/*.conf", scratch.0.display());
        assert_eq!(
            RealFs.glob(&pattern),
            vec![scratch.0.join("a.conf"), scratch.0.join("b.conf")]
        );
        // A plain path yields itself only if it exists.
        let plain = scratch.0.join("a.conf");
        assert_eq!(RealFs.glob(&plain.to_string_lossy()), vec![plain]);
        assert!(
            RealFs
                .glob(&format!("{}/missing.conf", scratch.0.display()))
                .is_empty()
        );
    }

    #[test]
    fn info_reports_mode_owner_and_kind() {
        let scratch = Scratch::new();
        let file = scratch.0.join("notify.sh");
        std::fs::write(&file, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4755)).expect("chmod");
        let info = RealFs.info(&file).expect("the file exists");
        assert_eq!(info.mode, 0o4755);
        assert!(!info.is_dir);
        // SAFETY: geteuid has no preconditions.
        assert_eq!(info.uid, unsafe { libc::geteuid() });
        assert!(RealFs.info(&scratch.0).expect("the dir exists").is_dir);
        assert_eq!(RealFs.info(&scratch.0.join("missing")), None);
    }

    #[test]
    fn non_utf8_bytes_do_not_make_a_file_unreadable() {
        let scratch = Scratch::new();
        let file = scratch.0.join("latin1.conf");
        std::fs::write(&file, b"! caf\xe9\nglobal_defs {\n}\n").expect("write");
        let text = RealFs.read_to_string(&file).expect("readable");
        assert!(text.ends_with("global_defs {\n}\n"));
    }

    #[test]
    fn host_sees_loopback_root_and_environment() {
        // Input: the machine keel runs on. Output: `lo` exists, root is uid 0, PATH splits.
        let host = RealHost::default();
        assert!(host.interface_exists("lo"));
        assert!(!host.interface_exists("no-such-if0"));
        assert!(!host.interface_exists("a/b"));
        assert!(!host.interface_exists("an-interface-name-too-long"));
        assert_eq!(host.user("root"), Some((0, 0)));
        assert_eq!(host.user("no_such_user_keel"), None);
        assert_eq!(host.group("root"), Some(0));
        assert_eq!(host.group("no_such_group_keel"), None);
        assert_eq!(host.env("PATH").is_some(), !host.path_dirs().is_empty());
    }

    #[test]
    fn each_name_is_looked_up_once_per_host() {
        // Input: the same user, group and interface asked about three times (as for three
        // scripts and three instances). Output: the same answers, one NSS lookup each.
        let host = RealHost::default();
        for _ in 0..3 {
            assert_eq!(host.user("root"), Some((0, 0)));
            assert_eq!(host.user("no_such_user_keel"), None);
            assert_eq!(host.group("root"), Some(0));
            assert!(host.interface_exists("lo"));
        }
        assert_eq!(host.users.lock().map_or(0, |map| map.len()), 2);
        assert_eq!(host.groups.lock().map_or(0, |map| map.len()), 1);
        assert_eq!(host.interfaces.lock().map_or(0, |map| map.len()), 1);
    }

    #[test]
    fn config_id_is_the_host_name_before_the_first_dot() {
        assert_eq!(short_host_name("lb1.example.com"), "lb1");
        assert_eq!(short_host_name("lb1"), "lb1");
        assert!(!default_config_id().contains('.'));
    }
}
