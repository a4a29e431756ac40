//! Log naming and rate limiting.
//!
//! The log writer itself (console, syslog, file) lives with the daemon; this module holds
//! the two decisions around it that keepalived users notice:
//! - names: the syslog ident and the `-g` file name of each keepalived process
//!   (spec §1.3), so log filters and logrotate rules written for keepalived keep working;
//! - [`RateLimiter`]: a flood of identical per-instance errors (a peer sending bad adverts
//!   every 10 ms, a script failing every second) must not fill the disk or drown syslog
//!   (CONVENTIONS §6: bad input is counted, and logged with a rate limit).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The keepalived process a log belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogProcess {
    /// The parent.
    Parent,
    /// The VRRP process.
    Vrrp,
    /// The checker process.
    Checkers,
    /// The BFD process.
    Bfd,
}

/// The syslog ident keepalived uses for `process`: `Keepalived`, `Keepalived_vrrp`,
/// `Keepalived_healthcheckers` or `Keepalived_bfd`, with `_NS` appended when running in a
/// network namespace (spec §1.3).
pub fn syslog_ident(process: LogProcess, namespace: Option<&str>) -> String {
    let base = match process {
        LogProcess::Parent => "Keepalived",
        LogProcess::Vrrp => "Keepalived_vrrp",
        LogProcess::Checkers => "Keepalived_healthcheckers",
        LogProcess::Bfd => "Keepalived_bfd",
    };
    match namespace {
        Some(namespace) => format!("{base}_{namespace}"),
        None => base.to_string(),
    }
}

/// The file `-g FILE` means for `process`: the parent writes FILE itself; the others insert
/// `_vrrp`, `_healthcheckers` or `_bfd` before the last `.` of the file name (or append it
/// when there is none), e.g. `/var/log/keepalived.log` → `/var/log/keepalived_vrrp.log`.
pub fn log_file(path: &Path, process: LogProcess) -> PathBuf {
    let suffix = match process {
        LogProcess::Parent => return path.to_path_buf(),
        LogProcess::Vrrp => "_vrrp",
        LogProcess::Checkers => "_healthcheckers",
        LogProcess::Bfd => "_bfd",
    };
    super::insert_before_extension(path, suffix)
}

/// What to do with one message offered to a [`RateLimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Log it.
    Log,
    /// Log it, and say that this many messages of the same key were dropped before it.
    LogAfterSuppressed(u64),
    /// Drop it (it is counted and reported with the next logged message of its key).
    Suppress,
}

/// Allows `burst` messages per key in each `period`; the rest are counted and reported
/// once the key may log again. Keys are the caller's, e.g. `"VI_1: bad TTL"`.
///
/// Sans-IO like the core crates: the caller passes `now`. Memory is bounded: keys idle for
/// a whole period are forgotten once more than `max_keys` are held.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    burst: u32,
    period: Duration,
    max_keys: usize,
    keys: HashMap<String, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    logged: u32,
    suppressed: u64,
}

impl RateLimiter {
    /// A limiter of `burst` messages per key per `period`, remembering up to 1024 keys.
    pub fn new(burst: u32, period: Duration) -> Self {
        RateLimiter {
            burst,
            period,
            max_keys: 1024,
            keys: HashMap::new(),
        }
    }

    /// Decides about one message of `key` at `now`.
    pub fn check(&mut self, key: &str, now: Instant) -> Verdict {
        if !self.keys.contains_key(key) && self.keys.len() >= self.max_keys {
            self.forget_idle(now);
        }
        let burst = self.burst;
        let period = self.period;
        let window = self.keys.entry(key.to_string()).or_insert(Window {
            start: now,
            logged: 0,
            suppressed: 0,
        });
        if now.saturating_duration_since(window.start) >= period {
            let suppressed = window.suppressed;
            *window = Window {
                start: now,
                logged: 1,
                suppressed: 0,
            };
            return if suppressed > 0 {
                Verdict::LogAfterSuppressed(suppressed)
            } else {
                Verdict::Log
            };
        }
        if window.logged < burst {
            window.logged += 1;
            Verdict::Log
        } else {
            window.suppressed += 1;
            Verdict::Suppress
        }
    }

