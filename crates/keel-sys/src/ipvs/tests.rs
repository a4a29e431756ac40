//! Byte-exact checks of the requests against the uapi layout, and decoding of kernel-shaped
//! answers. The kernel itself is exercised in `tests/ipvs_vm.rs`.

use std::net::IpAddr;

use keel_lb::{
    DestKey, Destination, Family, ForwardingMethod, Persistence, Protocol, Scheduler,
    SchedulerFlags, ServiceKey, ServiceSettings, TunnelChecksum, TunnelType,
};

use super::nla::{Reply, Request, replies};
use super::uapi::*;
use super::*;

const FAMILY: u16 = 0x24;

fn vip(address: &str, port: u16, protocol: Protocol) -> ServiceKey {
    ServiceKey::address(address.parse().unwrap(), port, protocol)
}

fn rs(address: &str, port: u16) -> DestKey {
    DestKey::new(address.parse::<IpAddr>().unwrap(), port)
}

fn service_request(cmd: u8, key: &ServiceKey, settings: &ServiceSettings) -> Vec<u8> {
    let mut request = Request::new(FAMILY, NLM_F_REQUEST | NLM_F_ACK, 1, cmd, 1);
    request.begin_nested(CMD_ATTR_SERVICE);
    codec::put_service(&mut request, key, settings);
    request.end_nested();
    request.finish()
}

fn dest_request(key: &ServiceKey, dest: &DestKey, destination: &Destination) -> Vec<u8> {
    let mut request = Request::new(FAMILY, NLM_F_REQUEST | NLM_F_ACK, 2, CMD_NEW_DEST, 1);
    request.begin_nested(CMD_ATTR_SERVICE);
    codec::put_service_key(&mut request, key);
    request.end_nested();
    request.begin_nested(CMD_ATTR_DEST);
    codec::put_destination(&mut request, dest, Some(destination));
    request.end_nested();
    request.finish()
}

/// The attributes of a finished request (after the 16-byte netlink and 4-byte genl headers).
fn body(message: &[u8]) -> &[u8] {
    &message[20..]
}

// Input: `virtual_server 192.168.201.15 80 { lvs_sched wrr; protocol TCP }`.
// Output: IPVS_CMD_NEW_SERVICE exactly as ipvsadm's libipvs lays it out on x86-64:
// af 2, protocol 6, the address in a 16-byte nf_inet_addr, port 80 big-endian, "wrr\0",
// flags 0 with mask ~0, timeout 0, netmask 255.255.255.255.
#[cfg(target_endian = "little")]
#[test]
fn new_service_is_byte_exact() {
    let key = vip("192.168.201.15", 80, Protocol::Tcp);
    let settings = ServiceSettings {
        scheduler: Scheduler::Wrr,
        ..ServiceSettings::default()
    };
    let expected: Vec<u8> = [
        &[0x68, 0, 0, 0, 0x24, 0, 0x05, 0, 1, 0, 0, 0, 0, 0, 0, 0][..], // nlmsghdr
        &[CMD_NEW_SERVICE, 1, 0, 0],                                    // genlmsghdr
        &[0x54, 0, 0x01, 0x80],                                         // nested SERVICE
        &[6, 0, 1, 0, 2, 0, 0, 0],                                      // AF_INET
        &[6, 0, 2, 0, 6, 0, 0, 0],                                      // IPPROTO_TCP
        &[
            20, 0, 3, 0, 192, 168, 201, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ], // addr
        &[6, 0, 4, 0, 0, 80, 0, 0],                                     // port (be16)
        &[8, 0, 6, 0, b'w', b'r', b'r', 0],                             // sched_name
        &[12, 0, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],             // flags, mask
        &[8, 0, 8, 0, 0, 0, 0, 0],                                      // timeout
        &[8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff],                          // netmask
    ]
    .concat();
    assert_eq!(service_request(CMD_NEW_SERVICE, &key, &settings), expected);
}

