//! VRRPv2 authentication as keepalived speaks it (spec §2.6, §3.1): PASS puts the first 8
//! bytes of `auth_pass` in the advert; AH inserts an IPsec Authentication Header keyed with
//! the same 8 bytes. Both are IPv4 and VRRPv2 only.

pub mod ah;

use crate::vrrp::AUTH_DATA_LEN;

/// The 8 bytes keepalived derives from `auth_pass`: its first 8 bytes, zero padded. They
/// are both the PASS authentication data and the AH HMAC key (keepalived keys HMAC-MD5
/// with all 8 bytes, padding included).
///
/// keepalived compat: a longer password is cut to 8 bytes (with a warning at config time),
/// so "secret-long" and "secret-l" authenticate each other.
pub fn auth_data(auth_pass: &[u8]) -> [u8; AUTH_DATA_LEN] {
    let mut data = [0u8; AUTH_DATA_LEN];
    let n = auth_pass.len().min(AUTH_DATA_LEN);
    data[..n].copy_from_slice(&auth_pass[..n]);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: auth_pass "secret", "12345678", "1234567890".
    // Output: zero padded to 8; exact; cut to 8.
    #[test]
    fn auth_pass_becomes_eight_bytes() {
        assert_eq!(auth_data(b"secret"), *b"secret\0\0");
        assert_eq!(auth_data(b"12345678"), *b"12345678");
        assert_eq!(auth_data(b"1234567890"), *b"12345678");
        assert_eq!(auth_data(b""), [0; 8]);
    }
}
