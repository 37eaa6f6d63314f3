#!/usr/bin/env bash
# Runs the imaging benchmark: easel's prepare (Rust) and Pillow on the same
# workload, one after the other, each under /usr/bin/time -v for peak RSS and
# CPU time; then both again pinned to one core (taskset -c 0), since
# jpeg-decoder may use a second thread and Pillow never does.
# usage: bash docs/bench/imaging.sh [iterations]   (needs: pip install pillow)
set -euo pipefail
cd "$(dirname "$0")/../.."
iterations="${1:-30}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p easel-gateway --example prepare_bench
bin="${CARGO_TARGET_DIR:-target}/release/examples/prepare_bench"
"$bin" write "$work/workload.jpg"

measure() { # label, command...
  local label="$1"; shift
  echo "-- $label"
  /usr/bin/time -v "$@" 2> "$work/time"
  grep -E 'Maximum resident|User time|System time|Elapsed' "$work/time"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
  echo "== round $round (both cores)"
  measure rust "$bin" run "$work/workload.jpg" "$iterations"
  measure pillow python3 docs/bench/imaging_pillow.py "$work/workload.jpg" "$iterations"
done
echo "== one core (taskset -c 0)"
measure rust taskset -c 0 "$bin" run "$work/workload.jpg" "$iterations"
measure pillow taskset -c 0 python3 docs/bench/imaging_pillow.py "$work/workload.jpg" "$iterations"
echo "== baselines (0 iterations: process start + reading the file)"
measure rust "$bin" run "$work/workload.jpg" 0
measure pillow python3 docs/bench/imaging_pillow.py "$work/workload.jpg" 0
