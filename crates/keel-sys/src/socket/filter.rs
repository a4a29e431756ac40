//! A BACKUP's repeated adverts, absorbed in the kernel (issue 4: CPU at 510 instances × 0.1 s).
//!
//! In steady state a BACKUP hears the same advert from its master every interval, and each
//! one does a single thing: it restarts the Master_Down timer (RFC 5798 §6.4.2). Reading
//! them costs the most of what a backup spends: a queue, a wake-up, `recvmmsg` with its
//! control messages, a decode, the engine. This filter, an eBPF socket filter on the raw VRRP
//! socket with one slot per VRID in a memory-mapped array, drops in the kernel an advert
//! that is byte for byte the one the daemon last accepted, and records when it came. The
//! daemon reads the slot when the timer is near and restarts it from that time, as the
//! advert itself would have.
//!
//! What an advert must match to be absorbed (anything else reaches the socket as before):
//!
//! * the **fingerprint** the daemon stored for its VRID when it accepted that advert: the
//!   IPv4 header but its identification and checksum (which change per packet), or the IPv6
//!   header's version, payload length, next header, hop limit, source and destination; and
//!   the first 8 bytes of VRRP (version, type, VRID, priority, count, interval or
//!   authentication type, and the checksum, which covers the addresses and, for v2, the
//!   password). A packet with IPv4 options or IPv6 extension headers never matches.
//! * the **gap**: it arrived less than the slot's limit (the instance's Master_Down_Interval)
//!   after the previous advert of the chain. So every absorbed advert came while the timer
//!   it restarts was still running, and the daemon may restart the timer from the chain's
//!   last arrival alone. An advert after a longer silence reaches the socket, in order, and
//!   the engine sees the expiry first, as it would without the filter.
//!
//! The slot layout is shared with the program below; all of it is this module's.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

use super::Received;
use crate::error::{Error, Result};

/// Slots: one per VRID.
const SLOTS: usize = 256;
/// Bytes per slot, a multiple of 8 (the kernel's stride for array values).
const SLOT_SIZE: usize = 80;
/// Offset of the armed flag (u32; 0: absorb nothing).
const ARMED: usize = 0;
/// Offset of the fingerprint words (u32 each, at most [`WORDS_MAX`]).
const EXPECTED: usize = 8;
/// Offset of the last arrival of the chain (u64, CLOCK_MONOTONIC ns).
const LAST: usize = 56;
/// Offset of the longest gap absorbed (u64 ns): the instance's Master_Down_Interval.
const LIMIT: usize = 64;
/// Offset of the number of adverts absorbed (u64, only grows).
const COUNT: usize = 72;
/// Fingerprint words at most (IPv6: 40 header bytes and 8 of VRRP).
const WORDS_MAX: usize = 12;

/// `bpf(2)` commands and constants (linux/bpf.h).
const BPF_MAP_CREATE: libc::c_int = 0;
const BPF_PROG_LOAD: libc::c_int = 5;
const BPF_MAP_TYPE_ARRAY: u32 = 2;
const BPF_PROG_TYPE_SOCKET_FILTER: u32 = 1;
const BPF_F_MMAPABLE: u32 = 1 << 10;
/// `SO_ATTACH_BPF` (asm-generic/socket.h); not in the libc crate for this target.
const SO_ATTACH_BPF: libc::c_int = 50;
/// Helpers (linux/bpf.h `__BPF_FUNC_MAPPER` order).
const HELPER_MAP_LOOKUP: i32 = 1;
const HELPER_KTIME_GET_NS: i32 = 5;
const HELPER_SKB_LOAD_BYTES_RELATIVE: i32 = 68;
/// `BPF_HDR_START_NET`: offsets from the network header.
const HDR_START_NET: i32 = 1;

/// Which family's packets the program reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterFamily {
    /// The IPv4 header (20 bytes, no options) and VRRP.
    Ipv4,
    /// The IPv6 header (40 bytes, VRRP as next header) and VRRP.
    Ipv6,
}

impl FilterFamily {
    /// Bytes of the network packet the fingerprint covers.
    fn bytes(self) -> usize {
        match self {
            FilterFamily::Ipv4 => 28,
            FilterFamily::Ipv6 => 48,
        }
    }

    /// Offset of the VRID in the network packet (the VRRP header's second byte).
    fn vrid_offset(self) -> usize {
        self.bytes() - 7
    }

