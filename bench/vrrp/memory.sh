#!/usr/bin/env bash
# Where a daemon's memory goes: RSS of keel and keepalived alone on one host (no peer), with
# one VRRPv3 instance and with the scale benchmark's 510, and keel with
# MIMALLOC_ARENA_EAGER_COMMIT=0 in its environment, which must equal the plain run now that
# keel sets that option itself before mimalloc's first heap (crates/keel/src/memory.rs). RSS is read 6 s after the start, summed over the daemon's processes.
#   bench/vrrp/memory.sh      (root; needs keepalived)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/vrrp/lab.sh
bench_setup memory.sh
lab_up 1 1
ns=${lab_hosts[0]}
scale_conf MASTER 200 1 1 > "$work/510.conf"
sed -n 1,13p "$work/510.conf" > "$work/1.conf" # global_defs (3 lines) and the first instance (10)

run() { # LABEL DAEMON CONF [NAME=VALUE in the daemon's environment]
  [ -n "${4:-}" ] && export "${4?}"
  daemon_start "$2" "$ns" "$3" "$work/$2-$RANDOM"
  local pid=$daemon_pid
  [ -n "${4:-}" ] && unset "${4%%=*}"
  sleep 6
  echo "$1: RSS $(ns_rss_kb "$ns") kB in $(ns_daemon_pids "$ns" | wc -l) process(es)"
  daemon_kill "$pid"
  sleep 0.5
}
run "keel, 1 instance" keel "$work/1.conf"
run "keel, 510 instances" keel "$work/510.conf"
run "keel, 510 instances, MIMALLOC_ARENA_EAGER_COMMIT=0" keel "$work/510.conf" MIMALLOC_ARENA_EAGER_COMMIT=0
run "keepalived, 1 instance" keepalived "$work/1.conf"
run "keepalived, 510 instances" keepalived "$work/510.conf"
