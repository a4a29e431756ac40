//! keel-lb's model ⇄ IPVS netlink attributes (spec §3.12).
//!
//! What keepalived's `libipvs` puts in each request, we put: the whole service (address
//! family, protocol/address/port or fwmark, scheduler, flags with a full mask, persistence
//! timeout and netmask, persistence engine) for NEW/SET_SERVICE, the identifying part alone
//! for DEL_SERVICE and around every destination request, and the whole destination
//! (address, port, forwarding method, weight, thresholds, address family, tunnel settings).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use keel_lb::{
    DestKey, Destination, Family, ForwardingMethod, Persistence, Protocol, Scheduler,
    SchedulerFlags, ServiceKey, ServiceSettings, TunnelChecksum, TunnelType,
};

use super::nla::{Request, attributes, be16_of, malformed, sized, str_of, u8_of, u16_of, u32_of};
use super::uapi::*;
use crate::error::Result;

/// Puts what identifies `key` (`IPVS_SVC_ATTR_AF` + protocol/address/port, or fwmark).
pub(crate) fn put_service_key(request: &mut Request, key: &ServiceKey) {
    request.put_u16(SVC_ATTR_AF, key.family().af());
    match *key {
        ServiceKey::Address {
            address,
            port,
            protocol,
        } => {
            request
                .put_u16(SVC_ATTR_PROTOCOL, u16::from(protocol.ip_protocol()))
                .put(SVC_ATTR_ADDR, &address_bytes(address))
                .put_be16(SVC_ATTR_PORT, port);
        }
        ServiceKey::Fwmark { mark, .. } => {
            request.put_u32(SVC_ATTR_FWMARK, mark);
        }
    }
}

