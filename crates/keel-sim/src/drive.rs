//! Moving virtual time: the next router deadline or delivery, one at a time, like quinn's
//! `Pair::drive`; and carrying out the actions routers return.

use std::cmp::{Ordering, Reverse};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keel_vrrp::{
    Action, AhStatus, Authentication, OutgoingAdvert, ReceivedAdvert, ReceivedAuth, RouterAction,
    Source,
};

use crate::RouterId;
use crate::check::Violation;
use crate::error::SimError;
use crate::network::SegmentId;
use crate::record::{AdvertRecord, DeliveryRecord, Fate, OwnershipSpan, TransitionRecord};
use crate::sim::{RouterStatus, Sim};
use crate::timeline::Event;

/// More steps than this at one instant means a router keeps asking to be woken without
/// progressing: a livelock in the engine, reported instead of spinning forever.
const MAX_STEPS_AT_ONE_INSTANT: u64 = 100_000;

/// An advert copy on the wire.
#[derive(Debug)]
pub(crate) struct Queued {
    at: Duration,
    sequence: u64,
    delivery: Box<InFlight>,
}

#[derive(Debug)]
struct InFlight {
    sent_at: Duration,
    from: RouterId,
    to: RouterId,
    segment: SegmentId,
    interface: Arc<str>,
    advert: ReceivedAdvert,
    /// The sender's AH key: the receiver's ICV check passes only with the same key.
    ah_key: Option<[u8; 8]>,
    interval: Duration,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.sequence).cmp(&(other.at, other.sequence))
    }
}

/// What happens next.
enum Next {
    Delivery(Duration),
    Timer(Duration, RouterId),
}

impl Sim {
    /// When the next thing happens (a delivery or a router deadline), if anything is pending.
    pub fn next_event_time(&self) -> Option<Duration> {
        self.next().map(|next| match next {
            Next::Delivery(at) | Next::Timer(at, _) => at,
        })
    }

    /// Advances to the next delivery or router deadline and processes it. Returns false when
    /// nothing is pending. At equal times deliveries go first (a packet that arrives at the
    /// instant a down timer expires still counts, as with a socket read before a timer check),
    /// then routers in creation order.
    pub fn step(&mut self) -> Result<bool, SimError> {
        let Some(next) = self.next() else {
            return Ok(false);
        };
        let at = match next {
            Next::Delivery(at) | Next::Timer(at, _) => at,
        };
        if at > self.now {
            self.now = at;
            self.steps_at_now = 0;
        }
        self.steps_at_now += 1;
        if self.steps_at_now > MAX_STEPS_AT_ONE_INSTANT {
            return Err(SimError::Livelock { at: self.now });
        }
        match next {
            Next::Delivery(_) => {
                if let Some(Reverse(queued)) = self.queue.pop() {
                    self.deliver(*queued.delivery);
                }
            }
            Next::Timer(_, router) => {
                let now = self.instant(self.now);
                if let Some(running) = self.nodes[router.0].router.as_mut() {
                    running.handle_timeout(now);
                }
                self.carry_out(router);
            }
        }
        Ok(true)
    }

