//! Real servers on 127.0.0.1 for the probe tests: HTTP, HTTPS, SMTP, UDP, and dnsmasq.
//! Each is started by the test that needs it and stops when its guard is dropped.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

/// A canned HTTP reply for one path.
#[derive(Clone)]
pub struct Page {
    pub path: &'static str,
    pub status: u16,
    pub body: Vec<u8>,
}

/// A running test server; aborts its task on drop.
pub struct Server {
    pub address: SocketAddr,
    /// Every request head the server received, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// SNI names seen by the TLS server.
    pub server_names: Arc<Mutex<Vec<Option<String>>>>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply_bytes(pages: &[Page], head: &str) -> Vec<u8> {
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let (status, body) = pages
        .iter()
        .find(|page| page.path == path)
        .map_or((404, b"not found".to_vec()), |page| {
            (page.status, page.body.clone())
        });
    let mut reply = format!(
        "HTTP/1.0 {status} X\r\nServer: keel-test\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    reply.extend_from_slice(&body);
    reply
}

async fn read_head<S: AsyncReadExt + Unpin>(stream: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A plain HTTP/1.0 server answering `pages` (404 for any other path).
pub async fn http(pages: Vec<Page>) -> Server {
    http_on("127.0.0.1:0", pages).await
}

/// The same HTTP server on another loopback address (`[::1]:0` for IPv6).
pub async fn http_on(bind: &str, pages: Vec<Page>) -> Server {
    let listener = TcpListener::bind(bind).await.expect("bind loopback");
    let address = listener.local_addr().expect("bound address");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let pages = pages.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let head = read_head(&mut stream).await;
                let reply = reply_bytes(&pages, &head);
                seen.lock().expect("not poisoned").push(head);
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server {
        address,
        requests,
        server_names: Arc::default(),
        task,
    }
}

/// A TLS server with a fresh self-signed certificate for `localhost`, answering `pages`.
/// Returns the server and the certificate's PEM (to use as a `ca`).
pub async fn https(pages: Vec<Page>) -> (Server, String) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("self-signed certificate");
    let certificate_pem = certified.cert.pem();
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("bound address");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let server_names = Arc::new(Mutex::new(Vec::new()));
    let (seen, names) = (requests.clone(), server_names.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, pages, seen, names) =
                (acceptor.clone(), pages.clone(), seen.clone(), names.clone());
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(stream).await else {
                    return;
                };
                let name = stream.get_ref().1.server_name().map(str::to_string);
                names.lock().expect("not poisoned").push(name);
                let head = read_head(&mut stream).await;
                let reply = reply_bytes(&pages, &head);
                seen.lock().expect("not poisoned").push(head);
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (
        Server {
            address,
            requests,
            server_names,
            task,
        },
        certificate_pem,
    )
}

/// A one-line-at-a-time SMTP server: `banner` first, then `helo_reply` to HELO, 221 to QUIT.
pub async fn smtp(banner: &'static str, helo_reply: &'static str) -> Server {
    use tokio::io::AsyncBufReadExt;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("bound address");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut stream = tokio::io::BufReader::new(stream);
                let _ = stream.get_mut().write_all(banner.as_bytes()).await;
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    seen.lock().expect("not poisoned").push(line.clone());
                    let reply = if line.starts_with("HELO") {
                        helo_reply
                    } else {
                        "221 bye\r\n"
                    };
                    let _ = stream.get_mut().write_all(reply.as_bytes()).await;
                }
            });
        }
    });
    Server {
        address,
        requests,
        server_names: Arc::default(),
        task,
    }
}

/// A UDP responder that answers every datagram with `reply` (or stays silent for None).
pub async fn udp(reply: Option<&'static [u8]>) -> Server {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind loopback");
    let address = socket.local_addr().expect("bound address");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let task = tokio::spawn(async move {
        let mut buffer = [0u8; 2048];
        loop {
            let Ok((count, peer)) = socket.recv_from(&mut buffer).await else {
                return;
            };
            seen.lock()
                .expect("not poisoned")
                .push(String::from_utf8_lossy(&buffer[..count]).into_owned());
            if let Some(reply) = reply {
                let _ = socket.send_to(reply, peer).await;
            }
        }
    });
    Server {
        address,
        requests,
        server_names: Arc::default(),
        task,
    }
}

/// A loopback port with nothing listening (UDP and TCP): bound, read, released.
pub fn closed_port() -> SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    socket.local_addr().expect("bound address")
}

/// Debian's dnsmasq on a loopback port, authoritative for `zone.example` only: an SOA,
/// `www.zone.example` A 127.0.0.1 and `txt.zone.example` TXT; no upstream.
pub struct Dnsmasq {
    pub address: SocketAddr,
    child: Child,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn dnsmasq() -> Dnsmasq {
    let address = closed_port();
    let child = Command::new("dnsmasq")
        .args([
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--pid-file=",
            &format!("--port={}", address.port()),
            "--auth-server=ns.zone.example",
            "--auth-zone=zone.example",
            "--host-record=www.zone.example,127.0.0.1",
            "--txt-record=txt.zone.example,keel",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq must be installed (Debian package dnsmasq-base)");
    let server = Dnsmasq { address, child };
    // Ready once it answers on its port.
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    probe
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("set timeout");
    let query = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1];
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buffer = [0u8; 512];
    while Instant::now() < deadline {
        let _ = probe.send_to(&query, address);
        if probe.recv_from(&mut buffer).is_ok() {
            return server;
        }
    }
    panic!("dnsmasq did not answer on {address}");
}

/// aiosmtpd (PyPI / Debian python3-aiosmtpd) on a loopback port.
pub struct Aiosmtpd {
    pub address: SocketAddr,
    child: Child,
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn aiosmtpd() -> Aiosmtpd {
    let address = closed_port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &address.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd must be installed");
    let mut server = Aiosmtpd { address, child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(address).is_ok() {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("aiosmtpd exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not listen on {address}");
}
