//! Waking up on time for the engine's deadlines (issue 4, "Failover at the limit").
//!
//! A BACKUP takes over when Master_Down_Interval passes without an advert (RFC 5798
//! §6.4.2). At `advert_int 0.01` that is 36 ms, so every 36 µs between the deadline and the
//! new master's first advert costs 0.1 % of the bound. Four sources of such delay are
//! handled here (a fifth, memory gone cold while BACKUP, in run/prepare.rs):
//!
//! - **Timer resolution.** tokio's timer wheel has 1 ms granularity and rounds up. Deadlines
//!   are armed instead on a `timerfd` with an absolute `CLOCK_MONOTONIC` expiry (the clock
//!   `std::time::Instant` reads on Linux) that the runtime watches like a socket: the loop
//!   wakes at the deadline, and never blocks the thread while waiting (the previous scheme
//!   finished each wait with a blocking `nanosleep` of up to 3 ms, during which received
//!   adverts waited too).
//! - **Wake-up latency.** Even a precise timer interrupt reaches a loaded VM's thread 60–100
//!   µs late. For a takeover deadline only, the wait ends 200 µs early and spins on the
//!   clock to the deadline ([`sleep_until`]).
//! - **Timer slack.** Without a timerfd the fallback sleeps with `clock_nanosleep`, which
//!   the kernel may defer by the thread's timer slack (50 µs by default); the loop thread
//!   sets its slack to 1 ns.
//! - **Wake-up preemption.** On a busy CPU a woken SCHED_OTHER thread may wait for the
//!   running task's slice (about 3 ms) before it runs. The loop thread asks for the shortest
//!   EEVDF slice (`sched_setattr` with `sched_runtime` = 100 µs, Linux ≥ 6.12; ignored by
//!   older kernels): a task with a shorter slice preempts the running one at wake-up. The
//!   thread stays SCHED_OTHER at its nice level, as keepalived 2.2.7 runs by default (no
//!   `vrrp_rt_priority`), and children (scripts) get the default slice back
//!   (`SCHED_FLAG_RESET_ON_FORK`, as keepalived sets for its realtime processes).

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use keel_vrrp::Timer;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::log;

/// Prepares the calling thread, the one that will run the event loop, for precise
/// wake-ups. Call once, before the runtime starts. Failures only cost precision, so they
/// are logged, never fatal.
pub fn tune_current_thread() {
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and touches only this thread.
    if unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) } != 0 {
        log::detail(&format!(
            "timer slack not set: {}",
            io::Error::last_os_error()
        ));
    }
    if let Err(error) = request_short_slice() {
        log::detail(&format!("scheduler slice not set: {error}"));
    }
}

/// Waits until `deadline`, when `timer` is due (returns at once when it has passed).
///
/// For a takeover ([`Timer::MasterDown`]) the wait ends [`SPIN_WINDOW`] early and spins on
/// the clock for the rest: the wake-up latency of a timer interrupt in a loaded VM (60–100
/// µs measured here, 0.2–0.3 % of a 10 ms instance's bound) is paid before the deadline
/// instead of after it. Only a takeover spins, and only when no advert came for
/// Master_Down_Interval minus the window, so it costs nothing in steady state; adverts,
/// GARP and the other timers wake without spinning.
#[cfg(test)]
pub async fn sleep_until(deadline: Instant, timer: Timer) {
    sleep_to(wake_before(deadline, timer)).await;
    while Instant::now() < deadline {
        std::hint::spin_loop();
    }
}

/// When the loop wakes for `timer` due at `deadline`: [`SPIN_WINDOW`] before a takeover,
/// at the deadline for anything else. The loop then looks whether an advert the kernel
/// absorbed moved a takeover's deadline (run/absorb.rs), and [`spin_until`]s it if not.
pub fn wake_before(deadline: Instant, timer: Timer) -> Instant {
    match timer {
        Timer::MasterDown => deadline.checked_sub(SPIN_WINDOW).unwrap_or(deadline),
        _ => deadline,
    }
}

/// Waits until `wake` on the loop thread's timerfd (returns at once when it has passed).
pub async fn sleep_to(wake: Instant) {
    let fd = TIMER.with(|timer| timer.borrow_mut().get_or_insert_with(open_timer).clone());
    let waited = match fd {
        Some(fd) => wait_on_timerfd(&fd, wake).await.map_err(|error| {
            log::detail(&format!("timerfd wait failed: {error}"));
        }),
        None => Err(()),
    };
    if waited.is_err() {
        sleep_without_timerfd(wake).await;
    }
}

