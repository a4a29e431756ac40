//! Adverts on the wire: one raw socket per (interface, family) (plus an AH socket where an
//! instance uses `auth_type AH`), decoding received bytes into the engine's
//! [`ReceivedAdvert`] and encoding its [`OutgoingAdvert`]s (spec §3.1, §3.2).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use keel_sys::socket::{AdvertSocket, IpProtocol, Received, VrrpSocketV4, VrrpSocketV6};
use keel_vrrp::{
    AhStatus, Authentication, ChecksumStatus, Family, MalformedKind, OutgoingAdvert,
    ReceivedAdvert, ReceivedAuth, Version,
};
use keel_wire::advert::{AhKey, Ipv4Advert, Ipv4Envelope, emit_ipv4};
use keel_wire::vrrp::{self as wire, ChecksumMode, ChecksumVariant, Endpoints};
use tokio::sync::mpsc::UnboundedSender;

use super::Event;

/// `SIOCGSTAMPNS` (linux/sockios.h, 0x8907; the libc crate does not export it). On 64-bit
/// targets it fills a `struct timespec` of the native layout.
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;

/// The largest datagram read: an IPv4 header with options, AH, and 255 IPv6 addresses fit.
const RECEIVE_BUFFER: usize = 4096;

/// A raw VRRP socket of either family.
#[derive(Debug)]
pub enum Socket {
    /// IPv4, full datagrams (`IP_HDRINCL`).
    V4(VrrpSocketV4),
    /// IPv6, VRRP payloads.
    V6(VrrpSocketV6),
}

impl Socket {
    /// When the kernel received the last packet read from this socket (`SIOCGSTAMPNS`), as
    /// an [`Instant`](std::time::Instant); `None` for the first packet (the ioctl turns
    /// timestamping on) or when the kernel has none.
    fn kernel_receive_time(&self) -> Option<std::time::Instant> {
        use std::os::fd::AsRawFd;
        let fd = match self {
            Socket::V4(socket) => socket.as_raw_fd(),
            Socket::V6(socket) => socket.as_raw_fd(),
        };
        let mut stamp = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: SIOCGSTAMPNS writes one timespec into `stamp`, which outlives the call.
        if unsafe { libc::ioctl(fd, SIOCGSTAMPNS, &mut stamp) } < 0 {
            return None;
        }
        let stamp = std::time::UNIX_EPOCH
            .checked_add(Duration::new(stamp.tv_sec as u64, stamp.tv_nsec as u32))?;
        let age = std::time::SystemTime::now().duration_since(stamp).ok()?;
        // A stale or implausible stamp (clock stepped) is worse than none.
        (age < Duration::from_secs(1)).then(|| std::time::Instant::now() - age)
    }

    async fn recv(&self, buf: &mut [u8]) -> keel_sys::Result<Received> {
        match self {
            Socket::V4(socket) => socket.recv(buf).await,
            Socket::V6(socket) => socket.recv(buf).await,
        }
    }

    fn join(&self, group: IpAddr) -> keel_sys::Result<()> {
        match self {
            Socket::V4(socket) => socket.join(group),
            Socket::V6(socket) => socket.join(group),
        }
    }
}

