//! [`TcpProber`]: many `TCP_CHECK`s in flight on one epoll set, driven from the caller's
//! loop instead of one tokio task each.
//!
//! Why: `TCP_CHECK` at `delay_loop 1` over thousands of real servers is thousands of
//! connects a second (issue 5's benchmark: 2,000). Through [`crate::run`] each one costs a
//! task, a reactor registration (`epoll_ctl` ADD and DEL), a timer-wheel entry for
//! `connect_timeout` and a `getsockopt(SO_ERROR)`. Here a check is `socket`, `connect`, one
//! `epoll_ctl(ADD)`, `setsockopt(SO_LINGER)` and `close`: the readiness of every socket
//! arrives in one `epoll_wait` batch (the epoll fd itself sits in tokio's reactor), `close`
//! drops the registration, and the deadlines are data in a heap that the caller's single
//! timer serves ([`TcpProber::poll_timeout`], CONVENTIONS.md 2). The verdict is the one
//! keepalived reaches (spec §2.7 "connect() only", `check_tcp.c`): up iff the connection
//! completes within `connect_timeout`; epoll's `EPOLLERR`/`EPOLLHUP` stand in for its
//! `SO_ERROR` read, which is made only when a connect failed, for the reason.
//!
//! A completed check is closed with a reset (see [`close_with_reset`]).
//!
//! In [`TcpCheckMode::Syn`] the prober runs checks half-open instead (`crate::syn`: a SYN
//! from a raw socket, no socket per check), and falls back to the connect above for the
//! checks it cannot run that way, or for all of them without `CAP_NET_RAW`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::buffer::spare_capacity;
use rustix::event::epoll;
use rustix::io::Errno;
use socket2::{Domain, SockRef, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::error::ProbeError;
use crate::slots::Slots;
use crate::socket::apply_options;
use crate::syn::{Declined, SynEngine};
use crate::{ProbeOutcome, ProbeRequest};

/// Events taken from the epoll set per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 256;

/// How [`TcpProber`] runs a `TCP_CHECK` (the keel-specific `keel_tcp_check` keyword).
///
/// Both reach keepalived's verdict (up iff the server answers the SYN with a SYN-ACK
/// within `connect_timeout`); they differ in what the server sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TcpCheckMode {
    /// `connect()` and a reset close, as keepalived (but RST instead of FIN): the
    /// server's application accepts a connection per check.
    Connect,
    /// Half-open: a SYN from a raw socket; the kernel answers the server's SYN-ACK with
    /// a RST, so the application never accepts a connection. Needs `CAP_NET_RAW`;
    /// without it the prober connects.
    #[default]
    Syn,
}

impl TcpCheckMode {
    /// Parses `keel_tcp_check`'s argument: `connect` or `syn`.
    pub fn parse(word: &str) -> Option<TcpCheckMode> {
        match word {
            "connect" => Some(TcpCheckMode::Connect),
            "syn" => Some(TcpCheckMode::Syn),
            _ => None,
        }
    }

    /// The keyword's argument for this mode.
    pub fn keyword(self) -> &'static str {
        match self {
            TcpCheckMode::Connect => "connect",
            TcpCheckMode::Syn => "syn",
        }
    }
}

/// TCP connect probes in flight, each identified by the caller's key `K`.
///
/// ```text
/// prober.start(key, &request, now);          // as many as the caller allows
/// loop {
///     select { prober.ready() => prober.collect(),
///              sleep_until(prober.poll_timeout()) => prober.handle_timeout(now) }
///     while let Some((key, outcome)) = prober.poll_result() { .. }
/// }
/// ```
///
/// Every started probe yields exactly one result. Needs a tokio runtime with I/O enabled
/// (for [`TcpProber::new`] and [`TcpProber::ready`]); reads no clock itself.
pub struct TcpProber<K> {
    epoll: AsyncFd<OwnedFd>,
    slots: Slots<InFlight<K>>,
    /// `(deadline, slot, generation)`; entries of finished probes stay until they reach
    /// the top, where they are dropped, so the top is always a probe still in flight.
    deadlines: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    events: Vec<epoll::Event>,
    results: VecDeque<(K, ProbeOutcome)>,
    /// Half-open checks; `None` in connect mode or without `CAP_NET_RAW`.
    syn: Option<SynEngine<K>>,
    /// The `now` of the first half-open check queued since the last send: the SYNs are
    /// due then ([`TcpProber::poll_timeout`]).
    queued_at: Option<Instant>,
}

struct InFlight<K> {
    key: K,
    socket: Socket,
    timeout: Duration,
}

impl<K> TcpProber<K> {
    /// An empty prober that connects ([`TcpCheckMode::Connect`]), with its epoll set
    /// registered in the current tokio runtime.
    pub fn new() -> io::Result<Self> {
        Self::with_mode(TcpCheckMode::Connect)
    }

