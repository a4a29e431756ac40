//! Links: lookup, up/down, and macvlan creation/deletion for VMAC (spec §3.10).

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage, MacVlanMode};
use rtnetlink::{LinkMacVlan, LinkUnspec};

use super::Netlink;
use crate::error::{Error, Result};

/// What the daemon needs to know about an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// The interface index.
    pub index: u32,
    /// The interface name.
    pub name: String,
    /// `IFF_UP`: administratively up.
    pub admin_up: bool,
    /// `IFF_RUNNING`: operationally up (carrier).
    pub running: bool,
    /// The hardware address, for Ethernet-like links.
    pub mac: Option<[u8; 6]>,
    /// The parent link (`IFLA_LINK`), e.g. the base interface of a macvlan.
    pub parent: Option<u32>,
    /// The link group (`IFLA_GROUP`, `ip link set DEV group G`); 0 is the default group.
    pub group: u32,
}

impl LinkInfo {
    /// keepalived's notion of "interface up": `IFF_UP` and `IFF_RUNNING` both set; an
    /// instance on an interface that is not up goes to FAULT (spec §3.5).
    pub fn is_up(&self) -> bool {
        self.admin_up && self.running
    }

    pub(crate) fn from_message(message: &LinkMessage) -> LinkInfo {
        let flags = message.header.flags;
        let mut info = LinkInfo {
            index: message.header.index,
            name: String::new(),
            admin_up: flags.contains(LinkFlags::Up),
            running: flags.contains(LinkFlags::Running),
            mac: None,
            parent: None,
            group: 0,
        };
        for attribute in &message.attributes {
            match attribute {
                LinkAttribute::IfName(name) => info.name = name.clone(),
                LinkAttribute::Address(bytes) => {
                    info.mac = <[u8; 6]>::try_from(bytes.as_slice()).ok();
                }
                LinkAttribute::Link(parent) => info.parent = Some(*parent),
                LinkAttribute::Group(group) => info.group = *group,
                _ => {}
            }
        }
        info
    }
}

/// A macvlan interface to create (keepalived's VMAC: mode private on the instance
/// interface, MAC 00:00:5e:00:01:VRID, spec §3.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacvlanSpec {
    /// The new interface's name (e.g. `vrrp.51`).
    pub name: String,
    /// The interface it sits on.
    pub parent: u32,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// The link group to put it in (keepalived copies the parent's).
    pub link_group: Option<u32>,
}

impl Netlink {
    /// Lists every link.
    pub async fn links(&self) -> Result<Vec<LinkInfo>> {
        let answers = self
            .dump(
                "list links",
                RouteNetlinkMessage::GetLink(LinkMessage::default()),
            )
            .await?;
        Ok(answers
            .iter()
            .filter_map(|answer| match answer {
                RouteNetlinkMessage::NewLink(message) => Some(LinkInfo::from_message(message)),
                _ => None,
            })
            .collect())
    }

    /// The link named `name`, or `NoSuchInterface`.
    pub async fn link_by_name(&self, name: &str) -> Result<LinkInfo> {
        self.links()
            .await?
            .into_iter()
            .find(|link| link.name == name)
            .ok_or_else(|| Error::NoSuchInterface(name.to_string()))
    }

    /// Sets a link administratively up or down.
    pub async fn set_link_up(&self, index: u32, up: bool) -> Result<()> {
        let builder = LinkUnspec::new_with_index(index);
        let message = if up { builder.up() } else { builder.down() }.build();
        self.acknowledged("set link", RouteNetlinkMessage::SetLink(message))
            .await
    }

    /// Creates a macvlan in mode private on `spec.parent`, sets it up, and returns its
    /// index. Fails with errno `EEXIST` if the name is taken (keepalived then tries the
    /// next name, spec §3.10).
    pub async fn create_macvlan(&self, spec: &MacvlanSpec) -> Result<u32> {
        let mut builder = LinkMacVlan::new(&spec.name, spec.parent, MacVlanMode::Private)
            .address(spec.mac.to_vec())
            .up();
        if let Some(group) = spec.link_group {
            builder = builder.link_group(group);
        }
        self.create("add macvlan", RouteNetlinkMessage::NewLink(builder.build()))
            .await?;
        Ok(self.link_by_name(&spec.name).await?.index)
    }

    /// Deletes a link (a VMAC at shutdown, or a leftover of a crashed run).
    pub async fn delete_link(&self, index: u32) -> Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        self.acknowledged("delete link", RouteNetlinkMessage::DelLink(message))
            .await
    }
}
