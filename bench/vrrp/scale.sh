#!/usr/bin/env bash
# VRRP scale benchmark (issue 4): a master host (priority 200) and a backup host (priority
# 100) on a bridge, 510 VRRPv3 instances per interface (255 IPv4 + 255 IPv6 VRIDs, one VIP
# each), keel and keepalived 2.2.7 on the same configs, side by side in one run.
#
#   bench/vrrp/scale.sh [CASE...]     (root; default: all cases below)
#
# A case is DAEMON:INTERFACES:ADVERT_INT, e.g. keel:1:0.1. DAEMON keel-base runs the binary
# KEEL_BASE_BIN (a second keel build, to compare before/after a change in the same run).
# Default: keel and keepalived with one interface at advert_int 1 and 0.1, then keel alone
# with four interfaces (2,040 instances) at 1 and 0.1.
#
# Per case: both daemons start at once (backup first); "converged" is the time from start
# until every VIP is on the master and none on the backup (`ip -o addr`, polled every
# 100 ms). After SETTLE seconds, a WINDOW-second steady window: CPU (time on CPU of every
# thread of the daemon's process tree, from schedstat: lab.sh's ns_cpu_ns) as % of one core,
# wake-ups (context switches, stderr only), VmRSS summed over the tree at the window's end.
# Then a second WINDOW-second window with tcpdump on the bridges: adverts counted by source
# (those from the backup's addresses must be 0: a backup that sends took over, a spurious
# takeover), and the VIP counts checked again at its end (no flap). The capture is not in
# the CPU window (its taps run in the sender's softirq); CAPTURE_DURING=1 puts it there.
# In the default lab a veth delivers each advert through the bridge into the peer within the
# sender's system call, so a daemon's CPU includes the switch's and the peer's receive work
# (both daemons alike). LAB_NAPI=1 (lab.sh) moves that work to per-device kernel threads and
# reports each host's own receive path as "NIC receive" (the switch's only on stderr).
# LAB_LINK=cable (lab.sh) joins the two hosts back to back without the bridge, so the
# switch's forwarding is not charged to the sending daemon; the capture is then on the
# backup's end of each link.
# Prints one Markdown table row per case (and the raw numbers to stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."
settle=${SETTLE:-8}
window=${WINDOW:-30}
. bench/vrrp/lab.sh
bench_setup scale.sh tcpdump

