//! Source files, positions, and the traits through which the front end sees the machine.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct FileId(pub u32);

/// A position in a source file: 1-based line and column (in characters), and a length in
/// characters (0 for a point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
    /// Length in characters; 0 marks a point.
    pub len: u32,
}

/// One file that was read, kept so diagnostics can show its lines.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as keepalived would print it (as given, or resolved against the includer).
    pub path: PathBuf,
    /// The whole text.
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps a file's text.
    pub fn new(path: PathBuf, text: String) -> Self {
        // A 60,000-line configuration is indexed once per load: memchr finds the newlines
        // many bytes at a time, and the estimate of ~24 bytes a line avoids regrowing.
        let mut line_starts = Vec::with_capacity(text.len() / 24 + 2);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// How many lines the file has (a last line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of 1-based line `line`, without its newline; `None` past the end.
    pub fn line(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&e| e);
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }
}

/// Every file read while loading a configuration, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(path, text));
        id
    }

    /// The file with this id, if it exists.
    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(usize::try_from(id.0).ok()?)
    }

    /// All files in the order they were read.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

/// What the front end may ask about a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// True for a directory.
    pub is_dir: bool,
    /// Unix permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
}

/// How the front end reads files. The daemon uses the real file system; tests feed text.
pub trait FileSystem {
    /// Reads a whole file as text.
    fn read_to_string(&self, path: &Path) -> std::io::Result<String>;
    /// Paths matching a shell glob pattern (`*`, `?`, `[...]`; no braces), sorted.
    /// A pattern without wildcards yields the path itself only if it exists.
    fn glob(&self, pattern: &str) -> Vec<PathBuf>;
    /// Metadata of a path (following symlinks), or `None` if it does not exist.
    fn info(&self, path: &Path) -> Option<FileInfo>;
}

/// What the front end may ask about the machine, for keepalived's cross-checks
/// (interfaces that do not exist, script users, script security) and predefined
/// definitions (`${_ENV VAR}`).
pub trait Host {
    /// True if a network interface of this name exists.
    fn interface_exists(&self, name: &str) -> bool;
    /// The uid and primary gid of a user, if the user exists.
    fn user(&self, name: &str) -> Option<(u32, u32)>;
    /// The gid of a group, if it exists.
    fn group(&self, name: &str) -> Option<u32>;
    /// An environment variable.
    fn env(&self, name: &str) -> Option<String>;
    /// Directories of `PATH`, for resolving relative script names.
    fn path_dirs(&self) -> Vec<PathBuf>;
}
