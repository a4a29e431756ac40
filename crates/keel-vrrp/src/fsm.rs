//! States and transitions (spec §3.3; RFC 3768 §6.4, RFC 5798 §6.4).
//!
//! Every transition emits its actions in keepalived's order; the event handlers in
//! `events.rs` decide *when* to transition, this file decides *what* a transition does.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::action::{Action, Notification, NotifyKind, NotifyState, OutgoingAdvert, ScriptCall};
use crate::config::{InitialState, Version};
use crate::instance::Instance;
use crate::priority;
use crate::timers::{self, Timer};

/// The state of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created or waiting for weight-0 scripts to report.
    Init,
    /// Listening for the master; takes over when the down timer expires.
    Backup,
    /// Owning the VIPs and advertising.
    Master,
    /// Held down by the interface, a tracker or the sync group.
    Fault,
    /// Stopped.
    Stop,
}

impl State {
    /// keepalived's internal number, used in `keepalived.json` (spec §3.3): INIT 0, BACKUP 1,
    /// MASTER 2, FAULT 3, STOP 98 (DELETED 97 is only ever a notification).
    pub fn keepalived_number(self) -> u8 {
        match self {
            State::Init => 0,
            State::Backup => 1,
            State::Master => 2,
            State::Fault => 3,
            State::Stop => 98,
        }
    }

    /// keepalived's spelling (`MASTER`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        }
    }
}

impl Instance {
    /// keepalived `vrrp_init_state` (spec §3.3), once started and no weight-0 script pending.
    pub(crate) fn enter_initial_state(&mut self, now: Instant) {
        if self.is_faulty() {
            self.transition(now, State::Fault);
            self.notify(NotifyState::Fault);
            return;
        }
        let wants_master = self.config.initial_state == InitialState::Master;
        if wants_master && self.config.priority == 255 {
            if self.sync.member {
                // The group decides; the expired down timer makes this member ask at once.
                self.enter_backup(now, Duration::ZERO);
            } else {
                // spec §3.3: the address owner with state MASTER starts MASTER at once.
                self.become_master(now);
            }
        } else if wants_master {
            // spec §3.3: wantstate MASTER, not owner ⇒ BACKUP with
            // down = master_adver_int + skew(prio=1).
            let skew = timers::skew_time(self.config.version, 1, self.master_advert_interval);
            self.enter_backup(now, self.master_advert_interval + skew);
        } else {
            let down = self.master_down_interval();
            self.enter_backup(now, down);
        }
    }

    /// Enters BACKUP with the down timer armed `down` from now, and notifies.
    pub(crate) fn enter_backup(&mut self, now: Instant, down: Duration) {
        self.transition(now, State::Backup);
        self.timers.set(Timer::MasterDown, now + down);
        self.notify(NotifyState::Backup);
    }

    /// Becomes MASTER: advert first, then addresses, gratuitous ARPs, notifications
    /// (spec §3.3 "Become MASTER"; RFC 5798 §6.4.1).
    pub(crate) fn become_master(&mut self, now: Instant) {
        self.transition(now, State::Master);
        self.stats.become_master += 1;
        self.sync.wants_master = false;
        self.master_advert_interval = self.config.advert_interval;
        self.preempt_deadline = None;
        self.timers.stop(Timer::MasterDown);
        self.send_advert(self.priority.effective);
        self.timers
            .set(Timer::Advert, now + self.config.advert_interval);
        if !self.installed.is_empty() {
            self.actions.push_back(Action::AddAddresses {
                addresses: self.installed.to_vec(),
                accept: self.config.accept_mode(),
            });
        }
        let garp = self.config.garp;
        self.send_gratuitous(now, garp.master_repeat);
        if let Some(delay) = garp.master_delay.filter(|delay| !delay.is_zero()) {
            self.timers.set(Timer::GarpDelayed, now + delay);
        }
        if let Some(refresh) = garp.master_refresh.filter(|refresh| !refresh.is_zero()) {
            self.timers.set(Timer::GarpRefresh, now + refresh);
        }
        self.notify(NotifyState::Master);
    }

