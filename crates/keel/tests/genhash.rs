//! `keel --genhash` against keepalived 2.2.7's genhash (installed here and in CI), on pages
//! served by a small HTTP server inside the test: the same digest line for every page and
//! protocol, the same verbose report, and the same messages on failure.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use keel_lab::{ChildGuard, TempDir};

fn keel() -> &'static str {
    env!("CARGO_BIN_EXE_keel")
}

/// The raw reply for a request line, or None for a path the server does not know.
fn reply(request_line: &str) -> Vec<u8> {
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let version = if request_line.ends_with("HTTP/1.1") {
        "1.1"
    } else {
        "1.0"
    };
    let with_length = |body: &[u8]| {
        let mut out = format!(
            "HTTP/{version} 200 OK\r\nServer: genhash-test\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    };
    match path {
        "/small" => with_length(b"hello keel\n"),
        "/large" => with_length(&large_body()),
        "/binary" => with_length(&(0..=255u8).cycle().take(1024).collect::<Vec<_>>()),
        // Content-Length shorter than what is sent: the digest stops at the length.
        "/short-length" => {
            let mut out =
                format!("HTTP/{version} 200 OK\r\nContent-Length: 4\r\n\r\n").into_bytes();
            out.extend_from_slice(b"abcdEXTRA");
            out
        }
        // No length: the body runs to the close.
        "/no-length" => format!("HTTP/{version} 200 OK\r\n\r\nuntil close\n").into_bytes(),
        // Chunked: keepalived digests the framing as received.
        "/chunked" => format!(
            "HTTP/{version} 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        .into_bytes(),
        _ => format!("HTTP/{version} 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found").into_bytes(),
    }
}

/// 1 MiB of deterministic pseudo-random bytes.
fn large_body() -> Vec<u8> {
    let mut state: u32 = 0x2545_f491;
    (0..1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// A loopback TCP server that hands each connection to a handler until it is dropped.
struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The test's HTTP server: reads a request head, answers with [`reply`] in one write.
    fn start() -> Self {
        Server::with_handler(|mut stream| {
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let line = head.lines().next().unwrap_or("").to_string();
            // One write, so that keepalived reads header and body together.
            let _ = stream.write_all(&reply(&line));
        })
    }

    /// A server that accepts, sends `prefix`, and then says nothing more until dropped.
    fn stalling(prefix: &'static [u8]) -> Self {
        let mut held = Vec::new();
        Server::with_handler(move |mut stream| {
            let _ = stream.write_all(prefix);
            held.push(stream);
        })
    }

    fn with_handler(mut handle: impl FnMut(TcpStream) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let address = listener.local_addr().expect("bound address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => handle(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            address,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn genhash(program: &str, args: &[&str]) -> Output {
    let mut command = Command::new(program);
    command.arg("--genhash").args(args).stdin(Stdio::null());
    command.output().expect("run genhash")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn digest_lines_equal_keepalived_for_every_page_and_protocol() {
    // Input: small, 1 MiB, binary, short Content-Length, no length, chunked and 404 pages,
    // fetched with -P 1.0, 1.0c and 1.1 by keel and by keepalived.
    // Output: identical stdout (the digest line), both exit 0.
    let server = Server::start();
    let port = server.address.port().to_string();
    let pages = [
        "/small",
        "/large",
        "/binary",
        "/short-length",
        "/no-length",
        "/chunked",
        "/missing",
    ];
    let mut compared = 0;
    for page in pages {
        for protocol in ["1.0", "1.0c", "1.1"] {
            let args = ["-s", "127.0.0.1", "-p", &port, "-u", page, "-P", protocol];
            let ours = genhash(keel(), &args);
            let theirs = genhash("keepalived", &args);
            assert!(theirs.status.success(), "keepalived genhash {args:?}");
            assert!(
                ours.status.success(),
                "keel genhash {args:?}: {}",
                text(&ours.stderr)
            );
            assert_eq!(
                text(&ours.stdout),
                text(&theirs.stdout),
                "page {page} protocol {protocol}"
            );
            assert_eq!(text(&ours.stdout).trim().len(), 32, "a 32-digit MD5 line");
            compared += 1;
        }
    }
    assert_eq!(compared, 21);
    // The known values, so that a shared bug could not hide: md5("hello keel\n"), md5("abcd").
    let small = genhash(keel(), &["-s", "127.0.0.1", "-p", &port, "-u", "/small"]);
    assert_eq!(text(&small.stdout), "e855b446bf35a7ddc2488b7a923cd5e4\n");
    let short = genhash(
        keel(),
        &["-s", "127.0.0.1", "-p", &port, "-u", "/short-length"],
    );
    assert_eq!(text(&short.stdout), "e2fc714c4727ee9395f324cd2e7f331f\n");
}

#[test]
fn verbose_report_equals_keepalived_but_for_the_timing() {
    // Input: -v on the small page, keel and keepalived.
    // Output: the same dumps and banners; only the response time differs.
    let server = Server::start();
    let port = server.address.port().to_string();
    let args = ["-s", "127.0.0.1", "-p", &port, "-u", "/small", "-v"];
    let mask = |output: Output| {
        text(&output.stdout)
            .lines()
            .map(|line| {
                if line.starts_with("Global response time") {
                    "Global response time <masked>".to_string()
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
    };
    let ours = mask(genhash(keel(), &args));
    let theirs = mask(genhash("keepalived", &args));
    assert_eq!(ours, theirs);
    assert!(
        ours.iter()
            .any(|line| line == "e855b446bf35a7ddc2488b7a923cd5e4")
    );
}

#[test]
fn failures_print_keepalived_messages() {
    // Input: a closed port; no -u; a host name for -s; an unknown option.
    // Output: "Connection failed" on stdout and exit 0 (as keepalived); the others exit 1
    // with keepalived's reason and the usage on stderr.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = closed.local_addr().expect("address").port().to_string();
    drop(closed);
    for program in [keel(), "keepalived"] {
        let refused = genhash(program, &["-s", "127.0.0.1", "-p", &port, "-u", "/"]);
        assert!(refused.status.success(), "{program}");
        assert_eq!(text(&refused.stdout), "Connection failed\n", "{program}");
    }
    let missing = genhash(keel(), &["-s", "127.0.0.1", "-p", "80"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("Usage: keel --genhash COMMAND [OPTIONS]"));
    let name = genhash(keel(), &["-s", "localhost", "-p", "80", "-u", "/"]);
    assert_eq!(name.status.code(), Some(1));
    assert!(text(&name.stderr).starts_with("server should be an IP, not localhost\n"));
    let unknown = genhash(keel(), &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-x"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).starts_with("Unknown option -x\n"));
}

#[test]
fn ssl_digest_equals_keepalived_against_openssl_s_server() {
    // Input: `openssl s_server -WWW` with a fresh self-signed certificate serving a file;
    // genhash -S from keel and keepalived.
    // Output: the same digest line, equal to the file's MD5.
    let directory = TempDir::new("keel-genhash");
    let dir = directory.path();
    std::fs::write(dir.join("page.txt"), b"served over TLS\n").expect("write page");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl req");
    assert!(status.success(), "self-signed certificate");
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        probe.local_addr().expect("address").port()
    };
    let mut server = ChildGuard::new(
        Command::new("openssl")
            .args(["s_server", "-WWW", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(dir.join("cert.pem"))
            .arg("-key")
            .arg(dir.join("key.pem"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run openssl s_server"),
    );
    wait_for_port(port, &mut server);
    let port = port.to_string();
    let args = ["-S", "-s", "127.0.0.1", "-p", &port, "-u", "/page.txt"];
    let ours = genhash(keel(), &args);
    let theirs = genhash("keepalived", &args);
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
    // md5("served over TLS\n")
    assert_eq!(text(&ours.stdout), "347e5f6744f8664b57a55fc96c947517\n");
}

fn wait_for_port(port: u16, server: &mut ChildGuard) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = server.child_mut().try_wait() {
            panic!("openssl s_server exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("openssl s_server did not listen on {port}");
}

#[test]
fn timeouts_print_keepalived_messages() {
    // Input: -t 1 against a server that never answers, and one that stops mid-header.
    // Output: keel prints what keepalived prints: "Timeout WEB read", "Timeout HTTP read".
    for (prefix, expected) in [
        (&b""[..], "Timeout WEB read\n"),
        (&b"HTTP/1.0 200 OK\r\n"[..], "Timeout HTTP read\n"),
    ] {
        let server = Server::stalling(prefix);
        let port = server.address.port().to_string();
        let args = ["-s", "127.0.0.1", "-p", &port, "-u", "/", "-t", "1"];
        let ours = genhash(keel(), &args);
        let theirs = genhash("keepalived", &args);
        assert_eq!(text(&theirs.stdout), expected, "keepalived's message");
        assert_eq!(text(&ours.stdout), expected, "keel's message");
        assert!(ours.status.success());
    }
}
