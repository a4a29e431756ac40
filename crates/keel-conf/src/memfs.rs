//! An in-memory machine for tests: [`MemoryFs`] implements [`FileSystem`] and [`FakeHost`]
//! implements [`Host`], so any crate can feed configuration text without touching the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::glob;
use crate::source::{FileInfo, FileSystem, Host};

/// One entry of a [`MemoryFs`].
#[derive(Debug, Clone)]
struct Entry {
    /// `None` for a directory.
    text: Option<String>,
    info: FileInfo,
}

/// An in-memory file system. Paths are normalized lexically (`.` and `..` removed), so
/// `/etc/k/./a.conf` and `/etc/k/sub/../a.conf` name the same file. Parent directories are
/// created implicitly. A file whose mode has no read bit (`mode & 0o444 == 0`) cannot be
/// read, so tests can model an unreadable include.
#[derive(Debug, Clone, Default)]
pub struct MemoryFs {
    entries: BTreeMap<PathBuf, Entry>,
}

impl MemoryFs {
    /// An empty file system (not even `/`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a regular file with mode `0o644`, owned by root.
    pub fn with_file(mut self, path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        self.add_file(path, text);
        self
    }

    /// Adds (or replaces) a regular file with mode `0o644`, owned by root.
    pub fn add_file(&mut self, path: impl AsRef<Path>, text: impl Into<String>) {
        let path = glob::normalize(path.as_ref());
        self.add_parents(&path);
        let info = FileInfo {
            is_dir: false,
            mode: 0o644,
            uid: 0,
            gid: 0,
        };
        self.entries.insert(
            path,
            Entry {
                text: Some(text.into()),
                info,
            },
        );
    }

    /// Adds a directory with mode `0o755`, owned by root (and its parents).
    pub fn add_dir(&mut self, path: impl AsRef<Path>) {
        let path = glob::normalize(path.as_ref());
        self.add_parents(&path);
        let info = FileInfo {
            is_dir: true,
            mode: 0o755,
            uid: 0,
            gid: 0,
        };
        self.entries
            .entry(path)
            .or_insert(Entry { text: None, info });
    }

    /// Sets the permission bits of an existing entry; false if there is no such entry.
    pub fn set_mode(&mut self, path: impl AsRef<Path>, mode: u32) -> bool {
        match self.entries.get_mut(&glob::normalize(path.as_ref())) {
            Some(entry) => {
                entry.info.mode = mode & 0o7777;
                true
            }
            None => false,
        }
    }

    /// Sets the owner of an existing entry; false if there is no such entry.
    pub fn set_owner(&mut self, path: impl AsRef<Path>, uid: u32, gid: u32) -> bool {
        match self.entries.get_mut(&glob::normalize(path.as_ref())) {
            Some(entry) => {
                entry.info.uid = uid;
                entry.info.gid = gid;
                true
            }
            None => false,
        }
    }

    /// Removes an entry (a directory's children stay).
    pub fn remove(&mut self, path: impl AsRef<Path>) {
        self.entries.remove(&glob::normalize(path.as_ref()));
    }

    fn add_parents(&mut self, path: &Path) {
        let mut parent = path.parent();
        while let Some(dir) = parent {
            if dir.as_os_str().is_empty() {
                break;
            }
            let info = FileInfo {
                is_dir: true,
                mode: 0o755,
                uid: 0,
                gid: 0,
            };
            self.entries
                .entry(dir.to_path_buf())
                .or_insert(Entry { text: None, info });
            parent = dir.parent();
        }
    }
}

impl FileSystem for MemoryFs {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        match self.entries.get(&glob::normalize(path)) {
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "No such file or directory",
            )),
            Some(Entry { text: None, .. }) => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "Is a directory",
            )),
            Some(Entry { info, .. }) if info.mode & 0o444 == 0 => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "Permission denied",
            )),
            Some(Entry {
                text: Some(text), ..
            }) => Ok(text.clone()),
        }
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        if !glob::has_wildcard(pattern) {
            let path = glob::normalize(Path::new(pattern));
            return if self.entries.contains_key(&path) {
                vec![path]
            } else {
                Vec::new()
            };
        }
        glob::select(pattern, self.entries.keys().map(PathBuf::as_path))
    }

    fn info(&self, path: &Path) -> Option<FileInfo> {
        self.entries
            .get(&glob::normalize(path))
            .map(|entry| entry.info)
    }
}

