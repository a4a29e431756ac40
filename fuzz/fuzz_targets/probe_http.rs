//! Fuzz HTTP_GET / SSL_GET response reading (header end, status line, Content-Length,
//! digested body) and judging: never panic, and how the reads split the response does not
//! change the result.
//!
//! The first byte is the read size; the rest is the response.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, response)) = data.split_first() else {
        return;
    };
    let _ = keel_probe::fuzzing::http_response(response, usize::from(chunk));
});
