//! Policy routing rules: keepalived's `virtual_rules` / `static_rules` entries.
//!
//! spec §2.6: `from <IP>[/<len>] to <IP>[/<len>] [iif <if>] [oif <if>] [fwmark <m>[/<mask>]]
//! [preference <p>] table <t> | goto <p> | no_op | blackhole | unreachable | prohibit`.

use std::net::IpAddr;

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::rule::{RuleAction as KernelAction, RuleAttribute, RuleMessage};

use super::Netlink;
use crate::error::{Error, Result};

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    /// `table N` / `lookup N`: look the destination up in table N.
    Table(u32),
    /// `goto P`: jump to the rule with preference P.
    Goto(u32),
    /// `no_op` / `nop`: do nothing (a placeholder rule).
    Nop,
    /// `blackhole`: silently discard.
    Blackhole,
    /// `unreachable`: discard with ICMP unreachable.
    Unreachable,
    /// `prohibit`: discard with ICMP administratively prohibited.
    Prohibit,
}

/// One rule, as added and deleted. The family comes from `from`/`to`, or `ipv6` when
/// neither is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    /// `from PREFIX`.
    pub from: Option<(IpAddr, u8)>,
    /// `to PREFIX`.
    pub to: Option<(IpAddr, u8)>,
    /// For rules with neither `from` nor `to`: IPv6 if true, IPv4 otherwise.
    pub ipv6: bool,
    /// `iif NAME`.
    pub iif: Option<String>,
    /// `oif NAME`.
    pub oif: Option<String>,
    /// `fwmark MARK`.
    pub fwmark: Option<u32>,
    /// `/MASK` of `fwmark`.
    pub fwmask: Option<u32>,
    /// `preference` / `priority` / `pref`.
    pub priority: Option<u32>,
    /// The action.
    pub action: RuleAction,
}

impl RuleSpec {
    /// A rule with only an action; add selectors by setting fields.
    pub fn new(action: RuleAction) -> RuleSpec {
        RuleSpec {
            from: None,
            to: None,
            ipv6: false,
            iif: None,
            oif: None,
            fwmark: None,
            fwmask: None,
            priority: None,
            action,
        }
    }
}

impl Netlink {
    /// Adds the rule; fails with errno `EEXIST` if an identical rule exists.
    pub async fn add_rule(&self, spec: &RuleSpec) -> Result<()> {
        let message = rule_message(spec)?;
        self.create("add rule", RouteNetlinkMessage::NewRule(message))
            .await
    }

    /// Deletes the rule; fails with errno `ENOENT` if it is not there.
    pub async fn delete_rule(&self, spec: &RuleSpec) -> Result<()> {
        let message = rule_message(spec)?;
        self.acknowledged("delete rule", RouteNetlinkMessage::DelRule(message))
            .await
    }
}

fn rule_message(spec: &RuleSpec) -> Result<RuleMessage> {
    let v6 = match (spec.from, spec.to) {
        (Some((from, _)), Some((to, _))) if from.is_ipv4() != to.is_ipv4() => {
            return Err(Error::InvalidArgument(format!(
                "rule from {from} to {to} mixes families"
            )));
        }
        (Some((ip, _)), _) | (None, Some((ip, _))) => ip.is_ipv6(),
        (None, None) => spec.ipv6,
    };
    let maximum = if v6 { 128 } else { 32 };
    let mut message = RuleMessage::default();
    message.header.family = if v6 {
        netlink_packet_route::AddressFamily::Inet6
    } else {
        netlink_packet_route::AddressFamily::Inet
    };
    let attributes = &mut message.attributes;
    if let Some((ip, len)) = spec.from {
        if len > maximum {
            return Err(Error::InvalidArgument(format!("from {ip}/{len}")));
        }
        message.header.src_len = len;
        attributes.push(RuleAttribute::Source(ip));
    }
    if let Some((ip, len)) = spec.to {
        if len > maximum {
            return Err(Error::InvalidArgument(format!("to {ip}/{len}")));
        }
        message.header.dst_len = len;
        attributes.push(RuleAttribute::Destination(ip));
    }
    if let Some(name) = &spec.iif {
        attributes.push(RuleAttribute::Iifname(name.clone()));
    }
    if let Some(name) = &spec.oif {
        attributes.push(RuleAttribute::Oifname(name.clone()));
    }
    if let Some(mark) = spec.fwmark {
        attributes.push(RuleAttribute::FwMark(mark));
    }
    if let Some(mask) = spec.fwmask {
        attributes.push(RuleAttribute::FwMask(mask));
    }
    if let Some(priority) = spec.priority {
        attributes.push(RuleAttribute::Priority(priority));
    }
    message.header.action = match spec.action {
        RuleAction::Table(table) => {
            // The header holds 8 bits; FRA_TABLE carries the full id.
            message.header.table = u8::try_from(table).unwrap_or(252);
            attributes.push(RuleAttribute::Table(table));
            KernelAction::ToTable
        }
        RuleAction::Goto(target) => {
            attributes.push(RuleAttribute::Goto(target));
            KernelAction::Goto
        }
        RuleAction::Nop => KernelAction::Nop,
        RuleAction::Blackhole => KernelAction::Blackhole,
        RuleAction::Unreachable => KernelAction::Unreachable,
        RuleAction::Prohibit => KernelAction::Prohibit,
    };
    Ok(message)
}
