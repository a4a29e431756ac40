//! Local ports and source addresses for half-open checks.
//!
//! A SYN sent from a raw socket needs a source port that nothing else on the host uses:
//! keel reserves ports by binding ordinary TCP sockets (never listening, never
//! connecting). No socket then matches the server's SYN-ACK, so the kernel answers it
//! with a RST itself (RFC 9293 §3.10.7.1, "CLOSED"), and no other program is given the
//! port while it is reserved.
//!
//! IPv4 raw sockets leave the TCP checksum to us, and its pseudo-header holds the source
//! address the kernel will choose from the route; [`Sources`] asks the kernel which one
//! that is (a connected UDP socket's `getsockname`), and remembers it for a minute.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

/// At most this many reserved ephemeral ports per family. A probe needs a port whose
/// (server address, server port, local port) is not already in flight, so this bounds
/// the half-open checks of one real server running at once; beyond it a check falls
/// back to `connect()`.
const MAX_EPHEMERAL: usize = 64;

/// How long a route lookup is trusted; a check that has to retransmit looks again.
const SOURCE_TTL: Duration = Duration::from_secs(60);

/// The reserved local ports.
#[derive(Default)]
pub(crate) struct Ports {
    ephemeral_v4: Vec<(u16, Socket)>,
    ephemeral_v6: Vec<(u16, Socket)>,
    /// `bind_port` reservations, by the address they are bound to.
    fixed: HashMap<SocketAddr, Socket>,
}

impl Ports {
    /// Every reserved port, for the receive filter.
    pub fn all(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .ephemeral_v4
            .iter()
            .chain(&self.ephemeral_v6)
            .map(|(port, _)| *port)
            .chain(self.fixed.keys().map(SocketAddr::port))
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// The first reserved ephemeral port of the family for which `free` holds, reserving
    /// a new one if none does. `Ok(None)` when the family's reservations are all in use
    /// for this server; `Err` when the kernel refuses a new one. `.1` is `true` when a
    /// port was added (the filters must learn it).
    pub fn ephemeral(
        &mut self,
        ipv6: bool,
        free: impl Fn(u16) -> bool,
    ) -> io::Result<(Option<u16>, bool)> {
        let pool = if ipv6 {
            &mut self.ephemeral_v6
        } else {
            &mut self.ephemeral_v4
        };
        if let Some((port, _)) = pool.iter().find(|(port, _)| free(*port)) {
            return Ok((Some(*port), false));
        }
        if pool.len() >= MAX_EPHEMERAL {
            return Ok((None, false));
        }
        let any: IpAddr = if ipv6 {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0u8; 4])
        };
        let (port, socket) = reserve(SocketAddr::new(any, 0))?;
        pool.push((port, socket));
        Ok((free(port).then_some(port), true))
    }

    /// Reserves `bind_port` on `address` (the `bindto` address or the unspecified one)
    /// unless already reserved. `Ok(true)` when it was added now.
    pub fn fixed(&mut self, address: SocketAddr) -> io::Result<bool> {
        if self.fixed.contains_key(&address) {
            return Ok(false);
        }
        let (_, socket) = reserve(address)?;
        self.fixed.insert(address, socket);
        Ok(true)
    }
}

/// Binds a TCP socket to `address` and keeps it: the port is ours until it is dropped.
fn reserve(address: SocketAddr) -> io::Result<(u16, Socket)> {
    let kind = Type::STREAM.cloexec();
    let socket = Socket::new(Domain::for_address(address), kind, None)?;
    socket.bind(&address.into())?;
    let port = socket
        .local_addr()?
        .as_socket()
        .map(|bound| bound.port())
        .ok_or(io::ErrorKind::InvalidData)?;
    Ok((port, socket))
}

/// A route lookup's inputs: destination, `bind_if`, `fwmark`.
type RouteKey = (Ipv4Addr, Option<String>, Option<u32>);

/// Which source address the kernel picks for a destination, under `bind_if` and
/// `fwmark` (both steer the route lookup).
#[derive(Default)]
pub(crate) struct Sources {
    /// One UDP socket per (bind_if, fwmark): connecting it is the route lookup.
    lookups: HashMap<(Option<String>, Option<u32>), Socket>,
    cache: HashMap<RouteKey, (Ipv4Addr, Instant)>,
}

impl Sources {
    /// The source address for `target`; an error if there is no route (the check then
    /// fails as `connect()` would, "network unreachable").
    pub fn lookup(
        &mut self,
        target: Ipv4Addr,
        bind_if: &Option<String>,
        fwmark: Option<u32>,
        now: Instant,
    ) -> io::Result<Ipv4Addr> {
        let key = (target, bind_if.clone(), fwmark);
        if let Some((source, expires)) = self.cache.get(&key)
            && *expires > now
        {
            return Ok(*source);
        }
        let lookups_key = (bind_if.clone(), fwmark);
        let socket = match self.lookups.entry(lookups_key) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let socket = Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), None)?;
                if let Some(interface) = bind_if {
                    socket.bind_device(Some(interface.as_bytes()))?;
                }
                if let Some(mark) = fwmark {
                    socket.set_mark(mark)?;
                }
                entry.insert(socket)
            }
        };
        // Connecting a UDP socket sends nothing: it runs the route lookup and fixes the
        // source address, which getsockname reports. A connected socket keeps its first
        // source address across reconnects, so dissolve the association first
        // (`AF_UNSPEC`, connect(2)), which clears it.
        rustix::net::connect_unspec(&*socket)?;
        socket.connect(&SocketAddr::new(IpAddr::V4(target), 9).into())?;
        let source = match socket.local_addr()?.as_socket() {
            Some(SocketAddr::V4(address)) => *address.ip(),
            _ => return Err(io::ErrorKind::InvalidData.into()),
        };
        self.cache.insert(key, (source, now + SOURCE_TTL));
        Ok(source)
    }

    /// Forgets the lookup for `target` (a check had to retransmit: the route may have
    /// changed).
    pub fn forget(&mut self, target: Ipv4Addr, bind_if: &Option<String>, fwmark: Option<u32>) {
        self.cache.remove(&(target, bind_if.clone(), fwmark));
    }
}
