//! Adverts on the wire: one raw socket per (interface, family) (plus an AH socket where an
//! instance uses `auth_type AH`), decoding received bytes into the engine's
//! [`ReceivedAdvert`] and encoding its [`OutgoingAdvert`]s (spec §3.1, §3.2). Multicast
//! adverts leave as whole Ethernet frames on a packet socket where the interface allows
//! ([`frames`]); the raw socket sends the rest and receives everything.

mod frames;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use keel_sys::socket::filter::{AdvertFilter, FilterFamily};
use keel_sys::socket::{IpProtocol, Received, RecvBatch, SendBatch, VrrpSocketV4, VrrpSocketV6};
use keel_vrrp::{
    AhStatus, Authentication, ChecksumStatus, Family, MalformedKind, OutgoingAdvert,
    ReceivedAdvert, ReceivedAuth, Version,
};
use keel_wire::advert::{AhKey, Ipv4Advert, Ipv4Envelope, emit_ipv4};
use keel_wire::vrrp::{self as wire, ChecksumMode, ChecksumVariant, Endpoints};

use self::frames::{Failure, FramePath, encode_frame};

/// Receive-buffer bytes per instance sharing a socket: room for a burst of a few adverts
/// from each (a kernel buffer entry of a small datagram costs about 1 KiB), so a start-up
/// burst or a slow loop turn does not overflow the queue (issue 4: 2,040 instances at
/// 0.1 s overflowed the 208 KiB default and lost most adverts).
const RECEIVE_BUFFER_PER_INSTANCE: usize = 4096;
/// The least receive buffer asked for, whatever the instance count.
const RECEIVE_BUFFER_MIN: usize = 256 << 10;

/// Whether VRRP sockets get the in-kernel advert filter: yes, unless the environment says
/// `KEEL_ADVERT_FILTER=0` (to compare, or where a kernel's eBPF misbehaves).
fn filter_wanted() -> bool {
    std::env::var_os("KEEL_ADVERT_FILTER").is_none_or(|value| value != "0")
}

/// A raw VRRP socket of either family.
#[derive(Debug)]
pub enum Socket {
    /// IPv4, full datagrams (`IP_HDRINCL`).
    V4(VrrpSocketV4),
    /// IPv6, VRRP payloads.
    V6(VrrpSocketV6),
}

impl Socket {
    fn open(
        interface: &str,
        family: Family,
        protocol: IpProtocol,
        source: Option<IpAddr>,
    ) -> keel_sys::Result<Socket> {
        Ok(match family {
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
        })
    }

    /// Ready when datagrams may be queued.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<keel_sys::Result<()>> {
        match self {
            Socket::V4(socket) => socket.poll_readable(cx),
            Socket::V6(socket) => socket.poll_readable(cx),
        }
    }

    /// Reads what is queued, without waiting (0: nothing).
    pub fn try_recv_batch(&self, batch: &mut RecvBatch) -> keel_sys::Result<usize> {
        match self {
            Socket::V4(socket) => socket.try_recv_batch(batch),
            Socket::V6(socket) => socket.try_recv_batch(batch),
        }
    }

    async fn send_batch(&self, batch: &SendBatch) -> keel_sys::Result<()> {
        match self {
            Socket::V4(socket) => socket.send_batch(batch).await,
            Socket::V6(socket) => socket.send_batch(batch).await,
        }
    }

    fn join(&self, group: IpAddr) -> keel_sys::Result<()> {
        use keel_sys::socket::AdvertSocket;
        match self {
            Socket::V4(socket) => socket.join(group),
            Socket::V6(socket) => socket.join(group),
        }
    }

    fn set_receive_buffer(&self, bytes: usize) -> keel_sys::Result<()> {
        match self {
            Socket::V4(socket) => socket.set_receive_buffer(bytes),
            Socket::V6(socket) => socket.set_receive_buffer(bytes),
        }
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        match self {
            Socket::V4(socket) => socket.as_raw_fd(),
            Socket::V6(socket) => socket.as_raw_fd(),
        }
    }
}

/// The sockets of one (interface, family), and the adverts queued on them until the loop
/// flushes (one `sendmmsg` per socket for every advert that fell due in the same turn):
/// the raw socket(s), and the packet socket multicast adverts leave by as whole frames.
#[derive(Debug)]
pub struct Endpoint {
    /// Interface name.
    pub interface: String,
    /// Address family.
    pub family: Family,
    vrrp: Socket,
    ah: Option<Socket>,
    joined: Vec<IpAddr>,
    /// IPv4 identification of the next advert; keepalived increments it, skipping 0.
    ident: u16,
    pending: SendBatch,
    pending_ah: SendBatch,
    /// The packet socket multicast adverts leave by, when it could be opened.
    frames: Option<FramePath>,
    /// The in-kernel filter of the VRRP socket, when the kernel took it (run/absorb.rs).
    filter: Option<AdvertFilter>,
}

