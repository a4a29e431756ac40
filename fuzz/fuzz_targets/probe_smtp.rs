//! Fuzz SMTP_CHECK's reply reader line by line: never panic; a code is three ASCII digits
//! and a line continues the reply exactly when its fourth byte is `-`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split_inclusive(|&b| b == b'\n') {
        let (code, continued) = keel_probe::fuzzing::smtp_reply_line(line);
        assert!(code.is_none_or(|code| code <= 999));
        assert_eq!(continued, line.get(3) == Some(&b'-'));
    }
});
