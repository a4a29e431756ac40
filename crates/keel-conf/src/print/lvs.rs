//! Prints the LVS part of a configuration (spec §2.7) so that parsing the text gives an
//! equal model: every resolved value is written explicitly, keywords that depend on
//! others (`lvs_sched` before `sh-port`, `lvs_method` before real servers) come first.

use std::net::IpAddr;

use crate::model::lvs::{
    Checker, CheckerKind, GroupEntry, HttpCheck, Lvs, Method, RealServer, Service, Tunnel,
    TunnelChecksum, VirtualServer, VirtualServerGroup,
};

use super::{Printer, word};

/// `SSL`, the groups, then the virtual servers.
pub(super) fn print(p: &mut Printer, lvs: &Lvs) {
    if let Some(ssl) = &lvs.ssl {
        p.block("SSL", &[], |p| {
            p.opt("password", ssl.password.as_deref());
            p.opt("ca", ssl.ca.as_deref());
            p.opt("certificate", ssl.certificate.as_deref());
            p.opt("key", ssl.key.as_deref());
        });
    }
    lvs.virtual_server_groups.iter().for_each(|g| group(p, g));
    lvs.virtual_servers
        .iter()
        .for_each(|vs| virtual_server(p, vs));
}

fn group(p: &mut Printer, g: &VirtualServerGroup) {
    p.block("virtual_server_group", &[word(&g.name)], |p| {
        for entry in &g.entries {
            match entry {
                GroupEntry::Range { first, last, port } => {
                    let ports: Vec<String> =
                        (*port != 0).then(|| port.to_string()).into_iter().collect();
                    p.line(&range(*first, *last), &ports);
                }
                GroupEntry::Fwmark { mark, family } => {
                    let mut args = vec![mark.to_string()];
                    args.extend(family.map(|f| f.keyword().to_owned()));
                    p.line("fwmark", &args);
                }
            }
        }
    });
}

/// `a.b.c.d`, `a.b.c.d-e` when only the last byte (IPv6: group) differs, else `ADDR/LEN`.
fn range(first: IpAddr, last: IpAddr) -> String {
    if first == last {
        return first.to_string();
    }
    match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            if a.octets()[..3] == b.octets()[..3] {
                format!("{a}-{}", b.octets()[3])
            } else {
                format!("{a}/{}", (u32::from(a) ^ u32::from(b)).leading_zeros())
            }
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            if a.segments()[..7] == b.segments()[..7] {
                format!("{a}-{:x}", b.segments()[7])
            } else {
                format!("{a}/{}", (u128::from(a) ^ u128::from(b)).leading_zeros())
            }
        }
        _ => first.to_string(),
    }
}

fn method_args(method: &Method) -> Vec<String> {
    match method {
        Method::Nat => vec!["NAT".into()],
        Method::Dr => vec!["DR".into()],
        Method::Tun { tunnel, checksum } => {
            let mut args = vec!["TUN".to_owned(), "type".to_owned()];
            match tunnel {
                Tunnel::Ipip => args.push("ipip".into()),
                Tunnel::Gre => args.push("gre".into()),
                Tunnel::Gue { port } => {
                    args.extend(["gue".to_owned(), "port".to_owned(), port.to_string()]);
                }
            }
            args.extend(checksum.map(|c| {
                match c {
                    TunnelChecksum::Nocsum => "nocsum",
                    TunnelChecksum::Csum => "csum",
                    TunnelChecksum::Remcsum => "remcsum",
                }
                .to_owned()
            }));
            args
        }
    }
}