/// An advert as last encoded for one destination, reused while the instance sends the same
/// advert (the periodic case), so sending allocates and encodes nothing.
#[derive(Debug, Clone)]
pub struct EncodedAdvert {
    advert: OutgoingAdvert,
    destination: IpAddr,
    ttl: u8,
    /// The source MAC of a whole frame; `None` for a datagram for the raw socket.
    link: Option<[u8; 6]>,
    bytes: Vec<u8>,
}

impl Endpoint {
    /// Opens the sockets for `interface`/`family` (`with_ah`: also protocol 51), sized for
    /// `instances` instances sharing them.
    pub fn open(
        interface: &str,
        family: Family,
        source: Option<IpAddr>,
        with_ah: bool,
        instances: usize,
    ) -> keel_sys::Result<Endpoint> {
        let vrrp = Socket::open(interface, family, IpProtocol::Vrrp, source)?;
        let ah = if with_ah && family == Family::Ipv4 {
            Some(Socket::open(interface, family, IpProtocol::Ah, source)?)
        } else {
            None
        };
        let buffer = (instances * RECEIVE_BUFFER_PER_INSTANCE).max(RECEIVE_BUFFER_MIN);
        for socket in std::iter::once(&vrrp).chain(ah.as_ref()) {
            if let Err(error) = socket.set_receive_buffer(buffer) {
                super::log::warn(&format!("receive buffer on {interface}: {error}"));
            }
        }
        let frames = match FramePath::open(interface) {
            Ok(frames) => {
                super::log::detail(&format!(
                    "multicast adverts on {interface} ({family:?}) go out as frames on a packet socket{}",
                    if frames.qdisc_bypass() {
                        ", past the qdisc"
                    } else {
                        ""
                    }
                ));
                Some(frames)
            }
            Err(error) => {
                super::log::detail(&format!(
                    "adverts on {interface} ({family:?}) go through the IP stack: {error}"
                ));
                None
            }
        };
        let filter = if filter_wanted() {
            let kind = match family {
                Family::Ipv4 => FilterFamily::Ipv4,
                Family::Ipv6 => FilterFamily::Ipv6,
            };
            AdvertFilter::attach(vrrp.raw_fd(), kind)
                .map_err(|error| {
                    super::log::detail(&format!(
                        "repeated adverts on {interface} ({family:?}) are read one by one: {error}"
                    ));
                })
                .ok()
        } else {
            None
        };
        Ok(Endpoint {
            interface: interface.to_string(),
            family,
            vrrp,
            filter,
            ah,
            joined: Vec::new(),
            ident: 1,
            pending: SendBatch::new(),
            pending_ah: SendBatch::new(),
            frames,
        })
    }

    /// Takes the interface's MAC from a link event: the source of the frames from now on.
    pub fn set_link_mac(&mut self, mac: [u8; 6]) {
        if let Some(frames) = &mut self.frames {
            if frames.mac() != mac {
                super::log::detail(&format!(
                    "{}: adverts now framed from {}",
                    self.interface,
                    keel_wire::ethernet::Address(mac)
                ));
                frames.set_mac(mac);
            }
        }
    }

    /// The VRRP socket's in-kernel filter, if attached.
    pub fn filter(&self) -> Option<&AdvertFilter> {
        self.filter.as_ref()
    }

    /// The receiving sockets: the VRRP one, then the AH one if open.
    pub fn sockets(&self) -> impl Iterator<Item = &Socket> {
        std::iter::once(&self.vrrp).chain(self.ah.as_ref())
    }

    /// The descriptors of [`Endpoint::sockets`], in the same order.
    pub fn raw_fds(&self) -> impl Iterator<Item = std::os::fd::RawFd> + '_ {
        self.sockets().map(Socket::raw_fd)
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

