//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), not part of the API.
//!
//! Each function runs one hand-written decoder of bytes that come from the kernel or from
//! a peer, exactly as the adapter runs it, and checks what must hold for any input (besides
//! not panicking). The adapters keep their decoders private; these wrappers are the only
//! way in from outside the crate.

use std::ffi::OsStr;

use keel_lb::Family;

use crate::inotify::{Change, changes, parse_track_value};
use crate::ipvs::codec::{destination_of, put_destination, put_service, service_of};
use crate::ipvs::nla::{Reply, Request, replies};
use crate::ipvs::uapi::{CMD_ATTR_DEST, CMD_ATTR_SERVICE};
use crate::ipvs::{Info, Timeouts, family_id_of, read_info, read_timeouts, sync_daemon_of};
use crate::proc_events::{ProcessEvent, parse_events};
use crate::process::{ParameterMatch, ProcessMatch, command_line};

/// A generic-netlink family id for re-encoded answers (any id ≥ 0x10 is data).
const FAMILY: u16 = 0x20;
/// Longest attribute string re-encoded: longer ones could overflow a nest's `u16` length.
const MAX_REENCODED_NAME: usize = 1024;

/// A datagram from the IPVS generic-netlink socket: every data message goes through each
/// dump decoder (services, destinations of either family, sync daemons, info, timeouts,
/// family id). A service or destination that decodes is encoded as keel would send it and
/// must decode to the same values.
pub fn ipvs_datagram(datagram: &[u8]) {
    let Ok(messages) = replies(datagram) else {
        return;
    };
    for message in messages {
        let Reply::Data { attributes, .. } = message else {
            continue;
        };
        if let Ok((key, settings)) = service_of(attributes) {
            let names = settings.scheduler.name().len()
                + settings.persistence_engine.as_ref().map_or(0, String::len);
            if names <= MAX_REENCODED_NAME {
                let mut request = Request::new(FAMILY, 0, 1, 0, 1);
                request.begin_nested(CMD_ATTR_SERVICE);
                put_service(&mut request, &key, &settings);
                request.end_nested();
                let again = data_of(&request.finish()).and_then(|bytes| service_of(&bytes).ok());
                assert_eq!(again, Some((key, settings)), "service round trip");
            }
        }
        for family in [Family::Inet, Family::Inet6] {
            let Ok((dest, destination)) = destination_of(attributes, family) else {
                continue;
            };
            let mut request = Request::new(FAMILY, 0, 1, 0, 1);
            request.begin_nested(CMD_ATTR_DEST);
            put_destination(&mut request, &dest, Some(&destination));
            request.end_nested();
            let again =
                data_of(&request.finish()).and_then(|bytes| destination_of(&bytes, family).ok());
            assert_eq!(again, Some((dest, destination)), "destination round trip");
        }
        let _ = sync_daemon_of(attributes);
        let mut info = Info {
            version: 0,
            connection_table_size: 0,
        };
        let _ = read_info(attributes, &mut info);
        let _ = read_timeouts(attributes, &mut Timeouts::default());
        let _ = family_id_of(attributes);
    }
}

/// A datagram from the proc connector, decoded as [`crate::proc_events::ProcEvents`] does.
pub fn proc_events_datagram(datagram: &[u8]) -> Vec<ProcessEvent> {
    parse_events(datagram)
}

/// What one `read()` of an inotify descriptor returned, for a watch `1` on `file_name`
/// (at most one change per whole record); also the same bytes as a track file's content.
pub fn inotify_records(records: &[u8], file_name: &OsStr) {
    let found: Vec<Change> = changes(records, 1, file_name);
    let header = std::mem::size_of::<libc::inotify_event>();
    assert!(found.len() <= records.len() / header);
    let _ = parse_track_value(&String::from_utf8_lossy(records));
}

/// `/proc/PID/comm` and `/proc/PID/cmdline` contents against a `track_process` whose name
/// and parameters are taken from the command line itself, in each parameter-match mode:
/// a process always matches its own name and arguments exactly, initially and partially.
pub fn process_entry(comm: &[u8], cmdline: &[u8]) {
    let comm = String::from_utf8_lossy(comm);
    let comm = comm.trim_end_matches('\n');
    let argv = command_line(cmdline);
    let Some(program) = argv.first() else {
        return;
    };
    for parameter_match in [
        ParameterMatch::Exact,
        ParameterMatch::Initial,
        ParameterMatch::Partial,
    ] {
        let wanted = ProcessMatch {
            name: program.clone(),
            full_command: true,
            parameters: Some(argv[1..].to_vec()),
            parameter_match,
        };
        assert!(wanted.matches(comm, &argv), "{wanted:?} against itself");
        let by_name = ProcessMatch {
            name: comm.to_string(),
            full_command: false,
            parameters: None,
            parameter_match,
        };
        let _ = by_name.matches(comm, &argv);
    }
}

/// One line of an SMTP server's reply to the alert mailer: its code and whether the reply
/// continues.
pub fn smtp_reply_line(line: &str) -> (u16, bool) {
    crate::smtp::reply_line(line)
}

/// The attributes of the one data message in `bytes` (an encoded request).
fn data_of(bytes: &[u8]) -> Option<Vec<u8>> {
    match replies(bytes).ok()?.as_slice() {
        [Reply::Data { attributes, .. }] => Some(attributes.to_vec()),
        _ => None,
    }
}