/// The sockets of one (interface, family).
#[derive(Debug)]
pub struct Endpoint {
    /// Interface name.
    pub interface: String,
    /// Address family.
    pub family: Family,
    vrrp: Arc<Socket>,
    ah: Option<Arc<Socket>>,
    joined: Vec<IpAddr>,
    /// IPv4 identification of the next advert; keepalived increments it, skipping 0.
    ident: u16,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Endpoint {
    /// Opens the sockets for `interface`/`family` (`with_ah`: also protocol 51) and starts
    /// their receive tasks, which forward every packet to `events`.
    pub fn open(
        interface: &str,
        family: Family,
        source: Option<IpAddr>,
        with_ah: bool,
        events: &UnboundedSender<Event>,
    ) -> keel_sys::Result<Endpoint> {
        let open = |protocol| -> keel_sys::Result<Arc<Socket>> {
            Ok(Arc::new(match family {
                Family::Ipv4 => Socket::V4(VrrpSocketV4::open(interface, protocol)?),
                Family::Ipv6 => {
                    let mut socket = VrrpSocketV6::open(interface, protocol)?;
                    // spec §3.1: IPv6 adverts come from the link-local (or configured) address.
                    socket.set_source(match source {
                        Some(IpAddr::V6(address)) => Some(address),
                        _ => None,
                    });
                    Socket::V6(socket)
                }
            }))
        };
        let vrrp = open(IpProtocol::Vrrp)?;
        let ah = if with_ah && family == Family::Ipv4 {
            Some(open(IpProtocol::Ah)?)
        } else {
            None
        };
        let mut endpoint = Endpoint {
            interface: interface.to_string(),
            family,
            vrrp,
            ah,
            joined: Vec::new(),
            ident: 1,
            tasks: Vec::new(),
        };
        let sockets: Vec<Arc<Socket>> = std::iter::once(endpoint.vrrp.clone())
            .chain(endpoint.ah.clone())
            .collect();
        for socket in sockets {
            let events = events.clone();
            let interface = interface.to_string();
            endpoint.tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; RECEIVE_BUFFER];
                loop {
                    match socket.recv(&mut buf).await {
                        Ok(received) => {
                            let event = Event::Packet {
                                interface: interface.clone(),
                                family,
                                bytes: buf[..received.len.min(buf.len())].to_vec(),
                                received,
                                // The down timer restarts from here, not from when the
                                // loop gets to the packet (RFC 5798 §6.4.2).
                                at: socket
                                    .kernel_receive_time()
                                    .unwrap_or_else(std::time::Instant::now),
                            };
                            if events.send(event).is_err() {
                                return;
                            }
                        }
                        Err(error) => {
                            super::log::warn(&format!("receive on {interface}: {error}"));
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }));
        }
        Ok(endpoint)
    }

    /// Joins `group` unless already a member (224.0.0.18, ff02::12 or `mcast_dst_ip`).
    pub fn join(&mut self, group: IpAddr) -> keel_sys::Result<()> {
        if self.joined.contains(&group) {
            return Ok(());
        }
        self.vrrp.join(group)?;
        if let Some(ah) = &self.ah {
            ah.join(group)?;
        }
        self.joined.push(group);
        Ok(())
    }

