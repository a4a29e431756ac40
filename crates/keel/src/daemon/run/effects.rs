//! Carrying out the engine's actions: adverts, addresses, routes and rules over rtnetlink,
//! gratuitous ARP/NA, notify scripts, FIFO lines and alert mails (spec §3.3, §3.8, §3.9).

use std::collections::HashMap;
use std::net::IpAddr;

use keel_conf::model::{Route, Rule};
use keel_sys::netlink::{AddressScope, AddressSpec};
use keel_sys::packet::{FrameSender, PacketSocket};
use keel_sys::script::{ProcessRunner, ScriptRunner};
use keel_vrrp::{Action, Notification, RouterAction, Source, State};
use tokio::task::JoinHandle;

use super::Daemon;
use crate::daemon::{log, routes};
use crate::vrrp_config;

impl Daemon {
    pub(super) async fn execute(&mut self, routed: RouterAction) {
        let RouterAction { source, action } = routed;
        // The hot path: adverts are queued and leave together at the end of the turn.
        if let Action::SendAdvert(advert) = &action {
            self.queue_advert(&source, advert);
            return;
        }
        // Anything else happens after the adverts emitted before it (spec §3.3: a new
        // master's first advert goes out before its addresses are installed).
        self.flush_adverts().await;
        let (name, interface) = match &source {
            Source::Instance { name, interface } => (name.to_string(), Some(interface.to_string())),
            Source::Group { name } => (name.to_string(), None),
        };
        match action {
            Action::SendAdvert(_) => {}
            Action::AddAddresses { addresses, accept } => {
                let Some(interface) = interface else { return };
                // spec §3.7: keepalived sets the DROP rule before the VIPs.
                if !accept {
                    self.firewall_drop(&name, &addresses);
                }
                for address in addresses {
                    let Some(spec) = self.address_spec(&name, &interface, address) else {
                        continue;
                    };
                    match self.netlink.add_address(&spec).await {
                        Ok(()) => {}
                        Err(error) if error.netlink_errno() == Some(libc::EEXIST) => {}
                        Err(error) => {
                            log::error(&format!("({name}) cannot add {address}: {error}"));
                            continue;
                        }
                    }
                    self.installed.insert((spec.ifindex, address));
                }
                // spec §3.3: routes and rules follow the VIPs (adding again is harmless).
                self.virtual_routes(&name, true).await;
            }
            Action::RemoveAddresses { addresses } => {
                let Some(interface) = interface else { return };
                self.firewall_accept(&name, &addresses);
                for address in addresses {
                    let Some(spec) = self.address_spec(&name, &interface, address) else {
                        continue;
                    };
                    self.installed.remove(&(spec.ifindex, address));
                    match self.netlink.delete_address(&spec).await {
                        Ok(()) => {}
                        Err(error) if error.netlink_errno() == Some(libc::EADDRNOTAVAIL) => {}
                        // A deleted VMAC's addresses went with it.
                        Err(error) if error.netlink_errno() == Some(libc::ENODEV) => {}
                        Err(error) => {
                            log::error(&format!("({name}) cannot remove {address}: {error}"))
                        }
                    }
                }
            }
            Action::SendGratuitous { addresses } => {
                let Some(interface) = interface else { return };
                for &address in addresses.iter() {
                    let dev = self
                        .setup(&name)
                        .and_then(|s| s.addresses.iter().find(|a| a.address == address))
                        .and_then(|a| a.dev.clone());
                    let device = match dev {
                        Some(dev) => self
                            .vmacs
                            .address_device(&name, &dev)
                            .map_or(dev.clone(), str::to_string),
                        None => self.vmacs.device(&name).unwrap_or(&interface).into(),
                    };
                    if let Err(error) = self.send_gratuitous(&device, address).await {
                        log::detail(&format!("({name}) gratuitous for {address}: {error}"));
                    }
                }
            }
            Action::StateChanged { from, to } => {
                // Whatever it absorbed was the old state's to judge (run/absorb.rs).
                self.disarm_instance(&name);
                self.lvs_sync.state_changed(&name, to);
                if from == State::Master {
                    self.virtual_routes(&name, false).await;
                }
                let text = match (from, to) {
                    (State::Init, State::Backup) => "Entering BACKUP STATE (init)".to_string(),
                    (_, to) => format!("Entering {} STATE", to.as_str()),
                };
                log::info(&format!("({name}) {text}"));
            }
            Action::Notify(notification) => {
                self.notify(&notification);
                self.mail(&notification);
            }
            Action::FifoLine(line) => {
                if let Some(fifo) = &mut self.fifo {
                    if let Err(error) = fifo.write_line(&line) {
                        log::warn(&format!("notify FIFO: {error}"));
                    }
                }
            }
        }
    }

