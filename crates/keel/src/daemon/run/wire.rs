//! The loop's VRRP wire path (issue 4, scale): the raw sockets are read by the loop itself,
//! every queued datagram per wake-up (`recvmmsg`), each advert handed to the engine at its
//! kernel arrival time; adverts the engine emits in one turn leave in one `sendmmsg` per
//! socket. Nothing here allocates per advert.
//!
//! A socket that becomes readable is read up to 1 ms later ([`READ_DEFER`]), with the
//! thread blocked meanwhile, so the rest of the peer's burst is read in the same wake-up.
//!
//! Ordering is what keeps a busy daemon from a split brain: before the engine acts on an
//! expired timer, every advert already queued in a socket is handled first, and within a
//! batch a timer fires only when its deadline precedes the advert's arrival. A backup whose
//! loop runs late therefore still sees the master's adverts before its Master_Down timer
//! (RFC 5798 §6.4.2), and a master stepping down sees them at all (§6.4.3).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use keel_sys::socket::RecvBatch;
use keel_vrrp::{Action, Authentication, OutgoingAdvert, RouterAction, RouterInput, Source};

use super::Daemon;
use super::absorb::{ABSORB_AHEAD, Absorber};
use crate::daemon::net::{Decoded, EncodedAdvert, Endpoint, arrival, decode_reusing};
use crate::daemon::{log, timing};

/// Datagrams per `recvmmsg`.
const RECEIVE_BATCH: usize = 32;
/// Batches read from one socket per wake-up before the loop looks at its other inputs.
const BATCHES_PER_WAKE: usize = 16;

/// How long a socket that became readable may wait before it is read. A peer's burst of
/// adverts (one `sendmmsg` of up to 255 per socket) reaches this host one datagram at a
/// time, each waking the loop; waiting lets the whole burst queue so one wake-up reads it
/// (issue 4: the backup at 510 instances spent 70 % of its samples in `recvmmsg` and
/// `epoll_wait`). Deferring is harmless to the protocol: every advert is handed to the
/// engine at its kernel arrival time (`SO_TIMESTAMPNS`), not at the time it is read, so
/// the timers it restarts (RFC 5798 §6.4.2) and the Skew_Time a priority-0 advert arms
/// (§6.4.2) run from the same instant either way.
const READ_DEFER: Duration = Duration::from_millis(1);

/// Margin kept before the engine's earliest deadline: a takeover wait spins for the last
/// 200 µs (`timing::SPIN_WINDOW`), and the deferral must end before that starts.
const DEFER_MARGIN: Duration = Duration::from_micros(300);

/// What the slow-action queue keeps after a burst (see `drain`).
const SLOW_QUEUE_KEPT: usize = 64;

/// Until when a read may be deferred at `now`: [`READ_DEFER`] later, but never past the
/// engine's earliest `deadline` less [`DEFER_MARGIN`], so no timer (above all a BACKUP's
/// Master_Down timer) is ever served late because of it. At or before `now`: read at once.
fn read_deferral(now: Instant, deadline: Option<Instant>) -> Instant {
    let bound = now + READ_DEFER;
    match deadline {
        Some(deadline) => bound.min(deadline.checked_sub(DEFER_MARGIN).unwrap_or(deadline)),
        None => bound,
    }
}

#[cfg(test)]
mod tests;

/// The sockets, what each instance sends with, and the receive scratch space.
#[derive(Debug)]
pub(super) struct Wire {
    pub(super) endpoints: Vec<Endpoint>,
    /// Per instance name: its endpoint, `unicast_ttl`, AH sequence and encoded adverts.
    pub(super) instances: HashMap<Arc<str>, InstanceIo>,
    /// The instances whose repeated adverts the kernel absorbs (run/absorb.rs).
    pub(super) absorber: Absorber,
    batch: RecvBatch,
    /// Address vector handed back and forth with the engine, so decoding does not allocate.
    addresses: Vec<IpAddr>,
    /// Every socket's descriptor for `poll`, and its (endpoint, socket) position.
    poll_fds: Vec<libc::pollfd>,
    poll_index: Vec<(usize, usize)>,
    /// Actions other than adverts, waiting their turn in [`Daemon::drain`].
    slow: VecDeque<RouterAction>,
    /// The group keepalived ≤ 1.3.6 put in unicast pseudo-headers (spec §3.1).
    group4: Ipv4Addr,
    /// The latest time given to the engine; arrival times never go behind it.
    clock: Instant,
}

