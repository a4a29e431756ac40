//! keel-conf's load-balancer model → what the checker process runs: keel-check's
//! [`CheckConfig`], one keel-probe request template per checker, and the process-wide
//! settings (FIFOs, SMTP, flush behaviour, backend choice).
//!
//! keel-conf has already resolved every inherited checker option (checker → real server →
//! virtual server → type default, spec §2.7), so each checker's [`Timing`] is written in
//! full here and keel-check's own fallbacks never apply. The probe templates sit in the same
//! order as the config, so a [`keel_check::ProbeRequest`]'s [`keel_check::CheckerPath`]
//! finds its template.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use keel_check::{
    CheckConfig, CheckerConfig, ConnectOptions, DnsQueryType, ForwardingMethod, GroupEntry,
    HttpProbe, HttpProtocol, MiscProbe, ProbeKind, ProbeSpec, Protocol, RealServerConfig,
    ServiceSettings, SorryServerConfig, Timing, UdpProbe, UrlCheck, VirtualServerConfig,
    VirtualServerGroupConfig, VirtualServerTarget,
};
use keel_conf::Config;
use keel_conf::model::lvs::{self, CheckerKind, Method, Service};
use keel_conf::model::{Script, Seconds};
use keel_lb::{Persistence, Scheduler, SchedulerFlags, TunnelChecksum, TunnelType};

/// Which data plane the checker programs (`keel_lb_backend`, a keel-specific global_defs
/// keyword documented in the README): keel-sys's choice, parsed by
/// [`BackendChoice::parse`].
pub use keel_sys::lb::BackendChoice;

/// How `TCP_CHECK` probes (`keel_tcp_check syn|connect`, a keel-specific global_defs
/// keyword documented in the README): half-open by default.
pub use keel_probe::TcpCheckMode;

/// SMTP alert settings from global_defs (spec §2.3); `None` in [`CheckerSettings`] when
/// no `smtp_server` is configured, which disables mail as in keepalived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `smtp_server` host (an address or a name) and port.
    pub host: String,
    /// Its port (25).
    pub port: u16,
    /// `smtp_helo_name` (`localhost`).
    pub helo_name: String,
    /// `notification_email_from`.
    pub from: String,
    /// `notification_email`.
    pub to: Vec<String>,
    /// `smtp_connect_timeout`.
    pub timeout: Duration,
}

/// Process-wide settings of the checker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckerSettings {
    /// `router_id`, prepended to SMTP subjects as `[router_id] `.
    pub router_id: String,
    /// `notify_fifo` and `lvs_notify_fifo` paths that get the checker's FIFO lines.
    pub fifos: Vec<PathBuf>,
    /// SMTP alerts.
    pub smtp: Option<SmtpConfig>,
    /// `lvs_flush`: empty the IPVS table at start.
    pub lvs_flush: bool,
    /// `lvs_flush_on_stop`: `None` removes only what keel installed; `Some(false)` flushes
    /// the whole table, `Some(true)` ("VS") only the virtual servers keel configured.
    pub lvs_flush_on_stop: Option<bool>,
    /// `keel_lb_backend`.
    pub backend: BackendChoice,
    /// `keel_tcp_check`; read at start (a reload keeps the running mode).
    pub tcp_check: TcpCheckMode,
    /// `script_user` (user, group) for notify scripts without their own.
    pub script_user: Option<(String, Option<String>)>,
    /// Notify scripts written with their own `user [group]`, by command line as
    /// keel-check hands them back.
    pub script_users: std::collections::BTreeMap<String, (String, Option<String>)>,
    /// `lvs_timeouts tcp tcpfin udp` in seconds (0 leaves one unchanged), IPVS only.
    pub lvs_timeouts: [u32; 3],
}

/// A probe as keel-probe runs it, without the per-attempt target and timeout (those come
/// from keel-check's request).
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeTemplate {
    /// The checker's own options.
    pub spec: keel_probe::ProbeSpec,
    /// `bindto` / `bind_port`.
    pub bind: Option<SocketAddr>,
    /// `bind_if`.
    pub bind_if: Option<String>,
    /// `fwmark`.
    pub fwmark: Option<u32>,
}

