//! Flapping under 20% random loss with default settings: no more transitions than RFC timing
//! implies (the bound is derived in `keel_sim::loss`'s module docs).

use std::time::Duration;

use keel_sim::loss::{self, LossReport};

// Input: 200 seeded worlds of 2–6 v2 routers (advert_int 1 s, down_timer_adverts 3), 20%
// independent loss per delivery, 150 s each.
// Output: every takeover is exactly Master_Down_Interval after the backup last heard the
// master; the top router never steps down; transitions ≤ 2 × (runs of ≥ 3 lost adverts); and
// the number of such runs is close to the model's expectation adverts × (1 − p) × p³.
#[test]
fn twenty_percent_loss_flaps_no_more_than_rfc_timing_implies() {
    let mut total = LossReport::default();
    for seed in 1..=200 {
        let report = loss::run(seed, 0.2, Duration::from_secs(150), 3, 3)
            .unwrap_or_else(|failure| panic!("seed {seed} failed:\n{failure}"));
        total.backups += report.backups;
        total.path_adverts += report.path_adverts;
        total.loss_runs += report.loss_runs;
        total.takeovers += report.takeovers;
        total.transitions += report.transitions;
    }
    println!("{total:?}");
    // E[runs] = adverts × (1 − p) × p³; the count is Poisson-like, so ±6σ is a safe window.
    let expected = total.path_adverts as f64 * 0.8 * 0.2f64.powi(3);
    let sigma = expected.sqrt();
    let runs = total.loss_runs as f64;
    assert!(
        (expected - 6.0 * sigma..=expected + 6.0 * sigma).contains(&runs),
        "{runs} loss runs, model expects {expected:.1} ± {sigma:.1}"
    );
    assert!(total.takeovers > 0, "20% loss must cause some flapping");
    assert!(total.transitions <= 2 * total.loss_runs);
}

// Input: the same kind of world, but the engine runs with down_timer_adverts 1 while the bound
// is computed for the RFC's 3 (a deliberately broken configuration).
// Output: the checker reports more transitions than RFC timing allows.
#[test]
fn the_flapping_bound_detects_an_engine_that_gives_up_too_early() {
    let caught = (1..=20).any(|seed| {
        matches!(
            loss::run(seed, 0.2, Duration::from_secs(150), 1, 3),
            Err(failure) if failure.violation.property.contains("no more transitions")
        )
    });
    assert!(
        caught,
        "down_timer_adverts 1 flaps far beyond the 3-advert bound"
    );
}