    /// Per word, the bits compared (native-endian over the packet bytes): IPv4 leaves out
    /// the identification (bytes 4–5) and the header checksum (10–11); IPv6 keeps only the
    /// version of its first word (the traffic class and flow label may vary).
    fn masks(self) -> &'static [[u8; 4]] {
        const FULL: [u8; 4] = [0xff; 4];
        match self {
            FilterFamily::Ipv4 => &[
                FULL,
                [0, 0, 0xff, 0xff],
                [0xff, 0xff, 0, 0],
                FULL,
                FULL,
                FULL,
                FULL,
            ],
            FilterFamily::Ipv6 => &[
                [0xf0, 0, 0, 0],
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
                FULL,
            ],
        }
    }
}

/// What an absorbed advert must look like: the masked words of its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    vrid: u8,
    words: [u32; WORDS_MAX],
    len: usize,
}

impl Fingerprint {
    /// From a received IPv4 packet (header included, as the raw socket returns it); `None`
    /// when it has IP options or is too short to hold a VRRP header.
    pub fn ipv4(packet: &[u8]) -> Option<Fingerprint> {
        let bytes = packet.get(..FilterFamily::Ipv4.bytes())?;
        if bytes[0] != 0x45 {
            return None;
        }
        Some(Self::of(FilterFamily::Ipv4, bytes))
    }

    /// From a received IPv6 VRRP payload and what the kernel said of it: the header is
    /// rebuilt as the filter sees it (version 6, payload length, next header 112, hop
    /// limit, source, destination).
    pub fn ipv6(payload: &[u8], received: &Received) -> Option<Fingerprint> {
        let (std::net::IpAddr::V6(source), std::net::IpAddr::V6(destination)) =
            (received.source, received.destination)
        else {
            return None;
        };
        let length = u16::try_from(payload.len()).ok()?;
        let mut bytes = [0u8; 48];
        bytes[0] = 0x60;
        bytes[4..6].copy_from_slice(&length.to_be_bytes());
        bytes[6] = 112;
        bytes[7] = received.hop_limit;
        bytes[8..24].copy_from_slice(&source.octets());
        bytes[24..40].copy_from_slice(&destination.octets());
        bytes[40..48].copy_from_slice(payload.get(..8)?);
        Some(Self::of(FilterFamily::Ipv6, &bytes))
    }

    fn of(family: FilterFamily, bytes: &[u8]) -> Fingerprint {
        let mut words = [0u32; WORDS_MAX];
        for (index, mask) in family.masks().iter().enumerate() {
            let word: [u8; 4] = std::array::from_fn(|at| bytes[index * 4 + at] & mask[at]);
            words[index] = u32::from_ne_bytes(word);
        }
        Fingerprint {
            vrid: bytes[family.vrid_offset()],
            words,
            len: family.masks().len(),
        }
    }

    /// The VRID the advert is for.
    pub fn vrid(&self) -> u8 {
        self.vrid
    }
}

/// What a slot has absorbed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Absorbed {
    /// Adverts absorbed since the filter was attached (it only grows).
    pub count: u64,
    /// When the chain's last advert arrived (CLOCK_MONOTONIC ns; the one stored by
    /// [`AdvertFilter::arm`] until an advert is absorbed).
    pub last_ns: u64,
}

/// The filter of one raw VRRP socket and its memory-mapped slots.
#[derive(Debug)]
pub struct AdvertFilter {
    family: FilterFamily,
    slots: NonNull<u8>,
    len: usize,
    _map: OwnedFd,
}

// SAFETY: the mapping is plain shared memory, touched only through atomics; the kernel
// program is the other party and keeps to the same layout.
unsafe impl Send for AdvertFilter {}
// SAFETY: as above; every access is an atomic load or store.
unsafe impl Sync for AdvertFilter {}

impl Drop for AdvertFilter {
    fn drop(&mut self) {
        // SAFETY: `slots`/`len` are the mapping made in `attach`, unmapped once.
        unsafe { libc::munmap(self.slots.as_ptr().cast(), self.len) };
    }
}