/// Everything the checker process needs from one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckPlan {
    /// keel-check's configuration.
    pub check: CheckConfig,
    /// Per virtual server, per real server, per checker: the probe template. Equal
    /// templates in a row (a virtual server's real servers usually carry the same checker)
    /// share one allocation: at thousands of real servers, one copy each is most of a
    /// megabyte for the checker's lifetime (issue 5).
    pub probes: Vec<Vec<Vec<Arc<ProbeTemplate>>>>,
    /// Process-wide settings.
    pub settings: CheckerSettings,
    /// Things the mapping could not carry over, for the log (one line each).
    pub warnings: Vec<String>,
}

impl CheckPlan {
    /// Builds the plan from a loaded configuration.
    pub fn from_config(config: &Config) -> CheckPlan {
        let mut warnings = Vec::new();
        let global = &config.global_defs;
        let raw = |name: &str| global.other.iter().find(|raw| raw.keyword == name);
        let backend = match raw("keel_lb_backend") {
            None => BackendChoice::Auto,
            Some(keyword) => {
                let arg = keyword.args.first().map(String::as_str).unwrap_or("");
                BackendChoice::parse(arg).unwrap_or_else(|| {
                    warnings.push(format!(
                        "keel_lb_backend {arg:?} is not one of auto, ipvs, nftables - using auto"
                    ));
                    BackendChoice::Auto
                })
            }
        };
        let tcp_check = match raw("keel_tcp_check") {
            None => TcpCheckMode::default(),
            Some(keyword) => {
                let arg = keyword.args.first().map(String::as_str).unwrap_or("");
                TcpCheckMode::parse(arg).unwrap_or_else(|| {
                    warnings.push(format!(
                        "keel_tcp_check {arg:?} is not one of syn, connect - using syn"
                    ));
                    TcpCheckMode::default()
                })
            }
        };
        let mut check = CheckConfig {
            virtual_servers: Vec::new(),
            groups: config.lvs.virtual_server_groups.iter().map(group).collect(),
            rs_init_notifies: raw("rs_init_notifies").is_some(),
            no_checker_emails: raw("no_checker_emails").is_some(),
        };
        // spec §2.3: smtp_alert_checker overrides smtp_alert for the checker side.
        let default_smtp_alert = global
            .smtp_alert_checker
            .or(global.smtp_alert)
            .unwrap_or(false);
        let mut probes = Vec::new();
        for vs in &config.lvs.virtual_servers {
            let (vs_config, vs_probes) =
                virtual_server(config, vs, default_smtp_alert, &mut warnings);
            check.virtual_servers.push(vs_config);
            probes.push(vs_probes);
        }
        let fifos = [&global.notify_fifo, &global.lvs_notify_fifo]
            .into_iter()
            .flatten()
            .map(|fifo| PathBuf::from(&fifo.path))
            .collect();
        let smtp = global.smtp_server.as_ref().map(|server| SmtpConfig {
            host: server.host.clone(),
            port: server.port,
            helo_name: global
                .smtp_helo_name
                .clone()
                .unwrap_or_else(|| "localhost".into()),
            from: global
                .notification_email_from
                .clone()
                .unwrap_or_else(|| "keepalived@localhost".into()),
            to: global.notification_email.clone(),
            timeout: duration(global.smtp_connect_timeout),
        });
        let script_users = config
            .lvs
            .virtual_servers
            .iter()
            .flat_map(|vs| {
                let quorum = vs.quorum_up.iter().chain(vs.quorum_down.iter());
                let notify = vs
                    .real_servers
                    .iter()
                    .flat_map(|rs| rs.notify_up.iter().chain(rs.notify_down.iter()));
                quorum.chain(notify)
            })
            .filter_map(|script| {
                let user = script.user.clone()?;
                Some((script_line(script), (user, script.group.clone())))
            })
            .collect();
        let timeout_secs = |value: Option<Seconds>| {
            value.map_or(0, |s| {
                u32::try_from(s.micros() / 1_000_000).unwrap_or(u32::MAX)
            })
        };
        let lvs_timeouts = [
            timeout_secs(global.lvs_timeouts.tcp),
            timeout_secs(global.lvs_timeouts.tcpfin),
            timeout_secs(global.lvs_timeouts.udp),
        ];
        let settings = CheckerSettings {
            router_id: global.router_id.clone().unwrap_or_default(),
            fifos,
            smtp,
            lvs_flush: global.lvs_flush,
            lvs_flush_on_stop: global.lvs_flush_on_stop,
            backend,
            tcp_check,
            script_user: global
                .script_user
                .as_ref()
                .map(|user| (user.user.clone(), user.group.clone())),
            script_users,
            lvs_timeouts,
        };
        CheckPlan {
            check,
            probes,
            settings,
            warnings,
        }
    }

