#!/usr/bin/env bash
# Captures keepalived 2.2.7's BFD control packets, for the vectors in src/bfd.rs.
# Run once by hand as root (`bash bfd_capture.sh OUT.pcap`); CI does not run it.
# Two namespaces joined by a veth pair (10.99.0.1 / 10.99.0.2), one keepalived in each with
# a bfd_instance pointing at the other; tcpdump in the second. The first keepalived starts
# alone (its Down packets), the second joins 2.5 s later (Init, Up with Poll and Final).
# Decode with: tshark -r OUT.pcap -T fields -e udp.payload -e bfd.sta -e bfd.flags
set -euo pipefail
out=${1:?usage: bfd_capture.sh OUT.pcap}
tag=bfdc$$
dir=$(mktemp -d)
cleanup() {
  for f in $dir/ka $dir/kb; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 1
  ip netns del "${tag}a" 2>/dev/null || true
  ip netns del "${tag}b" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "${tag}a"; ip netns add "${tag}b"
ip link add e0 netns "${tag}a" type veth peer name e1 netns "${tag}b"
ip -n "${tag}a" addr add 10.99.0.1/24 dev e0
ip -n "${tag}b" addr add 10.99.0.2/24 dev e1
for ns in a b; do ip -n "$tag$ns" link set lo up; done
ip -n "${tag}a" link set e0 up; ip -n "${tag}b" link set e1 up
cat > $dir/a.conf <<'C'
bfd_instance peer {
  neighbor_ip 10.99.0.2
  source_ip 10.99.0.1
  min_rx 100
  min_tx 100
  multiplier 3
}
C
cat > $dir/b.conf <<'C'
bfd_instance peer {
  neighbor_ip 10.99.0.1
  min_rx 200
  min_tx 150
}
C
ip netns exec ${tag}b tcpdump -i e1 -w "$out" -U udp 2>/dev/null &
tp=$!
sleep 1
ip netns exec ${tag}a keepalived -n -l -D -f $dir/a.conf -p $dir/pa -r $dir/ra -c $dir/ca -b $dir/ba >$dir/a.log 2>&1 &
echo $! > $dir/ka
sleep 2.5
ip netns exec ${tag}b keepalived -n -l -D -f $dir/b.conf -p $dir/pb -r $dir/rb -c $dir/cb -b $dir/bb >$dir/b.log 2>&1 &
echo $! > $dir/kb
sleep 3
kill $tp
