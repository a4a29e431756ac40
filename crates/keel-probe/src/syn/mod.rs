//! The half-open `TCP_CHECK`: a SYN from a raw socket, judged by the answer.
//!
//! keepalived's `TCP_CHECK` is up iff `connect()` succeeds (spec §2.7), that is iff the
//! server answers the SYN with a SYN-ACK; it is down on a RST ("connection refused") or
//! when `connect_timeout` passes. The same verdict needs no socket per check: keel sends
//! the SYN itself from one raw socket per option set ([`raw`]), from a port it reserved
//! ([`ports`]), and matches the answer by (server address, server port, local port) and
//! the acknowledgment of its random initial sequence number. The kernel, which has no
//! socket for that port, answers the SYN-ACK with a RST, so the server's application
//! never accepts a connection. Per check: one SYN in a batched `sendmmsg`, one
//! `recvfrom`; the kernel builds no socket, no ephemeral-port search and no child
//! socket on the server.
//!
//! A lost SYN is sent again on the kernel's schedule for `connect()` (initial RTO 1 s,
//! RFC 6298 §2.1, then doubling), within `connect_timeout`.

mod ports;
mod raw;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use keel_wire::tcp::{self, Flags, SynRepr};
use rustix::event::epoll;
use rustix::io::Errno;

use crate::error::ProbeError;
use crate::slots::Slots;
use crate::{ProbeOutcome, ProbeRequest};
use ports::{Ports, Sources};
use raw::{RawKey, RawSocket};

/// RFC 6298 §2.1: the initial retransmission timeout, as Linux uses for a SYN.
const INITIAL_RTO: Duration = Duration::from_secs(1);
/// The window advertised in our SYNs (Linux's initial one over Ethernet).
const WINDOW: u16 = 64240;

/// Epoll tokens of the raw sockets count down from here; the connect prober's tokens
/// have small slot indexes in their low half, never this high.
pub(crate) const RAW_TOKEN_BASE: u64 = u32::MAX as u64;

/// Half-open checks in flight, each with the caller's key `K`.
pub(crate) struct SynEngine<K> {
    sockets: Vec<RawSocket>,
    ports: Ports,
    sources: Sources,
    slots: Slots<SynProbe<K>>,
    /// (server address, server port, local port) → slot.
    by_tuple: HashMap<(IpAddr, u16, u16), u32>,
    /// `(when, slot, generation)`: the next retransmission or the deadline. Entries of
    /// finished checks stay until they reach the top, where they are dropped, so the top
    /// is always a check in flight (no wake-up for a check that is over).
    timers: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    /// Slots whose SYN is to be sent at the next [`SynEngine::flush`].
    outbox: Vec<(u32, u32)>,
    /// When an `EAGAIN` left SYNs in the outbox, the time to try again.
    retry_at: Option<Instant>,
    isn_keys: std::hash::RandomState,
    isn_counter: u64,
    buffer: Vec<u8>,
}

struct SynProbe<K> {
    key: K,
    socket: usize,
    target: SocketAddr,
    local_port: u16,
    isn: u32,
    deadline: Instant,
    timeout: Duration,
    rto: Duration,
}

/// Why a request is not run half-open; the caller runs it with `connect()`.
pub(crate) struct Declined<K>(pub K);

impl<K> SynEngine<K> {
    /// An engine with its IPv4 raw socket open and registered in `epoll`: `Err` (`EPERM`
    /// without `CAP_NET_RAW`) means half-open checks are not available here.
    pub fn new(epoll_fd: &OwnedFd) -> io::Result<SynEngine<K>> {
        let mut engine = SynEngine {
            sockets: Vec::new(),
            ports: Ports::default(),
            sources: Sources::default(),
            slots: Slots::new(),
            by_tuple: HashMap::new(),
            timers: BinaryHeap::new(),
            outbox: Vec::new(),
            retry_at: None,
            isn_keys: std::hash::RandomState::new(),
            isn_counter: 0,
            buffer: vec![0; 2048],
        };
        let key = RawKey {
            ipv6: false,
            bind: None,
            bind_if: None,
            fwmark: None,
        };
        engine.socket(epoll_fd, key)?;
        Ok(engine)
    }