    /// The keel-probe request for one of keel-check's [`keel_check::Action::RunProbe`]s, or
    /// `None` if the path is not in this plan (a request from before a reload).
    pub fn probe_request(
        &self,
        request: &keel_check::ProbeRequest,
    ) -> Option<keel_probe::ProbeRequest> {
        let path = request.path;
        let template = self
            .probes
            .get(path.virtual_server)?
            .get(path.real_server)?
            .get(path.checker)?;
        let mut spec = template.spec.clone();
        if let keel_probe::ProbeSpec::Misc(misc) = &mut spec {
            // keel-check hands MISC_CHECK its `misc_timeout` (default delay_loop) here.
            misc.timeout = request.timeout;
        }
        Some(keel_probe::ProbeRequest {
            spec,
            target: request.destination,
            bind: template.bind,
            bind_if: template.bind_if.clone(),
            fwmark: template.fwmark,
            connect_timeout: request.timeout,
        })
    }
}

fn group(group: &lvs::VirtualServerGroup) -> VirtualServerGroupConfig {
    VirtualServerGroupConfig {
        name: group.name.clone(),
        entries: group
            .entries
            .iter()
            .map(|entry| match *entry {
                lvs::GroupEntry::Range { first, last, port } => {
                    GroupEntry::Range { first, last, port }
                }
                lvs::GroupEntry::Fwmark { mark, family } => GroupEntry::Fwmark {
                    mark,
                    family: family.map(lb_family),
                },
            })
            .collect(),
    }
}

fn virtual_server(
    config: &Config,
    vs: &lvs::VirtualServer,
    default_smtp_alert: bool,
    warnings: &mut Vec<String>,
) -> (VirtualServerConfig, Vec<Vec<Arc<ProbeTemplate>>>) {
    let target = match &vs.service {
        Service::Address { address, port } => VirtualServerTarget::Address {
            address: *address,
            port: *port,
        },
        Service::Fwmark { mark } => VirtualServerTarget::Fwmark {
            mark: *mark,
            family: vs.ip_family.map(lb_family),
        },
        Service::Group { name } => VirtualServerTarget::Group { name: name.clone() },
    };
    let mut out = VirtualServerConfig::new(target);
    // keel-conf's `None` is a fwmark service, whose protocol IPVS ignores; TCP is what
    // keepalived reports for it.
    out.protocol = match vs.protocol {
        Some(lvs::Protocol::Udp) => Protocol::Udp,
        Some(lvs::Protocol::Sctp) => Protocol::Sctp,
        Some(lvs::Protocol::Tcp) | None => Protocol::Tcp,
    };
    out.settings = settings(vs);
    out.method = method(vs.lvs_method);
    out.quorum = vs.quorum;
    out.hysteresis = vs.hysteresis;
    out.quorum_up = vs.quorum_up.as_ref().map(script_line);
    out.quorum_down = vs.quorum_down.as_ref().map(script_line);
    out.sorry_server = vs.sorry_server.as_ref().map(|sorry| SorryServerConfig {
        address: sorry.address,
        port: (sorry.port != 0).then_some(sorry.port),
        inhibit: sorry.inhibit,
        method: sorry.lvs_method.map(method),
        weight: 1,
    });
    out.ha_suspend = vs.ha_suspend;
    out.omega = vs.omega;
    out.alpha = vs.alpha;
    out.inhibit_on_failure = vs.inhibit_on_failure;
    out.smtp_alert = vs.smtp_alert.unwrap_or(default_smtp_alert);
    out.timing = Timing {
        delay_loop: Some(duration(vs.delay_loop)),
        retry: vs.retry,
        delay_before_retry: vs.delay_before_retry.map(duration),
        warmup: vs.warmup.map(duration),
        connect_timeout: vs.connect_timeout.map(duration),
    };
    // Exact capacities: at thousands of real servers, vectors grown one push at a time
    // would hold up to twice their size for the daemon's lifetime.
    let mut probes = Vec::with_capacity(vs.real_servers.len());
    let mut last_template: Option<Arc<ProbeTemplate>> = None;
    out.real_servers.reserve_exact(vs.real_servers.len());
    for rs in &vs.real_servers {
        let mut rs_out = RealServerConfig::new(rs.address, (rs.port != 0).then_some(rs.port));
        rs_out.weight = rs.weight;
        rs_out.method = rs.lvs_method.map(method);
        rs_out.inhibit_on_failure = Some(rs.inhibit_on_failure);
        rs_out.alpha = rs.alpha;
        rs_out.notify_up = rs.notify_up.as_ref().map(script_line);
        rs_out.notify_down = rs.notify_down.as_ref().map(script_line);
        rs_out.upper_threshold = rs.uthreshold.unwrap_or(0);
        rs_out.lower_threshold = rs.lthreshold.unwrap_or(0);
        rs_out.smtp_alert = rs.smtp_alert;
        let mut rs_probes = Vec::with_capacity(rs.checkers.len());
        rs_out.checkers.reserve_exact(rs.checkers.len());
        for checker in &rs.checkers {
            let (check, template) = checker_config(config, vs, rs, checker, warnings);
            rs_out.checkers.push(check);
            let template = match last_template.take() {
                Some(last) if *last == template => last,
                _ => Arc::new(template),
            };
            rs_probes.push(Arc::clone(&template));
            last_template = Some(template);
        }
        out.real_servers.push(rs_out);
        probes.push(rs_probes);
    }
    (out, probes)
}

