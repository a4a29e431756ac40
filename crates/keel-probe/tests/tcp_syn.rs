//! The half-open TCP_CHECK (`keel_tcp_check syn`) between two namespaces: a director
//! (10.7.0.1, fd07::1) running the prober and a real server (10.7.0.2, fd07::2), on a
//! bridge where tcpdump watches. Needs root (namespaces, raw sockets, nftables).

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use keel_lab::{Lab, Netns};
use keel_probe::{ProbeOutcome, ProbeRequest, TcpCheckMode, TcpProber};
use support::assert_down;

mod support;

const DIRECTOR: usize = 0;
const SERVER: usize = 1;

fn lab(prefix: &str) -> Lab {
    let mut lab = Lab::new(prefix);
    let director = lab.add_host();
    let server = lab.add_host();
    lab.host(director).add_address("10.7.0.1/24");
    lab.host(director).add_address("fd07::1/64");
    lab.host(server).add_address("10.7.0.2/24");
    lab.host(server).add_address("fd07::2/64");
    lab
}

/// A `TCP_CHECK` of `target`, an address literal.
fn request(target: &str, timeout: Duration) -> ProbeRequest {
    support::request(target.parse().expect("a literal address"), timeout)
}

/// A listener on the server, non-blocking so a test can ask whether accept() has
/// anything.
fn listen(lab: &Lab, address: &str) -> TcpListener {
    let address: SocketAddr = address.parse().expect("a literal address");
    let listener = lab
        .host(SERVER)
        .ns
        .run_in(|| TcpListener::bind(address))
        .expect("bind on the server");
    listener.set_nonblocking(true).expect("non-blocking");
    listener
}

/// `true` if the listener's application was handed a connection.
fn accepted(listener: &TcpListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(error) if error.kind() == ErrorKind::WouldBlock => false,
        Err(error) => panic!("accept: {error}"),
    }
}

/// Runs `body` on the director with a fresh current-thread runtime.
fn on_director<R: Send>(lab: &Lab, body: impl AsyncFnOnce() -> R + Send) -> R {
    lab.host(DIRECTOR).ns.run_in(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(body())
    })
}

/// Starts `requests` at once on `prober` and drives it until each has reported, as the
/// daemon's loop does.
async fn run_all(
    prober: &mut TcpProber<u32>,
    requests: &[(u32, ProbeRequest)],
) -> Vec<(u32, ProbeOutcome)> {
    let now = Instant::now();
    for (key, request) in requests {
        prober.start(*key, request, now);
    }
    prober.flush(now);
    support::drive(prober, requests.len(), Duration::from_secs(30)).await
}

fn syn_prober() -> TcpProber<u32> {
    let prober = TcpProber::with_mode(TcpCheckMode::Syn).expect("epoll set");
    assert_eq!(prober.mode(), TcpCheckMode::Syn, "root has CAP_NET_RAW");
    prober
}

/// Runs `checks` at once on a fresh half-open prober on the director, and returns their
/// results by key.
fn syn_checks(lab: &Lab, checks: &[(u32, ProbeRequest)]) -> Vec<(u32, ProbeOutcome)> {
    on_director(lab, async || run_all(&mut syn_prober(), checks).await)
}

/// Puts `rules` (nft rule bodies) in an input chain of a table `inet keel_test` on the
/// server, and returns the server's namespace (`delete table inet keel_test` lifts them).
fn server_firewall<'lab>(lab: &'lab Lab, rules: &[&str]) -> &'lab Netns {
    let server = &lab.host(SERVER).ns;
    server.nft("add table inet keel_test");
    server.nft("add chain inet keel_test input { type filter hook input priority 0 ; }");
    for rule in rules {
        server.nft(&format!("add rule inet keel_test input {rule}"));
    }
    server
}

/// (source, source port, destination port, TCP flags, sequence number) of every captured
/// TCP segment.
fn segments(capture: &mut keel_lab::Capture) -> Vec<(String, String, String, String, String)> {
    capture
        .read_fields(&[
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "tcp.dstport",
            "tcp.flags",
            "tcp.seq_raw",
        ])
        .into_iter()
        .filter(|row| row.len() == 6)
        .map(|row| {
            let source = if row[0].is_empty() {
                row[1].clone()
            } else {
                row[0].clone()
            };
            (
                source,
                row[2].clone(),
                row[3].clone(),
                row[4].clone(),
                row[5].clone(),
            )
        })
        .collect()
}

fn flags(segments: &[(String, String, String, String, String)]) -> Vec<&str> {
    segments.iter().map(|segment| segment.3.as_str()).collect()
}

