#!/usr/bin/env bash
# BFD detection time on the wire: how long after the last packet of a SIGKILLed peer a
# daemon announces the session Down (RFC 5880 §6.8.4: Detect Mult × agreed interval).
#
#   bench/bfd/detect.sh [MIN_TX_MS [MULT [KILLS]]]     (root; keepalived, tshark, tcpdump)
#
# Two namespaces on a veth pair (10.99.7.1 keel, 10.99.7.2 keepalived 2.2.7), both with
# `min_rx = min_tx = MIN_TX_MS` (100) and `multiplier MULT` (3). KILLS (5) times: wait for
# Up, SIGKILL keepalived, restart it; then the same with keel killed and keepalived
# watching. Prints each detection time and its ratio to MULT × MIN_TX_MS.
# KEEL_BIN picks the binary (default: target/release/keel, built if missing).
set -euo pipefail
min_tx=${1:-100}
mult=${2:-3}
kills=${3:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
keel=${KEEL_BIN:-$root/target/release/keel}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$keel" ] || (cd "$root" && cargo build --release -p keel --bin keel)
tag=bfdb$$
dir=$(mktemp -d)
cleanup() {
  for f in "$dir"/*.run; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  ip netns del "${tag}a" 2>/dev/null || true
  ip netns del "${tag}b" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "${tag}a"; ip netns add "${tag}b"
ip link add e0 netns "${tag}a" type veth peer name e1 netns "${tag}b"
ip -n "${tag}a" addr add 10.99.7.1/24 dev e0
ip -n "${tag}b" addr add 10.99.7.2/24 dev e1
for ns in a b; do ip -n "$tag$ns" link set lo up; done
ip -n "${tag}a" link set e0 up; ip -n "${tag}b" link set e1 up
block() { printf 'bfd_instance peer {\n neighbor_ip %s\n min_rx %s\n min_tx %s\n multiplier %s\n}\n' "$1" "$min_tx" "$min_tx" "$mult"; }
block 10.99.7.2 > "$dir/keel.conf"
block 10.99.7.1 > "$dir/ka.conf"

start_keel() {
  rm -f "$dir"/keel*.pid
  ip netns exec "${tag}a" "$keel" -n -l -D -P -f "$dir/keel.conf" -p "$dir/keel.pid" \
    -r "$dir/keel-vrrp.pid" >> "$dir/keel.log" 2>&1 &
  echo $! > "$dir/keel.run"
}
start_keepalived() {
  rm -f "$dir"/ka*.pid  # a killed keepalived leaves them, and would refuse to start
  # A PID namespace so that SIGKILL of its init takes the BFD child with it.
  ip netns exec "${tag}b" unshare --pid --fork --kill-child keepalived -n -l -D \
    -f "$dir/ka.conf" -p "$dir/ka.pid" -r "$dir/ka-vrrp.pid" -c "$dir/ka-check.pid" \
    -b "$dir/ka-bfd.pid" >> "$dir/ka.log" 2>&1 &
  echo $! > "$dir/ka.run"
}
ups() { grep -c "(peer) Entering Up state" "$1" 2>/dev/null || true; }
wait_up() { # LOG COUNT
  for _ in $(seq 100); do [ "$(ups "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  echo "no Up in $1:" >&2; tail -n 5 "$dir/keel.log" "$dir/ka.log" >&2; exit 1
}

ip netns exec "${tag}a" tcpdump -i e0 -U -w "$dir/cap.pcap" udp port 3784 2>/dev/null &
echo $! > "$dir/tcpdump.run"
sleep 1
start_keel; start_keepalived
wait_up "$dir/keel.log" 1
kill_times=()
for round in $(seq "$kills"); do
  sleep 1.5
  kill_times+=("ka $(date +%s.%N)")
  kill -9 "$(cat "$dir/ka.run")"; wait "$(cat "$dir/ka.run")" 2>/dev/null || true
  sleep 1.5
  start_keepalived
  wait_up "$dir/keel.log" $((round + 1))
done
for round in $(seq "$kills"); do
  sleep 1.5
  kill_times+=("keel $(date +%s.%N)")
  kill -9 "$(cat "$dir/keel.run")"; wait "$(cat "$dir/keel.run")" 2>/dev/null || true
  sleep 1.5
  start_keel
  wait_up "$dir/ka.log" $((kills + round + 1))
done
sleep 0.5
kill "$(cat "$dir/tcpdump.run")"; sleep 0.5

tshark -r "$dir/cap.pcap" -T fields -e frame.time_epoch -e ip.src -e bfd.sta 2>/dev/null \
  > "$dir/packets.tsv"
expected=$(echo "$mult * $min_tx" | bc)
echo "min_tx = min_rx = $min_tx ms, multiplier $mult: expected detection $expected ms"
for entry in "${kill_times[@]}"; do
  read -r who at <<< "$entry"
  if [ "$who" = ka ]; then dead=10.99.7.2; watcher=10.99.7.1; else dead=10.99.7.1; watcher=10.99.7.2; fi
  # The watcher's first Down (state 1) after the kill, and the dead side's last packet
  # before that.
  awk -v at="$at" -v dead="$dead" -v watcher="$watcher" -v expected="$expected" -v who="$who" '
    $1 > at && $2 == watcher && ($3 == "0x01" || $3 == "1") && !down { down = $1 }
    { t[NR] = $1; s[NR] = $2 }
    END {
      for (i = 1; i <= NR; i++) if (s[i] == dead && t[i] < down) last = t[i]
      ms = (down - last) * 1000
      watcher_name = (who == "ka") ? "keel" : "keepalived"
      printf "%-10s detects %-10s death: %7.1f ms (ratio %.3f)\n", watcher_name, (who == "ka" ? "keepalived" : "keel"), ms, ms / expected
    }' "$dir/packets.tsv"
done