fn checker_config(
    config: &Config,
    vs: &lvs::VirtualServer,
    rs: &lvs::RealServer,
    checker: &lvs::Checker,
    warnings: &mut Vec<String>,
) -> (CheckerConfig, ProbeTemplate) {
    let options = &checker.options;
    let (kind, spec) = probe_kinds(config, vs, rs, checker, warnings);
    let mut probe = ProbeSpec::new(kind);
    probe.connect = ConnectOptions {
        connect_ip: options.connect_ip,
        connect_port: options.connect_port,
        bind_to: options.bindto,
        bind_port: options.bind_port,
        bind_interface: options.bind_if.clone(),
        fwmark: options.fwmark,
    };
    let mut out = CheckerConfig::new(probe);
    // Every option arrives resolved from keel-conf (spec §2.7 inheritance), so keel-check's
    // own fallbacks are never consulted.
    out.timing = Timing {
        delay_loop: Some(duration(options.delay_loop)),
        retry: Some(options.retry),
        delay_before_retry: Some(duration(options.delay_before_retry)),
        warmup: Some(duration(options.warmup)),
        connect_timeout: Some(duration(options.connect_timeout)),
    };
    out.alpha = Some(options.alpha);
    let bind = match (options.bindto, options.bind_port) {
        (Some(address), port) => Some(SocketAddr::new(address, port.unwrap_or(0))),
        (None, Some(port)) => Some(SocketAddr::new(unspecified_like(rs.address), port)),
        (None, None) => None,
    };
    let template = ProbeTemplate {
        spec,
        bind,
        bind_if: options.bind_if.clone(),
        fwmark: options.fwmark,
    };
    (out, template)
}

