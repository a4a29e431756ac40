#!/usr/bin/env bash
# Checker benchmark in the IPVS test VM (tests/vm/, Debian's cloud kernel under qemu TCG):
# VS virtual servers x 100 real servers with TCP_CHECK at delay_loop 1 against 100 local
# HTTP listeners (busybox httpd), run by keepalived 2.2.7 -C and then by keel -C, one after
# the other in the same VM. For each: CPU % of the emulated CPU over the window (the
# process tree: keepalived's parent and checker child; keel's one process), summed RSS, and
# how many destinations IPVS holds.
#   bench/checker/vm.sh [VS [SECONDS]]    (default 20 virtual servers = 2,000 real servers,
#                                          30 s measured after 20 s of warm-up)
# KEEL_BIN=path measures that keel binary instead of building this tree's release build
# (to compare two builds in the same VM image).
set -euo pipefail
cd "$(dirname "$0")/../.."
vs=${1:-20}
window=${2:-30}
rs=100
base=20000

if [ -z "${KEEL_BIN:-}" ]; then
  cargo build --release -q -p keel
  KEEL_BIN=target/release/keel
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$KEEL_BIN" "$work/keel"
{
  for v in $(seq 0 $((vs - 1))); do
    echo "virtual_server 10.1.$v.1 80 {"
    echo "  delay_loop 1"
    echo "  lvs_sched wrr"
    echo "  lvs_method NAT"
    echo "  protocol TCP"
    for r in $(seq 0 $((rs - 1))); do
      echo "  real_server 127.0.0.1 $((base + r)) {"
      echo "    weight 1"
      echo "    TCP_CHECK {"
      echo "      connect_timeout 3"
      echo "    }"
      echo "  }"
    done
    echo "}"
  done
} > "$work/keepalived.conf"

cat > "$work/run" <<SCRIPT
#!/bin/sh
ip link set lo up
mkdir -p /www && echo ok > /www/index.html
i=0
while [ \$i -lt $rs ]; do busybox httpd -p 127.0.0.1:\$(($base + i)) -h /www; i=\$((i + 1)); done
# user and system ticks of the processes, summed: "USER SYSTEM"
ticks() { u=0; s=0; for p in \$*; do u=\$((u + \$(awk '{print \$14}' /proc/\$p/stat))); s=\$((s + \$(awk '{print \$15}' /proc/\$p/stat))); done; echo \$u \$s; }
rss() { t=0; for p in \$*; do t=\$((t + \$(awk '/VmRSS/ {print \$2}' /proc/\$p/status))); done; echo \$t; }
measure() {
    name=\$1; shift
    ipvsadm -C
    "\$@" >/tmp/\$name.log 2>&1 &
    sleep 20
    pids=\$(pidof \$name)
    set -- \$(ticks \$pids); u0=\$1; s0=\$2; t0=\$(cut -d' ' -f1 /proc/uptime)
    sleep $window
    set -- \$(ticks \$pids); u1=\$1; s1=\$2; t1=\$(cut -d' ' -f1 /proc/uptime)
    dests=\$(ipvsadm -Ln | grep -c -- '-> 127')
    echo "RESULT \$name pids=\$(echo \$pids | wc -w) cpu_ticks=\$((u1 - u0 + s1 - s0)) user_ticks=\$((u1 - u0)) sys_ticks=\$((s1 - s0)) seconds=\$(awk "BEGIN {print \$t1 - \$t0}") rss_kib=\$(rss \$pids) destinations=\$dests loadavg=\$(cut -d' ' -f1-3 /proc/loadavg)"
    for p in \$pids; do echo "RESULT-MEM \$name pid \$p" \$(awk '/^(Rss|Anonymous|Rss_File|Private_Clean|Private_Dirty|Shared_Clean):/ {printf "%s%s ", \$1, \$2}' /proc/\$p/smaps_rollup 2>/dev/null); done
    kill \$pids; sleep 3
    tail -5 /tmp/\$name.log
}
measure keepalived keepalived -n -l -C -f /payload/keepalived.conf -p /run/k.pid -c /run/c.pid
measure keel /payload/keel -C -n -f /payload/keepalived.conf
SCRIPT
chmod +x "$work/run"
KEEL_VM_TIMEOUT=600 tests/vm/run.sh "$work" | tee "$work/console" | grep -E "RESULT|keel checker" || true
echo "(CPU % = cpu_ticks / seconds; 100 ticks per second is one emulated CPU)"
