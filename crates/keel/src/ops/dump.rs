//! The three dump files and where they go (spec §1.3, §4.1–§4.3).
//!
//! - SIGUSR1 → `keepalived.data`: sections `------< NAME >------` of ` Key = value` lines.
//! - SIGUSR2 → `keepalived.stats`: per-instance counters.
//! - SIGRTMIN+2 → `keepalived.json`: `json_version 1` (an array of `{data, stats}`) or 2
//!   (`{"vrrp": [...], "track_process": [...]}`), written to a temporary file and renamed.
//!
//! Text is produced from a [`Snapshot`] by pure functions ([`data`], [`json`] and
//! [`stats_text`]); [`write_dump`] is the only I/O.

pub mod data;
pub mod json;

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use keel_conf::model::RawKeyword;

pub use data::data_text;
pub use json::json_text;

use super::insert_before_extension;
use super::snapshot::Snapshot;

/// Which dump a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// SIGUSR1: `keepalived.data`.
    Data,
    /// SIGUSR2 (and SIGRTMAX-1 before zeroing): `keepalived.stats`.
    Stats,
    /// SIGRTMIN+2: `keepalived.json`.
    Json,
}

/// Where the three files are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpPaths {
    /// `keepalived.data`.
    pub data: PathBuf,
    /// `keepalived.stats`.
    pub stats: PathBuf,
    /// `keepalived.json`.
    pub json: PathBuf,
}

impl DumpPaths {
    /// keepalived's locations: `$TMPDIR` when it is an absolute path, else `/tmp`; the
    /// `state_dump_file` / `stats_dump_file` / `json_dump_file` keywords (or the man page's
    /// `state_file_location` / `stats_file_location` / `json_file_location`) replace a
    /// file's path; `data_use_instance` inserts `.NAMESPACE_INSTANCE` (each part only when
    /// set) before the extension (spec §1.3).
    ///
    /// `global_other` is `GlobalDefs::other` (the recorded keywords), `tmpdir` the value of
    /// `$TMPDIR`, `namespace` and `instance` the `net_namespace` and `instance` names.
    pub fn resolve(
        global_other: &[RawKeyword],
        tmpdir: Option<&OsStr>,
        namespace: Option<&str>,
        instance: Option<&str>,
    ) -> DumpPaths {
        let dir = tmpdir
            .map(Path::new)
            .filter(|dir| dir.is_absolute())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let configured = |names: [&str; 2]| {
            global_other
                .iter()
                .rev()
                .find(|keyword| names.contains(&keyword.keyword.as_str()))
                .and_then(|keyword| keyword.args.first())
                .map(PathBuf::from)
        };
        // `data_use_instance [BOOL]`: the keyword alone means true.
        let use_instance = global_other
            .iter()
            .rev()
            .find(|keyword| keyword.keyword == "data_use_instance")
            .is_some_and(|keyword| {
                keyword.args.first().is_none_or(|value| {
                    !matches!(value.to_ascii_lowercase().as_str(), "false" | "no" | "off")
                })
            });
        let suffix = [namespace, instance]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("_");
        let place = |names: [&str; 2], file: &str| {
            let path = configured(names).unwrap_or_else(|| dir.join(file));
            if use_instance && !suffix.is_empty() {
                insert_before_extension(&path, &format!(".{suffix}"))
            } else {
                path
            }
        };
        DumpPaths {
            data: place(
                ["state_dump_file", "state_file_location"],
                "keepalived.data",
            ),
            stats: place(
                ["stats_dump_file", "stats_file_location"],
                "keepalived.stats",
            ),
            json: place(["json_dump_file", "json_file_location"], "keepalived.json"),
        }
    }

    /// The file of one dump.
    pub fn path(&self, kind: DumpKind) -> &Path {
        match kind {
            DumpKind::Data => &self.data,
            DumpKind::Stats => &self.stats,
            DumpKind::Json => &self.json,
        }
    }
}

/// `json_version` from `GlobalDefs::other` (1 unless set to 2).
pub fn json_version(global_other: &[RawKeyword]) -> u8 {
    let version = global_other
        .iter()
        .rev()
        .find(|keyword| keyword.keyword == "json_version")
        .and_then(|keyword| keyword.args.first())
        .map(String::as_str);
    if version == Some("2") { 2 } else { 1 }
}