/// The checker in keel-check's words (for scheduling and alerts) and in keel-probe's (to
/// run it).
fn probe_kinds(
    config: &Config,
    vs: &lvs::VirtualServer,
    rs: &lvs::RealServer,
    checker: &lvs::Checker,
    warnings: &mut Vec<String>,
) -> (ProbeKind, keel_probe::ProbeSpec) {
    let options = &checker.options;
    match &checker.kind {
        CheckerKind::Tcp => (ProbeKind::Tcp, keel_probe::ProbeSpec::Tcp),
        CheckerKind::Http(http) => http_kinds(config, vs, rs, http, false, warnings),
        CheckerKind::Ssl(http) => http_kinds(config, vs, rs, http, true, warnings),
        CheckerKind::Smtp(smtp) => (
            ProbeKind::Smtp {
                helo_name: Some(smtp.helo_name.clone()),
            },
            keel_probe::ProbeSpec::Smtp(keel_probe::SmtpSpec {
                helo_name: smtp.helo_name.clone(),
            }),
        ),
        CheckerKind::Dns(dns) => {
            if matches!(dns.query_type, lvs::DnsType::Rrsig | lvs::DnsType::Dnskey) {
                warnings.push(format!(
                    "DNS_CHECK type {}: keel queries SOA instead",
                    dns.query_type.keyword()
                ));
            }
            let (check_type, probe_type) = dns_type(dns.query_type);
            (
                ProbeKind::Dns {
                    query_type: check_type,
                    name: dns.name.clone(),
                },
                keel_probe::ProbeSpec::Dns(keel_probe::DnsSpec {
                    query_type: probe_type,
                    name: dns.name.clone(),
                }),
            )
        }
        CheckerKind::Misc(misc) => {
            let timeout = misc.misc_timeout.map(duration);
            let user = misc.misc_path.user.clone();
            (
                ProbeKind::Misc(MiscProbe {
                    command: script_line(&misc.misc_path),
                    timeout,
                    dynamic: misc.misc_dynamic,
                    user: user.clone(),
                }),
                keel_probe::ProbeSpec::Misc(keel_probe::MiscSpec {
                    command: misc.misc_path.command.clone(),
                    // Replaced per attempt by keel-check's timeout (misc_timeout, else
                    // delay_loop); see CheckPlan::probe_request.
                    timeout: timeout.unwrap_or(duration(options.delay_loop)),
                    dynamic: misc.misc_dynamic,
                    user,
                    group: misc.misc_path.group.clone(),
                }),
            )
        }
        CheckerKind::Udp(udp) => {
            let payload = udp.payload.clone().unwrap_or_default();
            let reply = udp.require_reply.as_deref().map(reply_pattern);
            (
                ProbeKind::Udp(UdpProbe {
                    payload: payload.clone(),
                    require_reply: udp.require_reply.as_deref().map(reply_bytes),
                    min_reply_length: usize::from(udp.min_reply_length),
                    max_reply_length: usize::from(udp.max_reply_length),
                }),
                keel_probe::ProbeSpec::Udp(keel_probe::UdpSpec {
                    payload,
                    require_reply: reply.is_some(),
                    reply,
                    min_reply_length: usize::from(udp.min_reply_length),
                    max_reply_length: usize::from(udp.max_reply_length),
                }),
            )
        }
        CheckerKind::Ping => (ProbeKind::Ping, keel_probe::ProbeSpec::Ping),
        CheckerKind::File(file) => {
            let track = config
                .vrrp
                .track_files
                .iter()
                .find(|track| track.name == file.track_file);
            if track.is_none() {
                warnings.push(format!(
                    "FILE_CHECK track_file {} is not defined - the checker reads nothing",
                    file.track_file
                ));
            }
            // spec §2.7: the checker's weight overrides the track_file's.
            let weight = file.weight.or(track.map(|track| track.weight)).unwrap_or(0);
            let reverse = file.reverse || track.is_some_and(|track| track.reverse);
            (
                ProbeKind::File {
                    track_file: file.track_file.clone(),
                },
                keel_probe::ProbeSpec::File(keel_probe::FileSpec {
                    path: PathBuf::from(track.map(|track| track.file.as_str()).unwrap_or("")),
                    weight: i64::from(weight),
                    reverse,
                }),
            )
        }
        // Fed by the daemon's BFD sessions (checker::bfd_feed).
        CheckerKind::Bfd { name } => {
            (
                ProbeKind::Bfd { name: name.clone() },
                // Never run: keel-check does not schedule BFD checkers.
                keel_probe::ProbeSpec::Tcp,
            )
        }
    }
}

