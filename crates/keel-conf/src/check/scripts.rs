//! Script users and script security (spec §3.14), as keepalived 2.2.7 applies them.
//!
//! Observed with `keepalived -t` 2.2.7:
//! - no `script_user` and no `keepalived_script` user: scripts run as root; if any script
//!   remains and `enable_script_security` is off, "SECURITY VIOLATION - scripts are being
//!   executed but script_security not enabled." and exit 6;
//! - the same with `enable_script_security`: "Unable to set default user keepalived_script
//!   for script", and a vrrp_script is removed (exit 5);
//! - `script_user` naming a missing user: "Error setting global script uid/gid" (exit 5);
//! - a vrrp_script whose program is missing: "Disabling track script X since not
//!   found/accessible" (exit 5); a notify script in the same case is dropped silently;
//! - with script security, a root script whose file or a directory above it is writable
//!   by others: "Disabling track script X due to insecure" (exit 5; notify: silent).

use std::path::{Path, PathBuf};

use crate::diag::{Class, Diagnostic};
use crate::model::{Config, Script};
use crate::source::{FileSystem, Host, Span};

/// Who runs scripts that name no user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultUser {
    /// This uid/gid (`script_user` or `keepalived_script`, or root).
    Uid(u32, u32),
    /// No usable default: scripts without their own user are removed.
    Unavailable,
}

/// What a script is, for keepalived's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// A `vrrp_script` that an instance or group tracks (removal is reported).
    VrrpScript,
    /// A `vrrp_script` nothing tracks: keepalived drops it without a word when it cannot
    /// run, but counts it as a root script when it can.
    UnusedVrrpScript,
    /// A notify or FIFO script (dropped silently).
    Notify,
}

/// The outcome of checking one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptVerdict {
    /// Runs as this uid.
    Runs {
        /// The uid it runs as (0 = root).
        uid: u32,
    },
    /// Will not run; the diagnostics say why.
    Removed,
}

/// The default script user (keepalived's `set_default_script_user`).
pub fn default_user(config: &Config, host: &dyn Host, out: &mut Vec<Diagnostic>) -> DefaultUser {
    let g = &config.global_defs;
    match &g.script_user {
        Some(user) => match lookup(host, &user.user, user.group.as_deref()) {
            Some((uid, gid)) => DefaultUser::Uid(uid, gid),
            None => {
                out.push(
                    Diagnostic::error(None, "Error setting global script uid/gid").with_help(
                        format!(
                            "user '{}' (or its group) does not exist on this machine",
                            user.user
                        ),
                    ),
                );
                DefaultUser::Unavailable
            }
        },
        None => match host.user("keepalived_script") {
            Some((uid, gid)) => DefaultUser::Uid(uid, gid),
            None if g.enable_script_security => DefaultUser::Unavailable,
            None => DefaultUser::Uid(0, 0),
        },
    }
}

/// Checks scripts the way keepalived does before it would run them. The LVS side uses it
/// for MISC_CHECK and quorum scripts.
pub struct ScriptChecker<'a> {
    /// Files (existence, permissions).
    pub fs: &'a dyn FileSystem,
    /// Users, groups, `PATH`.
    pub host: &'a dyn Host,
    /// The default script user.
    pub default: DefaultUser,
    /// `enable_script_security`.
    pub security: bool,
    /// Whether `script_user` was written (changes keepalived's message).
    pub script_user_set: bool,
}

impl<'a> ScriptChecker<'a> {
    /// The checker for `config` on this machine; reports a bad `script_user`.
    pub fn new(
        config: &Config,
        fs: &'a dyn FileSystem,
        host: &'a dyn Host,
        out: &mut Vec<Diagnostic>,
    ) -> Self {
        ScriptChecker {
            fs,
            host,
            default: default_user(config, host, out),
            security: config.global_defs.enable_script_security,
            script_user_set: config.global_defs.script_user.is_some(),
        }
    }

