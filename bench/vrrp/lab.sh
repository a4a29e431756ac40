# Shared by the bench/vrrp scripts (sourced, not run).
#
# A lab is one "switch" namespace holding bridges br0..brN-1 (mcast_snooping 0: with
# snooping on, the bridge filters multicast it has not seen joins for and large IPv6 setups
# show false split brains, LAB-NOTES) and hosts h0, h1, …, each a namespace whose eK is a
# veth plugged into brK. Host H has 10.7K.0.(H+1)/16 and fd7K::(H+1)/64 on eK. Namespace names
# carry the script's pid; lab_down (run from an EXIT trap) deletes them, and every daemon
# still running in them dies with its namespace's processes.

lab_prefix="kb$$"
lab_hosts=()
# Per namespace, the pids of its veth ends' NAPI threads (lab_napi_thread).
declare -A lab_napi_pids=()

# lab_up HOSTS INTERFACES
# LAB_LINK=cable (two hosts only): each host's eK is one end of a veth pair whose other end
# is the other host's eK, like two machines joined back to back by a cable; no switch
# namespace takes part. The default (LAB_LINK=switch) joins the hosts' eK through bridge brK
# in namespace $lab_prefix-sw. A veth hands each frame on in the sender's softirq, so with
# the switch the sending daemon is also charged for the bridge's work on every advert,
# which a hardware switch would do for free; the cable removes that part (not the peer's
# own IP receive path, which is still charged to the sender).
lab_up() {
  local hosts=$1 interfaces=$2 h k
  ip netns add "$lab_prefix-sw"
  ip -n "$lab_prefix-sw" link set lo up
  # A hardware switch runs no netfilter: without this, br_netfilter (loaded on this host)
  # passes every bridged advert through the IP hooks, in the sender's softirq, charged to
  # the sending daemon (both daemons alike). LAB_BR_NETFILTER=1 keeps them on.
  local family
  [ "${LAB_BR_NETFILTER:-0}" = 1 ] || for family in iptables ip6tables arptables; do
    ip netns exec "$lab_prefix-sw" sysctl -qw "net.bridge.bridge-nf-call-$family=0" 2>/dev/null || true
  done
  local cable=0
  if [ "${LAB_LINK:-switch}" = cable ]; then
    [ "$hosts" = 2 ] || { echo "LAB_LINK=cable joins exactly two hosts" >&2; return 1; }
    cable=1
    ip netns add "$lab_prefix-h1" # h0's loop puts the far ends here
  else
    for ((k = 0; k < interfaces; k++)); do
      ip -n "$lab_prefix-sw" link add "br$k" type bridge mcast_snooping 0
      ip -n "$lab_prefix-sw" link set "br$k" up
    done
  fi
  for ((h = 0; h < hosts; h++)); do
    local ns="$lab_prefix-h$h"
    [ "$cable" = 1 ] && [ "$h" = 1 ] || ip netns add "$ns"
    ip -n "$ns" link set lo up
    lab_hosts+=("$ns")
    for ((k = 0; k < interfaces; k++)); do
      if [ "$cable" = 1 ]; then
        # The second host's ends are made with the first's (one veth pair per interface).
        [ "$h" = 0 ] && ip -n "$ns" link add "e$k" type veth peer name "e$k" netns "$lab_prefix-h1"
      else
        ip -n "$lab_prefix-sw" link add "p$h-$k" type veth peer name "e$k" netns "$ns"
        ip -n "$lab_prefix-sw" link set "p$h-$k" master "br$k"
        ip -n "$lab_prefix-sw" link set "p$h-$k" up
      fi
      ip -n "$ns" link set "e$k" up
      ip -n "$ns" addr add "10.7$k.0.$((h + 1))/16" dev "e$k"
      ip -n "$ns" -6 addr add "fd7$k::$((h + 1))/64" dev "e$k" nodad
      [ "${LAB_NAPI:-0}" = 0 ] || {
        lab_napi_thread "$lab_prefix-sw" "p$h-$k"
        lab_napi_thread "$ns" "e$k"
      }
    done
  done
}

