//! Prints a [`Config`] back as keepalived.conf text.
//!
//! Every value the model holds is written out explicitly (defaults only where the model
//! cannot tell them apart), so parsing the output gives an equal configuration. Used by
//! `keel --dump-conf` and by the round-trip property test.

mod lvs;
mod scheduling;

use std::fmt::Write as _;

use crate::model::address::{Route, Rule, VirtualAddress};
use crate::model::global::GlobalDefs;
use crate::model::track::{BfdInstance, TrackFile, TrackProcess, VrrpScript};
use crate::model::vrrp::{AuthType, InitialState, Notify, SyncGroup, TrackRef, Tracking};
use crate::model::{Config, Instance, RawKeyword, Script, Seconds};

/// The configuration as keepalived.conf text.
pub fn print(config: &Config) -> String {
    let mut p = Printer::default();
    root(&mut p, config);
    global_defs(&mut p, &config.global_defs);
    statics(&mut p, config);
    for script in &config.vrrp.scripts {
        vrrp_script(&mut p, script);
    }
    for file in &config.vrrp.track_files {
        track_file(&mut p, file);
    }
    for process in &config.vrrp.track_processes {
        track_process(&mut p, process);
    }
    for bfd in &config.vrrp.bfd_instances {
        bfd_instance(&mut p, bfd);
    }
    for instance in &config.vrrp.instances {
        vrrp_instance(&mut p, instance);
    }
    for group in &config.vrrp.sync_groups {
        sync_group(&mut p, group);
    }
    lvs::print(&mut p, &config.lvs);
    p.out
}

/// Builds indented keepalived.conf text.
#[derive(Default)]
pub struct Printer {
    out: String,
    depth: usize,
}

impl Printer {
    /// Writes one statement: the keyword and its (already quoted) arguments.
    pub fn line(&mut self, keyword: &str, args: &[String]) {
        let indent = "    ".repeat(self.depth);
        let _ = write!(self.out, "{indent}{keyword}");
        for arg in args {
            let _ = write!(self.out, " {arg}");
        }
        self.out.push('\n');
    }

    /// Writes `keyword args {`, the body, and `}`.
    pub fn block(&mut self, keyword: &str, args: &[String], body: impl FnOnce(&mut Printer)) {
        let mut opening = args.to_vec();
        opening.push("{".to_owned());
        self.line(keyword, &opening);
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.line("}", &[]);
    }

    /// Writes `keyword` alone when `on`.
    pub fn flag(&mut self, keyword: &str, on: bool) {
        if on {
            self.line(keyword, &[]);
        }
    }

    /// Writes `keyword VALUE` when there is a value.
    pub fn opt<T: ToString>(&mut self, keyword: &str, value: Option<T>) {
        if let Some(value) = value {
            self.line(keyword, &[word(&value.to_string())]);
        }
    }

    /// Writes `keyword true|false` for an optional BOOL.
    pub fn opt_bool(&mut self, keyword: &str, value: Option<bool>) {
        if let Some(value) = value {
            self.line(keyword, &[value.to_string()]);
        }
    }

    /// Writes a script-valued keyword: `keyword "cmd args" [user [group]]`.
    pub fn script(&mut self, keyword: &str, script: &Script) {
        let mut args = vec![command(&script.command)];
        args.extend(script.user.iter().map(|u| word(u)));
        args.extend(script.group.iter().map(|g| word(g)));
        self.line(keyword, &args);
    }

    /// Writes a keyword kept with its raw arguments.
    pub fn raw(&mut self, raw: &RawKeyword) {
        let args: Vec<String> = raw.args.iter().map(|a| word(a)).collect();
        self.line(&raw.keyword, &args);
    }
}

/// One argument: bare when it can be, `"..."` otherwise.
pub fn word(text: &str) -> String {
    let bare = !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '{' | '}' | '#' | '!'));
    if bare {
        text.to_owned()
    } else {
        format!("\"{text}\"")
    }
}