#[test]
fn syn_check_is_up_for_a_listener_down_for_a_closed_port_and_the_server_accepts_nothing() {
    // Input: two half-open TCP_CHECKs at once from the director: 10.7.0.2:8080 (a
    // listener whose application never calls accept() during the check) and
    // 10.7.0.2:8081 (nothing listens).
    // Output: up and down ("connection refused"), and no timer left to wake the loop
    // (the checks' retransmission timers go with them). On the wire, per check to 8080: SYN,
    // SYN-ACK, and the director kernel's RST; to 8081: SYN and the server's RST-ACK. The
    // application's accept() then has nothing: no connection was ever established.
    let lab = lab("ksyn1");
    let listener = listen(&lab, "10.7.0.2:8080");
    let mut capture = lab.capture("tcp");
    let (results, left) = on_director(&lab, async || {
        let mut prober = syn_prober();
        let checks = [
            (1, request("10.7.0.2:8080", Duration::from_secs(3))),
            (2, request("10.7.0.2:8081", Duration::from_secs(3))),
        ];
        let results = run_all(&mut prober, &checks).await;
        (results, (prober.in_flight(), prober.poll_timeout()))
    });
    assert_eq!(results[0], (1, ProbeOutcome::Up));
    assert_down(&results[1].1, "refused");
    assert_eq!(left, (0, None), "nothing in flight, no timer left");
    assert!(!accepted(&listener), "the application saw a connection");

    std::thread::sleep(Duration::from_millis(200));
    let wire = segments(&mut capture);
    let to_open: Vec<_> = wire
        .iter()
        .filter(|s| s.1 == "8080" || s.2 == "8080")
        .cloned()
        .collect();
    assert_eq!(flags(&to_open), ["0x0002", "0x0012", "0x0004"], "{wire:?}");
    assert_eq!(to_open[0].0, "10.7.0.1");
    assert_eq!(to_open[2].0, "10.7.0.1", "the director's kernel resets");
    let to_closed: Vec<_> = wire
        .iter()
        .filter(|s| s.1 == "8081" || s.2 == "8081")
        .cloned()
        .collect();
    assert_eq!(flags(&to_closed), ["0x0002", "0x0014"], "{wire:?}");
}

#[test]
fn syn_check_uses_the_source_address_of_each_route() {
    // Input: the director has 10.7.0.1 and 10.8.0.1, the server 10.7.0.2 and 10.8.0.2,
    // with a listener on both; one prober checks 10.7.0.2:8080, then 10.8.0.2:8080, then
    // 10.7.0.2:8080 again (the IPv4 checksum covers the source the route picks).
    // Output: up three times; the SYNs leave from 10.7.0.1, 10.8.0.1, 10.7.0.1.
    let lab = lab("ksyns");
    lab.host(DIRECTOR).add_address("10.8.0.1/24");
    lab.host(SERVER).add_address("10.8.0.2/24");
    let _first = listen(&lab, "10.7.0.2:8080");
    let _second = listen(&lab, "10.8.0.2:8080");
    let mut capture = lab.capture("tcp");
    let results = on_director(&lab, async || {
        let mut prober = syn_prober();
        let mut results = Vec::new();
        for (key, target) in [
            (1, "10.7.0.2:8080"),
            (2, "10.8.0.2:8080"),
            (3, "10.7.0.2:8080"),
        ] {
            let checks = [(key, request(target, Duration::from_secs(3)))];
            results.extend(run_all(&mut prober, &checks).await);
        }
        results
    });
    let up: Vec<_> = (1..=3).map(|key| (key, ProbeOutcome::Up)).collect();
    assert_eq!(results, up);
    std::thread::sleep(Duration::from_millis(200));
    let wire = segments(&mut capture);
    let sources: Vec<&str> = wire
        .iter()
        .filter(|s| s.3 == "0x0002")
        .map(|s| s.0.as_str())
        .collect();
    assert_eq!(sources, ["10.7.0.1", "10.8.0.1", "10.7.0.1"], "{wire:?}");
}

#[test]
fn syn_check_over_ipv6() {
    // Input: half-open TCP_CHECKs to [fd07::2]:8080 (listening) and [fd07::2]:8081
    // (closed).
    // Output: up (the kernel computed the checksum: the server answered) and down
    // (refused); the application accepted nothing.
    let lab = lab("ksyn6");
    let listener = listen(&lab, "[fd07::2]:8080");
    let results = syn_checks(
        &lab,
        &[
            (1, request("[fd07::2]:8080", Duration::from_secs(3))),
            (2, request("[fd07::2]:8081", Duration::from_secs(3))),
        ],
    );
    assert_eq!(results[0], (1, ProbeOutcome::Up));
    assert_down(&results[1].1, "refused");
    assert!(!accepted(&listener));
}

