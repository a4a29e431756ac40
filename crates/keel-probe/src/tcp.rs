//! `TCP_CHECK`: the service is up iff a TCP connection completes within `connect_timeout`
//! (spec §2.7). The connection is closed straight away, as keepalived does.

use crate::ProbeRequest;
use crate::error::ProbeError;
use crate::socket::connect_tcp;

pub(crate) async fn check(request: &ProbeRequest) -> Result<(), ProbeError> {
    connect_tcp(request).await.map(drop)
}