    /// Leaves MASTER: optional priority-0 advert, VIPs removed, master timers stopped.
    /// The caller enters the next state.
    pub(crate) fn release_master(&mut self, send_priority_zero: bool, remove_addresses: bool) {
        if send_priority_zero {
            // spec §3.3: a master leaving for FAULT or STOP tells the backups to hurry
            // (RFC 5798 §6.4.3 "Shutdown").
            self.send_advert(0);
            self.stats.pri_zero_sent += 1;
        }
        if remove_addresses && !self.installed.is_empty() {
            self.actions.push_back(Action::RemoveAddresses {
                addresses: self.installed.to_vec(),
            });
        }
        self.stats.release_master += 1;
        for timer in [
            Timer::Advert,
            Timer::GarpDelayed,
            Timer::GarpRefresh,
            Timer::GarpBurst,
            Timer::GarpLowerPrio,
        ] {
            self.timers.stop(timer);
        }
        self.garp_burst_remaining = 0;
    }

    /// MASTER → BACKUP because a better master exists (or the group follows a member).
    pub(crate) fn master_to_backup(&mut self, now: Instant) {
        self.release_master(false, true);
        self.master_advert_interval = self.config.advert_interval;
        self.preempt_deadline = None;
        let down = self.master_down_interval();
        self.enter_backup(now, down);
    }

    /// Enters FAULT from BACKUP or MASTER (spec §3.3 FAULT).
    pub(crate) fn enter_fault(&mut self, now: Instant) {
        if self.state == State::Master {
            self.release_master(true, true);
        }
        self.timers.stop_all();
        self.preempt_deadline = None;
        self.sync.wants_master = false;
        self.transition(now, State::Fault);
        self.notify(NotifyState::Fault);
    }

    /// Leaves FAULT: MASTER if owner, else BACKUP with a fresh down timer; v3 forgets the
    /// learned interval (spec §3.3, §3.4).
    pub(crate) fn leave_fault(&mut self, now: Instant) {
        self.master_advert_interval = self.config.advert_interval;
        if self.config.priority == 255 && !self.sync.member {
            self.become_master(now);
        } else if self.config.priority == 255 {
            self.enter_backup(now, Duration::ZERO);
        } else {
            let down = self.master_down_interval();
            self.enter_backup(now, down);
        }
    }

    /// Stops (spec §3.3 Stop): a master sends priority 0 and removes its VIPs.
    pub(crate) fn enter_stop(&mut self, now: Instant) {
        if self.state == State::Master {
            self.release_master(true, self.config.release_vips_on_stop);
        }
        self.timers.stop_all();
        self.sync.wants_master = false;
        self.transition(now, State::Stop);
        self.notify(NotifyState::Stop);
    }

    /// Recomputes effective priority and FAULT after a tracker, link, group or config change,
    /// and moves the instance accordingly.
    pub(crate) fn reevaluate(&mut self, now: Instant) {
        let before = self.priority;
        let old_down = self.master_down_interval();
        self.priority = priority::compute(self.config.priority, &self.trackers);
        if !self.started || self.state == State::Stop {
            return;
        }
        let faulty = self.is_faulty();
        let state_before = self.state;
        match self.state {
            State::Init if !self.priority.waiting => self.enter_initial_state(now),
            State::Backup | State::Master if faulty => self.enter_fault(now),
            State::Fault if !faulty && !self.priority.waiting => self.leave_fault(now),
            _ => {}
        }
        if before.effective == self.priority.effective {
            return;
        }
        if state_before == State::Backup && self.state == State::Backup {
            // spec §3.4: a priority change while BACKUP shifts the running down timer by the
            // change of Master_Down_Interval (the skew delta). A timer armed by a transition
            // just now already uses the new priority.
            if let Some(deadline) = self.timers.deadline(Timer::MasterDown) {
                let new_down = self.master_down_interval();
                let shifted = if new_down >= old_down {
                    deadline + (new_down - old_down)
                } else {
                    deadline
                        .checked_sub(old_down - new_down)
                        .unwrap_or(now)
                        .max(now)
                };
                self.timers.set(Timer::MasterDown, shifted);
            }
        }
        if self.config.notify.priority_changes {
            match self.state {
                State::Master => self.notify(NotifyState::MasterPriority),
                State::Backup => self.notify(NotifyState::BackupPriority),
                _ => {}
            }
        }
    }

