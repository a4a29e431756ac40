//! `keel -d` and `keel --dump-conf=json`: the parsed configuration, for people and tools.
//!
//! `-d` writes keepalived's SIGUSR1 `.data` layout (spec §4.1): `------< Section >------`
//! headers and indented `Key = value` lines. keepalived says that format is not guaranteed;
//! keel keeps its section names and the keys operators grep for (`Virtual Router ID`,
//! `Priority`, `Advert interval`, `Virtual IP (N):`, `Tracked scripts :`, the LVS
//! topology of `keepalived_check.data`), and shows the configuration only — run-time state
//! (current state, script results) belongs to the daemon's own dump. `--dump-conf=json` is the typed configuration through serde.

use std::fmt::Write as _;

use keel_conf::Config;
use keel_conf::model::lvs::{Method, VirtualServer};
use keel_conf::model::vrrp::{AuthType, InitialState, Instance, Notify, TrackRef};
use keel_conf::model::{Script, VirtualAddress, VrrpScript};

/// The resolved configuration as pretty JSON (after includes, definitions and defaults).
pub fn json(config: &Config) -> String {
    // Serialising plain data (strings, numbers, options, vectors) into a String cannot fail.
    serde_json::to_string_pretty(config)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}

/// The configuration in keepalived's `.data` layout.
pub fn data(config: &Config) -> String {
    let mut out = String::new();
    global_definitions(&mut out, config);
    vrrp_topology(&mut out, config);
    vrrp_scripts(&mut out, config);
    sync_groups(&mut out, config);
    lvs_topology(&mut out, config);
    let bfd = crate::daemon::bfd::setups(config);
    out.push_str(&crate::daemon::bfd::dump::configured(&bfd));
    if !config.not_supported.is_empty() {
        section(&mut out, "Not supported yet");
        for keyword in &config.not_supported {
            line(&mut out, 1, &keyword.keyword);
        }
    }
    out
}

fn global_definitions(out: &mut String, config: &Config) {
    let global = &config.global_defs;
    section(out, "Global definitions");
    let namespace = config.root.net_namespace.as_deref().unwrap_or("(default)");
    pair(out, 1, "Network namespace", namespace);
    if let Some(instance) = &config.root.instance {
        pair(out, 1, "Instance name", instance);
    }
    pair(
        out,
        1,
        "Router ID",
        global.router_id.as_deref().unwrap_or("(unset)"),
    );
    if let Some(smtp) = &global.smtp_server {
        pair(out, 1, "Smtp server", &smtp.host);
        pair(out, 1, "Smtp server port", smtp.port);
    }
    if let Some(helo) = &global.smtp_helo_name {
        pair(out, 1, "Smtp HELO name", helo);
    }
    pair(
        out,
        1,
        "Smtp server connection timeout",
        global.smtp_connect_timeout,
    );
    if let Some(from) = &global.notification_email_from {
        pair(out, 1, "Email notification from", from);
    }
    if !global.notification_email.is_empty() {
        line(out, 1, "Email notification to:");
        for email in &global.notification_email {
            line(out, 2, email);
        }
    }
    if let Some(interface) = &global.default_interface {
        pair(out, 1, "Default interface", interface);
    }
    pair(out, 1, "VRRP IPv4 mcast group", global.vrrp_mcast_group4);
    pair(out, 1, "VRRP IPv6 mcast group", global.vrrp_mcast_group6);
    pair(out, 1, "Gratuitous ARP delay", global.garp.master_delay);
    pair(out, 1, "Gratuitous ARP repeat", global.garp.master_repeat);
    pair(
        out,
        1,
        "Gratuitous ARP refresh timer",
        global.garp.master_refresh,
    );
    pair(
        out,
        1,
        "Gratuitous ARP refresh repeat",
        global.garp.master_refresh_repeat,
    );
    pair(
        out,
        1,
        "Num adverts before down",
        global.vrrp_down_timer_adverts,
    );
    pair(out, 1, "VRRP default protocol version", global.vrrp_version);
    pair(
        out,
        1,
        "VRRP check unicast_src",
        global.vrrp_check_unicast_src,
    );
    pair(
        out,
        1,
        "VRRP skip check advert addresses",
        global.vrrp_skip_check_adv_addr,
    );
    pair(out, 1, "VRRP strict mode", global.vrrp_strict);
    line(
        out,
        1,
        if global.enable_script_security {
            "Script security enabled"
        } else {
            "Script security disabled"
        },
    );
    if let Some(user) = &global.script_user {
        let group = user
            .group
            .as_deref()
            .map(|g| format!(":{g}"))
            .unwrap_or_default();
        pair(
            out,
            1,
            "Default script user",
            format!("{}{group}", user.user),
        );
    }
    if let Some(umask) = global.umask {
        pair(out, 1, "umask", format!("{umask:04o}"));
    }
}

