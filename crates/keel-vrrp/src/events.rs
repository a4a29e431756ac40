//! One `on_<input>` per input (CONVENTIONS.md 8): when to transition. What a transition does
//! lives in `fsm.rs`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::action::{Action, NotifyState};
use crate::config::{InstanceConfig, Version};
use crate::error::ConfigError;
use crate::fsm::State;
use crate::input::{MalformedKind, ReceivedAdvert};
use crate::instance::Instance;
use crate::priority::{TrackerId, TrackerState, TrackerStatus};
use crate::timers::Timer;

impl Instance {
    pub(crate) fn on_start(&mut self, now: Instant) {
        if !matches!(self.state, State::Init | State::Stop)
            || (self.started && self.state == State::Init)
        {
            return;
        }
        self.started = true;
        if self.state == State::Stop {
            self.state = State::Init;
        }
        // spec §3.3: VIPs are removed at init in case a previous run left them.
        if !self.installed.is_empty() {
            self.actions.push_back(Action::RemoveAddresses {
                addresses: self.installed.to_vec(),
            });
        }
        if !self.priority.waiting {
            self.enter_initial_state(now);
        }
    }

    pub(crate) fn on_advert(&mut self, now: Instant, advert: &ReceivedAdvert) {
        // INIT, FAULT and STOP neither send nor process adverts (spec §3.3 FAULT).
        if !matches!(self.state, State::Backup | State::Master) {
            return;
        }
        if !self.check_advert(advert) {
            return;
        }
        match self.state {
            State::Backup => self.backup_receives(now, advert),
            State::Master => self.master_receives(now, advert),
            _ => {}
        }
    }

    /// spec §3.3 "BACKUP, advert received"; RFC 5798 §6.4.2.
    fn backup_receives(&mut self, now: Instant, advert: &ReceivedAdvert) {
        let effective = self.priority.effective;
        if advert.priority == 0 {
            // The master is stopping: take over after Skew_Time.
            let skew = crate::timers::skew_time(
                self.config.version,
                effective,
                self.master_advert_interval,
            );
            self.timers.set(Timer::MasterDown, now + skew);
            return;
        }
        let delay_running = !self.config.preempt_delay.is_zero()
            && self.preempt_deadline.is_none_or(|deadline| deadline > now);
        if !(self.config.nopreempt || advert.priority >= effective || delay_running) {
            // Lower priority and we may preempt: discard *without* resetting the running down
            // timer, so we take over when it expires (keepalived "discarding"). keepalived
            // still records the sender as the master.
            self.master_address = Some(advert.source);
            return;
        }
        let interval = advert.max_advert_interval;
        if self.config.version == Version::V3
            && !interval.is_zero()
            && interval <= crate::config::MAX_V3_INTERVAL
        {
            // RFC 5798 §6.4.2: a v3 backup adopts the master's interval (a 12-bit field on
            // the wire; anything else cannot come from a real packet and is not learned).
            self.master_advert_interval = interval;
        }
        self.master_priority = advert.priority;
        self.master_address = Some(advert.source);
        if !self.config.preempt_delay.is_zero() {
            if advert.priority >= effective {
                self.preempt_deadline = None;
            } else if self.preempt_deadline.is_none() {
                // spec §3.4: the first lower-priority advert starts preempt_delay; adverts
                // keep being accepted until it ends.
                self.preempt_deadline = Some(now + self.config.preempt_delay);
            }
        }
        self.sync.wants_master = false;
        let down = self.master_down_interval();
        self.timers.set(Timer::MasterDown, now + down);
    }

