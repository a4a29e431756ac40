//! `fifo_write_vrrp_states_on_reload` (spec §2.3): after a reload, every instance's and
//! sync group's current state goes to the notify FIFO again, in the lines a transition
//! writes (`INSTANCE "VI_1" MASTER 150`, `GROUP "G" MASTER 0`), so a FIFO reader that
//! missed the reload, or was restarted with it, learns where things stand.

use keel_conf::model::RawKeyword;

use super::Daemon;
use crate::daemon::log;

impl Daemon {
    /// Writes the current states when the configuration asks for it; call once a reload
    /// has been applied and the FIFO (re)opened.
    pub(super) fn write_states_after_reload(&mut self) {
        let global = &self.source.global_defs.other;
        if !RawKeyword::flag(global, "fifo_write_vrrp_states_on_reload").unwrap_or(false) {
            return;
        }
        let Some(fifo) = &mut self.fifo else {
            return;
        };
        let instances = self.router.instances().iter().map(|instance| {
            keel_sys::fifo::instance_line(
                instance.name(),
                instance.state().as_str(),
                instance.effective_priority(),
            )
        });
        let groups = self
            .router
            .groups()
            .iter()
            .map(|group| keel_sys::fifo::group_line(group.name(), group.state().as_str()));
        for line in instances.chain(groups) {
            if let Err(error) = fifo.write_line(&line) {
                log::warn(&format!("notify FIFO: {error}"));
            }
        }
    }
}
