#!/usr/bin/env bash
# Checker benchmark on this kernel (nftables backend, keel alone): VS virtual servers x 100
# real servers, TCP_CHECK at delay_loop 1, against 100 local listeners, in a throwaway
# network namespace. Reports keel's CPU % (user + system over the window, of one core) and
# RSS, and whether every destination is programmed.
#   bench/checker/run.sh [VS [SECONDS]]   (root; default 100 virtual servers = 10,000 real
#                                          servers, 60 s measured after 15 s of warm-up)
# KEEL_BIN=path measures that keel binary instead of building this tree's release build.
# KEEL_TCP_CHECK=connect|syn sets `keel_tcp_check` (default: keel's own default, syn).
# PROFILE=SECONDS: after the window, also `strace -c -f` keel for that long, then
# `perf stat` (task-clock) it for that long, each with the checks made meanwhile
# (syscalls and CPU per check; strace slows keel down, so its window is not the CPU one).
# The listeners are bench/checker/listeners.rs (std only), compiled here with rustc -O.
set -euo pipefail
cd "$(dirname "$0")/../.."
vs=${1:-100}
window=${2:-60}
. bench/checker/common.sh

if [ "$(id -u)" != 0 ]; then echo "run.sh: needs root (network namespace)" >&2; exit 1; fi
checker_keel_bin
keel=$(realpath "$KEEL_BIN")

work=$(mktemp -d)
netns="keel-chk-bench-$$"
cleanup() {
  [ -n "${keel_pid:-}" ] && kill "$keel_pid" 2>/dev/null && wait "$keel_pid" 2>/dev/null
  [ -n "${listen_pid:-}" ] && kill $listen_pid 2>/dev/null
  ip netns del "$netns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

checker_config "$vs" nftables "${KEEL_TCP_CHECK:-}" > "$work/keepalived.conf"

ip netns add "$netns"
ip -n "$netns" link set lo up
checker_listeners "$work"
: > "$work/listen.log"
ip netns exec "$netns" "$work/listeners" "$base" "$rs" > "$work/listen.log" 2>&1 &
listen_pid=$!
until grep -q listening "$work/listen.log"; do sleep 0.2; done

# Pid files of its own: another daemon on the host may hold the default ones.
ip netns exec "$netns" "$keel" -C -n -f "$work/keepalived.conf" -p "$work/keel.pid" -c "$work/checkers.pid" > "$work/keel.log" 2>&1 &
keel_pid=$!
# `ip netns exec` execs keel, so $keel_pid is keel's own pid.
sleep 15
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$keel_pid/stat"; }
user() { awk '{print $14}' "/proc/$keel_pid/stat"; }
# Checks made: TCP ActiveOpens of the namespace (a connect() per check) or OutRsts (a
# half-open check ends with the kernel's RST to the SYN-ACK; a connect check closes with a
# RST too), whichever grew more.
opens() { ip netns exec "$netns" awk '/^Tcp:/ && $6 ~ /^[0-9]+$/ {print $6 + 0, $15 + 0}' /proc/net/snmp; }
grown() { awk -v a0="$1" -v r0="$2" -v a1="$3" -v r1="$4" 'BEGIN {a = a1 - a0; r = r1 - r0; print (a > r ? a : r)}'; }
o0=$(opens); c0=$(cpu); u0=$(user); l0=$(cut -d' ' -f1 /proc/loadavg); t0=$(date +%s.%N)
sleep "$window"
c1=$(cpu); u1=$(user); t1=$(date +%s.%N); o1=$(opens); l1=$(cut -d' ' -f1 /proc/loadavg)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$keel_pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$keel_pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$keel_pid/status")
cpu_pct=$(echo "($c1 - $c0) * 100 / $ticks / ($t1 - $t0)" | bc -l)
# Every destination is one "127.0.0.1 . PORT" element of a service's map.
programmed=$(ip netns exec "$netns" nft list table inet keel | grep -o "127\.0\.0\.1 \. [0-9]*" | wc -l)
echo "virtual servers: $vs, real servers: $((vs * rs)), window: ${window}s"
user_pct=$(echo "($u1 - $u0) * 100 / $ticks / ($t1 - $t0)" | bc -l)
printf "keel CPU: %.1f %% of one core (user %.1f %%); RSS %d KiB (peak %d KiB); threads %s\n" "$cpu_pct" "$user_pct" "$rss" "$hwm" "$threads"
echo "host load average at start / end of the window: $l0 / $l1"
echo "keel memory (smaps_rollup):" $(awk '/^(Rss|Anonymous|Private_Dirty|Private_Clean|Shared_Clean):/ {printf "%s%s ", $1, $2}' "/proc/$keel_pid/smaps_rollup")
echo "keel mappings holding 64 KiB or more (RSS, anonymous, private dirty KiB; perms; file):"
awk -f bench/checker/smaps.awk "/proc/$keel_pid/smaps" | sort -rn | head -16
# shellcheck disable=SC2086 # two numbers each
made=$(grown $o0 $o1)
printf "checks per second: %.0f (configured %d)\n" "$(echo "$made / ($t1 - $t0)" | bc -l)" "$((vs * rs))"
# shellcheck disable=SC2086 # two numbers each
set -- $o0 $o1
echo "  over the window: TCP ActiveOpens +$(($3 - $1)) (connects), OutRsts +$(($4 - $2)) (resets sent)"
echo "destinations in the nft table: $programmed (configured $((vs * rs)))"
if [ -n "${PROFILE:-}" ]; then
  o0=$(opens)
  strace -c -f -p "$keel_pid" -o "$work/strace" & strace_pid=$!
  sleep "$PROFILE"; kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
  o1=$(opens)
  # shellcheck disable=SC2086 # two numbers each
  echo "--- strace -c -f over ${PROFILE}s: $(grown $o0 $o1) checks"
  cat "$work/strace"
  o0=$(opens)
  perf stat -e task-clock,context-switches -p "$keel_pid" -- sleep "$PROFILE" 2> "$work/perf"
  o1=$(opens)
  # shellcheck disable=SC2086 # two numbers each
  echo "--- perf stat over ${PROFILE}s: $(grown $o0 $o1) checks"
  cat "$work/perf"
fi
echo "--- keel log"
cat "$work/keel.log"
echo "--- listeners"
tail -2 "$work/listen.log"