/// Writes one dump for `snapshot` to its file with mode 0600. The JSON file is written
/// to `NAME.tmp` in the same directory and renamed, so a reader never sees half of it
/// (spec §1.2); the text dumps are rewritten in place as keepalived does.
pub fn write_dump(
    kind: DumpKind,
    snapshot: &Snapshot,
    paths: &DumpPaths,
    json_version: u8,
) -> io::Result<()> {
    let text = match kind {
        DumpKind::Data => data_text(snapshot),
        DumpKind::Stats => stats_text(snapshot),
        DumpKind::Json => json_text(snapshot, json_version),
    };
    let path = paths.path(kind);
    if kind == DumpKind::Json {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        write_private(&temporary, &text)?;
        fs::rename(&temporary, path)
    } else {
        write_private(path, &text)
    }
}

/// `keepalived.stats` (spec §4.2): the counters block of each instance, in order.
pub fn stats_text(snapshot: &Snapshot) -> String {
    snapshot
        .instances
        .iter()
        .map(|instance| instance.stats.keepalived_stats_block(&instance.name))
        .collect()
}

fn write_private(path: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(name: &str, args: &[&str]) -> RawKeyword {
        RawKeyword {
            keyword: name.to_string(),
            args: args.iter().map(|arg| arg.to_string()).collect(),
        }
    }

    // Input: no keywords, TMPDIR unset or relative. Output: keepalived's /tmp files.
    #[test]
    fn default_locations_are_in_tmp() {
        for tmpdir in [None, Some(OsStr::new("relative/dir"))] {
            let paths = DumpPaths::resolve(&[], tmpdir, None, None);
            assert_eq!(paths.data, Path::new("/tmp/keepalived.data"));
            assert_eq!(paths.stats, Path::new("/tmp/keepalived.stats"));
            assert_eq!(paths.json, Path::new("/tmp/keepalived.json"));
        }
    }

    // Input: TMPDIR=/var/tmp/k. Output: the files move there.
    #[test]
    fn absolute_tmpdir_is_used() {
        let paths = DumpPaths::resolve(&[], Some(OsStr::new("/var/tmp/k")), None, None);
        assert_eq!(paths.stats, Path::new("/var/tmp/k/keepalived.stats"));
    }

    // Input: the code's keyword for one file and the man page's for another, plus
    // data_use_instance with a namespace and an instance name.
    // Output: both keywords honoured; `.NS_INSTANCE` inserted before each extension.
    #[test]
    fn keywords_and_data_use_instance() {
        let other = [
            keyword("state_dump_file", &["/var/run/k/state.txt"]),
            keyword("json_file_location", &["/srv/k.json"]),
            keyword("data_use_instance", &[]),
        ];
        let paths = DumpPaths::resolve(&other, None, Some("blue"), Some("lb1"));
        assert_eq!(paths.data, Path::new("/var/run/k/state.blue_lb1.txt"));
        assert_eq!(paths.stats, Path::new("/tmp/keepalived.blue_lb1.stats"));
        assert_eq!(paths.json, Path::new("/srv/k.blue_lb1.json"));
    }

    // Input: `data_use_instance false` with an instance name. Output: plain names.
    #[test]
    fn data_use_instance_false() {
        let other = [keyword("data_use_instance", &["false"])];
        let paths = DumpPaths::resolve(&other, None, None, Some("lb1"));
        assert_eq!(paths.data, Path::new("/tmp/keepalived.data"));
        let other = [keyword("data_use_instance", &["true"])];
        let paths = DumpPaths::resolve(&other, None, None, Some("lb1"));
        assert_eq!(paths.data, Path::new("/tmp/keepalived.lb1.data"));
    }

    // Input: json_version 2, then nothing. Output: 2, then keepalived's default 1.
    #[test]
    fn json_version_keyword() {
        assert_eq!(json_version(&[keyword("json_version", &["2"])]), 2);
        assert_eq!(json_version(&[]), 1);
    }
}