    /// Checks started and not finished.
    pub fn in_flight(&self) -> usize {
        self.slots.in_flight()
    }

    /// Queues the SYN of a check; it leaves at the next [`SynEngine::flush`]. A request
    /// this engine cannot honour (a raw socket or a port it cannot have) is handed back
    /// ([`Declined`]).
    pub fn start(
        &mut self,
        key: K,
        request: &ProbeRequest,
        now: Instant,
        epoll_fd: &OwnedFd,
    ) -> Result<(), Declined<K>> {
        let target = request.target;
        let ipv6 = target.is_ipv6();
        if request.bind.is_some_and(|bind| bind.is_ipv6() != ipv6) {
            return Err(Declined(key));
        }
        let raw_key = RawKey {
            ipv6,
            bind: request
                .bind
                .map(|bind| bind.ip())
                .filter(|ip| !ip.is_unspecified()),
            bind_if: request.bind_if.clone(),
            fwmark: request.fwmark,
        };
        let Ok(socket) = self.socket(epoll_fd, raw_key) else {
            return Err(Declined(key));
        };
        let Some(local_port) = self.local_port(request) else {
            return Err(Declined(key));
        };
        let (index, generation) = self.slots.vacant();
        self.isn_counter += 1;
        // The hash of a counter under a per-process random key: unpredictable ISNs, as
        // RFC 6528 asks, without a random-number crate. The low half is the ISN.
        let isn = self.isn_keys.hash_one(self.isn_counter) as u32;
        let deadline = now + request.connect_timeout;
        self.by_tuple
            .insert((target.ip(), target.port(), local_port), index);
        self.slots.fill(
            index,
            SynProbe {
                key,
                socket,
                target,
                local_port,
                isn,
                deadline,
                timeout: request.connect_timeout,
                rto: INITIAL_RTO,
            },
        );
        self.timers.push(Reverse((
            (now + INITIAL_RTO).min(deadline),
            index,
            generation,
        )));
        self.outbox.push((index, generation));
        Ok(())
    }

    /// Sends every queued SYN, one `sendmmsg` per raw socket. A SYN the kernel refuses
    /// (no route, a firewall's `EPERM`) fails its check at once, as `connect()` would.
    pub fn flush(&mut self, now: Instant, results: &mut VecDeque<(K, ProbeOutcome)>) {
        if self.outbox.is_empty() {
            return;
        }
        self.retry_at = None;
        let outbox = std::mem::take(&mut self.outbox);
        let mut batches: Vec<Vec<(u32, u32, [u8; SynRepr::LEN])>> =
            (0..self.sockets.len()).map(|_| Vec::new()).collect();
        for (index, generation) in outbox {
            match self.segment(index, generation, now) {
                Ok(Some((socket, segment))) => {
                    if let Some(batch) = batches.get_mut(socket) {
                        batch.push((index, generation, segment));
                    }
                }
                Ok(None) => {}
                Err(error) => self.fail(index, generation, ProbeError::Connect(error), results),
            }
        }
        for (socket, batch) in batches.into_iter().enumerate() {
            self.send_batch(socket, batch, now, results);
        }
        self.drop_stale_timers();
    }

    /// When [`SynEngine::handle_timeout`] is due: a retransmission, a deadline, SYNs
    /// waiting to be sent (due at once), or a retry after `EAGAIN`.
    pub fn poll_timeout(&self, queued_at: Option<Instant>) -> Option<Instant> {
        let timer = self.timers.peek().map(|Reverse((when, _, _))| *when);
        let queued = if self.outbox.is_empty() {
            None
        } else {
            self.retry_at.or(queued_at)
        };
        [timer, queued].into_iter().flatten().min()
    }

