//! LVS cross-checks that need the whole file: groups referenced by virtual servers and
//! the script security of checker scripts (spec §3.14).

use crate::check::{ScriptChecker, ScriptKind, ScriptVerdict};
use crate::diag::{Class, Diagnostic};
use crate::model::lvs::{CheckerKind, GroupEntry, Method, Service};
use crate::model::{Config, Script};
use crate::source::{FileSystem, Host};

/// Runs the LVS checks that need every root block; fixes `config` up as keepalived does.
pub fn check(config: &mut Config, fs: &dyn FileSystem, host: &dyn Host) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let lvs = &mut config.lvs;
    for vs in &mut lvs.virtual_servers {
        let Service::Group { name } = &vs.service else {
            continue;
        };
        let here = vs.loc.0;
        match lvs.virtual_server_groups.iter().find(|g| &g.name == name) {
            // keepalived 2.2.7 says nothing in `-t` (exit 0); the service programs nothing.
            None => out.push(
                Diagnostic::note(here, format!("virtual_server_group {name} is not defined"))
                    .with_help("this virtual server serves no address"),
            ),
            Some(group) => {
                let zero = group
                    .entries
                    .iter()
                    .any(|e| matches!(e, GroupEntry::Range { port: 0, .. }));
                // DR/TUN real servers must use the group's ports.
                for rs in &vs.real_servers {
                    let method = rs.lvs_method.unwrap_or(vs.lvs_method);
                    if !matches!(method, Method::Dr | Method::Tun { .. }) || rs.port == 0 {
                        continue;
                    }
                    let differs = group.entries.iter().any(|e| {
                        matches!(e, GroupEntry::Range { port, .. } if *port != 0 && *port != rs.port)
                    });
                    if differs {
                        out.push(Diagnostic::warning(
                            rs.loc.0,
                            format!(
                                "virtual server [{name}] and real server [{}]:{} ports don't match",
                                rs.address, rs.port
                            ),
                        ));
                    }
                }
                if zero && vs.persistence_timeout.is_none() {
                    out.push(
                        Diagnostic::warning(
                            here,
                            format!(
                                "virtual server [{name}]:0: zero port only valid for persistent services - setting"
                            ),
                        )
                        .with_help("give the group's addresses a port, or add `persistence_timeout`"),
                    );
                    vs.persistence_timeout = Some(super::value::DEFAULT_PERSISTENCE);
                }
            }
        }
    }
    scripts(config, fs, host, &mut out);
    out
}

/// Checker scripts (`quorum_up/down`, `notify_up/down`, `misc_path`) through the same
/// two steps as the VRRP scripts (spec §3.14): a script without a usable user, or whose
/// program is missing or unsafe, is removed quietly (keepalived 2.2.7 logs it, exit 0); a
/// remaining root script without `enable_script_security` gives exit 6. keepalived `-t`
/// cannot look into another network namespace, so it skips this there.
fn scripts(config: &mut Config, fs: &dyn FileSystem, host: &dyn Host, out: &mut Vec<Diagnostic>) {
    if config.root.net_namespace.is_some() {
        return;
    }
    // The global script_user problem is reported by the VRRP checks already.
    let mut repeated = Vec::new();
    let checker = ScriptChecker::new(config, fs, host, &mut repeated);
    let mut root = None;
    // keepalived 2.2.7 reports a MISC_CHECK script without a usable user (exit 5) but
    // drops quorum and notify scripts quietly; a missing program is quiet for all.
    let mut keep = |script: &Script, kind: ScriptKind, label: &str, out: &mut Vec<Diagnostic>| {
        let Some(uid) = checker.user(script, kind, label, out) else {
            return false;
        };
        match checker.file(script, uid, ScriptKind::Notify, label, out) {
            ScriptVerdict::Runs(uid) => {
                if uid == 0 && root.is_none() {
                    root = Some(script.span.0);
                }
                true
            }
            ScriptVerdict::Removed => false,
        }
    };
    for vs in &mut config.lvs.virtual_servers {
        for slot in [&mut vs.quorum_up, &mut vs.quorum_down] {
            if let Some(script) = slot.as_ref() {
                let label = format!("quorum script of virtual server {}", vs.service);
                if !keep(script, ScriptKind::Notify, &label, out) {
                    *slot = None;
                }
            }
        }
        for rs in &mut vs.real_servers {
            for slot in [&mut rs.notify_up, &mut rs.notify_down] {
                if let Some(script) = slot.as_ref() {
                    let label =
                        format!("notify script of real server [{}]:{}", rs.address, rs.port);
                    if !keep(script, ScriptKind::Notify, &label, out) {
                        *slot = None;
                    }
                }
            }
            rs.checkers.retain(|c| match &c.kind {
                CheckerKind::Misc(misc) => {
                    let label = format!("misc script '{}'", misc.misc_path.command.join(" "));
                    keep(&misc.misc_path, ScriptKind::VrrpScript, &label, out)
                }
                _ => true,
            });
        }
    }
    if let Some(span) = root {
        if !config.global_defs.enable_script_security {
            out.push(
                Diagnostic::warning(
                    span,
                    "SECURITY VIOLATION - check scripts are being executed but script_security not enabled.",
                )
                .with_class(Class::ScriptSecurity)
                .with_help("set `enable_script_security` and a `script_user` in global_defs"),
            );
        }
    }
}
