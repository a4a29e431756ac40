//! The BFD control packet (RFC 5880 §4.1), carried in UDP to port 3784 (single hop,
//! RFC 5881) or 4784 (multihop, RFC 5883). keepalived's BFD process sends the 24-byte
//! mandatory section only; an authentication section is parsed so a packet that carries one
//! can be told apart and discarded by a session that has no authentication (RFC 5880
//! §6.8.6), never emitted.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       My Discriminator                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Your Discriminator                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Desired Min TX Interval                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Required Min RX Interval                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Required Min Echo RX Interval                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Auth Type   |   Auth Len    |    Authentication Data...     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Intervals are in microseconds, as on the wire.

use crate::error::{Error, Result, need};

/// UDP destination port of single-hop control packets (RFC 5881 §4).
pub const PORT_SINGLE_HOP: u16 = 3784;
/// UDP destination port of multihop control packets (RFC 5883 §5).
pub const PORT_MULTIHOP: u16 = 4784;
/// The protocol version this codec speaks (RFC 5880 §4.1).
pub const VERSION: u8 = 1;
/// Length of the mandatory section.
pub const HEADER_LEN: usize = 24;

mod field {
    use core::ops::Range;
    pub const VERS_DIAG: usize = 0;
    pub const STATE_FLAGS: usize = 1;
    pub const DETECT_MULT: usize = 2;
    pub const LENGTH: usize = 3;
    pub const MY_DISCR: Range<usize> = 4..8;
    pub const YOUR_DISCR: Range<usize> = 8..12;
    pub const DESIRED_MIN_TX: Range<usize> = 12..16;
    pub const REQUIRED_MIN_RX: Range<usize> = 16..20;
    pub const REQUIRED_MIN_ECHO_RX: Range<usize> = 20..24;
    pub const AUTH_TYPE: usize = 24;
    pub const AUTH_LEN: usize = 25;
}

mod flag {
    pub const POLL: u8 = 0x20;
    pub const FINAL: u8 = 0x10;
    pub const CONTROL_PLANE_INDEPENDENT: u8 = 0x08;
    pub const AUTH_PRESENT: u8 = 0x04;
    pub const DEMAND: u8 = 0x02;
    pub const MULTIPOINT: u8 = 0x01;
}

/// A session state as the `Sta` field carries it (RFC 5880 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// 0: AdminDown.
    AdminDown,
    /// 1: Down.
    Down,
    /// 2: Init.
    Init,
    /// 3: Up.
    Up,
}

impl State {
    fn from_bits(bits: u8) -> State {
        match bits & 0x3 {
            0 => State::AdminDown,
            1 => State::Down,
            2 => State::Init,
            _ => State::Up,
        }
    }

    fn bits(self) -> u8 {
        match self {
            State::AdminDown => 0,
            State::Down => 1,
            State::Init => 2,
            State::Up => 3,
        }
    }

    /// The name keepalived logs and dumps (`AdminDown`, `Down`, `Init`, `Up`).
    pub fn name(self) -> &'static str {
        match self {
            State::AdminDown => "AdminDown",
            State::Down => "Down",
            State::Init => "Init",
            State::Up => "Up",
        }
    }
}

/// The diagnostic code: why the sender's session last left Up (RFC 5880 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Diagnostic {
    /// 0: No Diagnostic.
    None,
    /// 1: Control Detection Time Expired.
    DetectionTimeExpired,
    /// 2: Echo Function Failed.
    EchoFailed,
    /// 3: Neighbor Signaled Session Down.
    NeighborSignaledDown,
    /// 4: Forwarding Plane Reset.
    ForwardingPlaneReset,
    /// 5: Path Down.
    PathDown,
    /// 6: Concatenated Path Down.
    ConcatenatedPathDown,
    /// 7: Administratively Down.
    AdministrativelyDown,
    /// 8: Reverse Concatenated Path Down.
    ReverseConcatenatedPathDown,
    /// 9–31: reserved for future use.
    Reserved(u8),
}

impl Diagnostic {
    fn from_bits(bits: u8) -> Diagnostic {
        match bits & 0x1f {
            0 => Diagnostic::None,
            1 => Diagnostic::DetectionTimeExpired,
            2 => Diagnostic::EchoFailed,
            3 => Diagnostic::NeighborSignaledDown,
            4 => Diagnostic::ForwardingPlaneReset,
            5 => Diagnostic::PathDown,
            6 => Diagnostic::ConcatenatedPathDown,
            7 => Diagnostic::AdministrativelyDown,
            8 => Diagnostic::ReverseConcatenatedPathDown,
            other => Diagnostic::Reserved(other),
        }
    }

