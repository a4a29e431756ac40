//! The shared corpus's configurations that use `virtual_server`, loaded like `keel -t`
//! loads them (preprocessor, parser, cross-checks), against keepalived 2.2.7's verdicts.

use std::collections::BTreeMap;

use crate::diag::exit_code;
use crate::preprocess::PreprocessOptions;
use crate::source::FileSystem;
use crate::testing::{CorpusHost, corpus_dir};

#[test]
fn corpus_virtual_server_files_agree_with_keepalived() {
    // Input: every corpus file with a `virtual_server`, on the corpus machine (eth0..eth12,
    // br0, root only), with a config id that matches none of the files' `@` lines.
    // Output: no panic, and keel's `-t` exit code equal to keepalived 2.2.7's on (nearly)
    // every file; the disagreements are printed.
    let corpus = corpus_dir();
    let host = CorpusHost::new();
    let verdicts = host
        .read_to_string(&corpus.join("keepalived-2.2.7-verdicts.txt"))
        .expect("verdicts file is readable");
    let expected: BTreeMap<&str, i32> = verdicts
        .lines()
        .filter_map(|l| {
            let (file, code) = l.split_once(' ')?;
            Some((file, code.trim().parse().ok()?))
        })
        .collect();
    let options = PreprocessOptions {
        config_id: "keel".into(),
        random_seed: 1,
        ..PreprocessOptions::default()
    };
    let (mut compared, mut agree) = (0, 0);
    let mut disagreements = Vec::new();
    for (name, want) in expected {
        let path = corpus.join("keepalived-configs").join(name);
        let Ok(text) = host.read_to_string(&path) else {
            continue;
        };
        // keepalived hung (124) or crashed (134) on some files: nothing to compare.
        if !text.contains("virtual_server") || !matches!(want, 0 | 4 | 5 | 6) {
            continue;
        }
        compared += 1;
        let diagnostics = crate::load(&host, &host, &path, &options).diagnostics;
        let got = exit_code(&diagnostics);
        if got == want {
            agree += 1;
        } else {
            let first: Vec<String> = diagnostics
                .iter()
                .filter(|d| d.class.exit_code() > 0)
                .take(3)
                .map(|d| {
                    let line = d.span.map_or(0, |s| s.line);
                    format!("{line}: {}", d.message)
                })
                .collect();
            disagreements.push(format!("{name}: keepalived {want}, keel {got} {first:?}"));
        }
    }
    println!("corpus virtual_server files: {agree}/{compared} agree");
    for d in &disagreements {
        println!("  {d}");
    }
    assert!(compared >= 100, "only {compared} files compared");
    assert!(
        agree * 100 >= compared * FLOOR_PERCENT,
        "{agree}/{compared} agree"
    );
}

/// 109/109 agreed when written; a few points of slack for parser changes elsewhere.
const FLOOR_PERCENT: usize = 97;
