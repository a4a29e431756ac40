//! Two sessions over a simulated link with latency, seeded loss and partitions, in virtual
//! time (the way keel-sim drives VRRP routers).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use keel_bfd::{Action, Input, Packet, Session, SessionConfig, State};

const MS: Duration = Duration::from_millis(1);

/// The origin of virtual time: any instant serves, the sessions only compare them.
fn start() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

/// Two sessions A (index 0) and B (index 1) joined by a link.
struct Pair {
    sessions: [Session; 2],
    now: Instant,
    /// (delivery time, destination index, packet)
    in_flight: VecDeque<(Instant, usize, Packet)>,
    latency: Duration,
    /// Per-mille of packets lost.
    loss: u64,
    partitioned: bool,
    rng: u64,
    /// Every state change: (time since start, session index, new state).
    log: Vec<(Duration, usize, State)>,
    start: Instant,
}

impl Pair {
    fn new(a: SessionConfig, b: SessionConfig, seed: u64) -> Pair {
        let now = start();
        Pair {
            sessions: [
                Session::new(a, 0xa, seed, now).expect("valid"),
                Session::new(b, 0xb, seed ^ 0xff, now).expect("valid"),
            ],
            now,
            in_flight: VecDeque::new(),
            latency: MS,
            loss: 0,
            partitioned: false,
            rng: seed | 1,
            log: Vec::new(),
            start: now,
        }
    }

    fn lost(&mut self) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.partitioned || self.rng % 1000 < self.loss
    }

    fn collect(&mut self, from: usize) {
        while let Some(action) = self.sessions[from].poll_action() {
            match action {
                Action::Send(packet) => {
                    // Through the real codec, as on the wire.
                    let bytes = packet.to_bytes().expect("sessions emit valid packets");
                    let decoded = Packet::decode(&bytes).expect("and they decode");
                    if !self.lost() {
                        let at = self.now + self.latency;
                        self.in_flight.push_back((at, 1 - from, decoded));
                    }
                }
                Action::StateChanged { to, .. } => {
                    self.log.push((self.now - self.start, from, to));
                }
            }
        }
    }

    /// Runs until `for_how_long` of virtual time has passed.
    fn run_for(&mut self, for_how_long: Duration) {
        let end = self.now + for_how_long;
        loop {
            let timer = self.sessions.iter().filter_map(Session::poll_timeout).min();
            let delivery = self.in_flight.iter().map(|(at, _, _)| *at).min();
            let Some(next) = [timer, delivery].into_iter().flatten().min() else {
                break;
            };
            if next > end {
                break;
            }
            self.now = next;
            while let Some(i) = self.in_flight.iter().position(|(at, _, _)| *at <= next) {
                let (_, to, packet) = self.in_flight.remove(i).expect("index just found");
                let _ = self.sessions[to].handle(self.now, Input::Packet(packet));
                self.collect(to);
            }
            for i in 0..2 {
                self.sessions[i].handle_timeout(self.now);
                self.collect(i);
            }
        }
        self.now = end;
    }

    fn states(&self) -> [State; 2] {
        [self.sessions[0].state(), self.sessions[1].state()]
    }
}

fn fast(mult: u8) -> SessionConfig {
    SessionConfig {
        desired_min_tx: 100 * MS,
        required_min_rx: 100 * MS,
        detect_mult: mult,
        ..SessionConfig::default()
    }
}

// Input: A active, B passive, a clean 1 ms link.
// Output: both Up within one idle interval (A's first packet goes at once, B answers);
// no flap in the next 60 s.
#[test]
fn sessions_come_up_and_stay_up_on_a_clean_link() {
    let mut pair = Pair::new(
        fast(3),
        SessionConfig {
            passive: true,
            ..fast(3)
        },
        1,
    );
    pair.run_for(1100 * MS);
    assert_eq!(pair.states(), [State::Up, State::Up], "{:?}", pair.log);
    let changes = pair.log.len();
    pair.run_for(60_000 * MS);
    assert_eq!(pair.log.len(), changes, "no flap: {:?}", pair.log);
}

// Input: Up sessions (multiplier 3 × 100 ms); the link is cut for 2 s, then healed.
// Output: each side goes Down within its detection time (300 ms, + one 1 ms hop) of the
// cut, and both are Up again within about 2 idle intervals of the heal.
#[test]
fn a_partition_is_detected_within_the_detection_time_and_heals() {
    let mut pair = Pair::new(fast(3), fast(3), 2);
    pair.run_for(3000 * MS);
    assert_eq!(pair.states(), [State::Up, State::Up]);
    let cut = pair.now - pair.start;
    pair.partitioned = true;
    pair.run_for(2000 * MS);
    assert_eq!(pair.states(), [State::Down, State::Down]);
    for side in 0..2 {
        let down = pair
            .log
            .iter()
            .find(|(at, who, state)| *at > cut && *who == side && *state == State::Down)
            .expect("went down")
            .0;
        assert!(
            down - cut <= 301 * MS,
            "side {side} down after {:?}",
            down - cut
        );
    }
    let healed = pair.now;
    pair.partitioned = false;
    pair.run_for(2100 * MS);
    assert_eq!(pair.states(), [State::Up, State::Up], "{:?}", pair.log);
    assert!(pair.now - healed <= 2100 * MS);
}

// Input: multiplier 5 at 100 ms over a link losing 10 % of packets, 20 seeds of 60 s.
// Output: the sessions come Up and nearly never flap: five losses in a row are needed.
// With multiplier 1 the same link flaps in every run.
#[test]
fn loss_is_absorbed_by_the_multiplier() {
    let mut flaps_mult5 = 0;
    let mut flaps_mult1 = 0;
    for seed in 1..=20 {
        for (mult, flaps) in [(5u8, &mut flaps_mult5), (1, &mut flaps_mult1)] {
            let mut pair = Pair::new(fast(mult), fast(mult), seed);
            pair.loss = 100;
            pair.run_for(5000 * MS);
            let before = pair.log.len();
            pair.run_for(60_000 * MS);
            let downs = pair.log[before..]
                .iter()
                .filter(|(_, _, s)| *s == State::Down)
                .count();
            *flaps += downs;
        }
    }
    assert!(flaps_mult5 <= 2, "multiplier 5 flapped {flaps_mult5} times");
    assert!(
        flaps_mult1 >= 20,
        "multiplier 1 flapped only {flaps_mult1} times"
    );
}
