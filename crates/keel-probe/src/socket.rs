//! Sockets with the common checker options applied: `bindto`/`bind_port`, `bind_if`
//! (`SO_BINDTODEVICE`) and `fwmark` (`SO_MARK`), as keepalived applies them to every
//! checker socket before connecting (spec §2.7).

use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use crate::ProbeRequest;
use crate::error::{ProbeError, within};

/// Connects a TCP stream to `request.target` within `connect_timeout`.
pub(crate) async fn connect_tcp(request: &ProbeRequest) -> Result<TcpStream, ProbeError> {
    let socket = match request.target {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(ProbeError::Setup)?;
    apply_options(&SockRef::from(&socket), request)?;
    if let Some(bind) = request.bind {
        socket.bind(bind).map_err(ProbeError::Setup)?;
    }
    within(request.connect_timeout, "connect", async {
        socket
            .connect(request.target)
            .await
            .map_err(ProbeError::Connect)
    })
    .await
}

/// A UDP socket bound and connected to `request.target`, so that ICMP errors for it are
/// reported on `recv` (that is how `UDP_CHECK` sees "port unreachable").
pub(crate) async fn connect_udp(request: &ProbeRequest) -> Result<UdpSocket, ProbeError> {
    let domain = Domain::for_address(request.target);
    let socket =
        Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).map_err(ProbeError::Setup)?;
    apply_options(&SockRef::from(&socket), request)?;
    if let Some(bind) = request.bind {
        socket.bind(&bind.into()).map_err(ProbeError::Setup)?;
    }
    socket.set_nonblocking(true).map_err(ProbeError::Setup)?;
    let socket = UdpSocket::from_std(socket.into()).map_err(ProbeError::Setup)?;
    socket
        .connect(request.target)
        .await
        .map_err(ProbeError::Connect)?;
    Ok(socket)
}

/// Applies `bind_if` and `fwmark` to any socket.
pub(crate) fn apply_options(
    socket: &SockRef<'_>,
    request: &ProbeRequest,
) -> Result<(), ProbeError> {
    if let Some(interface) = &request.bind_if {
        socket
            .bind_device(Some(interface.as_bytes()))
            .map_err(ProbeError::Setup)?;
    }
    if let Some(mark) = request.fwmark {
        socket.set_mark(mark).map_err(ProbeError::Setup)?;
    }
    Ok(())
}
