//! The process scheduling keywords of `global_defs` (spec §2.3, "scheduling"), one set per
//! process: `vrrp_*`, `checker_*`, `bfd_*`.

use crate::diag::Diagnostic;
use crate::model::global::GlobalDefs;
use crate::model::scheduling::ProcessScheduling;
use crate::tree::Node;

use super::{Ctx, util};

/// Defines the five handlers of one process's keywords, each writing into
/// `g.scheduling.$process`.
macro_rules! process_keywords {
    ($process:ident, $priority:ident, $rt_priority:ident, $rlimit:ident, $no_swap:ident, $affinity:ident, $name:ident) => {
        /// `*_process_name NAME`.
        pub fn $name(ctx: &mut Ctx<'_>, node: &Node, g: &mut GlobalDefs) {
            if let Some(name) = util::string(ctx, node) {
                g.scheduling.$process.name = Some(name);
            }
        }
        /// `*_priority -20..19`.
        pub fn $priority(ctx: &mut Ctx<'_>, node: &Node, g: &mut GlobalDefs) {
            priority(ctx, node, &mut g.scheduling.$process);
        }
        /// `*_rt_priority 1..99`.
        pub fn $rt_priority(ctx: &mut Ctx<'_>, node: &Node, g: &mut GlobalDefs) {
            rt_priority(ctx, node, &mut g.scheduling.$process);
        }
        /// `*_rlimit_rttime USEC`.
        pub fn $rlimit(ctx: &mut Ctx<'_>, node: &Node, g: &mut GlobalDefs) {
            rlimit_rttime(ctx, node, &mut g.scheduling.$process);
        }
        /// `*_no_swap`.
        pub fn $no_swap(_ctx: &mut Ctx<'_>, _node: &Node, g: &mut GlobalDefs) {
            g.scheduling.$process.no_swap = true;
        }
        /// `*_cpu_affinity CPU...`.
        pub fn $affinity(ctx: &mut Ctx<'_>, node: &Node, g: &mut GlobalDefs) {
            cpu_affinity(ctx, node, &mut g.scheduling.$process);
        }
    };
}

process_keywords!(
    vrrp,
    vrrp_priority,
    vrrp_rt_priority,
    vrrp_rlimit_rttime,
    vrrp_no_swap,
    vrrp_cpu_affinity,
    vrrp_process_name
);
process_keywords!(
    checker,
    checker_priority,
    checker_rt_priority,
    checker_rlimit_rttime,
    checker_no_swap,
    checker_cpu_affinity,
    checker_process_name
);
process_keywords!(
    bfd,
    bfd_priority,
    bfd_rt_priority,
    bfd_rlimit_rttime,
    bfd_no_swap,
    bfd_cpu_affinity,
    bfd_process_name
);

/// `process_name NAME`: the parent's name.
pub fn process_name(ctx: &mut Ctx<'_>, node: &Node, g: &mut GlobalDefs) {
    if let Some(name) = util::string(ctx, node) {
        g.scheduling.process_name = Some(name);
    }
}

/// `process_names`: keepalived's default names.
pub fn process_names(_ctx: &mut Ctx<'_>, _node: &Node, g: &mut GlobalDefs) {
    g.scheduling.process_names = true;
}

fn priority(ctx: &mut Ctx<'_>, node: &Node, p: &mut ProcessScheduling) {
    if let Some(value) = util::int(ctx, node, -20, 19) {
        p.priority = value;
    }
}

fn rt_priority(ctx: &mut Ctx<'_>, node: &Node, p: &mut ProcessScheduling) {
    // sched_get_priority_min/max(SCHED_RR) on Linux.
    if let Some(value) = util::int(ctx, node, 1, 99) {
        p.rt_priority = Some(value);
    }
}

fn rlimit_rttime(ctx: &mut Ctx<'_>, node: &Node, p: &mut ProcessScheduling) {
    if let Some(value) = util::int(ctx, node, 1, i64::from(u32::MAX)) {
        p.rlimit_rttime = value;
    }
}

