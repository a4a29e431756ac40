#!/usr/bin/env bash
# Checker benchmark in the IPVS test VM (tests/vm/, Debian's cloud kernel under qemu TCG):
# VS virtual servers x 100 real servers with TCP_CHECK at delay_loop 1 against 100 local
# HTTP listeners (busybox httpd), run by keepalived 2.2.7 -C and then by keel -C, one after
# the other in the same VM. For each: CPU % of the emulated CPU over the window (the
# process tree: keepalived's parent and checker child; keel's one process), summed RSS, and
# how many destinations IPVS holds. keel runs twice: with its default half-open TCP_CHECK
# (`keel_tcp_check syn`, a SYN from a raw socket, no connection) and with
# `keel_tcp_check connect` (as "keelc"), so the three rows come from one VM boot.
#   bench/checker/vm.sh [VS [SECONDS]]    (default 20 virtual servers = 2,000 real servers,
#                                          30 s measured after 20 s of warm-up)
# KEEL_BIN=path measures that keel binary instead of building this tree's release build;
# KEEL_BIN2=path also measures a second build (as "keelb"), after the first, with
# KEEL_ENV2="NAME=VALUE ..." in its environment (mimalloc options, say).
# CONSOLE=path keeps the VM's whole console output there.
# LISTENER=rust serves the ports with bench/checker/listeners.rs (one process, no fork per
# connection) instead of busybox httpd, which forks a child per connection and under TCG
# cannot accept 2,000 connections a second.
set -euo pipefail
cd "$(dirname "$0")/../.."
vs=${1:-20}
window=${2:-30}
. bench/checker/common.sh

checker_keel_bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$KEEL_BIN" "$work/keel"
cp "$KEEL_BIN" "$work/keelc"
[ -n "${KEEL_BIN2:-}" ] && cp "$KEEL_BIN2" "$work/keelb"
if [ "${LISTENER:-httpd}" = rust ]; then
  checker_listeners "$work"
fi
cp bench/checker/smaps.awk "$work/smaps.awk"
checker_config "$vs" > "$work/keepalived.conf"
checker_config "$vs" "" connect > "$work/keel-connect.conf"

cat > "$work/run" <<SCRIPT
#!/bin/sh
ip link set lo up
mkdir -p /www && echo ok > /www/index.html
i=0
if [ -x /payload/listeners ]; then
  /payload/listeners $base $rs > /tmp/listeners.log 2>&1 &
  sleep 1
else
  while [ \$i -lt $rs ]; do busybox httpd -p 127.0.0.1:\$(($base + i)) -h /www; i=\$((i + 1)); done
