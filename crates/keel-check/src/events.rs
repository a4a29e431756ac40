//! One `on_<input>` per input (CONVENTIONS.md 8). The rules are keepalived's
//! `check/ipwrapper.c` and the checker epilogues (spec §3.13).

use std::net::IpAddr;
use std::time::Instant;

use crate::action::{Action, CheckerId, CheckerPath, ProbeRequest, SmtpAlert};
use crate::config::CheckConfig;
use crate::error::ConfigError;
use crate::instance::Checks;
use crate::notify::{VsNotice, rs_notifies, rs_shutdown_alert, vs_notifies};
use crate::probe::{ProbeKind, ProbeOutcome};
use crate::reload::{reload_virtual_server, retire_virtual_server};
use crate::state::{Built, Checker, CheckerPlan, DynamicWeight, Globals, VirtualServer, build};

/// Startup: resolve the config, create checkers, set initial real-server and quorum state.
pub(crate) fn on_start(
    checks: &mut Checks,
    now: Instant,
    config: CheckConfig,
) -> Result<(), ConfigError> {
    let Built {
        virtual_servers,
        plans,
    } = build(&config)?;
    checks.globals = Globals::of(&config);
    // `config` is dropped here: everything running reads the resolved state.
    drop(config);
    checks.virtual_servers = virtual_servers;
    for (vs, vs_plans) in plans.into_iter().enumerate() {
        for (rs, rs_plans) in vs_plans.into_iter().enumerate() {
            for plan in rs_plans {
                create_checker(checks, now, vs, rs, plan);
            }
            init_real_server(checks, vs, rs);
        }
        init_quorum(checks, vs);
    }
    checks.lb_changed = true;
    Ok(())
}

/// A probe result: count it against `retry`, move the checker, the real server and the
/// quorum, schedule the next probe.
pub(crate) fn on_probe_result(
    checks: &mut Checks,
    now: Instant,
    id: CheckerId,
    outcome: ProbeOutcome,
) {
    if checks.stopped {
        return;
    }
    let Some(checker) = checks.checkers.get_mut(&id) else {
        // A result for a checker a reload removed.
        return;
    };
    let scheduled = checker.probe.kind.is_scheduled();
    if scheduled && !checker.running {
        // Not asked for (a duplicate): the cadence stays the one already set.
        return;
    }
    checker.running = false;
    let timing = checker.timing;
    let dynamic = matches!(&checker.probe.kind, ProbeKind::Misc(misc) if misc.dynamic)
        || matches!(checker.probe.kind, ProbeKind::File { .. });
    let mut delay = timing.delay_loop;
    match outcome {
        ProbeOutcome::Up | ProbeOutcome::UpWithWeight(_) | ProbeOutcome::UpWithWeightOffset(_) => {
            let weight = match outcome {
                ProbeOutcome::UpWithWeight(weight) => Some(DynamicWeight::Absolute(weight)),
                ProbeOutcome::UpWithWeightOffset(offset) => Some(DynamicWeight::Offset(offset)),
                _ => None,
            };
            // A plain success from a dynamic checker restores the configured weight.
            if dynamic || weight.is_some() {
                set_dynamic_weight(checks, id, weight);
            }
            let Some(checker) = checks.checkers.get_mut(&id) else {
                return;
            };
            checker.retry_it = 0;
            if !checker.is_up || !checker.has_run {
                update_checker_state(checks, id, true, None);
            }
        }
        ProbeOutcome::Down { reason } => {
            let checker = checks.checkers.get_mut(&id).expect("looked up above");
            // spec §3.13: only an up checker (or one that has not run) is retried; after
            // retry + 1 consecutive failures it goes down. A down checker stays down at
            // the normal cadence.
            if checker.is_up || !checker.has_run {
                if checker.retry_it < checker.timing.retry {
                    checker.retry_it += 1;
                    delay = timing.delay_before_retry;
                } else {
                    checker.retry_it = 0;
                    update_checker_state(checks, id, false, Some(reason));
                }
            }
        }
    }
    if scheduled {
        checks.timers.set(id, now + delay);
    }
}