#[test]
fn syn_check_times_out_when_the_server_drops_syns_and_retransmits_like_connect() {
    // Input: the server's firewall drops every SYN to port 8080 (nft drop); a half-open
    // TCP_CHECK with connect_timeout 2.5 s.
    // Output: down "timeout during connect after 2.5s", not before 2.5 s. The SYN went
    // out at 0 s and again at 1 s (the kernel's connect() schedule, RTO 1 s then 2 s),
    // with the same sequence number.
    let lab = lab("ksynd");
    let _listener = listen(&lab, "10.7.0.2:8080");
    server_firewall(&lab, &["tcp dport 8080 drop"]);
    let mut capture = lab.capture("tcp");
    let started = Instant::now();
    let checks = [(1, request("10.7.0.2:8080", Duration::from_millis(2500)))];
    let results = syn_checks(&lab, &checks);
    assert!(started.elapsed() >= Duration::from_millis(2500));
    assert_down(&results[0].1, "timeout during connect after 2.5s");

    let wire = segments(&mut capture);
    assert_eq!(flags(&wire), ["0x0002", "0x0002"], "{wire:?}");
    assert_eq!(wire[0].4, wire[1].4, "a retransmission keeps the ISN");
}

#[test]
fn syn_check_is_up_when_only_the_first_syn_is_lost() {
    // Input: the server's firewall drops SYNs to 8080 for the first 300 ms only; a
    // half-open TCP_CHECK with connect_timeout 5 s.
    // Output: up, after the retransmission at 1 s (not before 1 s, well before 5 s): a
    // lossy path behaves as connect() would.
    let lab = lab("ksynr");
    let _listener = listen(&lab, "10.7.0.2:8080");
    let server = server_firewall(&lab, &["tcp dport 8080 drop"]);
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            server.nft("delete table inet keel_test");
        });
        let checks = [(1, request("10.7.0.2:8080", Duration::from_secs(5)))];
        syn_checks(&lab, &checks)
    });
    let elapsed = started.elapsed();
    assert_eq!(results, vec![(1, ProbeOutcome::Up)]);
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[test]
fn syn_check_follows_a_server_that_stops_listening_and_comes_back() {
    // Input: three half-open TCP_CHECKs of 10.7.0.2:8080 on one prober: while it
    // listens, after the listener is closed, after it listens again.
    // Output: up, down (refused), up.
    let lab = lab("ksynf");
    let listener = listen(&lab, "10.7.0.2:8080");
    let lab_ref = &lab;
    let outcomes = on_director(&lab, async move || {
        let mut prober = syn_prober();
        let checks = [(1, request("10.7.0.2:8080", Duration::from_secs(3)))];
        let first = run_all(&mut prober, &checks).await.remove(0).1;
        drop(listener);
        let second = run_all(&mut prober, &checks).await.remove(0).1;
        let _again = listen(lab_ref, "10.7.0.2:8080");
        let third = run_all(&mut prober, &checks).await.remove(0).1;
        [first, second, third]
    });
    assert_eq!(outcomes[0], ProbeOutcome::Up);
    assert_down(&outcomes[1], "refused");
    assert_eq!(outcomes[2], ProbeOutcome::Up);
}

#[test]
fn syn_check_honours_bindto_and_bind_port() {
    // Input: a second director address 10.7.0.11; a half-open TCP_CHECK with bindto
    // 10.7.0.11, then one with bind_port 40123.
    // Output: both up; the first SYN leaves from 10.7.0.11, the second from port 40123;
    // while the prober lives, port 40123 is reserved (another bind gets EADDRINUSE).
    let lab = lab("ksynb");
    lab.host(DIRECTOR).add_address("10.7.0.11/24");
    let _listener = listen(&lab, "10.7.0.2:8080");
    let mut capture = lab.capture("tcp");
    let (results, port_taken) = on_director(&lab, async || {
        let mut prober = syn_prober();
        let mut bound = request("10.7.0.2:8080", Duration::from_secs(3));
        bound.bind = Some("10.7.0.11:0".parse().expect("literal"));
        let mut first = run_all(&mut prober, &[(1, bound)]).await;
        let mut port = request("10.7.0.2:8080", Duration::from_secs(3));
        port.bind = Some("0.0.0.0:40123".parse().expect("literal"));
        first.extend(run_all(&mut prober, &[(2, port)]).await);
        let taken = TcpListener::bind("0.0.0.0:40123").map_err(|error| error.kind());
        (first, taken.err())
    });
    assert_eq!(results, vec![(1, ProbeOutcome::Up), (2, ProbeOutcome::Up)]);
    assert_eq!(port_taken, Some(ErrorKind::AddrInUse));
    std::thread::sleep(Duration::from_millis(200));
    let wire = segments(&mut capture);
    let syns: Vec<_> = wire.iter().filter(|s| s.3 == "0x0002").collect();
    assert_eq!(syns.len(), 2, "{wire:?}");
    assert_eq!(syns[0].0, "10.7.0.11");
    assert_eq!(syns[1].1, "40123");
}

