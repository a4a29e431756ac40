//! One session driven by hand, scenario by scenario, against RFC 5880.

use std::time::{Duration, Instant};

use keel_bfd::{Action, Diagnostic, Discard, Input, Packet, Session, SessionConfig, State, Timer};

const MS: Duration = Duration::from_millis(1);

/// The origin of virtual time: any instant serves, the sessions only compare them.
fn start() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

fn config(min_tx_ms: u64, min_rx_ms: u64, mult: u8) -> SessionConfig {
    SessionConfig {
        desired_min_tx: Duration::from_millis(min_tx_ms),
        required_min_rx: Duration::from_millis(min_rx_ms),
        detect_mult: mult,
        ..SessionConfig::default()
    }
}

fn drain(session: &mut Session) -> Vec<Action> {
    std::iter::from_fn(|| session.poll_action()).collect()
}

fn sent(actions: &[Action]) -> Vec<Packet> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(p) => Some(*p),
            Action::StateChanged { .. } => None,
        })
        .collect()
}

fn changes(actions: &[Action]) -> Vec<(State, State, Diagnostic)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::StateChanged {
                from,
                to,
                diagnostic,
            } => Some((*from, *to, *diagnostic)),
            Action::Send(_) => None,
        })
        .collect()
}

/// A packet from the neighbour (discriminator 0x77) in `state`.
fn peer(state: State, your: u32, tx_ms: u32, rx_ms: u32, mult: u8) -> Packet {
    Packet {
        diagnostic: Diagnostic::None,
        state,
        poll: false,
        final_flag: false,
        control_plane_independent: false,
        demand: false,
        detect_mult: mult,
        my_discriminator: 0x77,
        your_discriminator: your,
        desired_min_tx: tx_ms * 1000,
        required_min_rx: rx_ms * 1000,
        required_min_echo_rx: 0,
        auth: None,
    }
}

/// Brings a session (discriminator 1, min_tx 100, min_rx 100, mult 3) Up at `t0` through
/// the three-way handshake, returning what the last step emitted.
fn up_session(t0: Instant) -> (Session, Vec<Action>) {
    let mut s = Session::new(config(100, 100, 3), 1, 7, t0).expect("valid config");
    s.handle_timeout(t0);
    drain(&mut s);
    s.handle(t0, Input::Packet(peer(State::Down, 0, 1000, 100, 3)))
        .expect("accepted");
    drain(&mut s);
    s.handle(t0, Input::Packet(peer(State::Up, 1, 100, 100, 3)))
        .expect("accepted");
    let actions = drain(&mut s);
    assert_eq!(s.state(), State::Up);
    (s, actions)
}

/// The neighbour's Up packet with Final set: the answer that ends our Poll Sequence
/// (RFC 5880 §6.5).
fn peer_final() -> Packet {
    let mut fin = peer(State::Up, 1, 100, 100, 3);
    fin.final_flag = true;
    fin
}

/// An Up session ([`up_session`]) whose Poll Sequence the neighbour has ended with a
/// Final, its actions drained.
fn settled_up_session(t0: Instant) -> Session {
    let (mut s, _) = up_session(t0);
    s.handle(t0, Input::Packet(peer_final())).expect("accepted");
    drain(&mut s);
    s
}

// Input: an active session (min_rx 100 ms, multiplier 3) starts with no neighbour.
// Output: RFC 5880 §6.8.3, §6.8.7: it sends Down at once with Desired Min TX = idle_tx
// (1 s, as keepalived's captured packet), Required Min RX 100 ms, Your Discr 0; the next
// packet is due 0.75–1 s later (jitter).
#[test]
fn an_active_session_sends_slow_down_packets() {
    let t0 = start();
    let mut s = Session::new(config(100, 100, 3), 0x9c78_345d, 1, t0).expect("valid");
    assert_eq!(s.poll_timeout(), Some(t0));
    s.handle_timeout(t0);
    let packets = sent(&drain(&mut s));
    assert_eq!(packets.len(), 1);
    let p = packets[0];
    assert_eq!(
        (p.state, p.your_discriminator, p.detect_mult),
        (State::Down, 0, 3)
    );
    assert_eq!((p.desired_min_tx, p.required_min_rx), (1_000_000, 100_000));
    let next = s.deadline(Timer::Transmit).expect("keeps sending") - t0;
    assert!(next >= 750 * MS && next <= 1000 * MS, "{next:?}");
}

