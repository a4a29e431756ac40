//! Links: lookup, up/down, and the creation/deletion of a VMAC's macvlan and of
//! `use_ipvlan`'s ipvlan (spec §3.10).

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoIpVlan, InfoKind, IpVlanFlags, IpVlanMode, LinkAttribute, LinkFlags,
    LinkInfo as NetlinkLinkInfo, LinkMessage, MacVlanMode,
};
use rtnetlink::{LinkIpVlan, LinkMacVlan, LinkMessageBuilder, LinkUnspec};

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
    /// For an ipvlan (`IFLA_INFO_KIND` "ipvlan"), its mode and flag.
    pub ipvlan: Option<IpvlanState>,
}

/// The ipvlan flag (`IFLA_IPVLAN_FLAGS`, the kernel's `IPVLAN_F_*`). The kernel keeps one
/// per parent: creating or changing an ipvlan sets it for every ipvlan on that parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpvlanFlag {
    /// No flag: ipvlans on one parent reach each other directly.
    Bridge,
    /// `IPVLAN_F_PRIVATE`: ipvlans on one parent cannot reach each other.
    Private,
    /// `IPVLAN_F_VEPA`: traffic between ipvlans leaves through the parent.
    Vepa,
}

impl IpvlanFlag {
    fn bits(self) -> IpVlanFlags {
        match self {
            IpvlanFlag::Bridge => IpVlanFlags::empty(),
            IpvlanFlag::Private => IpVlanFlags::Private,
            IpvlanFlag::Vepa => IpVlanFlags::Vepa,
        }
    }

    fn from_bits(bits: IpVlanFlags) -> Option<IpvlanFlag> {
        [IpvlanFlag::Bridge, IpvlanFlag::Private, IpvlanFlag::Vepa]
            .into_iter()
            .find(|flag| flag.bits() == bits)
    }
}

