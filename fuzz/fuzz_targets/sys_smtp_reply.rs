//! Fuzz the SMTP reply reader of the alert mailer (`smtp_alert`) line by line: never panic;
//! a line continues the reply exactly when its fourth byte is `-`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split_inclusive('\n') {
        let (_, continued) = keel_sys::fuzzing::smtp_reply_line(line);
        assert_eq!(continued, line.as_bytes().get(3) == Some(&b'-'));
    }
});