/// A command as one `"..."` token that splits back into the same words (spec §2.1):
/// words with special characters are single-quoted, `'`, `"` and `\` escaped.
pub fn command(words: &[String]) -> String {
    let parts: Vec<String> = words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@%".contains(c));
            if plain {
                return w.clone();
            }
            let mut quoted = String::new();
            let mut open = false;
            for c in w.chars() {
                let special = matches!(c, '\'' | '"' | '\\') || c.is_control();
                if special {
                    if open {
                        quoted.push('\'');
                        open = false;
                    }
                    let _ = write!(quoted, "\\x{:02x}", u32::from(c));
                } else {
                    if !open {
                        quoted.push('\'');
                        open = true;
                    }
                    quoted.push(c);
                }
            }
            if open || quoted.is_empty() {
                if quoted.is_empty() {
                    quoted.push('\'');
                }
                quoted.push('\'');
            }
            quoted
        })
        .collect();
    format!("\"{}\"", parts.join(" "))
}

fn secs(value: Seconds) -> String {
    value.to_string()
}

fn root(p: &mut Printer, config: &Config) {
    let r = &config.root;
    p.opt("net_namespace", r.net_namespace.as_deref());
    match r.net_namespace_ipvs.as_deref() {
        Some("") => p.line("net_namespace_ipvs", &[]),
        other => p.opt("net_namespace_ipvs", other),
    }
    p.flag("namespace_with_ipsets", r.namespace_with_ipsets);
    p.flag("use_pid_dir", r.use_pid_dir);
    p.opt("instance", r.instance.as_deref());
    if r.child_wait_time != Seconds::from_secs(5) {
        p.line("child_wait_time", &[secs(r.child_wait_time)]);
    }
    p.flag("linkbeat_use_polling", r.linkbeat_use_polling);
}