    /// Retransmits the SYNs whose timer has passed and fails the checks whose
    /// `connect_timeout` has ("timeout during connect"), after the caller has collected
    /// the answers that arrived meanwhile. Then sends what is queued.
    pub fn handle_timeout(&mut self, now: Instant, results: &mut VecDeque<(K, ProbeOutcome)>) {
        while let Some(&Reverse((when, index, generation))) = self.timers.peek() {
            if when > now {
                break;
            }
            self.timers.pop();
            let Some(probe) = self.slots.live_mut(index, generation) else {
                continue;
            };
            if probe.deadline <= now {
                let error = ProbeError::Timeout {
                    step: "connect",
                    timeout: probe.timeout,
                };
                self.fail(index, generation, error, results);
                continue;
            }
            // RFC 6298 §5.5: back off the timer on every retransmission.
            probe.rto *= 2;
            let next = (when + probe.rto).min(probe.deadline);
            let (target, socket) = (probe.target, probe.socket);
            if let (IpAddr::V4(ip), Some(raw)) = (target.ip(), self.sockets.get(socket)) {
                self.sources.forget(ip, &raw.key.bind_if, raw.key.fwmark);
            }
            self.timers.push(Reverse((next, index, generation)));
            self.outbox.push((index, generation));
        }
        self.flush(now, results);
        self.drop_stale_timers();
    }

    /// Reads the answers queued on the raw socket behind epoll token `token`; `false` if
    /// the token is not a raw socket's.
    pub fn on_ready(&mut self, token: u64, results: &mut VecDeque<(K, ProbeOutcome)>) -> bool {
        let Some(offset) = RAW_TOKEN_BASE.checked_sub(token) else {
            return false;
        };
        let Ok(socket) = usize::try_from(offset) else {
            return false;
        };
        if socket >= self.sockets.len() {
            return false;
        }
        let mut buffer = std::mem::take(&mut self.buffer);
        let ipv6 = self.sockets[socket].key.ipv6;
        while let Some((length, from)) = self.sockets[socket].receive(&mut buffer) {
            if let Some(answer) = answer(&buffer[..length], ipv6, from) {
                self.judge(answer, results);
            }
        }
        while let Some((length, errno, to)) = self.sockets[socket].receive_error(&mut buffer) {
            let quoted = to.and_then(|to| quoted_syn(&buffer[..length], to));
            if let Some(quoted) = quoted.filter(|_| errno != 0) {
                self.unreachable(quoted, errno, results);
            }
        }
        self.buffer = buffer;
        self.drop_stale_timers();
        true
    }

    /// An ICMP error quoting one of our SYNs fails its check at once with the error
    /// connect() would report (RFC 1122 §4.2.3.9 lets TCP abort a connection attempt on
    /// a hard error; Linux does so in SYN-SENT for every destination unreachable).
    fn unreachable(
        &mut self,
        quoted: QuotedSyn,
        errno: i32,
        results: &mut VecDeque<(K, ProbeOutcome)>,
    ) {
        let tuple = (quoted.to.ip(), quoted.to.port(), quoted.local_port);
        let Some(&index) = self.by_tuple.get(&tuple) else {
            return;
        };
        let Some((generation, probe)) = self.slots.occupant(index) else {
            return;
        };
        if probe.isn != quoted.seq {
            return;
        }
        let error = ProbeError::Connect(io::Error::from_raw_os_error(errno));
        self.fail(index, generation, error, results);
    }

    fn judge(&mut self, answer: Answer, results: &mut VecDeque<(K, ProbeOutcome)>) {
        let tuple = (answer.from.ip(), answer.from.port(), answer.local_port);
        let Some(&index) = self.by_tuple.get(&tuple) else {
            return;
        };
        let Some((generation, probe)) = self.slots.occupant(index) else {
            return;
        };
        // RFC 9293 §3.10.7.3: an answer to our SYN acknowledges ISN + 1; anything else
        // (an old connection's segment, a forgery) is not this check's answer.
        if !answer.flags.contains(Flags::ACK) || answer.ack != probe.isn.wrapping_add(1) {
            return;
        }
        if answer.flags.contains(Flags::RST) {
            let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
            self.fail(index, generation, ProbeError::Connect(refused), results);
        } else if answer.flags.contains(Flags::SYN) {
            if let Some(probe) = self.release(index, generation) {
                results.push_back((probe.key, ProbeOutcome::Up));
            }
        }
    }

