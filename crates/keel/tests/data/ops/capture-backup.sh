#!/bin/sh
# Second capture: keepalived 2.2.7 as BACKUP (backup.conf) next to a keepalived MASTER
# (master.conf), unicast + AH, VRRPv3 over IPv6, virtual routes/rules, a tracked process.
# Writes the BACKUP's SIGUSR1/SIGUSR2/SIGRTMIN+2 dumps into expected/backup/.
# Run as root from this directory: ./capture-backup.sh   (needs keepalived, iproute2)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
a=keel-ops-cap-a-$$
b=keel-ops-cap-b-$$
out="$here/expected/backup"
mkdir -p "$out"
work=$(mktemp -d)
sleeper=
cleanup() {
    for side in a b; do
        [ -f "$work/$side.pid" ] && kill "$(cat "$work/$side.pid")" 2>/dev/null || true
    done
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null || true
    sleep 1
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    cp "$work"/*.log "$out/" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add veth0 type veth peer name veth1 netns "$b"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" addr add 10.98.0.1/24 dev veth0
ip -n "$b" addr add 10.98.0.2/24 dev veth1
ip -n "$a" link set veth0 up
ip -n "$b" link set veth1 up
sleep 2   # IPv6 link-local addresses
sleep 1000 & sleeper=$!

ip netns exec "$a" keepalived -n -l -D -P -f "$here/master.conf" \
    -p "$work/a.pid" -r "$work/a-vrrp.pid" > "$work/master.log" 2>&1 &
sleep 2
export TMPDIR="$work/b"
mkdir -p "$TMPDIR"
ip netns exec "$b" keepalived -n -l -D -P -f "$here/backup.conf" \
    -p "$work/b.pid" -r "$work/b-vrrp.pid" > "$work/backup.log" 2>&1 &
sleep 6
pid=$(cat "$work/b.pid")
kill -USR1 "$pid"; kill -USR2 "$pid"; kill -s "$(keepalived --signum=JSON)" "$pid"
sleep 1
cp "$TMPDIR/keepalived.data" "$TMPDIR/keepalived.stats" "$TMPDIR/keepalived.json" "$out/"
