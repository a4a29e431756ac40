//! The conformance corpus: `keel -t` against keepalived 2.2.7's verdicts on 326 real files.
//!
//! The files and verdicts live outside the repository, in `<repo>/../shared/corpus`
//! (see its README). Each file is checked the way the verdicts were taken: inside a network
//! namespace with veth `eth0`..`eth12` (10.N.0.1/24) and a bridge `br0` (192.168.0.1/24),
//! as `keel -t -f NAME` run from the corpus directory, so relative includes resolve alike.
//!
//! Needs root (network namespaces).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use keel_lab::Netns;
use support::{Run, corpus_dir, keel, run_with_timeout};

/// Files on which keel's exit code must equal keepalived's. Raise it as keel improves; it
/// is the number reached when it was last raised.
const MIN_AGREEMENT: usize = 325;

/// A run that takes longer than this is a hang.
const HANG_TIMEOUT: Duration = Duration::from_secs(5);

/// The most CPU time `keel -t` may spend on one file.
const MAX_CPU: Duration = Duration::from_secs(1);

/// Threads checking files side by side.
const THREADS: usize = 2;

/// exit code of a Rust panic.
const PANIC_EXIT: i32 = 101;

#[test]
fn keel_agrees_with_keepalived_on_the_corpus() {
    // Input: every corpus file that has a keepalived 2.2.7 verdict.
    // Output: keel accepts every file keepalived accepts, never panics, hangs or spends more
    // than a second, and gives keepalived's exit code on at least MIN_AGREEMENT files.
    let corpus = corpus_dir();
    let configs = corpus.join("keepalived-configs");
    let verdicts = corpus.join("keepalived-2.2.7-verdicts.txt");
    assert!(
        configs.is_dir() && verdicts.is_file(),
        "the conformance corpus is missing: expected {} (with keepalived-configs/ and \
         keepalived-2.2.7-verdicts.txt); set KEEL_CORPUS_DIR if it lives elsewhere",
        corpus.display()
    );
    let verdicts = read_verdicts(&verdicts);
    let files = corpus_files(&configs, &verdicts);
    assert!(!files.is_empty(), "no corpus file has a verdict");

    let netns = support::corpus_netns("keel-corpus");
    let results = check_all(&netns, &configs, &files, &["-t"]);

    let mut agreements = 0;
    let mut failures = Vec::new();
    let mut table = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for (name, expected, run) in &results {
        if run.cpu > slowest.0 {
            slowest = (run.cpu, name.clone());
        }
        if run.timed_out {
            failures.push(format!("{name}: hung (killed after {HANG_TIMEOUT:?})"));
        } else if run.code == Some(PANIC_EXIT) || run.signal.is_some() {
            failures.push(format!(
                "{name}: crashed ({}): {}",
                outcome(run),
                first_line(&run.stderr)
            ));
        } else if run.cpu > MAX_CPU {
            failures.push(format!("{name}: took {:?} of CPU", run.cpu));
        }
        if run.code == Some(*expected) {
            agreements += 1;
            continue;
        }
        if *expected == 0 {
            failures.push(format!(
                "{name}: keepalived accepts it, keel exits {}: {}",
                outcome(run),
                first_line(&run.stderr)
            ));
        }
        table.push(format!(
            "{name:<32} {expected:>10} {:>6}  {}",
            outcome(run),
            first_line(&run.stderr)
        ));
    }

    println!(
        "corpus: {agreements}/{} files agree with keepalived 2.2.7; slowest {:?} CPU ({})",
        results.len(),
        slowest.0,
        slowest.1
    );
    if !table.is_empty() {
        println!(
            "{:<32} {:>10} {:>6}  first diagnostic",
            "file", "keepalived", "keel"
        );
        for row in &table {
            println!("{row}");
        }
    }
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
    assert!(
        agreements >= MIN_AGREEMENT,
        "agreement fell to {agreements} files (at least {MIN_AGREEMENT} expected)"
    );
}