    /// Checks one script: its user, its program and (with script security) its permissions.
    pub fn check(
        &self,
        script: &Script,
        kind: ScriptKind,
        label: &str,
        out: &mut Vec<Diagnostic>,
    ) -> ScriptVerdict {
        let (fs, host, default) = (self.fs, self.host, self.default);
        let span = script.span.0;
        let uid = match &script.user {
            Some(user) => match lookup(host, user, script.group.as_deref()) {
                Some((uid, _)) => uid,
                None => {
                    let message = format!("failed to set uid/gid for {label} - removing");
                    let help =
                        format!("user '{user}' (or its group) does not exist on this machine");
                    // keepalived 2.2.7 drops a notify script with an unknown user silently.
                    out.push(
                        match kind {
                            ScriptKind::VrrpScript => Diagnostic::error(span, message),
                            _ => Diagnostic::note(span, message),
                        }
                        .with_help(help),
                    );
                    return ScriptVerdict::Removed;
                }
            },
            None => match default {
                DefaultUser::Uid(uid, _) => uid,
                DefaultUser::Unavailable => {
                    if !self.script_user_set {
                        out.push(
                            Diagnostic::error(span, "Unable to set default user keepalived_script for script")
                                .with_help("create the keepalived_script user, or set script_user in global_defs"),
                        );
                    }
                    if kind == ScriptKind::VrrpScript {
                        out.push(Diagnostic::error(
                            span,
                            format!("Unable to set default user for {label} - removing"),
                        ));
                    }
                    return ScriptVerdict::Removed;
                }
            },
        };
        let Some(program) = resolve(fs, host, &script.command[0]) else {
            if kind == ScriptKind::VrrpScript {
                out.push(
                    Diagnostic::error(
                        span,
                        format!("Disabling {label} since not found/accessible"),
                    )
                    .with_help(format!("'{}' is not an executable file", script.command[0])),
                );
            } else {
                out.push(Diagnostic::note(
                    span,
                    format!(
                        "{label}: '{}' not found, it will not run",
                        script.command[0]
                    ),
                ));
            }
            return ScriptVerdict::Removed;
        };
        if uid == 0 && self.security {
            if let Some(unsafe_path) = writable_by_others(fs, &program) {
                let help = format!("{} is writable by a non-root user", unsafe_path.display());
                if kind == ScriptKind::VrrpScript {
                    out.push(
                        Diagnostic::error(span, format!("Disabling {label} due to insecure"))
                            .with_help(help),
                    );
                } else {
                    out.push(
                        Diagnostic::note(
                            span,
                            format!("Unsafe permissions found for {label}, it will not run"),
                        )
                        .with_help(help),
                    );
                }
                return ScriptVerdict::Removed;
            }
        }
        ScriptVerdict::Runs { uid }
    }
}

