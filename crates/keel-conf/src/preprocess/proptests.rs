//! Properties over arbitrary input: `preprocess` never panics, and every span it returns
//! (on tokens and on diagnostics) points inside a file it read.

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::memfs::{FakeHost, MemoryFs};

/// Pieces of keepalived.conf syntax, so generated text reaches includes, definitions,
/// conditionals and repetition rather than only plain words.
const FRAGMENTS: &[&str] = &[
    "include ",
    "includea ",
    "a.conf",
    "b.conf",
    "*.conf",
    "{a,b}.conf",
    "~SEQ(X,1,3) ",
    "~SEQx(Y,3) ",
    "~LST(Z,p,q) ",
    "~LST({U,V},{1,2},{3}) ",
    "$X=",
    "$M=\\",
    "${X}",
    "$X ",
    "$M",
    "${_RANDOM 1 9}",
    "${_PWD}",
    "${_ENV HOME}",
    "@main ",
    "@^main ",
    "\\",
    "\n",
    "\n",
    "\n",
    "{",
    "}",
    "\"",
    "#",
    "!",
    "\\#",
    "x",
    " ",
    "\t",
    "1",
    ",",
    ")",
    "(",
    "é",
    "global_defs",
    "include_check",
];

fn config_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60)
            .prop_map(|parts| parts.concat()),
        any::<String>(),
    ]
}

fn assert_span_inside(out: &Preprocessed, span: Span) {
    let file = out
        .sources
        .file(span.file)
        .expect("span names a file that was read");
    let text = file.line(span.line).expect("span line exists");
    let width = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    assert!(span.col >= 1, "{span:?}");
    assert!(
        span.col + span.len <= width + 1,
        "{span:?} outside {text:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn never_panics_and_spans_stay_inside_files(
        main in config_text(),
        a in config_text(),
        b in config_text(),
        all_config in any::<bool>(),
    ) {
        // Input: three files that may include each other (and themselves).
        let fs = MemoryFs::new()
            .with_file("/k/main.conf", main)
            .with_file("/k/a.conf", a)
            .with_file("/k/b.conf", b);
        let options = PreprocessOptions { config_id: "main".into(), all_config, ..PreprocessOptions::default() };
        let out = preprocess(&fs, &FakeHost::new(), Path::new("/k/main.conf"), &options);
        // Output: tokens are never empty words and always point into a read file.
        for line in &out.lines {
            prop_assert!(!line.tokens.is_empty());
            for token in &line.tokens {
                prop_assert!(token.kind == TokenKind::Quoted || !token.text.is_empty());
                assert_span_inside(&out, token.span);
            }
        }
        for diagnostic in &out.diagnostics {
            if let Some(span) = diagnostic.span {
                assert_span_inside(&out, span);
            }
        }
    }
}
