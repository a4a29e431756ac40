//! `BFD_CHECK`: how the checker child learns BFD session states.
//!
//! The sessions run in the daemon process (see `daemon::bfd` for why). keepalived's BFD
//! process writes each state change into a pipe its checker reads (spec §1.1); keel does
//! the same with the checker child's standard input: the supervisor writes one line per
//! session, `bfd NAME up` or `bfd NAME down`, whenever a state changes and again after
//! every (re)start of the child. The child turns each line into a
//! [`CheckerEvent::Bfd`]: a real server's `BFD_CHECK` is up iff its session is Up.
//!
//! A `keel -C` started by hand has no daemon behind it and so no sessions: its BFD
//! checkers keep their initial state, and it says so at start.

use std::collections::HashMap;

use std::io::BufRead;

use keel_check::{CheckerId, Checks, ProbeKind, ProbeOutcome};
use tokio::sync::mpsc::UnboundedSender;

use super::CheckerEvent;
use crate::daemon::bfd::States;
use crate::daemon::log;

/// The lines that tell the child every session's state.
pub fn encode(states: &States) -> String {
    states
        .iter()
        .map(|(name, up)| format!("bfd {name} {}\n", if *up { "up" } else { "down" }))
        .collect()
}

/// One line of [`encode`]: the session name and whether it is Up; `None` for anything
/// else (ignored).
pub fn parse_line(line: &str) -> Option<(String, bool)> {
    let mut words = line.split_whitespace();
    if words.next()? != "bfd" {
        return None;
    }
    let name = words.next()?;
    let up = match words.next()? {
        "up" => true,
        "down" => false,
        _ => return None,
    };
    words.next().is_none().then(|| (name.to_string(), up))
}

/// In the checker child: reads the daemon's lines from standard input until it closes.
/// A plain thread blocked in `read` (standard input is a pipe; the runtime stays free).
pub fn spawn_reader(events_tx: &UnboundedSender<CheckerEvent>) {
    let events_tx = events_tx.clone();
    let spawned = std::thread::Builder::new()
        .name("bfd-feed".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { return };
                let Some((name, up)) = parse_line(&line) else {
                    continue;
                };
                if events_tx.send(CheckerEvent::Bfd { name, up }).is_err() {
                    return;
                }
            }
        });
    if let Err(error) = spawned {
        log::error(&format!(
            "BFD_CHECK: cannot read the daemon's states: {error}"
        ));
    }
}

/// In the daemon: writes `states` to the child's standard input. The pipe is
/// non-blocking; a child that does not read loses this snapshot, not the daemon's time
/// (every snapshot is complete, so the next one repairs it).
pub fn write(stdin: &std::os::fd::OwnedFd, states: &States) {
    use std::io::Write;
    let text = encode(states);
    let mut pipe = std::fs::File::from(match stdin.try_clone() {
        Ok(fd) => fd,
        Err(error) => {
            log::warn(&format!("BFD_CHECK: {error}"));
            return;
        }
    });
    if let Err(error) = pipe.write_all(text.as_bytes()) {
        log::warn(&format!("BFD_CHECK: cannot tell the checker: {error}"));
    }
}

/// The verdicts for the `BFD_CHECK`s that follow `name`.
pub fn outcomes(checks: &Checks, name: &str, up: bool) -> Vec<(CheckerId, ProbeOutcome)> {
    checks
        .checker_ids()
        .filter(|id| {
            checks.checker(*id).is_some_and(
                |status| matches!(&status.probe.kind, ProbeKind::Bfd { name: n } if n == name),
            )
        })
        .map(|id| {
            let outcome = if up {
                ProbeOutcome::Up
            } else {
                ProbeOutcome::Down {
                    reason: format!("BFD {name} is down"),
                }
            };
            (id, outcome)
        })
        .collect()
}

/// The last state heard of each session, re-applied after a reload re-creates checkers.
pub type Known = HashMap<String, bool>;

#[cfg(test)]
mod tests {
    use super::*;

    // Input: two sessions, one Up, encoded by the daemon, read back by the child; and
    // lines that are not the daemon's.
    // Output: the same states; the rest ignored.
    #[test]
    fn state_lines_round_trip() {
        let mut states = States::new();
        states.insert("b1".into(), true);
        states.insert("b2".into(), false);
        let text = encode(&states);
        assert_eq!(text, "bfd b1 up\nbfd b2 down\n");
        let back: Vec<(String, bool)> = text.lines().filter_map(parse_line).collect();
        assert_eq!(back, [("b1".into(), true), ("b2".into(), false)]);
        for junk in [
            "",
            "bfd",
            "bfd b1",
            "bfd b1 sideways",
            "vrrp b1 up",
            "bfd b1 up x",
        ] {
            assert_eq!(parse_line(junk), None, "{junk:?}");
        }
    }
}
