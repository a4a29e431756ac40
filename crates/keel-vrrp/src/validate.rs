//! Receive validation in keepalived's order (`vrrp_check_packet`, spec §3.2), one counter per
//! failure kind (spec §4.2).

use crate::config::{Authentication, Family, Version, VipMismatch};
use crate::input::{AhStatus, ChecksumStatus, ReceivedAdvert};
use crate::instance::Instance;

/// The VRRP packet type ADVERTISEMENT (RFC 5798 §5.2.2).
const ADVERTISEMENT: u8 = 1;
/// Required IPv4 TTL / IPv6 hop limit for multicast adverts (RFC 5798 §5.1.1.3).
const VRRP_TTL: u8 = 255;

impl Instance {
    /// Runs the checks; true when the advert may drive the state machine. Counters are
    /// updated as keepalived does, including `advert_rcvd` and `pri_zero_rcvd`.
    pub(crate) fn check_advert(&mut self, advert: &ReceivedAdvert) -> bool {
        let config = &self.config;
        let stats = &mut self.stats;
        let unicast = !config.unicast_peers.is_empty();

        // 0. The router routes by VRID; a caller driving one instance may not.
        if advert.vrid != config.vrid {
            return false;
        }
        // 1. AH present iff we use AH (IPv4 only).
        let want_ah = matches!(config.authentication, Authentication::Ah(_));
        if config.family == Family::Ipv4 && advert.auth.ah.is_some() != want_ah {
            stats.authtype_mismatch += 1;
            return false;
        }
        // 2. (length: reported by the daemon as Input::Malformed.)
        // 3. RFC 5798 §7.1: TTL/HL must be 255, except for unicast (spec §3.2).
        if !unicast && advert.ttl_or_hop_limit != VRRP_TTL {
            stats.ip_ttl_err += 1;
            return false;
        }
        // 4. Version must be ours (keepalived counts it only for SNMP).
        if advert.version != config.version {
            return false;
        }
        if config.version == Version::V2 {
            // 5. RFC 3768 §7.1: auth type known, equal to ours, and correct.
            if advert.auth.auth_type > 2 {
                stats.invalid_authtype += 1;
                return false;
            }
            if advert.auth.auth_type != config.authentication.auth_type() {
                stats.authtype_mismatch += 1;
                return false;
            }
            match config.authentication {
                Authentication::Pass(key) if advert.auth.data != key => {
                    stats.auth_failure += 1;
                    return false;
                }
                Authentication::Ah(_) => match advert.auth.ah {
                    Some(AhStatus::Valid) => {}
                    Some(AhStatus::Invalid) => {
                        stats.auth_failure += 1;
                        return false;
                    }
                    // AH for another protocol: not ours, dropped silently.
                    Some(AhStatus::OtherProtocol) | None => return false,
                },
                _ => {}
            }
            // 6. RFC 3768 §7.1: the interval must be ours, else drop ("to prevent concurrent
            // VRID running => multiple master in 1 VRID"). keepalived 2.2.7 drops without
            // counting; keel also counts advert_interval_err, the counter RFC 2787 defines
            // for exactly this (vrrpStatsAdvertiseIntervalErrors).
            if advert.max_advert_interval != config.advert_interval {
                stats.advert_interval_err += 1;
                return false;
            }
        }
        // 7. Type must be ADVERTISEMENT.
        if advert.packet_type != ADVERTISEMENT {
            stats.invalid_type_rcvd += 1;
            return false;
        }
        // 8. Checksum (v3/IPv4 unicast may use the pre-1.3.6 pseudo-header, spec §3.1).
        match advert.checksum {
            ChecksumStatus::Valid => {}
            ChecksumStatus::ValidOldUnicast
                if unicast
                    && config.version == Version::V3
                    && config.family == Family::Ipv4
                    && config.accept_old_unicast_checksum => {}
            ChecksumStatus::ValidOldUnicast | ChecksumStatus::Invalid => {
                stats.checksum_err += 1;
                return false;
            }
        }
        // 9. A multicast instance takes only multicast adverts, a unicast one only unicast.
        if advert.destination.is_multicast() == unicast {
            stats.addr_list_err += 1;
            return false;
        }
        // 10. spec §3.2/§3.11: the owner may ignore adverts altogether.
        if config.priority == 255 && config.owner_ignore_adverts {
            return false;
        }
        stats.advert_rcvd += 1;

        // 11. VIP list, skipped for the known master with skip_check_adv_addr.
        let known_master = self.master_address == Some(advert.source);
        if !(config.skip_check_adv_addr && known_master) {
            let same_count = advert.addresses.len() == self.advertised.len();
            let all_present = self
                .advertised
                .iter()
                .all(|vip| advert.addresses.contains(vip));
            if !(same_count && all_present) {
                stats.addr_list_err += 1;
                // spec §3.2 [ver]: 2.2.7 discards ("ip address associated with VRID not
                // present in MASTER advert"); ≥ 2.3.3 (RFC 9568) only counts.
                if config.vip_mismatch == VipMismatch::Discard {
                    return false;
                }
            }
            // 12. The unicast source must be a peer, within the peer's TTL window.
            if unicast && config.check_unicast_src {
                let Some(peer) = config
                    .unicast_peers
                    .iter()
                    .find(|peer| peer.address == advert.source)
                else {
                    return false;
                };
                if !(peer.min_ttl..=peer.max_ttl).contains(&advert.ttl_or_hop_limit) {
                    stats.ip_ttl_err += 1;
                    return false;
                }
            }
        }
        if advert.priority == 0 {
            stats.pri_zero_rcvd += 1;
        }
        true
    }
}