/// Deadlines passed: start the due probes. While `ha_suspend` holds a virtual server its
/// checkers skip the probe and wait another `delay_loop`, as keepalived's disabled checkers do.
pub(crate) fn on_timeout(checks: &mut Checks, now: Instant) {
    while let Some(id) = checks.timers.pop_due(now) {
        let Some(checker) = checks.checkers.get_mut(&id) else {
            continue;
        };
        if checks.virtual_servers[checker.vs].suspended {
            let next = now + checker.timing.delay_loop;
            checks.timers.set(id, next);
            continue;
        }
        checker.running = true;
        // MISC_CHECK's limit is misc_timeout, defaulting to delay_loop (keepalived
        // check_misc.c); every other checker gets connect_timeout per I/O step.
        let timeout = match &checker.probe.kind {
            ProbeKind::Misc(misc) => misc.timeout.unwrap_or(checker.timing.delay_loop),
            _ => checker.timing.connect_timeout,
        };
        let request = ProbeRequest {
            checker: id,
            path: checker.path,
            destination: checker.destination,
            probe: std::sync::Arc::clone(&checker.probe),
            timeout,
        };
        checks.push(Action::RunProbe(request));
    }
}

/// A virtual address came or went: suspend or resume `ha_suspend` virtual servers.
pub(crate) fn on_address_local(checks: &mut Checks, address: IpAddr, local: bool) {
    if local {
        checks.local_addresses.insert(address);
    } else {
        checks.local_addresses.remove(&address);
    }
    for vs in &mut checks.virtual_servers {
        vs.suspended = is_suspended(vs, &checks.local_addresses);
    }
}

/// Shutdown (keepalived `clear_services`): real servers and quorum go down; notifiers run
/// only for `omega` virtual servers; afterwards the wanted load balancer is empty.
pub(crate) fn on_stop(checks: &mut Checks) {
    if checks.stopped {
        return;
    }
    for vs in 0..checks.virtual_servers.len() {
        let omega = checks.virtual_servers[vs].config.omega;
        for rs in 0..checks.virtual_servers[vs].real_servers.len() {
            if !checks.virtual_servers[vs].real_servers[rs].alive {
                continue;
            }
            checks.virtual_servers[vs].real_servers[rs].alive = false;
            if omega {
                rs_notifies(checks, vs, rs);
                rs_shutdown_alert(checks, vs, rs, "=> Shutting down <=");
            }
        }
        checks.virtual_servers[vs].quorum_up = false;
        checks.virtual_servers[vs].sorry_active = false;
        if omega {
            vs_notifies(checks, vs, VsNotice::Stopping);
        }
    }
    checks.stopped = true;
    checks.timers.clear();
    for checker in checks.checkers.values_mut() {
        checker.running = false;
    }
    checks.lb_changed = true;
}

/// Reload: keep the state of everything that still exists (keepalived
/// `clear_diff_services` / `migrate_checkers`), start what is new, retire what is gone.
pub(crate) fn on_reload(
    checks: &mut Checks,
    now: Instant,
    config: CheckConfig,
) -> Result<(), ConfigError> {
    if checks.stopped {
        return Ok(());
    }
    let Built {
        virtual_servers: mut new_servers,
        plans,
    } = build(&config)?;
    let old_servers = std::mem::take(&mut checks.virtual_servers);
    let mut old_checkers = std::mem::take(&mut checks.checkers);
    let mut kept_old = vec![false; old_servers.len()];

    for vs in &mut new_servers {
        vs.suspended = is_suspended(vs, &checks.local_addresses);
    }
    checks.virtual_servers = new_servers;
    checks.globals = Globals::of(&config);
    drop(config);

    for (vs, vs_plans) in plans.into_iter().enumerate() {
        let old_index = old_servers.iter().position(|old| {
            old.config.target == checks.virtual_servers[vs].config.target
                && old.config.protocol == checks.virtual_servers[vs].config.protocol
        });
        match old_index {
            Some(old_index) => {
                kept_old[old_index] = true;
                let old = &old_servers[old_index];
                reload_virtual_server(checks, now, vs, old, vs_plans, &mut old_checkers);
            }
            None => {
                for (rs, rs_plans) in vs_plans.into_iter().enumerate() {
                    for plan in rs_plans {
                        create_checker(checks, now, vs, rs, plan);
                    }
                    init_real_server(checks, vs, rs);
                }
                init_quorum(checks, vs);
            }
        }
    }

    // Virtual servers that are gone: their alive real servers go down (notified, as
    // keepalived forces omega on reload), then their quorum.
    for (old_index, old) in old_servers.iter().enumerate() {
        if kept_old[old_index] {
            continue;
        }
        retire_virtual_server(checks, old);
    }
    // Checkers nobody took over: their timers go, late results are dropped by id.
    for id in old_checkers.keys() {
        checks.timers.cancel(*id);
    }
    checks.lb_changed = true;
    Ok(())
}

