//! The tasks that watch tracked objects and report raw results as [`Event`]s: `vrrp_script`
//! runs, `track_file` values, `track_process` quorum, and the netlink monitor for links and
//! addresses (spec §3.5). Rise/fall and weights are the engine's business.

use std::path::Path;
use std::time::Duration;

use keel_sys::netlink::{NetEvent, NetlinkMonitor};
use keel_sys::process::{ProcessMatch, matching_processes};
use keel_sys::script::{ProcessRunner, ScriptCommand, ScriptRunner, UserIds};
use keel_vrrp::{TrackerId, TrackerStatus};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::{Event, log};
use crate::vrrp_config::{FileTracker, ProcessTracker, ScriptTracker};

/// How often process counts are re-read. keepalived uses the proc connector; a scan at this
/// rate reacts well within one advert interval of the seed scenario (fall 2 at 1 s).
const PROCESS_SCAN_INTERVAL: Duration = Duration::from_millis(200);

/// Runs a `vrrp_script` every `interval` (a run that outlasts `timeout` is killed and
/// fails, spec §1.1) and reports each result.
pub fn spawn_script(
    script: &ScriptTracker,
    user: UserIds,
    events: &UnboundedSender<Event>,
) -> JoinHandle<()> {
    let command = ScriptCommand {
        argv: script.script.command.clone(),
        user,
        timeout: Some(script.timeout),
    };
    let id = script.id.clone();
    let interval = script.interval;
    let events = events.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let status = match ProcessRunner.run(&command).await {
                Ok(outcome) if outcome.is_success() => TrackerStatus::Success,
                Ok(outcome) => {
                    log::detail(&format!("{}: {outcome:?}", id.0));
                    TrackerStatus::Failure
                }
                Err(error) => {
                    log::warn(&format!("{}: cannot run: {error}", id.0));
                    TrackerStatus::Failure
                }
            };
            if !report(&events, &id, status) {
                return;
            }
        }
    })
}

/// Watches a `track_file` and reports its value at start and on every change.
pub fn spawn_file(file: &FileTracker, events: &UnboundedSender<Event>) -> Option<JoinHandle<()>> {
    let mut watcher = match keel_sys::inotify::TrackFileWatcher::open(Path::new(&file.path)) {
        Ok(watcher) => watcher,
        Err(error) => {
            log::error(&format!("track_file {}: {error}", file.path));
            return None;
        }
    };
    let id = file.id.clone();
    let events = events.clone();
    Some(tokio::spawn(async move {
        let mut value = watcher.current().unwrap_or(0);
        loop {
            let status = TrackerStatus::Value(i64::from(value));
            if !report(&events, &id, status) {
                return;
            }
            match watcher.changed().await {
                Ok(Some(new)) => value = new,
                Ok(None) => continue,
                Err(error) => {
                    log::error(&format!("track_file {}: {error}", id.0));
                    return;
                }
            }
        }
    }))
}

/// Counts matching processes and reports Up while `quorum ≤ count ≤ quorum_max` (spec §3.5).
pub fn spawn_process(process: &ProcessTracker, events: &UnboundedSender<Event>) -> JoinHandle<()> {
    let mut wanted = ProcessMatch::named(process.process.first().map_or("", String::as_str));
    wanted.full_command = process.full_command;
    if process.process.len() > 1 {
        wanted.parameters = Some(process.process[1..].to_vec());
    }
    let (quorum, quorum_max) = (process.quorum, process.quorum_max);
    let id = process.id.clone();
    let events = events.clone();
    tokio::spawn(async move {
        let mut last = None;
        let mut last_count = None;
        loop {
            let count = matching_processes(&wanted).map_or(0, |pids| pids.len()) as u32;
            if last_count != Some(count) {
                last_count = Some(count);
                let event = Event::ProcessCount {
                    id: id.clone(),
                    count,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
            let up = count >= quorum && quorum_max.is_none_or(|max| count <= max);
            if last != Some(up) {
                last = Some(up);
                let status = TrackerStatus::up_or_down(up);
                if !report(&events, &id, status) {
                    return;
                }
            }
            tokio::time::sleep(PROCESS_SCAN_INTERVAL).await;
        }
    })
}

/// Sends one tracker result to the loop; false once the loop has gone (the task then ends).
fn report(events: &UnboundedSender<Event>, id: &TrackerId, status: TrackerStatus) -> bool {
    let event = Event::Tracker {
        id: id.clone(),
        status,
    };
    events.send(event).is_ok()
}

/// Forwards link changes and address removals from the kernel; `buffer` overrides the
/// monitor's receive buffer (`vrrp_netlink_monitor_rcv_bufs`).
pub fn spawn_link_monitor(
    events: &UnboundedSender<Event>,
    buffer: Option<keel_sys::netlink::ReceiveBuffer>,
) {
    let opened = match buffer {
        Some(buffer) => NetlinkMonitor::open_with(buffer),
        None => NetlinkMonitor::open(),
    };
    let mut monitor = match opened {
        Ok(monitor) => monitor,
        Err(error) => {
            log::error(&format!("netlink monitor: {error}"));
            return;
        }
    };
    let events = events.clone();
    tokio::spawn(async move {
        while let Some(event) = monitor.next().await {
            let event = match event {
                NetEvent::Link(link) => Event::Link {
                    up: link.is_up(),
                    name: link.name,
                    index: link.index,
                    mac: link.mac,
                    removed: false,
                },
                NetEvent::LinkRemoved { index, name } => Event::Link {
                    name,
                    index,
                    up: false,
                    mac: None,
                    removed: true,
                },
                NetEvent::AddressRemoved {
                    ifindex, address, ..
                } => Event::AddressRemoved { ifindex, address },
                NetEvent::AddressAdded {
                    ifindex, address, ..
                } => Event::AddressAdded { ifindex, address },
                NetEvent::Overrun => Event::Resync,
            };
            if events.send(event).is_err() {
                return;
            }
        }
    });
}
