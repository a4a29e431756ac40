//! Why a probe failed. [`crate::run`] turns every error into `ProbeOutcome::Down` with the
//! error's text as the reason; the typed form is what [`crate::http::fetch`] returns to
//! `keel --genhash`.

use std::io;
use std::time::Duration;

/// One failed probe step.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A socket could not be created, bound, marked or tied to its interface.
    #[error("socket setup failed: {0}")]
    Setup(io::Error),
    /// The TCP connection was refused, reset or unreachable.
    #[error("connection failed: {0}")]
    Connect(io::Error),
    /// A step (connect, handshake, write, read) took longer than `connect_timeout`.
    #[error("timeout during {step} after {timeout:?}")]
    Timeout {
        /// Which step ran out of time ("connect", "HTTP read", ...).
        step: &'static str,
        /// The bound that was exceeded.
        timeout: Duration,
    },
    /// Reading or writing an established connection failed.
    #[error("{step} failed: {source}")]
    Io {
        /// The step that failed.
        step: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
    /// The TLS configuration or handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The peer answered, but not as the checker requires.
    #[error("{0}")]
    BadReply(String),
    /// The server closed the connection before a complete HTTP header arrived.
    #[error("no data received from remote webserver")]
    NoData,
}

/// Runs `future` bounded by `timeout`, naming `step` if it runs out.
pub(crate) async fn within<T>(
    timeout: Duration,
    step: &'static str,
    future: impl Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(ProbeError::Timeout { step, timeout }),
    }
}

/// Wraps an I/O error of an established connection.
pub(crate) fn io_error(step: &'static str) -> impl FnOnce(io::Error) -> ProbeError {
    move |source| ProbeError::Io { step, source }
}
