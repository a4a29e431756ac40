//! What the [`TcpProber`] tests share (`tcp_prober.rs` on loopback, `tcp_syn.rs` between
//! namespaces): a `TCP_CHECK` request, the daemon-like loop that drives a prober until its
//! results are in, and the check of a "down" verdict's reason.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use keel_probe::{ProbeOutcome, ProbeRequest, ProbeSpec, TcpProber};

/// A `TCP_CHECK` of `target` with `connect_timeout` `timeout`.
pub fn request(target: SocketAddr, timeout: Duration) -> ProbeRequest {
    let mut request = ProbeRequest::new(ProbeSpec::Tcp, target);
    request.connect_timeout = timeout;
    request
}

/// Drives `prober` until `count` results are in, as the daemon's loop does: wait for
/// readiness or the next deadline, then take the results. Returns them sorted by key;
/// panics if they are not all in within `limit`.
pub async fn drive(
    prober: &mut TcpProber<u32>,
    count: usize,
    limit: Duration,
) -> Vec<(u32, ProbeOutcome)> {
    let drive = async {
        let mut out = Vec::new();
        while out.len() < count {
            let deadline = prober
                .poll_timeout()
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(60));
            tokio::select! {
                ready = prober.ready() => {
                    ready.expect("epoll set readable");
                    prober.collect();
                }
                _ = tokio::time::sleep_until(deadline) => prober.handle_timeout(Instant::now()),
            }
            while let Some(result) = prober.poll_result() {
                out.push(result);
            }
        }
        out.sort_by_key(|(key, _)| *key);
        out
    };
    tokio::time::timeout(limit, drive)
        .await
        .unwrap_or_else(|_| panic!("every check reports within {} s", limit.as_secs_f64()))
}

/// Asserts that `outcome` is down with a reason that contains `reason_part`.
pub fn assert_down(outcome: &ProbeOutcome, reason_part: &str) {
    match outcome {
        ProbeOutcome::Down { reason } => assert!(
            reason.contains(reason_part),
            "reason {reason:?} should mention {reason_part:?}"
        ),
        other => panic!("expected down ({reason_part}), got {other:?}"),
    }
}
