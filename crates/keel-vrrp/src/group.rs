//! Sync groups (`vrrp_sync_group`, spec §3.6): members move together.
//!
//! A group never drives its members directly from inputs; after each input the
//! [`crate::Router`] calls [`SyncGroup::settle`], which applies keepalived's rules:
//! any member FAULT ⇒ all FAULT; MASTER only when every member wants it; a member leaving
//! MASTER for BACKUP takes the others with it.

use std::sync::Arc;
use std::time::Instant;

use crate::action::{Action, Notification, NotifyKind, NotifyState, ScriptCall};
use crate::config::NotifyConfig;
use crate::fsm::State;
use crate::instance::Instance;
use crate::priority::TrackedObject;

/// One `vrrp_sync_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupConfig {
    /// Group name (`GROUP NAME STATE 0` notifications).
    pub name: String,
    /// Member instance names (`group { VI_1 VI_2 }`).
    pub members: Vec<String>,
    /// Group notifications.
    pub notify: NotifyConfig,
    /// Group-level `track_*`: applied to every member.
    pub trackers: Vec<TrackedObject>,
    /// `sync_group_tracking_weight`: keep members' weighted trackers (else they are ignored).
    pub tracking_weight: bool,
}

impl SyncGroupConfig {
    /// A group of `members` with no notifications or trackers.
    pub fn new(name: &str, members: &[&str]) -> Self {
        SyncGroupConfig {
            name: name.to_string(),
            members: members.iter().map(|member| member.to_string()).collect(),
            notify: NotifyConfig::default(),
            trackers: Vec::new(),
            tracking_weight: false,
        }
    }
}

/// A running sync group: its members (indices into the router's instances) and its state.
#[derive(Debug, Clone)]
pub struct SyncGroup {
    pub(crate) config: SyncGroupConfig,
    pub(crate) name: Arc<str>,
    pub(crate) members: Vec<usize>,
    pub(crate) state: State,
}

impl SyncGroup {
    pub(crate) fn new(config: SyncGroupConfig, members: Vec<usize>) -> Self {
        SyncGroup {
            name: config.name.as_str().into(),
            config,
            members,
            state: State::Init,
        }
    }

    /// Group name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group's state: FAULT if any member is, MASTER/BACKUP once all members are.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration.
    pub fn config(&self) -> &SyncGroupConfig {
        &self.config
    }

    /// Applies the group rules until nothing moves, after `trigger` (a member) handled an
    /// input; returns group-level actions (notifications). Member actions stay queued in the
    /// members.
    ///
    /// keepalived order (`vrrp_sync.c`, `send_instance_notifies`): the member that moved by
    /// itself notifies as usual; the group then changes state (group notification) and moves
    /// the others, whose instance notifications are suppressed because they merely follow
    /// the group ("instances in a group don't send duplicate notifies", spec §3.6).
    pub(crate) fn settle(
        &mut self,
        now: Instant,
        instances: &mut [Instance],
        trigger: usize,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        // Each pass moves at least one member or stops; members move a bounded number of
        // times per input, so the bound only guards against a logic error.
        for _ in 0..(self.members.len() * 4 + 4) {
            if !self.step(now, instances, trigger, &mut actions) {
                break;
            }
        }
        self.follow_members(instances, &mut actions);
        actions
    }