// Input: a passive session.
// Output: RFC 5880 §6.1: silent until the neighbour's Down arrives; then it answers Init
// at once.
#[test]
fn a_passive_session_waits_to_be_spoken_to() {
    let t0 = start();
    let cfg = SessionConfig {
        passive: true,
        ..config(100, 100, 3)
    };
    let mut s = Session::new(cfg, 1, 1, t0).expect("valid");
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(t0 + 5 * MS * 1000);
    assert!(drain(&mut s).is_empty());
    s.handle(t0, Input::Packet(peer(State::Down, 0, 1000, 100, 3)))
        .expect("accepted");
    let actions = drain(&mut s);
    assert_eq!(
        changes(&actions),
        [(State::Down, State::Init, Diagnostic::None)]
    );
    let reply = sent(&actions);
    assert_eq!(reply.len(), 1);
    assert_eq!(
        (reply[0].state, reply[0].your_discriminator),
        (State::Init, 0x77)
    );
}

// Input: Down receives Down (→ Init), then Up (→ Up).
// Output: RFC 5880 §6.8.6 three-way handshake; entering Up the Desired Min TX drops from
// idle_tx to min_tx, so the packet carries Poll (as keepalived's does); the neighbour's
// Final ends the poll and the 100 ms rate applies.
#[test]
fn three_way_handshake_then_poll_for_the_faster_rate() {
    let t0 = start();
    let (mut s, actions) = up_session(t0);
    assert_eq!(
        changes(&actions),
        [(State::Init, State::Up, Diagnostic::None)]
    );
    let p = sent(&actions)[0];
    assert!(p.poll && !p.final_flag);
    assert_eq!((p.state, p.desired_min_tx), (State::Up, 100_000));
    assert!(s.polling());
    s.handle(t0, Input::Packet(peer_final())).expect("accepted");
    assert!(!s.polling());
    assert_eq!(s.transmit_interval(), 100 * MS);
    s.handle_timeout(s.deadline(Timer::Transmit).expect("sending"));
    assert!(!sent(&drain(&mut s))[0].poll);
}

// Input: an Up session (neighbour: Desired Min TX 100 ms, multiplier 3) hears nothing.
// Output: RFC 5880 §6.8.4: Down with diagnostic 1 exactly 3 × max(100, 100) ms after the
// last packet; packets go back to the 1 s idle rate and Your Discr 0.
#[test]
fn detection_time_expiry_takes_the_session_down() {
    let t0 = start();
    let (mut s, _) = up_session(t0);
    assert_eq!(s.detection_time(), Some(300 * MS));
    assert_eq!(s.deadline(Timer::Detection), Some(t0 + 300 * MS));
    s.handle_timeout(t0 + 299 * MS);
    assert_eq!(s.state(), State::Up);
    drain(&mut s);
    s.handle_timeout(t0 + 300 * MS);
    let actions = drain(&mut s);
    assert_eq!(
        changes(&actions),
        [(State::Up, State::Down, Diagnostic::DetectionTimeExpired)]
    );
    let p = *sent(&actions).last().expect("announces Down");
    assert_eq!((p.state, p.diagnostic.code()), (State::Down, 1));
    assert_eq!(p.desired_min_tx, 1_000_000);
    assert_eq!(s.remote_discriminator(), 0);
}

// Input: an Up session receives the neighbour's AdminDown, then its Down.
// Output: RFC 5880 §6.8.6: Down with diagnostic 3 (Neighbor Signaled Session Down); the
// following Down moves it to Init.
#[test]
fn neighbour_admin_down_is_signalled_down() {
    let t0 = start();
    let (mut s, _) = up_session(t0);
    s.handle(t0, Input::Packet(peer(State::AdminDown, 1, 1000, 100, 3)))
        .expect("accepted");
    assert_eq!(
        changes(&drain(&mut s)),
        [(State::Up, State::Down, Diagnostic::NeighborSignaledDown)]
    );
    s.handle(t0, Input::Packet(peer(State::Down, 1, 1000, 100, 3)))
        .expect("accepted");
    assert_eq!(s.state(), State::Init);
}

// Input: the neighbour polls (P set).
// Output: RFC 5880 §6.8.7: a packet with F (and not P) goes out at once.
#[test]
fn a_poll_is_answered_with_final_at_once() {
    let t0 = start();
    let mut s = settled_up_session(t0);
    let mut poll = peer(State::Up, 1, 200, 100, 3);
    poll.poll = true;
    let t1 = t0 + 10 * MS;
    s.handle(t1, Input::Packet(poll)).expect("accepted");
    let packets = sent(&drain(&mut s));
    assert_eq!(packets.len(), 1);
    assert!(packets[0].final_flag && !packets[0].poll);
    // The neighbour's slower 200 ms now sets the detection time: 3 × 200 ms.
    assert_eq!(s.detection_time(), Some(600 * MS));
}