fn global_defs(p: &mut Printer, g: &GlobalDefs) {
    let d = GlobalDefs::default();
    p.block("global_defs", &[], |p| {
        p.opt("router_id", g.router_id.as_deref());
        if !g.notification_email.is_empty() {
            p.block("notification_email", &[], |p| {
                for address in &g.notification_email {
                    p.line(&word(address), &[]);
                }
            });
        }
        p.opt(
            "notification_email_from",
            g.notification_email_from.as_deref(),
        );
        if let Some(server) = &g.smtp_server {
            p.line(
                "smtp_server",
                &[word(&server.host), server.port.to_string()],
            );
        }
        p.opt("smtp_helo_name", g.smtp_helo_name.as_deref());
        if g.smtp_connect_timeout != d.smtp_connect_timeout {
            p.line("smtp_connect_timeout", &[secs(g.smtp_connect_timeout)]);
        }
        p.opt_bool("smtp_alert", g.smtp_alert);
        p.opt_bool("smtp_alert_vrrp", g.smtp_alert_vrrp);
        p.opt_bool("smtp_alert_checker", g.smtp_alert_checker);
        p.flag("no_email_faults", g.no_email_faults);
        p.flag("checker_log_all_failures", g.checker_log_all_failures);
        if let Some(user) = &g.script_user {
            let mut args = vec![word(&user.user)];
            args.extend(user.group.iter().map(|g| word(g)));
            p.line("script_user", &args);
        }
        p.flag("enable_script_security", g.enable_script_security);
        if g.vrrp_mcast_group4 != d.vrrp_mcast_group4 {
            p.line("vrrp_mcast_group4", &[g.vrrp_mcast_group4.to_string()]);
        }
        if g.vrrp_mcast_group6 != d.vrrp_mcast_group6 {
            p.line("vrrp_mcast_group6", &[g.vrrp_mcast_group6.to_string()]);
        }
        p.opt("default_interface", g.default_interface.as_deref());
        if g.vrrp_version != d.vrrp_version {
            p.line("vrrp_version", &[g.vrrp_version.to_string()]);
        }
        p.flag("vrrp_strict", g.vrrp_strict);
        p.flag("vrrp_skip_check_adv_addr", g.vrrp_skip_check_adv_addr);
        p.flag("vrrp_check_unicast_src", g.vrrp_check_unicast_src);
        if let Some(dynamic) = g.dynamic_interfaces {
            let args = if dynamic.allow_if_changes {
                vec!["allow_if_changes".to_owned()]
            } else {
                vec![]
            };
            p.line("dynamic_interfaces", &args);
        }
        if g.vrrp_startup_delay != d.vrrp_startup_delay {
            p.line("vrrp_startup_delay", &[secs(g.vrrp_startup_delay)]);
        }
        let (ga, gd) = (&g.garp, &d.garp);
        if ga.master_delay != gd.master_delay {
            p.line("vrrp_garp_master_delay", &[secs(ga.master_delay)]);
        }
        if ga.master_repeat != gd.master_repeat {
            p.line("vrrp_garp_master_repeat", &[ga.master_repeat.to_string()]);
        }
        if ga.master_refresh != gd.master_refresh {
            p.line("vrrp_garp_master_refresh", &[secs(ga.master_refresh)]);
        }
        if ga.master_refresh_repeat != gd.master_refresh_repeat {
            p.line(
                "vrrp_garp_master_refresh_repeat",
                &[ga.master_refresh_repeat.to_string()],
            );
        }
        p.opt("vrrp_garp_lower_prio_delay", ga.lower_prio_delay.map(secs));
        p.opt("vrrp_garp_lower_prio_repeat", ga.lower_prio_repeat);
        if ga.interval != gd.interval {
            p.line("vrrp_garp_interval", &[secs(ga.interval)]);
        }
        if ga.gna_interval != gd.gna_interval {
            p.line("vrrp_gna_interval", &[secs(ga.gna_interval)]);
        }
        p.flag("vrrp_min_garp", ga.min_garp);
        if let Some(extra) = ga.extra_if {
            let mut args = if extra.all {
                vec!["all".to_owned()]
            } else {
                vec![]
            };
            args.push(secs(extra.interval));
            p.line("vrrp_garp_extra_if", &args);
        }
        if g.vrrp_down_timer_adverts != d.vrrp_down_timer_adverts {
            p.line(
                "vrrp_down_timer_adverts",
                &[g.vrrp_down_timer_adverts.to_string()],
            );
        }
        p.flag("vrrp_lower_prio_no_advert", g.vrrp_lower_prio_no_advert);
        p.flag(
            "vrrp_higher_prio_send_advert",
            g.vrrp_higher_prio_send_advert,
        );
        p.flag(
            "vrrp_notify_priority_changes",
            g.vrrp_notify_priority_changes,
        );
        for (keyword, fifo) in [
            ("notify_fifo", &g.notify_fifo),
            ("vrrp_notify_fifo", &g.vrrp_notify_fifo),
            ("lvs_notify_fifo", &g.lvs_notify_fifo),
        ] {
            if let Some(fifo) = fifo {
                let mut args = vec![word(&fifo.path)];
                args.extend(fifo.user.iter().map(|u| word(u)));
                args.extend(fifo.group.iter().map(|g| word(g)));
                p.line(keyword, &args);
            }
        }
        if let Some(chains) = &g.vrrp_iptables {
            p.line(
                "vrrp_iptables",
                &chains.iter().map(|c| word(c)).collect::<Vec<_>>(),
            );
        }
        if let Some(sets) = &g.vrrp_ipsets {
            p.line(
                "vrrp_ipsets",
                &sets.iter().map(|c| word(c)).collect::<Vec<_>>(),
            );
        }
        p.opt("nftables", g.nftables.as_deref());
        if g.nftables_priority != d.nftables_priority {
            p.line("nftables_priority", &[g.nftables_priority.to_string()]);
        }
        p.flag("nftables_counters", g.nftables_counters);
        p.flag("nftables_ifindex", g.nftables_ifindex);
        p.opt("max_auto_priority", g.max_auto_priority);
        if let Some(daemon) = &g.lvs_sync_daemon {
            let mut args = vec![word(&daemon.interface)];
            args.extend(daemon.instance.iter().map(|i| word(i)));
            for (name, value) in [
                ("id", daemon.id.map(|v| v.to_string())),
                ("maxlen", daemon.maxlen.map(|v| v.to_string())),
                ("port", daemon.port.map(|v| v.to_string())),
                ("ttl", daemon.ttl.map(|v| v.to_string())),
                ("group", daemon.group.map(|v| v.to_string())),
            ] {
                if let Some(value) = value {
                    args.push(name.to_owned());
                    args.push(value);
                }
            }
            p.line("lvs_sync_daemon", &args);
        }
        let t = &g.lvs_timeouts;
        let mut timeouts = Vec::new();
        for (name, value) in [("tcp", t.tcp), ("tcpfin", t.tcpfin), ("udp", t.udp)] {
            if let Some(value) = value {
                timeouts.push(name.to_owned());
                timeouts.push(secs(value));
            }
        }
        if !timeouts.is_empty() {
            p.line("lvs_timeouts", &timeouts);
        }
        p.flag("lvs_flush", g.lvs_flush);
        match g.lvs_flush_on_stop {
            Some(true) => p.line("lvs_flush_on_stop", &["VS".to_owned()]),
            Some(false) => p.line("lvs_flush_on_stop", &[]),
            None => {}
        }
        if let Some(script) = &g.startup_script {
            p.script("startup_script", script);
        }
        if g.startup_script_timeout != d.startup_script_timeout {
            p.line("startup_script_timeout", &[secs(g.startup_script_timeout)]);
        }
        if let Some(script) = &g.shutdown_script {
            p.script("shutdown_script", script);
        }
        if g.shutdown_script_timeout != d.shutdown_script_timeout {
            p.line(
                "shutdown_script_timeout",
                &[secs(g.shutdown_script_timeout)],
            );
        }
        for (keyword, script) in &g.fifo_scripts {
            p.script(keyword, script);
        }
        if let Some(mask) = g.umask {
            p.line("umask", &[format!("0{mask:o}")]);
        }
        scheduling::scheduling(p, &g.scheduling);
        for raw in &g.other {
            p.raw(raw);
        }
    });
}

