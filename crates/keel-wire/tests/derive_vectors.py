#!/usr/bin/env python3
"""Derives the expected bytes of tests/vectors.rs independently of keel-wire.

Run once by hand (`python3 derive_vectors.py`); its output was pasted into vectors.rs.
It uses only Python's struct, hmac and hashlib and the layouts of RFC 791, RFC 2402,
RFC 3768, RFC 5798, RFC 826 and RFC 4861 as keepalived 2.2.7 fills them (spec §3.1, §3.9).
CI does not run it.
"""
import hashlib
import hmac
import ipaddress
import struct


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def v4(a):
    return ipaddress.IPv4Address(a).packed


def v6(a):
    return ipaddress.IPv6Address(a).packed


def ip_header(src, dst, ident, proto, payload_len, ttl=255, tos=0xC0, check=True):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident, 0, ttl, proto, 0, v4(src), v4(dst))
    if check:
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h


def vrrp2(vrid, prio, adv, auth_type, vips, auth_data=b"\0" * 8):
    body = b"".join(v4(a) for a in vips)
    m = struct.pack("!BBBBBBH", 0x21, vrid, prio, len(vips), auth_type, adv, 0) + body + auth_data
    return m[:6] + struct.pack("!H", csum(m)) + m[8:]


def vrrp3_v6(vrid, prio, centis, vips, src, dst):
    body = b"".join(v6(a) for a in vips)
    m = struct.pack("!BBBBHH", 0x31, vrid, prio, len(vips), centis, 0) + body
    ph = v6(src) + v6(dst) + struct.pack("!I", len(m)) + b"\0\0\0" + bytes([112])
    return m[:6] + struct.pack("!H", csum(ph + m)) + m[8:]


def ah_datagram(src, dst, ident, seq, key, vrrp_msg, unicast, ttl=255):
    ah = struct.pack("!BBH4sI", 112, 4, 0, v4(src), seq)
    ip = ip_header(src, dst, ident, 51, 24 + len(vrrp_msg), ttl=ttl, check=False)
    # ICV input: TOS, flags/fragment, checksum zeroed; TTL zeroed too when unicast.
    icv_ip = bytearray(ip)
    icv_ip[1] = 0
    icv_ip[6:8] = b"\0\0"
    icv_ip[10:12] = b"\0\0"
    if unicast:
        icv_ip[8] = 0
    icv = hmac.new(key, bytes(icv_ip) + ah + b"\0" * 12 + vrrp_msg, hashlib.md5).digest()[:12]
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + ah + icv + vrrp_msg, icv


def rust(name, data):
    rows = []
    for i in range(0, len(data), 12):
        rows.append("    " + " ".join("0x%02x," % b for b in data[i:i + 12]))
    print("const %s: [u8; %d] = [\n%s\n];" % (name, len(data), "\n".join(rows)))


key = b"secret\0\0"

# v3 IPv4 unicast capture of spec §3.1; the elided IP bytes filled as id 0x0001, DF clear,
# TTL 255, protocol 112, and the header checksum that makes them consistent.
msg = bytes.fromhex("313496020032" + "0dbd" + "0a630065" + "0a630066")
rust("V3_UNICAST_CAPTURE", ip_header("10.99.0.1", "10.99.0.2", 1, 112, len(msg)) + msg)

rust("V3_IPV6_VRRP", vrrp3_v6(52, 150, 100, ["2001:db8::101", "2001:db8::102"], "fe80::1", "ff02::12"))

msg = vrrp2(51, 160, 1, 1, ["10.99.0.100"], key)
rust("V2_PASS", ip_header("10.99.0.1", "224.0.0.18", 0x13, 112, len(msg)) + msg)

msg = vrrp2(51, 160, 1, 2, ["10.99.0.100"])
d, icv = ah_datagram("10.99.0.1", "224.0.0.18", 0x14, 1, key, msg, unicast=False)
rust("V2_AH_MULTICAST", d)
print("// ICV", icv.hex())
d, icv = ah_datagram("10.99.0.1", "10.99.0.2", 0x15, 7, key, msg, unicast=True)
rust("V2_AH_UNICAST", d)
print("// ICV", icv.hex())

mac = bytes.fromhex("00005e000133")
arp = b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + v4("10.99.0.100") + b"\xff" * 6 + v4("10.99.0.100")
rust("GARP", arp)

mac = bytes.fromhex("525400123456")
vip = "2001:db8::100"
na = struct.pack("!BBHB3s", 136, 0, 0, 0x20, b"\0\0\0") + v6(vip) + bytes([2, 1]) + mac
ph = v6(vip) + v6("ff02::1") + struct.pack("!I", len(na)) + b"\0\0\0" + bytes([58])
na = na[:2] + struct.pack("!H", csum(ph + na)) + na[4:]
ip6 = struct.pack("!IHBB", 0x60000000, len(na), 58, 255) + v6(vip) + v6("ff02::1")
rust("UNSOLICITED_NA", bytes.fromhex("333300000001") + mac + b"\x86\xdd" + ip6 + na)
