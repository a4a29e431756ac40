//! BFD control packets over generated inputs: every sendable `Repr` survives emit → decode
//! unchanged, and the decoder never panics on arbitrary or mutated bytes.

use keel_wire::bfd::{Diagnostic, Repr, State};
use proptest::prelude::*;

fn state() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::AdminDown),
        Just(State::Down),
        Just(State::Init),
        Just(State::Up)
    ]
}

fn diagnostic() -> impl Strategy<Value = Diagnostic> {
    prop_oneof![
        Just(Diagnostic::None),
        Just(Diagnostic::DetectionTimeExpired),
        Just(Diagnostic::EchoFailed),
        Just(Diagnostic::NeighborSignaledDown),
        Just(Diagnostic::ForwardingPlaneReset),
        Just(Diagnostic::PathDown),
        Just(Diagnostic::ConcatenatedPathDown),
        Just(Diagnostic::AdministrativelyDown),
        Just(Diagnostic::ReverseConcatenatedPathDown),
        (9u8..32).prop_map(Diagnostic::Reserved),
    ]
}

/// Packets keel may send: Your Discr 0 only while Down/AdminDown, never P and F together.
fn sendable() -> impl Strategy<Value = Repr> {
    (
        (diagnostic(), state(), 0u8..3, any::<bool>(), any::<bool>()),
        (1u8..=255, 1u32.., any::<u32>()),
        (any::<u32>(), any::<u32>(), any::<u32>()),
    )
        .prop_map(
            |((diagnostic, state, pf, c, d), (mult, mine, yours), (tx, rx, echo))| {
                let yours = if matches!(state, State::Down | State::AdminDown) {
                    yours
                } else {
                    yours.max(1)
                };
                Repr {
                    diagnostic,
                    state,
                    poll: pf == 1,
                    final_flag: pf == 2,
                    control_plane_independent: c,
                    demand: d,
                    detect_mult: mult,
                    my_discriminator: mine,
                    your_discriminator: yours,
                    desired_min_tx: tx,
                    required_min_rx: rx,
                    required_min_echo_rx: echo,
                    auth: None,
                }
            },
        )
}

proptest! {
    // Input: any sendable packet. Output: decoding its bytes gives it back.
    #[test]
    fn emit_then_decode_is_identity(repr in sendable()) {
        let bytes = repr.to_bytes().expect("sendable");
        prop_assert_eq!(Repr::decode(&bytes).expect("own output decodes"), repr);
    }

    // Input: arbitrary bytes. Output: an error or a packet, never a panic; a packet
    // without auth and without P+F re-encodes to the same values.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(repr) = Repr::decode(&bytes) {
            if repr.auth.is_none() && !(repr.poll && repr.final_flag) {
                let again = repr.to_bytes().expect("decoded packets encode");
                prop_assert_eq!(Repr::decode(&again).expect("decodes"), repr);
            }
        }
    }

    // Input: a valid packet with one byte changed. Output: never a panic.
    #[test]
    fn mutated_packets_never_panic(repr in sendable(), at in 0usize..24, value in any::<u8>()) {
        let mut bytes = repr.to_bytes().expect("sendable").to_vec();
        bytes[at] = value;
        let _ = Repr::decode(&bytes);
    }
}
