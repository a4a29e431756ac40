//! `keel --genhash` / `keel -T` (spec §1.5): fetch one page and print the MD5 digest of its
//! body, the value an `HTTP_GET`/`SSL_GET` `digest` line expects.
//!
//! The fetch is keel-probe's, so the digest is the checkers' digest by construction. The
//! command line and the output follow keepalived 2.2.7's genhash, as run on this machine:
//! - Default output: the digest in lower-case hex, alone on a line.
//! - `-v`: hex dumps of the header and body between keepalived's banner lines, the header
//!   as text, the digest dump, the digest, and the response time. keepalived dumps the body
//!   once per `read()`, which depends on how the bytes arrive; keel dumps it in one piece.
//! - A failed fetch prints keepalived's message ("Connection failed", "Timeout connecting",
//!   ...) on stdout and still exits 0; a reply without a complete header prints
//!   "no data received from remote webserver" on stderr. Bad options print the reason and
//!   the usage on stderr and exit 1.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use keel_probe::http::{self, HttpProtocol, HttpResponse, HttpSpec, UrlCheck};
use keel_probe::{ProbeError, ProbeRequest, ProbeSpec, TlsOptions};

/// genhash's options once parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenhashOptions {
    /// `-s`: the server's IP address (names are refused, as keepalived does).
    pub server: IpAddr,
    /// `-p`: the server's port.
    pub port: u16,
    /// `-u`: the path requested (the last `-u` wins).
    pub url: String,
    /// `-S`: TLS.
    pub ssl: bool,
    /// `-I`: send the virtual host as SNI.
    pub sni: bool,
    /// `-V`: the Host header's value.
    pub virtualhost: Option<String>,
    /// `-P`: 1.0, 1.0c or 1.1.
    pub protocol: HttpProtocol,
    /// `-t`: per-step timeout; keepalived's default is `UINT_MAX` microseconds.
    pub timeout: Duration,
    /// `-m`: `SO_MARK` for the connection.
    pub fwmark: Option<u32>,
    /// `-v`: dump header, body and digest.
    pub verbose: bool,
}

/// What the genhash command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenhashCommand {
    /// Fetch and print.
    Run(GenhashOptions),
    /// `-h`: print the usage, exit 1 (keepalived treats it like a usage error).
    Help,
}

/// keepalived's default `connection_to` for genhash: `UINT_MAX` timer ticks (µs).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_micros(u32::MAX as u64);

