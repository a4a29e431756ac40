#!/usr/bin/env bash
# "VRRP advert decode" (docs/benchmarks.md): what keel-wire costs per received advert.
# The criterion bench lives in crates/keel-wire/benches/advert_decode.rs; extra arguments
# go to criterion (e.g. `bench/wire/run.sh --measurement-time 10 v3_ipv4`).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo bench -p keel-wire --bench advert_decode -- "$@"
