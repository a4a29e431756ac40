#!/usr/bin/env bash
# Failover at the limit (issue 4): two routers on a bridge, one VRRPv3 IPv4 instance
# (master priority 150, backup 100), advert_int 1, 0.1 and 0.01; keel ⇄ keel and
# keepalived ⇄ keepalived in the same run.
#
#   bench/vrrp/failover.sh [REPEATS] [INTERVAL...]   (root; default 7 repeats of 1 0.1 0.01)
#   DAEMONS="keel" bench/vrrp/failover.sh …          (only some daemons)
#   GLOBAL_DEFS="vrrp_rt_priority 50" bench/vrrp/failover.sh …  (extra global_defs lines)
#   LOAD=2 bench/vrrp/failover.sh …                 (that many busy loops run meanwhile)
#   KEEP_PCAP=/tmp/fo bench/vrrp/failover.sh …      (keeps each case's capture as /tmp/fo-DAEMON-INTERVAL.pcap)
#
# Each repeat: the master is SIGKILLed (its whole process tree at once, see daemon_start in
# lab.sh), the backup takes over, then the master is restarted and preempts back. A capture
# on the bridge is the judge: the gap from the dead master's last advert to the new master's
# first, divided by the RFC 5798 §6.4.2 Master_Down_Interval of the backup,
# 3 × advert_int + (256 − 100) × advert_int / 256. Prints one Markdown table row per daemon
# and interval (and every gap to stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-7}
shift || true
intervals=("$@")
[ ${#intervals[@]} = 0 ] && intervals=(1 0.1 0.01)
. bench/vrrp/lab.sh
bench_setup failover.sh tcpdump
vip=10.70.1.1

conf() { # STATE PRIORITY ADVERT_INT
  printf 'global_defs {\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n%s}\n' \
    "${GLOBAL_DEFS:+  $GLOBAL_DEFS
}"
  printf 'vrrp_instance VI_1 {\n  state %s\n  interface e0\n  virtual_router_id 51\n  priority %d\n  advert_int %s\n  virtual_ipaddress {\n    %s/16\n  }\n}\n' \
    "$1" "$2" "$3" "$vip"
}

# Not `grep -q`: it exits at the first match, `ip` may then die of SIGPIPE, and with
# pipefail the pipeline fails although the VIP is there (it aborted runs under load).
holds() { ip -n "$1" -o addr show dev e0 | grep " $vip/" > /dev/null; }

# wait_for SECONDS COMMAND...: polls COMMAND every 10 ms; fails after SECONDS.
wait_for() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 100; i++)); do
    "$@" && return 0
    sleep 0.01
  done
  return 1
}
master_alone() { holds "$r0_ns" && ! holds "$r1_ns"; }
backup_holds() { holds "$r1_ns"; }

