//! VRRP timing from the RFC formulas, computed here independently of keel-vrrp's own
//! arithmetic so that a takeover time predicted by a test checks keel against the RFC rather
//! than against itself.

use std::time::Duration;

use keel_vrrp::Version;

/// Skew_Time: v2 (RFC 3768 §6.1) `(256 − priority) / 256` seconds; v3 (RFC 5798 §6.1)
/// `((256 − priority) × Master_Adver_Interval) / 256`. Exact to the nanosecond (keepalived
/// truncates to microseconds; the difference is below 1 µs).
pub fn skew(version: Version, priority: u8, master_advert_interval: Duration) -> Duration {
    let weight = 256 - u128::from(priority);
    let nanos = match version {
        Version::V2 => weight * 1_000_000_000 / 256,
        Version::V3 => weight * master_advert_interval.as_nanos() / 256,
    };
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Master_Down_Interval = `down_timer_adverts` (3 in the RFCs) × Master_Adver_Interval +
/// Skew_Time (RFC 3768 §6.1, RFC 5798 §6.1, spec §3.4).
pub fn master_down(
    version: Version,
    priority: u8,
    master_advert_interval: Duration,
    down_timer_adverts: u8,
) -> Duration {
    master_advert_interval * u32::from(down_timer_adverts)
        + skew(version, priority, master_advert_interval)
}

/// Whether two times agree to the millisecond (strictly less than 1 ms apart).
pub fn within_a_millisecond(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) < Duration::from_millis(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: v2 priority 110 (keepalived live test, spec §3.3). Output: skew 0.5703125 s;
    // the observed takeover 0.575 s after the priority-0 advert agrees to the ms bar.
    #[test]
    fn v2_skew_matches_the_keepalived_observation() {
        let skew = skew(Version::V2, 110, Duration::from_secs(1));
        assert_eq!(skew, Duration::from_nanos(570_312_500));
        assert_eq!(
            master_down(Version::V2, 110, Duration::from_secs(1), 3),
            Duration::from_nanos(3_570_312_500)
        );
    }

    // Input: v3 priority 200 with the master's 0.5 s interval. Output: 109.375 ms skew.
    #[test]
    fn v3_skew_scales_with_the_interval() {
        assert_eq!(
            skew(Version::V3, 200, Duration::from_millis(500)),
            Duration::from_micros(109_375)
        );
    }
}
