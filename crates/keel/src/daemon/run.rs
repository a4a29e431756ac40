//! The daemon's life: start, the event loop, reload, stop.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use keel_conf::Config;
use keel_conf::preprocess::PreprocessOptions;
use keel_sys::fifo::NotifyFifo;
use keel_sys::netlink::Netlink;
use keel_sys::packet::PacketSocket;
use keel_sys::script::{ProcessRunner, ScriptCommand, ScriptRunner, UserIds};
use keel_vrrp::{Action, Family, Router, RouterInput};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::lvs_sync::LvsSync;
use super::observe::Observations;
use super::scheduling::{self, ProcessKind};
use super::{Event, Signal, log, process, timing, trackers};
use crate::checker::supervisor::{self, ChildCommand, Supervisor};
use crate::cli::Options;
use crate::host::{RealFs, RealHost, default_config_id};
use crate::ops::dump::{DumpKind, DumpPaths, json_version, write_dump};
use crate::ops::snapshot::Snapshot;
use crate::vrrp_config::{self, DaemonConfig};

mod absorb;
mod bfd;
mod effects;
mod fifo_states;
mod firewall;
mod ipvlan_source;
mod prepare;
mod src_ip;
mod vmacs;
mod wire;

/// Runs the daemon with `options` until it is stopped; returns the exit code.
pub fn run(options: &Options) -> i32 {
    crate::memory::configure_allocator();
    log::init(&options.logging, options.namespace.as_deref());
    // Read the configuration before forking or writing pid files, so a configuration that
    // cannot run is reported on the terminal and leaves nothing behind.
    let config = match load_config(options) {
        Ok(config) => config,
        Err(error) => {
            log::error(&error);
            if !options.logging.console {
                eprint!("{error}");
            }
            return 1;
        }
    };
    // spec §1.4: `-u` over `global_defs umask` over keepalived's 0177, before any file
    // is created; scripts inherit it.
    crate::ops::umask::apply(crate::ops::umask::effective_umask(
        options.umask,
        config.global_defs.umask,
    ));
    // spec §1.3: join the namespace before any socket exists; the checker child inherits it.
    let namespace = options.namespace.as_deref();
    let _run_dir =
        match crate::ops::namespace::enter(namespace.or(config.root.net_namespace.as_deref())) {
            Ok(run_dir) => run_dir,
            Err(error) => {
                log::error(&error);
                return 1;
            }
        };
    // Before daemonising: the child's command line resolves relative paths here.
    let checker = checker_command(options);
    if !options.dont_fork {
        if let Err(error) = process::daemonize(options.logging.console) {
            log::error(&format!("cannot daemonize: {error}"));
            return 1;
        }
    }
    let pid_files = match process::PidFiles::create(options, &config.root) {
        Ok(files) => files,
        Err(error) => {
            log::error(&error);
            return 1;
        }
    };
    let _local_igmp = super::local_igmp::LocalIgmpOff::from_config(&config);
    // Before the runtime, so its threads inherit them (spec §2.3).
    scheduling::apply(ProcessKind::Vrrp, &config.global_defs.scheduling.vrrp);
    scheduling::set_name(ProcessKind::Vrrp, &config.global_defs.scheduling);
    // This thread runs the event loop: make its timer wake-ups precise (issue 4).
    timing::tune_current_thread();
    let Some(runtime) = super::runtime::event_loop() else {
        return 1;
    };
    let code = runtime.block_on(async {
        scheduling::spawn_sigxcpu_logger(ProcessKind::Vrrp, &config.global_defs.scheduling.vrrp);
        let checker_wanted = supervisor::wanted(options, &config);
        let mut daemon = match Daemon::start(options.clone(), config).await {
            Ok(daemon) => daemon,
            Err(error) => {
                log::error(&error);
                return 1;
            }
        };
        daemon.checker = checker.map(|command| {
            let events = daemon.events_tx.clone();
            Supervisor::spawn(command, checker_wanted, !options.dont_respawn, events)
        });
        daemon.feed_checker_bfd();
        daemon.run().await;
        0
    });
    drop(pid_files);
    log::info("Stopped");
    code
}

/// The longest a stop waits for its "Stopping" mails.
const STOP_MAIL_WAIT: Duration = Duration::from_secs(5);

