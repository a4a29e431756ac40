//! Every checker against a real server on this machine, up and down.

mod servers;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use keel_probe::http::{Pattern, StatusCodes, parse_digest};
use keel_probe::{
    DnsQueryType, DnsSpec, FileSpec, HttpProtocol, HttpSpec, MiscSpec, ProbeOutcome, ProbeRequest,
    ProbeSpec, ReplyPattern, SmtpSpec, TlsOptions, UdpSpec, UrlCheck, run,
};
use servers::Page;

fn request(spec: ProbeSpec, target: SocketAddr) -> ProbeRequest {
    let mut request = ProbeRequest::new(spec, target);
    request.connect_timeout = Duration::from_secs(2);
    request
}

fn assert_down(outcome: ProbeOutcome, reason_part: &str) {
    match outcome {
        ProbeOutcome::Down { reason } => assert!(
            reason.contains(reason_part),
            "reason {reason:?} should mention {reason_part:?}"
        ),
        other => panic!("expected down ({reason_part}), got {other:?}"),
    }
}

fn http_spec(urls: Vec<UrlCheck>) -> HttpSpec {
    HttpSpec {
        urls,
        protocol: HttpProtocol::Http10,
        virtualhost: None,
        tls: None,
    }
}

fn pages() -> Vec<Page> {
    vec![
        Page {
            path: "/",
            status: 200,
            body: b"hello world\n".to_vec(),
        },
        Page {
            path: "/health",
            status: 200,
            body: b"status: ok".to_vec(),
        },
        Page {
            path: "/broken",
            status: 503,
            body: b"maintenance".to_vec(),
        },
    ]
}

#[tokio::test]
async fn tcp_check_follows_the_listener() {
    // Input: TCP_CHECK to a listening port, then to a closed port.
    // Output: up, then down with "connection".
    let server = servers::http(pages()).await;
    assert_eq!(
        run(&request(ProbeSpec::Tcp, server.address)).await,
        ProbeOutcome::Up
    );
    assert_down(
        run(&request(ProbeSpec::Tcp, servers::closed_port())).await,
        "connection",
    );
}

#[tokio::test]
async fn http_get_all_urls_must_pass() {
    // Input: HTTP_GET with two urls (200 and digest match), then with a 503 url added.
    // Output: up; then down naming the 503.
    let server = servers::http(pages()).await;
    let mut root = UrlCheck::new("/");
    // md5("hello world\n") among two digests: any one matching passes (keepalived 2.2.7).
    root.digests = vec![
        [0x11; 16],
        parse_digest("6f5902ac237024bdd0c176cb93063dc4").expect("32 hex digits"),
    ];
    let mut health = UrlCheck::new("/health");
    health.regex = Some(Pattern::new("status: (ok|degraded)").expect("valid regex"));
    let spec = http_spec(vec![root.clone(), health.clone()]);
    assert_eq!(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        ProbeOutcome::Up
    );

    let spec = http_spec(vec![root, health, UrlCheck::new("/broken")]);
    assert_down(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        "503",
    );
}

#[tokio::test]
async fn http_get_status_digest_and_regex_failures() {
    // Input: a 503 accepted by status_code 500-599; a wrong digest; regex_no_match on a
    // matching page; a closed port.
    // Output: up, then down for each of the others with its cause.
    let server = servers::http(pages()).await;
    let mut accepts_503 = UrlCheck::new("/broken");
    accepts_503.status_codes = StatusCodes(vec![500..=599]);
    let spec = http_spec(vec![accepts_503]);
    assert_eq!(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        ProbeOutcome::Up
    );

    let mut wrong_digest = UrlCheck::new("/");
    wrong_digest.digests = vec![[0; 16], [2; 16]];
    let spec = http_spec(vec![wrong_digest]);
    assert_down(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        "MD5",
    );

    let mut no_match = UrlCheck::new("/health");
    no_match.regex = Some(Pattern::new("ok").expect("valid regex"));
    no_match.regex_no_match = true;
    let spec = http_spec(vec![no_match]);
    assert_down(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        "regex",
    );

    let spec = http_spec(vec![UrlCheck::new("/")]);
    assert_down(
        run(&request(ProbeSpec::Http(spec), servers::closed_port())).await,
        "connection",
    );
}

