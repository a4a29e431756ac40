//! Script users and script security (spec §3.14), as keepalived 2.2.7 applies them.
//!
//! keepalived checks scripts in two steps, and `-t` shows both (observed with 2.2.7):
//!
//! 1. While parsing, each script gets its user. No `script_user` and no
//!    `keepalived_script` user means root; with `enable_script_security` that is refused
//!    ("Unable to set default user keepalived_script for script") and a vrrp_script is
//!    removed. A `script_user` naming a missing user gives "Error setting global script
//!    uid/gid". A notify script naming a missing user is dropped silently.
//! 2. After parsing, and only if every interface exists: a vrrp_script whose program is
//!    missing is disabled ("Disabling track script X since not found/accessible"), and
//!    with script security a root script whose file or a directory above it is writable
//!    by others is disabled ("... due to insecure"); notify scripts in those cases are
//!    dropped silently. If a root script remains without `enable_script_security`:
//!    "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
//!    and `-t` exits 6.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diag::{Class, Diagnostic};
use crate::model::vrrp::Notify;
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
    /// A `vrrp_script` nothing tracks: keepalived drops it without a word when its program
    /// is missing, but counts it as a root script when it can run.
    UnusedVrrpScript,
    /// A notify, FIFO, startup or shutdown script (dropped silently).
    Notify,
}

impl ScriptKind {
    fn reported(self) -> bool {
        self == ScriptKind::VrrpScript
    }
}

/// The outcome of checking one script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptVerdict {
    /// Runs as this uid (0 = root).
    Runs(u32),
    /// Will not run; the diagnostics say why.
    Removed,
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

    /// Step 1: the uid the script runs as, or `None` (reported) when it has none.
    pub fn user(
        &self,
        script: &Script,
        kind: ScriptKind,
        label: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<u32> {
        let span = script.span.0;
        match &script.user {
            Some(user) => match lookup(self.host, user, script.group.as_deref()) {
                Some((uid, _)) => Some(uid),
                None => {
                    let message = format!("failed to set uid/gid for {label} - removing");
                    let diagnostic = if kind.reported() {
                        Diagnostic::error(span, message)
                    } else {
                        Diagnostic::note(span, message)
                    };
                    out.push(diagnostic.with_help(format!(
                        "user '{user}' (or its group) does not exist on this machine"
                    )));
                    None
                }
            },
            None => match self.default {
                DefaultUser::Uid(uid, _) => Some(uid),
                DefaultUser::Unavailable => {
                    if !self.script_user_set {
                        out.push(
                            Diagnostic::error(span, "Unable to set default user keepalived_script for script")
                                .with_help("create the keepalived_script user, or set script_user in global_defs"),
                        );
                    }
                    if kind.reported() {
                        out.push(Diagnostic::error(
                            span,
                            format!("Unable to set default user for {label} - removing"),
                        ));
                    }
                    None
                }
            },
        }
    }

    /// Step 2: whether the program exists and (for root with script security) is safe.
    pub fn file(
        &self,
        script: &Script,
        uid: u32,
        kind: ScriptKind,
        label: &str,
        out: &mut Vec<Diagnostic>,
    ) -> ScriptVerdict {
        let span = script.span.0;
        let Some(program) = script.command.first() else {
            out.push(Diagnostic::error(
                span,
                format!("{label} has an empty command"),
            ));
            return ScriptVerdict::Removed;
        };
        let Some(path) = resolve(self.fs, self.host, program) else {
            let message = format!("Disabling {label} since not found/accessible");
            let diagnostic = if kind.reported() {
                Diagnostic::error(span, message)
            } else {
                Diagnostic::note(span, message)
            };
            out.push(diagnostic.with_help(format!("'{program}' is not an executable file")));
            return ScriptVerdict::Removed;
        };
        if uid == 0 && self.security {
            if let Some(unsafe_path) = writable_by_others(self.fs, &path) {
                let message = format!("Disabling {label} due to insecure permissions");
                let diagnostic = if kind.reported() {
                    Diagnostic::error(span, message)
                } else {
                    Diagnostic::note(span, message)
                };
                out.push(diagnostic.with_help(format!(
                    "{} is writable by a non-root user",
                    unsafe_path.display()
                )));
                return ScriptVerdict::Removed;
            }
        }
        ScriptVerdict::Runs(uid)
    }
}

