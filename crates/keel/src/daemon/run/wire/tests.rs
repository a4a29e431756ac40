//! The receive deferral's bound (see `read_deferral`).

use super::*;

// Input: a socket becomes readable with no engine deadline, or one 10 ms away.
// Output: the read waits the full 1 ms deferral in both cases.
#[test]
fn a_read_is_deferred_by_one_millisecond_when_no_timer_is_near() {
    let now = Instant::now();
    assert_eq!(read_deferral(now, None), now + READ_DEFER);
    let far = now + Duration::from_millis(10);
    assert_eq!(read_deferral(now, Some(far)), now + READ_DEFER);
}

// Input: a BACKUP's Master_Down deadline 600 µs away when an advert becomes readable.
// Output: the read waits only until 300 µs before the deadline (before the takeover
// spin starts), so the takeover is never served late.
#[test]
fn a_read_never_waits_into_a_near_takeover() {
    let now = Instant::now();
    let deadline = now + Duration::from_micros(600);
    let until = read_deferral(now, Some(deadline));
    assert_eq!(until, deadline - DEFER_MARGIN);
    assert!(until < now + READ_DEFER);
}

// Input: the engine's deadline is already due, or due within the margin.
// Output: no deferral at all (the result is not after now).
#[test]
fn a_due_timer_means_read_at_once() {
    let now = Instant::now();
    assert!(read_deferral(now, Some(now)) <= now);
    assert!(read_deferral(now, Some(now + Duration::from_micros(100))) <= now);
}
