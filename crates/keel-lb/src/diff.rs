//! `diff(current, desired)`: the operations that turn one load-balancer state into another.

use std::collections::BTreeMap;

use crate::model::{Desired, DestKey, Destination, Service, ServiceKey, ServiceSettings};

/// One change to the load balancer. Backends map these to IPVS commands
/// (`IPVS_CMD_NEW/SET/DEL_SERVICE`, `IPVS_CMD_NEW/SET/DEL_DEST`, spec §3.12) or nftables
/// map updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create a service (it has no destinations yet).
    AddService {
        /// The service.
        key: ServiceKey,
        /// Its settings.
        settings: ServiceSettings,
    },
    /// Change a service's settings in place (scheduler, flags, persistence).
    EditService {
        /// The service.
        key: ServiceKey,
        /// The new settings.
        settings: ServiceSettings,
    },
    /// Remove a service; its destinations have been deleted by earlier ops.
    DelService {
        /// The service.
        key: ServiceKey,
    },
    /// Add a destination to a service.
    AddDest {
        /// The service.
        service: ServiceKey,
        /// The destination.
        dest: DestKey,
        /// Its settings.
        destination: Destination,
    },
    /// Change a destination in place (weight, forwarding method, thresholds).
    EditDest {
        /// The service.
        service: ServiceKey,
        /// The destination.
        dest: DestKey,
        /// The new settings.
        destination: Destination,
    },
    /// Remove a destination from a service.
    DelDest {
        /// The service.
        service: ServiceKey,
        /// The destination.
        dest: DestKey,
    },
}

impl Op {
    /// The service the op is about.
    pub fn service(&self) -> ServiceKey {
        match self {
            Op::AddService { key, .. } | Op::EditService { key, .. } | Op::DelService { key } => {
                *key
            }
            Op::AddDest { service, .. }
            | Op::EditDest { service, .. }
            | Op::DelDest { service, .. } => *service,
        }
    }
}

/// The ops that turn `current` into `desired`, touching nothing that is already right.
///
/// Order is deterministic: services in key order; a new service comes before its
/// destinations; a removed service's destinations go before the service itself. Within a
/// kept service, additions come first, then edits, then deletions, so that a swap (real
/// servers out, sorry server in) never leaves the service without a destination in between.
pub fn diff(current: &Desired, desired: &Desired) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut current_services = current.services.iter().peekable();
    let mut desired_services = desired.services.iter().peekable();
    loop {
        let order = match (current_services.peek(), desired_services.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        match order {
            std::cmp::Ordering::Less => {
                if let Some((key, service)) = current_services.next() {
                    remove_service(&mut ops, *key, service);
                }
            }
            std::cmp::Ordering::Greater => {
                if let Some((key, service)) = desired_services.next() {
                    add_service(&mut ops, *key, service);
                }
            }
            std::cmp::Ordering::Equal => {
                if let (Some((key, old)), Some((_, new))) =
                    (current_services.next(), desired_services.next())
                {
                    update_service(&mut ops, *key, old, new);
                }
            }
        }
    }
    ops
}

fn remove_service(ops: &mut Vec<Op>, key: ServiceKey, service: &Service) {
    ops.extend(service.destinations.keys().map(|dest| Op::DelDest {
        service: key,
        dest: *dest,
    }));
    ops.push(Op::DelService { key });
}

fn add_service(ops: &mut Vec<Op>, key: ServiceKey, service: &Service) {
    ops.push(Op::AddService {
        key,
        settings: service.settings.clone(),
    });
    ops.extend(
        service
            .destinations
            .iter()
            .map(|(dest, destination)| Op::AddDest {
                service: key,
                dest: *dest,
                destination: *destination,
            }),
    );
}

fn update_service(ops: &mut Vec<Op>, key: ServiceKey, old: &Service, new: &Service) {
    if old.settings != new.settings {
        ops.push(Op::EditService {
            key,
            settings: new.settings.clone(),
        });
    }
    update_destinations(ops, key, &old.destinations, &new.destinations);
}