/// The default script user (keepalived's `set_default_script_user`).
pub fn default_user(config: &Config, host: &dyn Host, out: &mut Vec<Diagnostic>) -> DefaultUser {
    let g = &config.global_defs;
    match &g.script_user {
        Some(user) => match lookup(host, &user.user, user.group.as_deref()) {
            Some((uid, gid)) => DefaultUser::Uid(uid, gid),
            None => {
                out.push(
                    Diagnostic::error(g.script_user_loc.0, "Error setting global script uid/gid")
                        .with_help(format!(
                            "user '{}' (or its group) does not exist on this machine",
                            user.user
                        )),
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

/// Which script of the configuration an entry of [`Scripts`] is.
#[derive(Debug, Clone)]
enum Slot {
    VrrpScript(String),
    Other,
}

/// The scripts that passed step 1, with their uid, waiting for step 2.
pub(super) struct Scripts {
    entries: Vec<(Slot, Script, ScriptKind, String, u32)>,
}

/// Step 1 over the whole configuration: removes the vrrp_scripts without a user.
pub(super) fn users(
    config: &mut Config,
    fs: &dyn FileSystem,
    host: &dyn Host,
    out: &mut Vec<Diagnostic>,
) -> Scripts {
    let checker = ScriptChecker::new(config, fs, host, out);
    let tracked: HashSet<String> = config
        .vrrp
        .instances
        .iter()
        .map(|i| &i.tracking)
        .chain(config.vrrp.sync_groups.iter().map(|g| &g.tracking))
        .flat_map(|t| t.track_script.iter().map(|r| r.name.clone()))
        .collect();
    let mut entries = Vec::new();
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
        if let Some(uid) = checker.user(&effective, kind, &label, out) {
            entries.push((
                Slot::VrrpScript(script.name.clone()),
                effective,
                kind,
                label,
                uid,
            ));
            kept.push(script);
        }
    }
    config.vrrp.scripts = kept;

    for (label, script) in other_scripts(config) {
        if let Some(uid) = checker.user(&script, ScriptKind::Notify, &label, out) {
            entries.push((Slot::Other, script, ScriptKind::Notify, label, uid));
        }
    }
    Scripts { entries }
}

/// Step 2: programs and permissions; removes vrrp_scripts that cannot run (and the
/// references to them, silently, as keepalived does) and reports root scripts.
pub(super) fn files(
    config: &mut Config,
    fs: &dyn FileSystem,
    host: &dyn Host,
    scripts: Scripts,
    out: &mut Vec<Diagnostic>,
) {
    let mut quiet = Vec::new();
    let checker = ScriptChecker::new(config, fs, host, &mut quiet);
    let mut removed = HashSet::new();
    // The first root script, with its span if it has one.
    let mut root: Option<Option<Span>> = None;
    for (slot, script, kind, label, uid) in &scripts.entries {
        match checker.file(script, *uid, *kind, label, out) {
            ScriptVerdict::Runs(0) => {
                if root.is_none() {
                    root = Some(script.span.0);
                }
            }
            ScriptVerdict::Runs(_) => {}
            ScriptVerdict::Removed => {
                if let Slot::VrrpScript(name) = slot {
                    removed.insert(name.clone());
                }
            }
        }
    }
    config.vrrp.scripts.retain(|s| !removed.contains(&s.name));
    for tracking in config
        .vrrp
        .instances
        .iter_mut()
        .map(|i| &mut i.tracking)
        .chain(config.vrrp.sync_groups.iter_mut().map(|g| &mut g.tracking))
    {
        tracking.track_script.retain(|r| !removed.contains(&r.name));
    }
    if let Some(span) = root {
        if !config.global_defs.enable_script_security {
            out.push(
                Diagnostic::warning(
                    span,
                    "SECURITY VIOLATION - scripts are being executed but script_security not enabled.",
                )
                .with_class(Class::ScriptSecurity)
                .with_help("set `enable_script_security` and a `script_user` in global_defs"),
            );
        }
    }
}

/// Every script that is not a vrrp_script, with a label for messages.
fn other_scripts(config: &Config) -> Vec<(String, Script)> {
    let mut scripts = Vec::new();
    for instance in &config.vrrp.instances {
        let label = format!("notify script of ({})", instance.name);
        scripts.extend(notify_scripts(&instance.notify).map(|s| (label.clone(), s.clone())));
        if let Some(script) = instance
            .notify_deleted
            .as_ref()
            .and_then(|d| d.script.as_ref())
        {
            scripts.push((label.clone(), script.clone()));
        }
    }
    for group in &config.vrrp.sync_groups {
        let label = format!("notify script of sync group {}", group.name);
        scripts.extend(notify_scripts(&group.notify).map(|s| (label.clone(), s.clone())));
    }
    let g = &config.global_defs;
    for (what, script) in [
        ("startup_script", &g.startup_script),
        ("shutdown_script", &g.shutdown_script),
    ] {
        if let Some(script) = script {
            scripts.push((what.to_owned(), script.clone()));
        }
    }
    scripts.extend(g.fifo_scripts.iter().cloned());
    scripts
}

fn notify_scripts(notify: &Notify) -> impl Iterator<Item = &Script> {
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

/// The executable a command names: a path as is, a bare name through `PATH` (spec §1.1
/// "relative names PATH-resolved").
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
