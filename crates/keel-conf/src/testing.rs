//! Test helpers: a tiny tokenizer and fake machine, so parser tests do not depend on the
//! preprocessor. Whitespace splits words, `"..."` is one token, `{`/`}` stand alone and
//! `#`/`!` start a comment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::source::{FileId, FileInfo, FileSystem, Host, Span};
use crate::token::{Line, Token, TokenKind};

/// Splits `text` into logical lines of file 0.
pub fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let chars: Vec<char> = raw.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let col = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let span = |len: usize| Span {
                file: FileId(0),
                line,
                col,
                len: u32::try_from(len).unwrap_or(u32::MAX),
            };
            if c.is_whitespace() {
                i += 1;
            } else if c == '#' || c == '!' {
                break;
            } else if c == '{' || c == '}' {
                let kind = if c == '{' {
                    TokenKind::Open
                } else {
                    TokenKind::Close
                };
                tokens.push(Token {
                    kind,
                    text: c.to_string(),
                    span: span(1),
                });
                i += 1;
            } else if c == '"' {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .map_or(chars.len(), |p| i + 1 + p);
                let text: String = chars[i + 1..end].iter().collect();
                tokens.push(Token {
                    kind: TokenKind::Quoted,
                    text,
                    span: span(end + 1 - i),
                });
                i = end + 1;
            } else {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c.is_whitespace() || matches!(c, '{' | '}' | '"' | '#' | '!'))
                    .map_or(chars.len(), |p| i + p);
                let text: String = chars[i..end].iter().collect();
                tokens.push(Token {
                    kind: TokenKind::Word,
                    text,
                    span: span(end - i),
                });
                i = end;
            }
        }
        if !tokens.is_empty() {
            out.push(Line { tokens });
        }
    }
    out
}

/// A machine with some interfaces, users, groups and files.
#[derive(Debug, Default, Clone)]
pub struct Fake {
    pub interfaces: BTreeSet<String>,
    pub users: BTreeMap<String, (u32, u32)>,
    pub groups: BTreeMap<String, u32>,
    pub files: BTreeMap<PathBuf, FileInfo>,
}

impl Fake {
    /// Interfaces `eth0..eth12` and `br0`, user and group `root` only: the corpus machine.
    pub fn corpus() -> Self {
        let mut fake = Fake::default();
        for i in 0..=12 {
            fake.interfaces.insert(format!("eth{i}"));
        }
        fake.interfaces.insert("br0".into());
        fake.interfaces.insert("lo".into());
        fake.users.insert("root".into(), (0, 0));
        fake.groups.insert("root".into(), 0);
        fake
    }

    /// Adds a root-owned file (and its directories) with `mode`.
    pub fn with_file(mut self, path: &str, mode: u32) -> Self {
        let path = PathBuf::from(path);
        for dir in path.ancestors().skip(1) {
            self.files.entry(dir.to_path_buf()).or_insert(FileInfo {
                is_dir: true,
                mode: 0o755,
                uid: 0,
                gid: 0,
            });
        }
        self.files.insert(
            path,
            FileInfo {
                is_dir: false,
                mode,
                uid: 0,
                gid: 0,
            },
        );
        self
    }
}

impl FileSystem for Fake {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            path.display().to_string(),
        ))
    }
    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let path = PathBuf::from(pattern);
        if self.files.contains_key(&path) {
            vec![path]
        } else {
            Vec::new()
        }
    }
    fn info(&self, path: &Path) -> Option<FileInfo> {
        self.files.get(path).copied()
    }
}

impl Host for Fake {
    fn interface_exists(&self, name: &str) -> bool {
        self.interfaces.contains(name)
    }
    fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.get(name).copied()
    }
    fn group(&self, name: &str) -> Option<u32> {
        self.groups.get(name).copied()
    }
    fn env(&self, _name: &str) -> Option<String> {
        None
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        vec![
            PathBuf::from("/usr/sbin"),
            PathBuf::from("/usr/bin"),
            PathBuf::from("/bin"),
        ]
    }
}

/// The corpus machine for `keepalived -t` comparisons: interfaces `eth0..eth12`, `br0`
/// and `lo`, only root, and this machine's real files (script checks).
pub struct CorpusHost {
    fake: Fake,
}

impl CorpusHost {
    pub fn new() -> Self {
        CorpusHost {
            fake: Fake::corpus(),
        }
    }
}

impl FileSystem for CorpusHost {
    #[allow(clippy::disallowed_methods)] // test-only adapter over the real corpus files
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        // keepalived reads bytes; a stray non-UTF-8 byte must not hide the file.
        std::fs::read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }
    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let path = PathBuf::from(pattern);
        if path.exists() {
            vec![path]
        } else {
            Vec::new()
        }
    }
    fn info(&self, path: &Path) -> Option<FileInfo> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileInfo {
            is_dir: meta.is_dir(),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        })
    }
}

impl Host for CorpusHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.fake.interface_exists(name)
    }
    fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.fake.user(name)
    }
    fn group(&self, name: &str) -> Option<u32> {
        self.fake.group(name)
    }
    fn env(&self, _name: &str) -> Option<String> {
        None
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        [
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect()
    }
}

/// `<repo>/../shared/corpus`; from a git worktree nested one level deeper, the nearest
/// ancestor's `shared/corpus`.
pub fn corpus_dir() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    repo.ancestors()
        .skip(1)
        .map(|dir| dir.join("shared/corpus"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| repo.join("../shared/corpus"))
}