/// Runs genhash with the arguments that followed `-T`/`--genhash`; returns the exit code.
pub fn main(arguments: &[OsString]) -> ExitCode {
    let options = match parse(arguments) {
        Ok(GenhashCommand::Run(options)) => options,
        Ok(GenhashCommand::Help) => {
            eprint!("{}", usage());
            return ExitCode::from(1);
        }
        Err(message) => {
            eprintln!("{message}");
            eprint!("{}", usage());
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("keel: cannot start the I/O runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let started = Instant::now();
    match runtime.block_on(fetch(&options)) {
        Ok(response) => {
            if options.verbose {
                print!(
                    "{}",
                    verbose_report(&response, &options.url, started.elapsed())
                );
            } else {
                println!("{}", http::hex(&response.digest));
            }
        }
        Err(ProbeError::NoData) => eprintln!("no data received from remote webserver"),
        Err(error) => println!("{}", failure_message(&error)),
    }
    ExitCode::SUCCESS
}

/// Parses genhash's options the way keepalived's `getopt_long` does
/// (`hTvSIs:H:V:p:u:m:P:t:`, long names, unique long prefixes, `--name=value`).
pub fn parse(arguments: &[OsString]) -> Result<GenhashCommand, String> {
    let mut queue: VecDeque<String> = arguments
        .iter()
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect();
    if queue.is_empty() {
        return Err("Missing parameters".to_string());
    }
    let mut server = None;
    let mut port = None;
    let mut url = None;
    let mut options = GenhashOptions {
        server: IpAddr::from([0, 0, 0, 0]),
        port: 0,
        url: String::new(),
        ssl: false,
        sni: false,
        virtualhost: None,
        protocol: HttpProtocol::Http10,
        timeout: DEFAULT_TIMEOUT,
        fwmark: None,
        verbose: false,
    };
    let mut stray = Vec::new();
    while let Some(argument) = queue.pop_front() {
        let (option, attached) = if let Some(long) = argument.strip_prefix("--") {
            if long.is_empty() {
                stray.extend(queue.drain(..));
                break;
            }
            let (name, value) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            (long_option(name)?, value)
        } else if let Some(short) = argument.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let option = chars.next().unwrap_or('?');
            let rest: String = chars.collect();
            if takes_value(option) {
                (option, (!rest.is_empty()).then_some(rest))
            } else {
                if !rest.is_empty() {
                    // A cluster of flags (`-vS`): handle the first, read the rest next.
                    queue.push_front(format!("-{rest}"));
                }
                (option, None)
            }
        } else {
            stray.push(argument);
            continue;
        };
        let value = if takes_value(option) {
            match attached {
                Some(value) => value,
                None => queue
                    .pop_front()
                    .ok_or_else(|| format!("Missing parameter for option -{option}"))?,
            }
        } else {
            String::new()
        };
        match option {
            'h' => return Ok(GenhashCommand::Help),
            'T' => {}
            'v' => options.verbose = true,
            'S' => options.ssl = true,
            'I' => options.sni = true,
            's' => {
                server = Some(
                    value
                        .parse::<IpAddr>()
                        .map_err(|_| format!("server should be an IP, not {value}"))?,
                )
            }
            'V' => options.virtualhost = Some(value),
            'p' => {
                port = Some(
                    value
                        .parse::<u16>()
                        .ok()
                        .filter(|&port| port > 0)
                        .ok_or_else(|| format!("invalid port number '{value}'"))?,
                )
            }
            'u' => url = Some(value),
            'm' => {
                options.fwmark = Some(
                    value
                        .trim_start_matches([' ', '\t'])
                        .parse::<u32>()
                        .map_err(|_| format!("invalid fwmark '{value}'"))?,
                )
            }
            'P' => {
                options.protocol = HttpProtocol::parse(&value)
                    .ok_or_else(|| format!("invalid HTTP protocol version '{value}'"))?
            }
            't' => {
                let seconds = value
                    .trim_start_matches([' ', '\t'])
                    .parse::<u32>()
                    .map_err(|_| format!("invalid timeout '{value}'"))?;
                options.timeout = Duration::from_secs(seconds.into());
            }
            other => return Err(format!("Unknown option -{other}")),
        }
    }
    if !stray.is_empty() {
        return Err(format!("Unexpected argument(s): {} ", stray.join(" ")));
    }
    match (server, port, url) {
        (Some(server), Some(port), Some(url)) => {
            options.server = server;
            options.port = port;
            options.url = url;
            Ok(GenhashCommand::Run(options))
        }
        _ => Err("Missing parameters: -s, -p and -u are required".to_string()),
    }
}

/// keepalived 2.2.7's genhash usage text, with keel's name.
pub fn usage() -> String {
    "Usage: keel --genhash COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
"
    .to_string()
}

/// The `-v` report for a fetched page (see the module docs for the layout).
pub fn verbose_report(response: &HttpResponse, url: &str, elapsed: Duration) -> String {
    const BEGIN: &str = "-----------------------[";
    const END: &str = "]-----------------------\n";
    let mut out = String::new();
    out.push_str(&format!("{BEGIN}    HTTP Header Buffer    {END}"));
    out.push_str(&hexdump(&response.header));
    out.push_str(&format!("{BEGIN} HTTP Header Ascii Buffer {END}"));
    out.push_str(&String::from_utf8_lossy(&response.header));
    out.push('\n');
    if !response.body.is_empty() {
        out.push_str(&format!("{BEGIN}        HTML Buffer        {END}"));
        out.push_str(&hexdump(&response.body));
    }
    out.push('\n');
    out.push_str(&format!("{BEGIN}    HTML hash resulting    {END}"));
    out.push_str(&hexdump(&response.digest));
    out.push_str(&format!("{BEGIN} HTML hash final resulting {END}"));
    out.push_str(&http::hex(&response.digest));
    out.push_str("\n\n");
    out.push_str(&format!(
        "Global response time for [{url}] = {} usecs\n",
        elapsed.as_micros()
    ));
    out
}

/// keepalived's `dump_buffer`: decimal offset, 16 hex bytes split by " - ", then the
/// printable characters (others as '.').
pub fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (line, chunk) in bytes.chunks(16).enumerate() {
        out.push_str(&format!("{:04}  ", line * 16));
        for position in 0..16 {
            if position == 8 {
                out.push_str("- ");
            }
            match chunk.get(position) {
                Some(byte) => out.push_str(&format!("{byte:02x} ")),
                None => out.push_str("   "),
            }
        }
        out.push_str("  ");
        for position in 0..16 {
            out.push(match chunk.get(position) {
                Some(&byte) if (0x20..0x7f).contains(&byte) => byte as char,
                Some(_) => '.',
                None => ' ',
            });
        }
        out.push('\n');
    }
    out
}

/// keepalived's message for each way a genhash fetch can fail.
fn failure_message(error: &ProbeError) -> &'static str {
    match error {
        ProbeError::Setup(_) => "WEB socket bind failed",
        ProbeError::Connect(_) => "Connection failed",
        ProbeError::Timeout {
            step: "connect", ..
        } => "Timeout connecting",
        ProbeError::Timeout {
            step: "HTTP write", ..
        } => "Timeout WEB write",
        ProbeError::Timeout {
            step: "TLS handshake",
            ..
        } => "Timeout connecting",
        ProbeError::Timeout {
            step: "WEB read", ..
        } => "Timeout WEB read",
        ProbeError::Timeout { .. } => "Timeout HTTP read",
        ProbeError::Io {
            step: "HTTP write", ..
        } => "Cannot send get request to",
        ProbeError::Io { .. } | ProbeError::BadReply(_) | ProbeError::NoData => "Read error with",
        ProbeError::Tls(_) => "SSL handshake/communication error connecting to",
    }
}