fn vrrp_topology(out: &mut String, config: &Config) {
    if config.vrrp.instances.is_empty() {
        return;
    }
    section(out, "VRRP Topology");
    let default_version = config.global_defs.vrrp_version;
    for instance in &config.vrrp.instances {
        instance_data(out, instance, default_version);
    }
}

fn instance_data(out: &mut String, instance: &Instance, default_version: u8) {
    pair(out, 1, "VRRP Instance", &instance.name);
    pair(
        out,
        2,
        "VRRP Version",
        instance.version.unwrap_or(default_version),
    );
    let wanted = match instance.state {
        Some(InitialState::Master) => "MASTER",
        Some(InitialState::Backup) | None => "BACKUP",
    };
    pair(out, 2, "Wantstate", wanted);
    if let Some(interface) = &instance.interface {
        pair(out, 2, "Interface", interface);
    }
    // keepalived 2.2.7 (vrrp_parser.c): the use_ipvlan address is a configured source.
    if let Some(source) = instance.configured_source() {
        pair(out, 2, "Using src_ip", source);
    }
    pair(out, 2, "Virtual Router ID", instance.virtual_router_id);
    pair(out, 2, "Priority", instance.priority);
    pair(
        out,
        2,
        "Advert interval",
        format!("{} sec", instance.advert_int),
    );
    if let Some(accept) = instance.accept {
        pair(out, 2, "Accept", enabled(accept));
    }
    pair(out, 2, "Preempt", enabled(!instance.nopreempt));
    if instance.preempt_delay.micros() > 0 {
        pair(
            out,
            2,
            "Preempt delay",
            format!("{} secs", instance.preempt_delay),
        );
    }
    pair(
        out,
        2,
        "Promote_secondaries",
        enabled(instance.promote_secondaries),
    );
    if let Some(auth) = &instance.authentication {
        let kind = match auth.auth_type {
            AuthType::Pass => "SIMPLE_PASSWORD",
            AuthType::Ah => "IPSEC_AH",
        };
        pair(out, 2, "Authentication type", kind);
        pair(out, 2, "Password", &auth.auth_pass);
    }
    if !instance.unicast_peer.is_empty() {
        line(out, 2, "Unicast Peer :");
        for peer in &instance.unicast_peer {
            line(out, 3, &peer.address.to_string());
        }
    }
    let interface = instance.interface.as_deref();
    addresses(out, "Virtual IP", &instance.virtual_ipaddress, interface);
    addresses(
        out,
        "Virtual IP Excluded",
        &instance.virtual_ipaddress_excluded,
        interface,
    );
    tracked(
        out,
        "Tracked interfaces",
        &instance.tracking.track_interface,
    );
    tracked(out, "Tracked scripts", &instance.tracking.track_script);
    tracked(out, "Tracked files", &instance.tracking.track_file);
    tracked(out, "Tracked processes", &instance.tracking.track_process);
    tracked(out, "Tracked BFDs", &instance.tracking.track_bfd);
    notify_scripts(out, &instance.notify);
}

fn addresses(out: &mut String, title: &str, list: &[VirtualAddress], interface: Option<&str>) {
    if list.is_empty() {
        return;
    }
    line(out, 2, &format!("{title} ({}):", list.len()));
    for address in list {
        let host_len = if address.address.is_ipv4() { 32 } else { 128 };
        let mut text = address.address.to_string();
        if address.prefix_len != host_len {
            let _ = write!(text, "/{}", address.prefix_len);
        }
        if let Some(dev) = address.dev.as_deref().or(interface) {
            let _ = write!(text, " dev {dev}");
        }
        let _ = write!(
            text,
            " scope {}",
            address.scope.as_deref().unwrap_or("global")
        );
        if let Some(label) = &address.label {
            let _ = write!(text, " label {label}");
        }
        line(out, 3, &text);
    }
}

fn tracked(out: &mut String, title: &str, list: &[TrackRef]) {
    if list.is_empty() {
        return;
    }
    line(out, 2, &format!("{title} :"));
    for reference in list {
        let mut text = reference.name.clone();
        if let Some(weight) = reference.weight {
            let _ = write!(text, " weight {weight}");
        }
        if reference.reverse == Some(true) {
            text.push_str(" reverse");
        }
        line(out, 3, &text);
    }
}

