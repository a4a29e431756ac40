//! The load-balancer state wanted now, derived from real-server and quorum state.

use keel_lb::{Desired, DestKey, Destination, Family, ForwardingMethod, ServiceKey};

use crate::instance::Checks;
use crate::state::VirtualServer;

/// Every service of every virtual server (each member of a group), with:
/// - alive real servers at their effective weight, unless the sorry server replaces them;
/// - `inhibit_on_failure` servers that are out at weight 0 (keepalived turns their removal
///   into a weight-0 edit, spec §3.13);
/// - the sorry server while the quorum is lost, or at weight 0 with `sorry_server_inhibit`.
pub(crate) fn desired(checks: &Checks) -> Desired {
    let mut desired = Desired::default();
    if checks.stopped {
        return desired;
    }
    for vs in &checks.virtual_servers {
        for key in &vs.services {
            desired.insert_service(*key, vs.config.settings.clone());
            let service = desired
                .services
                .get_mut(key)
                .expect("inserted on the line above");
            for (dest, destination) in destinations(vs, *key) {
                service.destinations.insert(dest, destination);
            }
        }
    }
    desired
}

fn destinations(vs: &VirtualServer, key: ServiceKey) -> Vec<(DestKey, Destination)> {
    let mut out = Vec::new();
    let sorry_in = vs.sorry.is_some() && vs.sorry_active;
    for rs in &vs.real_servers {
        if !fits(key, rs.config.address, rs.method) {
            continue;
        }
        let weight = if rs.alive && !sorry_in {
            rs.effective_weight()
        } else if rs.inhibit {
            0
        } else {
            continue;
        };
        out.push((
            DestKey::new(rs.config.address, port_for(key, rs.config.port, rs.method)),
            Destination {
                weight,
                method: rs.method,
                upper_threshold: rs.config.upper_threshold,
                lower_threshold: rs.config.lower_threshold,
            },
        ));
    }
    if let Some(sorry) = &vs.sorry
        && fits(key, sorry.config.address, sorry.method)
    {
        let weight = if sorry_in {
            Some(sorry.config.weight)
        } else if sorry.config.inhibit {
            Some(0)
        } else {
            None
        };
        let dest = DestKey::new(
            sorry.config.address,
            port_for(key, sorry.config.port, sorry.method),
        );
        // A sorry server that is also a real server: the real server's entry stands
        // unless the sorry server is in use.
        let taken = out.iter().any(|(d, _)| *d == dest);
        if let Some(weight) = weight
            && (sorry_in || !taken)
        {
            out.retain(|(d, _)| *d != dest);
            out.push((
                dest,
                Destination {
                    weight,
                    method: sorry.method,
                    upper_threshold: 0,
                    lower_threshold: 0,
                },
            ));
        }
    }
    out
}

/// A destination must share the service's family, except through a tunnel (IPVS allows
/// mixed families for TUN).
fn fits(key: ServiceKey, address: std::net::IpAddr, method: ForwardingMethod) -> bool {
    matches!(method, ForwardingMethod::Tunnel { .. }) || key.family() == Family::of(address)
}

/// A destination's port under one service (keepalived check_data.c): NAT keeps a configured
/// port, else takes the service's; DR and TUN always take the service's; under a fwmark
/// service only a NAT destination's configured port remains, else 0.
fn port_for(key: ServiceKey, configured: Option<u16>, method: ForwardingMethod) -> u16 {
    let nat = method == ForwardingMethod::Nat;
    match key {
        ServiceKey::Address { port, .. } if nat => configured.unwrap_or(port),
        ServiceKey::Address { port, .. } => port,
        ServiceKey::Fwmark { .. } if nat => configured.unwrap_or(0),
        ServiceKey::Fwmark { .. } => 0,
    }
}
