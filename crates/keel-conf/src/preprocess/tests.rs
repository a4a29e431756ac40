//! Scenario tests of the preprocessor, fed through [`MemoryFs`]. Expected outputs were
//! checked against Debian's keepalived 2.2.7 (`keepalived -t` reports each expanded line
//! it does not know as "Unknown keyword '...'", which shows what it expanded).

use std::path::Path;

use super::*;
use crate::diag::{Severity, exit_code};
use crate::memfs::{FakeHost, MemoryFs};

const MAIN: &str = "/etc/keepalived/keepalived.conf";

fn options(config_id: &str) -> PreprocessOptions {
    PreprocessOptions {
        config_id: config_id.to_string(),
        ..PreprocessOptions::default()
    }
}

fn run_with(fs: &MemoryFs, options: &PreprocessOptions) -> Preprocessed {
    preprocess(
        fs,
        &FakeHost::new().with_env("SITE", "lab"),
        Path::new(MAIN),
        options,
    )
}

fn run(text: &str) -> Preprocessed {
    run_with(&MemoryFs::new().with_file(MAIN, text), &options("main"))
}

/// Each logical line as its tokens joined by spaces; quoted strings keep their quotes.
fn rendered(out: &Preprocessed) -> Vec<String> {
    out.lines
        .iter()
        .map(|line| {
            line.tokens
                .iter()
                .map(|t| match t.kind {
                    TokenKind::Quoted => format!("\"{}\"", t.text),
                    _ => t.text.clone(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn messages(out: &Preprocessed) -> Vec<String> {
    out.diagnostics.iter().map(|d| d.message.clone()).collect()
}

fn span(file: u32, line: u32, col: u32, len: u32) -> Span {
    Span {
        file: FileId(file),
        line,
        col,
        len,
    }
}

fn file_path(out: &Preprocessed, span: Span) -> String {
    out.sources
        .file(span.file)
        .unwrap()
        .path
        .display()
        .to_string()
}

#[test]
fn comments_blank_lines_quotes_and_exact_spans() {
    // Input: comments of both kinds, an escaped '#', blank lines, a quoted script, and ';'.
    let out = run("! header\n\n   global_defs   # comment\n\
         \trouter_id \"my router\" ! trailing\n\
         notify a\\#b;c\n");
    // Output: comments and blank lines vanish; a quoted string is one token without quotes.
    assert_eq!(
        rendered(&out),
        vec!["global_defs", "router_id \"my router\"", "notify a#b;c"]
    );
    assert!(out.diagnostics.is_empty());
    let line = &out.lines[1].tokens;
    assert_eq!(line[0].span, span(0, 4, 2, 9));
    assert_eq!(line[1].kind, TokenKind::Quoted);
    assert_eq!(line[1].text, "my router");
    // The quoted token's span covers its quotes.
    assert_eq!(line[1].span, span(0, 4, 12, 11));
    // After the removed escape backslash, columns still match the source.
    assert_eq!(out.lines[2].tokens[1].span, span(0, 5, 8, 6));
}

#[test]
fn braces_are_tokens_anywhere_on_a_line() {
    // Input: `{` glued to a name, `}}`, and a one-line block.
    let out =
        run("vrrp_instance X{\n  virtual_ipaddress { 10.0.0.1 \"a{b\" }}\nstatic_routes {}\n");
    // Output: braces are separate tokens, quoted braces are not, each line stays one line.
    assert_eq!(
        rendered(&out),
        vec![
            "vrrp_instance X {",
            "virtual_ipaddress { 10.0.0.1 \"a{b\" } }",
            "static_routes { }",
        ]
    );
    let first = &out.lines[0].tokens;
    assert_eq!(first[1].span, span(0, 1, 15, 1));
    assert_eq!(first[2].kind, TokenKind::Open);
    assert_eq!(first[2].span, span(0, 1, 16, 1));
    let second = &out.lines[1].tokens;
    assert_eq!(second[4].kind, TokenKind::Close);
    assert_eq!(second[4].span, span(0, 2, 38, 1));
    assert_eq!(second[5].span, span(0, 2, 39, 1));
}

#[test]
fn unterminated_quote_is_an_error_with_its_span() {
    // Input: a quote that is never closed. Output: keepalived's error (class 5) pointing at
    // the quote; the words before it stay, the rest of the line is dropped as keepalived does.
    let out = run("foo \"x # y\nbar\n");
    assert_eq!(rendered(&out), vec!["foo", "bar"]);
    assert_eq!(messages(&out), vec!["Unterminated quote"]);
    assert_eq!(out.diagnostics[0].span, Some(span(0, 1, 5, 6)));
    assert_eq!(exit_code(&out.diagnostics), 5);
}

#[test]
fn nested_includes_are_relative_to_the_including_file() {
    // Input: main includes conf.d/a.conf, which includes ../common/b.conf and sub/c.conf
    // (relative to conf.d), and prints ${_PWD} in each file.
    let fs = MemoryFs::new()
        .with_file(MAIN, "before\ninclude conf.d/a.conf\nafter ${_PWD}\n")
        .with_file(
            "/etc/keepalived/conf.d/a.conf",
            "in_a ${_PWD}\ninclude ../common/b.conf\ninclude sub/c.conf\n",
        )
        .with_file("/etc/keepalived/common/b.conf", "  in_b\n")
        .with_file("/etc/keepalived/conf.d/sub/c.conf", "in_c\n");
    let out = run_with(&fs, &options("main"));
    // Output: the included lines in place, ${_PWD} the directory of the file that uses it.
    assert_eq!(
        rendered(&out),
        vec![
            "before",
            "in_a /etc/keepalived/conf.d",
            "in_b",
            "in_c",
            "after /etc/keepalived",
        ]
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    // Spans point into the included file.
    let in_b = out.lines[2].tokens[0].span;
    assert_eq!(in_b.line, 1);
    assert_eq!(in_b.col, 3);
    assert_eq!(file_path(&out, in_b), "/etc/keepalived/common/b.conf");
}

#[test]
fn include_globs_and_braces_sorted() {
    // Input: a wildcard, a brace list, and the two combined.
    let fs = MemoryFs::new()
        .with_file(
            MAIN,
            "include conf.d/*.conf\ninclude {x,y}.inc\ninclude conf.d/{b,a}*.conf\n",
        )
        .with_file("/etc/keepalived/conf.d/b.conf", "b")
        .with_file("/etc/keepalived/conf.d/a.conf", "a")
        .with_file("/etc/keepalived/conf.d/a.txt", "not_included")
        .with_file("/etc/keepalived/y.inc", "y")
        .with_file("/etc/keepalived/x.inc", "x");
    let out = run_with(&fs, &options("main"));
    // Output: glob matches sorted, brace alternatives in the written order.
    assert_eq!(rendered(&out), vec!["a", "b", "x", "y", "b", "a"]);
    assert!(out.diagnostics.is_empty());
}

#[test]
fn include_takes_the_rest_of_the_line_and_works_after_at_and_dollar() {
    // Input (keepalived 2.2.7 order, checked by running it): an include behind an @id,
    // one built from a definition, one inside a block opened on the same line.
    let fs = MemoryFs::new()
        .with_file(
            MAIN,
            "@main include i1.conf\n@other include i2.conf\n$F=i2.conf\ninclude $F\n\
             $INC=include i3.conf\n$INC\nvrrp_instance X { include i4.conf\n}\n",
        )
        .with_file("/etc/keepalived/i1.conf", "inc1")
        .with_file("/etc/keepalived/i2.conf", "inc2")
        .with_file("/etc/keepalived/i3.conf", "inc3")
        .with_file("/etc/keepalived/i4.conf", "inc4");
    let out = run_with(&fs, &options("main"));
    assert_eq!(
        rendered(&out),
        vec!["inc1", "inc2", "inc3", "vrrp_instance X {", "inc4", "}"]
    );
    assert!(out.diagnostics.is_empty());
    // `x { include i9.conf }`: the pattern is "i9.conf }", as keepalived reports it.
    let out = run("x { include i9.conf }\n");
    assert_eq!(messages(&out), vec!["Config files missing 'i9.conf }'."]);
}

#[test]
fn include_from_a_multi_line_definition_comes_after_its_remaining_lines() {
    // Input: a multi-line definition whose first line is an include (keepalived 2.2.7 order).
    let fs = MemoryFs::new()
        .with_file(MAIN, "$M=\\\n include c.conf \\\n mid\n$M\nend\n")
        .with_file("/etc/keepalived/c.conf", "ic\n");
    assert_eq!(
        rendered(&run_with(&fs, &options("main"))),
        vec!["mid", "ic", "end"]
    );
}

#[test]
fn include_loop_is_reported_not_followed() {
    // Input: a.conf includes b.conf which includes a.conf again, and the main file itself.
    let fs = MemoryFs::new()
        .with_file(MAIN, "include a.conf\ninclude keepalived.conf\nend\n")
        .with_file("/etc/keepalived/a.conf", "in_a\ninclude b.conf\n")
        .with_file("/etc/keepalived/b.conf", "in_b\ninclude ./a.conf\n");
    let out = run_with(&fs, &options("main"));
    // Output: each file read once per chain, two loop errors pointing at the include lines.
    assert_eq!(rendered(&out), vec!["in_a", "in_b", "end"]);
    let loops: Vec<&Diagnostic> = out
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("includes itself"))
        .collect();
    assert_eq!(loops.len(), 2);
    assert_eq!(
        file_path(&out, loops[0].span.unwrap()),
        "/etc/keepalived/b.conf"
    );
    assert_eq!(loops[0].span.unwrap().col, 9);
    assert_eq!(exit_code(&out.diagnostics), 5);
}

#[test]
fn missing_includes_are_ignored_unless_checked() {
    let fs = MemoryFs::new().with_file(MAIN, "include missing.conf\ninclude none*.conf\nkeep\n");
    // Input: plain includes of nothing. Output: keepalived's message, verdict unchanged.
    let out = run_with(&fs, &options("main"));
    assert_eq!(rendered(&out), vec!["keep"]);
    assert_eq!(messages(&out)[0], "Config files missing 'missing.conf'.");
    assert_eq!(out.diagnostics[0].severity, Severity::Warning);
    assert_eq!(exit_code(&out.diagnostics), 0);
    // Input: the same with -e. Output: errors; keepalived 2.2.7 -t exits 6.
    let all = PreprocessOptions {
        all_config: true,
        ..options("main")
    };
    let out = run_with(&fs, &all);
    assert_eq!(
        messages(&out),
        vec![
            "Config files missing 'missing.conf'.",
            "No config files matched 'none*.conf'.",
        ]
    );
    assert!(
        out.diagnostics
            .iter()
            .all(|d| d.severity == Severity::Error)
    );
    assert_eq!(exit_code(&out.diagnostics), 6);
    assert_eq!(rendered(&out), vec!["keep"]);
}

#[test]
fn include_variants_and_include_check() {
    // Input: includer tolerates no match, includem does not; includeb reports a missing
    // brace alternative; include_check in global_defs applies to later includes in the
    // file (and its includes) but is restored when the file that set it is closed.
    let fs = MemoryFs::new()
        .with_file(
            MAIN,
            "includer nothing.conf\nincludem nothing.conf\nincludeb {a,nothing}.conf\n\
             include sub.conf\ninclude after*.conf\n",
        )
        .with_file("/etc/keepalived/a.conf", "a")
        .with_file(
            "/etc/keepalived/sub.conf",
            "global_defs {\n include_check wildcard_match\n}\ninclude x*.conf\n",
        );
    let out = run_with(&fs, &options("main"));
    assert_eq!(
        rendered(&out),
        vec!["a", "global_defs {", "include_check wildcard_match", "}"]
    );
    let errors: Vec<(String, Class)> = out
        .diagnostics
        .iter()
        .map(|d| (d.message.clone(), d.class))
        .collect();
    assert_eq!(
        errors,
        vec![
            (
                "Config files missing 'nothing.conf'.".to_string(),
                Class::Info
            ),
            (
                "Config files missing 'nothing.conf'.".to_string(),
                Class::ScriptSecurity
            ),
            (
                "Some config files missing: \"{a,nothing}.conf\".".to_string(),
                Class::ScriptSecurity
            ),
            (
                "No config files matched 'x*.conf'.".to_string(),
                Class::ScriptSecurity
            ),
            (
                "No config files matched 'after*.conf'.".to_string(),
                Class::Info
            ),
        ]
    );
    // include_check at the top level is not global_defs': it changes nothing here.
    let fs = MemoryFs::new().with_file(MAIN, "include_check\ninclude x*.conf\n");
    assert_eq!(exit_code(&run_with(&fs, &options("main")).diagnostics), 0);
}

#[test]
fn unreadable_directory_and_executable_includes_are_skipped() {
    let mut fs = MemoryFs::new()
        .with_file(
            MAIN,
            "include d\ninclude run.sh\ninclude secret.conf\nincluder secret.conf\nok\n",
        )
        .with_file("/etc/keepalived/run.sh", "script")
        .with_file("/etc/keepalived/secret.conf", "secret");
    fs.add_dir("/etc/keepalived/d");
    fs.set_mode("/etc/keepalived/run.sh", 0o755);
    fs.set_mode("/etc/keepalived/secret.conf", 0o000);
    let out = run_with(&fs, &options("main"));
    assert_eq!(rendered(&out), vec!["ok"]);
    assert_eq!(
        messages(&out),
        vec![
            "Configuration file '/etc/keepalived/d/' is a directory - skipping",
            "Configuration file '/etc/keepalived/run.sh' is not a regular non-executable file - skipping",
            "Configuration file '/etc/keepalived/secret.conf' open problem (Permission denied) - skipping",
            "Configuration file '/etc/keepalived/secret.conf' open problem (Permission denied) - skipping",
        ]
    );
    // Only the `includer` (readable check) one counts: exit 6.
    let classes: Vec<Class> = out.diagnostics.iter().map(|d| d.class).collect();
    assert_eq!(
        classes,
        vec![Class::Info, Class::Info, Class::Info, Class::ScriptSecurity]
    );
}

#[test]
fn missing_main_file_cannot_run() {
    let out = run_with(&MemoryFs::new(), &options("main"));
    assert!(out.lines.is_empty());
    assert_eq!(
        messages(&out),
        vec!["Config files missing '/etc/keepalived/keepalived.conf'."]
    );
    assert_eq!(exit_code(&out.diagnostics), 4);
}

#[test]
fn conditionals_compare_the_config_id() {
    // Input: the man page's example, run as "main" and as "backup2".
    let text = "@main router_id main_router\n@backup router_id backup_router\n\
                @^main 1.2.3.4\n@^backup 1.2.3.5\n@^backup2 1.2.3.6\n@main\n";
    let fs = MemoryFs::new().with_file(MAIN, text);
    let main = run_with(&fs, &options("main"));
    assert_eq!(
        rendered(&main),
        vec!["router_id main_router", "1.2.3.5", "1.2.3.6"]
    );
    // The kept text's span is where it stands, after the @id.
    assert_eq!(main.lines[0].tokens[0].span, span(0, 1, 7, 9));
    let backup2 = run_with(&fs, &options("backup2"));
    assert_eq!(rendered(&backup2), vec!["1.2.3.4", "1.2.3.5"]);
}

#[test]
fn definitions_substitute_lazily_and_leave_unknown_names() {
    // Input: keepalived.conf(5)'s lazy example plus the reference forms 2.2.7 accepts.
    let out = run(
        "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n\
         $ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n\
         $X=1\na$X$X\nb$X.b\nc$X\nd${X}e\n$Z = 5\n  $W=w w\ng$W\n${UNDEF} $UNDEF\n\"quo$X\" \"q${X}\"\n",
    );
    // Output (as keepalived 2.2.7): `$X` needs whitespace, `,`, `)` or the line end after it.
    assert_eq!(
        rendered(&out),
        vec![
            "10.2.0.100/32",
            "10.2.10.100/32",
            "a$X1",
            "b$X.b",
            "c1",
            "d1e",
            "$Z = 5",
            "gw w",
            // keepalived leaves an unknown `${NAME}` alone, so its braces split the line.
            "$ { UNDEF } $UNDEF",
            "\"quo$X\" \"q1\"",
        ]
    );
    assert!(out.diagnostics.is_empty());
    // A substituted token points at the text it came from: `d${X}e` on line 10.
    assert_eq!(out.lines[5].tokens[0].span, span(0, 10, 1, 6));
}

#[test]
fn substituted_directives_are_seen_only_when_keepalived_looks_again() {
    // Input (checked against keepalived 2.2.7): a value holding a ~SEQ that still has a `$`
    // after substitution is expanded; one without is left as a plain line. `$X` may be
    // followed by `,` or `)`, and ~LST/~SEQ arguments may use definitions.
    let out = run(
        "$S=~SEQ(J,1,2) b$J\n$S\n$T=~SEQ(K,1,2) c\n$T\n$C=7\nf($C) g$C,h\n\
         $V=5\n~LST(I,$V,6) a$I\n~SEQ(N,${V},6) n$N\n",
    );
    assert_eq!(
        rendered(&out),
        vec![
            "b1",
            "b2",
            "~SEQ(K,1,2) c",
            "f(7) g7,h",
            "a5",
            "a6",
            "n5",
            "n6"
        ]
    );
}

#[test]
fn conditional_definitions_and_definitions_holding_conditionals() {
    let text = "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n\
                $IF_MAIN=@main\n$IF_MAIN priority 250\n";
    let fs = MemoryFs::new().with_file(MAIN, text);
    assert_eq!(
        rendered(&run_with(&fs, &options("main"))),
        vec!["priority 240", "priority 250"]
    );
    assert_eq!(
        rendered(&run_with(&fs, &options("backup"))),
        vec!["priority 200"]
    );
}

#[test]
fn multi_line_definitions_expand_to_lines() {
    // Input: a multi-line definition with a comment line and a whitespace-only line inside
    // (both skipped), ended by an empty line; used alone and after text.
    let out =
        run("$ML=\\\n a1 \\\n# comment\n a2 \\\n   \n a3 \\\n\n a4\n$ML\nq$ML\n$E=\\\n\n$E\nr$E\n");
    // Output, as keepalived 2.2.7: the first line joins the reference's line.
    assert_eq!(
        rendered(&out),
        vec!["a4", "a1", "a2", "a3", "qa1", "a2", "a3", "r"]
    );
    // Lines of a definition point at the reference that expanded them: `$ML` on line 9.
    assert_eq!(out.lines[2].tokens[0].span, span(0, 9, 1, 3));
    // A multi-line definition is only expanded where its reference ends the line.
    let out = run("$ML=\\\n x \\\n y\nbefore $ML after\n");
    assert_eq!(rendered(&out), vec!["before $ML after"]);
}

#[test]
fn nested_multi_line_definitions_with_definitions_inside() {
    // Input: keepalived.conf(5)'s nested example, shortened: VS sets RS_NUM and uses RS.
    let text = "$RS= \\\nreal_server 192.168.${VS_NUM}.${RS_NUM} 80 { \\\n  weight 1 \\\n} \\\n\n\
                $VS= \\\nvirtual_server 10.0.${VS_NUM}.4 80 { \\\n  $RS_NUM=1 \\\n  $RS \\\n  $RS_NUM=2 \\\n  $RS \\\n}\n\
                $VS_NUM=0\n$VS\n$VS_NUM=1\n$VS\n";
    let out = run(text);
    assert_eq!(
        rendered(&out),
        vec![
            "virtual_server 10.0.0.4 80 {",
            "real_server 192.168.0.1 80 {",
            "weight 1",
            "}",
            "real_server 192.168.0.2 80 {",
            "weight 1",
            "}",
            "}",
            "virtual_server 10.0.1.4 80 {",
            "real_server 192.168.1.1 80 {",
            "weight 1",
            "}",
            "real_server 192.168.1.2 80 {",
            "weight 1",
            "}",
            "}",
        ]
    );
    assert!(out.diagnostics.is_empty());
}

#[test]
fn self_referring_definitions_are_reported_not_looped() {
    // Input: a definition that uses itself, and a multi-line one that expands itself.
    let out = run("$Y=${Y}y\ne$Y\n$A=\\\n a \\\n $A\n$A\nend\n");
    // Output: a diagnostic for each, no hang, and the rest of the file still read.
    assert_eq!(
        out.lines.last().map(|l| l.tokens[0].text.as_str()),
        Some("end")
    );
    assert!(
        messages(&out)[0].contains("expands without end"),
        "{:?}",
        messages(&out)
    );
    assert_eq!(out.diagnostics[0].span, Some(span(0, 2, 2, 2)));
    assert!(messages(&out).iter().any(|m| m.contains("nest too deeply")));
}

#[test]
fn predefined_definitions() {
    // Input: every predefined name, with -i lab1 and a seed.
    let fs = MemoryFs::new().with_file(
        MAIN,
        "id ${_INSTANCE}\npwd ${_PWD}\nenv ${_ENV SITE} [${_ENV NOPE}]\nrnd ${_RANDOM} ${_RANDOM 5 5} ${_RANDOM 10 20}\n\
         hash a${_HASH}b \"${_BANG}\"\n$_HASH=h\nover ${_HASH}\n",
    );
    let seeded = PreprocessOptions {
        random_seed: 7,
        ..options("lab1")
    };
    let out = run_with(&fs, &seeded);
    let lines = rendered(&out);
    assert_eq!(lines[0], "id lab1");
    assert_eq!(lines[1], "pwd /etc/keepalived");
    assert_eq!(lines[2], "env lab []");
    let random: Vec<u64> = out.lines[3].tokens[1..]
        .iter()
        .map(|t| t.text.parse().unwrap())
        .collect();
    assert!(random[0] <= 32767);
    assert_eq!(random[1], 5);
    assert!((10..=20).contains(&random[2]));
    // The same seed gives the same numbers; the ${_HASH}/${_BANG} text is not a comment.
    assert_eq!(rendered(&run_with(&fs, &seeded))[3], lines[3]);
    assert_eq!(lines[4], "hash a#b \"!\"");
    // A user definition overrides a predefined one.
    assert_eq!(lines[5], "over h");
    // An explicit instance name wins over the config id.
    let named = PreprocessOptions {
        instance: Some("inst".into()),
        ..options("lab1")
    };
    assert_eq!(rendered(&run_with(&fs, &named))[0], "id inst");
}

#[test]
fn seq_and_lst_repeat_lines() {
    // Input: keepalived.conf(5)'s sequence and list examples.
    let out = run("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n\
         ~SEQx(AD2, 0x90, 0x10, 0xa0) ~SEQx(AD1, 0x12, -1, 0x11) fe81::10:${AD2}:${AD1}\n\
         ~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n");
    assert_eq!(
        rendered(&out),
        vec![
            "ip_address 10.0.0.1",
            "ip_address 10.0.1.1",
            "ip_address 10.0.2.1",
            "ip_address 10.0.3.1",
            "fe81::10:90:12",
            "fe81::10:90:11",
            "fe81::10:a0:12",
            "fe81::10:a0:11",
            "192.168.10.1",
            "192.170.10.1",
            "192.168.20.4",
            "192.170.20.4",
        ]
    );
    assert!(out.diagnostics.is_empty());
    // Each repeated token points at its text in the template.
    assert_eq!(out.lines[1].tokens[1].span, span(0, 1, 31, 16));
}

#[test]
fn seq_inside_multi_line_definitions() {
    // Input: the shape of corpus file 1502a.conf: a ~SEQ inside a multi-line definition
    // whose arguments come from definitions, repeating another multi-line definition.
    let text = "$RS= \\\nreal_server 10.10.10.$RSHOST 443 { \\\n  weight 10 \\\n}\n\n\
                $VS= \\\nvirtual_server 1.1.1.${HOST} 443 { \\\n  ~SEQ(RSHOST,$RSTART,$RSEND) $RS \\\n}\n\
                $RSTART=211\n$RSEND=212\n$HOST=202\n$VS\n";
    let out = run(text);
    assert_eq!(
        rendered(&out),
        vec![
            "virtual_server 1.1.1.202 443 {",
            "real_server 10.10.10.211 443 {",
            "weight 10",
            "}",
            "real_server 10.10.10.212 443 {",
            "weight 10",
            "}",
            "}",
        ]
    );
    assert!(out.diagnostics.is_empty());
}

#[test]
fn a_repetition_from_a_definition_is_set_up_before_the_rest_is_substituted() {
    // Input (keepalived 2.2.7's output): a multi-line definition whose first line is a
    // ~SEQ over another multi-line definition.
    let out = run("$A=\\\n ~SEQ(I,1,2) $B \\\n a2\n$B=\\\n b$I \\\n c$I\n$A\n");
    assert_eq!(rendered(&out), vec!["b1", "c1", "b2", "c2", "a2"]);
}

#[test]
fn bad_and_huge_repetitions_are_diagnosed() {
    let out = run("~SEQ(I,1,-1,3) a\n~LST(I) a\n~SEQ(I,1,1,100000000000) huge\n~SEQ(I,2) ok$I\n");
    assert_eq!(rendered(&out), vec!["ok1", "ok2"]);
    assert_eq!(messages(&out)[0], "Invalid ~SEQ values '~SEQ(I,1,-1,3) a'");
    assert_eq!(out.diagnostics[0].span, Some(span(0, 1, 1, 14)));
    assert_eq!(messages(&out)[1], "Invalid ~LST specification '~LST(I) a'");
    assert!(messages(&out)[2].contains("too large"));
    assert_eq!(exit_code(&out.diagnostics), 5);
}

#[test]
fn nested_repetitions_are_bounded_in_total() {
    // Input: three nested sequences of 1000 each: a billion lines.
    // Output: a diagnostic once the total passes the limit, not an out-of-memory.
    let out = run("~SEQ(A,1,1000) ~SEQ(B,1,1000) ~SEQ(C,1,1000) x\nafter\n");
    assert_eq!(
        out.lines.last().map(|l| l.tokens[0].text.as_str()),
        Some("after")
    );
    assert_eq!(out.diagnostics.len(), 1);
    assert!(messages(&out)[0].contains("expand to more than"));
    // The same with nothing to repeat: it must end too.
    let out = run("~SEQ(A,1,1000) ~SEQ(B,1,1000) ~SEQ(C,1,1000)\nafter\n");
    assert_eq!(rendered(&out), vec!["after"]);
    assert_eq!(out.diagnostics.len(), 1);
}

#[test]
// Measuring wall time is fine in a test; the crate itself never reads the clock.
#[allow(clippy::disallowed_methods)]
fn a_sixty_thousand_line_configuration_is_read_in_one_pass() {
    // Input: 5000 instances of a 12-line block with comments, quotes and a definition use,
    // 60,000 lines in all. Output: every logical line, each token with its own line number.
    let mut text = String::from("$PRIO=100\n");
    for i in 0..5000 {
        text.push_str(&format!(
            "vrrp_instance VI_{i} {{  # instance {i}\n    state BACKUP\n    interface eth{}\n    \
             virtual_router_id {}\n    priority $PRIO\n    advert_int 1\n    notify \"/usr/local/bin/notify.sh {i}\"\n    \
             virtual_ipaddress {{\n        10.{}.{}.1/24\n    }}\n    ! end of {i}\n}}\n",
            i % 8,
            i % 255 + 1,
            i / 256,
            i % 256
        ));
    }
    let fs = MemoryFs::new().with_file(MAIN, text.as_str());
    let mut fastest = std::time::Duration::MAX;
    let mut out = None;
    for _ in 0..5 {
        drop(out.take());
        let started = std::time::Instant::now();
        let result = run_with(&fs, &options("main"));
        fastest = fastest.min(started.elapsed());
        out = Some(result);
    }
    let count = text.lines().count();
    eprintln!("preprocessed {count} source lines in {fastest:?} (fastest of 5)");
    let out = out.expect("ran five times");
    assert!(out.diagnostics.is_empty());
    assert_eq!(out.lines.len(), 5000 * 11);
    assert_eq!(out.lines[4].tokens[1].text, "100");
    let last = out.lines.last().unwrap();
    assert_eq!(last.tokens[0].span.line, 60_001);
}

#[test]
// Measuring wall time is fine in a test; the crate itself never reads the clock.
#[allow(clippy::disallowed_methods)]
fn sixty_thousand_lines_generated_by_seq_over_a_definition() {
    // Input: keepalived.conf(5)'s style of generated configuration: a 12-line multi-line
    // definition repeated 5000 times by ~SEQ. Output: 60,000 logical lines.
    let text = "$PRIO=100\n$VI=\\\nvrrp_instance VI_${N} { \\\n    state BACKUP \\\n    interface eth0 \\\n    \
                virtual_router_id ${N} \\\n    priority $PRIO \\\n    advert_int 1 \\\n    \
                notify \"/usr/local/bin/notify.sh ${N}\" \\\n    virtual_ipaddress { \\\n        \
                10.0.0.${N}/24 \\\n    } \\\n    unicast_peer { 10.1.1.1 } \\\n}\n~SEQ(N,1,5000) $VI\n";
    let fs = MemoryFs::new().with_file(MAIN, text);
    let started = std::time::Instant::now();
    let out = run_with(&fs, &options("main"));
    eprintln!(
        "expanded to {} lines in {:?}",
        out.lines.len(),
        started.elapsed()
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(out.lines.len(), 5000 * 12);
    assert_eq!(rendered(&out)[12 * 4999 + 3], "virtual_router_id 5000");
}

// Input: `global_defs { random_seed 7 }` before three `${_RANDOM}`s, read with two different
// caller seeds (keel's clock seed); then `random_seed 8` instead.
// Output: the values after random_seed 7 are the same whatever the caller's seed, and
// differ with random_seed 8 — `random_seed` makes ${_RANDOM} repeatable, as in keepalived.
#[test]
fn random_seed_in_global_defs_seeds_later_randoms() {
    let draw = |config_seed: u32, caller_seed: u64| {
        let fs = MemoryFs::new().with_file(
            MAIN,
            format!(
                "global_defs {{\n random_seed {config_seed}\n}}\nrnd ${{_RANDOM}} ${{_RANDOM}} ${{_RANDOM}}\n"
            ),
        );
        let seeded = PreprocessOptions {
            random_seed: caller_seed,
            ..options("main")
        };
        rendered(&run_with(&fs, &seeded))[3].clone()
    };
    assert_eq!(draw(7, 1), draw(7, 2));
    assert_ne!(draw(7, 1), draw(8, 1));
}