fi
# user and system ticks of the processes, summed: "USER SYSTEM"
ticks() { u=0; s=0; for p in \$*; do u=\$((u + \$(awk '{print \$14}' /proc/\$p/stat))); s=\$((s + \$(awk '{print \$15}' /proc/\$p/stat))); done; echo \$u \$s; }
# The whole VM's busy ticks (user + nice + system + irq + softirq + steal) and its softirq
# ticks: loopback TCP work done in softirq is charged to whichever task is running, or to
# ksoftirqd when the softirq load is deferred, so the daemon's own ticks alone can move.
vmticks() { awk '/^cpu / {print \$2 + \$3 + \$4 + \$7 + \$8 + \$9, \$8}' /proc/stat; }
ksoftirqd() { for c in /proc/[0-9]*/comm; do if grep -q '^ksoftirqd' \$c; then awk '{print \$14 + \$15}' \${c%comm}stat; fi; done | awk '{t += \$1} END {print t + 0}'; }
# Checks made: TCP ActiveOpens (a connect() per check: keepalived, keel connect) or OutRsts
# (a half-open check ends with the director kernel's RST to the SYN-ACK; keel's connect
# checks close with a RST too), whichever grew more.
opens() { awk '/^Tcp:/ && \$6 ~ /^[0-9]+\$/ {print \$6, \$15}' /proc/net/snmp; }
checks() { awk -v a0=\$1 -v r0=\$2 -v a1=\$3 -v r1=\$4 'BEGIN {a = a1 - a0; r = r1 - r0; print (a > r ? a : r)}'; }
softnet_drops() { d=0; while read -r _ dropped _; do d=\$((d + 0x\$dropped)); done < /proc/net/softnet_stat; echo \$d; }
rss() { t=0; for p in \$*; do t=\$((t + \$(awk '/VmRSS/ {print \$2}' /proc/\$p/status))); done; echo \$t; }
measure() {
    name=\$1; shift
    ipvsadm -C
    "\$@" >/tmp/\$name.log 2>&1 &
    sleep 20
    pids=\$(pidof \$name)
    o0=\$(opens)
    set -- \$(vmticks); b0=\$1; q0=\$2; k0=\$(ksoftirqd)
    set -- \$(ticks \$pids); u0=\$1; s0=\$2; t0=\$(cut -d' ' -f1 /proc/uptime)
    sleep $window
    set -- \$(ticks \$pids); u1=\$1; s1=\$2; t1=\$(cut -d' ' -f1 /proc/uptime)
    set -- \$(vmticks); b1=\$1; q1=\$2; k1=\$(ksoftirqd)
    o1=\$(checks \$o0 \$(opens))
    dests=\$(ipvsadm -Ln | grep -c -- '-> 127')
    echo "RESULT \$name pids=\$(echo \$pids | wc -w) cpu_ticks=\$((u1 - u0 + s1 - s0)) user_ticks=\$((u1 - u0)) sys_ticks=\$((s1 - s0)) seconds=\$(awk "BEGIN {print \$t1 - \$t0}") rss_kib=\$(rss \$pids) destinations=\$dests loadavg=\$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "RESULT-RATE \$name checks_per_second=\$(awk "BEGIN {printf \\"%.0f\\", \$o1 / (\$t1 - \$t0)}")"
    echo "RESULT-VM \$name vm_busy_ticks=\$((b1 - b0)) vm_softirq_ticks=\$((q1 - q0)) ksoftirqd_ticks=\$((k1 - k0))"
    for p in \$pids; do
      echo "RESULT-MEM \$name pid \$p threads \$(awk '/^Threads:/ {print \$2}' /proc/\$p/status)" \$(awk '/^(Rss|Pss|Anonymous|Private_Clean|Private_Dirty|Shared_Clean):/ {printf "%s%s ", \$1, \$2}' /proc/\$p/smaps_rollup 2>/dev/null)
      # The largest mappings: RSS, anonymous, private dirty (KiB), perms, file.
      awk -f /payload/smaps.awk /proc/\$p/smaps | sort -rn | head -14 | sed "s/^/RESULT-MAP \$name \$p /"
    done
    # Backlog drops (softnet_stat column 2, hex, per CPU) since boot, and the daemon's log
    # lines that report a failed check or a removal: a destination missing at the end is
    # either a lost packet or a check that really failed.
    echo "RESULT-LOSS \$name softnet_dropped_since_boot=\$(softnet_drops) log_fail_lines=\$(grep -ci 'fail\\|remov' /tmp/\$name.log)"
    kill \$pids; sleep 3
    tail -5 /tmp/\$name.log
}
measure keepalived keepalived -n -l -C -f /payload/keepalived.conf -p /run/k.pid -c /run/c.pid
measure keel /payload/keel -C -n -f /payload/keepalived.conf
sleep 5
measure keelc /payload/keelc -C -n -f /payload/keel-connect.conf
if [ -x /payload/keelb ]; then sleep 5; measure keelb env ${KEEL_ENV2:-} /payload/keelb -C -n -f /payload/keepalived.conf; fi
SCRIPT
chmod +x "$work/run"
KEEL_VM_TIMEOUT=600 tests/vm/run.sh "$work" | tee "${CONSOLE:-$work/console}" | grep -E "RESULT|keel checker" || true
echo "(CPU % = cpu_ticks / seconds; 100 ticks per second is one emulated CPU)"
