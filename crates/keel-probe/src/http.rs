//! `HTTP_GET` / `SSL_GET` (spec §2.7) and the fetch behind `keel --genhash` (spec §1.5).
//!
//! keepalived compat, all checked against keepalived 2.2.7's genhash on this machine:
//! - The request is `GET <path> HTTP/1.0|1.1`, `User-Agent: KeepAliveClient`,
//!   `Connection: close` for `1.0C` and `1.1`, then `Host:`. Without a virtual host the
//!   Host is the target address *with* its port (`[addr]:port` for IPv6, RFC 2732).
//! - The response is read until the server closes the connection; each read is bounded by
//!   `connect_timeout` (spec §3.13: a slow-drip reply can take longer in total, #1822).
//! - The digest is the MD5 of the raw bytes after the blank line ending the header, cut at
//!   `Content-Length` when the server sent one. Chunked bodies are *not* decoded: keepalived
//!   digests the chunk framing too, so keel does the same to produce the same digest.
//! - Several `url` blocks must all pass; the first failing one decides the reason.

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;

use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::ProbeRequest;
use crate::error::{ProbeError, io_error, within};
use crate::socket::connect_tcp;
use crate::tls::{self, TlsOptions};

/// How much of a body is kept in memory for `regex` and for genhash's verbose dump. The
/// digest always covers the whole body, however long.
pub const MAX_RETAINED_BODY: usize = 16 * 1024 * 1024;

/// `HTTP_GET` / `SSL_GET` options.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSpec {
    /// The `url` blocks, checked in order; all must pass.
    pub urls: Vec<UrlCheck>,
    /// `http_protocol` (default 1.0).
    pub protocol: HttpProtocol,
    /// The checker's `virtualhost`, or else the real server's, or else the virtual
    /// server's (keepalived's order of precedence; the caller folds them into this one).
    pub virtualhost: Option<String>,
    /// `Some` for `SSL_GET`.
    pub tls: Option<TlsOptions>,
}

/// `http_protocol`: the request line version and whether `Connection: close` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpProtocol {
    /// `1.0` (keepalived's default): `HTTP/1.0`, no Connection header.
    #[default]
    Http10,
    /// `1.0C`: `HTTP/1.0` with `Connection: close`.
    Http10Close,
    /// `1.1`: `HTTP/1.1` with `Connection: close`.
    Http11,
}

impl HttpProtocol {
    /// Parses keepalived's spelling: `1.0`, `1.0C`/`1.0c`, `1.1`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "1.0" => Some(HttpProtocol::Http10),
            "1.0C" | "1.0c" => Some(HttpProtocol::Http10Close),
            "1.1" => Some(HttpProtocol::Http11),
            _ => None,
        }
    }
}

/// One `url { }` block.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlCheck {
    /// `path`: sent verbatim in the request line.
    pub path: String,
    /// `status_code`: accepted statuses (default 200-299).
    pub status_codes: StatusCodes,
    /// `digest` lines: the body's MD5 must equal one of them (keepalived 2.2.7 accepts
    /// several per url; any match passes). Empty: the body is not checked.
    pub digests: Vec<[u8; 16]>,
    /// `virtualhost` of this url; wins over [`HttpSpec::virtualhost`].
    pub virtualhost: Option<String>,
    /// `regex`: must match the body (or must not, with `regex_no_match`).
    pub regex: Option<Pattern>,
    /// `regex_no_match`: the check passes when the regex does *not* match.
    pub regex_no_match: bool,
    /// `regex_min_offset`: a match must start at or after this body offset.
    pub regex_min_offset: usize,
    /// `regex_max_offset`: a match must start at or before this body offset.
    pub regex_max_offset: Option<usize>,
}

impl UrlCheck {
    /// A url block with only a path: status 200-299, no digest, no regex.
    pub fn new(path: impl Into<String>) -> Self {
        UrlCheck {
            path: path.into(),
            status_codes: StatusCodes::default(),
            digests: Vec::new(),
            virtualhost: None,
            regex: None,
            regex_no_match: false,
            regex_min_offset: 0,
            regex_max_offset: None,
        }
    }
}

/// The accepted HTTP status codes of a url (`status_code 200 301-302`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCodes(pub Vec<RangeInclusive<u16>>);

