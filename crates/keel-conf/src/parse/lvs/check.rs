//! LVS cross-checks that need the whole file: groups referenced by virtual servers and
//! the script security of checker scripts (spec §3.14).

use std::path::Path;

use crate::diag::{Class, Diagnostic};
use crate::model::lvs::{GroupEntry, Method, Service};
use crate::model::{Config, Script};
use crate::source::{FileSystem, Host};

/// Runs the LVS checks that need every root block; fixes `config` up as keepalived does.
pub fn check(config: &mut Config, fs: &dyn FileSystem, host: &dyn Host) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Config {
        lvs, global_defs, ..
    } = config;
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
    // keepalived 2.2.7: checker scripts without enable_script_security give exit 6; a
    // script whose program is not found is disabled first and does not count.
    if !global_defs.enable_script_security {
        if let Some(script) = lvs.scripts().find(|s| runnable(s, fs, host)) {
            out.push(
                Diagnostic::warning(
                    script.span.0,
                    "SECURITY VIOLATION - check scripts are being executed but script_security not enabled",
                )
                .with_class(Class::ScriptSecurity)
                .with_help("add `enable_script_security` to global_defs"),
            );
        }
    }
    out
}

/// Whether the script's program exists: an absolute or relative path as written, or a
/// bare name found in `PATH`.
fn runnable(script: &Script, fs: &dyn FileSystem, host: &dyn Host) -> bool {
    let Some(program) = script.command.first() else {
        return false;
    };
    let is_file = |path: &Path| fs.info(path).is_some_and(|info| !info.is_dir);
    if program.contains('/') {
        is_file(Path::new(program))
    } else {
        host.path_dirs()
            .iter()
            .any(|dir| is_file(&dir.join(program)))
    }
}
