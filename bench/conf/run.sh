#!/usr/bin/env bash
# Configuration-parsing benchmark: `keel -t` against `keepalived -t` on the same generated
# config (100 virtual servers x 100 real servers), side by side in one run, inside a
# throwaway network namespace where the config's interface (eth0) exists.
# Writes the table into docs/benchmarks.md, section "Configuration parsing (`-t`)".
#   bench/conf/run.sh [RUNS]      (root; default 30 runs of each, interleaved)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}

if [ "$(id -u)" != 0 ]; then echo "run.sh: needs root (network namespace)" >&2; exit 1; fi
command -v keepalived >/dev/null || { echo "run.sh: keepalived is not installed" >&2; exit 1; }

cargo build --release -q -p keel
keel=$PWD/target/release/keel
keepalived=$(command -v keepalived)

work=$(mktemp -d)
netns="keel-bench-$$"
cleanup() { ip netns del "$netns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bench/conf/generate.sh 100 100 > "$work/lb.conf"
lines=$(wc -l < "$work/lb.conf")
ip netns add "$netns"
ip -n "$netns" link set lo up
ip -n "$netns" link add eth0 type veth peer name eth0p
ip -n "$netns" link set eth0p up
ip -n "$netns" link set eth0 up

# Each run's wall time and CPU time (user + system) in microseconds, measured inside the
# namespace so `ip netns exec` itself is not counted; keel and keepalived alternate so both
# see the same machine load. CPU time is the steadier figure on a shared machine.
ip netns exec "$netns" bash -c '
  set -u
  keel=$1 keepalived=$2 conf=$3 runs=$4 out=$5 tf=$5.times
  # Children CPU time so far, in microseconds, into $cpu (bash `times`; no subshell, whose
  # own children would be counted instead).
  cpu=0
  read_cpu() {
    times > "$tf"
    local self user sys
    { read -r self; read -r user sys; } < "$tf"
    to_us "$user"; local u=$us
    to_us "$sys"
    cpu=$((u + us))
  }
  to_us() {
    [[ $1 =~ ^([0-9]+)m([0-9]+)\.([0-9]+)s$ ]]
    us=$(( (BASH_REMATCH[1] * 60 + 10#${BASH_REMATCH[2]}) * 1000000 + 10#${BASH_REMATCH[3]} * 1000 ))
  }
  "$keel" -t -f "$conf" 2>/dev/null; echo "keel_exit $?" >> "$out"
  "$keepalived" -t -f "$conf" 2>/dev/null; echo "keepalived_exit $?" >> "$out"
  for ((i = 0; i < runs; i++)); do
    for program in keel keepalived; do
      [ $program = keel ] && binary=$keel || binary=$keepalived
      read_cpu; c0=$cpu; s=${EPOCHREALTIME/./}
      "$binary" -t -f "$conf" 2>/dev/null
      e=${EPOCHREALTIME/./}; read_cpu; c1=$cpu
      echo "$program $((e - s))" >> "$out"
      echo "${program}_cpu $((c1 - c0))" >> "$out"
    done
  done
' bench "$keel" "$keepalived" "$work/lb.conf" "$runs" "$work/times"

stat() { # name -> "min median" in ms
  grep "^$1 " "$work/times" | awk '{print $2}' | sort -n |
    awk '{v[NR] = $1} END {printf "%.1f %.1f\n", v[1] / 1000, v[int((NR + 1) / 2)] / 1000}'
}
read -r keel_min keel_median < <(stat keel)
read -r ka_min ka_median < <(stat keepalived)
read -r keel_cpu_min keel_cpu_median < <(stat keel_cpu)
read -r ka_cpu_min ka_cpu_median < <(stat keepalived_cpu)
keel_exit=$(awk '/^keel_exit/ {print $2}' "$work/times")
ka_exit=$(awk '/^keepalived_exit/ {print $2}' "$work/times")
ratio=$(awk -v a="$keel_median" -v b="$ka_median" 'BEGIN {printf "%.2f", a / b}')
cpu_ratio=$(awk -v a="$keel_cpu_median" -v b="$ka_cpu_median" 'BEGIN {printf "%.2f", a / b}')
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
machine="$cpu, $(nproc) CPUs, Linux $(uname -r)"
version=$("$keepalived" -v 2>&1 | sed -n 1p)

section=$(cat <<MD
## Configuration parsing (\`-t\`)

\`bench/conf/run.sh\`: \`keel -t\` and \`keepalived -t\` on the same generated configuration
(\`bench/conf/generate.sh 100 100\`: one VRRP instance and 100 virtual servers x 100 real
servers with TCP_CHECK / HTTP_GET, $lines lines), $runs runs each, interleaved, wall and CPU
time of the whole process measured inside a network namespace where \`eth0\` exists. Release
build.
Target: keel at most half of keepalived's time.

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Machine: $machine (shared with other work while measuring)
- keepalived: $version

| program | exit code | wall min (ms) | wall median (ms) | CPU min (ms) | CPU median (ms) |
|---|---|---|---|---|---|
| keel -t | $keel_exit | $keel_min | $keel_median | $keel_cpu_min | $keel_cpu_median |
| keepalived -t | $ka_exit | $ka_min | $ka_median | $ka_cpu_min | $ka_cpu_median |

keel / keepalived, median wall time: **$ratio**; median CPU time (user + system): **$cpu_ratio**.
Load average while measuring: $load (CPU time is the steadier figure when the machine is busy).
MD
)
if [ "$keel_exit" != "$ka_exit" ]; then
  section+=$'\n\n'"**The exit codes differ: the two programs did not judge the file alike, so the times"
  section+=$'\n'"are not comparable.**"
fi

doc=docs/benchmarks.md
mkdir -p docs
[ -f "$doc" ] || printf '# Benchmarks\n\nResults of the harnesses under `bench/`, newest run of each.\n' > "$doc"
# Replace the section (up to the next "## " heading), or append it.
awk -v section="$section" '
  /^## Configuration parsing/ { print section; skipping = 1; done = 1; next }
  skipping && /^## / { skipping = 0; print "" }
  !skipping { print }
  END { if (!done) { print ""; print section } }
' "$doc" > "$work/doc" && cp "$work/doc" "$doc"

echo "$section"