    /// The SYN of a live probe, checksummed for its source; `None` if the probe is gone.
    fn segment(
        &mut self,
        index: u32,
        generation: u32,
        now: Instant,
    ) -> io::Result<Option<(usize, [u8; SynRepr::LEN])>> {
        let Some(probe) = self.slots.live_mut(index, generation) else {
            return Ok(None);
        };
        let (socket, target) = (probe.socket, probe.target);
        let repr = SynRepr {
            src_port: probe.local_port,
            dst_port: target.port(),
            seq: probe.isn,
            window: WINDOW,
            mss: if target.is_ipv6() { 1440 } else { 1460 },
        };
        let mut segment = [0u8; SynRepr::LEN];
        repr.emit(&mut segment)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let Some(raw) = self.sockets.get(socket) else {
            return Ok(None);
        };
        if let SocketAddr::V4(target) = target {
            let source = match raw.key.bind {
                Some(IpAddr::V4(bound)) => bound,
                _ => self
                    .sources
                    .lookup(*target.ip(), &raw.key.bind_if, raw.key.fwmark, now)?,
            };
            tcp::fill_checksum_ipv4(&mut segment, source, *target.ip())
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        }
        Ok(Some((socket, segment)))
    }

    fn send_batch(
        &mut self,
        socket: usize,
        batch: Vec<(u32, u32, [u8; SynRepr::LEN])>,
        now: Instant,
        results: &mut VecDeque<(K, ProbeOutcome)>,
    ) {
        let mut rest = &batch[..];
        while !rest.is_empty() {
            let Some(raw) = self.sockets.get(socket) else {
                return;
            };
            let segments: Vec<&[u8]> = rest.iter().map(|(_, _, segment)| &segment[..]).collect();
            let targets: Vec<SocketAddr> = rest
                .iter()
                .map(|(index, generation, _)| {
                    self.slots
                        .live(*index, *generation)
                        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |probe| probe.target)
                })
                .collect();
            let (sent, error) = raw.send(&segments, &targets);
            rest = &rest[sent..];
            match error {
                None => return,
                Some(Errno::AGAIN | Errno::NOBUFS) => {
                    // The send queue is full: keep the rest for a moment later.
                    self.outbox.extend(
                        rest.iter()
                            .map(|(index, generation, _)| (*index, *generation)),
                    );
                    self.retry_at = Some(now + Duration::from_millis(1));
                    return;
                }
                Some(errno) => {
                    if let Some((index, generation, _)) = rest.first() {
                        let error = ProbeError::Connect(io::Error::from(errno));
                        self.fail(*index, *generation, error, results);
                    }
                    rest = rest.get(1..).unwrap_or(&[]);
                }
            }
        }
    }

    /// The raw socket for `key`, opened and registered on first use.
    fn socket(&mut self, epoll_fd: &OwnedFd, key: RawKey) -> io::Result<usize> {
        if let Some(index) = self.sockets.iter().position(|raw| raw.key == key) {
            return Ok(index);
        }
        if self.sockets.len() >= 1024 {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let raw = RawSocket::open(key, &self.ports.all())?;
        let index = self.sockets.len();
        // Below 1024 sockets, the token stays in the raw range.
        let token = RAW_TOKEN_BASE - index as u64;
        epoll::add(
            epoll_fd,
            &raw.socket,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::IN,
        )?;
        self.sockets.push(raw);
        Ok(index)
    }

    /// A local port for the request: `bind_port` if given (reserved on first use), else a
    /// reserved ephemeral port not in flight to this server. `None` if none can be had.
    fn local_port(&mut self, request: &ProbeRequest) -> Option<u16> {
        let target = request.target;
        let busy = |by_tuple: &HashMap<(IpAddr, u16, u16), u32>, port: u16| {
            by_tuple.contains_key(&(target.ip(), target.port(), port))
        };
        if let Some(bind) = request.bind.filter(|bind| bind.port() != 0) {
            if busy(&self.by_tuple, bind.port()) {
                return None;
            }
            let added = self.ports.fixed(bind).ok()?;
            self.refilter(added);
            return Some(bind.port());
        }
        let by_tuple = &self.by_tuple;
        let (port, added) = self
            .ports
            .ephemeral(target.is_ipv6(), |port| !busy(by_tuple, port))
            .ok()?;
        self.refilter(added);
        port
    }

    fn refilter(&self, added: bool) {
        if !added {
            return;
        }
        let ports = self.ports.all();
        for raw in &self.sockets {
            // A socket whose filter cannot be replaced keeps the old one; its checks on
            // the new port then time out, which the log shows.
            let _ = raw.filter(&ports);
        }
    }

    fn fail(
        &mut self,
        index: u32,
        generation: u32,
        error: ProbeError,
        results: &mut VecDeque<(K, ProbeOutcome)>,
    ) {
        if let Some(probe) = self.release(index, generation) {
            results.push_back((probe.key, Err(error).into()));
        }
    }

    fn drop_stale_timers(&mut self) {
        while let Some(&Reverse((_, index, generation))) = self.timers.peek() {
            if self.slots.live(index, generation).is_some() {
                return;
            }
            self.timers.pop();
        }
    }

    /// Empties slot `index` if it still holds the check of `generation`, and forgets the
    /// check's tuple, so a late answer to it matches nothing.
    fn release(&mut self, index: u32, generation: u32) -> Option<SynProbe<K>> {
        let probe = self.slots.release(index, generation)?;
        let tuple = (probe.target.ip(), probe.target.port(), probe.local_port);
        if self.by_tuple.get(&tuple) == Some(&index) {
            self.by_tuple.remove(&tuple);
        }
        Some(probe)
    }
}