struct Daemon {
    options: Options,
    config: DaemonConfig,
    /// The typed configuration `config` was mapped from (the dumps print it).
    source: Config,
    /// Tracker results for the dumps.
    observations: Observations,
    router: Router,
    netlink: Netlink,
    /// The raw VRRP sockets and what each instance sends with.
    wire: wire::Wire,
    /// When the last takeover was rehearsed (run/prepare.rs).
    preparation: prepare::Preparation,
    packet_sockets: HashMap<String, (PacketSocket, [u8; 6])>,
    /// Addresses we installed, so their removal by someone else can be told from ours.
    installed: HashSet<(u32, IpAddr)>,
    fifo: Option<NotifyFifo>,
    /// The running FIFO script's pid (SIGTERMed at stop, spec §3.8).
    fifo_script: Option<u32>,
    /// systemd's notification socket, when run as `Type=notify`.
    systemd: Option<std::sync::Arc<crate::ops::systemd::Notifier>>,
    trackers: Vec<tokio::task::JoinHandle<()>>,
    events_tx: UnboundedSender<Event>,
    events_rx: UnboundedReceiver<Event>,
    links: HashMap<String, (u32, bool)>,
    /// The health-checker child process (spec §1.1), when `-P` was not given.
    checker: Option<Supervisor>,
    /// `lvs_sync_daemon`, following its instance's state.
    lvs_sync: LvsSync,
    /// `use_vmac` interfaces (spec §3.10).
    vmacs: super::vmac::Vmacs,
    /// IPv6 `use_ipvlan` instances held in FAULT until their ipvlan has a link-local.
    link_locals: ipvlan_source::LinkLocalWait,
    /// The `promote_secondaries` sysctls set, to restore at stop.
    promoted: keel_sys::vmac::SysctlRestore,
    /// `no_accept` DROP rules and the VMAC IGMP rule (spec §3.7).
    firewall: keel_sys::firewall::VrrpFirewall,
    /// The `bfd_instance` sessions (see [`super::bfd`] for why they run here).
    bfd: Option<super::bfd::Bfd>,
}

impl Daemon {
    async fn start(options: Options, config: Config) -> Result<Daemon, String> {
        use super::netlink_bufs::{Socket, configured};
        let global = &config.global_defs.other;
        let netlink = Netlink::open_with(configured(global, Socket::Command))
            .map_err(|e| format!("netlink: {e}"))?;
        let monitor_buffer = configured(global, Socket::Monitor);
        let (events_tx, events_rx) = unbounded_channel();
        let mut daemon = Daemon {
            options,
            config: DaemonConfig::default(),
            source: Config::default(),
            observations: Observations::default(),
            router: Router::new(Default::default(), Instant::now()).map_err(|e| format!("{e}"))?,
            netlink,
            wire: wire::Wire::new(Instant::now()),
            preparation: prepare::Preparation::default(),
            packet_sockets: HashMap::new(),
            installed: HashSet::new(),
            fifo: None,
            fifo_script: None,
            systemd: None,
            trackers: Vec::new(),
            events_tx,
            events_rx,
            links: HashMap::new(),
            checker: None,
            lvs_sync: LvsSync::default(),
            vmacs: Default::default(),
            link_locals: Default::default(),
            promoted: Default::default(),
            firewall: keel_sys::firewall::VrrpFirewall::new(firewall::settings(&config)),
            bfd: None,
        };
        log::info(&format!(
            "Starting VRRP child process, pid={}",
            std::process::id()
        ));
        daemon.refresh_links().await;
        let mut mapped = daemon.map(&config).await;
        // The engine keeps the instance configurations; the daemon reads them from it
        // rather than keeping a second copy (issue 4: RSS per instance).
        daemon.router = Router::new(std::mem::take(&mut mapped.router), Instant::now())
            .map_err(|e| format!("configuration refused: {e}"))?;
        for instance in daemon.router.instances() {
            for warning in instance.warnings() {
                log::warn(warning);
            }
        }
        daemon.config = mapped;
        let delay = config.global_defs.vrrp_startup_delay.as_duration();
        daemon.lvs_sync = LvsSync::new(&config);
        daemon.source = config;
        daemon.sync_vmacs(true).await;
        daemon.ipvlan_sources().await;
        daemon.open_endpoints();
        daemon.open_fifo();
        process::spawn_signal_handlers(&daemon.events_tx, daemon.options.ignore_sigint);
        trackers::spawn_link_monitor(&daemon.events_tx, monitor_buffer);
        daemon.restart_trackers();
        if !delay.is_zero() {
            log::info(&format!(
                "Delaying startup for {} seconds",
                delay.as_secs_f64()
            ));
            tokio::time::sleep(delay).await;
        }
        daemon.static_objects(true).await;
        daemon.start_bfd().await;
        daemon.input(RouterInput::Start).await;
        // spec §3.3: an instance whose interface is down starts in FAULT.
        let down: Vec<String> = daemon
            .links
            .iter()
            .filter(|(_, (_, up))| !up)
            .map(|(name, _)| name.clone())
            .collect();
        for name in down {
            daemon.link_changed(&name, false).await;
        }
        daemon.systemd = process::start_systemd();
        crate::memory::release_freed();
        Ok(daemon)
    }