fn http_kinds(
    config: &Config,
    vs: &lvs::VirtualServer,
    rs: &lvs::RealServer,
    http: &lvs::HttpCheck,
    tls: bool,
    warnings: &mut Vec<String>,
) -> (ProbeKind, keel_probe::ProbeSpec) {
    // spec §2.7: the checker's virtualhost, else the real server's, else the virtual
    // server's.
    let virtualhost = http
        .virtualhost
        .clone()
        .or_else(|| rs.virtualhost.clone())
        .or_else(|| vs.virtualhost.clone());
    let protocol = match http.http_protocol {
        lvs::HttpProtocol::V1_0 => (HttpProtocol::Http10, keel_probe::HttpProtocol::Http10),
        lvs::HttpProtocol::V1_0C => (
            HttpProtocol::Http10Close,
            keel_probe::HttpProtocol::Http10Close,
        ),
        lvs::HttpProtocol::V1_1 => (HttpProtocol::Http11, keel_probe::HttpProtocol::Http11),
    };
    let mut check_urls = Vec::new();
    let mut probe_urls = Vec::new();
    for url in &http.urls {
        let ranges: Vec<_> = url.status_code.iter().map(|r| r.min..=r.max).collect();
        check_urls.push(UrlCheck {
            path: url.path.clone(),
            status_codes: ranges.clone(),
            digests: url.digest.clone(),
            virtualhost: url.virtualhost.clone(),
            regex: url.regex.clone(),
            regex_no_match: url.regex_no_match,
        });
        let mut probe_url = keel_probe::UrlCheck::new(url.path.clone());
        if !ranges.is_empty() {
            probe_url.status_codes = keel_probe::StatusCodes(ranges);
        }
        // keel-conf accepted only 32-hex-digit digests, so none is lost here.
        probe_url.digests = url
            .digest
            .iter()
            .filter_map(|text| keel_probe::http::parse_digest(text))
            .collect();
        probe_url.virtualhost = url.virtualhost.clone();
        probe_url.regex = match url.regex.as_deref().map(keel_probe::Pattern::new) {
            None => None,
            Some(Ok(pattern)) => Some(pattern),
            Some(Err(error)) => {
                warnings.push(format!(
                    "url {}: regex not usable ({error}) - ignored",
                    url.path
                ));
                None
            }
        };
        probe_url.regex_no_match = url.regex_no_match;
        probe_url.regex_min_offset = url
            .regex_min_offset
            .and_then(|offset| usize::try_from(offset).ok())
            .unwrap_or(0);
        probe_url.regex_max_offset = url
            .regex_max_offset
            .and_then(|offset| usize::try_from(offset).ok());
        probe_urls.push(probe_url);
    }
    let ssl = config.lvs.ssl.as_ref();
    let tls_options = tls.then(|| keel_probe::TlsOptions {
        enable_sni: http.enable_sni,
        sni_name: virtualhost.clone(),
        ca: ssl.and_then(|ssl| ssl.ca.as_ref()).map(PathBuf::from),
        certificate: ssl
            .and_then(|ssl| ssl.certificate.as_ref())
            .map(PathBuf::from),
        key: ssl.and_then(|ssl| ssl.key.as_ref()).map(PathBuf::from),
    });
    (
        ProbeKind::Http(HttpProbe {
            tls,
            urls: check_urls,
            protocol: protocol.0,
            virtualhost: virtualhost.clone(),
            enable_sni: http.enable_sni,
            sni_name: None,
            fast_recovery: http.fast_recovery,
        }),
        keel_probe::ProbeSpec::Http(keel_probe::HttpSpec {
            urls: probe_urls,
            protocol: protocol.1,
            virtualhost,
            tls: tls_options,
        }),
    )
}

fn dns_type(query_type: lvs::DnsType) -> (DnsQueryType, keel_probe::DnsQueryType) {
    use keel_probe::DnsQueryType as P;
    match query_type {
        lvs::DnsType::A => (DnsQueryType::A, P::A),
        lvs::DnsType::Ns => (DnsQueryType::Ns, P::Ns),
        lvs::DnsType::Cname => (DnsQueryType::Cname, P::Cname),
        lvs::DnsType::Soa => (DnsQueryType::Soa, P::Soa),
        lvs::DnsType::Mx => (DnsQueryType::Mx, P::Mx),
        lvs::DnsType::Txt => (DnsQueryType::Txt, P::Txt),
        lvs::DnsType::Aaaa => (DnsQueryType::Aaaa, P::Aaaa),
        // keel-probe builds no RRSIG/DNSKEY queries yet; SOA also proves the server answers
        // (checker_config warns about the substitution).
        lvs::DnsType::Rrsig | lvs::DnsType::Dnskey => (DnsQueryType::Soa, P::Soa),
    }
}

/// keel-conf keeps `require_reply` as nibbles, `None` for an `x` wildcard nibble (an odd
/// count gets a wildcard low nibble); keel-probe matches bytes with per-bit wildcards.
fn reply_pattern(nibbles: &[Option<u8>]) -> keel_probe::ReplyPattern {
    let mut pattern = keel_probe::ReplyPattern {
        data: Vec::new(),
        wildcards: Vec::new(),
    };
    for pair in nibbles.chunks(2) {
        let high = pair[0];
        let low = pair.get(1).copied().flatten();
        let low_known = pair.get(1).is_some_and(Option::is_some);
        pattern.data.push(high.unwrap_or(0) << 4 | low.unwrap_or(0));
        let high_wild = if high.is_some() { 0 } else { 0xf0 };
        let low_wild = if low_known { 0 } else { 0x0f };
        pattern.wildcards.push(high_wild | low_wild);
    }
    pattern
}