/// The SYN an ICMP error quotes: where it went, from which port, with which ISN.
struct QuotedSyn {
    to: SocketAddr,
    local_port: u16,
    seq: u32,
}

/// Reads the quoted SYN of an ICMP error sent to `to`: the first 8 bytes of its TCP
/// header, all an ICMP error is sure to quote (RFC 792, RFC 4443 §3.1).
fn quoted_syn(bytes: &[u8], to: IpAddr) -> Option<QuotedSyn> {
    let tcp = bytes.get(..8)?;
    let word = |at: usize| u16::from_be_bytes([tcp[at], tcp[at + 1]]);
    Some(QuotedSyn {
        to: SocketAddr::new(to, word(2)),
        local_port: word(0),
        seq: u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
    })
}

/// A segment from a server, as far as matching needs it.
struct Answer {
    from: SocketAddr,
    local_port: u16,
    flags: Flags,
    ack: u32,
}

/// Decodes a received segment: on IPv4 the raw socket hands over the IP header too; on
/// IPv6 only the TCP segment, the sender coming from `recvfrom`.
fn answer(bytes: &[u8], ipv6: bool, from: Option<SocketAddr>) -> Option<Answer> {
    let (source, segment) = if ipv6 {
        (from?.ip(), bytes)
    } else {
        let packet = keel_wire::ipv4::Packet::new_checked(bytes).ok()?;
        if packet.protocol() != tcp::PROTOCOL || packet.is_fragment() {
            return None;
        }
        let header = packet.header_len();
        let total = usize::from(packet.total_len());
        (IpAddr::V4(packet.src_addr()), bytes.get(header..total)?)
    };
    let segment = tcp::Packet::new_checked(segment).ok()?;
    Some(Answer {
        from: SocketAddr::new(source, segment.src_port()),
        local_port: segment.dst_port(),
        flags: segment.flags(),
        ack: segment.ack_number(),
    })
}