#[tokio::test]
async fn http_get_sends_keepalived_request_with_virtualhost() {
    // Input: HTTP_GET http_protocol 1.1, virtualhost www.example.com, url virtualhost
    // override on the second url.
    // Output: the server sees keepalived's request lines and the right Host headers.
    let server = servers::http(pages()).await;
    let mut second = UrlCheck::new("/health");
    second.virtualhost = Some("api.example.com".to_string());
    let spec = HttpSpec {
        urls: vec![UrlCheck::new("/"), second],
        protocol: HttpProtocol::Http11,
        virtualhost: Some("www.example.com".to_string()),
        tls: None,
    };
    assert_eq!(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        ProbeOutcome::Up
    );
    let seen = server.requests.lock().expect("not poisoned").clone();
    assert_eq!(
        seen,
        vec![
            "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n",
            "GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: api.example.com\r\n\r\n",
        ]
    );
}

#[tokio::test]
async fn ssl_get_against_a_self_signed_server() {
    // Input: SSL_GET to a TLS server with a self-signed certificate: without ca, with
    // enable_sni + virtualhost, with the right ca, with a wrong digest, to a plain server.
    // Output: up, up (server saw SNI "www.example.com"), up, down, down.
    let (server, certificate) = servers::https(pages()).await;
    let mut spec = http_spec(vec![UrlCheck::new("/health")]);
    spec.tls = Some(TlsOptions::default());
    assert_eq!(
        run(&request(ProbeSpec::Http(spec.clone()), server.address)).await,
        ProbeOutcome::Up
    );
    assert_eq!(
        server.server_names.lock().expect("not poisoned").clone(),
        vec![None]
    );

    let mut sni = spec.clone();
    sni.virtualhost = Some("www.example.com".to_string());
    sni.tls = Some(TlsOptions {
        enable_sni: true,
        ..TlsOptions::default()
    });
    assert_eq!(
        run(&request(ProbeSpec::Http(sni), server.address)).await,
        ProbeOutcome::Up
    );
    assert_eq!(
        server
            .server_names
            .lock()
            .expect("not poisoned")
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("www.example.com")
    );

    let directory = tempfile::tempdir().expect("temporary directory");
    let ca = directory.path().join("ca.pem");
    std::fs::write(&ca, certificate).expect("write ca");
    let mut verified = spec.clone();
    verified.tls = Some(TlsOptions {
        ca: Some(ca),
        ..TlsOptions::default()
    });
    assert_eq!(
        run(&request(ProbeSpec::Http(verified), server.address)).await,
        ProbeOutcome::Up
    );

    let mut wrong = spec.clone();
    wrong.urls[0].digests = vec![[1; 16]];
    assert_down(
        run(&request(ProbeSpec::Http(wrong), server.address)).await,
        "MD5",
    );

    let plain = servers::http(pages()).await;
    assert_down(
        run(&request(ProbeSpec::Http(spec), plain.address)).await,
        "TLS",
    );
}

#[tokio::test]
async fn http_get_over_ipv6_sends_a_bracketed_host() {
    // Input: HTTP_GET to a server on [::1] without a virtual host.
    // Output: up; the Host header is "[::1]:PORT" (RFC 2732, as keepalived sends it).
    let server = servers::http_on("[::1]:0", pages()).await;
    let spec = http_spec(vec![UrlCheck::new("/")]);
    assert_eq!(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        ProbeOutcome::Up
    );
    let seen = server.requests.lock().expect("not poisoned").clone();
    assert!(seen[0].contains(&format!("Host: [::1]:{}\r\n", server.address.port())));
}

#[tokio::test]
async fn ssl_get_loads_a_client_certificate() {
    // Input: SSL_GET with SSL { certificate key } from a fresh key pair; then with a key
    // file that does not exist.
    // Output: up; down with a TLS error naming the key.
    let (server, _) = servers::https(pages()).await;
    let directory = tempfile::tempdir().expect("temporary directory");
    let client =
        rcgen::generate_simple_self_signed(vec!["client".to_string()]).expect("client certificate");
    let certificate = directory.path().join("client.pem");
    let key = directory.path().join("client.key");
    std::fs::write(&certificate, client.cert.pem()).expect("write certificate");
    std::fs::write(&key, client.signing_key.serialize_pem()).expect("write key");
    let mut spec = http_spec(vec![UrlCheck::new("/")]);
    spec.tls = Some(TlsOptions {
        certificate: Some(certificate.clone()),
        key: Some(key),
        ..TlsOptions::default()
    });
    assert_eq!(
        run(&request(ProbeSpec::Http(spec.clone()), server.address)).await,
        ProbeOutcome::Up
    );
    spec.tls = Some(TlsOptions {
        certificate: Some(certificate),
        key: Some(directory.path().join("missing.key")),
        ..TlsOptions::default()
    });
    assert_down(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        "missing.key",
    );
}