fn notify_scripts(out: &mut String, notify: &Notify) {
    let scripts = [
        ("Master state transition script", &notify.notify_master),
        ("Backup state transition script", &notify.notify_backup),
        ("Fault state transition script", &notify.notify_fault),
        ("Stop state transition script", &notify.notify_stop),
        ("Generic state transition script", &notify.notify),
        (
            "Master receive lower priority script",
            &notify.notify_master_rx_lower_pri,
        ),
    ];
    for (title, script) in scripts {
        if let Some(script) = script {
            pair(out, 2, title, command(script));
        }
    }
}

fn vrrp_scripts(out: &mut String, config: &Config) {
    if config.vrrp.scripts.is_empty() {
        return;
    }
    section(out, "VRRP Scripts");
    for script in &config.vrrp.scripts {
        script_data(out, script);
    }
}

fn script_data(out: &mut String, script: &VrrpScript) {
    pair(out, 1, "VRRP Script", &script.name);
    pair(out, 2, "Command", command(&script.script));
    pair(out, 2, "Interval", format!("{} sec", script.interval));
    pair(
        out,
        2,
        "Timeout",
        format!("{} sec", script.timeout.unwrap_or(script.interval)),
    );
    let reverse = if script.reverse { " reverse" } else { "" };
    pair(out, 2, "Weight", format!("{}{reverse}", script.weight));
    pair(out, 2, "Rise", script.rise);
    pair(out, 2, "Fall", script.fall);
    if let Some(user) = &script.user {
        let group = user
            .group
            .as_deref()
            .map(|g| format!(":{g}"))
            .unwrap_or_default();
        pair(out, 2, "Script user", format!("{}{group}", user.user));
    }
    pair(
        out,
        2,
        "Init state",
        if script.init_fail { "FAILED" } else { "INIT" },
    );
}

fn sync_groups(out: &mut String, config: &Config) {
    if config.vrrp.sync_groups.is_empty() {
        return;
    }
    section(out, "VRRP Sync groups");
    for group in &config.vrrp.sync_groups {
        pair(out, 1, "VRRP Sync Group", &group.name);
        line(out, 2, "VRRP member instances :");
        for member in &group.group {
            line(out, 3, member);
        }
        tracked(out, "Tracked scripts", &group.tracking.track_script);
        notify_scripts(out, &group.notify);
    }
}

/// keepalived prints a command as its quoted words: `'/usr/bin/pidof' 'nginx'`.
fn command(script: &Script) -> String {
    let words: Vec<String> = script
        .command
        .iter()
        .map(|word| format!("'{word}'"))
        .collect();
    let mut text = words.join(" ");
    if let Some(user) = &script.user {
        let _ = write!(text, ", user {user}");
        if let Some(group) = &script.group {
            let _ = write!(text, ":{group}");
        }
    }
    text
}

fn enabled(on: bool) -> &'static str {
    if on { "enabled" } else { "disabled" }
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "------< {title} >------");
}

/// One line, indented like keepalived: one space for a top-level item, then two per level.
fn line(out: &mut String, level: usize, text: &str) {
    let indent = if level == 0 { 0 } else { 2 * level - 1 };
    let _ = writeln!(out, "{:indent$}{text}", "");
}

fn pair(out: &mut String, level: usize, key: &str, value: impl std::fmt::Display) {
    line(out, level, &format!("{key} = {value}"));
}

fn lvs_topology(out: &mut String, config: &Config) {
    let lvs = &config.lvs;
    if lvs.virtual_servers.is_empty() && lvs.virtual_server_groups.is_empty() {
        return;
    }
    section(out, "LVS Topology");
    for group in &lvs.virtual_server_groups {
        pair(out, 1, "Virtual Server Group", &group.name);
        pair(out, 2, "Entries", group.entries.len());
    }
    for server in &lvs.virtual_servers {
        virtual_server(out, server);
    }
}

fn virtual_server(out: &mut String, server: &VirtualServer) {
    pair(out, 1, "Virtual Server", &server.service);
    pair(out, 2, "lvs_sched", server.lvs_sched.keyword());
    pair(out, 2, "lvs_method", method(&server.lvs_method));
    if let Some(protocol) = server.protocol {
        pair(out, 2, "protocol", protocol.keyword());
    }
    pair(out, 2, "delay_loop", format!("{} sec", server.delay_loop));
    if let Some(timeout) = server.persistence_timeout {
        pair(out, 2, "persistence_timeout", timeout);
    }
    pair(out, 2, "quorum", server.quorum);
    pair(out, 2, "hysteresis", server.hysteresis);
    pair(out, 2, "alpha", on_off(server.alpha));
    pair(out, 2, "omega", on_off(server.omega));
    if let Some(sorry) = &server.sorry_server {
        pair(
            out,
            2,
            "sorry_server",
            format!("[{}]:{}", sorry.address, sorry.port),
        );
    }
    for real in &server.real_servers {
        pair(
            out,
            2,
            "Real Server",
            format!("[{}]:{}", real.address, real.port),
        );
        pair(out, 3, "weight", real.weight);
        if let Some(method) = &real.lvs_method {
            pair(out, 3, "lvs_method", self::method(method));
        }
        for checker in &real.checkers {
            pair(out, 3, "Checker", checker.kind.keyword());
        }
    }
}