    /// An empty prober in `mode`. [`TcpCheckMode::Syn`] opens a raw socket; where that
    /// is refused (no `CAP_NET_RAW`) the prober connects: [`TcpProber::mode`] says which.
    pub fn with_mode(mode: TcpCheckMode) -> io::Result<Self> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        // AsyncFd takes the OwnedFd by value and owns the descriptor until dropped, so the
        // I/O-safety concern behind the deprecation (a borrowed fd closed while registered)
        // cannot arise here (as in ping.rs).
        #[allow(deprecated)]
        let epoll = AsyncFd::with_interest(epoll, tokio::io::Interest::READABLE)?;
        let syn = match mode {
            TcpCheckMode::Syn => SynEngine::new(epoll.get_ref()).ok(),
            TcpCheckMode::Connect => None,
        };
        Ok(TcpProber {
            epoll,
            slots: Slots::new(),
            deadlines: BinaryHeap::new(),
            events: Vec::with_capacity(EVENTS_PER_WAIT),
            results: VecDeque::new(),
            syn,
            queued_at: None,
        })
    }

    /// How checks run: [`TcpCheckMode::Syn`] only if asked for and the raw socket could
    /// be opened.
    pub fn mode(&self) -> TcpCheckMode {
        match self.syn {
            Some(_) => TcpCheckMode::Syn,
            None => TcpCheckMode::Connect,
        }
    }

    /// Starts a connect to `request.target` with the common options of spec §2.7
    /// (`bindto`/`bind_port`, `bind_if`, `fwmark`); it fails if not connected by
    /// `now + request.connect_timeout`. `request.spec` is not looked at: this is
    /// `TCP_CHECK`. A probe that fails at once (setup error, refused on the spot) has its
    /// result ready for [`TcpProber::poll_result`] on return.
    ///
    /// A half-open check's SYN is queued: it leaves with the others of the same turn at
    /// [`TcpProber::flush`] (or at [`TcpProber::handle_timeout`], which
    /// [`TcpProber::poll_timeout`] makes due at once). A check the half-open path cannot
    /// honour (a port or socket it cannot have) connects instead.
    pub fn start(&mut self, key: K, request: &ProbeRequest, now: Instant) {
        let key = match &mut self.syn {
            Some(syn) => match syn.start(key, request, now, self.epoll.get_ref()) {
                Ok(()) => {
                    self.queued_at.get_or_insert(now);
                    return;
                }
                Err(Declined(key)) => key,
            },
            None => key,
        };
        let socket = match connect(request) {
            Ok(Connecting::InProgress(socket)) => socket,
            Ok(Connecting::Done(socket)) => {
                close_with_reset(socket);
                self.results.push_back((key, ProbeOutcome::Up));
                return;
            }
            Err(error) => {
                self.results.push_back((key, Err(error).into()));
                return;
            }
        };
        let (index, generation) = self.slots.vacant();
        let token = u64::from(generation) << 32 | u64::from(index);
        let registered = epoll::add(
            self.epoll.get_ref(),
            &socket,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::OUT,
        );
        if let Err(errno) = registered {
            self.slots.unreserve(index);
            let error = ProbeError::Setup(io::Error::from(errno));
            self.results.push_back((key, Err(error).into()));
            return;
        }
        let deadline = now + request.connect_timeout;
        self.deadlines.push(Reverse((deadline, index, generation)));
        self.slots.fill(
            index,
            InFlight {
                key,
                socket,
                timeout: request.connect_timeout,
            },
        );
    }

    /// Probes started and not finished.
    pub fn in_flight(&self) -> usize {
        self.slots.in_flight() + self.syn.as_ref().map_or(0, SynEngine::in_flight)
    }

    /// Sends the SYNs queued by [`TcpProber::start`], one `sendmmsg` per raw socket.
    /// Call it after starting a turn's checks; a SYN the kernel refuses (no route) fails
    /// its check at once.
    pub fn flush(&mut self, now: Instant) {
        if let Some(syn) = &mut self.syn {
            syn.flush(now, &mut self.results);
            self.queued_at = None;
        }
    }

    /// Resolves when a result is waiting or some probe may have finished; call
    /// [`TcpProber::collect`] then [`TcpProber::poll_result`]. Cancel-safe (it only
    /// waits), so it fits a `select!` branch.
    pub async fn ready(&self) -> io::Result<()> {
        if !self.results.is_empty() {
            return Ok(());
        }
        let mut guard = self.epoll.readable().await?;
        // Cleared before collect() reads the set: an event that arrives in between wakes
        // the next ready() instead of being lost.
        guard.clear_ready();
        Ok(())
    }

    /// Takes every finished connect from the epoll set and queues its result.
    pub fn collect(&mut self) {
        loop {
            self.events.clear();
            let zero = rustix::time::Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let waited = epoll::wait(
                self.epoll.get_ref(),
                spare_capacity(&mut self.events),
                Some(&zero),
            );
            match waited {
                Ok(_) => {}
                Err(Errno::INTR) => continue,
                // Only EBADF/EFAULT/EINVAL, which this fd and buffer cannot produce.
                Err(_) => return,
            }
            let full = self.events.len() == self.events.capacity();
            for index in 0..self.events.len() {
                let event = self.events[index];
                let (flags, token) = (event.flags, event.data.u64());
                let answers = self.syn.as_mut();
                if answers.is_some_and(|syn| syn.on_ready(token, &mut self.results)) {
                    continue;
                }
                self.finish(token, flags);
            }
            self.drop_stale_deadlines();
            if !full {
                return;
            }
        }
    }

    /// The earliest deadline of a probe in flight, SYN retransmission, or queued SYNs;
    /// call [`TcpProber::handle_timeout`] then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let connect = self
            .deadlines
            .peek()
            .map(|Reverse((deadline, _, _))| *deadline);
        let syn = self
            .syn
            .as_ref()
            .and_then(|syn| syn.poll_timeout(self.queued_at));
        [connect, syn].into_iter().flatten().min()
    }

    /// Fails every probe whose deadline is at or before `now` ("timeout during connect"),
    /// after taking the connects that completed meanwhile: a loop that comes late to its
    /// deadline must not fail a check whose connection was made in time.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.collect();
        while let Some(&Reverse((deadline, index, generation))) = self.deadlines.peek() {
            if deadline > now {
                break;
            }
            self.deadlines.pop();
            if let Some(probe) = self.slots.release(index, generation) {
                // Never connected: closing sends nothing, so no reset is needed.
                drop(probe.socket);
                let error = ProbeError::Timeout {
                    step: "connect",
                    timeout: probe.timeout,
                };
                self.results.push_back((probe.key, Err(error).into()));
            }
        }
        self.drop_stale_deadlines();
        if let Some(syn) = &mut self.syn {
            syn.handle_timeout(now, &mut self.results);
            self.queued_at = None;
        }
    }

    /// The next finished probe's result, in the order they finished.
    pub fn poll_result(&mut self) -> Option<(K, ProbeOutcome)> {
        self.results.pop_front()
    }

    fn finish(&mut self, token: u64, flags: epoll::EventFlags) {
        // The token packs (generation << 32 | index); the casts take those halves.
        let (index, generation) = (token as u32, (token >> 32) as u32);
        let Some(probe) = self.slots.release(index, generation) else {
            return;
        };
        let failed = flags.intersects(epoll::EventFlags::ERR | epoll::EventFlags::HUP);
        let outcome = if failed {
            let error = match probe.socket.take_error() {
                Ok(Some(error)) | Err(error) => error,
                Ok(None) => io::Error::from(io::ErrorKind::ConnectionReset),
            };
            Err(ProbeError::Connect(error)).into()
        } else {
            close_with_reset(probe.socket);
            ProbeOutcome::Up
        };
        self.results.push_back((probe.key, outcome));
    }

    fn drop_stale_deadlines(&mut self) {
        while let Some(&Reverse((_, index, generation))) = self.deadlines.peek() {
            if self.slots.live(index, generation).is_some() {
                return;
            }
            self.deadlines.pop();
        }
    }
}

