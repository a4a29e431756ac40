//! One `on_<input>` per input: how a session reacts (RFC 5880 §6.8.6, §6.8.16).

use std::time::Instant;

use keel_wire::bfd::{Diagnostic, Repr, State};

use crate::timers::Timer;
use crate::{Discard, Session, SessionConfig};

impl Session {
    /// RFC 5880 §6.8.6, the part that needs the session (the codec did the rest).
    pub(crate) fn on_packet(&mut self, now: Instant, packet: &Repr) -> Result<(), Discard> {
        // keepalived configures no authentication: a packet that carries it is discarded.
        if packet.auth.is_some() {
            return Err(Discard::UnexpectedAuthentication);
        }
        if packet.your_discriminator != 0 && packet.your_discriminator != self.local_discr {
            return Err(Discard::WrongDiscriminator(packet.your_discriminator));
        }
        if self.state == State::AdminDown {
            return Err(Discard::AdminDown);
        }
        let was_silent = !self.may_transmit();
        self.remote_discr = packet.my_discriminator;
        self.remote_state = packet.state;
        self.remote_desired_min_tx = packet.desired_min_tx;
        self.remote_detect_mult = packet.detect_mult;
        let old_remote_min_rx = self.remote_min_rx;
        self.remote_min_rx = packet.required_min_rx;
        // §6.8.6: "If the Final (F) bit is set, terminate the Poll Sequence": the new
        // intervals now apply in full.
        if packet.final_flag && self.polling {
            self.polling = false;
            self.effective_tx = self.advertised_tx;
            self.effective_rx = self.advertised_rx;
        }
        // §6.8.4: every accepted packet restarts the detection timer.
        let detection = self.detection_time().map(|time| now + time);
        self.timers.set(Timer::Detection, detection);

        if packet.poll {
            // §6.8.7: the Final goes out without waiting for the transmit timer (with the
            // state change below, if there is one).
            self.final_due = true;
        }
        if packet.state == State::AdminDown {
            if self.state != State::Down {
                self.change_state(now, State::Down, Diagnostic::NeighborSignaledDown);
            }
        } else {
            match (self.state, packet.state) {
                (State::Down, State::Down) => self.change_state(now, State::Init, Diagnostic::None),
                (State::Down, State::Init) | (State::Init, State::Init | State::Up) => {
                    self.change_state(now, State::Up, Diagnostic::None)
                }
                (State::Up, State::Down) => {
                    self.change_state(now, State::Down, Diagnostic::NeighborSignaledDown)
                }
                _ => {}
            }
        }

        if self.final_due {
            self.transmit(now);
        } else if was_silent
            && self.may_transmit()
            && self.timers.deadline(Timer::Transmit).is_none()
        {
            // A passive session now knows its neighbour: start transmitting (unless a
            // state change already did).
            self.transmit(now);
        } else if self.remote_min_rx < old_remote_min_rx {
            // The neighbour accepts packets faster: do not wait out the old interval.
            self.rearm_transmit(now);
        }
        Ok(())
    }

    /// RFC 5880 §6.8.4: nothing heard for a detection time.
    pub(crate) fn on_detection_timeout(&mut self, now: Instant) {
        self.timers.set(Timer::Detection, None);
        if matches!(self.state, State::Init | State::Up) {
            self.change_state(now, State::Down, Diagnostic::DetectionTimeExpired);
        }
        // §6.8.1: bfd.RemoteDiscr is zeroed once the neighbour has been silent for a
        // detection time; a passive session then falls silent again.
        self.remote_discr = 0;
        self.remote_min_rx = 1;
        self.remote_state = State::Down;
        self.remote_detect_mult = 0;
        self.remote_desired_min_tx = 0;
        self.rearm_transmit(now);
    }

    /// RFC 5880 §6.8.16: AdminDown with diagnostic 7; packets keep telling the neighbour.
    pub(crate) fn on_admin_down(&mut self, now: Instant) {
        self.timers.set(Timer::Detection, None);
        self.change_state(now, State::AdminDown, Diagnostic::AdministrativelyDown);
    }

    /// Leaves AdminDown for Down.
    pub(crate) fn on_enable(&mut self, now: Instant) {
        if self.state == State::AdminDown {
            self.change_state(now, State::Down, Diagnostic::AdministrativelyDown);
        }
    }

    /// A reload with new intervals: the state stays, a Poll Sequence announces the change.
    pub(crate) fn on_reconfigure(&mut self, now: Instant, config: SessionConfig) {
        if config.validate().is_err() {
            return;
        }
        self.config = config;
        self.apply_intervals(now);
        self.rearm_transmit(now);
        if self.may_transmit() && self.timers.deadline(Timer::Transmit).is_none() {
            self.timers.set(Timer::Transmit, Some(now));
        }
    }
}