    /// Sends `advert` to each of its destinations. `unicast_ttl` applies to unicast
    /// destinations; `ah_sequence` is the AH sequence number (AH instances only).
    pub async fn send(
        &mut self,
        advert: &OutgoingAdvert,
        unicast_ttl: u8,
        ah_sequence: u32,
    ) -> Result<(), String> {
        let mut buf = [0u8; RECEIVE_BUFFER];
        for &destination in advert.destinations.iter() {
            match (&*self.vrrp, destination) {
                (Socket::V4(socket), IpAddr::V4(dst)) => {
                    let ident = self.ident;
                    self.ident = self.ident.wrapping_add(1).max(1);
                    let ttl = if dst.is_multicast() { 255 } else { unicast_ttl };
                    let len = encode_v4(advert, dst, ident, ttl, ah_sequence, &mut buf)
                        .map_err(|e| format!("encoding advert: {e}"))?;
                    let socket = match (&self.ah, advert.authentication) {
                        (Some(ah), Authentication::Ah(_)) => match &**ah {
                            Socket::V4(ah) => ah,
                            Socket::V6(_) => socket,
                        },
                        _ => socket,
                    };
                    socket
                        .send_packet(&buf[..len], dst)
                        .await
                        .map_err(|e| format!("sending to {dst}: {e}"))?;
                }
                (Socket::V6(socket), IpAddr::V6(dst)) => {
                    let len = encode_v6(advert, dst, &mut buf)
                        .map_err(|e| format!("encoding advert: {e}"))?;
                    socket
                        .send_payload(&buf[..len], dst)
                        .await
                        .map_err(|e| format!("sending to {dst}: {e}"))?;
                }
                _ => return Err(format!("{destination} is not of the socket's family")),
            }
        }
        Ok(())
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What a received packet is for the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// An advert to route by (interface, family, VRID).
    Advert(ReceivedAdvert),
    /// A packet for `vrid` too short or too long to read (`packet_len_err`).
    Malformed {
        /// The VRID byte.
        vrid: u8,
        /// What was wrong.
        kind: MalformedKind,
    },
    /// Not VRRP we can attribute to an instance (bad IP header, unknown version).
    Ignored(String),
}

/// Decodes one received packet. `ah_key(vrid)` gives the AH key of the instance with that
/// VRID on this interface, if it uses AH.
pub fn decode(
    family: Family,
    bytes: &[u8],
    received: &Received,
    group4: Ipv4Addr,
    ah_key: &dyn Fn(u8) -> Option<[u8; 8]>,
) -> Decoded {
    match family {
        Family::Ipv4 => decode_v4(bytes, received, group4, ah_key),
        Family::Ipv6 => decode_v6(bytes, received),
    }
}

fn decode_v4(
    bytes: &[u8],
    received: &Received,
    group4: Ipv4Addr,
    ah_key: &dyn Fn(u8) -> Option<[u8; 8]>,
) -> Decoded {
    let advert = match Ipv4Advert::parse(bytes) {
        Ok(advert) => advert,
        Err(error @ (keel_wire::Error::Truncated { .. } | keel_wire::Error::BadLength(_))) => {
            // The VRID is the second VRRP byte; a packet too short to hold it is noise.
            let header_len = usize::from(bytes.first().copied().unwrap_or(0) & 0x0f) * 4;
            let protocol = bytes.get(9).copied();
            let offset = if protocol == Some(keel_wire::ipv4::PROTOCOL_AH) {
                header_len + keel_wire::auth::ah::HEADER_LEN
            } else {
                header_len
            };
            return match bytes.get(offset + 1) {
                Some(&vrid) if header_len >= 20 => Decoded::Malformed {
                    vrid,
                    kind: MalformedKind::Length,
                },
                _ => Decoded::Ignored(format!("{error}")),
            };
        }
        Err(error) => return Decoded::Ignored(format!("{error}")),
    };
    let packet = &advert.vrrp;
    let Some(version) = version_of(packet.version()) else {
        return Decoded::Ignored(format!("VRRP version {}", packet.version()));
    };
    let checksum = match packet.checksum_variant(&advert.endpoints(), group4) {
        ChecksumVariant::Standard => ChecksumStatus::Valid,
        ChecksumVariant::OldUnicast => ChecksumStatus::ValidOldUnicast,
        ChecksumVariant::AsV2 | ChecksumVariant::Bad => ChecksumStatus::Invalid,
    };
    let unicast = !received.destination.is_multicast();
    let auth = match version {
        Version::V3 => ReceivedAuth::NONE,
        Version::V2 => ReceivedAuth {
            ah: advert.ah.as_ref().map(|_| match ah_key(packet.vrid()) {
                Some(key) if advert.verify_ah(&key, unicast).is_ok() => AhStatus::Valid,
                _ => AhStatus::Invalid,
            }),
            auth_type: packet.auth_type(),
            data: packet.auth_data().unwrap_or([0; 8]),
        },
    };
    Decoded::Advert(ReceivedAdvert {
        version,
        packet_type: packet.msg_type(),
        vrid: packet.vrid(),
        priority: packet.priority(),
        max_advert_interval: packet.advert_interval().unwrap_or(Duration::ZERO),
        addresses: packet.ip_addrs().collect(),
        auth,
        source: IpAddr::V4(advert.ip.src_addr),
        destination: IpAddr::V4(advert.ip.dst_addr),
        ttl_or_hop_limit: advert.ip.ttl,
        checksum,
    })
}

fn decode_v6(bytes: &[u8], received: &Received) -> Decoded {
    let packet = match wire::Packet::new_checked(bytes, wire::Family::Ipv6) {
        Ok(packet) => packet,
        Err(error) => {
            return match bytes.get(1) {
                Some(&vrid) => Decoded::Malformed {
                    vrid,
                    kind: MalformedKind::Length,
                },
                None => Decoded::Ignored(format!("{error}")),
            };
        }
    };
    let Some(version) = version_of(packet.version()) else {
        return Decoded::Ignored(format!("VRRP version {}", packet.version()));
    };
    Decoded::Advert(ReceivedAdvert {
        version,
        packet_type: packet.msg_type(),
        vrid: packet.vrid(),
        priority: packet.priority(),
        max_advert_interval: packet.advert_interval().unwrap_or(Duration::ZERO),
        addresses: packet.ip_addrs().collect(),
        auth: ReceivedAuth::NONE,
        source: received.source,
        destination: received.destination,
        ttl_or_hop_limit: received.hop_limit,
        // spec §3.1: IPV6_CHECKSUM makes the kernel verify and drop bad checksums.
        checksum: ChecksumStatus::Valid,
    })
}

fn version_of(number: u8) -> Option<Version> {
    match number {
        2 => Some(Version::V2),
        3 => Some(Version::V3),
        _ => None,
    }
}

/// The VRRP message of `advert` as values.
fn repr_of(advert: &OutgoingAdvert) -> wire::Repr {
    let version = match advert.version {
        Version::V2 => wire::Version::V2 {
            // keel-conf keeps v2 intervals whole seconds (spec §2.6).
            adver_int: advert.advert_interval.as_secs().clamp(1, 255) as u8,
            auth: match advert.authentication {
                Authentication::None => wire::Auth::None,
                Authentication::Pass(key) => wire::Auth::Pass(key),
                Authentication::Ah(_) => wire::Auth::Ah,
            },
        },
        Version::V3 => wire::Version::V3 {
            max_adver_int: (advert.advert_interval.as_millis() / 10).clamp(1, 4095) as u16,
        },
    };
    let addresses = match advert.source {
        IpAddr::V4(_) => wire::Addresses::V4(
            advert
                .addresses
                .iter()
                .filter_map(|a| match a {
                    IpAddr::V4(a) => Some(*a),
                    IpAddr::V6(_) => None,
                })
                .collect(),
        ),
        IpAddr::V6(_) => wire::Addresses::V6(
            advert
                .addresses
                .iter()
                .filter_map(|a| match a {
                    IpAddr::V6(a) => Some(*a),
                    IpAddr::V4(_) => None,
                })
                .collect(),
        ),
    };
    wire::Repr {
        version,
        vrid: advert.vrid,
        priority: advert.priority,
        addresses,
    }
}

/// The whole IPv4 datagram of `advert` to `dst` (spec §3.1: TOS 0xC0, protocol 112 or AH,
/// v3 checksum over the pseudo-header with the real destination).
pub fn encode_v4(
    advert: &OutgoingAdvert,
    dst: Ipv4Addr,
    ident: u16,
    ttl: u8,
    ah_sequence: u32,
    buf: &mut [u8],
) -> keel_wire::Result<usize> {
    let IpAddr::V4(src) = advert.source else {
        return Err(keel_wire::Error::Unencodable(
            "IPv6 source on an IPv4 advert",
        ));
    };
    let envelope = Ipv4Envelope {
        src_addr: src,
        dst_addr: dst,
        ident,
        ttl,
    };
    let ah = match advert.authentication {
        Authentication::Ah(key) => Some(AhKey {
            key,
            sequence_number: ah_sequence,
            unicast: !dst.is_multicast(),
        }),
        _ => None,
    };
    emit_ipv4(
        &envelope,
        &repr_of(advert),
        ChecksumMode::Standard,
        ah.as_ref(),
        buf,
    )
}

/// The VRRP message of an IPv6 advert (the kernel rewrites the checksum, spec §3.1).
pub fn encode_v6(
    advert: &OutgoingAdvert,
    dst: Ipv6Addr,
    buf: &mut [u8],
) -> keel_wire::Result<usize> {
    let src = match advert.source {
        IpAddr::V6(src) => src,
        IpAddr::V4(_) => return Err(keel_wire::Error::Unencodable("IPv4 source on IPv6")),
    };
    let repr = repr_of(advert);
    let len = repr.buffer_len();
    if buf.len() < len {
        return Err(keel_wire::Error::Truncated {
            needed: len,
            available: buf.len(),
        });
    }
    repr.emit(
        &mut buf[..len],
        &Endpoints::V6 { src, dst },
        ChecksumMode::Standard,
    )?;
    Ok(len)
}

#[cfg(test)]
mod tests;
