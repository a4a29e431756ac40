//! `keepalived.json` (SIGRTMIN+2, spec §4.3): keepalived 2.2.7's field order, omissions
//! and escaping, written by hand because keepalived's writer is not serde's.

use std::fmt::Write as _;

use super::super::snapshot::{
    AuthSnapshot, InstanceSnapshot, Snapshot, TrackProcessSnapshot, TrackedSnapshot,
};
use super::data::{general_float, true_false};

/// `keepalived.json` (spec §4.3). Version 1 is keepalived 2.2.7's only format: one line, an
/// array of `{"data": {...}, "stats": {...}}`; version 2 wraps it as
/// `{"vrrp": [...], "track_process": [...]}`.
pub fn json_text(snapshot: &Snapshot, version: u8) -> String {
    let instances = snapshot
        .instances
        .iter()
        .map(instance_json)
        .collect::<Vec<_>>()
        .join(",");
    if version == 2 {
        let processes = snapshot
            .track_processes
            .iter()
            .map(process_json)
            .collect::<Vec<_>>()
            .join(",");
        format!("{{\"vrrp\":[{instances}],\"track_process\":[{processes}]}}\n")
    } else {
        format!("[{instances}]\n")
    }
}

/// A JSON object being written field by field in keepalived's order.
struct JsonObject(String);

impl JsonObject {
    fn new() -> Self {
        JsonObject(String::from("{"))
    }

