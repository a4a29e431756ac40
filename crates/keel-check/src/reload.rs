//! Reload (keepalived `clear_diff_services` / `migrate_checkers`): what still exists keeps
//! its state, what is new starts fresh, what is gone is retired with its notifiers.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::action::{Action, CheckerId, CheckerPath, NotifyEvent, SmtpAlert};
use crate::events::{create_checker, init_real_server, set_rs_alive, update_quorum};
use crate::instance::Checks;
use crate::state::{Checker, CheckerPlan, VirtualServer};

pub(crate) fn reload_virtual_server(
    checks: &mut Checks,
    now: Instant,
    vs: usize,
    old: &VirtualServer,
    plans: Vec<Vec<CheckerPlan>>,
    old_checkers: &mut BTreeMap<CheckerId, Checker>,
) {
    {
        let new = &mut checks.virtual_servers[vs];
        new.quorum_up = old.quorum_up;
        new.sorry_active = old.sorry_active && new.sorry.is_some();
        if old.sorry_active && new.sorry.is_none() {
            checks.lb_changed = true;
        }
    }
    let mut kept_rs = vec![false; old.real_servers.len()];
    // Servers that come up through the reload; they are announced once every server has its
    // state back, so the quorum is judged on the whole pool.
    let mut revived = Vec::new();
    for (rs, rs_plans) in plans.into_iter().enumerate() {
        let (address, port) = {
            let new_rs = &checks.virtual_servers[vs].real_servers[rs];
            (new_rs.config.address, new_rs.port)
        };
        let old_rs_index = old
            .real_servers
            .iter()
            .position(|o| o.config.address == address && o.port == port);
        let Some(old_rs_index) = old_rs_index else {
            for plan in rs_plans {
                create_checker(checks, now, vs, rs, plan);
            }
            init_real_server(checks, vs, rs);
            continue;
        };
        kept_rs[old_rs_index] = true;
        let old_rs = &old.real_servers[old_rs_index];
        {
            let new_rs = &mut checks.virtual_servers[vs].real_servers[rs];
            new_rs.alive = old_rs.alive;
            new_rs.dynamic_weight = old_rs.dynamic_weight;
        }
        // Take over checkers whose probe is unchanged, in order.
        let mut available: Vec<CheckerId> = old_rs.checkers.clone();
        let mut fresh = Vec::new();
        for plan in rs_plans {
            let matched = available.iter().position(|id| {
                old_checkers
                    .get(id)
                    .is_some_and(|c| c.probe == plan.probe && c.destination == plan.destination)
            });
            match matched {
                Some(position) => {
                    let id = available.remove(position);
                    let Some(mut checker) = old_checkers.remove(&id) else {
                        continue;
                    };
                    // keepalived migrate_checkers: an up checker keeps its failures only
                    // up to the new retry count; a down one needs a success.
                    checker.retry_it = checker.retry_it.min(plan.timing.retry);
                    let cadence_changed = checker.timing.delay_loop != plan.timing.delay_loop;
                    checker.vs = vs;
                    checker.rs = rs;
                    checker.path = CheckerPath {
                        virtual_server: vs,
                        real_server: rs,
                        checker: plan.index,
                    };
                    checker.probe = plan.probe;
                    checker.timing = plan.timing;
                    checker.alpha = plan.alpha;
                    if cadence_changed && !checker.running && checker.probe.kind.is_scheduled() {
                        checks.timers.set(id, now + checker.timing.delay_loop);
                    }
                    checks.checkers.insert(id, checker);
                    checks.virtual_servers[vs].real_servers[rs]
                        .checkers
                        .push(id);
                }
                None => fresh.push(plan),
            }
        }
        let any_failed = checks.virtual_servers[vs].real_servers[rs]
            .checkers
            .iter()
            .any(|id| checks.checkers.get(id).is_some_and(|c| !c.is_up));
        let any_run = checks.virtual_servers[vs].real_servers[rs]
            .checkers
            .iter()
            .any(|id| checks.checkers.get(id).is_some_and(|c| c.has_run));
        let was_alive = checks.virtual_servers[vs].real_servers[rs].alive;
        for plan in fresh {
            let id = create_checker(checks, now, vs, rs, plan);
            // keepalived: with a failure present (or a server not yet proven), new alpha
            // checkers start down; one failure is enough for any new checker.
            if let Some(checker) = checks.checkers.get_mut(&id)
                && !(any_failed || (!was_alive && !any_run))
                && checker.alpha
            {
                checker.is_up = true;
            }
        }
        let failed = checks.virtual_servers[vs].real_servers[rs]
            .checkers
            .iter()
            .filter(|id| checks.checkers.get(id).is_some_and(|c| !c.is_up))
            .count();
        checks.virtual_servers[vs].real_servers[rs].failed_checkers = failed;
        if failed == 0 && !was_alive {
            revived.push(rs);
        } else if failed > 0 && was_alive {
            checks.virtual_servers[vs].real_servers[rs].alive = false;
        }
    }
    for rs in revived {
        set_rs_alive(checks, vs, rs, true);
    }
    // Real servers that are gone: removed from the pool, notified if they were alive.
    for (old_rs_index, old_rs) in old.real_servers.iter().enumerate() {
        if kept_rs[old_rs_index] || !old_rs.alive {
            continue;
        }
        notify_removed_rs(checks, old, old_rs_index);
    }
    update_quorum(checks, vs, true);
}

pub(crate) fn retire_virtual_server(checks: &mut Checks, old: &VirtualServer) {
    for (rs, old_rs) in old.real_servers.iter().enumerate() {
        if old_rs.alive {
            notify_removed_rs(checks, old, rs);
        }
    }
    if old.quorum_up {
        let (script, line) = (
            old.config.quorum_down.clone(),
            format!("VS {} DOWN", old.name),
        );
        if let Some(script) = script {
            checks.push(Action::Notify {
                script,
                event: NotifyEvent::QuorumDown,
            });
        }
        checks.push(Action::FifoLine(line));
    }
}

/// keepalived `clear_service_rs` on reload: the removed server's down notifiers.
fn notify_removed_rs(checks: &mut Checks, old: &VirtualServer, rs: usize) {
    let old_rs = &old.real_servers[rs];
    if let Some(script) = old_rs.config.notify_down.clone() {
        checks.push(Action::Notify {
            script,
            event: NotifyEvent::RealServerDown,
        });
    }
    checks.push(Action::FifoLine(format!(
        "RS {} {} DOWN",
        old_rs.name, old.name
    )));
    if old_rs.smtp_alert {
        checks.push(Action::Smtp(SmtpAlert {
            subject: format!(
                "Realserver {} of virtual server {} - DOWN",
                old_rs.name, old.name
            ),
            body: "=> Removing <=".to_string(),
        }));
    }
}