run_case() {
  local daemon=$1 interfaces=$2 interval=$3
  local expected=$((510 * interfaces)) master backup k start converged="" backup_peak=0
  lab_up 2 "$interfaces"
  master=${lab_hosts[0]} backup=${lab_hosts[1]}
  # A directory per case: a pid file left by an earlier case would name pid 1 of the new
  # PID namespace, and keepalived would refuse to start as "already running".
  local work=$work/$daemon-$interfaces-$interval
  mkdir -p "$work"
  scale_conf MASTER 200 "$interfaces" "$interval" > "$work/master.conf"
  scale_conf BACKUP 100 "$interfaces" "$interval" > "$work/backup.conf"
  # The backup's source addresses: 10.7K.0.2 and its link-local address on each eK.
  local filter="" ll
  for ((k = 0; k < interfaces; k++)); do
    ll=$(lab_link_local "$backup" "$k")
    filter+="${filter:+ or }src host 10.7$k.0.2 or src host $ll"
  done

  start=$(now)
  local backup_pid master_pid
  daemon_start "$daemon" "$backup" "$work/backup.conf" "$work/backup"
  backup_pid=$daemon_pid
  daemon_start "$daemon" "$master" "$work/master.conf" "$work/master"
  master_pid=$daemon_pid
  local limit=$(awk -v i="$interval" 'BEGIN {print i * 3 + 60}')
  while :; do
    local held_master held_backup elapsed
    held_master=$(vip_count "$master")
    held_backup=$(vip_count "$backup")
    [ "$held_backup" -gt "$backup_peak" ] && backup_peak=$held_backup
    elapsed=$(awk -v a="$(now)" -v b="$start" 'BEGIN {printf "%.2f", a - b}')
    if [ "$held_master" = "$expected" ] && [ "$held_backup" = 0 ]; then
      converged=$elapsed
      break
    fi
    if awk -v e="$elapsed" -v l="$limit" 'BEGIN {exit !(e > l)}'; then
      echo "$daemon $interfaces $interval: no convergence in ${limit}s (master $held_master, backup $held_backup of $expected)" >&2
      break
    fi
    sleep 0.1
  done

  sleep "$settle"
  local m0 b0 mn0 bn0 sn0 mn1 bn1 sn1 m1 b1 ms0 bs0 ms1 bs1 master_rss backup_rss
  # The CPU window comes before the capture (CAPTURE_DURING=1: during it, as before 17:00
  # UTC on 2026-11-26): tcpdump's packet taps on the bridges clone and filter every advert
  # in the sending host's softirq, which the kernel charges to the sending daemon.
  if [ -z "${CAPTURE_DURING:-}" ]; then
    m0=$(ns_cpu_ns "$master"); b0=$(ns_cpu_ns "$backup"); mn0=$(lab_napi_ns "$master"); bn0=$(lab_napi_ns "$backup"); sn0=$(lab_napi_ns "$lab_prefix-sw")
    ms0=$(ns_switches "$master"); bs0=$(ns_switches "$backup")
    sleep "$window"
    m1=$(ns_cpu_ns "$master"); b1=$(ns_cpu_ns "$backup"); mn1=$(lab_napi_ns "$master"); bn1=$(lab_napi_ns "$backup"); sn1=$(lab_napi_ns "$lab_prefix-sw")
    ms1=$(ns_switches "$master"); bs1=$(ns_switches "$backup")
    master_rss=$(ns_rss_kb "$master"); backup_rss=$(ns_rss_kb "$backup")
  fi
  # Adverts on every bridge during the capture window, one capture per bridge.
  local captures=()
  for ((k = 0; k < interfaces; k++)); do
    local wire_ns wire_dev
    read -r wire_ns wire_dev <<< "$(lab_wire "$k")"
    ip netns exec "$wire_ns" tcpdump -i "$wire_dev" -B 16384 -n -w "$work/br$k.pcap" \
      'ip proto 112 or ip6 proto 112' 2> "$work/br$k.tcpdump" &
    captures+=($!)
  done
  sleep 1 # tcpdump is listening
  local capture_start capture_end
  capture_start=$(now)
  if [ -n "${CAPTURE_DURING:-}" ]; then
    m0=$(ns_cpu_ns "$master"); b0=$(ns_cpu_ns "$backup"); mn0=$(lab_napi_ns "$master"); bn0=$(lab_napi_ns "$backup"); sn0=$(lab_napi_ns "$lab_prefix-sw")
    ms0=$(ns_switches "$master"); bs0=$(ns_switches "$backup")
  fi
  sleep "$window"
  if [ -n "${CAPTURE_DURING:-}" ]; then
    m1=$(ns_cpu_ns "$master"); b1=$(ns_cpu_ns "$backup"); mn1=$(lab_napi_ns "$master"); bn1=$(lab_napi_ns "$backup"); sn1=$(lab_napi_ns "$lab_prefix-sw")
    ms1=$(ns_switches "$master"); bs1=$(ns_switches "$backup")
    master_rss=$(ns_rss_kb "$master"); backup_rss=$(ns_rss_kb "$backup")
  fi
  local end_master end_backup
  end_master=$(vip_count "$master"); end_backup=$(vip_count "$backup")
  capture_end=$(now)
  for pid in "${captures[@]}"; do kill -INT "$pid"; wait "$pid" || true; done
  local total=0 from_backup=0 dropped=0 period
  # The master's advert period as the wire shows it: the mean gap between consecutive
  # adverts of one instance (source + VRID), over every instance.
  period=$(for ((k = 0; k < interfaces; k++)); do
      tcpdump -r "$work/br$k.pcap" -n -tt 2>/dev/null | awk -v k="$k" '{print k, $0}'
    done | awk '{ match($0, /vrid [0-9]+/); key = $1 " " $4 " " substr($0, RSTART, RLENGTH)
      if (key in last) { sum += $2 - last[key]; n++ } last[key] = $2 }
      END { if (n) printf "%.4f", sum / n; else printf "n/a" }')
  for ((k = 0; k < interfaces; k++)); do
    total=$((total + $(tcpdump -r "$work/br$k.pcap" -n -tt 2>/dev/null |
      awk -v a="$capture_start" -v b="$capture_end" '$1 >= a && $1 < b' | wc -l)))
    from_backup=$((from_backup + $(tcpdump -r "$work/br$k.pcap" -n "$filter" 2>/dev/null | wc -l)))
    dropped=$((dropped + $(awk '/dropped by kernel/ {print $1}' "$work/br$k.tcpdump")))
  done
  daemon_kill "$master_pid"; daemon_kill "$backup_pid"
  lab_down

  local master_cpu backup_cpu master_nic backup_nic
  master_cpu=$(awk -v d=$((m1 - m0)) -v w="$window" 'BEGIN {printf "%.2f", 100 * d / 1e9 / w}')
  backup_cpu=$(awk -v d=$((b1 - b0)) -v w="$window" 'BEGIN {printf "%.2f", 100 * d / 1e9 / w}')
  master_nic=n/a backup_nic=n/a # the default lab has no NAPI threads
  if [ "${LAB_NAPI:-0}" != 0 ]; then
    master_nic=$(awk -v d=$((mn1 - mn0)) -v w="$window" 'BEGIN {printf "%.2f", 100 * d / 1e9 / w}')
    backup_nic=$(awk -v d=$((bn1 - bn0)) -v w="$window" 'BEGIN {printf "%.2f", 100 * d / 1e9 / w}')
  fi
  local rate
  rate=$(awk -v t="$total" -v a="$capture_start" -v b="$capture_end" 'BEGIN {printf "%.0f", t / (b - a)}')
  echo "raw: $daemon interfaces=$interfaces advert_int=$interval instances=$expected converged=${converged:-never}s backup_peak_vips=$backup_peak cpu_ms master=$(((m1 - m0) / 1000000)) backup=$(((b1 - b0) / 1000000)) napi_ms master=$(((mn1 - mn0) / 1000000)) backup=$(((bn1 - bn0) / 1000000)) switch=$(((sn1 - sn0) / 1000000)) wakeups/s master=$(((ms1 - ms0) / window)) backup=$(((bs1 - bs0) / window)) rss_kb master=$master_rss backup=$backup_rss adverts=$total (${rate}/s, tcpdump dropped $dropped, mean period per instance ${period}s) from_backup=$from_backup vips_at_end master=$end_master backup=$end_backup" >&2
  printf '| %s | %d | %s | %s | %s | %d | %s | %s | %s / %s | %.1f | %.1f | %d | %s | %s/%s |\n' \
    "$daemon" "$expected" "$interval" "${converged:-never}" \
    "$(awk -v i="$interval" 'BEGIN {print i * 3 + 3}')" "$backup_peak" \
    "$master_cpu" "$backup_cpu" "$master_nic" "$backup_nic" "$(awk -v k="$master_rss" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$backup_rss" 'BEGIN {print k / 1024}')" "$from_backup" "$rate" \
    "$end_master" "$end_backup"
}

cases=("$@")
if [ ${#cases[@]} = 0 ]; then
  cases=(keel:1:1 keepalived:1:1 keel:1:0.1 keepalived:1:0.1 keel:4:1 keel:4:0.1)
fi
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_line); $(keepalived --version 2>&1 | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo '| daemon | instances | advert_int (s) | converged (s) | target (s) | peak VIPs on backup while converging | CPU master (% core) | CPU backup (% core) | NIC receive master / backup (% core) | RSS master (MB) | RSS backup (MB) | backup adverts in window | adverts/s on the wire | VIPs at end master/backup |'
echo '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
for c in "${cases[@]}"; do
  IFS=: read -r daemon interfaces interval <<< "$c"
  run_case "$daemon" "$interfaces" "$interval" || { lab_down; echo "| $daemon | $((510 * interfaces)) | $interval | failed (see stderr) |"; }
done