    async fn run(&mut self) {
        loop {
            // A Master_Down deadline near: the adverts the kernel absorbed restart it first.
            self.absorb_due(Instant::now() + absorb::ABSORB_AHEAD);
            let wake = self
                .router
                .next_timer()
                .map(|(deadline, timer)| self.wake_for(deadline, timer));
            let sleep = async {
                match wake {
                    Some(wake) => timing::sleep_to(wake).await,
                    None => std::future::pending().await,
                }
            };
            let wire = &self.wire;
            let readable = std::future::poll_fn(|cx| wire.poll_readable(cx));
            let link_local_deadline = self.link_locals.next_deadline();
            let link_local_overdue = async {
                match link_local_deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                    None => std::future::pending().await,
                }
            };
            // Events first (they are rare, and a stop must never wait), then sockets, then
            // the timer; whichever woke the loop, expired timers are served after it, and
            // only once the sockets are read (see wire.rs).
            tokio::select! {
                biased;
                event = self.events_rx.recv() => {
                    let Some(event) = event else { return };
                    if let Event::Signal(Signal::Stop) = event {
                        self.stop().await;
                        return;
                    }
                    self.handle(event).await;
                }
                (endpoint, socket) = readable => self.receive(endpoint, socket).await,
                () = sleep => {
                    // Woken before a takeover deadline: an absorbed advert may have moved
                    // it; rehearse (run/prepare.rs) and spin only to a deadline that
                    // stands (timing::sleep_until).
                    self.absorb_due(Instant::now() + absorb::ABSORB_AHEAD);
                    self.prepare_takeover();
                    if let Some((deadline, _)) = self.router.next_timer() {
                        timing::spin_until(deadline);
                    }
                }
                () = link_local_overdue => self.link_local_overdue().await,
            }
            self.service_timers().await;
        }
    }

    async fn handle(&mut self, event: Event) {
        match event {
            Event::Tracker { id, status } => {
                log::detail(&format!("tracker {} reports {status:?}", id.0));
                self.observations.tracker(&self.source, &id, status);
                self.input(RouterInput::Tracker { id, status }).await;
            }
            Event::Link {
                name,
                index,
                up,
                mac,
                removed,
            } => {
                if let Some(mac) = mac {
                    self.wire.set_link_mac(&name, mac);
                }
                // A VMAC or ipvlan this daemon made: its own rules (run/vmacs.rs).
                if self.vmacs.is_active_name(&name) {
                    self.vmac_link_event(&name, index, up, removed).await;
                    return;
                }
                let previous = self.links.insert(name.clone(), (index, up));
                if previous.map(|(_, was)| was) != Some(up) {
                    self.link_changed(&name, up).await;
                }
            }
            Event::AddressAdded { ifindex, address } => {
                self.ipvlan_address_event(ifindex, address, true);
                self.ipvlan_link_local_added(ifindex, address).await;
                // An instance without a source takes this one first, then hears it is there.
                self.remap_sources(None).await;
                self.source_address_event(ifindex, address, true).await;
            }
            Event::AddressRemoved { ifindex, address } => {
                self.ipvlan_address_event(ifindex, address, false);
                self.source_address_event(ifindex, address, false).await;
                self.remap_sources(Some(address)).await;
                if self.installed.remove(&(ifindex, address)) {
                    let Some(name) = self.link_name(ifindex) else {
                        return;
                    };
                    log::warn(&format!(
                        "{address} was removed from {name} by someone else"
                    ));
                    self.input(RouterInput::AddressRemovedExternally {
                        interface: self.vmacs.engine_interface(&name).to_string(),
                        address,
                    })
                    .await;
                }
            }
            Event::ProcessCount { id, count } => self.observations.process_count(&id, count),
            Event::Resync => {
                self.refresh_links().await;
                // A VMAC deleted while events were lost is not in the listing.
                self.check_vmac_links().await;
                // An ipvlan's link-local may have come meanwhile.
                self.ipvlan_sources().await;
            }
            Event::Signal(signal) => self.signal(signal).await,
        }
    }

    async fn signal(&mut self, signal: Signal) {
        log::detail(&format!("signal received: {signal:?}"));
        // The counters and timers of the dumps include what the kernel absorbed.
        self.absorb_all();
        match signal {
            Signal::Reload => self.reload().await,
            Signal::Stop => {}
            Signal::Data => {
                if let Some(checker) = &self.checker {
                    checker.dump();
                }
                self.dump(DumpKind::Data);
                self.dump_bfd().await;
            }
            Signal::Stats => self.dump(DumpKind::Stats),
            Signal::Json => self.dump(DumpKind::Json),
            Signal::StatsClear => {
                // spec §1.2: STATS_CLEAR writes the stats, then zeroes the counters.
                self.dump(DumpKind::Stats);
                self.router.clear_stats();
            }
        }
    }

    /// Writes one of keepalived's dump files from the engine, the configuration and what
    /// the trackers reported (spec §4.1–§4.3).
    fn dump(&self, kind: DumpKind) {
        let (now, wall_clock) = (Instant::now(), SystemTime::now());
        let script_user = self.config.script_user.as_ref().map_or((0, 0), |user| {
            let ids = resolve_user(Some(user));
            (ids.uid, ids.gid)
        });
        let observed = self
            .observations
            .observed(wall_clock, &self.links, script_user);
        let snapshot = Snapshot::from_router(&self.router, &self.source, &observed, now);
        let global = &self.source.global_defs.other;
        let namespace = self
            .options
            .namespace
            .clone()
            .or(self.source.root.net_namespace.clone());
        let tmpdir = std::env::var_os("TMPDIR");
        let paths = DumpPaths::resolve(
            global,
            tmpdir.as_deref(),
            namespace.as_deref(),
            self.source.root.instance.as_deref(),
        );
        if let Err(error) = write_dump(kind, &snapshot, &paths, json_version(global)) {
            log::error(&format!("writing {}: {error}", paths.path(kind).display()));
        }
    }

    fn tell_systemd(
        &self,
        message: impl FnOnce(&crate::ops::systemd::Notifier) -> std::io::Result<()>,
    ) {
        if let Some(systemd) = &self.systemd {
            if let Err(error) = message(systemd) {
                log::warn(&format!("systemd notify: {error}"));
            }
        }
    }

    async fn link_changed(&mut self, name: &str, up: bool) {
        log::info(&format!(
            "Netlink reports {name} {}",
            if up { "up" } else { "down" }
        ));
        if self
            .router
            .instances()
            .iter()
            .any(|i| i.config().interface == name)
        {
            self.input(RouterInput::LinkChanged {
                interface: name.to_string(),
                up,
            })
            .await;
        }
        let tracked: Vec<_> = self
            .config
            .track_interfaces
            .iter()
            .filter(|(_, interface)| interface == name)
            .map(|(id, _)| id.clone())
            .collect();
        for id in tracked {
            let status = keel_vrrp::TrackerStatus::up_or_down(up);
            self.input(RouterInput::Tracker { id, status }).await;
        }
    }

    async fn input(&mut self, input: RouterInput) {
        // The input may change how an instance treats its master's advert: what the
        // kernel absorbed is handed over first, and the next advert is judged again.
        self.stop_absorbing();
        let now = self.wire.tick(Instant::now());
        self.router.handle(now, input);
        self.drain().await;
    }

    async fn reload(&mut self) {
        log::info("Reloading");
        self.tell_systemd(|systemd| systemd.reloading());
        if let Some(check) = super::reload_check::ReloadCheck::configured(&self.source) {
            if let Err(error) = check.run(&self.options) {
                log::error(&error);
                self.tell_systemd(|systemd| systemd.ready("VRRP instances running"));
                return;
            }
        }
        let config = match load_config(&self.options) {
            Ok(config) => config,
            Err(error) => {
                log::error(&format!(
                    "reload failed, keeping the running configuration: {error}"
                ));
                self.tell_systemd(|systemd| systemd.ready("VRRP instances running"));
                return;
            }
        };
        crate::ops::umask::apply(crate::ops::umask::effective_umask(
            self.options.umask,
            config.global_defs.umask,
        ));
        if let Some(checker) = &self.checker {
            checker.reload(supervisor::wanted(&self.options, &config));
        }
        scheduling::reload(ProcessKind::Vrrp, &config.global_defs.scheduling.vrrp);
        // Normal scheduling again (no vrrp_rt_priority any more) wants the short slice back.
        timing::tune_current_thread();
        self.refresh_links().await;
        let mut mapped = self.map(&config).await;
        let router = std::mem::take(&mut mapped.router);
        self.stop_absorbing();
        if let Err(error) = self.router.reload(Instant::now(), router) {
            log::error(&format!(
                "reload refused, keeping the running configuration: {error}"
            ));
            self.tell_systemd(|systemd| systemd.ready("VRRP instances running"));
            return;
        }
        let router = &self.router;
        self.lvs_sync.reload(&config, |name| {
            router
                .instances()
                .iter()
                .find(|i| i.name() == name)
                .map(|i| i.state())
        });
        self.config = mapped;
        self.source = config;
        self.sync_vmacs(false).await;
        self.ipvlan_sources().await;
        self.open_endpoints();
        self.open_fifo();
        // A reload that makes a VMAC again, or drops one that was down.
        self.report_vmac_links().await;
        self.write_states_after_reload();
        self.restart_trackers();
        self.reload_bfd().await;
        self.drain().await;
        crate::memory::release_freed();
        log::info("Reload finished");
        self.tell_systemd(|systemd| systemd.ready("VRRP instances running"));
    }

    async fn stop(&mut self) {
        log::info("Stopping");
        self.tell_systemd(|systemd| systemd.stopping());
        let checker_stopped = self.checker.as_ref().map(Supervisor::stop);
        self.router.handle(Instant::now(), RouterInput::Stop);
        let mut scripts = Vec::new();
        let mut mails = Vec::new();
        while let Some(action) = self.router.poll_action() {
            if let Action::Notify(notification) = &action.action {
                scripts.extend(self.notify(notification));
                mails.extend(self.mail(notification));
                continue;
            }
            self.execute(action).await;
        }
        self.flush_adverts().await;
        if let Some(bfd) = &self.bfd {
            bfd.stop().await;
        }
        for task in &self.trackers {
            task.abort();
        }
        self.static_objects(false).await;
        self.stop_vmacs().await;
        if let Err(error) = std::mem::take(&mut self.promoted).restore() {
            log::warn(&format!("restoring promote_secondaries: {error}"));
        }
        // Let the FIFO script read the last lines (STOP) before it is told to go.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.stop_fifo_script();
        // spec §3.3: notify_stop scripts get up to 1 s before the daemon exits.
        let limit = Instant::now() + Duration::from_secs(1);
        while Instant::now() < limit && scripts.iter().any(|&pid| process::alive(pid)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.wait_for_stop_mails(mails).await;
        self.lvs_sync.stop();
        if let Some(stopped) = checker_stopped {
            let _ = stopped.await;
        }
    }

    async fn refresh_links(&mut self) {
        match self.netlink.links().await {
            Ok(links) => {
                for link in links {
                    if let Some(mac) = link.mac {
                        self.wire.set_link_mac(&link.name, mac);
                    }
                    let up = link.is_up();
                    let previous = self.links.insert(link.name.clone(), (link.index, up));
                    if previous.is_some_and(|(_, was)| was != up) {
                        self.link_changed(&link.name, up).await;
                    }
                }
            }
            Err(error) => log::warn(&format!("listing links: {error}")),
        }
    }

    fn link_name(&self, ifindex: u32) -> Option<String> {
        self.links
            .iter()
            .find(|(_, (index, _))| *index == ifindex)
            .map(|(name, _)| name.clone())
    }

    /// Maps the configuration, resolving each instance's source address from the kernel,
    /// and logs what the mapping warns of.
    async fn map(&self, config: &Config) -> DaemonConfig {
        let mapped = self.map_quietly(config).await;
        for warning in &mapped.warnings {
            log::warn(warning);
        }
        mapped
    }

    /// [`Daemon::map`] without the log: for a mapping that may change nothing.
    async fn map_quietly(&self, config: &Config) -> DaemonConfig {
        let addresses = self.netlink.addresses(None).await.unwrap_or_default();
        let links = &self.links;
        let primary = |instance: &str, interface: &str, family: Family| -> Option<IpAddr> {
            let on = |interface: &str| -> Option<IpAddr> {
                let &(ifindex, _) = links.get(interface)?;
                let candidates = addresses
                    .iter()
                    .filter(|a| a.ifindex == ifindex && Family::of(a.address) == family);
                match family {
                    // spec §3.1: the interface's primary IPv4 address.
                    Family::Ipv4 => candidates
                        .filter(|a| !self.installed.contains(&(ifindex, a.address)))
                        .map(|a| a.address)
                        .next(),
                    // spec §3.1: IPv6 adverts come from the link-local address.
                    Family::Ipv6 => candidates.map(|a| a.address).find(|a| is_link_local(*a)),
                }
            };
            // An IPv6 ipvlan without an address advertises from its own link-local. Until
            // it has one (or exists) the instance interface's stands in: the instance is
            // in FAULT meanwhile (run/ipvlan_source.rs), and a reload must not drop it.
            match self.vmacs.ipvlan(instance) {
                Some((device, _)) if family == Family::Ipv6 => on(device).or_else(|| on(interface)),
                _ => on(interface),
            }
        };
        // Whether a socket could be bound to the address: on any interface.
        let is_local = |address: IpAddr| addresses.iter().any(|a| a.address == address);
        vrrp_config::map(config, !self.options.dont_release_vrrp, &primary, &is_local)
    }

    fn open_fifo(&mut self) {
        let wanted = self.config.notify_fifo.as_ref().map(|f| f.path.clone());
        if self
            .fifo
            .as_ref()
            .map(|f| f.path().to_string_lossy().into_owned())
            == wanted
        {
            return;
        }
        self.stop_fifo_script();
        self.fifo = wanted.and_then(|path| {
            NotifyFifo::open(Path::new(&path))
                .map_err(|e| log::error(&format!("notify FIFO {path}: {e}")))
                .ok()
        });
        let (Some(fifo), Some(script)) = (&self.fifo, &self.config.fifo_script) else {
            return;
        };
        let command = self.script_command(script, [fifo.path().to_string_lossy().into_owned()]);
        match ProcessRunner.spawn_detached(&command) {
            Ok(pid) => self.fifo_script = Some(pid),
            Err(error) => log::error(&format!(
                "notify FIFO script {}: {error}",
                command.argv.join(" ")
            )),
        }
    }

    /// A notify or FIFO script with `extra_args` appended, run as its own user, else
    /// `script_user`, else root (spec §3.14).
    fn script_command(
        &self,
        script: &keel_conf::model::Script,
        extra_args: impl IntoIterator<Item = String>,
    ) -> ScriptCommand {
        let mut argv = script.command.clone();
        argv.extend(extra_args);
        let user = script
            .user
            .as_ref()
            .map(|u| (u.clone(), script.group.clone()))
            .or_else(|| self.config.script_user.clone());
        ScriptCommand {
            argv,
            user: resolve_user(user.as_ref()),
            timeout: None,
        }
    }

    /// The "Stopping" mails (spec §3.8) are sent while the VIPs are already gone; the
    /// daemon waits for them up to `smtp_connect_timeout`, at most [`STOP_MAIL_WAIT`], so an
    /// unreachable server cannot hold up a stop (systemd's stop timeout is 90 s, and
    /// keepalived 2.2.7 itself exits before its stop mails leave).
    async fn wait_for_stop_mails(&self, mails: Vec<tokio::task::JoinHandle<()>>) {
        if mails.is_empty() {
            return;
        }
        let limit = self
            .config
            .smtp
            .as_ref()
            .map_or(STOP_MAIL_WAIT, |smtp| smtp.timeout.min(STOP_MAIL_WAIT));
        let all = async {
            for mail in mails {
                let _ = mail.await;
            }
        };
        if tokio::time::timeout(limit, all).await.is_err() {
            log::warn("SMTP: stop alerts not sent in time, exiting without them");
        }
    }

    fn stop_fifo_script(&mut self) {
        if let Some(pid) = self.fifo_script.take() {
            if process::alive(pid) {
                // SAFETY: kill has no memory-safety preconditions; `pid` is the FIFO script
                // this daemon started and has not yet reaped.
                unsafe { libc::kill(pid as i32, libc::SIGTERM) };
            }
        }
    }

    fn restart_trackers(&mut self) {
        for task in self.trackers.drain(..) {
            task.abort();
        }
        for script in &self.config.vrrp_scripts {
            let user = script
                .user
                .clone()
                .or_else(|| self.config.script_user.clone());
            self.trackers.push(trackers::spawn_script(
                script,
                resolve_user(user.as_ref()),
                &self.events_tx,
            ));
        }
        for file in &self.config.track_files {
            if let Some(task) = trackers::spawn_file(file, &self.events_tx) {
                self.trackers.push(task);
            }
        }
        for process in &self.config.track_processes {
            self.trackers
                .push(trackers::spawn_process(process, &self.events_tx));
        }
    }
}