#[derive(Debug)]
pub(super) struct InstanceIo {
    /// The instance's index in the engine.
    pub(super) index: usize,
    endpoint: Option<usize>,
    unicast_ttl: u8,
    ah_sequence: u32,
    encoded: Vec<EncodedAdvert>,
}

impl Wire {
    pub(super) fn new(now: Instant) -> Wire {
        Wire {
            endpoints: Vec::new(),
            instances: HashMap::new(),
            absorber: Absorber::default(),
            batch: RecvBatch::new(RECEIVE_BATCH),
            addresses: Vec::new(),
            poll_fds: Vec::new(),
            poll_index: Vec::new(),
            slow: VecDeque::new(),
            group4: Ipv4Addr::new(224, 0, 0, 18),
            clock: now,
        }
    }

    /// Ready with (endpoint, socket) when one of the sockets may have datagrams.
    pub(super) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<(usize, usize)> {
        for (e, endpoint) in self.endpoints.iter().enumerate() {
            for (s, socket) in endpoint.sockets().enumerate() {
                // An error is "ready" too: the read reports it.
                if socket.poll_readable(cx).is_ready() {
                    return Poll::Ready((e, s));
                }
            }
        }
        Poll::Pending
    }

    /// Closes the sockets on `interface` (a VMAC that was deleted); the instances that sent
    /// on them have no endpoint until [`Daemon::open_endpoints`] runs again.
    pub(super) fn close_interface(&mut self, interface: &str) {
        let mut next = 0;
        let remap: Vec<Option<usize>> = self
            .endpoints
            .iter()
            .map(|endpoint| {
                (endpoint.interface != interface).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        self.endpoints
            .retain(|endpoint| endpoint.interface != interface);
        for io in self.instances.values_mut() {
            io.endpoint = io
                .endpoint
                .and_then(|index| remap.get(index).copied().flatten());
        }
        self.index_sockets();
    }

    /// Takes `interface`'s MAC from a link event or listing: framed adverts on it carry
    /// it from the next send on (spec §3.10: a VMAC's own, else the interface's).
    pub(super) fn set_link_mac(&mut self, interface: &str, mac: [u8; 6]) {
        for endpoint in &mut self.endpoints {
            if endpoint.interface == interface {
                endpoint.set_link_mac(mac);
            }
        }
    }

    /// Rebuilds the `poll` array from the endpoints.
    fn index_sockets(&mut self) {
        self.poll_fds.clear();
        self.poll_index.clear();
        for (e, endpoint) in self.endpoints.iter().enumerate() {
            for (s, fd) in endpoint.raw_fds().enumerate() {
                self.poll_fds.push(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
                self.poll_index.push((e, s));
            }
        }
    }

    /// A monotonic time for the engine: `now`, or the last time given if that is later.
    pub(super) fn tick(&mut self, now: Instant) -> Instant {
        self.clock = self.clock.max(now);
        self.clock
    }
}

impl Daemon {
    /// Opens the sockets every instance needs (once per interface and family; a reload adds
    /// missing ones), joins the groups, and indexes what each instance sends with.
    pub(super) fn open_endpoints(&mut self) {
        // The engine's indices may have changed (a reload).
        self.stop_absorbing();
        let instances = self.router.instances();
        for (index, instance) in instances.iter().enumerate() {
            let config = instance.config();
            // spec §3.10: a `use_vmac` instance sends and receives on its VMAC (unless
            // `vmac_xmit_base`); the engine still knows it by its base interface.
            let wire = self.vmacs.wire_interface(&config.name, &config.interface);
            let found = self
                .wire
                .endpoints
                .iter()
                .position(|e| e.interface == wire && e.family == config.family);
            let endpoint = match found {
                Some(endpoint) => Some(endpoint),
                None => {
                    let sharing = instances.iter().filter(|i| {
                        self.vmacs.wire_interface(i.name(), &i.config().interface) == wire
                            && i.config().family == config.family
                    });
                    let with_ah = instances.iter().any(|i| {
                        i.config().interface == config.interface
                            && matches!(i.config().authentication, Authentication::Ah(_))
                    });
                    match Endpoint::open(
                        wire,
                        config.family,
                        Some(config.primary_address),
                        with_ah,
                        sharing.count(),
                    ) {
                        Ok(endpoint) => {
                            self.wire.endpoints.push(endpoint);
                            Some(self.wire.endpoints.len() - 1)
                        }
                        Err(error) => {
                            log::error(&format!(
                                "({}) cannot open a VRRP socket on {wire}: {error}",
                                config.name
                            ));
                            None
                        }
                    }
                }
            };
            if let (Some(endpoint), true) = (endpoint, config.unicast_peers.is_empty()) {
                if let Err(error) = self.wire.endpoints[endpoint].join(config.multicast_group) {
                    log::error(&format!(
                        "({}) cannot join {} on {wire}: {error}",
                        config.name, config.multicast_group
                    ));
                }
            }
            let unicast_ttl = self
                .config
                .instances
                .get(index)
                .filter(|setup| setup.name == config.name)
                .map_or(255, |setup| setup.unicast_ttl);
            let ah_sequence = self
                .wire
                .instances
                .get(config.name.as_str())
                .map_or(0, |io| io.ah_sequence);
            self.wire.instances.insert(
                Arc::from(config.name.as_str()),
                InstanceIo {
                    index,
                    endpoint,
                    unicast_ttl,
                    ah_sequence,
                    encoded: Vec::new(),
                },
            );
        }
        self.wire.index_sockets();
        let names: Vec<&str> = instances.iter().map(|i| i.name()).collect();
        self.wire
            .instances
            .retain(|name, _| names.contains(&name.as_ref()));
        self.wire.group4 = instances
            .iter()
            .find_map(|i| match i.config().multicast_group {
                IpAddr::V4(group) => Some(group),
                IpAddr::V6(_) => None,
            })
            .unwrap_or(Ipv4Addr::new(224, 0, 0, 18));
    }

    /// Called when socket `socket` of endpoint `endpoint` became readable: waits up to
    /// [`READ_DEFER`] (see [`read_deferral`]) so the rest of the peer's burst is queued too,
    /// then reads that socket and every other one with datagrams, each until it is empty (or
    /// for [`BATCHES_PER_WAKE`] batches), carrying out the engine's actions after each batch.
    pub(super) async fn receive(&mut self, endpoint: usize, socket: usize) {
        // Blocking, not awaiting: see timing::block_until (≤ 1 ms, and nothing else on this
        // thread is due before the engine's deadline that bounds it).
        timing::block_until(read_deferral(Instant::now(), self.router.poll_timeout()));
        for _ in 0..BATCHES_PER_WAKE {
            let read = self.read_batch(endpoint, socket);
            self.drain().await;
            if read < self.wire.batch.capacity() {
                break;
            }
        }
        // The deferral let the other family's socket fill too (a master sends its IPv4 and
        // IPv6 adverts in the same turn): read it now rather than after another wake-up.
        if self.wire.poll_fds.len() > 1 && self.read_ready_sockets() {
            self.drain().await;
        }
    }

    /// Called on every loop turn: fires expired timers (after reading the sockets, see
    /// [`Daemon::ingest_timers`]) and carries out what they produce.
    pub(super) async fn service_timers(&mut self) {
        if self.ingest_timers() {
            self.drain().await;
        }
    }

    /// Carries out every pending action of the engine. Adverts go first, in one `sendmmsg`
    /// per socket; the slow actions (rtnetlink, gratuitous ARP/NA, scripts) follow in
    /// order, and between two of them the timers that expired meanwhile are fired, so a
    /// master installing thousands of VIPs keeps advertising on time (issue 4: at 2,040
    /// instances the first adverts of the last instances waited behind 2,000 address
    /// installations, past the peer's Master_Down_Interval).
    pub(super) async fn drain(&mut self) {
        loop {
            while let Some(action) = self.router.poll_action() {
                match &action.action {
                    Action::SendAdvert(advert) => self.queue_advert(&action.source, advert),
                    _ => self.wire.slow.push_back(action),
                }
            }
            self.flush_adverts().await;
            let Some(action) = self.wire.slow.pop_front() else {
                // Start queues every instance's VIPs and GARPs at once (0.46 MB at 510
                // instances, issue 4: RSS); keep room for a few transitions only.
                keel_vrrp::release_burst(&mut self.wire.slow, SLOW_QUEUE_KEPT);
                return;
            };
            self.execute(action).await;
            self.ingest_timers();
        }
    }

    /// When the engine's earliest deadline has passed: reads every socket that has
    /// datagrams, then fires the timers; their actions wait in the engine's queue. Returns
    /// whether timers fired.
    fn ingest_timers(&mut self) -> bool {
        let due = self
            .router
            .poll_timeout()
            .is_some_and(|deadline| deadline <= Instant::now());
        if !due {
            return false;
        }
        // RFC 5798 §6.4.2: an advert that arrived before the Master_Down timer expired
        // restarts it; it must reach the engine before the expiry does.
        self.read_ready_sockets();
        let now = self.wire.tick(Instant::now());
        self.absorb_due(now + ABSORB_AHEAD);
        self.router.handle_timeout(now);
        true
    }

    /// Reads every socket that has queued datagrams (one `poll` with a zero timeout over
    /// all of them), each until it is empty or for [`BATCHES_PER_WAKE`] batches; the
    /// engine's actions wait in its queue. Returns whether anything was read.
    fn read_ready_sockets(&mut self) -> bool {
        let fds = &mut self.wire.poll_fds;
        for pollfd in fds.iter_mut() {
            pollfd.revents = 0;
        }
        // SAFETY: `fds` is a live array of `fds.len()` pollfd structures.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
        let mut read = 0;
        if ready > 0 {
            for index in 0..self.wire.poll_fds.len() {
                if self.wire.poll_fds[index].revents & libc::POLLIN != 0 {
                    let (e, s) = self.wire.poll_index[index];
                    for _ in 0..BATCHES_PER_WAKE {
                        let count = self.read_batch(e, s);
                        read += count;
                        if count < self.wire.batch.capacity() {
                            break;
                        }
                    }
                }
            }
        }
        read > 0
    }

    /// Queues an advert the engine emitted on its instance's endpoint (sent at the next
    /// [`Daemon::flush_adverts`]).
    pub(super) fn queue_advert(&mut self, source: &Source, advert: &OutgoingAdvert) {
        let Source::Instance { name, interface } = source else {
            return;
        };
        if self
            .wire
            .instances
            .get(&**name)
            .is_some_and(|io| self.wire.absorber.is_armed(io.index))
        {
            // A MASTER hears the same adverts otherwise (RFC 5798 §6.4.3).
            self.disarm_instance(name);
        }
        let Some(io) = self.wire.instances.get_mut(&**name) else {
            log::detail(&format!("({name}) no socket on {interface}"));
            return;
        };
        io.ah_sequence = io.ah_sequence.wrapping_add(1);
        let Some(endpoint) = io.endpoint else {
            log::detail(&format!("({name}) no socket on {interface}"));
            return;
        };
        let Some(endpoint) = self.wire.endpoints.get_mut(endpoint) else {
            return;
        };
        if let Err(error) = endpoint.queue(advert, io.unicast_ttl, io.ah_sequence, &mut io.encoded)
        {
            log::detail(&format!("({name}) advert not sent: {error}"));
        }
    }

    /// Encodes instance `name`'s `advert` as [`Daemon::queue_advert`] would, into its
    /// endpoint's cache and send buffers, and sends nothing (run/prepare.rs).
    pub(super) fn prepare_advert(&mut self, name: &str, advert: &OutgoingAdvert) {
        let Some(io) = self.wire.instances.get_mut(name) else {
            return;
        };
        let Some(endpoint) = io.endpoint.and_then(|e| self.wire.endpoints.get_mut(e)) else {
            return;
        };
        endpoint.prepare(advert, io.unicast_ttl, &mut io.encoded);
    }

    /// Sends every queued advert: one `sendmmsg` per socket.
    pub(super) async fn flush_adverts(&mut self) {
        for endpoint in &mut self.wire.endpoints {
            if endpoint.has_pending() {
                if let Err(error) = endpoint.flush().await {
                    log::detail(&format!("adverts not sent: {error}"));
                }
            }
        }
    }

    /// One `recvmmsg` on the socket, each datagram decoded and handed to the engine at its
    /// arrival; returns how many were read.
    fn read_batch(&mut self, endpoint_index: usize, socket: usize) -> usize {
        let Wire {
            endpoints,
            batch,
            addresses,
            group4,
            clock,
            absorber,
            ..
        } = &mut self.wire;
        let endpoints = &*endpoints;
        let Some(endpoint) = endpoints.get(endpoint_index) else {
            return 0;
        };
        let Some(socket) = endpoint.sockets().nth(socket) else {
            return 0;
        };
        let count = match socket.try_recv_batch(batch) {
            Ok(count) => count,
            Err(error) => {
                log::warn(&format!("receive on {}: {error}", endpoint.interface));
                return 0;
            }
        };
        if batch.is_empty() {
            return count;
        }
        let (wall_now, now) = (SystemTime::now(), Instant::now());
        let mut deadline = self.router.poll_timeout();
        let (wire, family) = (endpoint.interface.as_str(), endpoint.family);
        // A VMAC's packets are its instance's, known to the engine by the parent (spec §3.10).
        let interface = self.vmacs.engine_interface(wire);
        for index in 0..batch.len() {
            let (bytes, received) = batch.packet(index);
            let at = arrival(received.timestamp, wall_now, now).max(*clock);
            *clock = at;
            // A timer that expired before this advert arrived fires first, at the arrival.
            if deadline.is_some_and(|deadline| deadline <= at) {
                absorber.absorb_due(&mut self.router, endpoints, at);
                self.router.handle_timeout(at);
            }
            let decoded = {
                let instances = self.router.instances();
                let ah_key = |vrid: u8| {
                    instances
                        .iter()
                        .map(|i| i.config())
                        .find(|c| c.interface == interface && c.vrid == vrid && c.family == family)
                        .and_then(|c| match c.authentication {
                            Authentication::Ah(key) => Some(key),
                            _ => None,
                        })
                };
                let recycled = std::mem::take(addresses);
                decode_reusing(family, bytes, &received, *group4, &ah_key, recycled)
            };
            match decoded {
                Decoded::Advert(advert) if !self.vmacs.accepts(wire, family, advert.vrid) => {
                    // The VMAC and its parent both heard it; the other one counts it.
                    *addresses = advert.addresses;
                }
                Decoded::Advert(advert) => {
                    // What the filter absorbed for the instance came first (run/absorb.rs).
                    absorber.absorb_before(
                        &mut self.router,
                        endpoints,
                        interface,
                        family,
                        advert.vrid,
                    );
                    if self.router.handle_advert(at, interface, &advert) {
                        absorber.arm(
                            &self.router,
                            endpoints,
                            endpoint_index,
                            interface,
                            at,
                            bytes,
                            &received,
                            &advert,
                        );
                    } else {
                        unknown_vrid(self.config.log_unknown_vrids, interface, &advert);
                    }
                    *addresses = advert.addresses;
                }
                Decoded::Malformed { vrid, kind } => {
                    log::detail(&format!("malformed packet for VRID {vrid} on {interface}"));
                    self.router.handle(
                        at,
                        RouterInput::Malformed {
                            interface: interface.to_string(),
                            family,
                            vrid,
                            kind,
                        },
                    );
                }
                Decoded::Ignored(why) => {
                    log::detail(&format!("ignored packet on {interface}: {why}"));
                }
            }
            // The advert may have moved a deadline (a priority-0 advert arms Skew_Time);
            // the engine keeps its deadlines in a heap, so asking costs nothing.
            deadline = self.router.poll_timeout();
        }
        count
    }
}

/// spec §2.3 `log_unknown_vrids`: an advert for a VRID no instance has on `interface` is
/// logged (keepalived's INFO line) only when asked; otherwise only with `-D`.
fn unknown_vrid(log_it: bool, interface: &str, advert: &keel_vrrp::ReceivedAdvert) {
    if log_it {
        log::info(&format!(
            "Unknown VRID({}) received on interface({interface}). ignoring...",
            advert.vrid
        ));
    } else {
        log::detail(&format!(
            "advert for unknown VRID {} on {interface} from {}",
            advert.vrid, advert.source
        ));
    }
}
