//! Shared scenario helpers: a fixed time origin, config and advert builders, and a tiny
//! zero-latency LAN that delivers each instance's adverts to the others.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use keel_vrrp::{
    Action, ChecksumStatus, Input, Instance, InstanceConfig, OutgoingAdvert, ReceivedAdvert,
    ReceivedAuth, State, Version,
};

/// The time origin of a scenario. Any Instant works: tests only use offsets from it.
pub fn t0() -> Instant {
    #[allow(clippy::disallowed_methods)]
    let base = Instant::now();
    base
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 99, 0, last))
}

pub fn vip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 99, 0, 100))
}

/// VI_1 on eth0, VRID 51, one VIP 10.99.0.100, source 10.99.0.<last>, priority `priority`.
pub fn config(last: u8, priority: u8) -> InstanceConfig {
    let mut config = InstanceConfig::new("VI_1", "eth0", 51, v4(last));
    config.priority = priority;
    config.virtual_addresses = vec![vip()];
    config
}

/// A valid advert from 10.99.0.<last> matching `config(..)`.
pub fn advert(last: u8, priority: u8) -> ReceivedAdvert {
    ReceivedAdvert {
        version: Version::V2,
        packet_type: 1,
        vrid: 51,
        priority,
        max_advert_interval: secs(1),
        addresses: vec![vip()],
        auth: ReceivedAuth::NONE,
        source: v4(last),
        destination: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
        ttl_or_hop_limit: 255,
        checksum: ChecksumStatus::Valid,
    }
}

/// The advert a peer would receive for an outgoing one.
pub fn received(out: &OutgoingAdvert) -> ReceivedAdvert {
    ReceivedAdvert::from_outgoing(out, out.destinations[0])
}

/// Creates and starts an instance, returning it with the startup actions.
pub fn started(config: InstanceConfig, now: Instant) -> (Instance, Vec<Action>) {
    let mut instance = Instance::new(config, now).expect("scenario configs are valid");
    instance.handle(now, Input::Start);
    let actions = drain(&mut instance);
    (instance, actions)
}

pub fn drain(instance: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| instance.poll_action()).collect()
}

/// Runs only the instance's own timers until `until` (no peers), returning all actions with
/// the time they happened.
pub fn run_alone(instance: &mut Instance, until: Instant) -> Vec<(Instant, Action)> {
    let mut out = Vec::new();
    while let Some(deadline) = instance.poll_timeout() {
        if deadline > until {
            break;
        }
        instance.handle_timeout(deadline);
        out.extend(drain(instance).into_iter().map(|action| (deadline, action)));
    }
    out
}

pub fn adverts(actions: &[Action]) -> Vec<&OutgoingAdvert> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::SendAdvert(advert) => Some(advert),
            _ => None,
        })
        .collect()
}

pub fn became(actions: &[Action], to: State) -> bool {
    actions
        .iter()
        .any(|action| matches!(action, Action::StateChanged { to: t, .. } if *t == to))
}

/// A zero-latency LAN: every advert an instance sends is handled by every other one at the
/// same instant. Instances can be "crashed" (neither sending nor receiving).
pub struct Lan {
    pub nodes: Vec<Instance>,
    pub alive: Vec<bool>,
    /// (time, node, action) of everything that happened.
    pub log: Vec<(Instant, usize, Action)>,
}

impl Lan {
    pub fn new(configs: Vec<InstanceConfig>, now: Instant) -> Self {
        let mut lan = Lan {
            nodes: Vec::new(),
            alive: Vec::new(),
            log: Vec::new(),
        };
        for config in configs {
            lan.nodes
                .push(Instance::new(config, now).expect("scenario configs are valid"));
            lan.alive.push(true);
        }
        for index in 0..lan.nodes.len() {
            lan.input(now, index, Input::Start);
        }
        lan
    }

    pub fn input(&mut self, now: Instant, index: usize, input: Input) {
        self.nodes[index].handle(now, input);
        self.flush(now, index);
    }

    fn flush(&mut self, now: Instant, index: usize) {
        let mut queue = vec![index];
        while let Some(from) = queue.pop() {
            let actions = drain(&mut self.nodes[from]);
            for action in actions {
                if let Action::SendAdvert(out) = &action {
                    let packet = received(out);
                    for to in 0..self.nodes.len() {
                        if to != from && self.alive[to] {
                            self.nodes[to].handle_advert(now, &packet);
                            queue.push(to);
                        }
                    }
                }
                self.log.push((now, from, action));
            }
        }
    }

    pub fn run_until(&mut self, until: Instant) {
        loop {
            let next = (0..self.nodes.len())
                .filter(|&i| self.alive[i])
                .filter_map(|i| self.nodes[i].poll_timeout().map(|t| (t, i)))
                .min();
            match next {
                Some((deadline, index)) if deadline <= until => {
                    self.nodes[index].handle_timeout(deadline);
                    self.flush(deadline, index);
                }
                _ => break,
            }
        }
    }

    pub fn crash(&mut self, index: usize) {
        self.alive[index] = false;
    }

    pub fn states(&self) -> Vec<State> {
        self.nodes.iter().map(Instance::state).collect()
    }

    /// When `node` last became `state`.
    pub fn became_at(&self, node: usize, state: State) -> Option<Instant> {
        self.log
            .iter()
            .rev()
            .find(|(_, n, a)| {
                *n == node && matches!(a, Action::StateChanged { to, .. } if *to == state)
            })
            .map(|(t, _, _)| *t)
    }
}

/// xorshift64*: a tiny deterministic generator, so each seed replays exactly without a
/// dependency. Seed it with an odd number.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}