/// A machine description for tests: which interfaces, users and groups exist, and the
/// environment. Starts empty; add what a scenario needs.
#[derive(Debug, Clone, Default)]
pub struct FakeHost {
    interfaces: BTreeSet<String>,
    users: BTreeMap<String, (u32, u32)>,
    groups: BTreeMap<String, u32>,
    env: BTreeMap<String, String>,
    path_dirs: Vec<PathBuf>,
}

impl FakeHost {
    /// A host with no interfaces, users, groups, environment or `PATH`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a network interface.
    pub fn with_interface(mut self, name: impl Into<String>) -> Self {
        self.interfaces.insert(name.into());
        self
    }

    /// Adds a user with its uid and primary gid.
    pub fn with_user(mut self, name: impl Into<String>, uid: u32, gid: u32) -> Self {
        self.users.insert(name.into(), (uid, gid));
        self
    }

    /// Adds a group.
    pub fn with_group(mut self, name: impl Into<String>, gid: u32) -> Self {
        self.groups.insert(name.into(), gid);
        self
    }

    /// Sets an environment variable.
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Appends a `PATH` directory.
    pub fn with_path_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.path_dirs.push(dir.into());
        self
    }
}

impl Host for FakeHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.interfaces.contains(name)
    }

    fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.get(name).copied()
    }

    fn group(&self, name: &str) -> Option<u32> {
        self.groups.get(name).copied()
    }

    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn path_dirs(&self) -> Vec<PathBuf> {
        self.path_dirs.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_dirs_modes_and_globs() {
        // Input: two includes in a conf.d directory, one unreadable, and a host description.
        let mut fs = MemoryFs::new()
            .with_file("/etc/keepalived/conf.d/b.conf", "b")
            .with_file("/etc/keepalived/conf.d/a.conf", "a");
        assert!(fs.set_mode("/etc/keepalived/conf.d/b.conf", 0o200));
        // Output: reads through normalized paths, sorted globs, modes and directories.
        assert_eq!(
            fs.read_to_string(Path::new("/etc/keepalived/./conf.d/a.conf"))
                .unwrap(),
            "a"
        );
        assert_eq!(
            fs.read_to_string(Path::new("/etc/keepalived/conf.d/b.conf"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::PermissionDenied
        );
        assert_eq!(
            fs.glob("/etc/keepalived/conf.d/*.conf"),
            vec![
                PathBuf::from("/etc/keepalived/conf.d/a.conf"),
                PathBuf::from("/etc/keepalived/conf.d/b.conf"),
            ]
        );
        assert_eq!(
            fs.glob("/etc/keepalived/conf.d/c.conf"),
            Vec::<PathBuf>::new()
        );
        assert!(fs.info(Path::new("/etc/keepalived/conf.d")).unwrap().is_dir);
        assert!(fs.set_owner("/etc/keepalived/conf.d/a.conf", 1000, 100));
        assert_eq!(
            fs.info(Path::new("/etc/keepalived/conf.d/a.conf"))
                .unwrap()
                .uid,
            1000
        );

        let host = FakeHost::new()
            .with_interface("eth0")
            .with_user("keepalived_script", 998, 998)
            .with_group("keepalived_script", 998)
            .with_env("HOME", "/root")
            .with_path_dir("/usr/bin");
        assert!(host.interface_exists("eth0") && !host.interface_exists("eth1"));
        assert_eq!(host.user("keepalived_script"), Some((998, 998)));
        assert_eq!(host.group("keepalived_script"), Some(998));
        assert_eq!(host.env("HOME").as_deref(), Some("/root"));
        assert_eq!(host.path_dirs(), vec![PathBuf::from("/usr/bin")]);
    }
}
