//! `track_file`: an integer in a file, re-read whenever the file is written (inotify).
//!
//! keepalived's rules: the *directory* is watched (`IN_CLOSE_WRITE | IN_DELETE | IN_MOVE`), so
//! a file that is deleted and recreated keeps being tracked. A write or a move into place
//! re-reads the value; a deletion or a move away counts as 0. The content is parsed like C
//! `strtol(buf, NULL, 0)`: leading blanks, a sign, decimal / `0x` hex / leading-`0` octal,
//! trailing text ignored, no digits = 0; a value outside the `int` range is ignored (the
//! previous value stays).

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::sys::register;

/// The inotify events keepalived watches the directory for.
const WATCH_MASK: u32 =
    libc::IN_CLOSE_WRITE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO;

/// Watches one tracked file.
#[derive(Debug)]
pub struct TrackFileWatcher {
    fd: AsyncFd<OwnedFd>,
    path: PathBuf,
    file_name: OsString,
    watch: i32,
    pending: Vec<Option<i32>>,
}

impl TrackFileWatcher {
    /// Starts watching `path` (which may not exist yet; its directory must). Must run in a
    /// tokio runtime.
    pub fn open(path: &Path) -> Result<TrackFileWatcher> {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .ok_or_else(|| Error::InvalidArgument(format!("{} names no file", path.display())))?
            .to_os_string();
        // SAFETY: inotify_init1 takes flags only and returns a new descriptor or -1.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(Error::last_os("inotify_init1"));
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let owned = unsafe { OwnedFd::from_raw_fd(raw) };
        let c_directory = CString::new(directory.as_os_str().as_bytes())
            .map_err(|_| Error::InvalidArgument(format!("{}", directory.display())))?;
        // SAFETY: the path is a valid NUL-terminated string for the call.
        let watch =
            unsafe { libc::inotify_add_watch(owned.as_raw_fd(), c_directory.as_ptr(), WATCH_MASK) };
        if watch < 0 {
            return Err(Error::last_os("inotify_add_watch"));
        }
        Ok(TrackFileWatcher {
            fd: register(owned)?,
            path: path.to_path_buf(),
            file_name,
            watch,
            pending: Vec::new(),
        })
    }

    /// The file's current value (for the initial state): 0 if it does not exist.
    pub fn current(&self) -> Option<i32> {
        read_track_file(&self.path)
    }

    /// Waits until the file changes and returns its new value; `None` means the file now
    /// holds a number outside the `int` range, which keepalived ignores.
    pub async fn changed(&mut self) -> Result<Option<i32>> {
        loop {
            if !self.pending.is_empty() {
                return Ok(self.pending.remove(0));
            }
            let mut buffer = [0u8; 4096];
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(|e| Error::io("poll inotify", e))?;
            let read = guard.try_io(|inner| {
                // SAFETY: `buffer` is a valid writable buffer of the given length.
                let n = unsafe {
                    libc::read(inner.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len())
                };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            let length = match read {
                Ok(result) => result.map_err(|e| Error::io("read inotify", e))?,
                Err(_would_block) => continue,
            };
            self.collect(&buffer[..length]);
        }
    }

    /// Turns raw inotify records into values for our file.
    fn collect(&mut self, records: &[u8]) {
        for change in changes(records, self.watch, &self.file_name) {
            self.pending.push(match change {
                // keepalived: a file that disappeared counts as value 0.
                Change::Removed => Some(0),
                Change::Written => read_track_file(&self.path),
            });
        }
    }
}

/// What an inotify record says happened to the tracked file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Deleted or moved away: the value is 0 now.
    Removed,
    /// Written or moved into place: read it again.
    Written,
}

/// Decodes the `struct inotify_event` records of one `read()` and keeps those about
/// `file_name` in watch `watch`; a truncated record ends the walk.
pub(crate) fn changes(mut records: &[u8], watch: i32, file_name: &OsStr) -> Vec<Change> {
    const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
    let mut found = Vec::new();
    while records.len() >= HEADER {
        // SAFETY: at least HEADER bytes remain; read_unaligned copes with any alignment.
        let event: libc::inotify_event =
            unsafe { std::ptr::read_unaligned(records.as_ptr().cast()) };
        let end = HEADER + event.len as usize;
        let Some(name_bytes) = records.get(HEADER..end) else {
            break;
        };
        let name_length = name_bytes
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(name_bytes.len());
        let name = OsStr::from_bytes(&name_bytes[..name_length]);
        records = &records[end..];
        if event.wd != watch || name != file_name || event.mask & libc::IN_ISDIR != 0 {
            continue;
        }
        if event.mask & (libc::IN_DELETE | libc::IN_MOVED_FROM) != 0 {
            found.push(Change::Removed);
        } else if event.mask & (libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO) != 0 {
            found.push(Change::Written);
        }
    }
    found
}

/// Reads a track file's value: 0 when it is missing, empty or holds no number; `None` when
/// the number does not fit a C `int` (keepalived ignores such a value).
pub fn read_track_file(path: &Path) -> Option<i32> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let head = &bytes[..bytes.len().min(127)];
            parse_track_value(&String::from_utf8_lossy(head))
        }
        Err(_) => Some(0),
    }
}