    fn step(
        &mut self,
        now: Instant,
        instances: &mut [Instance],
        trigger: usize,
        actions: &mut Vec<Action>,
    ) -> bool {
        // The common case (an advert in steady state) moves nothing and allocates nothing;
        // the member list is copied only when a rule fires.
        let quiet = {
            let members = &self.members;
            let any_fault = members
                .iter()
                .any(|&m| instances[m].started && instances[m].own_fault());
            let fault_change = members
                .iter()
                .any(|&m| instances[m].sync.group_fault != any_fault);
            let flagged = members
                .iter()
                .any(|&m| instances[m].sync.left_master || instances[m].sync.heard_lower_priority);
            let wants = members.iter().any(|&m| instances[m].sync.wants_master);
            !(fault_change || flagged || wants)
        };
        if quiet {
            return false;
        }
        let members = self.members.clone();
        // keepalived vrrp_state_master_rx: a member master that heard a lower priority makes
        // every other member with garp_lower_prio_repeat re-announce its VIPs.
        if let Some(&hearer) = members
            .iter()
            .find(|&&m| instances[m].sync.heard_lower_priority)
        {
            instances[hearer].sync.heard_lower_priority = false;
            for &m in members.iter().filter(|&&m| m != hearer) {
                instances[m].lower_priority_announcements(now);
            }
        }
        // Any member FAULT ⇒ all FAULT; all clear ⇒ all leave FAULT.
        let any_fault = members
            .iter()
            .any(|&m| instances[m].started && instances[m].own_fault());
        if members
            .iter()
            .any(|&m| instances[m].sync.group_fault != any_fault)
        {
            let order = trigger_first(&members, trigger);
            for (position, &m) in order.iter().enumerate() {
                if position == 1 {
                    let target = if any_fault {
                        State::Fault
                    } else {
                        State::Backup
                    };
                    self.enter(target, instances, actions);
                }
                instances[m].sync.group_fault = any_fault;
                instances[m].reevaluate(now);
            }
            return true;
        }
        // A member went MASTER → BACKUP by itself: the other masters follow.
        if let Some(&leaver) = members.iter().find(|&&m| instances[m].sync.left_master) {
            instances[leaver].sync.left_master = false;
            if members.iter().any(|&m| instances[m].state == State::Master) {
                self.enter(State::Backup, instances, actions);
                for &m in &members {
                    if instances[m].state == State::Master {
                        instances[m].master_to_backup(now);
                    }
                }
                return true;
            }
        }
        // MASTER only when every member wants it (keepalived prefers BACKUP).
        let all_want = members.iter().all(|&m| {
            let instance = &instances[m];
            instance.state == State::Master
                || (instance.state == State::Backup && instance.sync.wants_master)
        });
        if all_want && members.iter().any(|&m| instances[m].state == State::Backup) {
            let order = trigger_first(&members, trigger);
            for (position, &m) in order.iter().enumerate() {
                if position == 1 {
                    self.enter(State::Master, instances, actions);
                }
                if instances[m].state == State::Backup {
                    instances[m].become_master(now);
                }
            }
            return true;
        }
        false
    }

    /// The group state once members have moved on their own (start, stop, a one-member
    /// group): FAULT if any member is, else the state all members share.
    fn follow_members(&mut self, instances: &mut [Instance], actions: &mut Vec<Action>) {
        let members = &self.members;
        let all = |state: State| members.iter().all(|&m| instances[m].state == state);
        let target = if members.iter().any(|&m| instances[m].state == State::Fault) {
            State::Fault
        } else if all(State::Master) {
            State::Master
        } else if all(State::Backup) {
            State::Backup
        } else if all(State::Stop) {
            State::Stop
        } else {
            self.state
        };
        self.enter(target, instances, actions);
    }

    /// Sets the group state, tells the members, and queues the group notification.
    fn enter(&mut self, target: State, instances: &mut [Instance], actions: &mut Vec<Action>) {
        if target == self.state {
            return;
        }
        self.state = target;
        for &m in &self.members {
            instances[m].sync.group_state = Some(target);
        }
        let notify_state = match target {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault => NotifyState::Fault,
            State::Stop => NotifyState::Stop,
            State::Init => return,
        };
        actions.extend(self.notification(notify_state));
    }

    /// `GROUP NAME STATE 0` (spec §3.6, §3.8).
    pub(crate) fn notification(&self, state: NotifyState) -> Vec<Action> {
        let notify = &self.config.notify;
        let mut notification = Notification {
            kind: NotifyKind::Group,
            name: self.config.name.clone(),
            state,
            priority: 0,
            scripts: Vec::new(),
        };
        let state_script = match state {
            NotifyState::Master => notify.master.as_ref(),
            NotifyState::Backup => notify.backup.as_ref(),
            NotifyState::Fault => notify.fault.as_ref(),
            NotifyState::Stop => notify.stop.as_ref(),
            _ => None,
        };
        if let Some(command) = state_script {
            notification.scripts.push(ScriptCall {
                command: command.clone(),
                extra_args: Vec::new(),
            });
        }
        if let Some(command) = &notify.generic {
            let extra_args = notification.generic_args();
            notification.scripts.push(ScriptCall {
                command: command.clone(),
                extra_args,
            });
        }
        let mut actions = Vec::new();
        let line = notify.fifo.then(|| notification.fifo_line());
        actions.push(Action::Notify(notification));
        if let Some(line) = line {
            actions.push(Action::FifoLine(line));
        }
        actions
    }
}

/// `members` with `trigger` first (when it is a member), so the member that moved by itself
/// is handled before the group changes state.
fn trigger_first(members: &[usize], trigger: usize) -> Vec<usize> {
    let mut order: Vec<usize> = members.iter().copied().filter(|&m| m == trigger).collect();
    order.extend(members.iter().copied().filter(|&m| m != trigger));
    order
}