impl Default for StatusCodes {
    /// keepalived's default when no `status_code` is given: 200-299.
    fn default() -> Self {
        StatusCodes(vec![200..=299])
    }
}

impl StatusCodes {
    /// Whether `status` is accepted.
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|range| range.contains(&status))
    }
}

/// A compiled `regex`, compared by its source text.
#[derive(Clone)]
pub struct Pattern(pub regex::bytes::Regex);

impl Pattern {
    /// Compiles `source` (Rust `regex` syntax, close to PCRE2 for the patterns health
    /// checks use; no look-around or back-references).
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        regex::bytes::Regex::new(source).map(Pattern)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.0.as_str())
    }
}

/// What one GET brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The header bytes, status line to the blank line included.
    pub header: Vec<u8>,
    /// The digested body bytes (at most [`MAX_RETAINED_BODY`] of them).
    pub body: Vec<u8>,
    /// The status code of the status line, if it has one.
    pub status: Option<u16>,
    /// MD5 of the whole digested body.
    pub digest: [u8; 16],
}

/// The request keepalived sends for `path` (see the module docs).
pub fn request_text(
    target: SocketAddr,
    path: &str,
    protocol: HttpProtocol,
    virtualhost: Option<&str>,
) -> String {
    let minor = if protocol == HttpProtocol::Http11 {
        1
    } else {
        0
    };
    let connection = match protocol {
        HttpProtocol::Http10 => "",
        HttpProtocol::Http10Close | HttpProtocol::Http11 => "Connection: close\r\n",
    };
    // keepalived compat: a virtual host is sent as is, without the port.
    let host = match (virtualhost, target) {
        (Some(host), _) => host.to_string(),
        (None, SocketAddr::V4(v4)) => format!("{}:{}", v4.ip(), v4.port()),
        (None, SocketAddr::V6(v6)) => format!("[{}]:{}", v6.ip(), v6.port()),
    };
    format!(
        "GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{connection}Host: {host}\r\n\r\n"
    )
}

/// Fetches one url: connects (with TLS for `SSL_GET`), sends the request, reads to EOF.
/// Status, digest and regex are not judged here; [`judge`] does that.
pub async fn fetch(
    request: &ProbeRequest,
    spec: &HttpSpec,
    url: &UrlCheck,
) -> Result<HttpResponse, ProbeError> {
    let virtualhost = url.virtualhost.as_deref().or(spec.virtualhost.as_deref());
    let text = request_text(request.target, &url.path, spec.protocol, virtualhost);
    let stream = connect_tcp(request).await?;
    match &spec.tls {
        None => exchange(stream, &text, request).await,
        Some(options) => {
            let stream = tls::connect(stream, options, request, virtualhost).await?;
            exchange(stream, &text, request).await
        }
    }
}

/// Judges a response against its url block: status, then digest, then regex, in
/// keepalived's order.
pub fn judge(url: &UrlCheck, response: &HttpResponse) -> Result<(), ProbeError> {
    match response.status {
        Some(status) if url.status_codes.contains(status) => {}
        Some(status) => {
            return Err(ProbeError::BadReply(format!(
                "HTTP status code {status} for {}",
                url.path
            )));
        }
        None => {
            return Err(ProbeError::BadReply(format!(
                "no HTTP status line for {}",
                url.path
            )));
        }
    }
    // keepalived 2.2.7 (check_http.c): a url with several `digest` lines passes when the
    // body's MD5 is any one of them.
    if !url.digests.is_empty() && !url.digests.contains(&response.digest) {
        return Err(ProbeError::BadReply(format!(
            "MD5 digest mismatch for {}: got {}",
            url.path,
            hex(&response.digest)
        )));
    }
    if let Some(pattern) = &url.regex {
        let matched = regex_matches(url, pattern, &response.body);
        if matched == url.regex_no_match {
            return Err(ProbeError::BadReply(format!(
                "regex {} {} for {}",
                pattern.0.as_str(),
                if matched { "matched" } else { "did not match" },
                url.path
            )));
        }
    }
    Ok(())
}

/// Lower-case hex, the way keepalived prints digests.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses a 32-hex-digit `digest`.
pub fn parse_digest(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 16];
    for (index, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).ok()?;
    }
    Some(digest)
}

