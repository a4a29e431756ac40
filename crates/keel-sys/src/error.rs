//! The one error type of keel-sys.

use std::io;

/// Everything an adapter can report. Each variant names the operation that failed so the
/// daemon can log it without extra context.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call failed; `operation` names it (e.g. `"setsockopt(IP_HDRINCL)"`).
    #[error("{operation}: {source}")]
    Io {
        /// What was attempted.
        operation: &'static str,
        /// The kernel's answer.
        #[source]
        source: io::Error,
    },
    /// An interface name was not found (or is not a valid interface name).
    #[error("no such interface: {0}")]
    NoSuchInterface(String),
    /// A caller-supplied value cannot be expressed to the kernel (e.g. an IPv6 group on an
    /// IPv4 socket, a packet too short to hold an IPv4 header).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The kernel answered a netlink request with an error.
    #[error("netlink {operation}: {message}")]
    Netlink {
        /// What was requested (e.g. `"add address"`).
        operation: &'static str,
        /// The kernel's errno (positive, e.g. `libc::EEXIST`), or 0 when the failure was in
        /// the transport rather than a kernel answer.
        errno: i32,
        /// The kernel's (or the transport's) error text.
        message: String,
    },
    /// A received message or file did not have the expected shape.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// Why it was rejected.
        detail: String,
    },
    /// The SMTP server answered with an unexpected reply code.
    #[error("SMTP {stage}: server replied {code}: {text}")]
    SmtpReply {
        /// The protocol step (`"HELO"`, `"MAIL FROM"`, …).
        stage: &'static str,
        /// The three-digit reply code (0 if the reply had none).
        code: u16,
        /// The reply text.
        text: String,
    },
    /// The `nft` program refused a ruleset (its message, then the script).
    #[error("nft: {0}")]
    Nft(String),
    /// A load-balancer op did not fit the state the backend holds (keel-lb's strict apply).
    #[error("load balancer state: {0}")]
    LbState(#[from] keel_lb::ApplyError),
    /// An operation did not complete in its time budget.
    #[error("{0} timed out")]
    TimedOut(&'static str),
}

/// The result type of keel-sys.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps the current `errno` for `operation`.
    pub(crate) fn last_os(operation: &'static str) -> Error {
        Error::Io {
            operation,
            source: io::Error::last_os_error(),
        }
    }

    /// The errno of a kernel netlink refusal (`libc::EEXIST`, `libc::ENOENT`, …), if this is one.
    ///
    /// The daemon uses it to treat "already there" on add and "already gone" on delete as
    /// success, as keepalived does when it re-applies its VIPs.
    pub fn netlink_errno(&self) -> Option<i32> {
        match self {
            Error::Netlink { errno, .. } if *errno != 0 => Some(*errno),
            _ => None,
        }
    }

    /// Wraps an `io::Error` for `operation`.
    pub(crate) fn io(operation: &'static str, source: io::Error) -> Error {
        Error::Io { operation, source }
    }
}
