#!/usr/bin/env bash
# Captures what keepalived 2.2.7 really sends, for the constants of tests/keepalived.rs.
# Run once by hand as root (`bash capture_keepalived.sh OUT.pcap`); CI does not run it.
# Two network namespaces joined by a veth pair: keepalived in one (e0 = 10.99.0.1,
# fe80::1), tcpdump in the other (e1 = 10.99.0.2). Instances: v2 AH multicast (VRID 51),
# v2 PASS (52), v2 AH unicast to 10.99.0.2 (54), v3 IPv4 multicast 0.5 s (55), v3 IPv6 (53).
# Each becomes MASTER after its down timer, so its GARPs / NAs are captured too.
set -euo pipefail
out=${1:?usage: capture_keepalived.sh OUT.pcap}
tag=kwcap$$
dir=$(mktemp -d)
cleanup() {
  [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
  sleep 1
  ip netns del "${tag}a" 2>/dev/null || true
  ip netns del "${tag}b" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "${tag}a"
ip netns add "${tag}b"
ip link add e0 netns "${tag}a" type veth peer name e1 netns "${tag}b"
for ns in a b; do
  ip netns exec "$tag$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "${tag}a" link set e0 address 52:54:00:00:00:01
ip -n "${tag}a" addr add 10.99.0.1/24 dev e0
ip -n "${tag}a" addr add fe80::1/64 dev e0 nodad
ip -n "${tag}b" addr add 10.99.0.2/24 dev e1
for ns in a b; do ip -n "$tag$ns" link set lo up; done
ip -n "${tag}a" link set e0 up
ip -n "${tag}b" link set e1 up

cat > "$dir/keepalived.conf" <<'CONF'
global_defs {
  router_id keel_wire_capture
}
vrrp_instance AH_MCAST {
  state BACKUP
  interface e0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type AH
    auth_pass secret
  }
  virtual_ipaddress {
    10.99.0.100/24
  }
}
vrrp_instance PASS {
  state BACKUP
  interface e0
  virtual_router_id 52
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.99.0.101/24
  }
}
vrrp_instance AH_UNICAST {
  state BACKUP
  interface e0
  virtual_router_id 54
  priority 150
  advert_int 1
  unicast_src_ip 10.99.0.1
  unicast_peer {
    10.99.0.2
  }
  authentication {
    auth_type AH
    auth_pass secret
  }
  virtual_ipaddress {
    10.99.0.102/24
  }
}
vrrp_instance V3_MCAST {
  version 3
  state BACKUP
  interface e0
  virtual_router_id 55
  priority 150
  advert_int 0.5
  virtual_ipaddress {
    10.99.0.103/24
    10.99.0.104/24
  }
}
vrrp_instance V3_IPV6 {
  version 3
  state BACKUP
  interface e0
  virtual_router_id 53
  priority 150
  advert_int 1
  virtual_ipaddress {
    2001:db8::100/64
  }
}
CONF

ip netns exec "${tag}b" tcpdump -i e1 -U -w "$out" 2>/dev/null &
dump=$!
sleep 1
ip netns exec "${tag}a" keepalived -n -l -D -P -f "$dir/keepalived.conf" \
  -p "$dir/pid" -r "$dir/vrrp.pid" > "$dir/log" 2>&1 &
sleep 7
kill "$(cat "$dir/pid")" 2>/dev/null || true
sleep 2
kill "$dump" || true
wait "$dump" 2>/dev/null || true
rm -f "$dir/pid"
echo "captured into $out"