    /// The 5-bit code.
    pub fn code(self) -> u8 {
        match self {
            Diagnostic::None => 0,
            Diagnostic::DetectionTimeExpired => 1,
            Diagnostic::EchoFailed => 2,
            Diagnostic::NeighborSignaledDown => 3,
            Diagnostic::ForwardingPlaneReset => 4,
            Diagnostic::PathDown => 5,
            Diagnostic::ConcatenatedPathDown => 6,
            Diagnostic::AdministrativelyDown => 7,
            Diagnostic::ReverseConcatenatedPathDown => 8,
            Diagnostic::Reserved(code) => code & 0x1f,
        }
    }
}

/// The authentication section's header (RFC 5880 §4.2). keel configures no BFD
/// authentication (keepalived has none), so it only needs to know one was there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSection {
    /// 1 Simple Password, 2 Keyed MD5, 3 Meticulous Keyed MD5, 4 Keyed SHA1,
    /// 5 Meticulous Keyed SHA1; other values are reserved.
    pub auth_type: u8,
    /// Length of the section in bytes, its header included.
    pub auth_len: u8,
}

/// A checked view of a control packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking that the mandatory section, and the length the packet
    /// announces, are present (RFC 5880 §6.8.6: a Length under the minimum, or over the
    /// payload, means discard).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let available = buffer.as_ref().len();
        need(HEADER_LEN, available)?;
        let packet = Packet { buffer };
        let length = usize::from(packet.length());
        let minimum = if packet.auth_present() {
            HEADER_LEN + 2
        } else {
            HEADER_LEN
        };
        if length < minimum {
            return Err(Error::BadLength("BFD Length under the minimum"));
        }
        need(length, available)?;
        Ok(packet)
    }

    /// `Vers`.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VERS_DIAG] >> 5
    }

    /// `Diag`.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::from_bits(self.buffer.as_ref()[field::VERS_DIAG])
    }

    /// `Sta`.
    pub fn state(&self) -> State {
        State::from_bits(self.buffer.as_ref()[field::STATE_FLAGS] >> 6)
    }

    fn flag(&self, mask: u8) -> bool {
        self.buffer.as_ref()[field::STATE_FLAGS] & mask != 0
    }

    /// `P`: the sender asks for a packet with Final set (a Poll Sequence, §6.5).
    pub fn poll(&self) -> bool {
        self.flag(flag::POLL)
    }

    /// `F`: the answer to a Poll.
    pub fn final_flag(&self) -> bool {
        self.flag(flag::FINAL)
    }

    /// `C`: Control Plane Independent.
    pub fn control_plane_independent(&self) -> bool {
        self.flag(flag::CONTROL_PLANE_INDEPENDENT)
    }

    /// `A`: an authentication section follows.
    pub fn auth_present(&self) -> bool {
        self.flag(flag::AUTH_PRESENT)
    }

    /// `D`: Demand mode.
    pub fn demand(&self) -> bool {
        self.flag(flag::DEMAND)
    }

    /// `M`: Multipoint (reserved, must be zero).
    pub fn multipoint(&self) -> bool {
        self.flag(flag::MULTIPOINT)
    }

    /// `Detect Mult`.
    pub fn detect_mult(&self) -> u8 {
        self.buffer.as_ref()[field::DETECT_MULT]
    }

    /// `Length` in bytes.
    pub fn length(&self) -> u8 {
        self.buffer.as_ref()[field::LENGTH]
    }

    /// `My Discriminator`.
    pub fn my_discriminator(&self) -> u32 {
        self.u32_at(field::MY_DISCR.start)
    }

    /// `Your Discriminator`.
    pub fn your_discriminator(&self) -> u32 {
        self.u32_at(field::YOUR_DISCR.start)
    }

    /// `Desired Min TX Interval`, µs.
    pub fn desired_min_tx(&self) -> u32 {
        self.u32_at(field::DESIRED_MIN_TX.start)
    }

    /// `Required Min RX Interval`, µs.
    pub fn required_min_rx(&self) -> u32 {
        self.u32_at(field::REQUIRED_MIN_RX.start)
    }

    /// `Required Min Echo RX Interval`, µs.
    pub fn required_min_echo_rx(&self) -> u32 {
        self.u32_at(field::REQUIRED_MIN_ECHO_RX.start)
    }

    fn u32_at(&self, at: usize) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }
}

/// A control packet as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// `Diag`.
    pub diagnostic: Diagnostic,
    /// `Sta`.
    pub state: State,
    /// `P`.
    pub poll: bool,
    /// `F`.
    pub final_flag: bool,
    /// `C`.
    pub control_plane_independent: bool,
    /// `D`.
    pub demand: bool,
    /// `Detect Mult` (never 0).
    pub detect_mult: u8,
    /// `My Discriminator` (never 0).
    pub my_discriminator: u32,
    /// `Your Discriminator` (0 only while the sender is Down or AdminDown).
    pub your_discriminator: u32,
    /// `Desired Min TX Interval`, µs.
    pub desired_min_tx: u32,
    /// `Required Min RX Interval`, µs.
    pub required_min_rx: u32,
    /// `Required Min Echo RX Interval`, µs.
    pub required_min_echo_rx: u32,
    /// The authentication section's header when `A` was set.
    pub auth: Option<AuthSection>,
}