fn virtual_server(p: &mut Printer, vs: &VirtualServer) {
    let args = match &vs.service {
        Service::Address { address, port } => {
            let mut args = vec![address.to_string()];
            if *port != 0 {
                args.push(port.to_string());
            }
            args
        }
        Service::Fwmark { mark } => vec!["fwmark".to_owned(), mark.to_string()],
        Service::Group { name } => vec!["group".to_owned(), word(name)],
    };
    p.block("virtual_server", &args, |p| {
        p.opt("ip_family", vs.ip_family.map(|f| f.keyword()));
        p.line("lvs_sched", &[vs.lvs_sched.keyword().to_owned()]);
        let f = &vs.scheduler_flags;
        p.flag("flag-1", f.flag_1);
        p.flag("flag-2", f.flag_2);
        p.flag("flag-3", f.flag_3);
        p.flag("hashed", vs.hashed);
        p.line("lvs_method", &method_args(&vs.lvs_method));
        p.opt("protocol", vs.protocol.map(|pr| pr.keyword()));
        p.flag("ops", vs.ops);
        p.opt("delay_loop", Some(vs.delay_loop));
        p.opt("persistence_timeout", vs.persistence_timeout);
        p.opt(
            "persistence_granularity",
            vs.persistence_granularity.map(|g| match g {
                crate::model::lvs::Granularity::Netmask(mask) => mask.to_string(),
                crate::model::lvs::Granularity::PrefixLen(len) => len.to_string(),
            }),
        );
        p.opt("persistence_engine", vs.persistence_engine.as_deref());
        // A quorum reduced to 0 (no weight at all) is reached again by the same rule.
        p.opt("quorum", (vs.quorum != 0).then_some(vs.quorum));
        p.opt("hysteresis", Some(vs.hysteresis));
        if let Some(script) = &vs.quorum_up {
            p.script("quorum_up", script);
        }
        if let Some(script) = &vs.quorum_down {
            p.script("quorum_down", script);
        }
        p.flag("alpha", vs.alpha);
        p.flag("omega", vs.omega);
        p.flag("inhibit_on_failure", vs.inhibit_on_failure);
        p.flag("ha_suspend", vs.ha_suspend);
        p.opt("virtualhost", vs.virtualhost.as_deref());
        p.opt_bool("smtp_alert", vs.smtp_alert);
        p.opt("snmp_name", vs.snmp_name.as_deref());
        p.opt("weight", Some(vs.weight));
        p.opt("connect_timeout", vs.connect_timeout);
        p.opt("retry", vs.retry);
        p.opt("delay_before_retry", vs.delay_before_retry);
        p.opt("warmup", vs.warmup);
        if let Some(sorry) = &vs.sorry_server {
            let mut args = vec![sorry.address.to_string()];
            if sorry.port != 0 {
                args.push(sorry.port.to_string());
            }
            p.line("sorry_server", &args);
            p.flag("sorry_server_inhibit", sorry.inhibit);
            if let Some(method) = &sorry.lvs_method {
                p.line("sorry_server_lvs_method", &method_args(method));
            }
        }
        vs.real_servers
            .iter()
            .for_each(|rs| real_server(p, rs, vs.inhibit_on_failure));
    });
}

/// A real server; `inhibit_default` is what it inherits from its virtual server.
fn real_server(p: &mut Printer, rs: &RealServer, inhibit_default: bool) {
    let mut args = vec![rs.address.to_string()];
    if rs.port != 0 {
        args.push(rs.port.to_string());
    }
    p.block("real_server", &args, |p| {
        p.opt("weight", Some(rs.weight));
        if rs.inhibit_on_failure != inhibit_default {
            p.line("inhibit_on_failure", &[rs.inhibit_on_failure.to_string()]);
        }
        if let Some(script) = &rs.notify_up {
            p.script("notify_up", script);
        }
        if let Some(script) = &rs.notify_down {
            p.script("notify_down", script);
        }
        if let Some(method) = &rs.lvs_method {
            p.line("lvs_method", &method_args(method));
        }
        p.opt("uthreshold", rs.uthreshold);
        p.opt("lthreshold", rs.lthreshold);
        p.opt_bool("smtp_alert", rs.smtp_alert);
        p.opt("virtualhost", rs.virtualhost.as_deref());
        p.opt("snmp_name", rs.snmp_name.as_deref());
        p.opt_bool("alpha", rs.alpha);
        p.opt("retry", rs.retry);
        p.opt("delay_before_retry", rs.delay_before_retry);
        p.opt("connect_timeout", rs.connect_timeout);
        p.opt("delay_loop", rs.delay_loop);
        p.opt("warmup", rs.warmup);
        rs.checkers.iter().for_each(|c| checker(p, c));
    });
}