    fn key(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_string(name));
        self.0.push(':');
    }

    fn raw(&mut self, name: &str, value: &str) {
        self.key(name);
        self.0.push_str(value);
    }

    fn uint(&mut self, name: &str, value: impl Into<u64>) {
        self.raw(name, &value.into().to_string());
    }

    fn int(&mut self, name: &str, value: i64) {
        self.raw(name, &value.to_string());
    }

    fn boolean(&mut self, name: &str, value: bool) {
        self.raw(name, true_false(value));
    }

    fn float(&mut self, name: &str, value: f64) {
        self.raw(name, &general_float(value));
    }

    fn string(&mut self, name: &str, value: &str) {
        self.raw(name, &json_string(value));
    }

    fn optional_string(&mut self, name: &str, value: &Option<String>) {
        if let Some(value) = value {
            self.string(name, value);
        }
    }

    /// keepalived omits an empty list rather than writing `[]`.
    fn strings(&mut self, name: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let items = values
            .iter()
            .map(|value| json_string(value))
            .collect::<Vec<_>>()
            .join(",");
        self.raw(name, &format!("[{items}]"));
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn instance_json(instance: &InstanceSnapshot) -> String {
    let mut data = JsonObject::new();
    data.string("iname", &instance.name);
    data.uint("dont_track_primary", instance.dont_track_primary);
    data.uint("skip_check_adv_addr", instance.skip_check_adv_addr);
    data.uint("strict_mode", instance.strict);
    // keepalived keeps the ipvlan's name in vmac_ifname too, and runs the instance on it.
    let own = instance.vmac_interface.as_deref().or(instance
        .ipvlan
        .as_ref()
        .map(|ipvlan| ipvlan.interface.as_str()));
    data.string("vmac_ifname", own.unwrap_or(""));
    data.string("ifp_ifname", own.unwrap_or(&instance.interface));
    data.uint("master_priority", instance.master_priority);
    let transition = instance.last_transition.unwrap_or_default();
    data.raw(
        "last_transition",
        &format!("{}.{:06}", transition.as_secs(), transition.subsec_micros()),
    );
    let garp = &instance.garp;
    data.uint("garp_delay", garp.delay);
    data.uint("garp_refresh", garp.refresh);
    data.uint("garp_rep", garp.repeat);
    data.uint("garp_refresh_rep", garp.refresh_repeat);
    data.uint("garp_lower_prio_delay", garp.lower_prio_delay);
    data.uint("garp_lower_prio_rep", garp.lower_prio_repeat);
    data.uint("lower_prio_no_advert", instance.lower_prio_no_advert);
    data.uint("higher_prio_send_advert", instance.higher_prio_send_advert);
    data.uint("vrid", instance.vrid);
    data.uint("base_priority", instance.base_priority);
    data.uint("effective_priority", instance.effective_priority);
    data.boolean("vipset", instance.vips_set);
    data.boolean("promote_secondaries", instance.promote_secondaries);
    data.float("adver_int", instance.advert_interval.as_secs_f64());
    data.float(
        "master_adver_int",
        instance.master_advert_interval.as_secs_f64(),
    );
    data.uint("accept", instance.accept);
    data.boolean("nopreempt", instance.nopreempt);
    data.uint("preempt_delay", instance.preempt_delay.as_secs());
    data.uint("state", instance.state.keepalived_number());
    data.uint("wantstate", instance.wantstate.keepalived_number());
    data.uint("version", instance.version);
    data.boolean("smtp_alert", instance.smtp_alert);
    data.boolean("notify_deleted", instance.notify_deleted);
    let notify = &instance.notify;
    data.optional_string("script_backup", &notify.backup);
    data.optional_string("script_master", &notify.master);
    data.optional_string("script_fault", &notify.fault);
    data.optional_string("script_stop", &notify.stop);
    data.optional_string("script_deleted", &notify.deleted);
    data.optional_string("script", &notify.generic);
    data.optional_string("script_master_rx_lower_pri", &notify.master_rx_lower_pri);
    data.strings("vips", &instance.vips);
    data.strings("evips", &instance.evips);
    data.strings("vroutes", &instance.vroutes);
    data.strings("vrules", &instance.vrules);
    let names = |tracked: &[TrackedSnapshot]| {
        tracked
            .iter()
            .map(|object| object.name.clone())
            .collect::<Vec<_>>()
    };
    data.strings("track_ifp", &names(&instance.track_interfaces));
    data.strings("track_script", &instance.track_script_commands);
    data.uint("auth_type", instance.auth.number());
    match &instance.auth {
        AuthSnapshot::Pass(key) | AuthSnapshot::Ah(key) => data.string("auth_data", key),
        AuthSnapshot::None => {}
    }

    let stats = &instance.stats;
    let mut counters = JsonObject::new();
    for (name, value) in [
        ("advert_rcvd", stats.advert_rcvd),
        ("advert_sent", stats.advert_sent),
        ("become_master", stats.become_master),
        ("release_master", stats.release_master),
        ("packet_len_err", stats.packet_len_err),
        ("advert_interval_err", stats.advert_interval_err),
        ("ip_ttl_err", stats.ip_ttl_err),
        ("invalid_type_rcvd", stats.invalid_type_rcvd),
        ("addr_list_err", stats.addr_list_err),
        ("invalid_authtype", stats.invalid_authtype),
        ("authtype_mismatch", stats.authtype_mismatch),
        ("auth_failure", stats.auth_failure),
        ("pri_zero_rcvd", stats.pri_zero_rcvd),
        ("pri_zero_sent", stats.pri_zero_sent),
    ] {
        counters.uint(name, value);
    }
    let mut both = JsonObject::new();
    both.raw("data", &data.finish());
    both.raw("stats", &counters.finish());
    both.finish()
}

fn process_json(process: &TrackProcessSnapshot) -> String {
    let mut object = JsonObject::new();
    object.string("process", &process.process);
    object.string("parameters", &process.parameters);
    object.string("param_match", &process.param_match);
    object.uint("min_processes", process.min_processes);
    object.uint("max_processes", process.max_processes);
    object.uint("current_processes", process.current_processes);
    object.boolean("have_quorum", process.has_quorum());
    object.int("weight", i64::from(process.weight));
    object.float("terminate_delay", process.terminate_delay);
    object.float("fork_delay", process.fork_delay);
    object.boolean("fork_delay_timer_running", false);
    object.boolean("terminate_delay_timer_running", false);
    object.boolean("full_command", process.full_command);
    object.finish()
}

/// A JSON string as keepalived's writer escapes it (including `/` as `\/`).
fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for character in value.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            control if u32::from(control) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a command path and a string with quotes and a newline.
    // Output: keepalived's escaping, `/` included.
    #[test]
    fn json_strings_escape_like_keepalived() {
        assert_eq!(json_string("'/usr/bin/echo'"), "\"'\\/usr\\/bin\\/echo'\"");
        assert_eq!(json_string("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(json_string("\u{1}"), "\"\\u0001\"");
    }
}