fn statics(p: &mut Printer, config: &Config) {
    let v = &config.vrrp;
    if !v.static_ipaddress.is_empty() {
        p.block("static_ipaddress", &[], |p| {
            v.static_ipaddress.iter().for_each(|a| address(p, a))
        });
    }
    if !v.static_routes.is_empty() {
        p.block("static_routes", &[], |p| {
            v.static_routes.iter().for_each(|r| route(p, r))
        });
    }
    if !v.static_rules.is_empty() {
        p.block("static_rules", &[], |p| {
            v.static_rules.iter().for_each(|r| rule(p, r))
        });
    }
    for group in &v.track_groups {
        p.block("track_group", &[word(&group.name)], |p| {
            p.block("group", &[], |p| {
                group.group.iter().for_each(|m| p.line(&word(m), &[]))
            });
        });
    }
    for group in &v.garp_groups {
        p.block("garp_group", &[], |p| {
            p.opt("garp_interval", group.garp_interval.map(secs));
            p.opt("gna_interval", group.gna_interval.map(secs));
            p.block("interfaces", &[], |p| {
                group.interfaces.iter().for_each(|i| p.line(&word(i), &[]))
            });
        });
    }
    if !v.linkbeat_interfaces.is_empty() {
        p.block("linkbeat_interfaces", &[], |p| {
            for l in &v.linkbeat_interfaces {
                p.line(
                    &word(&l.interface),
                    &l.method.iter().cloned().collect::<Vec<_>>(),
                );
            }
        });
    }
    if !v.interface_up_down_delays.is_empty() {
        p.block("interface_up_down_delays", &[], |p| {
            for d in &v.interface_up_down_delays {
                p.line(&word(&d.interface), &[secs(d.down), secs(d.up)]);
            }
        });
    }
}

fn address(p: &mut Printer, a: &VirtualAddress) {
    let mut args = Vec::new();
    let mut pair = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            args.push(k.to_owned());
            args.push(word(&v));
        }
    };
    pair("brd", a.broadcast.clone());
    pair("dev", a.dev.clone());
    pair("scope", a.scope.clone());
    pair("label", a.label.clone());
    pair("peer", a.peer.map(|p| p.to_string()));
    pair("preferred_lft", a.preferred_lft.map(|v| v.to_string()));
    pair("track_group", a.track_group.clone());
    for (flag, on) in [
        ("use_vmac", a.use_vmac),
        ("home", a.home),
        ("-nodad", a.nodad),
        ("mngtmpaddr", a.mngtmpaddr),
        ("noprefixroute", a.noprefixroute),
        ("autojoin", a.autojoin),
        ("no_track", a.no_track),
    ] {
        if on {
            args.push(flag.to_owned());
        }
    }
    p.line(&format!("{}/{}", a.address, a.prefix_len), &args);
}

