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