/// Puts a whole service, as NEW_SERVICE and SET_SERVICE need it (the kernel refuses a
/// "full entry" without scheduler, flags, timeout and netmask).
pub(crate) fn put_service(request: &mut Request, key: &ServiceKey, settings: &ServiceSettings) {
    put_service_key(request, key);
    let persistence = settings
        .persistence
        .unwrap_or_else(|| Persistence::per_client(0, key.family()));
    let mut flags = settings.scheduler_flags.ipvs_bits();
    if settings.persistence.is_some() {
        flags |= SVC_F_PERSISTENT;
    }
    if settings.one_packet {
        flags |= SVC_F_ONEPACKET;
    }
    let mut flags_payload = [0u8; 8];
    flags_payload[..4].copy_from_slice(&flags.to_ne_bytes());
    flags_payload[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    request
        .put_str(SVC_ATTR_SCHED_NAME, settings.scheduler.name())
        .put(SVC_ATTR_FLAGS, &flags_payload)
        .put_u32(SVC_ATTR_TIMEOUT, persistence.timeout)
        .put(
            SVC_ATTR_NETMASK,
            &netmask_bytes(key.family(), persistence.netmask),
        );
    if let Some(engine) = &settings.persistence_engine {
        request.put_str(SVC_ATTR_PE_NAME, engine);
    }
}

/// Puts a destination: its key, and with `destination` its settings (NEW/SET_DEST); the
/// key alone is enough for DEL_DEST.
pub(crate) fn put_destination(
    request: &mut Request,
    dest: &DestKey,
    destination: Option<&Destination>,
) {
    request
        .put(DEST_ATTR_ADDR, &address_bytes(dest.address))
        .put_be16(DEST_ATTR_PORT, dest.port);
    let Some(destination) = destination else {
        return;
    };
    let method = match destination.method {
        ForwardingMethod::Nat => CONN_F_MASQ,
        ForwardingMethod::DirectRouting => CONN_F_DROUTE,
        ForwardingMethod::Tunnel { .. } => CONN_F_TUNNEL,
    };
    request
        .put_u32(DEST_ATTR_FWD_METHOD, method)
        .put_u32(DEST_ATTR_WEIGHT, destination.weight)
        .put_u32(DEST_ATTR_U_THRESH, destination.upper_threshold)
        .put_u32(DEST_ATTR_L_THRESH, destination.lower_threshold)
        .put_u16(DEST_ATTR_ADDR_FAMILY, Family::of(dest.address).af());
    if let ForwardingMethod::Tunnel { tunnel, checksum } = destination.method {
        let (kind, port) = match tunnel {
            TunnelType::Ipip => (TUNNEL_TYPE_IPIP, 0),
            TunnelType::Gue { port } => (TUNNEL_TYPE_GUE, port),
            TunnelType::Gre => (TUNNEL_TYPE_GRE, 0),
        };
        let flags = match checksum {
            TunnelChecksum::None => 0,
            TunnelChecksum::Checksum => TUNNEL_ENCAP_FLAG_CSUM,
            TunnelChecksum::Remote => TUNNEL_ENCAP_FLAG_REMCSUM,
        };
        request
            .put_u8(DEST_ATTR_TUN_TYPE, kind)
            .put_be16(DEST_ATTR_TUN_PORT, port)
            .put_u16(DEST_ATTR_TUN_FLAGS, flags);
    }
}

/// Reads the `IPVS_CMD_ATTR_SERVICE` nest of a GET_SERVICE dump message.
pub(crate) fn service_of(message: &[u8]) -> Result<(ServiceKey, ServiceSettings)> {
    let nest = nested(message, CMD_ATTR_SERVICE)?;
    let mut af = None;
    let mut protocol = 0u16;
    let mut address = None;
    let mut port = 0u16;
    let mut fwmark = 0u32;
    let mut scheduler = None;
    let mut flags = 0u32;
    let mut timeout = 0u32;
    let mut netmask = None;
    let mut engine = None;
    for attribute in attributes(nest) {
        let (kind, payload) = attribute?;
        match kind {
            SVC_ATTR_AF => af = Some(u16_of(kind, payload)?),
            SVC_ATTR_PROTOCOL => protocol = u16_of(kind, payload)?,
            SVC_ATTR_ADDR => address = Some(payload),
            SVC_ATTR_PORT => port = be16_of(kind, payload)?,
            SVC_ATTR_FWMARK => fwmark = u32_of(kind, payload)?,
            SVC_ATTR_SCHED_NAME => scheduler = Some(str_of(kind, payload)?),
            SVC_ATTR_FLAGS => flags = u32_of(kind, payload)?,
            SVC_ATTR_TIMEOUT => timeout = u32_of(kind, payload)?,
            SVC_ATTR_NETMASK => netmask = Some(sized::<4>(kind, payload)?),
            SVC_ATTR_PE_NAME => engine = Some(str_of(kind, payload)?),
            _ => {}
        }
    }
    let family = family_of(af.ok_or_else(|| malformed("service without family".into()))?)?;
    let key = if fwmark != 0 {
        ServiceKey::fwmark(fwmark, family)
    } else {
        let protocol = match protocol {
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            132 => Protocol::Sctp,
            other => return Err(malformed(format!("service protocol {other}"))),
        };
        let address = address_of(
            family,
            address.ok_or_else(|| malformed("service without address".into()))?,
        )?;
        ServiceKey::address(address, port, protocol)
    };
    let scheduler_name = scheduler.unwrap_or_default();
    let scheduler = scheduler_name
        .parse::<Scheduler>()
        .map_err(|_| malformed(format!("scheduler {scheduler_name:?}")))?;
    let persistence = (flags & SVC_F_PERSISTENT != 0).then(|| Persistence {
        timeout,
        netmask: netmask
            .map(|bytes| netmask_value(family, bytes))
            .unwrap_or_else(|| Persistence::per_client(0, family).netmask),
    });
    let settings = ServiceSettings {
        scheduler,
        scheduler_flags: SchedulerFlags {
            flag1: flags & 0x08 != 0,
            flag2: flags & 0x10 != 0,
            flag3: flags & 0x20 != 0,
        },
        persistence,
        one_packet: flags & SVC_F_ONEPACKET != 0,
        persistence_engine: engine.filter(|name| !name.is_empty()),
    };
    Ok((key, settings))
}

/// Reads the `IPVS_CMD_ATTR_DEST` nest of a GET_DEST dump message for a service of
/// `service_family`.
pub(crate) fn destination_of(
    message: &[u8],
    service_family: Family,
) -> Result<(DestKey, Destination)> {
    let nest = nested(message, CMD_ATTR_DEST)?;
    let mut address = None;
    let mut port = 0u16;
    let mut method = 0u32;
    let mut destination = Destination::default();
    let mut af = None;
    let mut tunnel_type = TUNNEL_TYPE_IPIP;
    let mut tunnel_port = 0u16;
    let mut tunnel_flags = 0u16;
    for attribute in attributes(nest) {
        let (kind, payload) = attribute?;
        match kind {
            DEST_ATTR_ADDR => address = Some(payload),
            DEST_ATTR_PORT => port = be16_of(kind, payload)?,
            DEST_ATTR_FWD_METHOD => method = u32_of(kind, payload)? & CONN_F_FWD_MASK,
            DEST_ATTR_WEIGHT => destination.weight = u32_of(kind, payload)?,
            DEST_ATTR_U_THRESH => destination.upper_threshold = u32_of(kind, payload)?,
            DEST_ATTR_L_THRESH => destination.lower_threshold = u32_of(kind, payload)?,
            DEST_ATTR_ADDR_FAMILY => af = Some(u16_of(kind, payload)?),
            DEST_ATTR_TUN_TYPE => tunnel_type = u8_of(kind, payload)?,
            DEST_ATTR_TUN_PORT => tunnel_port = be16_of(kind, payload)?,
            DEST_ATTR_TUN_FLAGS => tunnel_flags = u16_of(kind, payload)?,
            _ => {}
        }
    }
    // Kernels before 4.3 do not report the destination family: it is the service's.
    let family = match af {
        Some(number) => family_of(number)?,
        None => service_family,
    };
    let address = address_of(
        family,
        address.ok_or_else(|| malformed("destination without address".into()))?,
    )?;
    destination.method = match method {
        CONN_F_MASQ => ForwardingMethod::Nat,
        CONN_F_DROUTE => ForwardingMethod::DirectRouting,
        CONN_F_TUNNEL => ForwardingMethod::Tunnel {
            tunnel: match tunnel_type {
                TUNNEL_TYPE_IPIP => TunnelType::Ipip,
                TUNNEL_TYPE_GUE => TunnelType::Gue { port: tunnel_port },
                TUNNEL_TYPE_GRE => TunnelType::Gre,
                other => return Err(malformed(format!("tunnel type {other}"))),
            },
            checksum: if tunnel_flags & TUNNEL_ENCAP_FLAG_REMCSUM != 0 {
                TunnelChecksum::Remote
            } else if tunnel_flags & TUNNEL_ENCAP_FLAG_CSUM != 0 {
                TunnelChecksum::Checksum
            } else {
                TunnelChecksum::None
            },
        },
        other => return Err(malformed(format!("forwarding method {other}"))),
    };
    Ok((DestKey::new(address, port), destination))
}

/// The payload of the first top-level attribute `kind` of a message.
pub(crate) fn nested(message: &[u8], kind: u16) -> Result<&[u8]> {
    for attribute in attributes(message) {
        let (found, payload) = attribute?;
        if found == kind {
            return Ok(payload);
        }
    }
    Err(malformed(format!("attribute {kind} missing")))
}

fn family_of(number: u16) -> Result<Family> {
    match number {
        AF_INET => Ok(Family::Inet),
        AF_INET6 => Ok(Family::Inet6),
        other => Err(malformed(format!("address family {other}"))),
    }
}

/// `union nf_inet_addr`: 16 bytes, an IPv4 address in the first four (as ipvsadm sends it).
fn address_bytes(address: IpAddr) -> [u8; 16] {
    match address {
        IpAddr::V4(v4) => {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&v4.octets());
            bytes
        }
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn address_of(family: Family, payload: &[u8]) -> Result<IpAddr> {
    Ok(match family {
        Family::Inet => IpAddr::V4(Ipv4Addr::from(sized::<4>(0, payload)?)),
        Family::Inet6 => IpAddr::V6(Ipv6Addr::from(sized::<16>(0, payload)?)),
    })
}

// The kernel keeps an IPv4 persistence netmask as `__be32` (a mask in network order) and an
// IPv6 one as a prefix length in host order (ip_vs_ctl.c checks `netmask` 1..=128).
fn netmask_bytes(family: Family, netmask: u32) -> [u8; 4] {
    match family {
        Family::Inet => netmask.to_be_bytes(),
        Family::Inet6 => netmask.to_ne_bytes(),
    }
}

fn netmask_value(family: Family, bytes: [u8; 4]) -> u32 {
    match family {
        Family::Inet => u32::from_be_bytes(bytes),
        Family::Inet6 => u32::from_ne_bytes(bytes),
    }
}
