//! `TCP_CHECK`: the service is up iff a TCP connection completes within `connect_timeout`
//! (spec §2.7). The connection is closed straight away with a reset
//! ([`crate::tcp_batch::close_with_reset`] says why). The daemon runs its TCP checks
//! through [`crate::TcpProber`]; this is the one-off form behind [`crate::run`].

use crate::ProbeRequest;
use crate::error::ProbeError;
use crate::socket::connect_tcp;

pub(crate) async fn check(request: &ProbeRequest) -> Result<(), ProbeError> {
    let stream = connect_tcp(request).await?;
    // Same close as TcpProber's: if SO_LINGER cannot be set, an ordinary close is fine.
    let _ = stream.set_zero_linger();
    Ok(())
}
