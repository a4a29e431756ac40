//! BFD (RFC 5880; single hop RFC 5881, multihop RFC 5883): keepalived's `bfd_instance`s
//! (spec §2.4), followed by VRRP's `track_bfd` and the checker's `BFD_CHECK`.
//!
//! # Why a task in the VRRP process, not a third process
//!
//! keepalived runs BFD in its own child and sends each state change over a pipe to the
//! VRRP and checker children (spec §1.1). keel runs the sessions as one task on the VRRP
//! daemon's runtime: a session's state change reaches VRRP as an ordinary tracker event
//! with no pipe or process hop, and a BFD session needs a few dozen bytes and a timer.
//! What a separate process buys — that a crash in one cannot take the VIPs — is what keel
//! already gets from Rust for this small, allocation-light loop; the checker child, which
//! runs user probes and scripts, stays a process (see `checker::supervisor`). The checker
//! learns session states from this task through the supervisor (`BFD_CHECK`: a real
//! server is up iff its session is Up), as keepalived's checker learns them from its pipe.
//!
//! The task owns the sockets: one listener per family and port, reporting each packet's
//! TTL, and one sending socket per session. Received packets go to the session by Your
//! Discriminator, or by source address while it is 0 (the neighbour address is unique
//! per instance, as keepalived requires). On reload sessions are matched by name:
//! unchanged ones keep their state, changed timers go through a Poll Sequence
//! (keel-bfd), removed ones send AdminDown and go.

pub(crate) mod dump;
mod socket;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use keel_bfd::{Action, Input, Session, SessionConfig, State};
use keel_conf::Config;
use keel_vrrp::TrackerStatus;
use keel_wire::bfd::{PORT_MULTIHOP, PORT_SINGLE_HOP, Repr};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, watch};

use super::{Event, log};
use crate::vrrp_config::bfd_id;
use socket::{Listener, Sender};

/// One `bfd_instance`, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// The instance name (`track_bfd` and `BFD_CHECK` refer to it).
    pub name: String,
    /// `neighbor_ip`.
    pub neighbor: IpAddr,
    /// `source_ip`.
    pub source: Option<IpAddr>,
    /// `multihop`: UDP 4784 (RFC 5883) instead of 3784.
    pub multihop: bool,
    /// `ttl` / `hoplimit`: what packets are sent with (keepalived: 255 for IPv4, 64 for
    /// IPv6).
    pub ttl: u8,
    /// The lowest TTL accepted: `ttl − max_hops` (RFC 5881 §5: 255 for single hop, as
    /// `max_hops` defaults to 0); no check for multihop without `max_hops`.
    pub min_received_ttl: u8,
    /// The timers.
    pub session: SessionConfig,
    /// `vrrp` / `checker`: which side hears of state changes (both when neither is given).
    pub to_vrrp: bool,
    /// See `to_vrrp`.
    pub to_checker: bool,
}

/// The `bfd_instance`s of `config` (keel-conf has dropped those without a neighbour).
pub fn setups(config: &Config) -> Vec<Setup> {
    config
        .vrrp
        .bfd_instances
        .iter()
        .filter_map(|bfd| {
            let neighbor = bfd.neighbor_ip?;
            let ttl = bfd.ttl.unwrap_or(if neighbor.is_ipv4() { 255 } else { 64 });
            let min_received_ttl = match (bfd.multihop, bfd.max_hops) {
                (true, None) => 0,
                (_, hops) => ttl.saturating_sub(hops.unwrap_or(0).min(ttl)),
            };
            let listed = |word: &str| bfd.other.iter().any(|raw| raw.keyword == word);
            let (vrrp, checker) = (listed("vrrp"), listed("checker"));
            Some(Setup {
                name: bfd.name.clone(),
                neighbor,
                source: bfd.source_ip,
                multihop: bfd.multihop,
                ttl,
                min_received_ttl,
                session: SessionConfig {
                    desired_min_tx: Duration::from_millis(bfd.min_tx_ms.into()),
                    required_min_rx: Duration::from_millis(bfd.min_rx_ms.into()),
                    idle_tx: Duration::from_millis(bfd.idle_tx_ms.into()),
                    detect_mult: bfd.multiplier,
                    passive: bfd.passive,
                },
                to_vrrp: vrrp || !checker,
                to_checker: checker || !vrrp,
            })
        })
        .collect()
}

