//! Fuzz FILE_CHECK's reading of a tracked file's value (leading integer, like `strtol`):
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // black_box: the reader is pure, an unused result would be optimised away.
    std::hint::black_box(keel_probe::fuzzing::file_value(data));
});