/// keel-check's view of the same pattern: one entry per byte, `None` where any nibble is
/// a wildcard (it only describes the checker; keel-probe does the matching).
fn reply_bytes(nibbles: &[Option<u8>]) -> Vec<Option<u8>> {
    nibbles
        .chunks(2)
        .map(|pair| match (pair[0], pair.get(1).copied().flatten()) {
            (Some(high), Some(low)) if pair.len() == 2 => Some(high << 4 | low),
            _ => None,
        })
        .collect()
}

fn settings(vs: &lvs::VirtualServer) -> ServiceSettings {
    let family = vs.ip_family.map(lb_family).unwrap_or(match &vs.service {
        Service::Address { address, .. } => keel_lb::Family::of(*address),
        _ => keel_lb::Family::Inet,
    });
    let persistence = vs.persistence_timeout.map(|timeout| {
        let mut persistence = Persistence::per_client(timeout, family);
        match vs.persistence_granularity {
            Some(lvs::Granularity::Netmask(mask)) => persistence.netmask = u32::from(mask),
            Some(lvs::Granularity::PrefixLen(len)) => persistence.netmask = u32::from(len),
            None => {}
        }
        persistence
    });
    ServiceSettings {
        scheduler: scheduler(vs.lvs_sched),
        scheduler_flags: SchedulerFlags {
            flag1: vs.scheduler_flags.flag_1,
            flag2: vs.scheduler_flags.flag_2,
            flag3: vs.scheduler_flags.flag_3,
        },
        persistence,
        one_packet: vs.ops,
        persistence_engine: vs.persistence_engine.clone(),
    }
}

fn scheduler(scheduler: lvs::Scheduler) -> Scheduler {
    use lvs::Scheduler as S;
    match scheduler {
        S::Rr => Scheduler::Rr,
        S::Wrr => Scheduler::Wrr,
        S::Lc => Scheduler::Lc,
        S::Wlc => Scheduler::Wlc,
        S::Lblc => Scheduler::Lblc,
        S::Lblcr => Scheduler::Lblcr,
        S::Dh => Scheduler::Dh,
        S::Sh => Scheduler::Sh,
        S::Mh => Scheduler::Mh,
        S::Sed => Scheduler::Sed,
        S::Nq => Scheduler::Nq,
        S::Fo => Scheduler::Fo,
        S::Ovf => Scheduler::Ovf,
        S::Twos => Scheduler::Twos,
    }
}

fn method(method: Method) -> ForwardingMethod {
    match method {
        Method::Nat => ForwardingMethod::Nat,
        Method::Dr => ForwardingMethod::DirectRouting,
        Method::Tun { tunnel, checksum } => ForwardingMethod::Tunnel {
            tunnel: match tunnel {
                lvs::Tunnel::Ipip => TunnelType::Ipip,
                lvs::Tunnel::Gue { port } => TunnelType::Gue { port },
                lvs::Tunnel::Gre => TunnelType::Gre,
            },
            checksum: match checksum {
                None | Some(lvs::TunnelChecksum::Nocsum) => TunnelChecksum::None,
                Some(lvs::TunnelChecksum::Csum) => TunnelChecksum::Checksum,
                Some(lvs::TunnelChecksum::Remcsum) => TunnelChecksum::Remote,
            },
        },
    }
}

fn lb_family(family: lvs::Family) -> keel_lb::Family {
    match family {
        lvs::Family::Inet => keel_lb::Family::Inet,
        lvs::Family::Inet6 => keel_lb::Family::Inet6,
    }
}

/// A script as one command line (keel-check hands it back in [`keel_check::Action::Notify`];
/// the loop splits it again). Arguments with blanks are quoted so they survive the split.
fn script_line(script: &Script) -> String {
    script
        .command
        .iter()
        .map(|word| {
            if word.is_empty() || word.contains(char::is_whitespace) {
                format!("'{}'", word.replace('\'', "'\\''"))
            } else {
                word.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn unspecified_like(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    }
}

fn duration(seconds: Seconds) -> Duration {
    Duration::from_micros(seconds.micros())
}

#[cfg(test)]
#[path = "check_config_tests.rs"]
mod tests;
