//! Prints the process scheduling keywords (spec §2.3, "scheduling").

use super::Printer;
use crate::model::scheduling::{DEFAULT_RLIMIT_RTTIME, ProcessScheduling, Scheduling};

/// Writes each process's non-default settings.
pub fn scheduling(p: &mut Printer, s: &Scheduling) {
    process(p, "vrrp", &s.vrrp);
    process(p, "checker", &s.checker);
    process(p, "bfd", &s.bfd);
    p.flag("process_names", s.process_names);
    p.opt("process_name", s.process_name.as_deref());
}

fn process(p: &mut Printer, prefix: &str, s: &ProcessScheduling) {
    if s.priority != 0 {
        p.line(&format!("{prefix}_priority"), &[s.priority.to_string()]);
    }
    if let Some(rt) = s.rt_priority {
        p.line(&format!("{prefix}_rt_priority"), &[rt.to_string()]);
    }
    if s.rlimit_rttime != DEFAULT_RLIMIT_RTTIME {
        p.line(
            &format!("{prefix}_rlimit_rttime"),
            &[s.rlimit_rttime.to_string()],
        );
    }
    p.flag(&format!("{prefix}_no_swap"), s.no_swap);
    p.opt(&format!("{prefix}_process_name"), s.name.as_deref());
    if !s.cpu_affinity.is_empty() {
        let cpus: Vec<String> = s.cpu_affinity.iter().map(u32::to_string).collect();
        p.line(&format!("{prefix}_cpu_affinity"), &cpus);
    }
}