/// The checker child's command line, unless `-P` keeps the checker out.
fn checker_command(options: &Options) -> Option<ChildCommand> {
    if !options.subsystems.checkers {
        return None;
    }
    ChildCommand::new(options)
        .map_err(|error| log::error(&format!("cannot prepare the checker process: {error}")))
        .ok()
}

/// Reads the configuration `options` names, logging its diagnostics; an error when it
/// cannot run at all (spec §1.4 class 4). The checker process reads it the same way.
/// Reads and checks the configuration file `options` names, without judging it.
pub(crate) fn read_config(options: &Options) -> keel_conf::Loaded {
    let preprocess = PreprocessOptions {
        config_id: options.config_id.clone().unwrap_or_else(default_config_id),
        all_config: options.all_config,
        instance: None,
        random_seed: 0,
    };
    keel_conf::load(
        &RealFs,
        &RealHost::default(),
        &options.config_file,
        &preprocess,
    )
}

pub(crate) fn load_config(options: &Options) -> Result<Config, String> {
    // Read on a thread of its own: the parse's short-lived allocations then sit in that
    // thread's allocator pages, which go back whole once the thread is gone, instead of
    // pinning half-used pages of the daemon's heap (issue 4: RSS). The typed config is
    // copied out below for the same reason: 0.9 MB less at 510 instances, measured with
    // bench/vrrp/memory.sh.
    let loaded = std::thread::scope(|scope| scope.spawn(|| read_config(options)).join())
        .map_err(|_| "the configuration reader failed".to_string())?;
    for diagnostic in &loaded.diagnostics {
        for line in diagnostic.render(&loaded.sources).lines() {
            log::warn(line);
        }
    }
    // keepalived runs with what it could read unless the configuration cannot run at all.
    if keel_conf::diag::exit_code(&loaded.diagnostics) == 4 {
        let rendered: String = loaded
            .diagnostics
            .iter()
            .map(|d| d.render(&loaded.sources))
            .collect();
        return Err(format!(
            "{rendered}keel: {}: configuration cannot run\n",
            options.config_file.display()
        ));
    }
    // Issue 2: a keyword keel parses but does not act on yet is said once, never ignored
    // silently.
    for keyword in &loaded.config.not_supported {
        log::warn(&keyword.message());
    }
    // Copied onto the calling thread's heap, compact; the reader thread's copy is freed.
    Ok(loaded.config.clone())
}

/// An IPv6 link-local address (fe80::/10).
fn is_link_local(address: IpAddr) -> bool {
    matches!(address, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)
}

/// A script's identity: the configured user, else root (spec §3.14).
fn resolve_user(user: Option<&(String, Option<String>)>) -> UserIds {
    match user {
        Some((name, group)) => UserIds::lookup(name, group.as_deref()).unwrap_or_else(|error| {
            log::warn(&format!("script user {name}: {error}; running as root"));
            UserIds::root()
        }),
        None => UserIds::root(),
    }
}