    /// Messages of `key` dropped and not yet reported.
    pub fn suppressed(&self, key: &str) -> u64 {
        self.keys.get(key).map_or(0, |window| window.suppressed)
    }

    fn forget_idle(&mut self, now: Instant) {
        let period = self.period;
        self.keys
            .retain(|_, window| now.saturating_duration_since(window.start) < period);
        if self.keys.len() >= self.max_keys {
            // Everything is busy: drop the oldest window rather than grow without bound.
            if let Some(oldest) = self
                .keys
                .iter()
                .min_by_key(|(_, window)| window.start)
                .map(|(key, _)| key.clone())
            {
                self.keys.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: each keepalived process, with and without a namespace.
    // Output: keepalived's syslog idents (spec §1.3).
    #[test]
    fn idents() {
        assert_eq!(syslog_ident(LogProcess::Parent, None), "Keepalived");
        assert_eq!(syslog_ident(LogProcess::Vrrp, None), "Keepalived_vrrp");
        assert_eq!(
            syslog_ident(LogProcess::Checkers, None),
            "Keepalived_healthcheckers"
        );
        assert_eq!(
            syslog_ident(LogProcess::Bfd, Some("blue")),
            "Keepalived_bfd_blue"
        );
    }

    // Input: -g /var/log/keepalived.log, -g /var/log/k.d/keel (no extension).
    // Output: per-process files with the suffix before the last dot of the file name only.
    #[test]
    fn log_files() {
        let file = Path::new("/var/log/keepalived.log");
        assert_eq!(log_file(file, LogProcess::Parent), file);
        assert_eq!(
            log_file(file, LogProcess::Vrrp),
            Path::new("/var/log/keepalived_vrrp.log")
        );
        assert_eq!(
            log_file(file, LogProcess::Checkers),
            Path::new("/var/log/keepalived_healthcheckers.log")
        );
        assert_eq!(
            log_file(Path::new("/var/log/k.d/keel"), LogProcess::Bfd),
            Path::new("/var/log/k.d/keel_bfd")
        );
    }

    // Input: a peer sends 100 bad adverts in one second, limit 3 per 10 s; then one more
    // after 10 s. Output: 3 logged, 97 suppressed, and the next one reports the 97.
    #[test]
    fn flood_is_limited_and_reported() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(3, Duration::from_secs(10));
        let verdicts = (0..100)
            .map(|i| limiter.check("VI_1: bad TTL", start + Duration::from_millis(i * 10)))
            .collect::<Vec<_>>();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Log).count(), 3);
        assert_eq!(limiter.suppressed("VI_1: bad TTL"), 97);
        assert_eq!(
            limiter.check("VI_1: bad TTL", start + Duration::from_secs(10)),
            Verdict::LogAfterSuppressed(97)
        );
        assert_eq!(limiter.suppressed("VI_1: bad TTL"), 0);
    }

    // Input: VI_1 floods; VI_2 logs once. Output: VI_2 is not silenced by VI_1's flood.
    #[test]
    fn keys_are_independent() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(1, Duration::from_secs(60));
        assert_eq!(limiter.check("VI_1", now), Verdict::Log);
        assert_eq!(limiter.check("VI_1", now), Verdict::Suppress);
        assert_eq!(limiter.check("VI_2", now), Verdict::Log);
    }

    // Input: 5000 distinct keys (e.g. spoofed source addresses in the key).
    // Output: the limiter holds at most its key bound.
    #[test]
    fn memory_is_bounded() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(1, Duration::from_secs(60));
        for i in 0..5000 {
            limiter.check(&format!("peer {i}"), now);
        }
        assert!(limiter.keys.len() <= 1024);
    }
}