/// Spins on the clock until `deadline` when it is at most [`SPIN_WINDOW`] away; returns at
/// once otherwise (the loop sleeps again).
pub fn spin_until(deadline: Instant) {
    if deadline.saturating_duration_since(Instant::now()) > SPIN_WINDOW {
        return;
    }
    while Instant::now() < deadline {
        std::hint::spin_loop();
    }
}

/// Blocks the calling thread (the loop's) until `deadline`, without returning to the
/// runtime: for the short, bounded receive deferral (`run::wire`), during which the loop
/// wants to be woken by nothing. Waiting in `epoll_wait` instead would wake the thread for
/// every datagram of the burst it is waiting for (the sockets stay registered), and the
/// sender pays each of those wake-ups in its softirq. The thread's timer slack is 1 ns
/// ([`tune_current_thread`]), so the wake-up is as precise as a timerfd's.
pub fn block_until(deadline: Instant) {
    if deadline <= Instant::now() {
        return;
    }
    let expiry = monotonic(deadline);
    loop {
        // SAFETY: `expiry` is a valid timespec; no remainder is asked for with an
        // absolute sleep.
        let result = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &expiry,
                std::ptr::null_mut(),
            )
        };
        if result != libc::EINTR {
            return;
        }
    }
}

/// How long before a takeover deadline the loop stops sleeping and spins.
pub const SPIN_WINDOW: Duration = Duration::from_micros(200);

thread_local! {
    /// The loop thread's timerfd: opened on first use (inside the runtime, which must
    /// register it); `Some(None)` once opening failed, so it is not retried on every wait.
    static TIMER: RefCell<Option<Option<Rc<AsyncFd<OwnedFd>>>>> = const { RefCell::new(None) };
    /// The expiry the timerfd is armed for, until it is read.
    static ARMED: Cell<Option<Instant>> = const { Cell::new(None) };
}

fn open_timer() -> Option<Rc<AsyncFd<OwnedFd>>> {
    // SAFETY: plain syscall with constant arguments; a non-negative result is a new fd.
    let fd = unsafe {
        libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
        )
    };
    if fd < 0 {
        log::warn(&format!(
            "timerfd unavailable, timers fall back to sleeping: {}",
            io::Error::last_os_error()
        ));
        return None;
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: the AsyncFd owns `fd` (an OwnedFd), which stays open and the same for the
    // AsyncFd's whole life.
    match unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) } {
        Ok(timer) => Some(Rc::new(timer)),
        Err(error) => {
            let (_, cause) = error.into_parts();
            log::warn(&format!(
                "timerfd not registered, timers fall back to sleeping: {cause}"
            ));
            None
        }
    }
}

async fn wait_on_timerfd(timer: &AsyncFd<OwnedFd>, deadline: Instant) -> io::Result<()> {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        // The loop starts a new wait after every event, and on a busy BACKUP each advert
        // moves the deadline later. An expiry already armed before `deadline` is kept: it
        // ends in one early wake-up that re-arms, instead of a `timerfd_settime` per advert.
        // Arming resets the expiration count, so readiness left over from an abandoned
        // wait is found stale below and cleared.
        let armed = ARMED.get();
        if armed.is_none_or(|at| at > deadline || at <= now) {
            arm(timer.get_ref(), deadline)?;
            ARMED.set(Some(deadline));
        }
        let mut guard = timer.readable().await?;
        match guard.try_io(|fd| read_expirations(fd.get_ref())) {
            Ok(Ok(_)) => ARMED.set(None),
            Ok(Err(error)) => {
                ARMED.set(None);
                return Err(error);
            }
            // Stale readiness: try_io cleared it; loop to wait for the real expiry.
            Err(_would_block) => {}
        }
    }
}

