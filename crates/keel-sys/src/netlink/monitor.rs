//! The netlink event monitor: link up/down and address add/remove, as they happen.
//!
//! keepalived reacts to these: an instance interface going down means FAULT (spec §3.5), and
//! a VIP removed by someone else while MASTER is re-added (issue 4, part 2). The monitor
//! only reports; deciding is the engine's job.

use std::net::IpAddr;

use futures_channel::mpsc::UnboundedReceiver;
use futures_util::StreamExt;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_sys::{AsyncSocket, SocketAddr};
use rtnetlink::MulticastGroup;

use super::ReceiveBuffer;
use super::link::LinkInfo;
use crate::error::{Error, Result};

/// The monitor's default receive buffer.
const DEFAULT_RECEIVE_BUFFER: usize = 4 << 20;

/// One change reported by the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A link appeared or changed; `link.is_up()` is keepalived's up/down verdict. Sent on
    /// every change, so the receiver compares with what it knew.
    Link(LinkInfo),
    /// A link was deleted.
    LinkRemoved {
        /// Its former index.
        index: u32,
        /// Its former name.
        name: String,
    },
    /// An address was added to an interface.
    AddressAdded {
        /// The interface.
        ifindex: u32,
        /// The (local) address.
        address: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// The kernel dropped events because the socket's receive buffer was full: the
    /// receiver's picture may be stale and should be rebuilt by listing links and
    /// addresses ([`crate::netlink::Netlink::links`], [`crate::netlink::Netlink::addresses`]).
    Overrun,
    /// An address was removed from an interface (by us or by someone else).
    AddressRemoved {
        /// The interface.
        ifindex: u32,
        /// The (local) address.
        address: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
}

type Messages = UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>;

/// A netlink socket subscribed to link, IPv4 address and IPv6 address events.
#[derive(Debug)]
pub struct NetlinkMonitor {
    messages: Messages,
}

impl NetlinkMonitor {
    /// Subscribes with a 4 MiB receive buffer (a reload adding hundreds of VIPs at once
    /// must not overrun it); events that happen after this call are reported. Call it inside
    /// a tokio runtime, on a thread in the namespace to watch.
    pub fn open() -> Result<NetlinkMonitor> {
        NetlinkMonitor::open_with_buffer(DEFAULT_RECEIVE_BUFFER)
    }

    /// Like [`NetlinkMonitor::open`] with a receive buffer of `bytes` (the kernel may round
    /// it up to its minimum), forced past `net.core.rmem_max` when allowed.
    pub fn open_with_buffer(bytes: usize) -> Result<NetlinkMonitor> {
        NetlinkMonitor::open_with(ReceiveBuffer { bytes, force: true })
    }

    /// Like [`NetlinkMonitor::open`] with `buffer` as the receive buffer.
    pub fn open_with(buffer: ReceiveBuffer) -> Result<NetlinkMonitor> {
        let (mut connection, _handle, messages) = rtnetlink::new_multicast_connection(&[
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ])
        .map_err(|e| Error::io("socket(NETLINK_ROUTE) with groups", e))?;
        buffer.apply(connection.socket_mut().socket_mut())?;
        tokio::spawn(connection);
        Ok(NetlinkMonitor { messages })
    }

    /// The buffer [`NetlinkMonitor::open`] asks for.
    pub const DEFAULT_BUFFER: ReceiveBuffer = ReceiveBuffer {
        bytes: DEFAULT_RECEIVE_BUFFER,
        force: true,
    };

    /// Waits for the next event; `None` once the socket is closed. Messages that are not
    /// link or address events are skipped.
    pub async fn next(&mut self) -> Option<NetEvent> {
        loop {
            let (message, _) = self.messages.next().await?;
            let inner = match message.payload {
                NetlinkPayload::InnerMessage(inner) => inner,
                NetlinkPayload::Overrun(_) => return Some(NetEvent::Overrun),
                _ => continue,
            };
            if let Some(event) = event_of(inner) {
                return Some(event);
            }
        }
    }
}

fn event_of(message: RouteNetlinkMessage) -> Option<NetEvent> {
    match message {
        RouteNetlinkMessage::NewLink(link) => Some(NetEvent::Link(LinkInfo::from_message(&link))),
        RouteNetlinkMessage::DelLink(link) => {
            let info = LinkInfo::from_message(&link);
            Some(NetEvent::LinkRemoved {
                index: info.index,
                name: info.name,
            })
        }
        RouteNetlinkMessage::NewAddress(address) => {
            let (ifindex, address, prefix_len) = address_of(&address)?;
            Some(NetEvent::AddressAdded {
                ifindex,
                address,
                prefix_len,
            })
        }
        RouteNetlinkMessage::DelAddress(address) => {
            let (ifindex, address, prefix_len) = address_of(&address)?;
            Some(NetEvent::AddressRemoved {
                ifindex,
                address,
                prefix_len,
            })
        }
        _ => None,
    }
}

fn address_of(message: &AddressMessage) -> Option<(u32, IpAddr, u8)> {
    // IFA_LOCAL is our address when present (IPv4, point-to-point); else IFA_ADDRESS.
    let mut local = None;
    let mut address = None;
    for attribute in &message.attributes {
        match attribute {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            _ => {}
        }
    }
    Some((
        message.header.index,
        local.or(address)?,
        message.header.prefix_len,
    ))
}