fn checker(p: &mut Printer, c: &Checker) {
    p.block(c.kind.keyword(), &[], |p| {
        let o = &c.options;
        let connect = !matches!(
            c.kind,
            CheckerKind::Misc(_) | CheckerKind::File(_) | CheckerKind::Bfd { .. }
        );
        let timing = !matches!(c.kind, CheckerKind::File(_) | CheckerKind::Bfd { .. });
        if connect {
            p.opt("connect_ip", o.connect_ip);
            p.opt("connect_port", o.connect_port);
            p.opt("bindto", o.bindto);
            p.opt("bind_port", o.bind_port);
            p.opt("bind_if", o.bind_if.as_deref());
            p.opt("fwmark", o.fwmark);
            p.opt("connect_timeout", Some(o.connect_timeout));
        }
        if timing {
            p.opt("retry", Some(o.retry));
            p.opt("delay_before_retry", Some(o.delay_before_retry));
            p.opt("warmup", Some(o.warmup));
            p.opt("delay_loop", Some(o.delay_loop));
            p.opt_bool("alpha", Some(o.alpha));
            p.opt_bool("log_all_failures", o.log_all_failures);
        }
        match &c.kind {
            CheckerKind::Tcp | CheckerKind::Ping => {}
            CheckerKind::Http(h) | CheckerKind::Ssl(h) => http(p, h),
            CheckerKind::Smtp(s) => p.opt("helo_name", Some(s.helo_name.as_str())),
            CheckerKind::Dns(d) => {
                p.opt("type", Some(d.query_type.keyword()));
                p.opt("name", Some(d.name.as_str()));
            }
            CheckerKind::Misc(m) => {
                p.script("misc_path", &m.misc_path);
                p.opt("misc_timeout", m.misc_timeout);
                p.flag("misc_dynamic", m.misc_dynamic);
            }
            CheckerKind::Udp(u) => {
                if let Some(payload) = &u.payload {
                    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
                    p.line("payload", &[hex]);
                }
                if let Some(pattern) = &u.require_reply {
                    let text: String = pattern
                        .iter()
                        .map(|n| {
                            n.map_or('x', |d| char::from_digit(u32::from(d), 16).unwrap_or('x'))
                        })
                        .collect();
                    p.line("require_reply", &[text]);
                }
                p.opt("min_reply_length", Some(u.min_reply_length));
                p.opt("max_reply_length", Some(u.max_reply_length));
            }
            CheckerKind::File(f) => {
                p.opt("track_file", Some(f.track_file.as_str()));
                if let Some(weight) = f.weight {
                    let mut args = vec![weight.to_string()];
                    if f.reverse {
                        args.push("reverse".into());
                    }
                    p.line("weight", &args);
                }
            }
            CheckerKind::Bfd { name } => {
                p.opt("name", Some(name.as_str()));
                p.opt_bool("alpha", Some(o.alpha));
            }
        }
    });
}

fn http(p: &mut Printer, h: &HttpCheck) {
    p.opt("http_protocol", Some(h.http_protocol.keyword()));
    p.opt("virtualhost", h.virtualhost.as_deref());
    p.opt_bool("fast_recovery", Some(h.fast_recovery));
    p.opt_bool("enable_sni", Some(h.enable_sni));
    for url in &h.urls {
        p.block("url", &[], |p| {
            p.opt("path", Some(url.path.as_str()));
            let codes: Vec<String> = url
                .status_code
                .iter()
                .map(|r| {
                    if r.min == r.max {
                        r.min.to_string()
                    } else {
                        format!("{}-{}", r.min, r.max)
                    }
                })
                .collect();
            p.line("status_code", &codes);
            url.digest
                .iter()
                .for_each(|d| p.line("digest", std::slice::from_ref(d)));
            p.opt("virtualhost", url.virtualhost.as_deref());
            p.opt("regex", url.regex.as_deref());
            p.flag("regex_no_match", url.regex_no_match);
            if !url.regex_options.is_empty() {
                p.line("regex_options", &url.regex_options);
            }
            if let Some((start, max)) = url.regex_stack {
                p.line("regex_stack", &[start.to_string(), max.to_string()]);
            }
            p.opt("regex_min_offset", url.regex_min_offset);
            p.opt("regex_max_offset", url.regex_max_offset);
        });
    }
}