# LAB_NAPI=1 (an analysis mode, not the default): gives the veth end DEV (in namespace NS)
# its own NAPI thread for what it receives. GRO on gives a veth NAPI, and TSO off (no TCP
# crosses the lab) lets the kernel use its peer's NAPI for every frame it sends, forwarded
# ones included (veth_skb_is_eligible_for_gro); then /sys/class/net/DEV/threaded.
# By default a veth hands each frame to its peer's receive path at once, in the sender's
# softirq, so the sending daemon is charged for the switch's bridging and for the peer
# host's whole IP receive path, which a host on a real NIC never does for its peers. With
# NAPI threads that work runs in the kernel threads napi/DEV-N: a host's own receive path is
# reported apart per host (lab_napi_ns), the switch's apart again. The caveat that keeps it
# from being the default: a veth NAPI ring holds 256 frames and a veth has no qdisc, so a
# burst larger than the ring is refused (keel's AF_PACKET send then pauses and retries, and
# an IP socket's frames are presumably lost: keepalived converged in 45 s or not at all in
# this mode, docs/benchmarks.md), which a NIC's deeper ring and qdisc would absorb.
# The thread is the newest one named napi/DEV-ID: ends are set up one at a time.
lab_napi_thread() {
  ip netns exec "$1" ethtool -K "$2" gro on tso off > /dev/null
  ip netns exec "$1" sh -c "echo 1 > /sys/class/net/$2/threaded"
  lab_napi_pids[$1]+=" $(pgrep -n -x "napi/$2-[0-9]+")"
}

# Where adverts on the lab's interface K can be captured: "NAMESPACE DEVICE" (the bridge
# brK, or with the cable the second host's eK).
lab_wire() {
  if [ "${LAB_LINK:-switch}" = cable ]; then
    echo "$lab_prefix-h1 e$1"
  else
    echo "$lab_prefix-sw br$1"
  fi
}

lab_down() {
  local ns pid
  for ns in "${lab_hosts[@]}" "$lab_prefix-sw"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for ns in "${lab_hosts[@]}" "$lab_prefix-sw"; do ip netns del "$ns" 2>/dev/null || true; done
  lab_hosts=()
  lab_napi_pids=()
}

# The IPv6 link-local address of eK in namespace NS: lab_link_local NS K (waits for it).
lab_link_local() {
  local i addr
  for ((i = 0; i < 300; i++)); do
    addr=$(ip -n "$1" -6 -o addr show dev "e$2" scope link | grep -v tentative |
      awk '{print $4}' | cut -d/ -f1 | head -1)
    [ -n "$addr" ] && { echo "$addr"; return; }
    sleep 0.01
  done
  echo "lab_link_local: no link-local address on e$2 in $1" >&2
  return 1
}

# Starts a daemon in its own PID namespace inside network namespace NS, so that one SIGKILL
# to the `unshare` (whose --kill-child SIGKILLs the namespace's init) kills the whole
# process tree at once: keepalived's VRRP child cannot react to its parent's death with a
# graceful priority-0 advert, and its parent cannot respawn it.
#   daemon_start DAEMON NS CONF FILEBASE  -> sets daemon_pid (the unshare's pid)
daemon_start() {
  local daemon=$1 ns=$2 conf=$3 base=$4 binary
  case $daemon in
    keel) binary=$keel_bin ;;
    keepalived) binary=$keepalived_bin ;;
    # A second keel build in the same run (before/after a change): KEEL_BASE_BIN.
    keel-base) binary=${KEEL_BASE_BIN:?keel-base needs KEEL_BASE_BIN} ;;
    *) echo "daemon_start: unknown daemon $daemon" >&2; return 1 ;;
  esac
  ip netns exec "$ns" unshare --pid --fork --mount-proc --kill-child -- \
    "$binary" -n -l -P -f "$conf" -p "$base.pid" -r "$base-vrrp.pid" \
    > "$base.log" 2>&1 &
  daemon_pid=$!
}