impl AdvertFilter {
    /// Creates the slots, loads the program and attaches it to raw socket `socket` of
    /// `family`. Fails where the kernel has no eBPF (or refuses the program); the socket is
    /// then untouched and receives every advert.
    pub fn attach(socket: RawFd, family: FilterFamily) -> Result<AdvertFilter> {
        let map = create_map()?;
        let len = SLOTS * SLOT_SIZE;
        // SAFETY: maps `len` bytes of the array's values (page-aligned for an mmapable
        // array, `len` a multiple of the page size) shared with the kernel; checked below.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                map.as_raw_fd(),
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(Error::io("mmap(BPF array)", io::Error::last_os_error()));
        }
        let filter = AdvertFilter {
            family,
            slots: NonNull::new(address.cast()).ok_or_else(|| {
                Error::io(
                    "mmap(BPF array)",
                    io::Error::from_raw_os_error(libc::EFAULT),
                )
            })?,
            len,
            _map: map,
        };
        let program = load_program(&program(family, filter._map.as_raw_fd()))?;
        let fd = program.as_raw_fd();
        // SAFETY: passes one int (the program's descriptor) to setsockopt.
        let result = unsafe {
            libc::setsockopt(
                socket,
                libc::SOL_SOCKET,
                SO_ATTACH_BPF,
                (&fd as *const RawFd).cast(),
                size_of::<RawFd>() as libc::socklen_t,
            )
        };
        if result != 0 {
            return Err(Error::io(
                "setsockopt(SO_ATTACH_BPF)",
                io::Error::last_os_error(),
            ));
        }
        // The socket holds the program now; its descriptor closes here.
        Ok(filter)
    }

    /// The family the filter reads.
    pub fn family(&self) -> FilterFamily {
        self.family
    }

    /// Absorbs, from now on, adverts that match `fingerprint` and come less than `limit_ns`
    /// after the previous one; `last_ns` is the arrival of the advert the fingerprint was
    /// taken from (CLOCK_MONOTONIC ns).
    pub fn arm(&self, fingerprint: &Fingerprint, last_ns: u64, limit_ns: u64) {
        let slot = usize::from(fingerprint.vrid);
        self.word(slot, ARMED).store(0, Ordering::Release);
        fence(Ordering::SeqCst);
        for (index, word) in fingerprint.words[..fingerprint.len].iter().enumerate() {
            self.word(slot, EXPECTED + index * 4)
                .store(*word, Ordering::Relaxed);
        }
        self.long(slot, LAST).store(last_ns, Ordering::Relaxed);
        self.long(slot, LIMIT).store(limit_ns, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        self.word(slot, ARMED).store(1, Ordering::Release);
    }

    /// Stops absorbing adverts for `vrid`.
    pub fn disarm(&self, vrid: u8) {
        self.word(usize::from(vrid), ARMED)
            .store(0, Ordering::Release);
        fence(Ordering::SeqCst);
    }

    /// What `vrid`'s slot has absorbed.
    pub fn absorbed(&self, vrid: u8) -> Absorbed {
        let slot = usize::from(vrid);
        // The program stores the arrival before it counts: a count read first is never
        // newer than the arrival read after it.
        let count = self.long(slot, COUNT).load(Ordering::Acquire);
        let last_ns = self.long(slot, LAST).load(Ordering::Acquire);
        Absorbed { count, last_ns }
    }

    fn word(&self, slot: usize, offset: usize) -> &AtomicU32 {
        debug_assert!(slot < SLOTS && offset + 4 <= SLOT_SIZE);
        // SAFETY: inside the mapping (slot < 256, offset within the slot), 4-aligned (the
        // mapping is page-aligned, slots are 80 bytes, offsets multiples of 4), and only
        // ever accessed atomically by this process.
        unsafe { &*self.slots.as_ptr().add(slot * SLOT_SIZE + offset).cast() }
    }

    fn long(&self, slot: usize, offset: usize) -> &AtomicU64 {
        debug_assert!(slot < SLOTS && offset + 8 <= SLOT_SIZE);
        // SAFETY: as `word`, 8-aligned (slot size and the u64 offsets are multiples of 8).
        unsafe { &*self.slots.as_ptr().add(slot * SLOT_SIZE + offset).cast() }
    }
}

/// CLOCK_MONOTONIC now, in ns: the clock of the program's `bpf_ktime_get_ns` and of
/// `std::time::Instant` on Linux.
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one timespec into `now`, which outlives the call.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    (now.tv_sec.max(0) as u64) * 1_000_000_000 + now.tv_nsec.clamp(0, 999_999_999) as u64
}