pub(crate) async fn check(request: &ProbeRequest, spec: &HttpSpec) -> Result<(), ProbeError> {
    if spec.urls.is_empty() {
        // keepalived compat: a checker without urls is ignored at parse time; a spec that
        // still reaches here has nothing to fail on.
        return Ok(());
    }
    for url in &spec.urls {
        let response = fetch(request, spec, url).await?;
        judge(url, &response)?;
    }
    Ok(())
}

fn regex_matches(url: &UrlCheck, pattern: &Pattern, body: &[u8]) -> bool {
    let start = url.regex_min_offset.min(body.len());
    pattern.0.find_at(body, start).is_some_and(|found| {
        url.regex_max_offset
            .is_none_or(|max_offset| found.start() <= max_offset)
    })
}

async fn exchange<S>(
    mut stream: S,
    text: &str,
    request: &ProbeRequest,
) -> Result<HttpResponse, ProbeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let timeout = request.connect_timeout;
    within(timeout, "HTTP write", async {
        stream
            .write_all(text.as_bytes())
            .await
            .map_err(io_error("HTTP write"))?;
        stream.flush().await.map_err(io_error("HTTP write"))
    })
    .await?;
    let mut reader = ResponseReader::default();
    let mut buffer = vec![0u8; 64 * 1024];
    // keepalived compat: a reply that never starts is a "WEB read" timeout, one that
    // stalls later an "HTTP read" timeout (genhash prints the difference).
    let mut step = "WEB read";
    loop {
        let read = within(timeout, step, async {
            stream.read(&mut buffer).await.map_err(io_error(step))
        })
        .await;
        step = "HTTP read";
        match read {
            Ok(0) => break,
            Ok(count) => reader.push(&buffer[..count]),
            // A TLS peer that closes without close_notify has still sent a full reply.
            Err(ProbeError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                break;
            }
            Err(error) => return Err(error),
        }
    }
    reader.finish()
}

/// Splits a response stream into header and digested body as bytes arrive.
#[derive(Default)]
pub(crate) struct ResponseReader {
    header: Vec<u8>,
    header_done: bool,
    content_length: Option<usize>,
    body_seen: usize,
    body: Vec<u8>,
    md5: Md5,
}

impl ResponseReader {
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if self.header_done {
            self.push_body(bytes);
            return;
        }
        self.header.extend_from_slice(bytes);
        if let Some(end) = header_end(&self.header) {
            let rest = self.header.split_off(end);
            self.header_done = true;
            self.content_length = content_length(&self.header);
            self.push_body(&rest);
        }
    }

    fn push_body(&mut self, bytes: &[u8]) {
        let wanted = match self.content_length {
            Some(length) => length.saturating_sub(self.body_seen).min(bytes.len()),
            None => bytes.len(),
        };
        let bytes = &bytes[..wanted];
        self.body_seen += bytes.len();
        self.md5.update(bytes);
        let room = MAX_RETAINED_BODY.saturating_sub(self.body.len());
        self.body.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    pub(crate) fn finish(self) -> Result<HttpResponse, ProbeError> {
        if !self.header_done {
            return Err(ProbeError::NoData);
        }
        Ok(HttpResponse {
            status: status_code(&self.header),
            header: self.header,
            body: self.body,
            digest: self.md5.finalize().into(),
        })
    }
}

/// The offset just past the blank line that ends the header.
fn header_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|position| position + 4)
}

