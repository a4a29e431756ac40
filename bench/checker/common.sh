# Sourced by bench/checker/run.sh and vm.sh (from the repository root): the benchmark's
# configuration and its listeners, the same for both.
#   checker_keel_bin        sets KEEL_BIN (this tree's release build unless already set)
#   checker_config VS [BACKEND [TCP_CHECK]]
#                           prints VS virtual servers x $rs real servers with TCP_CHECK at
#                           delay_loop 1 against 127.0.0.1:$base..; BACKEND (nftables, ipvs)
#                           adds `keel_lb_backend`, TCP_CHECK (syn, connect) adds
#                           `keel_tcp_check` (keel's keywords; keepalived warns about them)
#   checker_listeners DIR   compiles bench/checker/listeners.rs (std only) to DIR/listeners
rs=100
base=20000

checker_keel_bin() {
  if [ -z "${KEEL_BIN:-}" ]; then
    cargo build --release -q -p keel
    KEEL_BIN=$PWD/target/release/keel
  fi
}

checker_config() {
  local vs=$1 backend=${2:-} tcp_check=${3:-} v r
  if [ -n "$backend$tcp_check" ]; then
    echo "global_defs {"
    [ -n "$backend" ] && echo "  keel_lb_backend $backend"
    [ -n "$tcp_check" ] && echo "  keel_tcp_check $tcp_check"
    echo "}"
  fi
  for v in $(seq 0 $((vs - 1))); do
    echo "virtual_server 10.$((v / 250)).$((v % 250)).1 80 {"
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
}

checker_listeners() {
  rustc -O -o "$1/listeners" bench/checker/listeners.rs
}
