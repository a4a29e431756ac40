//! Interface addresses: keepalived's `virtual_ipaddress` / `static_ipaddress` entries.
//!
//! spec §2.6: `<IP>[/<prefix>] [brd <IP>] [dev <if>] [scope <scope>] [label <label>]
//! [peer <IP>] [home] [-nodad] [noprefixroute] [autojoin] [mngtmpaddr] [preferred_lft 0]`.

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, CacheInfo,
};

use super::{Netlink, family_of};
use crate::error::{Error, Result};

/// `ifa_valid` / `ifa_preferred` value meaning "forever".
const INFINITY_LIFETIME: u32 = u32::MAX;

/// The scope of an address (`scope` keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressScope {
    /// `global` (the default).
    #[default]
    Global,
    /// `site` (IPv6 only).
    Site,
    /// `link`.
    Link,
    /// `host`.
    Host,
    /// `nowhere`.
    Nowhere,
}

/// The per-address flags keepalived can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressOptions {
    /// `-nodad`: skip duplicate address detection (IPv6).
    pub nodad: bool,
    /// `noprefixroute`: do not add the prefix route.
    pub noprefixroute: bool,
    /// `home`: mobile IPv6 home address.
    pub home: bool,
    /// `mngtmpaddr`: manage temporary addresses from this one (IPv6).
    pub mngtmpaddr: bool,
    /// `autojoin`: join the multicast group the address names.
    pub autojoin: bool,
}

/// One address on one interface, as added, deleted and listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressSpec {
    /// The interface (`dev`).
    pub ifindex: u32,
    /// The address itself.
    pub address: IpAddr,
    /// The prefix length (keepalived's default is /32 or /128).
    pub prefix_len: u8,
    /// `peer`: the other end of a point-to-point address.
    pub peer: Option<IpAddr>,
    /// `brd`: the IPv4 broadcast address.
    pub broadcast: Option<Ipv4Addr>,
    /// `scope`.
    pub scope: AddressScope,
    /// `label` (IPv4; the kernel requires it to start with the interface name).
    pub label: Option<String>,
    /// The flags.
    pub options: AddressOptions,
    /// `preferred_lft`: seconds the address stays preferred (`Some(0)` makes it deprecated
    /// at once); `None` is forever.
    pub preferred_lifetime: Option<u32>,
}

impl AddressSpec {
    /// A plain address with no options: global scope, no label, no peer.
    pub fn new(ifindex: u32, address: IpAddr, prefix_len: u8) -> AddressSpec {
        AddressSpec {
            ifindex,
            address,
            prefix_len,
            peer: None,
            broadcast: None,
            scope: AddressScope::Global,
            label: None,
            options: AddressOptions::default(),
            preferred_lifetime: None,
        }
    }
}

impl Netlink {
    /// Adds the address; fails with errno `EEXIST` if it is already there.
    pub async fn add_address(&self, spec: &AddressSpec) -> Result<()> {
        let message = address_message(spec, true)?;
        self.create("add address", RouteNetlinkMessage::NewAddress(message))
            .await
    }

    /// Deletes the address; fails with errno `EADDRNOTAVAIL` if it is not there.
    pub async fn delete_address(&self, spec: &AddressSpec) -> Result<()> {
        let message = address_message(spec, false)?;
        self.acknowledged("delete address", RouteNetlinkMessage::DelAddress(message))
            .await
    }

    /// Lists the addresses of one interface (`Some(ifindex)`) or of all interfaces.
    ///
    /// A label equal to the interface's name is the kernel's default and is reported as
    /// `None`, so a listed address compares equal to the spec that added it.
    pub async fn addresses(&self, ifindex: Option<u32>) -> Result<Vec<AddressSpec>> {
        let names: std::collections::HashMap<u32, String> = self
            .links()
            .await?
            .into_iter()
            .map(|link| (link.index, link.name))
            .collect();
        let answers = self
            .dump(
                "list addresses",
                RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            )
            .await?;
        Ok(answers
            .into_iter()
            .filter_map(|answer| match answer {
                RouteNetlinkMessage::NewAddress(message) => parse_address(&message),
                _ => None,
            })
            .filter(|spec| ifindex.is_none_or(|index| spec.ifindex == index))
            .map(|mut spec| {
                if spec.label.as_ref() == names.get(&spec.ifindex) {
                    spec.label = None;
                }
                spec
            })
            .collect())
    }
}