impl Repr {
    /// Reads a checked packet, applying the field checks of RFC 5880 §6.8.6 that need no
    /// session: version 1, Detect Mult non-zero, Multipoint clear, My Discriminator
    /// non-zero, Your Discriminator zero only from a Down or AdminDown sender, and an
    /// authentication section that fits the packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        if packet.version() != VERSION {
            return Err(Error::BadVersion(packet.version()));
        }
        if packet.detect_mult() == 0 {
            return Err(Error::Invalid("BFD Detect Mult is zero"));
        }
        if packet.multipoint() {
            return Err(Error::Invalid("BFD Multipoint bit set"));
        }
        if packet.my_discriminator() == 0 {
            return Err(Error::Invalid("BFD My Discriminator is zero"));
        }
        let state = packet.state();
        if packet.your_discriminator() == 0 && !matches!(state, State::Down | State::AdminDown) {
            return Err(Error::Invalid(
                "BFD Your Discriminator is zero while not Down",
            ));
        }
        let auth = if packet.auth_present() {
            let b = packet.buffer.as_ref();
            let section = AuthSection {
                auth_type: b[field::AUTH_TYPE],
                auth_len: b[field::AUTH_LEN],
            };
            // RFC 5880 §4.2: the section's length includes its two header bytes and must
            // lie inside the packet's Length.
            let end = HEADER_LEN + usize::from(section.auth_len);
            if section.auth_len < 2 || end > usize::from(packet.length()) {
                return Err(Error::BadLength("BFD Auth Len does not fit the packet"));
            }
            Some(section)
        } else {
            None
        };
        Ok(Repr {
            diagnostic: packet.diagnostic(),
            state,
            poll: packet.poll(),
            final_flag: packet.final_flag(),
            control_plane_independent: packet.control_plane_independent(),
            demand: packet.demand(),
            detect_mult: packet.detect_mult(),
            my_discriminator: packet.my_discriminator(),
            your_discriminator: packet.your_discriminator(),
            desired_min_tx: packet.desired_min_tx(),
            required_min_rx: packet.required_min_rx(),
            required_min_echo_rx: packet.required_min_echo_rx(),
            auth,
        })
    }

    /// Decodes untrusted bytes: [`Packet::new_checked`] then [`Repr::parse`].
    pub fn decode(bytes: &[u8]) -> Result<Repr> {
        Repr::parse(&Packet::new_checked(bytes)?)
    }

    /// Length of the packet [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 24-byte packet into the start of `buffer`. A packet with P and F both set,
    /// a zero Detect Mult or My Discriminator, or an authentication section cannot be sent
    /// (RFC 5880 §6.8.7; keel has no BFD authentication).
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        need(HEADER_LEN, buffer.len())?;
        if self.poll && self.final_flag {
            return Err(Error::Unencodable("BFD Poll and Final both set"));
        }
        if self.detect_mult == 0 || self.my_discriminator == 0 {
            return Err(Error::Unencodable(
                "BFD Detect Mult or My Discriminator is zero",
            ));
        }
        if self.auth.is_some() {
            return Err(Error::Unencodable("BFD authentication"));
        }
        let mut flags = self.state.bits() << 6;
        for (set, mask) in [
            (self.poll, flag::POLL),
            (self.final_flag, flag::FINAL),
            (
                self.control_plane_independent,
                flag::CONTROL_PLANE_INDEPENDENT,
            ),
            (self.demand, flag::DEMAND),
        ] {
            if set {
                flags |= mask;
            }
        }
        buffer[field::VERS_DIAG] = (VERSION << 5) | self.diagnostic.code();
        buffer[field::STATE_FLAGS] = flags;
        buffer[field::DETECT_MULT] = self.detect_mult;
        buffer[field::LENGTH] = HEADER_LEN as u8;
        buffer[field::MY_DISCR].copy_from_slice(&self.my_discriminator.to_be_bytes());
        buffer[field::YOUR_DISCR].copy_from_slice(&self.your_discriminator.to_be_bytes());
        buffer[field::DESIRED_MIN_TX].copy_from_slice(&self.desired_min_tx.to_be_bytes());
        buffer[field::REQUIRED_MIN_RX].copy_from_slice(&self.required_min_rx.to_be_bytes());
        buffer[field::REQUIRED_MIN_ECHO_RX]
            .copy_from_slice(&self.required_min_echo_rx.to_be_bytes());
        Ok(())
    }

    /// The packet as a fresh 24-byte array.
    pub fn to_bytes(&self) -> Result<[u8; HEADER_LEN]> {
        let mut out = [0u8; HEADER_LEN];
        self.emit(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test vectors are hex"))
            .collect()
    }

    // Input: the first packet keepalived 2.2.7 sends for `min_rx 100, min_tx 100,
    // multiplier 3` with no peer yet (captured, tests/bfd_capture.sh), as tshark decodes it:
    // Down, no diagnostic, no flags, mult 3, My Discr 0x9c78345d, Your Discr 0,
    // Desired Min TX 1000000 µs (idle_tx while not Up), Required Min RX 100000 µs.
    // Output: the same values, and re-encoding gives the same bytes.
    #[test]
    fn keepalived_down_packet_decodes_and_re_encodes() {
        let bytes = hex("204003189c78345d00000000000f4240000186a000000000");
        let repr = Repr::decode(&bytes).expect("keepalived's packet is valid");
        assert_eq!(repr.state, State::Down);
        assert_eq!(repr.diagnostic, Diagnostic::None);
        assert!(!repr.poll && !repr.final_flag && repr.auth.is_none());
        assert_eq!(repr.detect_mult, 3);
        assert_eq!(repr.my_discriminator, 0x9c78_345d);
        assert_eq!(repr.your_discriminator, 0);
        assert_eq!(repr.desired_min_tx, 1_000_000);
        assert_eq!(repr.required_min_rx, 100_000);
        assert_eq!(repr.required_min_echo_rx, 0);
        assert_eq!(repr.to_bytes().expect("valid repr").as_slice(), bytes);
    }

    // Input: the Poll keepalived sends on reaching Up (`min_rx 200, min_tx 150`, default
    // multiplier 5), and the Final its peer answers with.
    // Output: Up with P (flags 0x20), Desired Min TX 150000 µs; then Up with F (0x10).
    #[test]
    fn keepalived_poll_and_final_decode() {
        let poll = Repr::decode(&hex("20e00518d370556f9c78345d000249f000030d4000000000"))
            .expect("keepalived's poll is valid");
        assert_eq!(
            (poll.state, poll.poll, poll.final_flag),
            (State::Up, true, false)
        );
        assert_eq!((poll.detect_mult, poll.desired_min_tx), (5, 150_000));
        assert_eq!(poll.required_min_rx, 200_000);
        let answer = Repr::decode(&hex("20d003189c78345dd370556f000186a0000186a000000000"))
            .expect("keepalived's final is valid");
        assert_eq!(
            (answer.state, answer.poll, answer.final_flag),
            (State::Up, false, true)
        );
        assert_eq!(answer.your_discriminator, poll.my_discriminator);
    }

    // Input: packets RFC 5880 §6.8.6 says to discard: version 2, Detect Mult 0, M set,
    // My Discr 0, Up with Your Discr 0, Length 23, Length beyond the datagram, A set with
    // an Auth Len past Length.
    // Output: each is an error value, none panics.
    #[test]
    fn rfc_5880_discard_rules_are_errors() {
        let good = hex("204003189c78345d00000000000f4240000186a000000000");
        let mut cases: Vec<Vec<u8>> = Vec::new();
        let mut edit = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = good.clone();
            f(&mut b);
            cases.push(b);
        };
        edit(&|b| b[0] = 0x40);
        edit(&|b| b[2] = 0);
        edit(&|b| b[1] |= 0x01);
        edit(&|b| b[4..8].copy_from_slice(&[0; 4]));
        edit(&|b| b[1] = 0xc0);
        edit(&|b| b[3] = 23);
        edit(&|b| b[3] = 30);
        edit(&|b| {
            b[1] |= 0x04;
            b[3] = 28;
            b.extend_from_slice(&[1, 9, 0, 0]);
        });
        for bytes in cases {
            assert!(Repr::decode(&bytes).is_err(), "{bytes:02x?}");
        }
        assert!(Repr::decode(&good[..20]).is_err());
    }

    // Input: a packet with a Simple Password section (type 1, length 8).
    // Output: decoded, the section reported so a session without auth can discard it;
    // keel refuses to emit it.
    #[test]
    fn an_auth_section_is_parsed_not_emitted() {
        let mut bytes = hex("204403209c78345d00000000000f4240000186a000000000");
        bytes.extend_from_slice(&[1, 8, 1, b's', b'e', b'c', b'r', b't']);
        let repr = Repr::decode(&bytes).expect("well-formed auth section");
        assert_eq!(
            repr.auth,
            Some(AuthSection {
                auth_type: 1,
                auth_len: 8
            })
        );
        assert!(repr.to_bytes().is_err());
    }
}