fn update_destinations(
    ops: &mut Vec<Op>,
    service: ServiceKey,
    old: &BTreeMap<DestKey, Destination>,
    new: &BTreeMap<DestKey, Destination>,
) {
    for (dest, destination) in new {
        if !old.contains_key(dest) {
            ops.push(Op::AddDest {
                service,
                dest: *dest,
                destination: *destination,
            });
        }
    }
    for (dest, destination) in new {
        if old.get(dest).is_some_and(|before| before != destination) {
            ops.push(Op::EditDest {
                service,
                dest: *dest,
                destination: *destination,
            });
        }
    }
    for dest in old.keys() {
        if !new.contains_key(dest) {
            ops.push(Op::DelDest {
                service,
                dest: *dest,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ForwardingMethod, Persistence, Protocol, Scheduler};

    fn vip(port: u16) -> ServiceKey {
        ServiceKey::address("192.168.201.15".parse().unwrap(), port, Protocol::Tcp)
    }

    fn rs(last: u8) -> DestKey {
        DestKey::new(format!("10.0.0.{last}").parse().unwrap(), 80)
    }

    fn state(services: &[(ServiceKey, &[(DestKey, u32)])]) -> Desired {
        let mut desired = Desired::default();
        for (key, dests) in services {
            desired.insert_service(*key, ServiceSettings::default());
            for (dest, weight) in *dests {
                desired
                    .insert_destination(*key, *dest, Destination::nat(*weight))
                    .unwrap();
            }
        }
        desired
    }

    // Input: the same state on both sides (a reload that changed nothing).
    // Output: no op at all.
    #[test]
    fn unchanged_state_needs_no_op() {
        let desired = state(&[(vip(80), &[(rs(1), 1), (rs(2), 2)])]);
        assert_eq!(diff(&desired, &desired.clone()), vec![]);
    }

    // Input: one real server's weight goes from 1 to 5 (misc_dynamic, or a reload).
    // Output: exactly one EditDest; the other destination is untouched.
    #[test]
    fn weight_change_is_one_edit() {
        let before = state(&[(vip(80), &[(rs(1), 1), (rs(2), 1)])]);
        let after = state(&[(vip(80), &[(rs(1), 5), (rs(2), 1)])]);
        assert_eq!(
            diff(&before, &after),
            vec![Op::EditDest {
                service: vip(80),
                dest: rs(1),
                destination: Destination::nat(5)
            }]
        );
    }

    // Input: a new service with two destinations.
    // Output: AddService first, then its AddDests in address order.
    #[test]
    fn new_service_comes_before_its_destinations() {
        let after = state(&[(vip(80), &[(rs(2), 1), (rs(1), 1)])]);
        let ops = diff(&Desired::default(), &after);
        assert!(matches!(ops[0], Op::AddService { key, .. } if key == vip(80)));
        assert!(matches!(ops[1], Op::AddDest { dest, .. } if dest == rs(1)));
        assert!(matches!(ops[2], Op::AddDest { dest, .. } if dest == rs(2)));
        assert_eq!(ops.len(), 3);
    }

    // Input: a service removed by a reload. Output: its destinations go first, then it.
    #[test]
    fn removed_service_loses_destinations_first() {
        let before = state(&[(vip(80), &[(rs(1), 1), (rs(2), 1)])]);
        assert_eq!(
            diff(&before, &Desired::default()),
            vec![
                Op::DelDest {
                    service: vip(80),
                    dest: rs(1)
                },
                Op::DelDest {
                    service: vip(80),
                    dest: rs(2)
                },
                Op::DelService { key: vip(80) },
            ]
        );
    }

    // Input: quorum lost: both real servers out, sorry server in.
    // Output: the sorry server is added before the real servers are deleted.
    #[test]
    fn swap_adds_before_it_deletes() {
        let before = state(&[(vip(80), &[(rs(1), 1), (rs(2), 1)])]);
        let after = state(&[(vip(80), &[(rs(9), 1)])]);
        assert_eq!(
            diff(&before, &after),
            vec![
                Op::AddDest {
                    service: vip(80),
                    dest: rs(9),
                    destination: Destination::nat(1)
                },
                Op::DelDest {
                    service: vip(80),
                    dest: rs(1)
                },
                Op::DelDest {
                    service: vip(80),
                    dest: rs(2)
                },
            ]
        );
    }

    // Input: scheduler wlc → rr with persistence added; destinations unchanged.
    // Output: one EditService, nothing else.
    #[test]
    fn settings_change_is_one_edit_service() {
        let before = state(&[(vip(80), &[(rs(1), 1)])]);
        let mut after = before.clone();
        let settings = ServiceSettings {
            scheduler: Scheduler::Rr,
            persistence: Some(Persistence::per_client(360, crate::Family::Inet)),
            ..ServiceSettings::default()
        };
        after.insert_service(vip(80), settings.clone());
        assert_eq!(
            diff(&before, &after),
            vec![Op::EditService {
                key: vip(80),
                settings
            }]
        );
    }

    // Input: one op of each kind. Output: each names its service.
    #[test]
    fn every_op_names_its_service() {
        let ops = [
            Op::AddService {
                key: vip(80),
                settings: ServiceSettings::default(),
            },
            Op::EditService {
                key: vip(80),
                settings: ServiceSettings::default(),
            },
            Op::DelService { key: vip(80) },
            Op::AddDest {
                service: vip(80),
                dest: rs(1),
                destination: Destination::nat(1),
            },
            Op::EditDest {
                service: vip(80),
                dest: rs(1),
                destination: Destination::nat(1),
            },
            Op::DelDest {
                service: vip(80),
                dest: rs(1),
            },
        ];
        assert!(ops.iter().all(|op| op.service() == vip(80)));
    }

    // Input: a destination switches NAT → DR. Output: an EditDest carrying the new method.
    #[test]
    fn method_change_is_an_edit() {
        let before = state(&[(vip(80), &[(rs(1), 1)])]);
        let mut after = before.clone();
        let destination = Destination {
            method: ForwardingMethod::DirectRouting,
            ..Destination::nat(1)
        };
        after
            .insert_destination(vip(80), rs(1), destination)
            .unwrap();
        assert_eq!(
            diff(&before, &after),
            vec![Op::EditDest {
                service: vip(80),
                dest: rs(1),
                destination
            }]
        );
    }
}