/// Parses like `strtol(text, NULL, 0)` and checks the `int` range.
pub fn parse_track_value(text: &str) -> Option<i32> {
    let text = text.trim_start();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) =
        if let Some(hex) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            if hex.starts_with(|c: char| c.is_ascii_hexdigit()) {
                (16, hex)
            } else {
                (10, &rest[..1])
            }
        } else if rest.starts_with('0') {
            (8, rest)
        } else {
            (10, rest)
        };
    let length = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if length == 0 {
        return Some(0);
    }
    let magnitude = i128::from_str_radix(&digits[..length], radix).unwrap_or(i128::MAX);
    let value = if negative { -magnitude } else { magnitude };
    i32::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::{Change, changes, parse_track_value};

    fn record(watch: i32, mask: u32, name: &str) -> Vec<u8> {
        let mut padded = name.as_bytes().to_vec();
        padded.resize(name.len().div_ceil(4) * 4 + 4, 0);
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&watch.to_ne_bytes());
        bytes.extend_from_slice(&mask.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes()); // cookie
        bytes.extend_from_slice(&(padded.len() as u32).to_ne_bytes());
        bytes.extend_from_slice(&padded);
        bytes
    }

    #[test]
    fn records_about_the_tracked_file_become_changes() {
        // Input: one read() with a write of our file, a write of another file, a write in
        // another watch, a directory of our name deleted, our file moved away, then a
        // record whose name runs past the end.
        // Output: Written, Removed; the rest is skipped and the truncated record ends it.
        let mut records = record(1, libc::IN_CLOSE_WRITE, "track");
        records.extend(record(1, libc::IN_CLOSE_WRITE, "other"));
        records.extend(record(2, libc::IN_CLOSE_WRITE, "track"));
        records.extend(record(1, libc::IN_DELETE | libc::IN_ISDIR, "track"));
        records.extend(record(1, libc::IN_MOVED_FROM, "track"));
        let mut truncated = record(1, libc::IN_DELETE, "track");
        truncated.truncate(20);
        records.extend(truncated);
        assert_eq!(
            changes(&records, 1, OsStr::new("track")),
            vec![Change::Written, Change::Removed]
        );
        assert!(changes(&records[..10], 1, OsStr::new("track")).is_empty());
    }

    #[test]
    fn values_parse_like_strtol_base_zero() {
        // Input: file contents as operators write them.  Output: keepalived's value.
        for (text, value) in [
            ("5\n", Some(5)),
            ("  -3 ", Some(-3)),
            ("+7", Some(7)),
            ("0x1f", Some(31)),
            ("010", Some(8)),
            ("0", Some(0)),
            ("", Some(0)),
            ("up", Some(0)),
            ("12abc", Some(12)),
            ("0x", Some(0)),
            ("2147483647", Some(i32::MAX)),
            ("-2147483648", Some(i32::MIN)),
            ("2147483648", None),
            ("99999999999999999999999999999999999999999", None),
        ] {
            assert_eq!(parse_track_value(text), value, "{text:?}");
        }
    }
}