#[tokio::test]
async fn ssl_get_with_an_unrelated_ca_is_down() {
    // Input: SSL_GET with a ca that did not sign the server's certificate.
    // Output: down, TLS handshake failure.
    let (server, _) = servers::https(pages()).await;
    let (_other, other_certificate) = servers::https(pages()).await;
    let directory = tempfile::tempdir().expect("temporary directory");
    let ca = directory.path().join("other.pem");
    std::fs::write(&ca, other_certificate).expect("write ca");
    let mut spec = http_spec(vec![UrlCheck::new("/")]);
    spec.tls = Some(TlsOptions {
        ca: Some(ca),
        ..TlsOptions::default()
    });
    assert_down(
        run(&request(ProbeSpec::Http(spec), server.address)).await,
        "TLS",
    );
}

#[tokio::test]
async fn smtp_check_speaks_helo_and_quit() {
    // Input: SMTP_CHECK helo_name probe.test against a good server, a server whose banner
    // is 554, one that rejects HELO, and a closed port.
    // Output: up (server saw "HELO probe.test" then "QUIT"), then down for the others.
    let good = servers::smtp("220-mail.test ESMTP\r\n220 ready\r\n", "250 hello\r\n").await;
    let spec = ProbeSpec::Smtp(SmtpSpec {
        helo_name: "probe.test".to_string(),
    });
    assert_eq!(
        run(&request(spec.clone(), good.address)).await,
        ProbeOutcome::Up
    );
    assert_eq!(
        good.requests.lock().expect("not poisoned").clone(),
        vec!["HELO probe.test\r\n", "QUIT\r\n"]
    );
    let busy = servers::smtp("554 go away\r\n", "250 hello\r\n").await;
    assert_down(run(&request(spec.clone(), busy.address)).await, "greeting");
    let rude = servers::smtp("220 ready\r\n", "502 no\r\n").await;
    assert_down(run(&request(spec.clone(), rude.address)).await, "HELO");
    assert_down(
        run(&request(spec, servers::closed_port())).await,
        "connection",
    );
}

#[tokio::test]
async fn smtp_check_against_aiosmtpd() {
    // Input: SMTP_CHECK with the default helo_name against a real aiosmtpd.
    // Output: up; once the server is stopped, down.
    let server = servers::aiosmtpd();
    let spec = ProbeSpec::Smtp(SmtpSpec::default());
    assert_eq!(
        run(&request(spec.clone(), server.address)).await,
        ProbeOutcome::Up
    );
    let address = server.address;
    drop(server);
    assert_down(run(&request(spec, address)).await, "connection");
}

#[tokio::test]
async fn dns_check_against_dnsmasq() {
    // Input: DNS_CHECK against dnsmasq, authoritative for zone.example: the default
    // (SOA of "."), SOA zone.example, A www.zone.example, TXT txt.zone.example, AAAA
    // www.zone.example (no such record), MX of a name outside its zone (refused), and a
    // port where nothing listens.
    // Output: "." is refused (down); up four times; down with the rcode; down on port
    // unreachable.
    let dnsmasq = servers::dnsmasq();
    let probe = |query_type, name: &str| {
        request(
            ProbeSpec::Dns(DnsSpec {
                query_type,
                name: name.to_string(),
            }),
            dnsmasq.address,
        )
    };
    let default = request(ProbeSpec::Dns(DnsSpec::default()), dnsmasq.address);
    assert_down(run(&default).await, "Refused");
    assert_eq!(
        run(&probe(DnsQueryType::Soa, "zone.example")).await,
        ProbeOutcome::Up
    );
    assert_eq!(
        run(&probe(DnsQueryType::A, "www.zone.example")).await,
        ProbeOutcome::Up
    );
    assert_eq!(
        run(&probe(DnsQueryType::Txt, "txt.zone.example")).await,
        ProbeOutcome::Up
    );
    // keepalived compat: NOERROR passes even without an answer of the asked type.
    assert_eq!(
        run(&probe(DnsQueryType::Aaaa, "www.zone.example")).await,
        ProbeOutcome::Up
    );
    assert_down(
        run(&probe(DnsQueryType::Mx, "nowhere.invalid")).await,
        "rcode",
    );
    let mut unreachable = probe(DnsQueryType::A, "www.zone.example");
    unreachable.target = servers::closed_port();
    assert_down(run(&unreachable).await, "DNS receive");
}

