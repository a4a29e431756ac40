//! Process names (`global_defs` `process_names`, `process_name`, `vrrp_process_name`,
//! `checker_process_name`; spec §2.3), what `ps -o comm`, `top` and `pgrep` show.
//!
//! keepalived names its parent `process_name` and its children `vrrp_process_name`,
//! `checker_process_name` (*dep* `lvs_process_name`) and `bfd_process_name`; a bare
//! `process_names` sets the children's defaults `keepalived_vrrp`, `keepalived_lvs` and
//! `keepalived_bfd`. A later keyword overrides an earlier one. keel runs VRRP in its main
//! process, so that process takes the VRRP name when there is one (what an operator's
//! `pgrep keepalived_vrrp` looks for), else the parent's; the checker process takes the
//! checker name, and `keel -C` alone falls back to the parent's.

use keel_conf::model::RawKeyword;

/// Linux keeps 15 bytes of a name (TASK_COMM_LEN 16 with the NUL); keepalived truncates
/// longer names the same way.
const COMM_LEN: usize = 15;

/// Which keel process is naming itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The daemon: keepalived's parent and VRRP child in one process.
    Daemon,
    /// The checker child the daemon started.
    CheckerChild,
    /// `keel -C` on its own: parent and checker in one process.
    CheckerAlone,
}

/// The names the configuration asks for, in keyword order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Names {
    parent: Option<String>,
    vrrp: Option<String>,
    checker: Option<String>,
}

impl Names {
    fn read(global: &[RawKeyword]) -> Names {
        let mut names = Names::default();
        for keyword in global {
            let argument = || keyword.args.first().cloned();
            match keyword.keyword.as_str() {
                "process_names" => {
                    names.vrrp = Some("keepalived_vrrp".into());
                    names.checker = Some("keepalived_lvs".into());
                }
                "process_name" => names.parent = argument().or(names.parent),
                "vrrp_process_name" => names.vrrp = argument().or(names.vrrp),
                "checker_process_name" | "lvs_process_name" => {
                    names.checker = argument().or(names.checker)
                }
                _ => {}
            }
        }
        names
    }
}

/// The name `role` should run under, or `None` to keep the executable's name.
pub fn wanted(global: &[RawKeyword], role: Role) -> Option<String> {
    let names = Names::read(global);
    let name = match role {
        Role::Daemon => names.vrrp.or(names.parent),
        Role::CheckerChild => names.checker,
        Role::CheckerAlone => names.checker.or(names.parent),
    }?;
    let mut end = name.len().min(COMM_LEN);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    Some(name[..end].to_owned())
}

/// Names the calling thread — the process's main thread when called from `main`'s thread,
/// which is the name the process shows.
pub fn apply(name: &str) -> std::io::Result<()> {
    let mut buffer = [0u8; COMM_LEN + 1];
    let bytes = name.as_bytes();
    let length = bytes.len().min(COMM_LEN);
    buffer[..length].copy_from_slice(&bytes[..length]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes; `buffer` is
    // 16 bytes and its last byte is always NUL.
    if unsafe { libc::prctl(libc::PR_SET_NAME, buffer.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Applies the configured name for `role`, if any; a failure is only logged by the caller.
pub fn set_for(global: &[RawKeyword], role: Role) -> std::io::Result<()> {
    match wanted(global, role) {
        Some(name) => apply(&name),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(keyword: &str, args: &[&str]) -> RawKeyword {
        RawKeyword {
            keyword: keyword.into(),
            args: args.iter().map(|arg| arg.to_string()).collect(),
        }
    }

    // Input: nothing. Output: every process keeps the executable's name.
    #[test]
    fn no_keywords_keep_the_executable_name() {
        for role in [Role::Daemon, Role::CheckerChild, Role::CheckerAlone] {
            assert_eq!(wanted(&[], role), None);
        }
    }

    // Input: `process_names`. Output: keepalived's defaults, keepalived_vrrp for the daemon
    // and keepalived_lvs for the checker.
    #[test]
    fn process_names_gives_keepalived_defaults() {
        let global = [raw("process_names", &[])];
        assert_eq!(
            wanted(&global, Role::Daemon).as_deref(),
            Some("keepalived_vrrp")
        );
        assert_eq!(
            wanted(&global, Role::CheckerChild).as_deref(),
            Some("keepalived_lvs")
        );
    }

    // Input: `process_names`, then `vrrp_process_name vr` and the deprecated
    // `lvs_process_name lv`; separately `process_name ka` alone.
    // Output: the later keywords win; with only the parent's name the daemon and `keel -C`
    // alone take it, the checker child does not.
    #[test]
    fn later_keywords_override_and_the_parent_name_is_a_fallback() {
        let global = [
            raw("process_names", &[]),
            raw("vrrp_process_name", &["vr"]),
            raw("lvs_process_name", &["lv"]),
        ];
        assert_eq!(wanted(&global, Role::Daemon).as_deref(), Some("vr"));
        assert_eq!(wanted(&global, Role::CheckerChild).as_deref(), Some("lv"));
        let global = [raw("process_name", &["ka"])];
        assert_eq!(wanted(&global, Role::Daemon).as_deref(), Some("ka"));
        assert_eq!(wanted(&global, Role::CheckerAlone).as_deref(), Some("ka"));
        assert_eq!(wanted(&global, Role::CheckerChild), None);
    }

    // Input: a 20-character name. Output: its first 15 bytes, as the kernel keeps them.
    #[test]
    fn long_names_are_truncated_to_fifteen_bytes() {
        let global = [raw("checker_process_name", &["abcdefghijklmnopqrst"])];
        assert_eq!(
            wanted(&global, Role::CheckerChild).as_deref(),
            Some("abcdefghijklmno")
        );
    }
}
