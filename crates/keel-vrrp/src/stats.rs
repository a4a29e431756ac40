//! Per-instance counters, named as keepalived's `keepalived.json` `stats` object (spec §4.2, §4.3).

/// Counters of one instance. Field names are keepalived's JSON keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Adverts that passed the header checks (counted before the VIP-list check, spec §3.2).
    pub advert_rcvd: u64,
    /// Adverts sent (each send counts once, whatever the number of unicast peers).
    pub advert_sent: u64,
    /// Transitions to MASTER.
    pub become_master: u64,
    /// Transitions out of MASTER.
    pub release_master: u64,
    /// Packets of the wrong length.
    pub packet_len_err: u64,
    /// v2 adverts whose interval differs from ours (dropped).
    pub advert_interval_err: u64,
    /// Multicast adverts with TTL/hop limit ≠ 255, or unicast outside a peer's TTL window.
    pub ip_ttl_err: u64,
    /// Packets whose type is not ADVERTISEMENT.
    pub invalid_type_rcvd: u64,
    /// Adverts whose address list (or unicast/multicast destination) does not match ours.
    pub addr_list_err: u64,
    /// v2 adverts with an unknown auth type.
    pub invalid_authtype: u64,
    /// v2 adverts whose auth type (or AH presence) differs from ours.
    pub authtype_mismatch: u64,
    /// v2 adverts whose password or AH ICV is wrong.
    pub auth_failure: u64,
    /// Priority-0 adverts received.
    pub pri_zero_rcvd: u64,
    /// Priority-0 adverts sent.
    pub pri_zero_sent: u64,
    /// Bad checksums. keepalived counts these only for SNMP (`chk_err`), not in .stats/.json.
    pub checksum_err: u64,
}

impl Stats {
    /// The instance's block of `keepalived.stats` (SIGUSR2, spec §4.2), newline-terminated.
    pub fn keepalived_stats_block(&self, instance: &str) -> String {
        format!(
            "VRRP Instance: {instance}\n\
             \x20 Advertisements:\n\
             \x20   Received: {}\n\
             \x20   Sent: {}\n\
             \x20 Became master: {}\n\
             \x20 Released master: {}\n\
             \x20 Packet Errors:\n\
             \x20   Length: {}\n\
             \x20   TTL: {}\n\
             \x20   Invalid Type: {}\n\
             \x20   Advertisement Interval: {}\n\
             \x20   Address List: {}\n\
             \x20 Authentication Errors:\n\
             \x20   Invalid Type: {}\n\
             \x20   Type Mismatch: {}\n\
             \x20   Failure: {}\n\
             \x20 Priority Zero:\n\
             \x20   Received: {}\n\
             \x20   Sent: {}\n",
            self.advert_rcvd,
            self.advert_sent,
            self.become_master,
            self.release_master,
            self.packet_len_err,
            self.ip_ttl_err,
            self.invalid_type_rcvd,
            self.advert_interval_err,
            self.addr_list_err,
            self.invalid_authtype,
            self.authtype_mismatch,
            self.auth_failure,
            self.pri_zero_rcvd,
            self.pri_zero_sent,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: counters with distinct values. Output: keepalived's SIGUSR2 layout, each value
    // on its own indented line (spec §4.2).
    #[test]
    fn stats_block_matches_keepalived_layout() {
        let stats = Stats {
            advert_rcvd: 1,
            advert_sent: 2,
            become_master: 3,
            release_master: 4,
            packet_len_err: 5,
            ip_ttl_err: 6,
            invalid_type_rcvd: 7,
            advert_interval_err: 8,
            addr_list_err: 9,
            invalid_authtype: 10,
            authtype_mismatch: 11,
            auth_failure: 12,
            pri_zero_rcvd: 13,
            pri_zero_sent: 14,
            checksum_err: 99,
        };
        let expected = "VRRP Instance: VI_1
  Advertisements:
    Received: 1
    Sent: 2
  Became master: 3
  Released master: 4
  Packet Errors:
    Length: 5
    TTL: 6
    Invalid Type: 7
    Advertisement Interval: 8
    Address List: 9
  Authentication Errors:
    Invalid Type: 10
    Type Mismatch: 11
    Failure: 12
  Priority Zero:
    Received: 13
    Sent: 14
";
        assert_eq!(stats.keepalived_stats_block("VI_1"), expected);
    }
}