#[tokio::test]
async fn udp_check_replies_silence_and_unreachable() {
    // Input: UDP_CHECK with payload "ping" to a responder answering "pong!"; with
    // require_reply patterns that match (with wildcards) and do not; to a silent
    // responder with and without require_reply; to a closed port.
    // Output: up, up, down, up, down, down.
    let responder = servers::udp(Some(b"pong!")).await;
    let base = UdpSpec {
        payload: b"ping".to_vec(),
        ..UdpSpec::default()
    };
    assert_eq!(
        run(&request(ProbeSpec::Udp(base.clone()), responder.address)).await,
        ProbeOutcome::Up
    );
    assert_eq!(
        responder.requests.lock().expect("not poisoned").clone(),
        vec!["ping"]
    );

    let wildcard = UdpSpec {
        require_reply: true,
        reply: ReplyPattern::parse("70 6f xx 67"),
        ..base.clone()
    };
    assert_eq!(
        run(&request(ProbeSpec::Udp(wildcard), responder.address)).await,
        ProbeOutcome::Up
    );
    let mismatch = UdpSpec {
        require_reply: true,
        reply: ReplyPattern::parse("70 69"),
        ..base.clone()
    };
    assert_down(
        run(&request(ProbeSpec::Udp(mismatch), responder.address)).await,
        "mismatch",
    );

    let silent = servers::udp(None).await;
    let mut quick = request(ProbeSpec::Udp(base.clone()), silent.address);
    quick.connect_timeout = Duration::from_millis(300);
    assert_eq!(run(&quick).await, ProbeOutcome::Up, "silence is success");
    quick.spec = ProbeSpec::Udp(UdpSpec {
        require_reply: true,
        ..base.clone()
    });
    assert_down(run(&quick).await, "timeout");

    assert_down(
        run(&request(ProbeSpec::Udp(base), servers::closed_port())).await,
        "UDP receive",
    );
}

#[tokio::test]
async fn ping_check_loopback_v4_and_v6() {
    // Input: PING_CHECK to 127.0.0.1 and ::1. Output: up for both.
    let v4 = request(ProbeSpec::Ping, "127.0.0.1:0".parse().expect("literal"));
    assert_eq!(run(&v4).await, ProbeOutcome::Up);
    let v6 = request(ProbeSpec::Ping, "[::1]:0".parse().expect("literal"));
    assert_eq!(run(&v6).await, ProbeOutcome::Up);
}

/// A network namespace for one test, deleted on drop.
struct Namespace(String);

static NAMESPACE_COUNTER: AtomicU32 = AtomicU32::new(0);

impl Namespace {
    fn new() -> Self {
        let name = format!(
            "keelprobe{}x{}",
            std::process::id(),
            NAMESPACE_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        ip(&["netns", "add", &name]);
        let namespace = Namespace(name);
        ip(&["-n", &namespace.0, "link", "set", "lo", "up"]);
        namespace
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "delete", &self.0])
            .status();
    }
}

fn ip(args: &[&str]) {
    let status = std::process::Command::new("ip")
        .args(args)
        .status()
        .expect("run ip");
    assert!(status.success(), "ip {args:?} failed");
}

/// Runs `request` from inside `namespace` (setns on a dedicated thread).
fn run_in(namespace: &Namespace, request: ProbeRequest) -> ProbeOutcome {
    let path = format!("/run/netns/{}", namespace.0);
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).expect("namespace file");
        nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(run(&request))
    })
    .join()
    .expect("probe thread")
}

#[test]
fn ping_check_without_echo_reply_is_down() {
    // Input: a namespace whose firewall drops incoming echo requests; PING_CHECK to its
    // 127.0.0.1, then to the same address with the rule gone.
    // Output: down (timeout) while dropped; up otherwise.
    let namespace = Namespace::new();
    let mut probe = request(ProbeSpec::Ping, "127.0.0.1:0".parse().expect("literal"));
    probe.connect_timeout = Duration::from_millis(500);
    assert_eq!(run_in(&namespace, probe.clone()), ProbeOutcome::Up);
    let status = std::process::Command::new("ip")
        .args(["netns", "exec", &namespace.0, "nft", "add table ip keel; add chain ip keel input { type filter hook input priority 0; }; add rule ip keel input icmp type echo-request drop"])
        .status()
        .expect("run nft");
    assert!(status.success(), "nft rule in the namespace");
    assert_down(run_in(&namespace, probe), "timeout");
}