/// Runs the script checks over the VRRP side and the global scripts, removing the
/// vrrp_scripts that cannot run, and reports running root scripts without security.
pub(super) fn check(
    config: &mut Config,
    fs: &dyn FileSystem,
    host: &dyn Host,
    out: &mut Vec<Diagnostic>,
) {
    let checker = ScriptChecker::new(config, fs, host, out);
    let mut root_scripts = 0usize;
    let mut first_root: Option<Span> = None;
    let mut count = |verdict: &ScriptVerdict, span: Option<Span>| {
        if *verdict == (ScriptVerdict::Runs { uid: 0 }) {
            root_scripts += 1;
            first_root = first_root.or(span);
        }
    };

    let tracked: std::collections::HashSet<String> = config
        .vrrp
        .instances
        .iter()
        .map(|i| &i.tracking)
        .chain(config.vrrp.sync_groups.iter().map(|g| &g.tracking))
        .flat_map(|t| t.track_script.iter().map(|r| r.name.clone()))
        .collect();
    let scripts = std::mem::take(&mut config.vrrp.scripts);
    let mut kept = Vec::with_capacity(scripts.len());
    for script in scripts {
        let label = format!("track script {}", script.name);
        let mut effective = script.script.clone();
        if let Some(user) = &script.user {
            effective.user = Some(user.user.clone());
            effective.group = user.group.clone();
        }
        let kind = if tracked.contains(&script.name) {
            ScriptKind::VrrpScript
        } else {
            ScriptKind::UnusedVrrpScript
        };
        let verdict = checker.check(&effective, kind, &label, out);
        count(&verdict, script.script.span.0);
        if verdict != ScriptVerdict::Removed {
            kept.push(script);
        }
    }
    config.vrrp.scripts = kept;

    let mut notify: Vec<(String, Script)> = Vec::new();
    for instance in &config.vrrp.instances {
        for script in notify_scripts(&instance.notify) {
            notify.push((
                format!("notify script of ({})", instance.name),
                script.clone(),
            ));
        }
        if let Some(script) = instance
            .notify_deleted
            .as_ref()
            .and_then(|d| d.script.as_ref())
        {
            notify.push((
                format!("notify script of ({})", instance.name),
                script.clone(),
            ));
        }
    }
    for group in &config.vrrp.sync_groups {
        for script in notify_scripts(&group.notify) {
            notify.push((
                format!("notify script of sync group {}", group.name),
                script.clone(),
            ));
        }
    }
    let g = &config.global_defs;
    for (what, script) in [
        ("startup_script", &g.startup_script),
        ("shutdown_script", &g.shutdown_script),
    ] {
        if let Some(script) = script {
            notify.push((what.to_owned(), script.clone()));
        }
    }
    for (keyword, script) in &g.fifo_scripts {
        notify.push((keyword.clone(), script.clone()));
    }
    for (label, script) in &notify {
        let verdict = checker.check(script, ScriptKind::Notify, label, out);
        count(&verdict, script.span.0);
    }

    if root_scripts > 0 && !config.global_defs.enable_script_security {
        out.push(
            Diagnostic::warning(
                first_root,
                "SECURITY VIOLATION - scripts are being executed but script_security not enabled.",
            )
            .with_class(Class::ScriptSecurity)
            .with_help("set `enable_script_security` and a `script_user` in global_defs"),
        );
    }
}

fn notify_scripts(notify: &crate::model::vrrp::Notify) -> impl Iterator<Item = &Script> {
    [
        &notify.notify_master,
        &notify.notify_backup,
        &notify.notify_fault,
        &notify.notify_stop,
        &notify.notify,
        &notify.notify_master_rx_lower_pri,
    ]
    .into_iter()
    .flatten()
}

fn lookup(host: &dyn Host, user: &str, group: Option<&str>) -> Option<(u32, u32)> {
    let (uid, gid) = host.user(user)?;
    match group {
        Some(group) => host.group(group).map(|gid| (uid, gid)),
        None => Some((uid, gid)),
    }
}

/// The executable a command names: an absolute or relative path as is, a bare name
/// through `PATH` (spec §1.1 "relative names PATH-resolved").
fn resolve(fs: &dyn FileSystem, host: &dyn Host, program: &str) -> Option<PathBuf> {
    let executable = |path: &Path| {
        fs.info(path)
            .is_some_and(|i| !i.is_dir && i.mode & 0o111 != 0)
    };
    if program.contains('/') {
        let path = PathBuf::from(program);
        return executable(&path).then_some(path);
    }
    host.path_dirs()
        .into_iter()
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

/// The first of the file and its directories that a non-root user could change.
fn writable_by_others(fs: &dyn FileSystem, program: &Path) -> Option<PathBuf> {
    program
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .find_map(|path| {
            let info = fs.info(path)?;
            let unsafe_owner = info.uid != 0;
            let group_writable = info.mode & 0o020 != 0 && info.gid != 0;
            let other_writable = info.mode & 0o002 != 0;
            (unsafe_owner || group_writable || other_writable).then(|| path.to_path_buf())
        })
}