/// Closes an established probe connection with a TCP reset (`SO_LINGER` 0) instead of a
/// FIN. keepalived closes `TCP_CHECK` sockets with a plain `close()` (`check_tcp.c`); keel
/// resets them, as HAProxy does for its health checks: 4 packets per check instead of 7,
/// no FIN exchange, and no `TIME_WAIT` socket left on the director for 60 s per check
/// (≈120,000 of them at 2,000 checks/s). The server still sees the connection — `accept()`
/// returns it — and then reads `ECONNRESET` instead of end-of-file; a server that logs
/// resets will log one per check.
pub(crate) fn close_with_reset(socket: Socket) {
    // If SO_LINGER cannot be set the close is an ordinary one, which is fine.
    let _ = socket.set_linger(Some(Duration::ZERO));
    drop(socket);
}

enum Connecting {
    InProgress(Socket),
    Done(Socket),
}

/// A non-blocking socket with the request's options, its connect started.
fn connect(request: &ProbeRequest) -> Result<Connecting, ProbeError> {
    let kind = Type::STREAM.nonblocking().cloexec();
    let socket =
        Socket::new(Domain::for_address(request.target), kind, None).map_err(ProbeError::Setup)?;
    apply_options(&SockRef::from(&socket), request)?;
    if let Some(bind) = request.bind {
        socket.bind(&bind.into()).map_err(ProbeError::Setup)?;
    }
    match socket.connect(&request.target.into()) {
        Ok(()) => Ok(Connecting::Done(socket)),
        Err(error) if Errno::from_io_error(&error) == Some(Errno::INPROGRESS) => {
            Ok(Connecting::InProgress(socket))
        }
        Err(error) => Err(ProbeError::Connect(error)),
    }
}
