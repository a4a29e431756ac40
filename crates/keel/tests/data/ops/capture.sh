#!/bin/sh
# Captures keepalived 2.2.7's SIGUSR1/SIGUSR2/SIGRTMIN+2 dumps for CONF (default
# keepalived.conf, here) into OUTDIR (default expected/). (2.2.7 has no json_version
# keyword: it writes version 1 only.)
# Run as root from this directory: ./capture.sh [CONF [OUTDIR]]   (needs keepalived, iproute2)
#   ./capture.sh                       → expected/
#   ./capture.sh vmac.conf expected/vmac
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=keel-ops-capture-$$
conf="$here/${1:-keepalived.conf}"
out="$here/${2:-expected}"
mkdir -p "$out"
work=$(mktemp -d)
cleanup() {
    [ -f "$work/keepalived.pid" ] && kill "$(cat "$work/keepalived.pid")" 2>/dev/null || true
    sleep 1
    ip netns del "$ns" 2>/dev/null || true
    cp "$work"/*.log "$out/" 2>/dev/null || true
    rm -rf "$work" /tmp/keel-ops-capture-track
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add veth0 type veth peer name veth1
ip -n "$ns" link set lo up
ip -n "$ns" link set veth1 up
ip -n "$ns" link set veth0 up
ip -n "$ns" addr add 10.99.0.1/24 dev veth0
: > /tmp/keel-ops-capture-track

run() {   # $1: suffix for the output files
    cp "$conf" "$work/keepalived.conf"
    export TMPDIR="$work"
    ip netns exec "$ns" keepalived -n -l -D -P -f "$work/keepalived.conf" \
        -p "$work/keepalived.pid" -r "$work/vrrp.pid" > "$work/keepalived$1.log" 2>&1 &
    sleep 6   # VI_2 starts MASTER; VI_1 becomes MASTER after 3 adverts + skew
    pid=$(cat "$work/keepalived.pid")
    kill -USR1 "$pid"; kill -USR2 "$pid"; kill -s "$(keepalived --signum=JSON)" "$pid"
    sleep 1
    cp "$work/keepalived.data" "$out/keepalived.data$1"
    cp "$work/keepalived.stats" "$out/keepalived.stats$1"
    cp "$work/keepalived.json" "$out/keepalived.json$1"
    stat -c '%a %n' "$work"/keepalived.* > "$out/modes$1"
    kill "$pid"
    sleep 2
}
run ""
