//! TCP_CHECK as the daemon runs it ([`TcpProber`]: many checks on one epoll set) and as
//! [`run`] runs it: verdicts against real listeners, timeouts, and the reset that closes a
//! completed check.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use keel_probe::{ProbeOutcome, TcpProber, run};
use socket2::{Domain, Socket, Type};
use support::{assert_down, request};

mod support;

/// A loopback port nobody listens on (bound, then released).
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("bound address")
}

/// Drives `prober` until `count` results are in (see [`support::drive`]), within 20 s.
async fn results(prober: &mut TcpProber<u32>, count: usize) -> Vec<(u32, ProbeOutcome)> {
    support::drive(prober, count, Duration::from_secs(20)).await
}

/// What the server saw of one check: accept() returned the connection, and its first read
/// says how the checker closed it.
fn server_sees(listener: &TcpListener) -> std::io::Result<usize> {
    let (mut stream, _) = listener.accept().expect("the check's connection is queued");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    stream.read(&mut [0u8; 16])
}

#[tokio::test]
async fn prober_reports_up_for_a_listener_and_down_for_a_closed_port() {
    // Input: three TCP_CHECKs at once: a listening port, a closed port, the listener again.
    // Output: up, down ("connection failed ... refused"), up; nothing left in flight.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let open = listener.local_addr().expect("bound address");
    let mut prober = TcpProber::new().expect("epoll set");
    let now = Instant::now();
    prober.start(1, &request(open, Duration::from_secs(3)), now);
    prober.start(2, &request(closed_port(), Duration::from_secs(3)), now);
    prober.start(3, &request(open, Duration::from_secs(3)), now);

    let results = results(&mut prober, 3).await;
    assert_eq!(results[0], (1, ProbeOutcome::Up));
    assert_eq!(results[1].0, 2);
    assert_down(&results[1].1, "refused");
    assert_eq!(results[2], (3, ProbeOutcome::Up));
    assert_eq!(prober.in_flight(), 0);
    assert_eq!(prober.poll_timeout(), None);
}

#[tokio::test]
async fn prober_closes_a_completed_check_with_a_reset() {
    // Input: one TCP_CHECK against a listener that accepts and reads.
    // Output: up; the server gets the connection from accept() and its read fails with
    // "connection reset" (keel closes with RST, not FIN: no end-of-file, no TIME_WAIT).
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let mut prober = TcpProber::new().expect("epoll set");
    let target = listener.local_addr().expect("bound address");
    prober.start(7, &request(target, Duration::from_secs(3)), Instant::now());
    assert_eq!(results(&mut prober, 1).await, vec![(7, ProbeOutcome::Up)]);

    let read = server_sees(&listener);
    assert_eq!(
        read.map_err(|error| error.kind()),
        Err(ErrorKind::ConnectionReset)
    );
}

#[tokio::test]
async fn run_closes_a_tcp_check_with_a_reset_too() {
    // Input: TCP_CHECK through keel_probe::run against a listener that accepts and reads.
    // Output: up, and the server reads "connection reset", as with TcpProber.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let target = listener.local_addr().expect("bound address");
    assert_eq!(
        run(&request(target, Duration::from_secs(3))).await,
        ProbeOutcome::Up
    );
    let read = server_sees(&listener);
    assert_eq!(
        read.map_err(|error| error.kind()),
        Err(ErrorKind::ConnectionReset)
    );
}

#[tokio::test]
async fn prober_times_out_when_the_server_never_answers_the_syn() {
    // Input: a listener with a full accept queue (backlog 0, one connection never
    // accepted), so the kernel drops further SYNs; TCP_CHECK with connect_timeout 300 ms.
    // Output: down with "timeout during connect after 300ms", not before 300 ms.
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    listener
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind loopback");
    listener.listen(0).expect("listen");
    let target = listener
        .local_addr()
        .expect("bound address")
        .as_socket()
        .expect("an inet address");
    // Fill the accept queue (backlog 0 holds one connection).
    let _queued = TcpStream::connect(target).expect("first connection is queued");

    let mut prober = TcpProber::new().expect("epoll set");
    let started = Instant::now();
    prober.start(1, &request(target, Duration::from_millis(300)), started);
    let results = results(&mut prober, 1).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_down(&results[0].1, "timeout during connect after 300ms");
}

#[tokio::test]
async fn prober_late_to_a_deadline_still_sees_a_connect_made_in_time() {
    // Input: a TCP_CHECK to a listener (loopback: connected at once); the caller's loop
    // comes to the check's deadline late, without having collected the readiness.
    // Output: up, exactly one result, and no deadline left: a busy loop does not fail
    // checks whose connection was made in time.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let target = listener.local_addr().expect("bound address");
    let mut prober = TcpProber::new().expect("epoll set");
    let now = Instant::now();
    prober.start(1, &request(target, Duration::from_secs(2)), now);
    assert_eq!(prober.poll_timeout(), Some(now + Duration::from_secs(2)));
    // Let the handshake finish before the loop "wakes up" at the deadline.
    std::thread::sleep(Duration::from_millis(50));
    prober.handle_timeout(now + Duration::from_secs(2));
    assert_eq!(prober.poll_result(), Some((1, ProbeOutcome::Up)));
    assert_eq!(prober.poll_result(), None);
    assert_eq!(prober.poll_timeout(), None);
}

#[tokio::test]
async fn prober_runs_hundreds_of_checks_and_every_one_reports_once() {
    // Input: 600 TCP_CHECKs at once, alternating between a listener (backlog 1024) and a
    // closed port.
    // Output: 600 results, one per key: the even keys up, the odd keys down.
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    listener
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind loopback");
    listener.listen(1024).expect("listen");
    let open = listener
        .local_addr()
        .expect("bound address")
        .as_socket()
        .expect("an inet address");
    let closed = closed_port();
    let mut prober = TcpProber::new().expect("epoll set");
    let now = Instant::now();
    for key in 0..600u32 {
        let target = if key % 2 == 0 { open } else { closed };
        prober.start(key, &request(target, Duration::from_secs(5)), now);
    }
    let results = results(&mut prober, 600).await;
    let keys: Vec<u32> = results.iter().map(|(key, _)| *key).collect();
    assert_eq!(keys, (0..600).collect::<Vec<_>>());
    for (key, outcome) in &results {
        assert_eq!(outcome.is_up(), key % 2 == 0, "key {key}: {outcome:?}");
    }
    assert_eq!(prober.in_flight(), 0);
}

#[tokio::test]
async fn prober_applies_bind_and_reports_setup_errors() {
    // Input: TCP_CHECK with bindto 127.0.0.1 and bind_if lo; then bind_if naming no
    // interface.
    // Output: up; then down with a socket setup error, reported without waiting.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let target = listener.local_addr().expect("bound address");
    let mut prober = TcpProber::new().expect("epoll set");
    let mut probe = request(target, Duration::from_secs(3));
    probe.bind = Some("127.0.0.1:0".parse().expect("literal"));
    probe.bind_if = Some("lo".to_string());
    prober.start(1, &probe, Instant::now());
    assert_eq!(results(&mut prober, 1).await, vec![(1, ProbeOutcome::Up)]);

    probe.bind_if = Some("nosuchif0".to_string());
    prober.start(2, &probe, Instant::now());
    let failed = prober
        .poll_result()
        .expect("a setup error is reported at once");
    assert_eq!(failed.0, 2);
    assert_down(&failed.1, "socket setup");
}