fn bpf(command: libc::c_int, attr: &mut [u64; 16]) -> io::Result<OwnedFd> {
    // SAFETY: `attr` is a zero-padded `union bpf_attr` of 128 bytes for `command`; the
    // kernel reads (and, for a log, writes through pointers in) it during the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            command,
            attr.as_mut_ptr(),
            size_of::<[u64; 16]>() as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Writes `value` at byte `offset` of the attribute union.
fn put(attr: &mut [u64; 16], offset: usize, value: &[u8]) {
    // SAFETY: the union is 128 bytes; callers write inside it.
    let bytes: &mut [u8; 128] = unsafe { &mut *attr.as_mut_ptr().cast() };
    bytes[offset..offset + value.len()].copy_from_slice(value);
}

fn create_map() -> Result<OwnedFd> {
    let mut attr = [0u64; 16];
    put(&mut attr, 0, &BPF_MAP_TYPE_ARRAY.to_ne_bytes());
    put(&mut attr, 4, &4u32.to_ne_bytes());
    put(&mut attr, 8, &(SLOT_SIZE as u32).to_ne_bytes());
    put(&mut attr, 12, &(SLOTS as u32).to_ne_bytes());
    put(&mut attr, 16, &BPF_F_MMAPABLE.to_ne_bytes());
    put(&mut attr, 28, b"keel_adverts\0");
    bpf(BPF_MAP_CREATE, &mut attr).map_err(|e| Error::io("bpf(BPF_MAP_CREATE)", e))
}

fn load_program(instructions: &[Insn]) -> Result<OwnedFd> {
    const LICENSE: &[u8] = b"Apache-2.0\0";
    let attempt = |log: Option<&mut Vec<u8>>| {
        let mut attr = [0u64; 16];
        put(&mut attr, 0, &BPF_PROG_TYPE_SOCKET_FILTER.to_ne_bytes());
        put(&mut attr, 4, &(instructions.len() as u32).to_ne_bytes());
        put(&mut attr, 8, &(instructions.as_ptr() as u64).to_ne_bytes());
        put(&mut attr, 16, &(LICENSE.as_ptr() as u64).to_ne_bytes());
        if let Some(log) = log {
            put(&mut attr, 24, &1u32.to_ne_bytes());
            put(&mut attr, 28, &(log.len() as u32).to_ne_bytes());
            put(&mut attr, 32, &(log.as_mut_ptr() as u64).to_ne_bytes());
        }
        put(&mut attr, 48, b"keel_adverts\0");
        bpf(BPF_PROG_LOAD, &mut attr)
    };
    attempt(None).map_err(|error| {
        // Load again with the verifier's log, to say why.
        let mut log = vec![0u8; 64 << 10];
        let _ = attempt(Some(&mut log));
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        let text = String::from_utf8_lossy(&log[..end]);
        let last = text
            .lines()
            .rev()
            .find(|line| !line.is_empty())
            .unwrap_or("");
        Error::io(
            "bpf(BPF_PROG_LOAD)",
            io::Error::new(error.kind(), format!("{error}; verifier: {last}")),
        )
    })
}

/// One eBPF instruction (linux/bpf.h `struct bpf_insn`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Insn {
    code: u8,
    /// dst register in the low nibble, src in the high one.
    regs: u8,
    off: i16,
    imm: i32,
}

/// Registers: R0 result, R1–R5 arguments, R6–R9 kept across calls, R10 frame pointer.
const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R5: u8 = 5;
const R6: u8 = 6;
const R7: u8 = 7;
const FP: u8 = 10;

const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | (src << 4),
        off,
        imm,
    }
}

/// Opcodes (linux/bpf_common.h, linux/bpf.h).
mod op {
    pub const MOV64_REG: u8 = 0xbf;
    pub const MOV64_IMM: u8 = 0xb7;
    pub const ADD64_IMM: u8 = 0x07;
    pub const SUB64_REG: u8 = 0x1f;
    pub const AND32_IMM: u8 = 0x54;
    pub const LDX_W: u8 = 0x61;
    pub const LDX_B: u8 = 0x71;
    pub const LDX_DW: u8 = 0x79;
    pub const STX_W: u8 = 0x63;
    pub const STX_DW: u8 = 0x7b;
    /// `BPF_STX | BPF_ATOMIC | BPF_DW`, with `BPF_ADD` (0) as the immediate.
    pub const ATOMIC_ADD_DW: u8 = 0xdb;
    pub const LD_IMM64: u8 = 0x18;
    pub const CALL: u8 = 0x85;
    pub const EXIT: u8 = 0x95;
    pub const JEQ_IMM: u8 = 0x15;
    pub const JNE_IMM: u8 = 0x55;
    pub const JNE_REG: u8 = 0x5d;
    pub const JGE_REG: u8 = 0x3d;
}

/// `BPF_PSEUDO_MAP_FD`: the immediate of a 64-bit load is a map descriptor.
const PSEUDO_MAP_FD: u8 = 1;