// Input: packets for another discriminator, with an authentication section, and any
// packet while AdminDown.
// Output: RFC 5880 §6.8.6 discards, each a reason; the state does not move.
#[test]
fn discarded_packets_say_why() {
    let t0 = start();
    let mut s = Session::new(config(100, 100, 3), 1, 1, t0).expect("valid");
    assert_eq!(
        s.handle(t0, Input::Packet(peer(State::Init, 9, 100, 100, 3))),
        Err(Discard::WrongDiscriminator(9))
    );
    let mut auth = peer(State::Down, 0, 100, 100, 3);
    auth.auth = Some(keel_wire::bfd::AuthSection {
        auth_type: 1,
        auth_len: 8,
    });
    assert_eq!(
        s.handle(t0, Input::Packet(auth)),
        Err(Discard::UnexpectedAuthentication)
    );
    assert_eq!(s.state(), State::Down);
    s.handle(t0, Input::AdminDown).expect("admin input");
    assert_eq!(
        s.handle(t0, Input::Packet(peer(State::Down, 0, 100, 100, 3))),
        Err(Discard::AdminDown)
    );
}

// Input: an Up session is taken AdminDown (daemon stop, instance removed), then enabled.
// Output: RFC 5880 §6.8.16: AdminDown with diagnostic 7 is sent at once; Enable returns
// to Down.
#[test]
fn admin_down_tells_the_neighbour_and_enable_restarts() {
    let t0 = start();
    let (mut s, _) = up_session(t0);
    s.handle(t0, Input::AdminDown).expect("admin input");
    let actions = drain(&mut s);
    assert_eq!(
        changes(&actions),
        [(
            State::Up,
            State::AdminDown,
            Diagnostic::AdministrativelyDown
        )]
    );
    let p = sent(&actions)[0];
    assert_eq!((p.state, p.diagnostic.code()), (State::AdminDown, 7));
    s.handle(t0, Input::Enable).expect("admin input");
    assert_eq!(s.state(), State::Down);
}

// Input: an Up session is reconfigured (reload) from min_tx 100 ms to 400 ms.
// Output: RFC 5880 §6.8.3: the state stays Up, packets announce 400 ms with Poll, but the
// session keeps sending every 100 ms until the Final arrives.
#[test]
fn a_slower_rate_waits_for_the_poll_sequence() {
    let t0 = start();
    let mut s = settled_up_session(t0);
    s.handle(t0, Input::Reconfigure(config(400, 100, 3)))
        .expect("admin input");
    assert_eq!(s.state(), State::Up);
    assert!(s.polling());
    assert_eq!(s.transmit_interval(), 100 * MS);
    s.handle_timeout(s.deadline(Timer::Transmit).expect("sending"));
    let p = sent(&drain(&mut s))[0];
    assert!(p.poll);
    assert_eq!(p.desired_min_tx, 400_000);
    s.handle(t0, Input::Packet(peer_final())).expect("accepted");
    assert_eq!(s.transmit_interval(), 400 * MS);
}

// Input: 2000 transmit intervals at 100 ms, with multiplier 3 and with multiplier 1.
// Output: RFC 5880 §6.8.7: each is 75–100 ms (mult 3) or 75–90 ms (mult 1), and they vary.
#[test]
fn transmit_jitter_stays_in_the_rfc_range() {
    for (mult, low, high) in [(3u8, 75, 100), (1, 75, 90)] {
        let t0 = start();
        let mut s = Session::new(config(100, 100, mult), 1, 42, t0).expect("valid");
        s.handle_timeout(t0);
        s.handle(t0, Input::Packet(peer(State::Init, 1, 100, 100, 3)))
            .expect("accepted");
        s.handle(t0, Input::Packet(peer_final())).expect("accepted");
        let mut now = t0;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            let at = s.deadline(Timer::Transmit).expect("sending");
            let gap = at - now;
            assert!(
                gap >= Duration::from_millis(low) && gap <= Duration::from_millis(high),
                "mult {mult}: {gap:?}"
            );
            seen.insert(gap.as_micros() / 1000);
            now = at;
            // Keep the session Up: the neighbour answers every time.
            s.handle(now, Input::Packet(peer(State::Up, 1, 100, 100, 3)))
                .expect("accepted");
            s.handle_timeout(now);
            drain(&mut s);
        }
        assert!(seen.len() > 5, "jitter varies: {seen:?}");
    }
}
