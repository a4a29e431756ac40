//! Real servers for the checker benchmark: COUNT TCP listeners on 127.0.0.1 from port BASE
//! that accept every connection and close it at once (all TCP_CHECK needs).
//!
//!     rustc -O bench/checker/listeners.rs -o listeners && ./listeners BASE COUNT
//!
//! One thread per port blocked in accept(): no event loop, no interpreter, std only, so the
//! listeners are not what limits the benchmark (the Python asyncio listeners it replaces
//! accepted about 2,000 connections a second per process on this host). Prints
//! "listening" once every port is bound, then serves until killed; every 10 s it prints
//! the connections accepted so far.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(base), Some(count)) = (
        args.get(1).and_then(|a| a.parse::<u16>().ok()),
        args.get(2).and_then(|a| a.parse::<u16>().ok()),
    ) else {
        eprintln!("usage: listeners BASE COUNT");
        std::process::exit(2);
    };
    let accepted = Arc::new(AtomicU64::new(0));
    let mut listeners = Vec::new();
    for port in base..base.saturating_add(count) {
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(listener) => listeners.push(listener),
            Err(error) => {
                eprintln!("listeners: bind 127.0.0.1:{port}: {error}");
                std::process::exit(1);
            }
        }
    }
    for listener in listeners {
        let accepted = Arc::clone(&accepted);
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                loop {
                    // The stream is dropped (closed) at once; errors (a reset before
                    // accept, EMFILE) only skip that connection.
                    if listener.accept().is_ok() {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .unwrap_or_else(|error| {
                eprintln!("listeners: thread: {error}");
                std::process::exit(1);
            });
    }
    println!("listening");
    loop {
        std::thread::sleep(Duration::from_secs(10));
        println!("accepted {}", accepted.load(Ordering::Relaxed));
    }
}