/// An ipvlan's mode and flag as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpvlanState {
    /// Mode L2 (`IPVLAN_MODE_L2`), the only mode keepalived uses; false for L3/L3S.
    pub l2: bool,
    /// The flag; `None` for a combination the kernel does not make.
    pub flag: Option<IpvlanFlag>,
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
            ipvlan: None,
        };
        for attribute in &message.attributes {
            match attribute {
                LinkAttribute::IfName(name) => info.name = name.clone(),
                LinkAttribute::LinkInfo(parts) => info.ipvlan = ipvlan_state(parts),
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

/// An ipvlan to create for `use_ipvlan` (spec §3.10): mode L2 on the instance interface,
/// sharing its MAC; keepalived 2.2.7's `netlink_link_add_ipvlan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvlanSpec {
    /// The new interface's name (e.g. `vrrp.51`).
    pub name: String,
    /// The interface it sits on.
    pub parent: u32,
    /// `bridge`, `private` or `vepa`.
    pub flag: IpvlanFlag,
    /// The link group to put it in (`use_ipvlan ... group G`).
    pub link_group: Option<u32>,
}

/// The `RTM_NEWLINK` body that creates `spec`'s ipvlan: `IFLA_LINK` the parent,
/// `IFLA_INFO_KIND` "ipvlan" with `IFLA_IPVLAN_MODE` L2 and `IFLA_IPVLAN_FLAGS`, and
/// `IFLA_GROUP` when a group is given. It is created down, as keepalived 2.2.7 creates it,
/// so that IPv6 can be switched off before it comes up (no link-local, DAD or MLD report).
fn ipvlan_message(spec: &IpvlanSpec) -> LinkMessage {
    let mut builder =
        LinkIpVlan::new(&spec.name, spec.parent, IpVlanMode::L2).flag(spec.flag.bits());
    if let Some(group) = spec.link_group {
        builder = builder.link_group(group);
    }
    builder.build()
}

/// The `RTM_NEWLINK` body that sets an existing ipvlan's mode to L2 and its flag to `flag`
/// (the kernel's `ipvlan_nl_changelink`).
fn ipvlan_change_message(index: u32, flag: IpvlanFlag) -> LinkMessage {
    LinkMessageBuilder::<LinkIpVlan>::new_with_info_kind(InfoKind::IpVlan)
        .index(index)
        .mode(IpVlanMode::L2)
        .flag(flag.bits())
        .build()
}

/// The ipvlan mode and flag in a link's `IFLA_LINKINFO`, if it is an ipvlan.
fn ipvlan_state(parts: &[NetlinkLinkInfo]) -> Option<IpvlanState> {
    let is_ipvlan = parts
        .iter()
        .any(|part| matches!(part, NetlinkLinkInfo::Kind(InfoKind::IpVlan)));
    if !is_ipvlan {
        return None;
    }
    // The kernel reports both attributes; absent ones are the kernel's defaults (L3, no flag).
    let mut state = IpvlanState {
        l2: false,
        flag: Some(IpvlanFlag::Bridge),
    };
    for part in parts {
        if let NetlinkLinkInfo::Data(InfoData::IpVlan(data)) = part {
            for item in data {
                match item {
                    InfoIpVlan::Mode(mode) => state.l2 = *mode == IpVlanMode::L2,
                    InfoIpVlan::Flags(bits) => state.flag = IpvlanFlag::from_bits(*bits),
                    _ => {}
                }
            }
        }
    }
    Some(state)
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

    /// The link whose index is `index`, asked of the kernel alone (no dump); errno
    /// `ENODEV` when there is none (it was deleted).
    pub async fn link(&self, index: u32) -> Result<LinkInfo> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        // A plain request: the kernel answers with the one link, or an error.
        let answers = self
            .exchange("get link", RouteNetlinkMessage::GetLink(message), 0)
            .await?;
        answers
            .iter()
            .find_map(|answer| match answer {
                RouteNetlinkMessage::NewLink(message) => Some(LinkInfo::from_message(message)),
                _ => None,
            })
            .ok_or_else(|| Error::NoSuchInterface(format!("index {index}")))
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

    /// Creates an ipvlan in mode L2 on `spec.parent`, down, and returns its index. Fails
    /// with errno `EEXIST` if the name is taken.
    pub async fn create_ipvlan(&self, spec: &IpvlanSpec) -> Result<u32> {
        self.create(
            "add ipvlan",
            RouteNetlinkMessage::NewLink(ipvlan_message(spec)),
        )
        .await?;
        Ok(self.link_by_name(&spec.name).await?.index)
    }

    /// Makes the existing ipvlan `index` mode L2 with `flag` (an ipvlan keel takes over
    /// rather than creates).
    pub async fn set_ipvlan(&self, index: u32, flag: IpvlanFlag) -> Result<()> {
        self.acknowledged(
            "set ipvlan",
            RouteNetlinkMessage::SetLink(ipvlan_change_message(index, flag)),
        )
        .await
    }

    /// Deletes a link (a VMAC at shutdown, or a leftover of a crashed run).
    pub async fn delete_link(&self, index: u32) -> Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        self.acknowledged("delete link", RouteNetlinkMessage::DelLink(message))
            .await
    }
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{Emitable, Parseable};

    use super::*;

    /// `message` as the kernel would read it, and parsed back as a dump answer would be.
    fn on_the_wire(message: &LinkMessage) -> (Vec<u8>, LinkMessage) {
        let mut bytes = vec![0; message.buffer_len()];
        message.emit(&mut bytes);
        let parsed = LinkMessage::parse(bytes.as_slice()).expect("parses back");
        (bytes, parsed)
    }

    /// The `IFLA_INFO_DATA` of an ipvlan message, as (type, u16 value) pairs.
    fn info_data(message: &LinkMessage) -> Vec<(u16, u16)> {
        use netlink_packet_core::Nla;
        message
            .attributes
            .iter()
            .filter_map(|attribute| match attribute {
                LinkAttribute::LinkInfo(parts) => Some(parts),
                _ => None,
            })
            .flatten()
            .filter_map(|part| match part {
                NetlinkLinkInfo::Data(InfoData::IpVlan(items)) => Some(items),
                _ => None,
            })
            .flatten()
            .map(|item| {
                let mut value = vec![0; item.value_len()];
                item.emit_value(&mut value);
                (item.kind(), u16::from_ne_bytes([value[0], value[1]]))
            })
            .collect()
    }

    // Input: `use_ipvlan ipvl0 ... private group 9` on parent index 4.
    // Output: what keepalived's netlink_link_add_ipvlan sends: IFLA_LINK 4, IFLA_IFNAME
    // "ipvl0", kind "ipvlan" with IFLA_IPVLAN_MODE (1) = IPVLAN_MODE_L2 (0) and
    // IFLA_IPVLAN_FLAGS (2) = IPVLAN_F_PRIVATE (1), plus IFLA_GROUP 9 and IFF_UP; the kernel
    // reads the same message back. It is not set up (IPv6 is set first).
    #[test]
    fn creation_message_is_an_l2_ipvlan_with_the_flag_and_group() {
        let spec = IpvlanSpec {
            name: "ipvl0".into(),
            parent: 4,
            flag: IpvlanFlag::Private,
            link_group: Some(9),
        };
        let (_, message) = on_the_wire(&ipvlan_message(&spec));
        let attributes = &message.attributes;
        assert!(
            attributes.contains(&LinkAttribute::Link(4)),
            "{attributes:?}"
        );
        assert!(attributes.contains(&LinkAttribute::IfName("ipvl0".into())));
        assert!(attributes.contains(&LinkAttribute::Group(9)));
        assert!(!message.header.flags.contains(LinkFlags::Up));
        assert_eq!(info_data(&message), [(1, 0), (2, 1)]);
        assert_eq!(
            LinkInfo::from_message(&message).ipvlan,
            Some(IpvlanState {
                l2: true,
                flag: Some(IpvlanFlag::Private)
            })
        );
    }

    // Input: the default flag and vepa, no group.
    // Output: IFLA_IPVLAN_FLAGS 0 (bridge: sent, not left out) and 2 (IPVLAN_F_VEPA); no
    // IFLA_GROUP.
    #[test]
    fn bridge_is_flags_zero_and_vepa_is_two() {
        for (flag, bits) in [(IpvlanFlag::Bridge, 0), (IpvlanFlag::Vepa, 2)] {
            let spec = IpvlanSpec {
                name: "vrrp.51".into(),
                parent: 2,
                flag,
                link_group: None,
            };
            let (_, message) = on_the_wire(&ipvlan_message(&spec));
            assert_eq!(info_data(&message), [(1, 0), (2, bits)], "{flag:?}");
            assert!(
                !message
                    .attributes
                    .iter()
                    .any(|a| matches!(a, LinkAttribute::Group(_)))
            );
        }
    }

    // Input: a change of ipvlan 7 to vepa.
    // Output: addressed by index 7, no name or parent, mode L2 and flag vepa.
    #[test]
    fn change_message_addresses_the_link_by_index() {
        let (_, message) = on_the_wire(&ipvlan_change_message(7, IpvlanFlag::Vepa));
        assert_eq!(message.header.index, 7);
        assert!(
            !message
                .attributes
                .iter()
                .any(|a| matches!(a, LinkAttribute::IfName(_) | LinkAttribute::Link(_)))
        );
        assert_eq!(info_data(&message), [(1, 0), (2, 2)]);
    }

    // Input: link messages for an L3 ipvlan, a macvlan, and a link without IFLA_LINKINFO.
    // Output: the ipvlan reported as not L2; the others as no ipvlan at all.
    #[test]
    fn only_ipvlans_report_an_ipvlan_state() {
        let l3 = LinkIpVlan::new("ipv3", 2, IpVlanMode::L3).build();
        assert_eq!(
            LinkInfo::from_message(&on_the_wire(&l3).1).ipvlan,
            Some(IpvlanState {
                l2: false,
                flag: Some(IpvlanFlag::Bridge)
            })
        );
        let macvlan = LinkMacVlan::new("vrrp.51", 2, MacVlanMode::Private).build();
        assert_eq!(
            LinkInfo::from_message(&on_the_wire(&macvlan).1).ipvlan,
            None
        );
        let plain = LinkUnspec::new_with_index(3).build();
        assert_eq!(LinkInfo::from_message(&on_the_wire(&plain).1).ipvlan, None);
    }
}