async fn fetch(options: &GenhashOptions) -> Result<HttpResponse, ProbeError> {
    let spec = HttpSpec {
        urls: vec![UrlCheck::new(options.url.clone())],
        protocol: options.protocol,
        virtualhost: options.virtualhost.clone(),
        tls: options.ssl.then(|| TlsOptions {
            enable_sni: options.sni,
            ..TlsOptions::default()
        }),
    };
    let mut request = ProbeRequest::new(
        ProbeSpec::Http(spec.clone()),
        SocketAddr::new(options.server, options.port),
    );
    request.fwmark = options.fwmark;
    request.connect_timeout = options.timeout;
    http::fetch(&request, &spec, &spec.urls[0]).await
}

fn long_option(name: &str) -> Result<char, String> {
    const LONG: &[(&str, char)] = &[
        ("help", 'h'),
        ("genhash", 'T'),
        ("verbose", 'v'),
        ("use-ssl", 'S'),
        ("use-sni", 'I'),
        ("server", 's'),
        ("use-virtualhost", 'V'),
        ("port", 'p'),
        ("url", 'u'),
        ("fwmark", 'm'),
        ("protocol", 'P'),
        ("timeout", 't'),
    ];
    if let Some((_, option)) = LONG.iter().find(|(long, _)| *long == name) {
        return Ok(*option);
    }
    let matches: Vec<char> = LONG
        .iter()
        .filter(|(long, _)| !name.is_empty() && long.starts_with(name))
        .map(|(_, option)| *option)
        .collect();
    match matches.as_slice() {
        [option] => Ok(*option),
        _ => Err(format!("Unknown option --{name}")),
    }
}

fn takes_value(option: char) -> bool {
    matches!(option, 's' | 'V' | 'p' | 'u' | 'm' | 'P' | 't')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_parse_like_getopt() {
        // Input: short options with attached and separate values, a flag cluster, long
        // names, a unique long prefix and --name=value.
        // Output: one GenhashOptions with every value in place; the last -u wins.
        let parsed = parse(&arguments(&[
            "-vS",
            "-s",
            "::1",
            "-p443",
            "--url",
            "/a",
            "-u",
            "/b",
            "--use-v=www.test",
            "--protocol=1.1",
            "-t",
            "3",
            "-m",
            "9",
            "-I",
        ]))
        .expect("valid options");
        let GenhashCommand::Run(options) = parsed else {
            panic!("expected a run, got {parsed:?}");
        };
        assert!(options.verbose && options.ssl && options.sni);
        assert_eq!(options.server, "::1".parse::<IpAddr>().expect("literal"));
        assert_eq!(options.port, 443);
        assert_eq!(options.url, "/b");
        assert_eq!(options.virtualhost.as_deref(), Some("www.test"));
        assert_eq!(options.protocol, HttpProtocol::Http11);
        assert_eq!(options.timeout, Duration::from_secs(3));
        assert_eq!(options.fwmark, Some(9));
    }

    #[test]
    fn bad_options_are_reported_with_keepalived_wording() {
        // Input: each mistake keepalived's genhash reports.
        // Output: its message.
        let error = |words: &[&str]| parse(&arguments(words)).expect_err("invalid options");
        assert_eq!(
            error(&["-s", "1.2.3.4", "-p", "0", "-u", "/"]),
            "invalid port number '0'"
        );
        assert_eq!(
            error(&["-s", "1.2.3.4", "-p", "80", "-u", "/", "-P", "2"]),
            "invalid HTTP protocol version '2'"
        );
        assert_eq!(
            error(&["-s", "1.2.3.4", "-p", "80", "-u", "/", "-t", "-1"]),
            "invalid timeout '-1'"
        );
        assert_eq!(
            error(&["-s", "1.2.3.4", "-p", "80", "-u", "/", "stray"]),
            "Unexpected argument(s): stray "
        );
        assert_eq!(
            error(&["-s", "1.2.3.4", "-p"]),
            "Missing parameter for option -p"
        );
        assert_eq!(error(&["--use", "-s", "1.2.3.4"]), "Unknown option --use");
        assert!(error(&["-s", "1.2.3.4", "-p", "80"]).starts_with("Missing parameters"));
        assert_eq!(parse(&arguments(&["-h"])), Ok(GenhashCommand::Help));
    }

    #[test]
    fn hexdump_matches_keepalived_dump_buffer() {
        // Input: "abc" and "hello world\n" (16 bytes or fewer), then 17 bytes.
        // Output: the lines keepalived 2.2.7 printed for the same bytes on this machine.
        assert_eq!(
            hexdump(b"abc"),
            "0000  61 62 63                -                           abc             \n"
        );
        assert_eq!(
            hexdump(b"hello world\n"),
            "0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    \n"
        );
        let two_lines = hexdump(b"HTTP/1.0 200 OK\r\n");
        assert_eq!(
            two_lines,
            "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n\
             0016  0a                      -                           .               \n"
        );
        assert_eq!(hexdump(b""), "");
    }
}