    /// spec §3.3 "MASTER, advert received"; RFC 5798 §6.4.3.
    fn master_receives(&mut self, now: Instant, advert: &ReceivedAdvert) {
        let effective = self.priority.effective;
        if advert.priority == 0 {
            // Another master is stopping: answer at once so backups keep seeing a master.
            self.send_advert(effective);
            return;
        }
        let ours = self.config.primary_address;
        if advert.priority == effective && advert.source == ours {
            // Our own advert looped back (keepalived only warns): nothing to elect.
            return;
        }
        if advert.priority == 255 && effective == 255 {
            // keepalived 2.2 (vrrp_state_master_rx): two address owners is a configuration
            // error; the one that hears the other lowers its own (base) priority to 254 and
            // so steps down below. (≥ 2.3.3 lets the lower address back off instead.)
            self.warnings.push(format!(
                "{}: another address owner ({}) is advertising; reducing local priority to 254",
                self.config.name, advert.source
            ));
            self.config.priority = 254;
            self.priority = crate::priority::compute(254, &self.trackers);
        }
        let effective = self.priority.effective;
        let lower = advert.priority < effective
            || (advert.priority == effective && ip_less(advert.source, ours));
        if lower {
            if !self.config.lower_prio_no_advert {
                // keepalived "forcing new election": answer the lower master at once.
                self.send_advert(effective);
            }
            if self.config.garp.lower_prio_repeat > 0 {
                self.lower_priority_announcements(now);
                // spec §3.9: the other members of a sync group re-announce too.
                self.sync.heard_lower_priority = self.sync.member;
            }
            let notify = &self.config.notify;
            if notify.master_rx_lower_pri.is_some() || notify.fifo {
                self.notify(NotifyState::MasterRxLowerPri);
            }
            return;
        }
        // Higher priority, or equal with a higher primary address: step down. keepalived
        // (vrrp_state_leave_master) then resets Master_Adver_Interval to ours; the next
        // accepted advert teaches it again (spec §3.4 "reset on MASTER exit").
        if self.config.higher_prio_send_advert {
            self.send_advert(effective);
        }
        self.master_priority = advert.priority;
        self.master_address = Some(advert.source);
        if self.sync.member {
            self.sync.left_master = true;
        }
        self.master_to_backup(now);
    }

    pub(crate) fn on_malformed(&mut self, kind: MalformedKind) {
        match kind {
            MalformedKind::Length => self.stats.packet_len_err += 1,
        }
    }

    pub(crate) fn on_link_changed(&mut self, now: Instant, up: bool) {
        let back = up && !self.link_up;
        self.link_up = up;
        self.reevaluate(now);
        // `dont_track_primary`: a MASTER rode out the link's absence; the neighbours may
        // have forgotten its VIPs, so it announces them again as on becoming MASTER
        // (keepalived 2.2.7, seen: "Netlink reports a0 up", then "Sending/queueing
        // gratuitous ARPs on a0" and `garp_master_repeat` of them).
        if back && !self.config.track_primary && self.state == State::Master {
            self.send_gratuitous(now, self.config.garp.master_repeat);
        }
    }

    pub(crate) fn on_tracker(&mut self, now: Instant, id: &TrackerId, status: TrackerStatus) {
        let mut changed = false;
        for tracker in self
            .trackers
            .iter_mut()
            .filter(|tracker| &tracker.object.id == id)
        {
            changed |= tracker.apply(status);
        }
        if changed {
            self.reevaluate(now);
        }
    }

    pub(crate) fn on_reload(&mut self, now: Instant, config: InstanceConfig) {
        if let Err(error) = self.apply_reload(now, config) {
            self.warnings.push(format!(
                "reload rejected, keeping the running config: {error}"
            ));
        }
    }

