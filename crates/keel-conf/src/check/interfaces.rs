//! Interfaces named in the configuration must exist (spec §3.3 FAULT sources).
//!
//! keepalived 2.2.7 prints one "WARNING - interface X for ... doesn't exist" per use and,
//! once, "Non-existent interface specified in configuration". `keepalived -t` then exits
//! 5 (observed), so the per-use warnings are of class Config and the summary of class
//! CannotRun. `dynamic_interfaces` allows interfaces that appear later.

use crate::diag::{Class, Diagnostic};
use crate::model::Config;
use crate::source::{Host, Span};

/// Reports missing interfaces; true when every interface exists (or may appear later).
pub(super) fn check(config: &Config, host: &dyn Host, out: &mut Vec<Diagnostic>) -> bool {
    if config.global_defs.dynamic_interfaces.is_some() {
        return true;
    }
    let missing = std::cell::Cell::new(0usize);
    let report = |name: &str, what: String, span: Option<Span>, out: &mut Vec<Diagnostic>| {
        if host.interface_exists(name) {
            return;
        }
        missing.set(missing.get() + 1);
        out.push(
            Diagnostic::warning(
                span,
                format!("WARNING - interface {name} for {what} doesn't exist"),
            )
            .with_help("check the interface name (ip link), or set dynamic_interfaces"),
        );
    };
    for instance in &config.vrrp.instances {
        match &instance.interface {
            Some(interface) => report(
                interface,
                format!("vrrp_instance {}", instance.name),
                instance.interface_loc.0.or(instance.span.0),
                out,
            ),
            None if instance.unicast_src_ip.is_none() || instance.unicast_peer.is_empty() => {
                match &config.global_defs.default_interface {
                    Some(default) => report(
                        default,
                        format!("vrrp_instance {}", instance.name),
                        instance.span.0,
                        out,
                    ),
                    None => out.push(
                        Diagnostic::error(
                            instance.span.0,
                            format!("({}) Unknown interface!", instance.name),
                        )
                        .with_help("add `interface IF`"),
                    ),
                }
            }
            None => {}
        }
        for vip in instance
            .virtual_ipaddress
            .iter()
            .chain(&instance.virtual_ipaddress_excluded)
        {
            if let Some(dev) = &vip.dev {
                report(dev, format!("ip address {}", vip.address), vip.span.0, out);
            }
        }
        for route in &instance.virtual_routes {
            if let Some(dev) = &route.dev {
                report(dev, format!("route {}", route.to), route.span.0, out);
            }
        }
        for r in &instance.tracking.track_interface {
            if !host.interface_exists(&r.name) {
                missing.set(missing.get() + 1);
                out.push(Diagnostic::warning(
                    r.span.0,
                    format!(
                        "({}) tracked interface {} doesn't exist",
                        instance.name, r.name
                    ),
                ));
            }
        }
    }
    for vip in &config.vrrp.static_ipaddress {
        if let Some(dev) = &vip.dev {
            report(dev, format!("ip address {}", vip.address), vip.span.0, out);
        }
    }
    for route in &config.vrrp.static_routes {
        if let Some(dev) = &route.dev {
            report(dev, format!("route {}", route.to), route.span.0, out);
        }
    }
    for group in &config.vrrp.garp_groups {
        for interface in &group.interfaces {
            if !host.interface_exists(interface) {
                missing.set(missing.get() + 1);
                out.push(Diagnostic::warning(
                    group.span.0,
                    format!(
                        "WARNING - interface {interface} specified for garp_group doesn't exist"
                    ),
                ));
            }
        }
    }
    let all_present = missing.get() == 0;
    if !all_present {
        out.push(
            Diagnostic::error(None, "Non-existent interface specified in configuration")
                .with_class(Class::CannotRun),
        );
    }
    all_present
}