/// Session states as the checker sees them: name → Up.
pub type States = BTreeMap<String, bool>;

/// The running BFD task.
#[derive(Debug)]
pub struct Bfd {
    commands: UnboundedSender<Command>,
    states: watch::Receiver<States>,
}

#[derive(Debug)]
enum Command {
    Reload(Vec<Setup>),
    Dump(oneshot::Sender<String>),
    Stop(oneshot::Sender<()>),
}

impl Bfd {
    /// Starts the sessions of `setups`; VRRP hears of them as `Event::Tracker` on `events`
    /// (each session's state at start and after every reload, then every change).
    pub fn spawn(setups: Vec<Setup>, events: UnboundedSender<Event>) -> Bfd {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (states_tx, states) = watch::channel(States::new());
        let mut task = Task {
            sessions: Vec::new(),
            listeners: HashMap::new(),
            events,
            states: states_tx,
            discard_logged: 0,
        };
        task.reload(setups, Instant::now());
        tokio::spawn(task.run(commands_rx));
        Bfd { commands, states }
    }

    /// Applies a reloaded configuration (matched by name).
    pub fn reload(&self, setups: Vec<Setup>) {
        let _ = self.commands.send(Command::Reload(setups));
    }

    /// The `BFD Topology` section of `keepalived_bfd.data`.
    pub async fn dump(&self) -> String {
        let (tx, rx) = oneshot::channel();
        let _ = self.commands.send(Command::Dump(tx));
        rx.await.unwrap_or_default()
    }

    /// Takes every session AdminDown (the neighbours are told) and ends the task.
    pub async fn stop(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Session states for the checker (`BFD_CHECK`), updated on every change.
    pub fn states(&self) -> watch::Receiver<States> {
        self.states.clone()
    }
}

/// One session with its socket.
struct Running {
    setup: Setup,
    session: Session,
    sender: Option<Sender>,
    /// The wall-clock time of the last accepted packet (for the dump).
    last_seen: Option<std::time::SystemTime>,
}

struct Task {
    sessions: Vec<Running>,
    listeners: HashMap<(bool, u16), Listener>,
    events: UnboundedSender<Event>,
    states: watch::Sender<States>,
    discard_logged: u32,
}

impl Task {
    async fn run(mut self, mut commands: UnboundedReceiver<Command>) {
        loop {
            let deadline = self
                .sessions
                .iter()
                .filter_map(|running| running.session.poll_timeout())
                .min();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            let listeners = &self.listeners;
            let readable = std::future::poll_fn(|cx| {
                for (key, listener) in listeners {
                    if listener.poll_ready(cx).is_ready() {
                        return std::task::Poll::Ready(*key);
                    }
                }
                std::task::Poll::Pending
            });
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(Command::Reload(setups)) => self.reload(setups, Instant::now()),
                    Some(Command::Dump(reply)) => {
                        let _ = reply.send(dump::topology(&self.dump_entries()));
                    }
                    Some(Command::Stop(done)) => {
                        self.stop();
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
                key = readable => self.receive(key),
                () = sleep => {}
            }
            let now = Instant::now();
            for index in 0..self.sessions.len() {
                self.sessions[index].session.handle_timeout(now);
                self.drain(index);
            }
        }
    }

