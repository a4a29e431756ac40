//! rtnetlink: addresses, routes, rules, links (macvlan for VMAC, ipvlan for `use_ipvlan`)
//! and the event monitor.
//!
//! [`Netlink`] is one request socket; requests are built here from typed specs (the VIP,
//! route and rule options of keepalived's config, spec §2.6) and acknowledged by the kernel
//! before the call returns. [`monitor::NetlinkMonitor`] is a separate socket subscribed to
//! link and address events.

pub mod address;
pub mod link;
pub mod monitor;
pub mod route;
pub mod rule;

use std::future::Future;

use futures_util::StreamExt;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::AsyncSocket;

use crate::error::{Error, Result};

pub use address::{AddressOptions, AddressScope, AddressSpec};
pub use link::{IpvlanFlag, IpvlanSpec, IpvlanState, LinkInfo, MacvlanSpec};
pub use monitor::{NetEvent, NetlinkMonitor};
pub use route::{NextHop, RouteKind, RouteScope, RouteSpec};
pub use rule::{RuleAction, RuleSpec};

/// The rtnetlink operations the daemon performs on VIPs, routes, rules and VMACs;
/// implemented by [`Netlink`] and by in-memory fakes in the daemon's tests. Every method
/// returns once the kernel has acknowledged (or refused) the change.
pub trait NetlinkApi {
    /// Adds an address; errno `EEXIST` if present.
    fn add_address(&self, spec: &AddressSpec) -> impl Future<Output = Result<()>> + Send;
    /// Deletes an address; errno `EADDRNOTAVAIL` if absent.
    fn delete_address(&self, spec: &AddressSpec) -> impl Future<Output = Result<()>> + Send;
    /// Lists addresses of one interface or all.
    fn addresses(
        &self,
        ifindex: Option<u32>,
    ) -> impl Future<Output = Result<Vec<AddressSpec>>> + Send;
    /// Adds a route; errno `EEXIST` if present.
    fn add_route(&self, spec: &RouteSpec) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a route; errno `ESRCH` if absent.
    fn delete_route(&self, spec: &RouteSpec) -> impl Future<Output = Result<()>> + Send;
    /// Adds a rule; errno `EEXIST` if present.
    fn add_rule(&self, spec: &RuleSpec) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a rule; errno `ENOENT` if absent.
    fn delete_rule(&self, spec: &RuleSpec) -> impl Future<Output = Result<()>> + Send;
    /// Lists links.
    fn links(&self) -> impl Future<Output = Result<Vec<LinkInfo>>> + Send;
    /// Creates a private-mode macvlan (VMAC) and returns its index.
    fn create_macvlan(&self, spec: &MacvlanSpec) -> impl Future<Output = Result<u32>> + Send;
    /// Deletes a link.
    fn delete_link(&self, index: u32) -> impl Future<Output = Result<()>> + Send;
}

impl NetlinkApi for Netlink {
    async fn add_address(&self, spec: &AddressSpec) -> Result<()> {
        Netlink::add_address(self, spec).await
    }
    async fn delete_address(&self, spec: &AddressSpec) -> Result<()> {
        Netlink::delete_address(self, spec).await
    }
    async fn addresses(&self, ifindex: Option<u32>) -> Result<Vec<AddressSpec>> {
        Netlink::addresses(self, ifindex).await
    }
    async fn add_route(&self, spec: &RouteSpec) -> Result<()> {
        Netlink::add_route(self, spec).await
    }
    async fn delete_route(&self, spec: &RouteSpec) -> Result<()> {
        Netlink::delete_route(self, spec).await
    }
    async fn add_rule(&self, spec: &RuleSpec) -> Result<()> {
        Netlink::add_rule(self, spec).await
    }
    async fn delete_rule(&self, spec: &RuleSpec) -> Result<()> {
        Netlink::delete_rule(self, spec).await
    }
    async fn links(&self) -> Result<Vec<LinkInfo>> {
        Netlink::links(self).await
    }
    async fn create_macvlan(&self, spec: &MacvlanSpec) -> Result<u32> {
        Netlink::create_macvlan(self, spec).await
    }
    async fn delete_link(&self, index: u32) -> Result<()> {
        Netlink::delete_link(self, index).await
    }
}