/// The program for `family`, reading slots from map `map`. Returns the whole packet's
/// length (keep it) or 0 (absorbed). In C it would read:
///
/// ```text
/// u8 head[N];                                   // N = 28 (IPv4) or 48 (IPv6)
/// if (bpf_skb_load_bytes_relative(skb, 0, head, N, BPF_HDR_START_NET)) return skb->len;
/// u32 key = head[N - 7];                        // the VRID
/// struct slot *s = bpf_map_lookup_elem(&slots, &key);
/// if (!s || !s->armed) return skb->len;
/// for each word i: if ((word(head, i) & mask[i]) != s->expected[i]) return skb->len;
/// u64 now = bpf_ktime_get_ns();
/// if (now - s->last >= s->limit) return skb->len;   // a gap: the daemon must see it
/// s->last = now;
/// __sync_fetch_and_add(&s->count, 1);
/// return 0;
/// ```
pub(crate) fn program(family: FilterFamily, map: RawFd) -> Vec<Insn> {
    let n = family.bytes() as i32;
    // The packet's first bytes on the stack at [FP - 56, FP - 8); the key at FP - 4.
    let head: i16 = -56;
    let mut code = vec![
        insn(op::MOV64_REG, R6, R1, 0, 0),
        insn(op::MOV64_REG, R1, R6, 0, 0),
        insn(op::MOV64_IMM, R2, 0, 0, 0),
        insn(op::MOV64_REG, R3, FP, 0, 0),
        insn(op::ADD64_IMM, R3, 0, 0, i32::from(head)),
        insn(op::MOV64_IMM, R4, 0, 0, n),
        insn(op::MOV64_IMM, R5, 0, 0, HDR_START_NET),
        insn(op::CALL, 0, 0, 0, HELPER_SKB_LOAD_BYTES_RELATIVE),
    ];
    // Jumps to "keep" are patched once its position is known.
    let mut to_keep = vec![code.len()];
    code.push(insn(op::JNE_IMM, R0, 0, 0, 0));
    code.push(insn(
        op::LDX_B,
        R2,
        FP,
        head + family.vrid_offset() as i16,
        0,
    ));
    code.push(insn(op::STX_W, FP, R2, -4, 0));
    code.push(insn(op::LD_IMM64, R1, PSEUDO_MAP_FD, 0, map));
    code.push(insn(0, 0, 0, 0, 0));
    code.push(insn(op::MOV64_REG, R2, FP, 0, 0));
    code.push(insn(op::ADD64_IMM, R2, 0, 0, -4));
    code.push(insn(op::CALL, 0, 0, 0, HELPER_MAP_LOOKUP));
    to_keep.push(code.len());
    code.push(insn(op::JEQ_IMM, R0, 0, 0, 0));
    code.push(insn(op::MOV64_REG, R7, R0, 0, 0));
    code.push(insn(op::LDX_W, R1, R7, ARMED as i16, 0));
    to_keep.push(code.len());
    code.push(insn(op::JEQ_IMM, R1, 0, 0, 0));
    for (index, mask) in family.masks().iter().enumerate() {
        code.push(insn(op::LDX_W, R1, FP, head + 4 * index as i16, 0));
        if *mask != [0xff; 4] {
            code.push(insn(op::AND32_IMM, R1, 0, 0, i32::from_ne_bytes(*mask)));
        }
        code.push(insn(op::LDX_W, R2, R7, (EXPECTED + 4 * index) as i16, 0));
        to_keep.push(code.len());
        code.push(insn(op::JNE_REG, R1, R2, 0, 0));
    }
    code.extend([
        insn(op::CALL, 0, 0, 0, HELPER_KTIME_GET_NS),
        insn(op::LDX_DW, R1, R7, LAST as i16, 0),
        insn(op::MOV64_REG, R2, R0, 0, 0),
        insn(op::SUB64_REG, R2, R1, 0, 0),
        insn(op::LDX_DW, R3, R7, LIMIT as i16, 0),
    ]);
    to_keep.push(code.len());
    code.extend([
        insn(op::JGE_REG, R2, R3, 0, 0),
        insn(op::STX_DW, R7, R0, LAST as i16, 0),
        insn(op::MOV64_IMM, R1, 0, 0, 1),
        insn(op::ATOMIC_ADD_DW, R7, R1, COUNT as i16, 0),
        insn(op::MOV64_IMM, R0, 0, 0, 0),
        insn(op::EXIT, 0, 0, 0, 0),
    ]);
    let keep = code.len();
    // `__sk_buff.len` is its first field.
    code.extend([insn(op::LDX_W, R0, R6, 0, 0), insn(op::EXIT, 0, 0, 0, 0)]);
    for at in to_keep {
        code[at].off = (keep - at - 1) as i16;
    }
    code
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv6Addr};

    use super::*;

    /// A VRRPv3 advert for VRID 51, priority 100, one address, as keepalived sends it.
    const V4_PACKET: [u8; 32] = [
        0x45, 0xc0, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0xff, 0x70, 0xab, 0xcd, 10, 0, 0, 1, 224,
        0, 0, 18, 0x31, 51, 100, 1, 0x00, 0x64, 0xbe, 0xef, 10, 0, 0, 100,
    ];

    #[test]
    fn ipv4_fingerprint_leaves_out_the_identification_and_header_checksum_only() {
        let print = Fingerprint::ipv4(&V4_PACKET).unwrap();
        assert_eq!(print.vrid(), 51);
        assert_eq!(print.len, 7);
        let mut other = V4_PACKET;
        // Another identification and header checksum: the same advert.
        other[4..6].copy_from_slice(&[0x99, 0x99]);
        other[10..12].copy_from_slice(&[0x11, 0x11]);
        assert_eq!(Fingerprint::ipv4(&other), Some(print));
        // Priority, checksum, TTL, source, length: each makes another advert.
        for at in [2, 3, 8, 12, 15, 19, 22, 26, 27] {
            let mut changed = V4_PACKET;
            changed[at] ^= 1;
            assert_ne!(Fingerprint::ipv4(&changed), Some(print), "byte {at}");
        }
        // Options (IHL 6) or a short packet: no fingerprint.
        let mut options = V4_PACKET;
        options[0] = 0x46;
        assert_eq!(Fingerprint::ipv4(&options), None);
        assert_eq!(Fingerprint::ipv4(&V4_PACKET[..27]), None);
    }

    #[test]
    fn ipv6_fingerprint_is_the_header_the_kernel_received_it_with() {
        let payload = [0x31, 7, 200, 1, 0x00, 0x64, 0x12, 0x34, 0, 0, 0, 0];
        let received = Received {
            len: payload.len(),
            source: IpAddr::V6("fe80::1".parse::<Ipv6Addr>().unwrap()),
            destination: IpAddr::V6("ff02::12".parse::<Ipv6Addr>().unwrap()),
            hop_limit: 255,
            ifindex: 2,
            timestamp: None,
        };
        let print = Fingerprint::ipv6(&payload, &received).unwrap();
        assert_eq!(print.vrid(), 7);
        assert_eq!(print.len, 12);
        // Word 0 keeps the version only; word 1 is length 12, next header 112, hop 255.
        assert_eq!(print.words[0], u32::from_ne_bytes([0x60, 0, 0, 0]));
        assert_eq!(print.words[1], u32::from_ne_bytes([0, 12, 112, 255]));
        assert_eq!(print.words[2], u32::from_ne_bytes([0xfe, 0x80, 0, 0]));
        assert_eq!(print.words[10], u32::from_ne_bytes([0x31, 7, 200, 1]));
        assert_eq!(
            print.words[11],
            u32::from_ne_bytes([0x00, 0x64, 0x12, 0x34])
        );
        let hop = Received {
            hop_limit: 254,
            ..received
        };
        assert_ne!(Fingerprint::ipv6(&payload, &hop), Some(print));
    }

    #[test]
    fn program_jumps_land_on_the_keep_exit() {
        for family in [FilterFamily::Ipv4, FilterFamily::Ipv6] {
            let code = program(family, 3);
            let keep = code.len() - 2;
            assert_eq!(code[keep], insn(op::LDX_W, R0, R6, 0, 0));
            let mut jumps = 0;
            for (at, insn) in code.iter().enumerate() {
                if matches!(
                    insn.code,
                    op::JEQ_IMM | op::JNE_IMM | op::JNE_REG | op::JGE_REG
                ) {
                    assert_eq!(at + 1 + insn.off as usize, keep, "jump at {at}");
                    jumps += 1;
                }
            }
            // Load failed, no slot, not armed, one per word, the gap.
            assert_eq!(jumps, 4 + family.masks().len());
            // The map descriptor sits in the 64-bit load's first half.
            let load = code.iter().position(|i| i.code == op::LD_IMM64).unwrap();
            assert_eq!(
                (load, code[load].imm, code[load].regs),
                (11, 3, R1 | (1 << 4))
            );
        }
    }
}