    fn reload(&mut self, setups: Vec<Setup>, now: Instant) {
        let mut old: Vec<Running> = std::mem::take(&mut self.sessions);
        for setup in setups {
            let same = old.iter().position(|r| {
                r.setup.name == setup.name
                    && r.setup.neighbor == setup.neighbor
                    && r.setup.source == setup.source
                    && r.setup.multihop == setup.multihop
                    && r.setup.ttl == setup.ttl
            });
            let running = match same {
                Some(index) => {
                    let mut running = old.swap_remove(index);
                    if running.setup.session != setup.session {
                        let _ = running
                            .session
                            .handle(now, Input::Reconfigure(setup.session));
                    }
                    running.setup = setup;
                    running
                }
                None => match self.start(setup, now) {
                    Some(running) => running,
                    None => continue,
                },
            };
            self.sessions.push(running);
        }
        // Removed (or re-addressed) instances tell their neighbour they are going.
        for mut gone in old {
            let _ = gone.session.handle(now, Input::AdminDown);
            while let Some(action) = gone.session.poll_action() {
                if let Action::Send(packet) = action {
                    send(&gone, &packet);
                }
            }
            log::info(&format!("BFD_Instance({}) removed", gone.setup.name));
        }
        self.open_listeners();
        for index in 0..self.sessions.len() {
            self.drain(index);
        }
        // The reloaded VRRP configuration may track sessions it did not track before (its
        // new trackers start "up"): tell it every session's state again.
        for running in self.sessions.iter().filter(|r| r.setup.to_vrrp) {
            let up = running.session.state() == State::Up;
            let _ = self.events.send(tracker_event(&running.setup.name, up));
        }
        self.publish();
    }

    fn start(&mut self, setup: Setup, now: Instant) -> Option<Running> {
        let discriminator = self.unused_discriminator();
        let session = match Session::new(setup.session, discriminator, random_u64(), now) {
            Ok(session) => session,
            Err(error) => {
                log::error(&format!("BFD_Instance({}): {error}", setup.name));
                return None;
            }
        };
        let port = if setup.multihop {
            PORT_MULTIHOP
        } else {
            PORT_SINGLE_HOP
        };
        let neighbor = SocketAddr::new(setup.neighbor, port);
        let sender = match Sender::open(neighbor, setup.source, setup.ttl, random_u64() as u32) {
            Ok(sender) => Some(sender),
            Err(error) => {
                log::error(&format!(
                    "BFD_Instance({}) Unable to open output socket: {error}",
                    setup.name
                ));
                None
            }
        };
        let from = sender
            .as_ref()
            .and_then(|s| s.local_addr().ok())
            .map_or_else(|| "nowhere".to_string(), |a| a.to_string());
        log::info(&format!(
            "BFD_Instance({}) starting, neighbor {} from {from}",
            setup.name, setup.neighbor
        ));
        Some(Running {
            setup,
            session,
            sender,
            last_seen: None,
        })
    }

    fn unused_discriminator(&self) -> u32 {
        loop {
            let candidate = random_u64() as u32;
            if candidate != 0
                && !self
                    .sessions
                    .iter()
                    .any(|r| r.session.local_discriminator() == candidate)
            {
                return candidate;
            }
        }
    }

    fn open_listeners(&mut self) {
        let wanted: Vec<(bool, u16)> = self
            .sessions
            .iter()
            .map(|r| {
                let port = if r.setup.multihop {
                    PORT_MULTIHOP
                } else {
                    PORT_SINGLE_HOP
                };
                (r.setup.neighbor.is_ipv6(), port)
            })
            .collect();
        self.listeners.retain(|key, _| wanted.contains(key));
        for key in wanted {
            if self.listeners.contains_key(&key) {
                continue;
            }
            match Listener::bind(key.0, key.1) {
                Ok(listener) => {
                    self.listeners.insert(key, listener);
                }
                Err(error) => log::error(&format!(
                    "BFD: cannot listen on {} port {}: {error}",
                    if key.0 { "IPv6" } else { "IPv4" },
                    key.1
                )),
            }
        }
    }

    fn receive(&mut self, key: (bool, u16)) {
        loop {
            let datagram = match self.listeners.get(&key).map(Listener::try_receive) {
                Some(Ok(Some(datagram))) => datagram,
                Some(Ok(None)) | None => return,
                Some(Err(error)) => {
                    log::warn(&format!("BFD: receive: {error}"));
                    return;
                }
            };
            let packet = match Repr::decode(&datagram.payload) {
                Ok(packet) => packet,
                Err(error) => {
                    self.discarded(&datagram.source, &error.to_string());
                    continue;
                }
            };
            let multihop = key.1 == PORT_MULTIHOP;
            let found = self.sessions.iter().position(|r| {
                r.setup.multihop == multihop
                    && if packet.your_discriminator != 0 {
                        r.session.local_discriminator() == packet.your_discriminator
                    } else {
                        r.setup.neighbor == datagram.source.ip()
                    }
            });
            let Some(index) = found else {
                self.discarded(&datagram.source, "no session");
                continue;
            };
            // RFC 5881 §5 (GTSM): single hop packets must arrive with TTL 255.
            if datagram.ttl < self.sessions[index].setup.min_received_ttl {
                self.discarded(&datagram.source, &format!("TTL {}", datagram.ttl));
                continue;
            }
            let now = Instant::now();
            let running = &mut self.sessions[index];
            match running.session.handle(now, Input::Packet(packet)) {
                Ok(()) => running.last_seen = Some(std::time::SystemTime::now()),
                Err(discard) => {
                    let source = datagram.source;
                    self.discarded(&source, &discard.to_string());
                    continue;
                }
            }
            self.drain(index);
        }
    }