run_case() {
  local daemon=$1 interval=$2 rep r0_pid r1_pid kills=()
  lab_up 2 1
  r0_ns=${lab_hosts[0]} r1_ns=${lab_hosts[1]}
  # A directory per case: a pid file left by an earlier case would name pid 1 of the new
  # PID namespace, and keepalived would refuse to start as "already running".
  local work=$work/$daemon-$interval
  mkdir -p "$work"
  conf MASTER 150 "$interval" > "$work/r0.conf"
  conf BACKUP 100 "$interval" > "$work/r1.conf"
  ip netns exec "$lab_prefix-sw" tcpdump -i br0 -B 16384 -n -w "$work/wire.pcap" \
    'ip proto 112' 2> "$work/tcpdump.err" &
  local capture=$!
  sleep 1
  daemon_start "$daemon" "$r1_ns" "$work/r1.conf" "$work/r1"; r1_pid=$daemon_pid
  daemon_start "$daemon" "$r0_ns" "$work/r0.conf" "$work/r0-0"; r0_pid=$daemon_pid
  wait_for 20 master_alone || { echo "$daemon $interval: r0 never took the VIP alone" >&2; return 1; }
  local pause
  pause=$(awk -v i="$interval" 'BEGIN {print (i * 5 > 1) ? i * 5 : 1}')
  for ((rep = 1; rep <= repeats; rep++)); do
    sleep "$pause"
    master_alone || {
      echo "$daemon $interval: not exactly one holder before kill $rep; logs:" >&2
      tail -n 4 "$work"/r*.log >&2
      return 1
    }
    kills+=("$(now)")
    daemon_kill "$r0_pid"
    wait_for 15 backup_holds || { echo "$daemon $interval: r1 never took over (kill $rep)" >&2; return 1; }
    sleep "$pause"
    daemon_start "$daemon" "$r0_ns" "$work/r0.conf" "$work/r0-$rep"; r0_pid=$daemon_pid
    wait_for 20 master_alone || { echo "$daemon $interval: r0 did not preempt back (kill $rep)" >&2; return 1; }
  done
  sleep 0.5
  kill -INT "$capture"; wait "$capture" || true
  daemon_kill "$r0_pid"; daemon_kill "$r1_pid"
  lab_down
  [ -z "${KEEP_PCAP:-}" ] || cp "$work/wire.pcap" "$KEEP_PCAP-$daemon-$interval.pcap"

  # Gaps: for each kill, the new master's first advert after it and the dead master's last
  # advert before that one (it may still send between the kill's timestamp and its death).
  local bound
  bound=$(awk -v i="$interval" 'BEGIN {printf "%.6f", 3 * i + (256 - 100) * i / 256}')
  tcpdump -r "$work/wire.pcap" -tt -n 2>/dev/null | awk -v kills="${kills[*]}" -v bound="$bound" \
    -v daemon="$daemon" -v interval="$interval" '
    $2 == "IP" { t[NR] = $1; src[NR] = $3; n = NR }
    END {
      k = split(kills, kill, " ")
      for (j = 1; j <= k; j++) {
        first = 0
        for (i = 1; i <= n; i++) if ((i in t) && src[i] == "10.70.0.2" && t[i] > kill[j]) { first = t[i]; break }
        last = 0
        for (i = 1; i <= n; i++) if ((i in t) && src[i] == "10.70.0.1" && t[i] < first) last = t[i]
        if (first == 0 || last == 0) { printf "%s %s: kill %d: adverts missing\n", daemon, interval, j > "/dev/stderr"; exit 1 }
        ratio[j] = (first - last) / bound
        printf "raw: %s advert_int=%s kill %d: gap %.6f s, bound %.6f s, ratio %.4f\n", daemon, interval, j, first - last, bound, ratio[j] > "/dev/stderr"
      }
      # insertion sort, then min / median / max
      for (i = 2; i <= k; i++) { v = ratio[i]; for (j = i - 1; j >= 1 && ratio[j] > v; j--) ratio[j + 1] = ratio[j]; ratio[j + 1] = v }
      median = (k % 2) ? ratio[(k + 1) / 2] : (ratio[k / 2] + ratio[k / 2 + 1]) / 2
      printf "| %s | %s | %.4f | %d | %.4f | %.4f | %.4f |\n", daemon, interval, bound, k, ratio[1], median, ratio[k]
    }'
}

# LOAD=N: N busy loops compete with the routers for the CPUs (SCHED_OTHER, nice 0), as a
# loaded host would; stopped with the lab at exit.
load_pids=()
for ((i = 0; i < ${LOAD:-0}; i++)); do
  sh -c 'while :; do :; done' &
  load_pids+=($!)
done
[ ${#load_pids[@]} = 0 ] || trap 'kill "${load_pids[@]}" 2>/dev/null; lab_down; rm -rf "$work"' EXIT

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_line); $(keepalived --version 2>&1 | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)${GLOBAL_DEFS:+; global_defs: $GLOBAL_DEFS}${LOAD:+; $LOAD busy loops}"
echo
echo '| daemon | advert_int (s) | 3 × advert_int + skew (s) | failovers | ratio min | ratio median | ratio max |'
echo '|---|---|---|---|---|---|---|'
for interval in "${intervals[@]}"; do
  for daemon in ${DAEMONS:-keel keepalived}; do
    run_case "$daemon" "$interval" || { lab_down; echo "| $daemon | $interval | failed (see stderr) | | | | |"; }
  done
done
