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

    /// Applies the group rules until nothing moves; returns group-level actions
    /// (notifications). Member actions stay queued in the members.
    pub(crate) fn settle(&mut self, now: Instant, instances: &mut [Instance]) -> Vec<Action> {
        // Each pass either changes a member's state or stops; a member changes at most a few
        // times per input, so this bound is never reached in practice.
        for _ in 0..(self.members.len() * 4 + 4) {
            if !self.step(now, instances) {
                break;
            }
        }
        self.update_state(instances)
    }

    fn step(&mut self, now: Instant, instances: &mut [Instance]) -> bool {
        let members = &self.members;
        // Any member FAULT ⇒ all FAULT; all clear ⇒ all leave FAULT.
        let any_fault = members
            .iter()
            .any(|&m| instances[m].started && instances[m].own_fault());
        for &m in members {
            if instances[m].sync.group_fault != any_fault {
                instances[m].sync.group_fault = any_fault;
                let before = instances[m].state;
                instances[m].reevaluate(now);
                if instances[m].state != before {
                    return true;
                }
            }
        }
        // A member went MASTER → BACKUP by itself: the other masters follow.
        if let Some(&leaver) = members.iter().find(|&&m| instances[m].sync.left_master) {
            instances[leaver].sync.left_master = false;
            let mut moved = false;
            for &m in members {
                if instances[m].state == State::Master {
                    instances[m].master_to_backup(now);
                    moved = true;
                }
            }
            if moved {
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
            for &m in members {
                if instances[m].state == State::Backup {
                    instances[m].become_master(now);
                }
            }
            return true;
        }
        false
    }

    fn update_state(&mut self, instances: &[Instance]) -> Vec<Action> {
        let states: Vec<State> = self.members.iter().map(|&m| instances[m].state).collect();
        let all = |state: State| states.iter().all(|&s| s == state);
        let new_state = if states.contains(&State::Fault) {
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
        if new_state == self.state {
            return Vec::new();
        }
        self.state = new_state;
        let notify_state = match new_state {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault => NotifyState::Fault,
            State::Stop => NotifyState::Stop,
            State::Init => return Vec::new(),
        };
        self.notification(notify_state)
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
