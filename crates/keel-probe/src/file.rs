//! `FILE_CHECK` (spec §2.7): the checker follows a `track_file`, a file holding an integer.
//!
//! keepalived compat (`check_file.c`, `track_file.c`):
//! - `weight 0` (the default): the value 0 means up, anything else down; `reverse` swaps
//!   the two.
//! - `weight W`: the checker is up and adds value × W (negated with `reverse`) to the real
//!   server's weight, unless that product is at or below −`IPVS_WEIGHT_MAX`, which means
//!   down (keepalived's `IPVS_WEIGHT_FAULT`).
//! - The value is read like `strtol`: leading blanks, an optional sign and digits; a file
//!   that is missing or does not start with a number reads as 0.

use std::path::PathBuf;

use crate::ProbeOutcome;

/// IPVS's largest weight; a weighted value at or below its negation is a fault.
pub const IPVS_WEIGHT_MAX: i64 = 65535;

/// `FILE_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// The tracked file's path (`track_file NAME` resolved to its `file`).
    pub path: PathBuf,
    /// `weight W` (0 when absent).
    pub weight: i64,
    /// `weight W reverse`.
    pub reverse: bool,
}

pub(crate) fn check(spec: &FileSpec) -> ProbeOutcome {
    let value = std::fs::read(&spec.path)
        .map(|bytes| leading_integer(&bytes))
        .unwrap_or(0);
    judge(value, spec.weight, spec.reverse)
}

fn judge(value: i64, weight: i64, reverse: bool) -> ProbeOutcome {
    if weight == 0 {
        return if (value == 0) != reverse {
            ProbeOutcome::Up
        } else {
            ProbeOutcome::down(format!("tracked file value {value}"))
        };
    }
    let sign = if reverse { -1 } else { 1 };
    let offset = value.saturating_mul(weight).saturating_mul(sign);
    if offset <= -IPVS_WEIGHT_MAX {
        ProbeOutcome::down(format!(
            "tracked file value {value} × weight {weight} is a fault"
        ))
    } else {
        ProbeOutcome::UpWithWeightOffset(offset)
    }
}

pub(crate) fn leading_integer(bytes: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start();
    let end = text
        .char_indices()
        .find(|&(index, c)| !(c.is_ascii_digit() || (index == 0 && (c == '-' || c == '+'))))
        .map_or(text.len(), |(index, _)| index);
    text[..end].parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unweighted_file_is_up_only_at_zero() {
        // Input: values 0 and 3, weight 0, with and without reverse.
        // Output: 0 up / 3 down; reversed, the opposite.
        assert_eq!(judge(0, 0, false), ProbeOutcome::Up);
        assert!(!judge(3, 0, false).is_up());
        assert!(!judge(0, 0, true).is_up());
        assert_eq!(judge(3, 0, true), ProbeOutcome::Up);
    }

    #[test]
    fn weighted_file_offsets_the_weight_until_fault() {
        // Input: weight 10 with values 5, -5 (reverse), and a huge negative value.
        // Output: offsets 50 and 50; the huge one is a fault (down).
        assert_eq!(judge(5, 10, false), ProbeOutcome::UpWithWeightOffset(50));
        assert_eq!(judge(-5, 10, true), ProbeOutcome::UpWithWeightOffset(50));
        assert!(!judge(-10_000, 10, false).is_up());
    }

    #[test]
    fn values_are_read_like_strtol() {
        // Input: file contents with blanks, signs, trailing text, garbage.
        // Output: the leading integer, or 0.
        assert_eq!(leading_integer(b"  42\n"), 42);
        assert_eq!(leading_integer(b"-7 apples"), -7);
        assert_eq!(leading_integer(b"+3"), 3);
        assert_eq!(leading_integer(b"abc"), 0);
        assert_eq!(leading_integer(b""), 0);
        assert_eq!(leading_integer(b"99999999999999999999999"), 0);
    }
}