/// `CPU...`: CPU numbers, or ranges `A-B` (taskset's list syntax), at least one.
fn cpu_affinity(ctx: &mut Ctx<'_>, node: &Node, p: &mut ProcessScheduling) {
    if util::arg(ctx, node).is_none() {
        return;
    }
    let mut cpus = Vec::new();
    for token in node.args {
        match cpu_list_item(&token.text) {
            Some(range) => cpus.extend(range),
            None => {
                ctx.report(
                    Diagnostic::error(Some(token.span), format!("invalid cpu '{}'", token.text))
                        .with_help("expected CPU numbers (0 2) or ranges (0-3)"),
                );
                return;
            }
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    p.cpu_affinity = cpus;
}

/// `N` or `A-B` with A <= B, below the kernel's CPU_SETSIZE (1024).
fn cpu_list_item(text: &str) -> Option<std::ops::RangeInclusive<u32>> {
    const CPU_SETSIZE: u32 = 1024;
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
        None => {
            let n = text.parse::<u32>().ok()?;
            (n, n)
        }
    };
    (first <= last && last < CPU_SETSIZE).then_some(first..=last)
}

#[cfg(test)]
mod tests {
    use crate::diag::{Diagnostic, Severity};
    use crate::model::scheduling::{DEFAULT_RLIMIT_RTTIME, ProcessScheduling};
    use crate::testing::{Fake, lines};

    fn parse(text: &str) -> (crate::Config, Vec<Diagnostic>) {
        let host = Fake::corpus();
        crate::parse(&lines(text), &host, &host)
    }

    // Input: every VRRP and checker scheduling keyword, the deprecated rlimit spelling for
    // the checker.
    // Output: typed values per process; nothing reported as "not supported yet".
    #[test]
    fn vrrp_and_checker_settings_are_typed_and_supported() {
        let (config, diagnostics) = parse(
            "global_defs {\n vrrp_priority -5\n vrrp_rt_priority 40\n vrrp_rlimit_rttime 20000\n \
             vrrp_no_swap\n vrrp_cpu_affinity 1 0-2 5\n checker_priority 3\n \
             checker_rlimit_rtime 3000\n}\n",
        );
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let s = &config.global_defs.scheduling;
        assert_eq!(
            s.vrrp,
            ProcessScheduling {
                priority: -5,
                rt_priority: Some(40),
                rlimit_rttime: 20_000,
                no_swap: true,
                cpu_affinity: vec![0, 1, 2, 5],
                name: None,
            }
        );
        assert_eq!(s.checker.priority, 3);
        assert_eq!(s.checker.rlimit_rttime, 3000);
        assert!(s.bfd.is_default());
        assert!(
            config.not_supported.is_empty(),
            "{:?}",
            config.not_supported
        );
    }

    // Input: an rt priority with no rlimit keyword.
    // Output: keepalived's RT_RLIMIT_DEFAULT, 10000 µs.
    #[test]
    fn rt_priority_alone_gets_the_default_rttime_limit() {
        let (config, _) = parse("global_defs {\n vrrp_rt_priority 1\n}\n");
        assert_eq!(
            config.global_defs.scheduling.vrrp.rlimit_rttime,
            DEFAULT_RLIMIT_RTTIME
        );
        assert_eq!(DEFAULT_RLIMIT_RTTIME, 10_000);
    }

    // Input: out-of-range priorities and malformed CPU lists.
    // Output: one error each, pointing at the value; the settings stay at their defaults.
    #[test]
    fn bad_values_are_errors_and_change_nothing() {
        for line in [
            "vrrp_priority 20",
            "vrrp_rt_priority 0",
            "checker_rt_priority 130",
            "vrrp_cpu_affinity x",
            "vrrp_cpu_affinity 3-1",
            "vrrp_cpu_affinity 1024",
            "vrrp_cpu_affinity",
        ] {
            let (config, diagnostics) = parse(&format!("global_defs {{\n {line}\n}}\n"));
            let errors = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            assert_eq!(errors, 1, "{line}: {diagnostics:?}");
            assert!(config.global_defs.scheduling.vrrp.is_default(), "{line}");
            assert!(config.global_defs.scheduling.checker.is_default(), "{line}");
        }
    }

    // Input: the BFD process's keywords (the BFD process is not part of keel yet).
    // Output: parsed, and still reported as "not supported yet".
    #[test]
    fn bfd_settings_are_parsed_but_not_supported_yet() {
        let (config, _) = parse("global_defs {\n bfd_rt_priority 7\n}\n");
        assert_eq!(config.global_defs.scheduling.bfd.rt_priority, Some(7));
        assert_eq!(config.not_supported.len(), 1);
        assert_eq!(config.not_supported[0].keyword, "bfd_rt_priority");
    }

    // Input: process_names, process_name, vrrp_process_name, lvs_process_name (the
    // deprecated spelling of checker_process_name).
    // Output: typed names; none of them reported as "not supported yet".
    #[test]
    fn process_names_are_typed_and_supported() {
        let (config, _) = parse(
            "global_defs {\n process_names\n process_name ka\n vrrp_process_name ka_v\n \
             lvs_process_name ka_c\n}\n",
        );
        let s = &config.global_defs.scheduling;
        assert!(s.process_names);
        assert_eq!(s.process_name.as_deref(), Some("ka"));
        assert_eq!(s.vrrp.name.as_deref(), Some("ka_v"));
        assert_eq!(s.checker.name.as_deref(), Some("ka_c"));
        assert!(s.vrrp.is_default() && s.checker.is_default());
        assert!(
            config.not_supported.is_empty(),
            "{:?}",
            config.not_supported
        );
    }

    // Input: a configuration with scheduling settings, printed and parsed again.
    // Output: the same settings.
    #[test]
    fn printed_settings_parse_back_equal() {
        let (config, _) = parse(
            "global_defs {\n vrrp_priority -5\n checker_rt_priority 9\n checker_rlimit_rttime 500\n \
             bfd_no_swap\n vrrp_cpu_affinity 0 3\n process_names\n process_name p\n \
             checker_process_name c\n}\n",
        );
        let text = crate::print::print(&config);
        let (again, _) = parse(&text);
        assert_eq!(again.global_defs.scheduling, config.global_defs.scheduling);
    }
}
