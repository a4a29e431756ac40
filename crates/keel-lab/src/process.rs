//! Child processes: a kill-on-drop guard, the child subreaper and zombie reaping.

use std::process::Child;

/// Makes the calling process a child subreaper (`PR_SET_CHILD_SUBREAPER`).
///
/// A harness that starts daemons which fork (or are SIGKILLed mid-fork) then inherits their
/// orphans and can reap them with [`reap_zombies`]; otherwise a restarted daemon may find its
/// old pid "alive" as a zombie (LAB-NOTES).
pub fn become_subreaper() {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes a plain integer argument.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(
        rc,
        0,
        "PR_SET_CHILD_SUBREAPER: {}",
        std::io::Error::last_os_error()
    );
}

/// Reaps every child that has already exited, without blocking; returns how many.
///
/// Only call it from a harness whose own `Child` handles are not waited on elsewhere, since
/// it reaps any child.
pub fn reap_zombies() -> usize {
    let mut reaped = 0;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only into `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            return reaped;
        }
        reaped += 1;
    }
}

/// A child process that is killed (SIGKILL) and reaped when the guard is dropped.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
}

impl ChildGuard {
    /// Guards `child`.
    pub fn new(child: Child) -> ChildGuard {
        ChildGuard { child }
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The guarded child, e.g. to send it input or wait for it.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
