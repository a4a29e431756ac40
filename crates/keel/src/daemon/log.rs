//! The daemon's log: console (`-l`), syslog (ident `Keepalived_vrrp`, or
//! `Keepalived_healthcheckers` in the checker process; facility `-S`) and a file (`-g`, with
//! `_vrrp` / `_healthcheckers` inserted before the extension), as keepalived writes them
//! (spec §1.3).

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::sync::Mutex;
use std::sync::OnceLock;

use crate::cli::{LogFacility, Logging};
use crate::ops::logging::{LogProcess, log_file, syslog_ident};

/// Where log lines go. One per process, set up once by [`init`].
#[derive(Debug)]
pub struct Log {
    console: bool,
    syslog: bool,
    file: Option<Mutex<File>>,
    flush_file: bool,
    /// `-D`: log details (per-packet drops, script results).
    pub detail: bool,
}

static LOG: OnceLock<Log> = OnceLock::new();
/// `openlog` keeps the pointer: the ident must live for the whole process.
static IDENT: OnceLock<CString> = OnceLock::new();

/// Sets up the VRRP process's log from the command line (`namespace` is `-s`, which names
/// the syslog ident); later calls are ignored.
pub fn init(logging: &Logging, namespace: Option<&str>) {
    init_as(LogProcess::Vrrp, logging, namespace);
}

/// [`init`] for one of keepalived's processes: the checker process logs as
/// `Keepalived_healthcheckers` into `-g`'s file with `_healthcheckers` (spec §1.3).
pub fn init_as(process: LogProcess, logging: &Logging, namespace: Option<&str>) {
    let file = logging.file.as_ref().and_then(|path| {
        let path = log_file(path, process);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| eprintln!("keel: cannot open log file {}: {e}", path.display()))
            .ok()
            .map(Mutex::new)
    });
    if logging.syslog {
        // spec §1.3: `Keepalived_vrrp`, with `_NS` in a network namespace.
        let ident = IDENT.get_or_init(|| {
            let name = syslog_ident(process, namespace);
            CString::new(name).unwrap_or_else(|_| c"Keepalived".to_owned())
        });
        // SAFETY: `ident` is a 'static NUL-terminated string, as openlog requires.
        unsafe { libc::openlog(ident.as_ptr(), libc::LOG_PID, facility(logging.facility)) };
    }
    let _ = LOG.set(Log {
        console: logging.console,
        syslog: logging.syslog,
        file,
        flush_file: logging.flush_file,
        detail: logging.detail > 0,
    });
}

/// Logs an informational line.
pub fn info(message: &str) {
    write(libc::LOG_INFO, message);
}

/// Logs a warning.
pub fn warn(message: &str) {
    write(libc::LOG_WARNING, message);
}

/// Logs an error.
pub fn error(message: &str) {
    write(libc::LOG_ERR, message);
}

/// Logs a detail line, only with `-D`.
pub fn detail(message: &str) {
    if LOG.get().is_some_and(|log| log.detail) {
        write(libc::LOG_DEBUG, message);
    }
}

fn write(priority: libc::c_int, message: &str) {
    let Some(log) = LOG.get() else {
        eprintln!("{message}");
        return;
    };
    if log.console {
        eprintln!("{} {message}", timestamp());
    }
    if log.syslog {
        if let Ok(text) = CString::new(message.replace('\0', " ")) {
            // SAFETY: both strings are NUL-terminated; "%s" consumes exactly one argument.
            unsafe { libc::syslog(priority, c"%s".as_ptr(), text.as_ptr()) };
        }
    }
    if let Some(file) = &log.file {
        if let Ok(mut file) = file.lock() {
            let _ = writeln!(file, "{} {message}", timestamp());
            if log.flush_file {
                let _ = file.flush();
            }
        }
    }
}

/// `Thu Nov 26 10:09:45.123 2026`-style local time, as keepalived's console lines start.
fn timestamp() -> String {
    let mut now: libc::timespec = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only into `now`.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    // SAFETY: tm is plain data; localtime_r fills it from `now.tv_sec`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live locals.
    unsafe { libc::localtime_r(&now.tv_sec, &mut tm) };
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02}.{:03} {}",
        DAYS[tm.tm_wday.clamp(0, 6) as usize],
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.tv_nsec / 1_000_000,
        tm.tm_year + 1900
    )
}

fn facility(facility: LogFacility) -> libc::c_int {
    match facility {
        LogFacility::Daemon => libc::LOG_DAEMON,
        LogFacility::User => libc::LOG_USER,
        LogFacility::Local(n) => libc::LOG_LOCAL0 + (libc::c_int::from(n.min(7)) << 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: -S local3.
    // Output: LOG_LOCAL3.
    #[test]
    fn local_facilities_map_to_syslog_constants() {
        assert_eq!(facility(LogFacility::Local(3)), libc::LOG_LOCAL3);
        assert_eq!(facility(LogFacility::Daemon), libc::LOG_DAEMON);
    }
}