    /// Processes everything due up to and including `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Duration) -> Result<(), SimError> {
        self.run_until_with(until, |_| Ok(()))
            .map_err(|failure| match failure {
                RunError::Sim(error) => error,
                // The check above never fails.
                RunError::Violation(violation) => SimError::Check(violation.to_string()),
            })
    }

    /// Runs for `duration` of virtual time.
    pub fn run_for(&mut self, duration: Duration) -> Result<(), SimError> {
        self.run_until(self.now + duration)
    }

    /// Like [`Sim::run_until`], calling `check` after every step so an invariant that must
    /// hold at all times (e.g. sync-group members never split) is caught at the first step
    /// that breaks it.
    pub fn run_until_with(
        &mut self,
        until: Duration,
        mut check: impl FnMut(&Sim) -> Result<(), Violation>,
    ) -> Result<(), RunError> {
        while self.next_event_time().is_some_and(|at| at <= until) {
            self.step().map_err(RunError::Sim)?;
            check(self).map_err(RunError::Violation)?;
        }
        if until > self.now {
            self.now = until;
            self.steps_at_now = 0;
        }
        Ok(())
    }

    fn next(&self) -> Option<Next> {
        let delivery = self.queue.peek().map(|Reverse(queued)| queued.at);
        let timer = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(index, node)| {
                let deadline = node.router.as_ref()?.poll_timeout()?;
                Some((self.virtual_time(deadline).max(self.now), RouterId(index)))
            })
            .min();
        match (delivery, timer) {
            (Some(d), Some((t, _))) if d <= t => Some(Next::Delivery(d)),
            (_, Some((t, router))) => Some(Next::Timer(t, router)),
            (Some(d), None) => Some(Next::Delivery(d)),
            (None, None) => None,
        }
    }

    /// Drains a router's actions and carries them out in order.
    pub(crate) fn carry_out(&mut self, router: RouterId) {
        let mut actions = Vec::new();
        if let Some(running) = self.nodes[router.0].router.as_mut() {
            while let Some(action) = running.poll_action() {
                actions.push(action);
            }
        }
        for RouterAction { source, action } in actions {
            self.apply(router, &source, action);
        }
    }

    fn apply(&mut self, router: RouterId, source: &Source, action: Action) {
        match action {
            Action::SendAdvert(advert) => {
                let interface = match source {
                    Source::Instance { interface, .. } => Some(Arc::clone(interface)),
                    Source::Group { .. } => None,
                };
                self.send(router, interface.as_deref(), &advert);
            }
            Action::AddAddresses { addresses, .. } => {
                for address in addresses {
                    self.install(router, address);
                }
            }
            Action::RemoveAddresses { addresses } => {
                for address in addresses {
                    self.uninstall(router, address);
                }
            }
            Action::SendGratuitous { addresses } => {
                self.gratuitous_sent += addresses.len() as u64;
            }
            Action::StateChanged { from, to } => {
                let Source::Instance { name, .. } = source else {
                    return;
                };
                let vrid = self.nodes[router.0]
                    .vrids
                    .get(&**name)
                    .copied()
                    .unwrap_or(0);
                self.transitions.push(TransitionRecord {
                    at: self.now,
                    router,
                    instance: Arc::clone(name),
                    vrid,
                    from,
                    to,
                });
                let router_name = Arc::clone(&self.nodes[router.0].name);
                self.log(Event::Transition {
                    router: router_name,
                    instance: Arc::clone(name),
                    vrid,
                    from,
                    to,
                });
            }
            Action::Notify(notification) => {
                if let Source::Group { name } = source {
                    let router_name = Arc::clone(&self.nodes[router.0].name);
                    self.log(Event::GroupState {
                        router: router_name,
                        group: name.to_string(),
                        state: notification.state.as_str(),
                    });
                }
            }
            Action::FifoLine(_) => {}
        }
    }

    fn send(&mut self, from: RouterId, interface: Option<&str>, advert: &OutgoingAdvert) {
        let segment = interface.and_then(|i| self.nodes[from.0].attachments.get(i).copied());
        let link_up = interface.is_some_and(|i| self.link_up(from, i));
        let on_wire = segment.is_some() && link_up;
        self.adverts.push(AdvertRecord {
            at: self.now,
            router: from,
            vrid: advert.vrid,
            priority: advert.priority,
            interval: advert.advert_interval,
            on_wire,
        });
        let router_name = Arc::clone(&self.nodes[from.0].name);
        self.log(Event::AdvertSent {
            router: router_name,
            vrid: advert.vrid,
            priority: advert.priority,
        });
        let Some(segment) = segment.filter(|_| on_wire) else {
            return;
        };
        for destination in advert.destinations.iter() {
            for (to, receiving_interface) in self.receivers(segment, from, *destination) {
                self.transmit(from, to, segment, receiving_interface, advert, *destination);
            }
        }
    }

    /// Who a packet to `destination` reaches on `segment`: every other member for a multicast
    /// group, the member that has the address for unicast (spec §3.11).
    fn receivers(
        &self,
        segment: SegmentId,
        from: RouterId,
        destination: IpAddr,
    ) -> Vec<(RouterId, Arc<str>)> {
        let seg = &self.segments[segment.0];
        seg.members
            .iter()
            .filter(|(to, interface)| {
                *to != from
                    && (destination.is_multicast() || self.owns(*to, interface, destination))
            })
            .map(|(to, interface)| (*to, Arc::from(interface.as_str())))
            .collect()
    }

    /// Whether `router` answers for unicast `address` on `interface`: one of its instances
    /// there uses it as primary address.
    fn owns(&self, router: RouterId, interface: &str, address: IpAddr) -> bool {
        self.nodes[router.0]
            .config
            .instances
            .iter()
            .any(|instance| instance.interface == interface && instance.primary_address == address)
    }

    fn transmit(
        &mut self,
        from: RouterId,
        to: RouterId,
        segment: SegmentId,
        interface: Arc<str>,
        advert: &OutgoingAdvert,
        destination: IpAddr,
    ) {
        let profile = self.segments[segment.0].profile;
        let record = |at: Duration, fate: Fate| DeliveryRecord {
            sent_at: at,
            at,
            from,
            to,
            segment,
            vrid: advert.vrid,
            priority: advert.priority,
            interval: advert.advert_interval,
            fate,
        };
        if !self.connected(segment, from, to) {
            self.deliveries.push(record(self.now, Fate::Unreachable));
            return;
        }
        if self.rng.chance(profile.loss) {
            self.deliveries.push(record(self.now, Fate::Lost));
            return;
        }
        let copies = if self.rng.chance(profile.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut delay = profile.latency + self.rng.duration_up_to(profile.jitter);
            if self.rng.chance(profile.reorder) {
                delay += self.rng.duration_up_to(profile.reorder_delay);
            }
            let ah_key = match advert.authentication {
                Authentication::Ah(key) => Some(key),
                _ => None,
            };
            let delivery = InFlight {
                sent_at: self.now,
                from,
                to,
                segment,
                interface: Arc::clone(&interface),
                advert: received(advert, destination),
                ah_key,
                interval: advert.advert_interval,
            };
            self.sequence += 1;
            self.queue.push(Reverse(Queued {
                at: self.now + delay,
                sequence: self.sequence,
                delivery: Box::new(delivery),
            }));
        }
    }

    fn deliver(&mut self, mut delivery: InFlight) {
        let to = delivery.to;
        let reachable = self.nodes[to.0].status == RouterStatus::Running
            && self.connected(delivery.segment, delivery.from, to);
        self.deliveries.push(DeliveryRecord {
            sent_at: delivery.sent_at,
            at: self.now,
            from: delivery.from,
            to,
            segment: delivery.segment,
            vrid: delivery.advert.vrid,
            priority: delivery.advert.priority,
            interval: delivery.interval,
            fate: if reachable {
                Fate::Delivered
            } else {
                Fate::Unreachable
            },
        });
        if !reachable {
            return;
        }
        if let Some(key) = delivery.ah_key {
            // The ICV verifies only with the receiver's own key (spec §3.1).
            let ours = self.nodes[to.0].config.instances.iter().find(|instance| {
                *instance.interface == *delivery.interface && instance.vrid == delivery.advert.vrid
            });
            let valid = ours.is_some_and(|i| i.authentication == Authentication::Ah(key));
            delivery.advert.auth.ah = Some(if valid {
                AhStatus::Valid
            } else {
                AhStatus::Invalid
            });
        }
        let now = self.instant(self.now);
        if let Some(running) = self.nodes[to.0].router.as_mut() {
            running.handle_advert(now, &delivery.interface, &delivery.advert);
        }
        self.carry_out(to);
    }

    pub(crate) fn install(&mut self, router: RouterId, address: IpAddr) {
        if self.nodes[router.0].addresses.contains_key(&address) {
            return;
        }
        self.ownership.push(OwnershipSpan {
            address,
            router,
            from: self.now,
            until: None,
        });
        let span = self.ownership.len() - 1;
        self.nodes[router.0].addresses.insert(address, span);
        let name = Arc::clone(&self.nodes[router.0].name);
        self.log(Event::VipAdded {
            router: name,
            address,
        });
    }

    pub(crate) fn uninstall(&mut self, router: RouterId, address: IpAddr) {
        let Some(span) = self.nodes[router.0].addresses.remove(&address) else {
            return;
        };
        self.ownership[span].until = Some(self.now);
        let name = Arc::clone(&self.nodes[router.0].name);
        self.log(Event::VipRemoved {
            router: name,
            address,
        });
    }
}