#[test]
fn checks_beyond_the_reserved_ports_of_one_server_connect_instead() {
    // Input: 100 half-open TCP_CHECKs of the same 10.7.0.2:8080 at once (a check needs a
    // local port not in flight to that server, and the prober reserves at most 64).
    // Output: 100 results, all up; the application accepted exactly the 36 that fell
    // back to connect().
    let lab = lab("ksynm");
    let listener = listen(&lab, "10.7.0.2:8080");
    let checks: Vec<_> = (0..100)
        .map(|key| (key, request("10.7.0.2:8080", Duration::from_secs(5))))
        .collect();
    let results = syn_checks(&lab, &checks);
    assert_eq!(results.len(), 100);
    assert!(
        results
            .iter()
            .all(|(_, outcome)| *outcome == ProbeOutcome::Up)
    );
    let mut connections = 0;
    while accepted(&listener) {
        connections += 1;
    }
    assert_eq!(connections, 36);
}

#[test]
fn connect_mode_and_a_prober_without_cap_net_raw_connect() {
    // Input: a prober asked for keel_tcp_check connect; then one asked for syn on a
    // thread whose effective capabilities lack CAP_NET_RAW.
    // Output: both report connect mode, the check is up, and the application accepts
    // each check's connection (the connect path, not a half-open one).
    let lab = lab("ksync");
    let listener = listen(&lab, "10.7.0.2:8080");
    let (modes, results) = on_director(&lab, async || {
        let mut connect = TcpProber::with_mode(TcpCheckMode::Connect).expect("epoll set");
        let checks = [(1, request("10.7.0.2:8080", Duration::from_secs(3)))];
        let mut results = run_all(&mut connect, &checks).await;
        drop_cap_net_raw();
        let mut unprivileged = TcpProber::with_mode(TcpCheckMode::Syn).expect("epoll set");
        results.extend(run_all(&mut unprivileged, &checks).await);
        ([connect.mode(), unprivileged.mode()], results)
    });
    assert_eq!(modes, [TcpCheckMode::Connect, TcpCheckMode::Connect]);
    assert_eq!(results, vec![(1, ProbeOutcome::Up), (1, ProbeOutcome::Up)]);
    assert!(accepted(&listener));
    assert!(accepted(&listener));
}

/// Clears CAP_NET_RAW from this thread's effective set (capabilities are per thread;
/// the raw `capset` syscall changes only the caller's).
fn drop_cap_net_raw() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    const CAP_NET_RAW: u32 = 13;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset with a v3 header and the two data words that version takes.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[0].effective &= !(1 << CAP_NET_RAW);
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()),
            0
        );
    }
}

#[test]
fn syn_check_fails_at_once_on_an_icmp_unreachable() {
    // Input: the server's firewall answers SYNs to 8080 with ICMP host-unreachable (and
    // ICMPv6 address-unreachable); half-open TCP_CHECKs of 10.7.0.2:8080 and
    // [fd07::2]:8080 with connect_timeout 5 s.
    // Output: both down with the error connect() reports ("No route to host"), well
    // before 5 s.
    let lab = lab("ksyni");
    let _listener = listen(&lab, "10.7.0.2:8080");
    server_firewall(
        &lab,
        &[
            "meta nfproto ipv4 tcp dport 8080 reject with icmp type host-unreachable",
            "meta nfproto ipv6 tcp dport 8080 reject with icmpv6 type addr-unreachable",
        ],
    );
    let started = Instant::now();
    let checks = [
        (1, request("10.7.0.2:8080", Duration::from_secs(5))),
        (2, request("[fd07::2]:8080", Duration::from_secs(5))),
    ];
    let results = syn_checks(&lab, &checks);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_down(&results[0].1, "No route to host");
    assert_down(&results[1].1, "No route to host");
}
