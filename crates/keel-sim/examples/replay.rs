//! Replays one random run and prints its outcome, or the failure with the full timeline.
//!
//! `cargo run -p keel-sim --example replay -- SEED [sync] [real-wire] [unicast] [ipv6] [DISTURBANCES]`

use keel_sim::random::{self, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(seed) = args.first().and_then(|arg| arg.parse::<u64>().ok()) else {
        eprintln!("usage: replay SEED [sync] [real-wire] [unicast] [ipv6] [DISTURBANCES]");
        std::process::exit(2);
    };
    let disturbances = args
        .iter()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(6);
    let options = Options {
        sync_group: args.iter().any(|arg| arg == "sync"),
        ideal_wire: !args.iter().any(|arg| arg == "real-wire"),
        unicast: args.iter().any(|arg| arg == "unicast"),
        ipv6: args.iter().any(|arg| arg == "ipv6"),
        disturbances,
    };
    match random::run_verbose(seed, &options) {
        Ok((outcome, timeline)) => println!("{timeline}\npassed: {outcome:?}"),
        Err(failure) => {
            println!("{failure}");
            std::process::exit(1);
        }
    }
}