/// Why [`Sim::run_until_with`] stopped early.
#[derive(Debug)]
pub enum RunError {
    /// The simulator itself failed (e.g. a livelock).
    Sim(SimError),
    /// The per-step check found a violation.
    Violation(Violation),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Sim(error) => write!(f, "{error}"),
            RunError::Violation(violation) => write!(f, "{violation}"),
        }
    }
}

impl std::error::Error for RunError {}

/// The advert as the receiving daemon decodes it: a well-formed packet, TTL 255, valid
/// checksum, authentication fields from the sender's configuration.
fn received(advert: &OutgoingAdvert, destination: IpAddr) -> ReceivedAdvert {
    let auth = match advert.authentication {
        Authentication::None => ReceivedAuth::NONE,
        Authentication::Pass(data) => ReceivedAuth {
            ah: None,
            auth_type: 1,
            data,
        },
        Authentication::Ah(_) => ReceivedAuth {
            ah: Some(AhStatus::Valid),
            auth_type: 2,
            data: [0; 8],
        },
    };
    ReceivedAdvert {
        version: advert.version,
        packet_type: 1,
        vrid: advert.vrid,
        priority: advert.priority,
        max_advert_interval: advert.advert_interval,
        addresses: advert.addresses.to_vec(),
        auth,
        source: advert.source,
        destination,
        ttl_or_hop_limit: 255,
        checksum: keel_vrrp::ChecksumStatus::Valid,
    }
}
