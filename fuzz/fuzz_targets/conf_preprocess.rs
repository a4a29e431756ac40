//! Fuzz target: the keepalived.conf preprocessor (lexer, includes, conditionals,
//! definitions, `~SEQ`/`~LST`) on arbitrary bytes.
//!
//! The input is split at NUL bytes into up to three files — `/k/keepalived.conf`,
//! `/k/a.conf` and `/k/b.conf` — so includes between them (and include loops) are reached.
//! The first byte's low bit selects `-e` (every include problem is an error).
//! Properties: no panic, no hang, and every span points inside a file that was read.
#![no_main]

use std::path::Path;

use keel_conf::memfs::{FakeHost, MemoryFs};
use keel_conf::preprocess::{PreprocessOptions, preprocess};
use keel_conf::source::Span;
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 3] = ["/k/keepalived.conf", "/k/a.conf", "/k/b.conf"];

fuzz_target!(|data: &[u8]| {
    let all_config = data.first().is_some_and(|b| b & 1 == 1);
    let mut fs = MemoryFs::new();
    for (path, part) in FILES.iter().zip(data.splitn(FILES.len(), |&b| b == 0)) {
        fs.add_file(path, String::from_utf8_lossy(part).into_owned());
    }
    let options = PreprocessOptions {
        config_id: "main".into(),
        all_config,
        instance: None,
        random_seed: 1,
    };
    let host = FakeHost::new().with_env("HOME", "/root");
    let out = preprocess(&fs, &host, Path::new(FILES[0]), &options);
    let inside = |span: Span| {
        let file = out
            .sources
            .file(span.file)
            .expect("span names a file that was read");
        let line = file.line(span.line).expect("span line exists");
        let width = u32::try_from(line.chars().count()).unwrap_or(u32::MAX);
        assert!(
            span.col >= 1 && span.col + span.len <= width + 1,
            "{span:?} outside {line:?}"
        );
    };
    for line in &out.lines {
        assert!(!line.tokens.is_empty());
        line.tokens.iter().for_each(|token| inside(token.span));
    }
    out.diagnostics
        .iter()
        .filter_map(|d| d.span)
        .for_each(inside);
});