pub(crate) fn create_checker(
    checks: &mut Checks,
    now: Instant,
    vs: usize,
    rs: usize,
    plan: CheckerPlan,
) -> CheckerId {
    let id = checks.allocate_id();
    let scheduled = plan.probe.kind.is_scheduled();
    let checker = Checker {
        path: CheckerPath {
            virtual_server: vs,
            real_server: rs,
            checker: plan.index,
        },
        vs,
        rs,
        destination: plan.destination,
        timing: plan.timing,
        alpha: plan.alpha,
        // spec §3.13: up unless alpha.
        is_up: !plan.alpha,
        has_run: false,
        // keepalived check_data.c: initially one failure is enough to go down (the retry
        // count applies once the checker has been seen up).
        retry_it: plan.timing.retry,
        running: false,
        probe: plan.probe,
    };
    if scheduled {
        let delay = checks.rng.warmup_delay(checker.timing.warmup);
        checks.timers.set(id, now + delay);
    }
    checks.checkers.insert(id, checker);
    checks.virtual_servers[vs].real_servers[rs]
        .checkers
        .push(id);
    id
}

/// A real server at start: alive iff no checker is down (spec §3.13, "no checkers ⇒ always
/// up"); `rs_init_notifies` announces the alive ones.
pub(crate) fn init_real_server(checks: &mut Checks, vs: usize, rs: usize) {
    let failed = checks.virtual_servers[vs].real_servers[rs]
        .checkers
        .iter()
        .filter(|id| checks.checkers.get(id).is_some_and(|c| !c.is_up))
        .count();
    let server = &mut checks.virtual_servers[vs].real_servers[rs];
    server.failed_checkers = failed;
    server.alive = failed == 0;
    if server.alive && checks.globals.rs_init_notifies {
        rs_notifies(checks, vs, rs);
    }
}

/// keepalived `set_quorum_states` + `update_quorum_state(vs, init)`: the quorum is up iff
/// the alive weight reaches quorum + hysteresis; starting without it puts the sorry server in.
fn init_quorum(checks: &mut Checks, vs: usize) {
    let sum = alive_weight(&checks.virtual_servers[vs]);
    let server = &mut checks.virtual_servers[vs];
    server.quorum_up = sum > 0 && sum >= server.quorum + server.hysteresis;
    update_quorum(checks, vs, true);
}

/// keepalived `update_svr_checker_state`: move one checker, and its real server when this
/// checker decides it.
fn update_checker_state(checks: &mut Checks, id: CheckerId, alive: bool, reason: Option<String>) {
    let Some(checker) = checks.checkers.get_mut(&id) else {
        return;
    };
    let (vs, rs) = (checker.vs, checker.rs);
    if checker.is_up == alive {
        // The first result confirms the initial state; an alpha checker's first failure
        // (or any first failure) still announces the server as down.
        if !checker.has_run {
            checker.has_run = true;
            if checker.alpha || !alive {
                rs_notifies(checks, vs, rs);
            }
        }
        return;
    }
    checker.has_run = true;
    checker.is_up = alive;
    let kind = checker.probe.kind.keyword();
    let rs_was_alive = checks.virtual_servers[vs].real_servers[rs].alive;
    let server = &mut checks.virtual_servers[vs].real_servers[rs];
    if alive {
        server.failed_checkers = server.failed_checkers.saturating_sub(1);
    } else {
        server.failed_checkers += 1;
    }
    // spec §3.13: the server is alive iff all its checkers are up.
    let now_alive = server.failed_checkers == 0;
    set_rs_alive(checks, vs, rs, now_alive);
    let server = &checks.virtual_servers[vs].real_servers[rs];
    if server.smtp_alert && (rs_was_alive != server.alive || !checks.globals.no_checker_emails) {
        let body = match reason {
            None => format!("=> {kind} succeed on service <="),
            Some(reason) => format!("=> {kind} failed on service: {reason} <="),
        };
        let subject = format!(
            "Realserver {} of virtual server {} - {}",
            server.name,
            checks.virtual_servers[vs].name,
            if server.alive { "UP" } else { "DOWN" }
        );
        checks.push(Action::Smtp(SmtpAlert { subject, body }));
    }
}

