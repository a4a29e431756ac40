//! The shared corpus of real keepalived.conf files (`<repo>/../shared/corpus`), read from
//! disk through a small real-file-system helper, checked against keepalived 2.2.7's verdicts.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::*;
use crate::glob;
use crate::memfs::FakeHost;

/// The real file system, for reading the corpus in tests only.
struct RealFs;

impl FileSystem for RealFs {
    // Tests may read the shared corpus from disk; the crate itself never does.
    #[allow(clippy::disallowed_methods)]
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        std::fs::read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let pattern = glob::normalize(Path::new(pattern));
        let mut current = vec![PathBuf::new()];
        for component in pattern.components() {
            let part = component.as_os_str().to_string_lossy().into_owned();
            let mut next = Vec::new();
            for dir in &current {
                if glob::has_wildcard(&part) {
                    let listed = if dir.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        dir.as_path()
                    };
                    let Ok(entries) = std::fs::read_dir(listed) else {
                        continue;
                    };
                    for entry in entries.flatten() {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        if glob::matches(&part, &name) {
                            next.push(dir.join(name));
                        }
                    }
                } else {
                    next.push(dir.join(&part));
                }
            }
            current = next;
        }
        let mut found: Vec<PathBuf> = current.into_iter().filter(|p| p.exists()).collect();
        found.sort();
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

use crate::source::FileInfo;

/// `<repo>/../shared/corpus`, looked up from the crate upwards so that it is also found
/// from a worktree nested one level deeper than the repository.
fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/corpus"))
        .find(|dir| dir.join("keepalived-2.2.7-verdicts.txt").exists())
        .expect("the shared corpus at <repo>/../shared/corpus")
}

fn verdicts() -> BTreeMap<String, i32> {
    let text = RealFs
        .read_to_string(&corpus_dir().join("keepalived-2.2.7-verdicts.txt"))
        .expect("corpus verdicts");
    text.lines()
        .filter_map(|line| {
            let (name, code) = line.split_once(' ')?;
            Some((name.to_string(), code.trim().parse().ok()?))
        })
        .collect()
}

fn preprocess_corpus_file(name: &str) -> Preprocessed {
    let path = corpus_dir().join("keepalived-configs").join(name);
    let options = PreprocessOptions {
        config_id: "keel".into(),
        random_seed: 1,
        ..PreprocessOptions::default()
    };
    preprocess(&RealFs, &FakeHost::new(), &path, &options)
}

fn assert_spans_inside_files(out: &Preprocessed) {
    for line in &out.lines {
        for token in &line.tokens {
            let file = out
                .sources
                .file(token.span.file)
                .expect("span names a read file");
            let text = file.line(token.span.line).expect("span line exists");
            let width = u32::try_from(text.chars().count()).unwrap();
            assert!(
                token.span.col >= 1 && token.span.col + token.span.len <= width + 1,
                "{token:?} outside {text:?}"
            );
        }
    }
}

#[test]
fn every_corpus_file_preprocesses_without_panic_and_accepted_files_cleanly() {
    // Input: all 326 corpus files. Output: spans always inside their file, each file fast,
    // and no counted diagnostic for any file keepalived 2.2.7 accepted (exit 0).
    let verdicts = verdicts();
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir().join("keepalived-configs"))
        .expect("corpus directory")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".conf"))
        .collect();
    names.sort();
    assert!(names.len() > 300);
    let mut accepted = 0;
    for name in &names {
        let verdict = verdicts.get(name).copied();
        let out = preprocess_corpus_file(name);
        assert!(out.sources.file(FileId(0)).is_some(), "{name}: not read");
        assert_spans_inside_files(&out);
        if verdict == Some(0) {
            accepted += 1;
            let counted: Vec<&Diagnostic> = out
                .diagnostics
                .iter()
                .filter(|d| d.class != Class::Info)
                .collect();
            assert!(
                counted.is_empty(),
                "{name}: keepalived accepts it, but {counted:?}"
            );
        }
    }
    assert!(accepted > 50);
}

#[test]
fn corpus_include_of_a_sibling_file_and_its_globs() {
    // Input: incl.conf includes ./vis.conf, which includes vi/vi*.conf (absent here) and
    // vi24.conf. Output: the vrrp_instance of vis.conf in place, no counted diagnostic.
    let out = preprocess_corpus_file("incl.conf");
    let files: Vec<String> = out
        .sources
        .files()
        .map(|(_, f)| f.path.display().to_string())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("keepalived-configs/vis.conf")),
        "{files:?}"
    );
    assert!(out.diagnostics.iter().all(|d| d.class == Class::Info));
    let keywords: Vec<&str> = out
        .lines
        .iter()
        .map(|l| l.tokens[0].text.as_str())
        .collect();
    assert_eq!(
        keywords.iter().filter(|k| **k == "vrrp_instance").count(),
        1 + usize::from(files.len() > 2)
    );
}

#[test]
fn corpus_seq_inside_definitions_expands_like_keepalived() {
    // Input: 1502a.conf (accepted by keepalived): three virtual servers of 3, 3 and 2 real
    // servers via ~SEQ in a multi-line definition, then IPv6 ones via ~SEQx by 16.
    let out = preprocess_corpus_file("1502a.conf");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let count = |keyword: &str| {
        out.lines
            .iter()
            .filter(|l| l.tokens[0].text == keyword)
            .count()
    };
    assert_eq!(count("virtual_server"), 6);
    // 211..=243 step 16 gives 3, 214..=246 gives 3, 131..=147 gives 2: 8 + 3 + 3 + 2.
    assert_eq!(count("real_server"), 16);
    let first_ipv6 = out
        .lines
        .iter()
        .find(|l| l.tokens[0].text == "real_server" && l.tokens[1].text.contains(':'))
        .unwrap();
    assert_eq!(first_ipv6.tokens[1].text, "10:10:10:d3::1");
}

#[test]
fn corpus_sequences_of_seq_conf() {
    // Input: seq.conf: ~SEQ(ID,1,4) over a definition that expands a two-block definition.
    let out = preprocess_corpus_file("seq.conf");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let names: Vec<&str> = out
        .lines
        .iter()
        .filter(|l| l.tokens[0].text == "vrrp_instance")
        .map(|l| l.tokens[1].text.as_str())
        .collect();
    assert_eq!(names, vec!["4.1.1.1", "4.1.1.2", "4.1.1.3", "4.1.1.4"]);
}