    /// Logs a discarded packet, at most a few times (a flood must not flood the log).
    fn discarded(&mut self, source: &SocketAddr, why: &str) {
        if self.discard_logged < 20 {
            self.discard_logged += 1;
            log::detail(&format!("BFD: discarding packet from {source}: {why}"));
        }
    }

    fn drain(&mut self, index: usize) {
        let mut changed = false;
        while let Some(action) = self.sessions[index].session.poll_action() {
            let running = &self.sessions[index];
            match action {
                Action::Send(packet) => send(running, &packet),
                Action::StateChanged {
                    from,
                    to,
                    diagnostic,
                } => {
                    // keepalived 2.2.7's wording, then why.
                    log::info(&format!(
                        "({}) Entering {} state",
                        running.setup.name,
                        to.name()
                    ));
                    log::detail(&format!(
                        "({}) left {}: {}",
                        running.setup.name,
                        from.name(),
                        dump::diagnostic_name(diagnostic)
                    ));
                    let up = to == State::Up;
                    if running.setup.to_vrrp && (up || from == State::Up) {
                        let _ = self.events.send(tracker_event(&running.setup.name, up));
                    }
                    changed = true;
                }
            }
        }
        if changed {
            self.publish();
        }
    }

    fn publish(&self) {
        let states: States = self
            .sessions
            .iter()
            .filter(|r| r.setup.to_checker)
            .map(|r| (r.setup.name.clone(), r.session.state() == State::Up))
            .collect();
        self.states.send_if_modified(|current| {
            let differs = *current != states;
            *current = states;
            differs
        });
    }

    fn stop(&mut self) {
        let now = Instant::now();
        for index in 0..self.sessions.len() {
            let _ = self.sessions[index].session.handle(now, Input::AdminDown);
            while let Some(action) = self.sessions[index].session.poll_action() {
                if let Action::Send(packet) = action {
                    send(&self.sessions[index], &packet);
                }
            }
        }
    }

    fn dump_entries(&self) -> Vec<dump::Entry<'_>> {
        self.sessions
            .iter()
            .map(|r| dump::Entry {
                setup: &r.setup,
                session: &r.session,
                last_seen: r.last_seen,
            })
            .collect()
    }
}

/// The event that tells VRRP's tracker of BFD instance `name` (`track_bfd`) whether the
/// session is up.
fn tracker_event(name: &str, up: bool) -> Event {
    Event::Tracker {
        id: bfd_id(name),
        status: TrackerStatus::up_or_down(up),
    }
}

fn send(running: &Running, packet: &Repr) {
    let Some(sender) = &running.sender else {
        return;
    };
    match packet.to_bytes() {
        Ok(bytes) => {
            if let Err(error) = sender.send(&bytes) {
                log::detail(&format!(
                    "BFD_Instance({}) send: {error}",
                    running.setup.name
                ));
            }
        }
        Err(error) => log::error(&format!(
            "BFD_Instance({}) cannot encode: {error}",
            running.setup.name
        )),
    }
}

/// Randomness for discriminators, source ports and jitter seeds.
fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // SAFETY: writes at most 8 bytes into the live array.
    let filled = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if filled == 8 {
        u64::from_ne_bytes(bytes)
    } else {
        // getrandom cannot fail for 8 bytes once the pool is ready; fall back to the clock.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id())
    }
}

#[cfg(test)]
mod tests;