/// keepalived `perform_svr_state`: the server enters or leaves the pool, its notifiers run,
/// and the quorum is re-evaluated.
pub(crate) fn set_rs_alive(checks: &mut Checks, vs: usize, rs: usize, alive: bool) {
    let server = &mut checks.virtual_servers[vs].real_servers[rs];
    if server.alive == alive {
        return;
    }
    server.alive = alive;
    checks.lb_changed = true;
    rs_notifies(checks, vs, rs);
    update_quorum(checks, vs, false);
}

/// A `misc_dynamic` (or FILE) result set the weight: `Some(w)`, or back to configured.
fn set_dynamic_weight(checks: &mut Checks, id: CheckerId, weight: Option<DynamicWeight>) {
    let Some(checker) = checks.checkers.get(&id) else {
        return;
    };
    let (vs, rs) = (checker.vs, checker.rs);
    let server = &mut checks.virtual_servers[vs].real_servers[rs];
    let before = server.effective_weight();
    server.dynamic_weight = weight;
    if server.effective_weight() != before {
        checks.lb_changed = true;
        if server.alive {
            update_quorum(checks, vs, false);
        }
    }
}

/// keepalived `update_quorum_state`: gain at ≥ quorum + hysteresis, lose below
/// quorum − hysteresis (or at zero weight); the sorry server swaps in and out.
pub(crate) fn update_quorum(checks: &mut Checks, vs: usize, init: bool) {
    let sum = alive_weight(&checks.virtual_servers[vs]);
    let server = &mut checks.virtual_servers[vs];
    let threshold = if server.quorum_up {
        server.quorum.saturating_sub(server.hysteresis)
    } else {
        server.quorum + server.hysteresis
    };
    // keel: a pool with no alive weight never holds the quorum. keepalived loses it at zero
    // weight but regains it whenever the threshold is 0 (quorum clamped to a total weight
    // of 0), which flaps on every update; here it stays lost.
    if !server.quorum_up && sum > 0 && sum >= threshold {
        server.quorum_up = true;
        if server.sorry_active {
            server.sorry_active = false;
            checks.lb_changed = true;
        }
        let notice = if init {
            VsNotice::StartUp
        } else {
            VsNotice::Gained
        };
        vs_notifies(checks, vs, notice.with(threshold, sum));
    } else if (server.quorum_up && (sum == 0 || sum < threshold))
        || (init && !server.quorum_up && server.sorry.is_some() && !server.sorry_active)
    {
        server.quorum_up = false;
        if server.sorry.is_some() && !server.sorry_active {
            server.sorry_active = true;
            checks.lb_changed = true;
        }
        let notice = if init {
            VsNotice::StartDown
        } else {
            VsNotice::Lost
        };
        vs_notifies(checks, vs, notice.with(threshold, sum));
    }
}

fn alive_weight(vs: &VirtualServer) -> u64 {
    vs.real_servers
        .iter()
        .filter(|rs| rs.alive)
        .map(|rs| u64::from(rs.effective_weight()))
        .sum()
}

fn is_suspended(vs: &VirtualServer, local: &std::collections::BTreeSet<IpAddr>) -> bool {
    vs.config.ha_suspend && !vs.has_fwmark && !vs.addresses.iter().any(|a| local.contains(a))
}