    /// Queues one advert with `priority`.
    pub(crate) fn send_advert(&mut self, priority: u8) {
        self.stats.advert_sent += 1;
        self.actions.push_back(Action::SendAdvert(OutgoingAdvert {
            version: self.config.version,
            vrid: self.config.vrid,
            priority,
            advert_interval: self.config.advert_interval,
            addresses: Arc::clone(&self.advertised),
            source: self.config.primary_address,
            destinations: Arc::clone(&self.destinations),
            authentication: self.config.authentication,
        }));
    }

    /// Queues `repeat` rounds of gratuitous ARP/NA for every installed address, spaced by
    /// `garp_interval` through [`Timer::GarpBurst`] (spec §3.9).
    pub(crate) fn send_gratuitous(&mut self, now: Instant, repeat: u32) {
        if self.installed.is_empty() || repeat == 0 {
            return;
        }
        let interval = self.config.garp.interval;
        if interval.is_zero() {
            for _ in 0..repeat {
                self.push_gratuitous(Arc::clone(&self.installed));
            }
            return;
        }
        if self.timers.deadline(Timer::GarpBurst).is_some() {
            self.garp_burst_remaining = self.garp_burst_remaining.saturating_add(repeat);
            return;
        }
        self.push_gratuitous(Arc::clone(&self.installed));
        self.garp_burst_remaining = repeat - 1;
        if self.garp_burst_remaining > 0 {
            self.timers.set(Timer::GarpBurst, now + interval);
        }
    }

    pub(crate) fn push_gratuitous(&mut self, addresses: Arc<[IpAddr]>) {
        self.actions.push_back(Action::SendGratuitous { addresses });
    }

    /// Queues the notification for `state` and its FIFO line (spec §3.8 order: state script,
    /// generic notify, FIFO).
    pub(crate) fn notify(&mut self, state: NotifyState) {
        let state_change = matches!(
            state,
            NotifyState::Master | NotifyState::Backup | NotifyState::Fault | NotifyState::Stop
        );
        if state_change {
            // keepalived send_instance_notifies: a member that only follows its group (the
            // group is already in this state) sends no instance notifications.
            if self.notifies_sent && self.sync.member && self.sync.group_state == Some(self.state) {
                return;
            }
            self.notifies_sent = true;
        }
        let notify = &self.config.notify;
        let state_script = match state {
            NotifyState::Master => notify.master.as_ref(),
            NotifyState::Backup => notify.backup.as_ref(),
            NotifyState::Fault => notify.fault.as_ref(),
            NotifyState::Stop => notify.stop.as_ref(),
            NotifyState::Deleted => notify.deleted.as_ref(),
            NotifyState::MasterRxLowerPri => notify.master_rx_lower_pri.as_ref(),
            NotifyState::MasterPriority | NotifyState::BackupPriority => None,
        };
        // notify_master_rx_lower_pri has no generic-notify call; the rest do.
        let generic = match state {
            NotifyState::MasterRxLowerPri => None,
            _ => notify.generic.as_ref(),
        };
        let fifo = notify.fifo;
        let mut notification = Notification {
            kind: NotifyKind::Instance,
            name: self.config.name.clone(),
            state,
            priority: self.priority.effective,
            scripts: Vec::new(),
        };
        if let Some(command) = state_script {
            notification.scripts.push(ScriptCall {
                command: command.clone(),
                extra_args: Vec::new(),
            });
        }
        if let Some(command) = generic {
            let extra_args = notification.generic_args();
            notification.scripts.push(ScriptCall {
                command: command.clone(),
                extra_args,
            });
        }
        let line = fifo.then(|| notification.fifo_line());
        self.actions.push_back(Action::Notify(notification));
        if let Some(line) = line {
            self.actions.push_back(Action::FifoLine(line));
        }
    }

    fn transition(&mut self, now: Instant, to: State) {
        let from = self.state;
        self.state = to;
        self.last_transition = Some(now);
        if to != State::Master && self.config.version == Version::V2 {
            self.master_advert_interval = self.config.advert_interval;
        }
        self.actions.push_back(Action::StateChanged { from, to });
    }
}