fn misc(script: &str, dynamic: bool, timeout: Duration) -> ProbeRequest {
    let spec = MiscSpec {
        command: vec!["sh".to_string(), "-c".to_string(), script.to_string()],
        timeout,
        dynamic,
        user: None,
        group: None,
    };
    request(
        ProbeSpec::Misc(spec),
        "127.0.0.1:0".parse().expect("literal"),
    )
}

#[tokio::test]
async fn misc_check_exit_codes() {
    // Input: scripts exiting 0, 1 and 5, without and with misc_dynamic.
    // Output: up/down/down without; up/down/up with weight 3 with misc_dynamic.
    let long = Duration::from_secs(10);
    assert_eq!(run(&misc("exit 0", false, long)).await, ProbeOutcome::Up);
    assert_down(run(&misc("exit 1", false, long)).await, "status 1");
    assert_down(run(&misc("exit 5", false, long)).await, "status 5");
    assert_eq!(run(&misc("exit 0", true, long)).await, ProbeOutcome::Up);
    assert_down(run(&misc("exit 1", true, long)).await, "status 1");
    assert_eq!(
        run(&misc("exit 5", true, long)).await,
        ProbeOutcome::UpWithWeight(3)
    );
    assert_down(run(&misc("kill -9 $$", false, long)).await, "signal 9");
}

#[tokio::test]
async fn misc_check_timeout_kills_the_process_group() {
    // Input: a script that starts a background sleeper writing its pid, then hangs;
    // misc_timeout 500 ms.
    // Output: down "timed out" within a few seconds, and the sleeper is gone too.
    let directory = tempfile::tempdir().expect("temporary directory");
    let pid_file = directory.path().join("child.pid");
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let started = Instant::now();
    assert_down(
        run(&misc(&script, false, Duration::from_millis(500))).await,
        "timed out",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let pid = std::fs::read_to_string(&pid_file).expect("sleeper pid");
    let stat = format!("/proc/{}/stat", pid.trim());
    // Signals are delivered asynchronously: give the sleeper a moment to die.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut alive = true;
    while alive && Instant::now() < deadline {
        alive = std::fs::read_to_string(&stat).is_ok_and(|stat| !stat.contains(") Z "));
        if alive {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(
        !alive,
        "the script's background child must be killed with its group"
    );
}

#[tokio::test]
async fn misc_check_runs_as_the_given_user() {
    // Input: user nobody; a script that succeeds only when not root.
    // Output: up; with an unknown user, down.
    let mut probe = misc("test \"$(id -u)\" != 0", false, Duration::from_secs(10));
    if let ProbeSpec::Misc(spec) = &mut probe.spec {
        spec.user = Some("nobody".to_string());
    }
    assert_eq!(run(&probe).await, ProbeOutcome::Up);
    if let ProbeSpec::Misc(spec) = &mut probe.spec {
        spec.user = Some("no-such-user-keel".to_string());
    }
    assert_down(run(&probe).await, "unknown user");
}

#[tokio::test]
async fn file_check_reads_the_tracked_value() {
    // Input: a tracked file holding 0, then 7; weight 0, then weight 2, then weight 2 reverse.
    // Output: up, down; offset 14; offset -14.
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("status");
    let spec = |weight, reverse| {
        request(
            ProbeSpec::File(FileSpec {
                path: path.clone(),
                weight,
                reverse,
            }),
            "127.0.0.1:0".parse().expect("literal"),
        )
    };
    std::fs::write(&path, "0\n").expect("write file");
    assert_eq!(run(&spec(0, false)).await, ProbeOutcome::Up);
    std::fs::write(&path, "7\n").expect("write file");
    assert_down(run(&spec(0, false)).await, "value 7");
    assert_eq!(
        run(&spec(2, false)).await,
        ProbeOutcome::UpWithWeightOffset(14)
    );
    assert_eq!(
        run(&spec(2, true)).await,
        ProbeOutcome::UpWithWeightOffset(-14)
    );
}

#[tokio::test]
async fn fwmark_and_bind_if_are_applied() {
    // Input: TCP_CHECK with fwmark 7 and bind_if lo; then bind_if naming no interface.
    // Output: up (root may set both); down with a socket setup error.
    let server = servers::http(pages()).await;
    let mut probe = request(ProbeSpec::Tcp, server.address);
    probe.fwmark = Some(7);
    probe.bind_if = Some("lo".to_string());
    probe.bind = Some("127.0.0.1:0".parse().expect("literal"));
    assert_eq!(run(&probe).await, ProbeOutcome::Up);
    probe.bind_if = Some("nosuchif0".to_string());
    assert_down(run(&probe).await, "socket setup");
}
