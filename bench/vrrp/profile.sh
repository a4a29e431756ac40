#!/usr/bin/env bash
# Looks inside one scale case (see scale.sh) in steady state: the raw sockets' receive
# drops on each host (/proc/net/raw and raw6, "drops" column: adverts the kernel discarded
# because the daemon did not read them in time) and, for keel, where the master's and the
# backup's CPU goes (perf record, call graphs, SECONDS seconds each).
#
#   bench/vrrp/profile.sh DAEMON INTERFACES ADVERT_INT [SECONDS]    (root; needs perf)
set -euo pipefail
cd "$(dirname "$0")/../.."
daemon=$1 interfaces=$2 interval=$3 seconds=${4:-10}
. bench/vrrp/lab.sh
bench_setup profile.sh

lab_up 2 "$interfaces"
master=${lab_hosts[0]} backup=${lab_hosts[1]}
scale_conf MASTER 200 "$interfaces" "$interval" > "$work/master.conf"
scale_conf BACKUP 100 "$interfaces" "$interval" > "$work/backup.conf"
daemon_start "$daemon" "$backup" "$work/backup.conf" "$work/backup"
daemon_start "$daemon" "$master" "$work/master.conf" "$work/master"
sleep 10
for host in master backup; do
  ns=${!host}
  echo "== $host: VIPs held $(vip_count "$ns") of $((510 * interfaces)); raw socket drops:"
  ip netns exec "$ns" cat /proc/net/raw /proc/net/raw6 | awk 'NR == 1 || $NF ~ /^[0-9]+$/ && $NF > 0 {print}'
done
if [ "$daemon" = keel ] && command -v perf > /dev/null; then
  for host in master backup; do
    ns=${!host}
    pid=$(ns_daemon_pids "$ns" | head -1)
    perf record -q -g -o "$work/$host.data" -p "$pid" -- sleep "$seconds" 2> /dev/null
    echo "== $host (pid $pid): perf, children-inclusive, top entries"
    perf report -q -i "$work/$host.data" --children --percent-limit 4 --stdio 2> /dev/null |
      grep -E '^ +[0-9]' | head -40 || true # head closes the pipe early
    echo "== $host: callers of the hottest user-space symbols (self time)"
    perf report -q -i "$work/$host.data" --no-children --percent-limit 3 --stdio -G 2> /dev/null |
      grep -v '^$' | head -60 || true
  done
fi
