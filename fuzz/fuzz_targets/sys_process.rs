//! Fuzz the `/proc/PID/comm` and `/proc/PID/cmdline` reading of `track_process`: never
//! panic, and a process always matches a `track_process` built from its own command line.
//!
//! The first byte is the length of the comm part; the rest is the cmdline.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&length, rest)) = data.split_first() else {
        return;
    };
    let (comm, cmdline) = rest.split_at(usize::from(length).min(rest.len()));
    keel_sys::fuzzing::process_entry(comm, cmdline);
});