fn address_message(spec: &AddressSpec, for_add: bool) -> Result<AddressMessage> {
    let maximum = if spec.address.is_ipv4() { 32 } else { 128 };
    if spec.prefix_len > maximum {
        return Err(Error::InvalidArgument(format!(
            "prefix length {} for {}",
            spec.prefix_len, spec.address
        )));
    }
    if let Some(peer) = spec.peer
        && peer.is_ipv4() != spec.address.is_ipv4()
    {
        return Err(Error::InvalidArgument(format!(
            "peer {peer} of another family than {}",
            spec.address
        )));
    }
    let mut message = AddressMessage::default();
    message.header.family = family_of(spec.address);
    message.header.prefix_len = spec.prefix_len;
    message.header.index = spec.ifindex;
    message.header.scope = match spec.scope {
        AddressScope::Global => netlink_packet_route::address::AddressScope::Universe,
        AddressScope::Site => netlink_packet_route::address::AddressScope::Site,
        AddressScope::Link => netlink_packet_route::address::AddressScope::Link,
        AddressScope::Host => netlink_packet_route::address::AddressScope::Host,
        AddressScope::Nowhere => netlink_packet_route::address::AddressScope::Nowhere,
    };
    // rtnetlink(7): IFA_LOCAL is the interface's own address, IFA_ADDRESS the peer on
    // point-to-point links (and the same as IFA_LOCAL otherwise).
    let attributes = &mut message.attributes;
    match (spec.address, spec.peer) {
        (local, Some(peer)) => {
            attributes.push(AddressAttribute::Local(local));
            attributes.push(AddressAttribute::Address(peer));
        }
        (IpAddr::V4(local), None) => {
            attributes.push(AddressAttribute::Local(IpAddr::V4(local)));
            attributes.push(AddressAttribute::Address(IpAddr::V4(local)));
        }
        (IpAddr::V6(local), None) => attributes.push(AddressAttribute::Address(IpAddr::V6(local))),
    }
    if let Some(label) = &spec.label {
        attributes.push(AddressAttribute::Label(label.clone()));
    }
    if !for_add {
        return Ok(message);
    }
    if let Some(broadcast) = spec.broadcast {
        attributes.push(AddressAttribute::Broadcast(broadcast));
    }
    let mut flags = AddressFlags::empty();
    let options = spec.options;
    for (set, flag) in [
        (options.nodad, AddressFlags::Nodad),
        (options.noprefixroute, AddressFlags::Noprefixroute),
        (options.home, AddressFlags::Homeaddress),
        (options.mngtmpaddr, AddressFlags::Managetempaddr),
        (options.autojoin, AddressFlags::Mcautojoin),
    ] {
        if set {
            flags |= flag;
        }
    }
    // The header holds the low 8 flag bits; IFA_FLAGS carries all 32 (noprefixroute and
    // autojoin live above bit 7).
    message.header.flags = AddressHeaderFlags::from_bits_retain(flags.bits() as u8);
    attributes.push(AddressAttribute::Flags(flags));
    if let Some(preferred) = spec.preferred_lifetime {
        let mut lifetimes = CacheInfo::default();
        lifetimes.ifa_preferred = preferred;
        lifetimes.ifa_valid = INFINITY_LIFETIME;
        attributes.push(AddressAttribute::CacheInfo(lifetimes));
    }
    Ok(message)
}

fn parse_address(message: &AddressMessage) -> Option<AddressSpec> {
    let mut local = None;
    let mut address = None;
    let mut spec = AddressSpec::new(
        message.header.index,
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        message.header.prefix_len,
    );
    let mut flags = AddressFlags::from_bits_retain(u32::from(message.header.flags.bits()));
    for attribute in &message.attributes {
        match attribute {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Label(label) => spec.label = Some(label.clone()),
            AddressAttribute::Broadcast(ip) => spec.broadcast = Some(*ip),
            AddressAttribute::Flags(all) => flags = *all,
            AddressAttribute::CacheInfo(info) if info.ifa_preferred != INFINITY_LIFETIME => {
                spec.preferred_lifetime = Some(info.ifa_preferred);
            }
            _ => {}
        }
    }
    match (local, address) {
        (Some(local), Some(address)) if local != address => {
            spec.address = local;
            spec.peer = Some(address);
        }
        (Some(ip), _) | (None, Some(ip)) => spec.address = ip,
        (None, None) => return None,
    }
    spec.scope = match message.header.scope {
        netlink_packet_route::address::AddressScope::Site => AddressScope::Site,
        netlink_packet_route::address::AddressScope::Link => AddressScope::Link,
        netlink_packet_route::address::AddressScope::Host => AddressScope::Host,
        netlink_packet_route::address::AddressScope::Nowhere => AddressScope::Nowhere,
        _ => AddressScope::Global,
    };
    spec.options = AddressOptions {
        nodad: flags.contains(AddressFlags::Nodad),
        noprefixroute: flags.contains(AddressFlags::Noprefixroute),
        home: flags.contains(AddressFlags::Homeaddress),
        mngtmpaddr: flags.contains(AddressFlags::Managetempaddr),
        autojoin: flags.contains(AddressFlags::Mcautojoin),
    };
    Some(spec)
}