fn route(p: &mut Printer, r: &Route) {
    let mut words: Vec<String> = r.route_type.iter().cloned().collect();
    words.push(r.to.to_string());
    let mut pair = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            words.push(k.to_owned());
            words.push(word(&v));
        }
    };
    pair("src", r.src.map(|v| v.to_string()));
    pair("via", r.via.map(|v| v.to_string()));
    pair("dev", r.dev.clone());
    pair("table", r.table.clone());
    pair("metric", r.metric.map(|v| v.to_string()));
    pair("track_group", r.track_group.clone());
    for (key, value) in &r.options {
        words.push(key.clone());
        match value.as_deref().and_then(|v| v.strip_prefix("lock ")) {
            Some(locked) => words.extend(["lock".to_owned(), word(locked)]),
            None => words.extend(value.iter().map(|v| word(v))),
        }
    }
    if r.no_track {
        words.push("no_track".to_owned());
    }
    let (first, rest) = words
        .split_first()
        .map_or((String::new(), &[][..]), |(f, r)| (f.clone(), r));
    p.line(&first, rest);
}

fn rule(p: &mut Printer, r: &Rule) {
    let mut words = Vec::new();
    let mut pair = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            words.push(k.to_owned());
            words.push(word(&v));
        }
    };
    pair("from", r.from.map(|v| v.to_string()));
    pair("to", r.to.map(|v| v.to_string()));
    pair("table", r.table.clone());
    pair("preference", r.preference.map(|v| v.to_string()));
    pair("track_group", r.track_group.clone());
    for (key, value) in &r.options {
        words.push(key.clone());
        words.extend(value.iter().map(|v| word(v)));
    }
    if r.no_track {
        words.push("no_track".to_owned());
    }
    if let Some((first, rest)) = words.split_first() {
        p.line(first, rest);
    }
}

fn vrrp_script(p: &mut Printer, s: &VrrpScript) {
    p.block("vrrp_script", &[word(&s.name)], |p| {
        p.script("script", &s.script);
        p.line("interval", &[secs(s.interval)]);
        p.opt("timeout", s.timeout.map(secs));
        weight(p, s.weight, s.reverse);
        p.line("rise", &[s.rise.to_string()]);
        p.line("fall", &[s.fall.to_string()]);
        if let Some(user) = &s.user {
            let mut args = vec![word(&user.user)];
            args.extend(user.group.iter().map(|g| word(g)));
            p.line("user", &args);
        }
        p.flag("init_fail", s.init_fail);
    });
}

fn weight(p: &mut Printer, weight: i32, reverse: bool) {
    let mut args = vec![weight.to_string()];
    if reverse {
        args.push("reverse".to_owned());
    }
    p.line("weight", &args);
}

fn track_file(p: &mut Printer, f: &TrackFile) {
    p.block("track_file", &[word(&f.name)], |p| {
        p.line("file", &[word(&f.file)]);
        weight(p, f.weight, f.reverse);
        if let Some(init) = f.init_file {
            let mut args = vec![init.value.to_string()];
            if init.overwrite {
                args.push("overwrite".to_owned());
            }
            p.line("init_file", &args);
        }
    });
}

fn track_process(p: &mut Printer, t: &TrackProcess) {
    p.block("vrrp_track_process", &[word(&t.name)], |p| {
        p.line("process", &[command(&t.process)]);
        p.opt("param_match", t.param_match.as_deref());
        weight(p, t.weight, t.reverse);
        p.line("quorum", &[t.quorum.to_string()]);
        p.opt("quorum_max", t.quorum_max);
        p.opt("fork_delay", t.fork_delay.map(secs));
        p.opt("terminate_delay", t.terminate_delay.map(secs));
        p.flag("full_command", t.full_command);
    });
}

fn bfd_instance(p: &mut Printer, b: &BfdInstance) {
    p.block("bfd_instance", &[word(&b.name)], |p| {
        p.opt("neighbor_ip", b.neighbor_ip);
        p.opt("source_ip", b.source_ip);
        p.line("min_rx", &[b.min_rx_ms.to_string()]);
        p.line("min_tx", &[b.min_tx_ms.to_string()]);
        p.line("idle_tx", &[b.idle_tx_ms.to_string()]);
        p.line("multiplier", &[b.multiplier.to_string()]);
        p.flag("passive", b.passive);
        p.opt("ttl", b.ttl);
        p.opt("max_hops", b.max_hops);
        p.flag("multihop", b.multihop);
        weight(p, b.weight, b.reverse);
        b.other.iter().for_each(|r| p.raw(r));
    });
}

