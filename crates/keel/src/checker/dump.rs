//! `keepalived_check.data`: what the checker process writes on SIGUSR1 (spec §1.2, §4.1).
//!
//! keepalived says the `.data` format is not guaranteed; keel keeps its layout
//! (`------< Section >------` headers, one-space-indented `Key = value` lines, two more
//! spaces per level) and the sections of keepalived's checker dump that carry run-time
//! state: the LVS topology with each real server's `Alive` and weight, and the health
//! checkers with their verdicts. The configuration itself is what `keel -d` prints.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Instant;

use keel_check::Checks;

/// Writes the dump of `checks` to `path`, mode 0600, replacing an older one.
pub fn write(checks: &Checks, path: &Path, now: Instant) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text(checks, now).as_bytes())
}

/// The dump's text.
pub fn text(checks: &Checks, now: Instant) -> String {
    let mut out = String::new();
    out.push_str("------< LVS Topology >------\n");
    for vs in checks.virtual_servers() {
        line(&mut out, 1, "Virtual Server", &vs.name);
        line(&mut out, 2, "Quorum", up_down(vs.quorum_up));
        line(
            &mut out,
            2,
            "Sorry server in use",
            yes_no(vs.sorry_server_active),
        );
        line(
            &mut out,
            2,
            "ha_suspend holds checkers",
            yes_no(vs.suspended),
        );
        for rs in &vs.real_servers {
            line(&mut out, 2, "Real Server", &rs.name);
            line(&mut out, 3, "Alive", yes_no(rs.alive));
            line(&mut out, 3, "Weight", rs.weight);
        }
    }
    out.push_str("------< Health checkers >------\n");
    for id in checks.checker_ids() {
        let Some(checker) = checks.checker(id) else {
            continue;
        };
        line(&mut out, 1, "Real Server", &checker.real_server);
        line(&mut out, 2, "Virtual Server", &checker.virtual_server);
        line(
            &mut out,
            2,
            "Keepalive method",
            checker.probe.kind.keyword(),
        );
        line(&mut out, 2, "Destination", checker.destination);
        line(&mut out, 2, "Is up", yes_no(checker.up));
        line(&mut out, 2, "Has run", yes_no(checker.has_run));
        if let Some(next) = checker.next_run {
            let due = next.saturating_duration_since(now);
            line(
                &mut out,
                2,
                "Next check in",
                format!("{:.3} sec", due.as_secs_f64()),
            );
        }
    }
    out
}

/// One `Key = value` line at `level` (1 is one space, each further level two more).
fn line(out: &mut String, level: usize, key: &str, value: impl std::fmt::Display) {
    let indent = 1 + 2 * level.saturating_sub(1);
    out.push_str(&format!("{:indent$}{key} = {value}\n", ""));
}

fn yes_no(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

fn up_down(on: bool) -> &'static str {
    if on { "up" } else { "down" }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use keel_conf::memfs::{FakeHost, MemoryFs};
    use keel_conf::preprocess::PreprocessOptions;

    use super::*;
    use crate::check_config::CheckPlan;

    // Input: a virtual server with two TCP-checked real servers, the second with `alpha`
    // (down until its first success), dumped before any probe ran.
    // Output: keepalived's two checker sections; the first real server `Alive = yes`, the
    // second `Alive = no`, each checker's method and verdict, indented per level.
    #[test]
    fn the_dump_shows_each_real_server_and_checker() {
        let text = "virtual_server 192.0.2.10 80 {\n  delay_loop 5\n  protocol TCP\n  \
                    real_server 10.0.0.1 80 {\n    TCP_CHECK {\n    }\n  }\n  \
                    real_server 10.0.0.2 80 {\n    alpha\n    TCP_CHECK {\n    }\n  }\n}\n";
        let fs = MemoryFs::new().with_file("/etc/keepalived/keepalived.conf", text);
        let loaded = keel_conf::load(
            &fs,
            &FakeHost::new(),
            Path::new("/etc/keepalived/keepalived.conf"),
            &PreprocessOptions::default(),
        );
        let plan = CheckPlan::from_config(&loaded.config);
        let now = Instant::now();
        let checks = Checks::new(plan.check, now, 7).expect("a valid checker configuration");
        let dump = super::text(&checks, now);
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(lines[0], "------< LVS Topology >------");
        assert!(lines[1].starts_with(" Virtual Server = "), "{dump}");
        let alive: Vec<&str> = lines
            .iter()
            .filter(|line| line.starts_with("     Alive = "))
            .copied()
            .collect();
        assert_eq!(alive, vec!["     Alive = yes", "     Alive = no"], "{dump}");
        assert!(
            dump.contains("\n------< Health checkers >------\n"),
            "{dump}"
        );
        assert_eq!(
            dump.matches("   Keepalive method = TCP_CHECK\n").count(),
            2,
            "{dump}"
        );
        assert!(dump.contains("   Is up = no\n"), "{dump}");
    }
}