    /// Queues `advert` to each of its destinations; [`Endpoint::flush`] sends. `unicast_ttl`
    /// applies to unicast destinations; `ah_sequence` is the AH sequence number (AH
    /// instances only); `encoded` is the instance's cache of its last adverts. A multicast
    /// advert without AH is queued as a whole frame when the endpoint has a packet socket
    /// and the frame fits the MTU; anything else as a datagram for the raw socket.
    pub fn queue(
        &mut self,
        advert: &OutgoingAdvert,
        unicast_ttl: u8,
        ah_sequence: u32,
        encoded: &mut Vec<EncodedAdvert>,
    ) -> Result<(), String> {
        for &destination in advert.destinations.iter() {
            match (self.family, destination) {
                (Family::Ipv4, IpAddr::V4(dst)) => {
                    let ident = self.ident;
                    self.ident = self.ident.wrapping_add(1).max(1);
                    let ttl = if dst.is_multicast() { 255 } else { unicast_ttl };
                    let ah = matches!(advert.authentication, Authentication::Ah(_));
                    if !ah && self.queue_frame(advert, destination, ident, encoded) {
                        continue;
                    }
                    if ah {
                        // The AH sequence number and ICV change with every advert: no cache.
                        let batch = if self.ah.is_some() {
                            &mut self.pending_ah
                        } else {
                            &mut self.pending
                        };
                        batch
                            .push_with(destination, |buf| {
                                encode_v4(advert, dst, ident, ttl, ah_sequence, buf)
                            })
                            .map_err(|e| format!("encoding advert: {e}"))?;
                        continue;
                    }
                    let bytes = cached(encoded, advert, destination, ttl, None, |buf| {
                        encode_v4(advert, dst, ident, ttl, ah_sequence, buf)
                    })?;
                    // RFC 791 §3.1: identification at bytes 4..6. The kernel computes the
                    // header checksum of IP_HDRINCL packets, so only the id changes here.
                    self.pending
                        .push_with(destination, |buf| {
                            buf[..bytes.len()].copy_from_slice(bytes);
                            buf[4..6].copy_from_slice(&ident.to_be_bytes());
                            Ok::<usize, String>(bytes.len())
                        })
                        .map_err(|e| format!("queueing advert: {e}"))?;
                }
                (Family::Ipv6, IpAddr::V6(dst)) => {
                    if self.queue_frame(advert, destination, 0, encoded) {
                        continue;
                    }
                    let bytes = cached(encoded, advert, destination, 255, None, |buf| {
                        encode_v6(advert, dst, buf)
                    })?;
                    self.pending
                        .push(destination, bytes)
                        .map_err(|e| format!("queueing advert: {e}"))?;
                }
                _ => return Err(format!("{destination} is not of the socket's family")),
            }
        }
        Ok(())
    }

    /// Encodes `advert` as [`Endpoint::queue`] would and sends nothing: the encoding is
    /// cached in `encoded` and the send buffers are touched, for a takeover about to come
    /// (run/prepare.rs). Only with nothing queued (else false); the IPv4 identification
    /// goes on from where it was, so the real send uses the same one.
    pub fn prepare(
        &mut self,
        advert: &OutgoingAdvert,
        unicast_ttl: u8,
        encoded: &mut Vec<EncodedAdvert>,
    ) -> bool {
        if self.has_pending() {
            return false;
        }
        let ident = self.ident;
        let queued = self.queue(advert, unicast_ttl, 0, encoded);
        self.ident = ident;
        self.pending.clear();
        self.pending_ah.clear();
        if let Some(frames) = &mut self.frames {
            frames.discard();
        }
        queued.is_ok()
    }

    /// Queues `advert` to multicast `destination` as a whole frame (IPv4 identification
    /// `ident`) when the packet socket is open and the frame can be built and fits the
    /// MTU; false when the raw socket must send it.
    fn queue_frame(
        &mut self,
        advert: &OutgoingAdvert,
        destination: IpAddr,
        ident: u16,
        encoded: &mut Vec<EncodedAdvert>,
    ) -> bool {
        let Some(frames) = &mut self.frames else {
            return false;
        };
        if !destination.is_multicast() {
            return false;
        }
        let mac = frames.mac();
        let bytes = match cached(encoded, advert, destination, 255, Some(mac), |buf| {
            encode_frame(advert, destination, ident, mac, buf)
        }) {
            Ok(bytes) if frames.fits(bytes) => bytes,
            Ok(_) => return false,
            Err(error) => {
                super::log::detail(&format!(
                    "VRID {} on {}: advert not framed ({error}); sent through the IP stack",
                    advert.vrid, self.interface
                ));
                return false;
            }
        };
        let ident = match destination {
            IpAddr::V4(_) => Some(ident),
            IpAddr::V6(_) => None,
        };
        match frames.queue(bytes, ident) {
            Ok(()) => true,
            Err(error) => {
                super::log::detail(&format!("{}: {error}", self.interface));
                false
            }
        }
    }