fn notify(p: &mut Printer, n: &Notify) {
    for (keyword, script) in [
        ("notify_master", &n.notify_master),
        ("notify_backup", &n.notify_backup),
        ("notify_fault", &n.notify_fault),
        ("notify_stop", &n.notify_stop),
        ("notify", &n.notify),
        ("notify_master_rx_lower_pri", &n.notify_master_rx_lower_pri),
    ] {
        if let Some(script) = script {
            p.script(keyword, script);
        }
    }
}

fn tracking(p: &mut Printer, t: &Tracking) {
    for (keyword, list) in [
        ("track_interface", &t.track_interface),
        ("track_script", &t.track_script),
        ("track_file", &t.track_file),
        ("track_process", &t.track_process),
        ("track_bfd", &t.track_bfd),
    ] {
        if !list.is_empty() {
            p.block(keyword, &[], |p| list.iter().for_each(|r| track_ref(p, r)));
        }
    }
}

fn track_ref(p: &mut Printer, r: &TrackRef) {
    let mut args = Vec::new();
    if let Some(weight) = r.weight {
        args.push("weight".to_owned());
        args.push(weight.to_string());
    }
    match r.reverse {
        Some(true) => args.push("reverse".to_owned()),
        Some(false) => args.push("noreverse".to_owned()),
        None => {}
    }
    p.line(&word(&r.name), &args);
}

