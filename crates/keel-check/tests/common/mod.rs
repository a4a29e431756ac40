//! A small lab for scenario tests: virtual time, real servers whose health the test sets,
//! and every probe answered at once by that model. Records what leaves keel-check with the
//! time it left.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use keel_check::*;
use keel_lb::{Desired, Op, diff};

/// How a simulated real server answers its probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Up,
    Down,
    /// MISC_CHECK with misc_dynamic exiting with status `weight + 2`.
    Weight(u32),
}

pub struct Lab {
    pub checks: Checks,
    pub t0: Instant,
    pub now: Instant,
    pub health: BTreeMap<SocketAddr, Health>,
    /// (seconds since t0, destination) of every probe run.
    pub probes: Vec<(Duration, SocketAddr)>,
    /// Every action except RunProbe and LoadBalancerChanged, with its time.
    pub events: Vec<(Duration, Action)>,
    /// What the load balancer holds: every LoadBalancerChanged is applied here.
    pub applied: Desired,
    /// The ops applied, in order.
    pub ops: Vec<(Duration, Op)>,
}

pub fn base() -> Instant {
    // The origin of virtual time; scenario times are offsets from it.
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

impl Lab {
    pub fn new(config: CheckConfig) -> Lab {
        Lab::with_seed(config, 1)
    }

    pub fn with_seed(config: CheckConfig, seed: u64) -> Lab {
        let t0 = base();
        let checks = Checks::new(config, t0, seed).expect("valid config");
        let mut lab = Lab {
            checks,
            t0,
            now: t0,
            health: BTreeMap::new(),
            probes: Vec::new(),
            events: Vec::new(),
            applied: Desired::default(),
            ops: Vec::new(),
        };
        lab.drain();
        lab
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    pub fn set(&mut self, destination: &str, health: Health) {
        self.health
            .insert(destination.parse().expect("socket address"), health);
    }

    /// Runs every deadline up to `t0 + until`, answering probes from the health model
    /// (a destination never set is up).
    pub fn run_until(&mut self, until: Duration) {
        let end = self.t0 + until;
        while let Some(deadline) = self.checks.poll_timeout() {
            if deadline > end {
                break;
            }
            self.now = deadline;
            self.checks.handle_timeout(deadline);
            self.drain();
        }
        self.now = end;
    }

    pub fn input(&mut self, input: Input) {
        self.checks.handle(self.now, input).expect("input accepted");
        self.drain();
    }

    /// Carries out queued actions: probes are answered at once from the model.
    pub fn drain(&mut self) {
        let mut requests = Vec::new();
        while let Some(action) = self.checks.poll_action() {
            match action {
                Action::RunProbe(request) => requests.push(request),
                Action::LoadBalancerChanged => self.apply_desired(),
                other => self.events.push((self.elapsed(), other)),
            }
        }
        for request in requests {
            self.probes.push((self.elapsed(), request.destination));
            let health = self
                .health
                .get(&request.destination)
                .copied()
                .unwrap_or(Health::Up);
            let outcome = match health {
                Health::Up => ProbeOutcome::Up,
                Health::Down => ProbeOutcome::Down {
                    reason: "connection refused".into(),
                },
                Health::Weight(weight) => ProbeOutcome::UpWithWeight(weight),
            };
            self.checks
                .handle(
                    self.now,
                    Input::ProbeResult {
                        checker: request.checker,
                        outcome,
                    },
                )
                .expect("probe results never fail");
            self.drain();
        }
    }

    fn apply_desired(&mut self) {
        let desired = self.checks.desired();
        for op in diff(&self.applied, &desired) {
            self.applied
                .apply(&op)
                .expect("diff ops apply to the state they came from");
            self.ops.push((self.elapsed(), op));
        }
    }

    /// FIFO lines with their times.
    pub fn fifo(&self) -> Vec<(Duration, String)> {
        self.events
            .iter()
            .filter_map(|(t, a)| match a {
                Action::FifoLine(line) => Some((*t, line.clone())),
                _ => None,
            })
            .collect()
    }

    /// FIFO lines about real servers (`RS ...`), with their times.
    pub fn rs_fifo(&self) -> Vec<(Duration, String)> {
        self.fifo()
            .into_iter()
            .filter(|(_, line)| line.starts_with("RS "))
            .collect()
    }

    /// FIFO lines only.
    pub fn fifo_lines(&self) -> Vec<String> {
        self.fifo().into_iter().map(|(_, line)| line).collect()
    }

    /// Scripts run, in order.
    pub fn scripts(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(_, a)| match a {
                Action::Notify { script, .. } => Some(script.clone()),
                _ => None,
            })
            .collect()
    }

    /// Times (seconds since t0) of probes to `destination`.
    pub fn probe_times(&self, destination: &str) -> Vec<f64> {
        let destination: SocketAddr = destination.parse().expect("socket address");
        self.probes
            .iter()
            .filter(|(_, d)| *d == destination)
            .map(|(t, _)| t.as_secs_f64())
            .collect()
    }

    /// The weight the applied load balancer gives `dest` in `service`, if present.
    pub fn weight(&self, service: &keel_lb::ServiceKey, dest: &str) -> Option<u32> {
        let dest: SocketAddr = dest.parse().expect("socket address");
        self.applied
            .destination(service, &keel_lb::DestKey::new(dest.ip(), dest.port()))
            .map(|d| d.weight)
    }

    pub fn clear_log(&mut self) {
        self.events.clear();
        self.ops.clear();
        self.probes.clear();
    }
}

/// `virtual_server ADDR PORT` with no warmup (first probes at t0) and the given cadence.
pub fn virtual_server(address: &str, port: u16, delay_loop: u64) -> VirtualServerConfig {
    let mut vs = VirtualServerConfig::new(VirtualServerTarget::Address {
        address: address.parse().expect("address"),
        port,
    });
    vs.timing.delay_loop = Some(Duration::from_secs(delay_loop));
    vs.timing.warmup = Some(Duration::ZERO);
    vs
}

/// `real_server ADDR` (port from the virtual server) with one checker of `kind`.
pub fn real_server(address: &str, kind: ProbeKind) -> RealServerConfig {
    let mut rs = RealServerConfig::new(address.parse().expect("address"), None);
    rs.checkers.push(CheckerConfig::new(ProbeSpec::new(kind)));
    rs
}

pub fn tcp_server(address: &str) -> RealServerConfig {
    real_server(address, ProbeKind::Tcp)
}

pub fn config(virtual_servers: Vec<VirtualServerConfig>) -> CheckConfig {
    CheckConfig {
        virtual_servers,
        ..CheckConfig::default()
    }
}

pub fn service(address: &str, port: u16) -> keel_lb::ServiceKey {
    keel_lb::ServiceKey::address(
        address.parse().expect("address"),
        port,
        keel_lb::Protocol::Tcp,
    )
}
