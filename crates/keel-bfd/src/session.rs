//! One BFD session: its state variables (RFC 5880 §6.8.1) and the sans-IO contract.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use keel_wire::bfd::{Diagnostic, Repr, State};

use crate::config::micros;
use crate::timers::{Timer, Timers};
use crate::{Action, ConfigError, Discard, Input, SessionConfig};

/// A BFD session in asynchronous mode.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) config: SessionConfig,
    /// bfd.SessionState.
    pub(crate) state: State,
    /// bfd.RemoteSessionState.
    pub(crate) remote_state: State,
    /// bfd.LocalDiag.
    pub(crate) local_diag: Diagnostic,
    /// bfd.LocalDiscr (never 0).
    pub(crate) local_discr: u32,
    /// bfd.RemoteDiscr (0 until the neighbour is heard, and again after a detection time
    /// without it).
    pub(crate) remote_discr: u32,
    /// bfd.RemoteMinRxInterval, µs (1 until the neighbour says otherwise, §6.8.1).
    pub(crate) remote_min_rx: u32,
    /// The neighbour's Desired Min TX, µs.
    pub(crate) remote_desired_min_tx: u32,
    /// The neighbour's Detect Mult.
    pub(crate) remote_detect_mult: u8,
    /// The Desired Min TX we send, µs: `idle_tx` while not Up, `min_tx` while Up.
    pub(crate) advertised_tx: u32,
    /// The Desired Min TX our own transmit rate uses; lags an increase until the Poll
    /// Sequence ends (§6.8.3).
    pub(crate) effective_tx: u32,
    /// The Required Min RX we send, µs.
    pub(crate) advertised_rx: u32,
    /// The Required Min RX our detection time uses; lags a decrease until the Poll
    /// Sequence ends (§6.8.3).
    pub(crate) effective_rx: u32,
    /// A Poll Sequence is under way: packets carry P until a packet with F arrives.
    pub(crate) polling: bool,
    /// The neighbour polled: the next packet carries F, and goes out at once (§6.8.7).
    pub(crate) final_due: bool,
    pub(crate) timers: Timers,
    pub(crate) actions: VecDeque<Action>,
    /// xorshift64 state for the transmit jitter.
    rng: u64,
}

impl Session {
    /// A session in Down (RFC 5880 §6.8.1) with `discriminator` as bfd.LocalDiscr (the
    /// daemon picks a non-zero value unique among its sessions) and `seed` for the jitter.
    /// An active session sends its first packet at `now`; a passive one waits to be
    /// spoken to.
    pub fn new(
        config: SessionConfig,
        discriminator: u32,
        seed: u64,
        now: Instant,
    ) -> Result<Session, ConfigError> {
        config.validate()?;
        let mut session = Session {
            config,
            state: State::Down,
            remote_state: State::Down,
            local_diag: Diagnostic::None,
            local_discr: discriminator.max(1),
            remote_discr: 0,
            remote_min_rx: 1,
            remote_desired_min_tx: 0,
            remote_detect_mult: 0,
            advertised_tx: micros(config.idle_tx),
            effective_tx: micros(config.idle_tx),
            advertised_rx: micros(config.required_min_rx),
            effective_rx: micros(config.required_min_rx),
            polling: false,
            final_due: false,
            timers: Timers::default(),
            actions: VecDeque::new(),
            rng: seed | 1,
        };
        if session.may_transmit() {
            session.timers.set(Timer::Transmit, Some(now));
        }
        Ok(session)
    }

    /// Feeds one input in. Call it for every control packet the daemon accepted for this
    /// session, and for administrative changes; then drain [`Session::poll_action`]. A
    /// packet RFC 5880 §6.8.6 says to discard comes back as the reason.
    pub fn handle(&mut self, now: Instant, input: Input) -> Result<(), Discard> {
        match input {
            Input::Packet(packet) => self.on_packet(now, &packet)?,
            Input::AdminDown => self.on_admin_down(now),
            Input::Enable => self.on_enable(now),
            Input::Reconfigure(config) => self.on_reconfigure(now, config),
        }
        Ok(())
    }