fn vrrp_instance(p: &mut Printer, i: &Instance) {
    p.block("vrrp_instance", &[word(&i.name)], |p| {
        match i.state {
            Some(InitialState::Master) => p.line("state", &["MASTER".to_owned()]),
            Some(InitialState::Backup) => p.line("state", &["BACKUP".to_owned()]),
            None => {}
        }
        p.opt("interface", i.interface.as_deref());
        if i.virtual_router_id != 0 {
            p.line("virtual_router_id", &[i.virtual_router_id.to_string()]);
        }
        p.line("priority", &[i.priority.to_string()]);
        p.line("advert_int", &[secs(i.advert_int)]);
        p.opt("version", i.version);
        if let Some(auth) = &i.authentication {
            p.block("authentication", &[], |p| {
                let kind = match auth.auth_type {
                    AuthType::Pass => "PASS",
                    AuthType::Ah => "AH",
                };
                p.line("auth_type", &[kind.to_owned()]);
                if !auth.auth_pass.is_empty() {
                    p.line("auth_pass", &[word(&auth.auth_pass)]);
                }
            });
        }
        for (keyword, list) in [
            ("virtual_ipaddress", &i.virtual_ipaddress),
            ("virtual_ipaddress_excluded", &i.virtual_ipaddress_excluded),
        ] {
            if !list.is_empty() {
                p.block(keyword, &[], |p| list.iter().for_each(|a| address(p, a)));
            }
        }
        p.flag("no_virtual_ipaddress", i.no_virtual_ipaddress);
        if !i.virtual_routes.is_empty() {
            p.block("virtual_routes", &[], |p| {
                i.virtual_routes.iter().for_each(|r| route(p, r))
            });
        }
        if !i.virtual_rules.is_empty() {
            p.block("virtual_rules", &[], |p| {
                i.virtual_rules.iter().for_each(|r| rule(p, r))
            });
        }
        tracking(p, &i.tracking);
        p.opt("unicast_src_ip", i.unicast_src_ip);
        p.opt("mcast_src_ip", i.mcast_src_ip);
        if !i.unicast_peer.is_empty() {
            p.block("unicast_peer", &[], |p| {
                for peer in &i.unicast_peer {
                    let mut args = Vec::new();
                    if let Some(ttl) = peer.min_ttl {
                        args.extend(["min_ttl".to_owned(), ttl.to_string()]);
                    }
                    if let Some(ttl) = peer.max_ttl {
                        args.extend(["max_ttl".to_owned(), ttl.to_string()]);
                    }
                    p.line(&peer.address.to_string(), &args);
                }
            });
        }
        p.flag("unicast_fault_no_peer", i.unicast_fault_no_peer);
        p.flag("check_unicast_src", i.check_unicast_src);
        p.opt("unicast_ttl", i.unicast_ttl);
        p.opt("mcast_dst_ip", i.mcast_dst_ip);
        p.flag("nopreempt", i.nopreempt);
        if i.preempt_delay.micros() != 0 {
            p.line("preempt_delay", &[secs(i.preempt_delay)]);
        }
        match i.accept {
            Some(true) => p.line("accept", &[]),
            Some(false) => p.line("no_accept", &[]),
            None => {}
        }
        if let Some(vmac) = &i.use_vmac {
            let mut args = Vec::new();
            if let Some(name) = &vmac.name {
                args.extend(["name".to_owned(), word(name)]);
            }
            args.extend(vmac.mac.iter().cloned());
            if vmac.netlink_notify_msg {
                args.push("netlink_notify_msg".to_owned());
            }
            if let Some(group) = vmac.group {
                args.extend(["group".to_owned(), group.to_string()]);
            }
            p.line("use_vmac", &args);
        }
        p.flag("vmac_xmit_base", i.vmac_xmit_base);
        if let Some(ipvlan) = &i.use_ipvlan {
            let mut args = Vec::new();
            if let Some(name) = &ipvlan.name {
                args.extend(["name".to_owned(), word(name)]);
            }
            args.extend(ipvlan.address.map(|address| address.to_string()));
            args.push(ipvlan.flag.word().to_owned());
            if let Some(group) = ipvlan.group {
                args.extend(["group".to_owned(), group.to_string()]);
            }
            p.line("use_ipvlan", &args);
        }
        p.flag("use_vmac_addr", i.use_vmac_addr);
        if let Some(extra) = i.garp_extra_if {
            let mut args = if extra.all {
                vec!["all".to_owned()]
            } else {
                vec![]
            };
            args.push(secs(extra.interval));
            p.line("garp_extra_if", &args);
        }
        p.flag("dont_track_primary", i.dont_track_primary);
        p.flag("track_src_ip", i.track_src_ip);
        p.flag("promote_secondaries", i.promote_secondaries);
        p.opt("garp_master_delay", i.garp_master_delay.map(secs));
        p.opt("garp_master_repeat", i.garp_master_repeat);
        p.opt("garp_master_refresh", i.garp_master_refresh.map(secs));
        p.opt("garp_master_refresh_repeat", i.garp_master_refresh_repeat);
        p.opt("garp_lower_prio_delay", i.garp_lower_prio_delay.map(secs));
        p.opt("garp_lower_prio_repeat", i.garp_lower_prio_repeat);
        p.opt("down_timer_adverts", i.down_timer_adverts);
        p.opt_bool("lower_prio_no_advert", i.lower_prio_no_advert);
        p.opt_bool("higher_prio_send_advert", i.higher_prio_send_advert);
        p.opt_bool("skip_check_adv_addr", i.skip_check_adv_addr);
        p.opt_bool("strict_mode", i.strict_mode);
        notify(p, &i.notify);
        if let Some(deleted) = &i.notify_deleted {
            match &deleted.script {
                Some(script) => p.script("notify_deleted", script),
                None => p.line("notify_deleted", &[]),
            }
        }
        p.opt_bool("smtp_alert", i.smtp_alert);
        p.opt_bool("notify_priority_changes", i.notify_priority_changes);
        i.other.iter().for_each(|r| p.raw(r));
    });
}

fn sync_group(p: &mut Printer, g: &SyncGroup) {
    p.block("vrrp_sync_group", &[word(&g.name)], |p| {
        p.block("group", &[], |p| {
            g.group.iter().for_each(|m| p.line(&word(m), &[]))
        });
        notify(p, &g.notify);
        tracking(p, &g.tracking);
        p.opt_bool("smtp_alert", g.smtp_alert);
        p.opt_bool("notify_priority_changes", g.notify_priority_changes);
        p.flag("sync_group_tracking_weight", g.sync_group_tracking_weight);
    });
}
