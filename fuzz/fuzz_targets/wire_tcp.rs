//! Fuzz the TCP header view keel's half-open TCP_CHECK reads replies with: never panic,
//! and every accessor of a checked view answers.
#![no_main]

use keel_wire::tcp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = tcp::Packet::new_checked(data) {
        assert!(packet.header_len() >= tcp::HEADER_LEN && packet.header_len() <= data.len());
        let _ = (packet.src_port(), packet.dst_port(), packet.seq_number());
        let _ = (packet.ack_number(), packet.flags(), packet.window(), packet.checksum());
    }
});