    /// Serves the deadlines that have passed. Call it when [`Session::poll_timeout`] is
    /// reached (calling it early is harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.due(Timer::Detection, now) {
            self.on_detection_timeout(now);
        }
        if self.timers.due(Timer::Transmit, now) {
            self.transmit(now);
        }
    }

    /// The earliest deadline: sleep until then unless a packet arrives.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The deadline of one timer (for tests and the dumps).
    pub fn deadline(&self, timer: Timer) -> Option<Instant> {
        self.timers.deadline(timer)
    }

    /// The next effect to carry out; call until `None` after every `handle*`.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// bfd.SessionState.
    pub fn state(&self) -> State {
        self.state
    }

    /// bfd.RemoteSessionState.
    pub fn remote_state(&self) -> State {
        self.remote_state
    }

    /// bfd.LocalDiag.
    pub fn local_diagnostic(&self) -> Diagnostic {
        self.local_diag
    }

    /// bfd.LocalDiscr.
    pub fn local_discriminator(&self) -> u32 {
        self.local_discr
    }

    /// bfd.RemoteDiscr (0 while the neighbour is unknown).
    pub fn remote_discriminator(&self) -> u32 {
        self.remote_discr
    }

    /// The configuration in force.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Whether a Poll Sequence is under way.
    pub fn polling(&self) -> bool {
        self.polling
    }

    /// The neighbour's last announced (Desired Min TX, Required Min RX, Detect Mult).
    pub fn remote_parameters(&self) -> (Duration, Duration, u8) {
        (
            Duration::from_micros(self.remote_desired_min_tx.into()),
            Duration::from_micros(self.remote_min_rx.into()),
            self.remote_detect_mult,
        )
    }

    /// The interval between our packets before jitter (RFC 5880 §6.8.7): the larger of
    /// our Desired Min TX and the neighbour's Required Min RX.
    pub fn transmit_interval(&self) -> Duration {
        Duration::from_micros(self.effective_tx.max(self.remote_min_rx).into())
    }

    /// The detection time (RFC 5880 §6.8.4, asynchronous mode): the neighbour's Detect
    /// Mult times the larger of our Required Min RX and its Desired Min TX. `None` until
    /// the neighbour has been heard.
    pub fn detection_time(&self) -> Option<Duration> {
        if self.remote_detect_mult == 0 {
            return None;
        }
        let interval = u64::from(self.effective_rx.max(self.remote_desired_min_tx));
        Some(Duration::from_micros(
            interval * u64::from(self.remote_detect_mult),
        ))
    }

    /// RFC 5880 §6.8.7: a passive session is silent until the neighbour is known, and
    /// nothing is sent to a neighbour that asks for no packets (Required Min RX 0).
    pub(crate) fn may_transmit(&self) -> bool {
        (!self.config.passive || self.remote_discr != 0) && self.remote_min_rx != 0
    }

    /// Sends a packet now and schedules the next one.
    pub(crate) fn transmit(&mut self, now: Instant) {
        if !self.may_transmit() {
            self.timers.set(Timer::Transmit, None);
            return;
        }
        let final_flag = std::mem::take(&mut self.final_due);
        self.actions.push_back(Action::Send(Repr {
            diagnostic: self.local_diag,
            state: self.state,
            // RFC 5880 §6.8.7: never P and F together; the Poll goes on in the next one.
            poll: self.polling && !final_flag,
            final_flag,
            control_plane_independent: false,
            demand: false,
            detect_mult: self.config.detect_mult,
            my_discriminator: self.local_discr,
            your_discriminator: self.remote_discr,
            desired_min_tx: self.advertised_tx,
            required_min_rx: self.advertised_rx,
            required_min_echo_rx: 0,
            auth: None,
        }));
        let next = now + self.jittered(self.transmit_interval());
        self.timers.set(Timer::Transmit, Some(next));
    }

    /// RFC 5880 §6.8.7: each interval is reduced by a random 0–25 %; with Detect Mult 1,
    /// by 10–25 % so that one late packet cannot end the session.
    fn jittered(&mut self, interval: Duration) -> Duration {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let per_mille = self.rng % 1000;
        let reduction = if self.config.detect_mult == 1 {
            100 + per_mille * 150 / 1000
        } else {
            per_mille * 250 / 1000
        };
        interval * (1000 - reduction as u32) / 1000
    }

    /// Enters `to`, recording why; leaving or entering Up changes the Desired Min TX.
    pub(crate) fn change_state(&mut self, now: Instant, to: State, diagnostic: Diagnostic) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        if to != State::Up {
            self.local_diag = diagnostic;
        }
        self.actions.push_back(Action::StateChanged {
            from,
            to,
            diagnostic,
        });
        self.apply_intervals(now);
        // Tell the neighbour at once rather than at the next (possibly slow) tick.
        self.transmit(now);
    }

    /// Brings the advertised intervals in line with the state and configuration, starting
    /// a Poll Sequence when they change while Up (RFC 5880 §6.8.3).
    pub(crate) fn apply_intervals(&mut self, now: Instant) {
        let tx = if self.state == State::Up {
            micros(self.config.desired_min_tx)
        } else {
            micros(self.config.idle_tx)
        };
        let rx = micros(self.config.required_min_rx);
        if tx == self.advertised_tx && rx == self.advertised_rx {
            return;
        }
        self.advertised_tx = tx;
        self.advertised_rx = rx;
        if self.state == State::Up {
            // An increased TX interval and a reduced RX interval wait for the Final.
            self.effective_tx = self.effective_tx.min(tx);
            self.effective_rx = self.effective_rx.max(rx);
            self.polling = true;
        } else {
            self.effective_tx = tx;
            self.effective_rx = rx;
            self.polling = false;
        }
        self.rearm_transmit(now);
    }

    /// A shorter transmit interval takes effect now, not after the old, longer wait.
    pub(crate) fn rearm_transmit(&mut self, now: Instant) {
        if !self.may_transmit() {
            self.timers.set(Timer::Transmit, None);
            return;
        }
        let latest = now + self.transmit_interval();
        match self.timers.deadline(Timer::Transmit) {
            Some(at) if at <= latest => {}
            _ => self.timers.set(Timer::Transmit, Some(latest)),
        }
    }
}