fn method(method: &Method) -> &'static str {
    match method {
        Method::Nat => "NAT",
        Method::Dr => "DR",
        Method::Tun { .. } => "TUN",
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_conf::memfs::{FakeHost, MemoryFs};
    use keel_conf::preprocess::PreprocessOptions;
    use std::path::Path;

    const CONF: &str = r#"global_defs {
    router_id LB1
    notification_email {
        ops@example.com
    }
}
vrrp_script chk_http {
    script "/usr/bin/curl -sf http://127.0.0.1/"
    interval 2
    weight -20
    fall 3
    rise 2
}
vrrp_sync_group G1 {
    group {
        VI_1
    }
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 7
    priority 150
    advert_int 1
    nopreempt
    virtual_ipaddress {
        10.0.0.10/24
        10.0.0.11
    }
    track_script {
        chk_http weight -30
    }
}
virtual_server 10.0.0.10 80 {
    delay_loop 6
    lvs_sched wrr
    lvs_method NAT
    protocol TCP
    real_server 10.0.1.1 8080 {
        weight 3
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
"#;

    fn config() -> Config {
        // The tracked script must exist and be executable, or keepalived (and keel) drop it.
        let mut fs = MemoryFs::new()
            .with_file("/etc/keepalived/keepalived.conf", CONF)
            .with_file("/usr/bin/curl", "");
        assert!(fs.set_mode("/usr/bin/curl", 0o755));
        let host = FakeHost::new().with_interface("eth0");
        let options = PreprocessOptions {
            config_id: "lb1".into(),
            ..PreprocessOptions::default()
        };
        keel_conf::load(
            &fs,
            &host,
            Path::new("/etc/keepalived/keepalived.conf"),
            &options,
        )
        .config
    }

    #[test]
    fn data_dump_has_keepalived_sections_and_keys() {
        // Input: a BACKUP instance with two VIPs, a tracked script and a sync group.
        // Output: the lines an operator greps keepalived's .data for.
        let text = data(&config());
        for expected in [
            "------< Global definitions >------\n",
            " Router ID = LB1\n",
            " Email notification to:\n   ops@example.com\n",
            "------< VRRP Topology >------\n",
            " VRRP Instance = VI_1\n",
            "   Wantstate = BACKUP\n",
            "   Interface = eth0\n",
            "   Virtual Router ID = 7\n",
            "   Priority = 150\n",
            "   Advert interval = 1 sec\n",
            "   Preempt = disabled\n",
            "   Virtual IP (2):\n     10.0.0.10/24 dev eth0 scope global\n     10.0.0.11 dev eth0 scope global\n",
            "   Tracked scripts :\n     chk_http weight -30\n",
            "------< VRRP Scripts >------\n",
            " VRRP Script = chk_http\n",
            "   Command = '/usr/bin/curl' '-sf' 'http://127.0.0.1/'\n",
            "   Interval = 2 sec\n",
            "   Weight = -20\n",
            "   Rise = 2\n   Fall = 3\n",
            "------< VRRP Sync groups >------\n VRRP Sync Group = G1\n   VRRP member instances :\n     VI_1\n",
            "------< LVS Topology >------\n Virtual Server = [10.0.0.10]:80\n   lvs_sched = wrr\n   lvs_method = NAT\n   protocol = TCP\n",
            "   Real Server = [10.0.1.1]:8080\n     weight = 3\n     Checker = TCP_CHECK\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn json_dump_is_the_typed_config() {
        // Input: the same configuration. Output: JSON with keepalived's field names.
        let value: serde_json::Value =
            serde_json::from_str(&json(&config())).expect("the dump is valid JSON");
        assert_eq!(value["global_defs"]["router_id"], "LB1");
        assert_eq!(value["vrrp"]["instances"][0]["virtual_router_id"], 7);
        assert_eq!(value["vrrp"]["instances"][0]["nopreempt"], true);
        assert_eq!(value["vrrp"]["scripts"][0]["interval"], 2.0);
    }
}