// Input: `real_server 10.0.1.2 8080 { weight 3 }` under that service, NAT.
// Output: IPVS_CMD_NEW_DEST: the service's identity nest, then addr, port, fwd_method 0
// (MASQ), weight 3, thresholds 0, addr_family 2; no tunnel attributes.
#[cfg(target_endian = "little")]
#[test]
fn new_nat_destination_is_byte_exact() {
    let key = vip("192.168.201.15", 80, Protocol::Tcp);
    let message = dest_request(&key, &rs("10.0.1.2", 8080), &Destination::nat(3));
    let expected: Vec<u8> = [
        &[0x8c, 0, 0, 0, 0x24, 0, 0x05, 0, 2, 0, 0, 0, 0, 0, 0, 0][..],
        &[CMD_NEW_DEST, 1, 0, 0],
        &[0x30, 0, 0x01, 0x80],
        &[6, 0, 1, 0, 2, 0, 0, 0],
        &[6, 0, 2, 0, 6, 0, 0, 0],
        &[
            20, 0, 3, 0, 192, 168, 201, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        &[6, 0, 4, 0, 0, 80, 0, 0],
        &[0x48, 0, 0x02, 0x80], // nested DEST
        &[20, 0, 1, 0, 10, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // addr
        &[6, 0, 2, 0, 0x1f, 0x90, 0, 0], // port 8080
        &[8, 0, 3, 0, 0, 0, 0, 0], // IP_VS_CONN_F_MASQ
        &[8, 0, 4, 0, 3, 0, 0, 0], // weight
        &[8, 0, 5, 0, 0, 0, 0, 0], // u_threshold
        &[8, 0, 6, 0, 0, 0, 0, 0], // l_threshold
        &[6, 0, 11, 0, 2, 0, 0, 0], // addr_family
    ]
    .concat();
    assert_eq!(message, expected);
}

// Input: `lvs_method TUN type gue port 6080 remcsum`, weight 2, uthreshold 100.
// Output: fwd_method 2 (IP_VS_CONN_F_TUNNEL), tun_type 1 (GUE), tun_port 6080 big-endian,
// tun_flags 2 (IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM).
#[cfg(target_endian = "little")]
#[test]
fn gue_tunnel_destination_carries_tunnel_attributes() {
    let key = vip("192.168.201.15", 80, Protocol::Tcp);
    let destination = Destination {
        weight: 2,
        method: ForwardingMethod::Tunnel {
            tunnel: TunnelType::Gue { port: 6080 },
            checksum: TunnelChecksum::Remote,
        },
        upper_threshold: 100,
        lower_threshold: 0,
    };
    let message = dest_request(&key, &rs("10.0.1.2", 80), &destination);
    let tail: Vec<u8> = [
        &[8, 0, 3, 0, 2, 0, 0, 0][..],
        &[8, 0, 4, 0, 2, 0, 0, 0],
        &[8, 0, 5, 0, 100, 0, 0, 0],
        &[8, 0, 6, 0, 0, 0, 0, 0],
        &[6, 0, 11, 0, 2, 0, 0, 0],
        &[5, 0, 13, 0, 1, 0, 0, 0],
        &[6, 0, 14, 0, 0x17, 0xc0, 0, 0],
        &[6, 0, 15, 0, 2, 0, 0, 0],
    ]
    .concat();
    assert!(message.ends_with(&tail), "{message:02x?}");
}

// Input: `virtual_server fwmark 7 { persistence_timeout 600; persistence_granularity
// 255.255.255.0; lvs_sched sh; sh-port; sh-fallback }`.
// Output: af + fwmark only (no protocol/address/port), flags PERSISTENT|SCHED1|SCHED2 =
// 0x19, timeout 600, netmask bytes ff ff ff 00 (network order).
#[cfg(target_endian = "little")]
#[test]
fn fwmark_service_with_persistence_and_scheduler_flags() {
    let key = ServiceKey::fwmark(7, Family::Inet);
    let settings = ServiceSettings {
        scheduler: Scheduler::Sh,
        scheduler_flags: SchedulerFlags {
            flag1: true,
            flag2: true,
            flag3: false,
        },
        persistence: Some(Persistence {
            timeout: 600,
            netmask: 0xffff_ff00,
        }),
        ..ServiceSettings::default()
    };
    let message = service_request(CMD_NEW_SERVICE, &key, &settings);
    let nest: Vec<u8> = [
        &[6, 0, 1, 0, 2, 0, 0, 0][..],
        &[8, 0, 5, 0, 7, 0, 0, 0],
        &[7, 0, 6, 0, b's', b'h', 0, 0],
        &[12, 0, 7, 0, 0x19, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        &[8, 0, 8, 0, 0x58, 0x02, 0, 0],
        &[8, 0, 9, 0, 0xff, 0xff, 0xff, 0x00],
    ]
    .concat();
    assert_eq!(&body(&message)[4..], &nest[..]);
}

// Input: an IPv6 UDP service with `ops` and persistence per /64, engine "sip".
// Output: af 10, protocol 17, 16 address bytes, flags PERSISTENT|ONEPACKET, netmask 64 as a
// host-order prefix length, pe_name "sip\0".
#[cfg(target_endian = "little")]
#[test]
fn ipv6_one_packet_service() {
    let key = vip("2001:db8::15", 5060, Protocol::Udp);
    let settings = ServiceSettings {
        scheduler: Scheduler::Rr,
        one_packet: true,
        persistence: Some(Persistence {
            timeout: 30,
            netmask: 64,
        }),
        persistence_engine: Some("sip".into()),
        ..ServiceSettings::default()
    };
    let message = service_request(CMD_SET_SERVICE, &key, &settings);
    assert_eq!(message[16], CMD_SET_SERVICE);
    let nest = &body(&message)[4..];
    assert_eq!(
        &nest[..16],
        &[6, 0, 1, 0, 10, 0, 0, 0, 6, 0, 2, 0, 17, 0, 0, 0]
    );
    assert_eq!(&nest[16..20], &[20, 0, 3, 0]);
    assert_eq!(&nest[20..24], &[0x20, 0x01, 0x0d, 0xb8]);
    assert!(nest.ends_with(&[
        12, 0, 7, 0, 0x05, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, // flags
        8, 0, 8, 0, 30, 0, 0, 0, // timeout
        8, 0, 9, 0, 64, 0, 0, 0, // prefix length
        8, 0, 11, 0, b's', b'i', b'p', 0, // pe_name
    ]));
}

// Input: CTRL_CMD_GETFAMILY for "IPVS".
// Output: sent to GENL_ID_CTRL (0x10), cmd 3, version 2, one CTRL_ATTR_FAMILY_NAME "IPVS\0".
#[cfg(target_endian = "little")]
#[test]
fn family_lookup_is_byte_exact() {
    let message = family_request(5, "IPVS").finish();
    let expected: Vec<u8> = [
        &[32, 0, 0, 0, 0x10, 0, 0x05, 0, 5, 0, 0, 0, 0, 0, 0, 0][..],
        &[3, 2, 0, 0],
        &[9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0],
    ]
    .concat();
    assert_eq!(message, expected);
}

// Input: `lvs_timeouts tcp 900 udp 300` (tcpfin unset).
// Output: SET_CONFIG with TIMEOUT_TCP 900 and TIMEOUT_UDP 300 only.
#[cfg(target_endian = "little")]
#[test]
fn timeouts_leave_unset_fields_out() {
    let timeouts = Timeouts {
        tcp: 900,
        tcp_fin: 0,
        udp: 300,
    };
    let message = timeouts_request(FAMILY, 3, &timeouts).finish();
    assert_eq!(message[16], CMD_SET_CONFIG);
    assert_eq!(
        body(&message),
        &[8, 0, 4, 0, 0x84, 0x03, 0, 0, 8, 0, 6, 0, 0x2c, 0x01, 0, 0]
    );
}

// Input: `lvs_sync_daemon eth0 VI_1 id 5 maxlen 1400 port 8850 ttl 2 group 224.0.0.82`.
// Output: NEW_DAEMON nest: state 1 (master), "eth0\0", syncid 5, maxlen 1400, group
// bytes, port in host order (nla_get_u16 in the kernel), ttl; an over-long interface name is refused before sending.
#[cfg(target_endian = "little")]
#[test]
fn sync_daemon_request_and_its_limits() {
    let mut daemon = SyncDaemon {
        role: SyncRole::Master,
        interface: "eth0".into(),
        sync_id: 5,
        max_len: Some(1400),
        group: Some("224.0.0.82".parse().unwrap()),
        port: Some(8850),
        ttl: Some(2),
    };
    let message = sync_daemon_request(FAMILY, 4, &daemon).unwrap().finish();
    let nest: Vec<u8> = [
        &[8, 0, 1, 0, 1, 0, 0, 0][..],
        &[9, 0, 2, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0],
        &[8, 0, 3, 0, 5, 0, 0, 0],
        &[6, 0, 4, 0, 0x78, 0x05, 0, 0],
        &[8, 0, 5, 0, 224, 0, 0, 82],
        &[6, 0, 7, 0, 0x92, 0x22, 0, 0], // host order, unlike service ports
        &[5, 0, 8, 0, 2, 0, 0, 0],
    ]
    .concat();
    assert_eq!(&body(&message)[4..], &nest[..]);
    // The decoder reads back what the kernel echoes in GET_DAEMON.
    assert_eq!(sync_daemon_of(body(&message)).unwrap(), daemon);
    daemon.interface = "a-very-long-name0".into();
    assert!(sync_daemon_request(FAMILY, 4, &daemon).is_err());
}

// Input: service and destination nests as GET_SERVICE/GET_DEST dumps return them (the same
// attributes plus the kernel's HASHED flag and stats nests keel does not model).
// Output: the same keel-lb values that were encoded.
#[test]
fn dump_answers_decode_to_the_model() {
    let cases = [
        (
            vip("192.168.201.15", 443, Protocol::Tcp),
            ServiceSettings {
                scheduler: Scheduler::Mh,
                scheduler_flags: SchedulerFlags {
                    flag1: true,
                    flag2: false,
                    flag3: true,
                },
                persistence: Some(Persistence {
                    timeout: 300,
                    netmask: 0xffff_0000,
                }),
                ..ServiceSettings::default()
            },
        ),
        (
            ServiceKey::fwmark(9, Family::Inet6),
            ServiceSettings {
                scheduler: Scheduler::Lblcr,
                persistence: Some(Persistence::per_client(60, Family::Inet6)),
                ..ServiceSettings::default()
            },
        ),
        (
            vip("10.1.1.1", 9, Protocol::Sctp),
            ServiceSettings::default(),
        ),
    ];
    for (key, settings) in cases {
        let mut request = Request::new(FAMILY, 0, 1, CMD_NEW_SERVICE, 1);
        request.begin_nested(CMD_ATTR_SERVICE);
        codec::put_service(&mut request, &key, &settings);
        request.put(SVC_ATTR_FLAGS + 3, &[0; 8]); // STATS-like extra attribute
        request.end_nested();
        let mut message = request.finish();
        // The kernel reports HASHED (0x2) in the flags word; it is not a setting.
        let at = message
            .windows(4)
            .position(|w| w == [12, 0, 7, 0])
            .expect("flags attribute present (put_service always writes it)");
        message[at + 4] |= 0x02;
        assert_eq!(codec::service_of(body(&message)).unwrap(), (key, settings));
    }

    let key = vip("192.168.201.15", 80, Protocol::Tcp);
    let destinations = [
        (rs("10.0.1.1", 80), Destination::nat(0)),
        (
            rs("10.0.1.2", 0),
            Destination {
                weight: 7,
                method: ForwardingMethod::DirectRouting,
                upper_threshold: 10,
                lower_threshold: 5,
            },
        ),
        (
            rs("2001:db8::2", 80),
            Destination {
                weight: 1,
                method: ForwardingMethod::Tunnel {
                    tunnel: TunnelType::Gre,
                    checksum: TunnelChecksum::Checksum,
                },
                ..Destination::default()
            },
        ),
    ];
    for (dest, destination) in destinations {
        let message = dest_request(&key, &dest, &destination);
        assert_eq!(
            codec::destination_of(body(&message), Family::Inet).unwrap(),
            (dest, destination)
        );
    }
}

// Input: dump answers a hostile or broken kernel could send: no family, an unknown
// protocol, a 2-byte address, an unknown scheduler, a forwarding method of 9.
// Output: each is a Malformed error, never a panic.
#[test]
fn malformed_answers_are_errors() {
    let mut no_family = Request::new(FAMILY, 0, 1, 1, 1);
    no_family
        .begin_nested(CMD_ATTR_SERVICE)
        .put_u16(SVC_ATTR_PROTOCOL, 6)
        .end_nested();
    let mut bad_protocol = Request::new(FAMILY, 0, 1, 1, 1);
    bad_protocol
        .begin_nested(CMD_ATTR_SERVICE)
        .put_u16(SVC_ATTR_AF, AF_INET)
        .put_u16(SVC_ATTR_PROTOCOL, 99)
        .put(SVC_ATTR_ADDR, &[1, 2, 3, 4])
        .end_nested();
    let mut short_address = Request::new(FAMILY, 0, 1, 1, 1);
    short_address
        .begin_nested(CMD_ATTR_SERVICE)
        .put_u16(SVC_ATTR_AF, AF_INET)
        .put_u16(SVC_ATTR_PROTOCOL, 6)
        .put(SVC_ATTR_ADDR, &[1, 2])
        .put_str(SVC_ATTR_SCHED_NAME, "rr")
        .end_nested();
    let mut bad_scheduler = Request::new(FAMILY, 0, 1, 1, 1);
    bad_scheduler
        .begin_nested(CMD_ATTR_SERVICE)
        .put_u16(SVC_ATTR_AF, AF_INET)
        .put_u32(SVC_ATTR_FWMARK, 1)
        .put_str(SVC_ATTR_SCHED_NAME, "nosuch")
        .end_nested();
    for request in [no_family, bad_protocol, short_address, bad_scheduler] {
        let message = request.finish();
        assert!(matches!(
            codec::service_of(body(&message)),
            Err(Error::Malformed { .. })
        ));
    }
    let mut bad_method = Request::new(FAMILY, 0, 1, 1, 1);
    bad_method
        .begin_nested(CMD_ATTR_DEST)
        .put(DEST_ATTR_ADDR, &[10, 0, 0, 1])
        .put_u32(DEST_ATTR_FWD_METHOD, 9)
        .end_nested();
    let message = bad_method.finish();
    assert!(matches!(
        codec::destination_of(body(&message), Family::Inet),
        Err(Error::Malformed { .. })
    ));
    // A datagram cut inside a message.
    let datagram = [40u8, 0, 0, 0, 0x24, 0];
    assert!(replies(&datagram).unwrap().is_empty());
    let datagram = [40u8, 0, 0, 0, 0x24, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    assert!(replies(&datagram).is_err());
    let data = [
        20u8, 0, 0, 0, 0x24, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0,
    ];
    assert_eq!(
        replies(&data).unwrap(),
        vec![Reply::Data {
            seq: 1,
            cmd: 1,
            attributes: &[]
        }]
    );
}

// Input: open the IPVS backend on this host, whose kernel has no IPVS (ARCHITECTURE.md).
// Output: a netlink error with errno ENOENT naming the missing family — the signal the
// daemon uses to pick nftables. Where the kernel has IPVS, opening succeeds instead and
// GET_INFO answers with version 1.x.
#[test]
fn open_resolves_the_family_or_says_it_is_missing() {
    match Ipvs::open() {
        Ok(ipvs) => assert_eq!(ipvs.info().unwrap().version >> 16, 1),
        Err(error) => {
            assert_eq!(error.netlink_errno(), Some(libc::ENOENT), "{error}");
            assert!(error.to_string().contains("IPVS"), "{error}");
        }
    }
}

// Input: every truncation of real-shaped service and destination messages, every single
// byte of them flipped to each of 0x00/0xff/0x80, and 20,000 pseudo-random buffers.
// Output: each decodes to a value or an error; nothing panics (the decoders face whatever
// a kernel or a hostile netlink peer sends).
#[test]
fn decoders_never_panic_on_damaged_input() {
    let key = vip("2001:db8::15", 443, Protocol::Tcp);
    let settings = ServiceSettings {
        scheduler: Scheduler::Mh,
        persistence: Some(Persistence::per_client(300, Family::Inet6)),
        persistence_engine: Some("sip".into()),
        ..ServiceSettings::default()
    };
    let service = service_request(CMD_NEW_SERVICE, &key, &settings);
    let dest = dest_request(
        &key,
        &rs("2001:db8::2", 443),
        &Destination {
            weight: 3,
            method: ForwardingMethod::Tunnel {
                tunnel: TunnelType::Gue { port: 6080 },
                checksum: TunnelChecksum::Remote,
            },
            upper_threshold: 1,
            lower_threshold: 1,
        },
    );
    let decode_all = |bytes: &[u8]| {
        let _ = replies(bytes);
        let attributes = bytes.get(20..).unwrap_or_default();
        let _ = codec::service_of(attributes);
        let _ = codec::destination_of(attributes, Family::Inet);
        let _ = codec::destination_of(attributes, Family::Inet6);
        let _ = sync_daemon_of(attributes);
    };
    for message in [&service, &dest] {
        for len in 0..=message.len() {
            decode_all(&message[..len]);
        }
        for at in 0..message.len() {
            for value in [0x00, 0xff, 0x80] {
                let mut damaged = message.clone();
                damaged[at] = value;
                decode_all(&damaged);
            }
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        // xorshift64: deterministic, so a failure reproduces.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 96) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|i| (state.rotate_left(i as u32 * 7) & 0xff) as u8)
            .collect();
        decode_all(&bytes);
    }
}