    /// Starts the notification's scripts (fire-and-forget, reaped in the background) and
    /// returns their pids.
    pub(super) fn notify(&self, notification: &Notification) -> Vec<u32> {
        let mut pids = Vec::new();
        for call in &notification.scripts {
            let Some(script) = self.config.scripts.get(&call.command) else {
                continue;
            };
            if script.command.is_empty() {
                continue;
            }
            let command = self.script_command(script, call.extra_args.iter().cloned());
            let argv = &command.argv;
            match ProcessRunner.spawn_detached(&command) {
                Ok(pid) => {
                    log::detail(&format!("notify: {} (pid {pid})", argv.join(" ")));
                    pids.push(pid);
                }
                Err(error) => log::warn(&format!("notify {}: {error}", argv.join(" "))),
            }
        }
        pids
    }

    /// spec §3.8: with `smtp_alert`, an instance's or a sync group's MASTER/BACKUP/FAULT,
    /// and STOP at shutdown ("Stopping", spec §2.5), sends a mail, in the background so a
    /// slow server never delays VRRP. Returns the sending task (the stop waits for it).
    pub(super) fn mail(&self, notification: &Notification) -> Option<JoinHandle<()>> {
        let Some(smtp) = &self.config.smtp else {
            return None;
        };
        let state = notification.state.as_str();
        // spec §2.3 `no_email_faults`: no mail for an instance's or a group's FAULT.
        if smtp.no_email_faults && state == "FAULT" {
            return None;
        }
        let alert = match notification.kind {
            keel_vrrp::NotifyKind::Instance => {
                if !self
                    .setup(&notification.name)
                    .is_some_and(|setup| setup.smtp_alert)
                {
                    return None;
                }
                keel_sys::smtp::vrrp_instance_alert(&smtp.router_id, &notification.name, state)
            }
            keel_vrrp::NotifyKind::Group => {
                if !self.config.group_smtp_alert.contains(&notification.name) {
                    return None;
                }
                keel_sys::smtp::vrrp_group_alert(&smtp.router_id, &notification.name, state)
            }
        };
        let alert = alert?;
        let smtp = smtp.clone();
        Some(tokio::spawn(async move {
            let server = match tokio::net::lookup_host((smtp.server.0.as_str(), smtp.server.1))
                .await
                .map(|mut addresses| addresses.next())
            {
                Ok(Some(server)) => server,
                _ => {
                    log::error(&format!("smtp_server {} does not resolve", smtp.server.0));
                    return;
                }
            };
            let settings = keel_sys::smtp::SmtpSettings {
                server,
                helo_name: smtp.helo_name,
                from: smtp.from,
                to: smtp.to,
                timeout: smtp.timeout,
            };
            match keel_sys::smtp::send_alert(&settings, &alert).await {
                Ok(()) => log::info(&format!("SMTP alert sent: {}", alert.subject)),
                Err(error) => log::error(&format!("SMTP alert to {server}: {error}")),
            }
        }))
    }

    pub(super) async fn send_gratuitous(
        &mut self,
        device: &str,
        address: IpAddr,
    ) -> Result<(), String> {
        if !self.packet_sockets.contains_key(device) {
            let socket = PacketSocket::open(device).map_err(|e| e.to_string())?;
            let info = keel_sys::packet::interface_info(device).map_err(|e| e.to_string())?;
            self.packet_sockets
                .insert(device.to_string(), (socket, info.mac));
        }
        let Some((socket, mac)) = self.packet_sockets.get(device) else {
            return Err("no packet socket".into());
        };
        let mac = keel_wire::ethernet::Address(*mac);
        let mut frame = [0u8; 128];
        let len = match address {
            IpAddr::V4(vip) => keel_wire::arp::emit_gratuitous(mac, vip, &mut frame),
            IpAddr::V6(vip) => keel_wire::ndisc::emit_unsolicited_na(mac, vip, false, &mut frame),
        }
        .map_err(|e| e.to_string())?;
        socket
            .send_frame(&frame[..len])
            .await
            .map_err(|e| e.to_string())
    }

    /// Installs (`add`) or removes an instance's `virtual_routes` and `virtual_rules`.
    pub(super) async fn virtual_routes(&mut self, name: &str, add: bool) {
        let Some(setup) = self.setup(name) else {
            return;
        };
        let (routes, rules) = (setup.routes.clone(), setup.rules.clone());
        self.apply_routes(name, &routes, &rules, add).await;
    }