    pub(crate) fn apply_reload(
        &mut self,
        now: Instant,
        mut config: InstanceConfig,
    ) -> Result<(), ConfigError> {
        config.validate()?;
        if config.interface != self.config.interface
            || config.family != self.config.family
            || config.vrid != self.config.vrid
        {
            return Err(ConfigError::IdentityChanged {
                instance: config.name,
            });
        }
        self.warnings = config.normalize();
        let old_installed = Arc::clone(&self.installed);
        let mut old_trackers = std::mem::take(&mut self.trackers);
        self.trackers = config
            .trackers
            .iter()
            .map(|object| {
                match old_trackers.iter().position(|old| old.object == *object) {
                    // An unchanged tracker keeps its health and counter.
                    Some(index) => old_trackers.swap_remove(index),
                    None => TrackerState::new(object.clone()),
                }
            })
            .collect();
        self.advertised = config.virtual_addresses.clone().into();
        self.installed = config.all_addresses().into();
        self.destinations = config.destinations().into();
        self.config = config;
        if self.state != State::Backup || self.config.version == Version::V2 {
            self.master_advert_interval = self.config.advert_interval;
        }
        if self.state == State::Master {
            // Reload changes addresses without a transition or notification.
            let removed: Vec<IpAddr> = old_installed
                .iter()
                .filter(|a| !self.installed.contains(a))
                .copied()
                .collect();
            let added: Vec<IpAddr> = self
                .installed
                .iter()
                .filter(|a| !old_installed.contains(a))
                .copied()
                .collect();
            if !removed.is_empty() {
                self.actions
                    .push_back(Action::RemoveAddresses { addresses: removed });
            }
            if !added.is_empty() {
                self.actions.push_back(Action::AddAddresses {
                    addresses: added.clone(),
                    accept: self.config.accept_mode(),
                });
                self.push_gratuitous(added.into());
            }
        }
        self.reevaluate(now);
        Ok(())
    }

    pub(crate) fn on_stop(&mut self, now: Instant) {
        if self.state != State::Stop {
            self.enter_stop(now);
        }
    }

    /// spec §3.3: a VIP deleted by someone else while MASTER ⇒ BACKUP; the re-election that
    /// follows restores it.
    pub(crate) fn on_address_removed(&mut self, now: Instant, address: IpAddr) {
        if self.state == State::Master && self.installed.contains(&address) {
            if self.sync.member {
                self.sync.left_master = true;
            }
            self.master_to_backup(now);
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) {
        if self.timers.expire(Timer::MasterDown, now) && self.state == State::Backup {
            if self.sync.member {
                // spec §3.6: a member only asks; the group goes MASTER when all members ask.
                self.sync.wants_master = true;
                let down = self.master_down_interval();
                self.timers.set(Timer::MasterDown, now + down);
            } else {
                self.become_master(now);
            }
        }
        if self.state != State::Master {
            return;
        }
        if self.timers.expire(Timer::Advert, now) {
            self.send_advert(self.priority.effective);
            self.timers
                .set(Timer::Advert, now + self.config.advert_interval);
        }
        let garp = self.config.garp;
        if self.timers.expire(Timer::GarpBurst, now) && self.garp_burst_remaining > 0 {
            self.push_gratuitous(Arc::clone(&self.installed));
            self.garp_burst_remaining -= 1;
            if self.garp_burst_remaining > 0 {
                self.timers.set(Timer::GarpBurst, now + garp.interval);
            }
        }
        if self.timers.expire(Timer::GarpDelayed, now) {
            self.send_gratuitous(now, garp.master_repeat);
        }
        if self.timers.expire(Timer::GarpLowerPrio, now) {
            self.send_gratuitous(now, garp.lower_prio_repeat);
        }
        if self.timers.expire(Timer::GarpRefresh, now) {
            self.send_gratuitous(now, garp.master_refresh_repeat);
            if let Some(refresh) = garp.master_refresh.filter(|refresh| !refresh.is_zero()) {
                self.timers.set(Timer::GarpRefresh, now + refresh);
            }
        }
    }
}

impl Instance {
    /// `garp_lower_prio_repeat` now and `garp_lower_prio_delay` later (spec §3.3, §3.9).
    pub(crate) fn lower_priority_announcements(&mut self, now: Instant) {
        let garp = self.config.garp;
        if self.state != State::Master || garp.lower_prio_repeat == 0 {
            return;
        }
        self.send_gratuitous(now, garp.lower_prio_repeat);
        if let Some(delay) = garp.lower_prio_delay.filter(|delay| !delay.is_zero()) {
            self.timers.set(Timer::GarpLowerPrio, now + delay);
        }
    }
}

/// Numeric address order, the tie-break of RFC 5798 §6.4.3 (same family by construction).
fn ip_less(a: IpAddr, b: IpAddr) -> bool {
    a < b
}