    /// True when adverts are queued.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
            || !self.pending_ah.is_empty()
            || self.frames.as_ref().is_some_and(FramePath::has_pending)
    }

    /// Sends the queued adverts, one `sendmmsg` per socket (per 64 adverts). When the
    /// packet socket turns out unable to send on the interface, multicast adverts go back
    /// to the raw socket from the next turn on.
    pub async fn flush(&mut self) -> Result<(), String> {
        let mut result = Ok(());
        if let Some(frames) = self.frames.as_mut().filter(|f| f.has_pending()) {
            match frames.flush().await {
                Ok(()) => {}
                Err(Failure::Transient(error)) => {
                    result = Err(format!("sending frames on {}: {error}", self.interface));
                }
                Err(Failure::Fatal(error)) => {
                    super::log::warn(&format!(
                        "sending frames on {}: {error}; adverts go through the IP stack from now on",
                        self.interface
                    ));
                    self.frames = None;
                    result = Err(format!("sending frames on {}: {error}", self.interface));
                }
            }
        }
        if !self.pending.is_empty() {
            if let Err(error) = self.vrrp.send_batch(&self.pending).await {
                result = Err(format!("sending on {}: {error}", self.interface));
            }
            self.pending.clear();
        }
        if let (Some(ah), false) = (&self.ah, self.pending_ah.is_empty()) {
            if let Err(error) = ah.send_batch(&self.pending_ah).await {
                result = Err(format!("sending AH on {}: {error}", self.interface));
            }
            self.pending_ah.clear();
        }
        result
    }
}

/// The encoded bytes of `advert` to `destination` from `encoded`, encoding (and caching) them
/// with `encode` when the instance's advert changed.
fn cached<'a>(
    encoded: &'a mut Vec<EncodedAdvert>,
    advert: &OutgoingAdvert,
    destination: IpAddr,
    ttl: u8,
    link: Option<[u8; 6]>,
    encode: impl FnOnce(&mut [u8]) -> keel_wire::Result<usize>,
) -> Result<&'a [u8], String> {
    let position = encoded.iter().position(|e| {
        e.destination == destination && e.ttl == ttl && e.link == link && &e.advert == advert
    });
    let index = match position {
        Some(index) => index,
        None => {
            let mut buf = [0u8; keel_sys::socket::DATAGRAM_MAX];
            let len = encode(&mut buf).map_err(|e| format!("encoding advert: {e}"))?;
            let entry = EncodedAdvert {
                advert: advert.clone(),
                destination,
                ttl,
                link,
                bytes: buf[..len].to_vec(),
            };
            // One entry per destination and path: an advert too large to frame keeps its
            // frame (found too large again without encoding) beside its datagram.
            let slot = encoded
                .iter()
                .position(|e| e.destination == destination && e.link.is_some() == link.is_some());
            match slot {
                Some(index) => {
                    encoded[index] = entry;
                    index
                }
                None => {
                    encoded.push(entry);
                    encoded.len() - 1
                }
            }
        }
    };
    Ok(&encoded[index].bytes)
}

/// When a datagram arrived, as an [`Instant`]: its kernel receive time (wall clock) moved
/// onto the monotonic clock through one reading of both (`wall_now`, `now`). Without a
/// stamp, or with an implausible one (the wall clock stepped), `now`.
pub fn arrival(stamp: Option<SystemTime>, wall_now: SystemTime, now: Instant) -> Instant {
    let Some(stamp) = stamp else { return now };
    match wall_now.duration_since(stamp) {
        Ok(age) if age <= ARRIVAL_AGE_MAX => now.checked_sub(age).unwrap_or(now),
        // A stamp a little ahead of our reading (clock adjustment in between): now.
        _ => now,
    }
}

/// The oldest kernel stamp believed (older ones come from a wall-clock step).
const ARRIVAL_AGE_MAX: Duration = Duration::from_secs(10);

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
    decode_reusing(family, bytes, received, group4, ah_key, Vec::new())
}

/// [`decode`], writing the advert's addresses into `addresses` (cleared first), so a loop
/// that hands the vector back after each advert decodes without allocating.
pub fn decode_reusing(
    family: Family,
    bytes: &[u8],
    received: &Received,
    group4: Ipv4Addr,
    ah_key: &dyn Fn(u8) -> Option<[u8; 8]>,
    mut addresses: Vec<IpAddr>,
) -> Decoded {
    addresses.clear();
    match family {
        Family::Ipv4 => decode_v4(bytes, received, group4, ah_key, addresses),
        Family::Ipv6 => decode_v6(bytes, received, addresses),
    }
}

fn decode_v4(
    bytes: &[u8],
    received: &Received,
    group4: Ipv4Addr,
    ah_key: &dyn Fn(u8) -> Option<[u8; 8]>,
    mut addresses: Vec<IpAddr>,
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
        addresses: {
            addresses.extend(packet.ip_addrs());
            addresses
        },
        auth,
        source: IpAddr::V4(advert.ip.src_addr),
        destination: IpAddr::V4(advert.ip.dst_addr),
        ttl_or_hop_limit: advert.ip.ttl,
        checksum,
    })
}

fn decode_v6(bytes: &[u8], received: &Received, mut addresses: Vec<IpAddr>) -> Decoded {
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
        addresses: {
            addresses.extend(packet.ip_addrs());
            addresses
        },
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