/// A route-netlink request socket in the network namespace where it was opened.
#[derive(Debug, Clone)]
pub struct Netlink {
    handle: rtnetlink::Handle,
}

/// A netlink socket's receive buffer (`vrrp_netlink_cmd_rcv_bufs` /
/// `vrrp_netlink_monitor_rcv_bufs` and their `_force`, spec §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveBuffer {
    /// The size asked for (the kernel doubles it for its bookkeeping).
    pub bytes: usize,
    /// `SO_RCVBUFFORCE`: root may exceed `net.core.rmem_max`; otherwise `SO_RCVBUF`, which
    /// the kernel caps there. A refused force falls back to the capped size.
    pub force: bool,
}

impl ReceiveBuffer {
    pub(crate) fn apply(self, socket: &impl std::os::fd::AsRawFd) -> Result<()> {
        crate::sys::set_buffer(socket, crate::sys::Buffer::Receive, self.bytes, self.force)
    }
}

impl Netlink {
    /// Opens the socket and spawns its I/O task on the current tokio runtime. Call it inside
    /// a runtime, on a thread in the namespace to manage.
    pub fn open() -> Result<Netlink> {
        Netlink::open_with(None)
    }

    /// Like [`Netlink::open`], with `buffer` as the socket's receive buffer when given.
    pub fn open_with(buffer: Option<ReceiveBuffer>) -> Result<Netlink> {
        let (mut connection, handle, _unsolicited) =
            rtnetlink::new_connection().map_err(|e| Error::io("socket(NETLINK_ROUTE)", e))?;
        if let Some(buffer) = buffer {
            buffer.apply(connection.socket_mut().socket_mut())?;
        }
        tokio::spawn(connection);
        Ok(Netlink { handle })
    }

    /// Sends a create request (`NLM_F_CREATE | NLM_F_EXCL`) and waits for the kernel's ack.
    pub(crate) async fn create(
        &self,
        operation: &'static str,
        message: RouteNetlinkMessage,
    ) -> Result<()> {
        self.exchange(operation, message, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            .await
            .map(|_| ())
    }

    /// Sends a delete (or set) request and waits for the kernel's ack.
    pub(crate) async fn acknowledged(
        &self,
        operation: &'static str,
        message: RouteNetlinkMessage,
    ) -> Result<()> {
        self.exchange(operation, message, NLM_F_ACK)
            .await
            .map(|_| ())
    }

    /// Sends a dump request and collects every answer.
    pub(crate) async fn dump(
        &self,
        operation: &'static str,
        message: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        self.exchange(operation, message, NLM_F_DUMP).await
    }

    async fn exchange(
        &self,
        operation: &'static str,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        let mut request = NetlinkMessage::from(message);
        request.header.flags = NLM_F_REQUEST | flags;
        let mut handle = self.handle.clone();
        let mut responses = handle.request(request).map_err(|e| Error::Netlink {
            operation,
            errno: 0,
            message: e.to_string(),
        })?;
        let mut answers = Vec::new();
        while let Some(response) = responses.next().await {
            match response.payload {
                NetlinkPayload::Error(error) if error.code.is_some() => {
                    return Err(Error::Netlink {
                        operation,
                        errno: error.raw_code().abs(),
                        message: error.to_string(),
                    });
                }
                NetlinkPayload::InnerMessage(inner) => answers.push(inner),
                _ => {}
            }
        }
        Ok(answers)
    }
}

/// The address family of an address, as rtnetlink spells it.
pub(crate) fn family_of(address: std::net::IpAddr) -> netlink_packet_route::AddressFamily {
    match address {
        std::net::IpAddr::V4(_) => netlink_packet_route::AddressFamily::Inet,
        std::net::IpAddr::V6(_) => netlink_packet_route::AddressFamily::Inet6,
    }
}