/// The status code of an `HTTP/x.y NNN reason` status line.
fn status_code(header: &[u8]) -> Option<u16> {
    let line = header.split(|&byte| byte == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_ascii_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = words.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

/// The `Content-Length` header's value (name matched without regard to case).
fn content_length(header: &[u8]) -> Option<usize> {
    header
        .split(|&byte| byte == b'\n')
        .skip(1)
        .find_map(|line| {
            let line = std::str::from_utf8(line).ok()?;
            let (name, value) = line.split_once(':')?;
            if !name.trim().eq_ignore_ascii_case("content-length") {
                return None;
            }
            value.trim().parse().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_matches_keepalived_for_each_protocol() {
        // Input: GET / to 10.0.0.1:8080 with each http_protocol, no virtual host.
        // Output: the exact bytes keepalived 2.2.7 sends.
        let target: SocketAddr = "10.0.0.1:8080".parse().expect("literal address");
        assert_eq!(
            request_text(target, "/", HttpProtocol::Http10, None),
            "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:8080\r\n\r\n"
        );
        assert_eq!(
            request_text(target, "/x", HttpProtocol::Http10Close, None),
            "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 10.0.0.1:8080\r\n\r\n"
        );
        assert_eq!(
            request_text(target, "/", HttpProtocol::Http11, Some("www.example.com")),
            "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n"
        );
        let v6: SocketAddr = "[2001:db8::1]:80".parse().expect("literal address");
        assert!(
            request_text(v6, "/", HttpProtocol::Http10, None)
                .contains("Host: [2001:db8::1]:80\r\n")
        );
    }

    #[test]
    fn body_is_cut_at_content_length_and_split_reads_do_not_matter() {
        // Input: a response with Content-Length 5 followed by trailing garbage, fed in
        // 1-byte and whole pieces.
        // Output: the same header, body "hello" and its MD5 either way.
        let raw = b"HTTP/1.0 200 OK\r\nContent-length: 5\r\n\r\nhelloGARBAGE";
        let mut whole = ResponseReader::default();
        whole.push(raw);
        let whole = whole.finish().expect("complete header");
        let mut bytewise = ResponseReader::default();
        for byte in raw {
            bytewise.push(std::slice::from_ref(byte));
        }
        let bytewise = bytewise.finish().expect("complete header");
        assert_eq!(whole, bytewise);
        assert_eq!(whole.body, b"hello");
        assert_eq!(whole.status, Some(200));
        assert_eq!(hex(&whole.digest), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn missing_header_end_is_no_data() {
        // Input: a reply cut before the blank line. Output: NoData, never a panic.
        let mut reader = ResponseReader::default();
        reader.push(b"HTTP/1.0 200 OK\r\nServer: x\r\n");
        assert!(matches!(reader.finish(), Err(ProbeError::NoData)));
    }

    #[test]
    fn judge_checks_status_digest_and_regex_in_order() {
        // Input: a 200 reply "service ok"; url blocks with various expectations.
        // Output: pass or the failing rule named in the reason.
        let response = HttpResponse {
            header: b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
            body: b"service ok".to_vec(),
            status: Some(200),
            digest: Md5::digest(b"service ok").into(),
        };
        let mut url = UrlCheck::new("/");
        assert!(judge(&url, &response).is_ok());
        url.status_codes = StatusCodes(vec![300..=399]);
        assert!(
            judge(&url, &response)
                .unwrap_err()
                .to_string()
                .contains("status code 200")
        );
        url.status_codes = StatusCodes::default();
        url.digests = parse_digest("00000000000000000000000000000000")
            .into_iter()
            .collect();
        assert!(
            judge(&url, &response)
                .unwrap_err()
                .to_string()
                .contains("MD5")
        );
        url.digests = vec![[0; 16], response.digest];
        assert!(judge(&url, &response).is_ok(), "any listed digest matches");
        url.regex = Some(Pattern::new("ok$").expect("valid regex"));
        assert!(judge(&url, &response).is_ok());
        url.regex_no_match = true;
        assert!(judge(&url, &response).is_err());
        url.regex_no_match = false;
        url.regex_max_offset = Some(3);
        assert!(
            judge(&url, &response).is_err(),
            "match at 8 is past max offset 3"
        );
    }

    #[test]
    fn digest_text_round_trips_and_rejects_bad_input() {
        // Input: a valid digest, a short one, a non-hex one.
        // Output: bytes for the first, None for the others.
        let text = "6f5902ac237024bdd0c176cb93063dc4";
        assert_eq!(parse_digest(text).map(|d| hex(&d)).as_deref(), Some(text));
        assert_eq!(parse_digest("6f59"), None);
        assert_eq!(parse_digest("zz5902ac237024bdd0c176cb93063dc4"), None);
        assert_eq!(parse_digest("é5902ac237024bdd0c176cb93063dc4"), None);
    }

    #[test]
    fn status_line_parsing_is_strict() {
        // Input: good and malformed status lines. Output: the code only for good ones.
        assert_eq!(status_code(b"HTTP/1.1 404 Not Found\r\n"), Some(404));
        assert_eq!(status_code(b"HTTP/1.0 2000 OK\r\n"), None);
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_code(b""), None);
    }
}