#[test]
fn dump_conf_json_is_valid_for_every_corpus_file() {
    // Input: `keel --dump-conf=json -f FILE` for every corpus file, in the verdict
    // environment. Output: never a crash or hang, a keepalived exit code, and stdout that
    // parses as JSON with the configuration's top-level parts.
    let corpus = corpus_dir();
    let configs = corpus.join("keepalived-configs");
    let verdicts = corpus.join("keepalived-2.2.7-verdicts.txt");
    assert!(
        configs.is_dir() && verdicts.is_file(),
        "the conformance corpus is missing: expected {}; set KEEL_CORPUS_DIR if it lives \
         elsewhere",
        corpus.display()
    );
    let files = corpus_files(&configs, &read_verdicts(&verdicts));
    let netns = support::corpus_netns("keel-json");
    let mut failures = Vec::new();
    for (name, _, run) in check_all(&netns, &configs, &files, &["--dump-conf=json"]) {
        if !matches!(run.code, Some(0 | 4 | 5 | 6)) {
            failures.push(format!(
                "{name}: exit {}: {}",
                outcome(&run),
                first_line(&run.stderr)
            ));
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(&run.stdout) {
            Ok(config) if config.get("vrrp").is_some() && config.get("lvs").is_some() => {}
            Ok(_) => failures.push(format!("{name}: JSON without vrrp/lvs")),
            Err(error) => failures.push(format!("{name}: not JSON: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "--dump-conf=json failures:\n{}",
        failures.join("\n")
    );
}

/// `FILE EXIT_CODE` lines.
fn read_verdicts(path: &Path) -> BTreeMap<String, i32> {
    let text = std::fs::read_to_string(path).expect("the verdicts file is readable");
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let code = words.next()?.parse().ok()?;
            Some((name.to_string(), code))
        })
        .collect()
}

/// The corpus files that have a verdict, sorted by name, with that verdict.
fn corpus_files(configs: &Path, verdicts: &BTreeMap<String, i32>) -> Vec<(String, i32)> {
    let mut files: Vec<(String, i32)> = std::fs::read_dir(configs)
        .expect("the corpus directory is readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            verdicts.get(&name).map(|code| (name, *code))
        })
        .collect();
    files.sort();
    files
}

/// Runs `keel ARGS -f FILE` on every file, THREADS at a time.
fn check_all(
    netns: &Netns,
    configs: &Path,
    files: &[(String, i32)],
    args: &[&str],
) -> Vec<(String, i32, Run)> {
    let queue = Mutex::new(files.iter());
    let results = Mutex::new(Vec::with_capacity(files.len()));
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                loop {
                    let next = queue
                        .lock()
                        .expect("no thread panics holding the queue")
                        .next();
                    let Some((name, expected)) = next else { break };
                    let run = check(netns, configs, name, args);
                    results
                        .lock()
                        .expect("no thread panics holding the results")
                        .push((name.clone(), *expected, run));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("every thread has finished");
    results.sort_by(|a, b| a.0.cmp(&b.0));
    results
}

fn check(netns: &Netns, configs: &Path, name: &str, args: &[&str]) -> Run {
    let mut command = netns.command(&keel().to_string_lossy());
    command
        .args(args)
        .args(["-f", name])
        .current_dir(PathBuf::from(configs));
    run_with_timeout(command, HANG_TIMEOUT)
}

fn outcome(run: &Run) -> String {
    match (run.code, run.signal, run.timed_out) {
        (_, _, true) => "hang".to_string(),
        (Some(code), _, _) => code.to_string(),
        (None, Some(signal), _) => format!("sig{signal}"),
        (None, None, _) => "?".to_string(),
    }
}

/// The line that best explains a verdict: the first error, else the first warning, else
/// the first line.
fn first_line(text: &str) -> &str {
    let line = ["error", "warning", ""]
        .iter()
        .find_map(|label| {
            text.lines()
                .find(|l| l.starts_with(label) && !l.trim().is_empty())
        })
        .unwrap_or("");
    let end = line.char_indices().nth(100).map_or(line.len(), |(i, _)| i);
    &line[..end]
}