    pub(super) async fn apply_routes(
        &self,
        owner: &str,
        routes: &[Route],
        rules: &[Rule],
        add: bool,
    ) {
        let links: HashMap<String, u32> = self
            .links
            .iter()
            .map(|(name, (index, _))| (name.clone(), *index))
            .collect();
        // Rules after routes when adding, before them when removing.
        if !add {
            for rule in rules {
                match routes::rule_spec(rule) {
                    Ok(spec) => report(
                        owner,
                        "rule",
                        self.netlink.delete_rule(&spec).await,
                        libc::ENOENT,
                    ),
                    Err(error) => log::warn(&format!("({owner}) {error}")),
                }
            }
        }
        for route in routes {
            match routes::route_spec(route, &links) {
                Ok(spec) if add => report(
                    owner,
                    "route",
                    self.netlink.add_route(&spec).await,
                    libc::EEXIST,
                ),
                Ok(spec) => report(
                    owner,
                    "route",
                    self.netlink.delete_route(&spec).await,
                    libc::ESRCH,
                ),
                Err(error) => log::warn(&format!("({owner}) {error}")),
            }
        }
        if add {
            for rule in rules {
                match routes::rule_spec(rule) {
                    Ok(spec) => report(
                        owner,
                        "rule",
                        self.netlink.add_rule(&spec).await,
                        libc::EEXIST,
                    ),
                    Err(error) => log::warn(&format!("({owner}) {error}")),
                }
            }
        }
    }

    /// `static_ipaddress`, `static_routes`, `static_rules`: at start (`add`) and at stop.
    pub(super) async fn static_objects(&mut self, add: bool) {
        let links: HashMap<String, u32> = self
            .links
            .iter()
            .map(|(name, (index, _))| (name.clone(), *index))
            .collect();
        let (addresses, routes, rules) = (
            self.config.static_addresses.clone(),
            self.config.static_routes.clone(),
            self.config.static_rules.clone(),
        );
        for address in &addresses {
            match routes::static_address_spec(address, &links) {
                Ok(spec) if add => report(
                    "static",
                    "address",
                    self.netlink.add_address(&spec).await,
                    libc::EEXIST,
                ),
                Ok(spec) => report(
                    "static",
                    "address",
                    self.netlink.delete_address(&spec).await,
                    libc::EADDRNOTAVAIL,
                ),
                Err(error) => log::warn(&error),
            }
        }
        self.apply_routes("static", &routes, &rules, add).await;
    }

    pub(super) fn setup(&self, name: &str) -> Option<&vrrp_config::InstanceSetup> {
        self.config.instances.iter().find(|s| s.name == name)
    }

    /// The rtnetlink form of one VIP with its options (spec §2.6).
    pub(super) fn address_spec(
        &self,
        name: &str,
        interface: &str,
        address: IpAddr,
    ) -> Option<AddressSpec> {
        let vip = self
            .setup(name)
            .and_then(|s| s.addresses.iter().find(|a| a.address == address));
        let device = match vip.and_then(|v| v.dev.as_deref()) {
            // use_vmac_addr: a VIP on another interface goes on that interface's VMAC.
            Some(dev) => self
                .vmacs
                .address_device(name, dev)
                .unwrap_or(dev)
                .to_string(),
            None => self.vmacs.device(name).unwrap_or(interface).to_string(),
        };
        let Some(&(ifindex, _)) = self.links.get(&device) else {
            log::warn(&format!(
                "({name}) interface {device} of {address} not found"
            ));
            return None;
        };
        let full = if address.is_ipv4() { 32 } else { 128 };
        let mut spec = AddressSpec::new(ifindex, address, vip.map_or(full, |v| v.prefix_len));
        if let Some(vip) = vip {
            spec.broadcast = vip.broadcast.as_deref().and_then(|b| b.parse().ok());
            spec.scope = match vip.scope.as_deref() {
                Some("site") => AddressScope::Site,
                Some("link") => AddressScope::Link,
                Some("host") => AddressScope::Host,
                Some("nowhere") => AddressScope::Nowhere,
                _ => AddressScope::Global,
            };
            spec.label = vip.label.clone();
            spec.peer = vip.peer.map(|p| p.address);
            spec.options.nodad = vip.nodad;
            spec.options.noprefixroute = vip.noprefixroute;
            spec.options.home = vip.home;
            spec.options.mngtmpaddr = vip.mngtmpaddr;
            spec.options.autojoin = vip.autojoin;
            spec.preferred_lifetime = vip.preferred_lft;
        }
        Some(spec)
    }
}

/// Logs a netlink failure unless it is `benign` (already there / already gone).
fn report(owner: &str, what: &str, result: keel_sys::Result<()>, benign: i32) {
    if let Err(error) = result {
        if error.netlink_errno() != Some(benign) {
            log::error(&format!("({owner}) {what}: {error}"));
        }
    }
}