/// Arms `timer` to expire at `deadline` on CLOCK_MONOTONIC (TFD_TIMER_ABSTIME).
fn arm(timer: &OwnedFd, deadline: Instant) -> io::Result<()> {
    let expiry = monotonic(deadline);
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: expiry,
    };
    // SAFETY: `spec` is a valid itimerspec for the call's duration; the old value is not
    // asked for (null).
    let result = unsafe {
        libc::timerfd_settime(
            timer.as_raw_fd(),
            libc::TFD_TIMER_ABSTIME,
            &spec,
            std::ptr::null_mut(),
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn read_expirations(timer: &OwnedFd) -> io::Result<u64> {
    let mut count = [0u8; 8];
    // SAFETY: reads at most 8 bytes into `count`, which outlives the call.
    let read = unsafe { libc::read(timer.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
    if read < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::from_ne_bytes(count))
}

/// `deadline` as a CLOCK_MONOTONIC timespec. `Instant` reads CLOCK_MONOTONIC on Linux, so
/// the distance from "now" carries over; "now" is read as an Instant first, so the result
/// errs late by the few nanoseconds between the two reads, never early.
fn monotonic(deadline: Instant) -> libc::timespec {
    let reference = Instant::now();
    let now = Duration::from_nanos(keel_sys::socket::filter::monotonic_ns());
    let expiry = now.saturating_add(deadline.saturating_duration_since(reference));
    libc::timespec {
        tv_sec: expiry.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: expiry.subsec_nanos() as libc::c_long,
    }
}

/// Without a timerfd: sleep on tokio's wheel until shortly before the deadline, then finish
/// with an absolute `clock_nanosleep` (which blocks the loop for at most the margin).
async fn sleep_without_timerfd(deadline: Instant) {
    const MARGIN: Duration = Duration::from_millis(2);
    if let Some(early) = deadline.checked_sub(MARGIN) {
        if early > Instant::now() {
            tokio::time::sleep_until(tokio::time::Instant::from_std(early)).await;
        }
    }
    block_until(deadline);
}

/// `struct sched_attr` (linux/sched/types.h), the SCHED_ATTR_SIZE_VER1 layout.
#[repr(C)]
#[derive(Debug, Default)]
struct SchedAttr {
    size: u32,
    sched_policy: u32,
    sched_flags: u64,
    sched_nice: i32,
    sched_priority: u32,
    sched_runtime: u64,
    sched_deadline: u64,
    sched_period: u64,
    sched_util_min: u32,
    sched_util_max: u32,
}

/// `SCHED_FLAG_RESET_ON_FORK` (linux/sched.h).
const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;

/// The shortest slice EEVDF accepts for a SCHED_OTHER task (kernel/sched/syscalls.c clamps
/// `sched_runtime` to 100 µs..100 ms).
const SHORT_SLICE_NS: u64 = 100_000;

fn request_short_slice() -> io::Result<()> {
    let size = std::mem::size_of::<SchedAttr>() as u32;
    let mut attr = SchedAttr::default();
    // SAFETY: the kernel writes at most `size` bytes into `attr`, which outlives the call.
    let got = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &mut attr, size, 0) };
    if got < 0 {
        return Err(io::Error::last_os_error());
    }
    if attr.sched_policy != libc::SCHED_OTHER as u32 {
        // Someone chose a policy for us (e.g. chrt): leave it.
        return Ok(());
    }
    attr.size = size;
    attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
    attr.sched_runtime = SHORT_SLICE_NS;
    // SAFETY: `attr` is a fully initialised sched_attr of the size it declares.
    let set = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0) };
    if set < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How late a wait may end here. These tests check that waits end, and never early;
    /// how precisely they end is measured by bench/vrrp/failover.sh, not here: a CI run
    /// with other work on the machine saw a 5 ms wait end 12.5 ms late.
    const ENDS_WITHIN: Duration = Duration::from_millis(100);

    // Input: deadlines 5 ms and 20 ms ahead, waited on the loop's timerfd in a
    // current-thread runtime like the daemon's.
    // Output: neither wait returns early; each ends (within ENDS_WITHIN).
    #[test]
    fn timerfd_wait_returns_at_the_deadline_never_before() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds on Linux");
        runtime.block_on(async {
            for ahead in [Duration::from_millis(5), Duration::from_millis(20)] {
                let deadline = Instant::now() + ahead;
                sleep_until(deadline, Timer::Advert).await;
                let woke = Instant::now();
                assert!(woke >= deadline, "woke {:?} early", deadline - woke);
                let late = woke - deadline;
                assert!(late < ENDS_WITHIN, "woke {late:?} late");
            }
        });
    }

    // Input: a wait abandoned before its deadline (another event won the select, as in the
    // daemon's loop), then a wait for a later deadline.
    // Output: the second wait is not cut short by the first wait's expiry.
    #[test]
    fn an_abandoned_wait_does_not_end_the_next_one_early() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds on Linux");
        runtime.block_on(async {
            let first = Instant::now() + Duration::from_millis(3);
            tokio::select! {
                () = sleep_until(first, Timer::Advert) => panic!("the 3 ms wait cannot beat a 1 ms sleep"),
                () = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
            // Let the abandoned expiry happen while nobody waits.
            std::thread::sleep(Duration::from_millis(5));
            let second = Instant::now() + Duration::from_millis(10);
            sleep_until(second, Timer::Advert).await;
            assert!(Instant::now() >= second);
        });
    }

    // Input: a wait for +5 ms abandoned after 1 ms (the expiry stays armed), then a wait for
    // +8 ms (later: the armed expiry is kept and re-armed when it fires), then one for +2 ms
    // from then (earlier than nothing armed).
    // Output: each wait ends at or after its own deadline, never at the kept earlier expiry.
    #[test]
    fn a_kept_earlier_expiry_does_not_end_a_later_wait() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds on Linux");
        runtime.block_on(async {
            let start = Instant::now();
            tokio::select! {
                () = sleep_until(start + Duration::from_millis(5), Timer::Advert) => {
                    panic!("the 5 ms wait cannot beat a 1 ms sleep")
                }
                () = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
            let later = start + Duration::from_millis(8);
            sleep_until(later, Timer::Advert).await;
            assert!(Instant::now() >= later);
            let next = Instant::now() + Duration::from_millis(2);
            sleep_until(next, Timer::Advert).await;
            assert!(Instant::now() >= next);
        });
    }

    // Input: takeover deadlines 1 ms and 10 ms ahead (MasterDown: timerfd, then a spin).
    // Output: never early (a wait that skipped the spin would end 200 µs early), and it
    // ends (within ENDS_WITHIN).
    #[test]
    fn takeover_wait_spins_up_to_the_deadline() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds on Linux");
        runtime.block_on(async {
            for ahead in [Duration::from_millis(1), Duration::from_millis(10)] {
                let deadline = Instant::now() + ahead;
                sleep_until(deadline, Timer::MasterDown).await;
                let woke = Instant::now();
                assert!(woke >= deadline);
                assert!(woke - deadline < ENDS_WITHIN, "{:?}", woke - deadline);
            }
        });
    }

    // Input: the fallback path (no timerfd) with a deadline 4 ms ahead.
    // Output: it returns at or after the deadline.
    #[test]
    fn fallback_sleep_is_never_early() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds on Linux");
        runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_millis(4);
            sleep_without_timerfd(deadline).await;
            assert!(Instant::now() >= deadline);
        });
    }

    // Input: block_until for a deadline 2 ms ahead, and for one already passed.
    // Output: the first returns at or after its deadline; both end (within ENDS_WITHIN).
    #[test]
    fn blocking_wait_is_never_early() {
        let deadline = Instant::now() + Duration::from_millis(2);
        block_until(deadline);
        let woke = Instant::now();
        assert!(woke >= deadline);
        assert!(woke - deadline < ENDS_WITHIN, "{:?}", woke - deadline);
        let before = Instant::now();
        block_until(
            before
                .checked_sub(Duration::from_millis(1))
                .unwrap_or(before),
        );
        assert!(before.elapsed() < ENDS_WITHIN);
    }

    // Input: the thread asks for timer slack 1 ns and the short slice.
    // Output: prctl reports slack 1; sched_getattr reports SCHED_OTHER with a 100 µs
    // runtime (on kernels with EEVDF custom slices; older ones report 0 and are accepted).
    #[test]
    fn tuning_sets_slack_and_short_slice() {
        std::thread::spawn(|| {
            tune_current_thread();
            // SAFETY: PR_GET_TIMERSLACK takes no argument and returns the slack.
            let slack = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
            assert_eq!(slack, 1);
            let mut attr = SchedAttr::default();
            let size = std::mem::size_of::<SchedAttr>() as u32;
            // SAFETY: as in request_short_slice.
            let got = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &mut attr, size, 0) };
            assert_eq!(got, 0);
            assert_eq!(attr.sched_policy, libc::SCHED_OTHER as u32);
            assert!(
                attr.sched_runtime == SHORT_SLICE_NS || attr.sched_runtime == 0,
                "{attr:?}"
            );
        })
        .join()
        .expect("the tuning thread does not panic");
    }
}
