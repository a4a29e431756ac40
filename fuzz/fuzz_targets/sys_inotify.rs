//! Fuzz the inotify record decoder of `track_file` (`struct inotify_event` records with
//! their names) and the `strtol`-like value parser on the same bytes: never panic.
#![no_main]

use std::ffi::OsStr;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A one-letter name so that the fuzzer reaches the records about the tracked file.
    keel_sys::fuzzing::inotify_records(data, OsStr::new("f"));
});