# SIGKILLs the daemon tree started by daemon_start (its unshare pid) and reaps it.
daemon_kill() {
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# The daemon's process tree in NS: every process there except daemon_start's `unshare`
# wrapper (the harness's, the same for both daemons, ~1.8 MB RSS).
ns_daemon_pids() {
  local pid
  for pid in $(ip netns pids "$1"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = unshare ] || echo "$pid"
  done
}

# CPU time in ns (the first field of /proc/PID/task/TID/schedstat, summed over every thread)
# of the daemon tree in NS: exact, where utime + stime are sampled at the 100 Hz tick and
# so count a daemon at 1-2 % of a core with ±15 % noise over 30 s.
ns_cpu_ns() {
  local pid total=0 ns
  for pid in $(ns_daemon_pids "$1"); do
    ns=$(cat /proc/"$pid"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}') || continue
    total=$((total + ${ns:-0}))
  done
  echo "$total"
}

# CPU time in ns of the NAPI threads of namespace NS's veth ends (lab_napi_thread): for a
# host, its kernel's receive path (what a NIC's interrupt and softirq would cost it); for
# the switch, the bridging. 0 when LAB_NAPI=0.
lab_napi_ns() {
  local pid total=0 ns
  for pid in ${lab_napi_pids[$1]:-}; do
    ns=$(awk '{print $1}' "/proc/$pid/schedstat" 2>/dev/null) || continue
    total=$((total + ${ns:-0}))
  done
  echo "$total"
}

# Context switches (voluntary + involuntary, /proc/PID/status) of the daemon tree in NS: each
# voluntary one is a sleep, so the count is the loop's wake-ups.
ns_switches() {
  local pid total=0 n
  for pid in $(ns_daemon_pids "$1"); do
    n=$(awk '/ctxt_switches:/ {s += $2} END {print s + 0}' "/proc/$pid/status" 2>/dev/null) || continue
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

# Summed VmRSS (kB) of the daemon tree in NS.
ns_rss_kb() {
  local pid total=0 kb
  for pid in $(ns_daemon_pids "$1"); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# scale_conf STATE PRIORITY INTERFACES ADVERT_INT: 510 instances per interface.
scale_conf() {
  local state=$1 priority=$2 interfaces=$3 interval=$4 k n
  printf 'global_defs {\n  vrrp_version 3\n}\n'
  for ((k = 0; k < interfaces; k++)); do
    for ((n = 1; n <= 255; n++)); do
      printf 'vrrp_instance v4_%d_%d {\n  state %s\n  interface e%d\n  virtual_router_id %d\n  priority %d\n  advert_int %s\n  virtual_ipaddress {\n    10.7%d.1.%d/16\n  }\n}\n' \
        "$k" "$n" "$state" "$k" "$n" "$priority" "$interval" "$k" "$n"
      printf 'vrrp_instance v6_%d_%d {\n  state %s\n  interface e%d\n  virtual_router_id %d\n  priority %d\n  advert_int %s\n  virtual_ipaddress {\n    fd7%d::1:%d/64\n  }\n}\n' \
        "$k" "$n" "$state" "$k" "$n" "$priority" "$interval" "$k" "$n"
    done
  done
}

# VIPs (of this benchmark's ranges) that host NS holds.
vip_count() {
  ip -n "$1" -o addr show | grep -cE ' (10\.7[0-3]\.1\.[0-9]+/16|fd7[0-3]::1:[0-9a-f]+/64) ' || true
}

# Epoch seconds with microseconds (what tcpdump -tt prints).
now() { echo "${EPOCHREALTIME}"; }

machine_line() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  echo "$cpu, $(nproc) CPUs, Linux $(uname -r)"
}

# bench_setup SCRIPT [TOOL...]: what every bench/vrrp script starts with. Needs root (network
# namespaces) and each TOOL; builds the release keel unless KEEL_BIN names a binary to
# measure; sets keel_bin, keepalived_bin and a scratch directory $work, removed (with the
# lab) at exit.
bench_setup() {
  local script=$1 tool
  shift
  if [ "$(id -u)" != 0 ]; then echo "$script: needs root (network namespaces)" >&2; exit 1; fi
  [ "${LAB_NAPI:-0}" = 0 ] || set -- "$@" ethtool
  for tool in keepalived "$@"; do
    command -v "$tool" >/dev/null || { echo "$script: $tool is not installed" >&2; exit 1; }
  done
  if [ -z "${KEEL_BIN:-}" ]; then cargo build --release -q -p keel; fi
  keel_bin=${KEEL_BIN:-$PWD/target/release/keel}
  keepalived_bin=$(command -v keepalived)
  work=$(mktemp -d)
  trap 'lab_down; rm -rf "$work"' EXIT
}
