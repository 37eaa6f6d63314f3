#!/usr/bin/env bash
# 1 vs 3 replicas on one Redis (issue 13): the same fixed /v1 workload
# against one easel-gateway and against three on the same private Redis,
# all calling one fake OpenAI whose every answer takes UPSTREAM_MS (2 s).
# Per run: jobs per second (200 answers over the run's wall time), the
# queue wait p50/p99 from the replicas' summed /metrics histogram
# (easel_queue_wait_seconds, upper bucket bounds), Redis CPU (INFO cpu
# used_cpu_sys + used_cpu_user, after minus before) and the answers per
# status and per key, which must be identical in both runs (the quota
# outcome: each key gets exactly LIMIT images, the rest are 429).
#
# Usage: bash docs/bench/replicas.sh > docs/bench/replicas.txt
# Knobs: USERS (200), PER_KEY (3 requests per key), LIMIT (2 per hour),
# UPSTREAM_MS (2000), CONCURRENCY (upstream calls per replica, 16: runner.workers;
# with QUEUE=redis, the default, runner.concurrency is that times the
# replicas, as it holds for the whole deployment; QUEUE=memory: each its own),
# BENCH_PROFILE (dev; release for published numbers if the machine allows).
set -euo pipefail
cd "$(dirname "$0")/../.."

users="${USERS:-200}"
per_key="${PER_KEY:-3}"
limit="${LIMIT:-2}"
upstream_ms="${UPSTREAM_MS:-2000}"
concurrency="${CONCURRENCY:-16}"
queue="${QUEUE:-redis}"
profile="${BENCH_PROFILE:-dev}"
# One build of both packages: the gateway library is compiled once, with
# the features the test suite unifies (see tests/src/chaos/replica.rs).
cargo build --locked --profile "$profile" -p easel-tests -p easel-bot \
  --bin fake-openai --bin load-gen --bin easel-gateway
[ "$profile" = dev ] && outdir=debug || outdir="$profile"
bin="$(realpath "${CARGO_TARGET_DIR:-target}/$outdir")"

scratch="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${redis_pid:-}" ] && { kill "$redis_pid" 2>/dev/null || true; }
  rm -rf "$scratch"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "replicas: $1 never became ready" >&2; return 1
}

# A private Redis: its CPU counters are this benchmark's alone.
redis_port="$(free_port)"
redis-server --port "$redis_port" --save "" --appendonly no --daemonize no \
  --dir "$scratch" >"$scratch/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_cpu() { redis-cli -p "$redis_port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.3f", s}'; }

upstream_key="sk-bench-upstream-$$"
"$bin/fake-openai" --key "$upstream_key" --latency-ms "$upstream_ms" >"$scratch/fake.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q base_url= "$scratch/fake.out" && break; sleep 0.1; done
upstream="$(sed -n 's/^base_url=//p' "$scratch/fake.out")"

cat >"$scratch/easel.toml" <<TOML
[ledger]
lease = "30s"
reap_every = "5s"

[access]
mode = "open"
default_plan = "bench"

[plans.bench]
windows = [{ limit = $limit, period = "1h" }]
max_in_flight = 0
max_n = 4
burst = { every = "1ms", burst = 100000 }

[runner]
queue = "$queue"
concurrency = __TOTAL__
workers = $concurrency
max_queued_per_user = 100

[[backends.chain]]
name = "fake"
kind = "openai"
base_url = "$upstream"
model = "gpt-image-2"
api_key_env = "EASEL_BENCH_UPSTREAM_KEY"
skip_model_check = true
partial_images = 0
TOML

# Sums every replica's queue-wait histogram and prints p50/p99 (the upper
# bound of the bucket holding the quantile, in seconds) and the count.
queue_wait() {
  python3 - "$@" <<'PY'
import re, sys, urllib.request
buckets, count = {}, 0
for base in sys.argv[1:]:
    text = urllib.request.urlopen(base + "/metrics").read().decode()
    for line in text.splitlines():
        m = re.match(r'easel_queue_wait_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            buckets[m.group(1)] = buckets.get(m.group(1), 0) + float(m.group(2))
        m = re.match(r'easel_queue_wait_seconds_count (\S+)', line)
        if m:
            count += float(m.group(1))
def q(p):
    for le, n in sorted(buckets.items(), key=lambda kv: float(kv[0])):
        if n >= p * count:
            return le
    return "n/a"
print(f'{{"queue_wait_count": {int(count)}, "queue_wait_p50_le_s": "{q(0.5)}", "queue_wait_p99_le_s": "{q(0.99)}"}}')
PY
}

echo "# $(date -u +%FT%TZ) $(nproc) cores; profile $profile; easel $(git rev-parse --short HEAD); users $users x $per_key requests, limit $limit/h, upstream ${upstream_ms} ms, $concurrency upstream calls per replica, queue $queue"
for replicas in 1 3; do
  prefix="easel-bench-replicas-$$-$replicas:"
  admin="bench-admin-$$"
  urls=()
  for i in $(seq 1 "$replicas"); do
    port="$(free_port)"
    mkdir -p "$scratch/r$replicas-$i"
    sed "s/__TOTAL__/$((concurrency * replicas))/" "$scratch/easel.toml" >"$scratch/easel-$replicas.toml"
    (cd "$scratch/r$replicas-$i" && EASEL_REDIS_URL="redis://127.0.0.1:$redis_port" \
      EASEL_KEY_PREFIX="$prefix" EASEL_ADMIN_TOKEN="$admin" EASEL_LISTEN="127.0.0.1:$port" \
      EASEL_BENCH_UPSTREAM_KEY="$upstream_key" RUST_LOG=warn \
      exec "$bin/easel-gateway" --config "$scratch/easel-$replicas.toml") >"$scratch/r$replicas-$i.log" 2>&1 &
    pids+=($!)
    urls+=("http://127.0.0.1:$port")
  done
  for u in "${urls[@]}"; do wait_for "$u/readyz"; done
  # One /v1 key per user, minted through the admin API.
  : >"$scratch/keys-$replicas"
  for n in $(seq 1 "$users"); do
    curl -sf -X POST -H "Authorization: Bearer $admin" "${urls[0]}/admin/v1/users/cli:bench$n/api-keys" \
      | grep -o '"key":"[^"]*"' | cut -d'"' -f4 >>"$scratch/keys-$replicas"
  done
  v1="$(printf '%s/v1,' "${urls[@]}")"
  cpu_before="$(redis_cpu)"
  "$bin/load-gen" --url "${v1%,}" --keys-file "$scratch/keys-$replicas" \
    --requests-per-key "$per_key" --label "replicas=$replicas"
  cpu_after="$(redis_cpu)"
  queue_wait "${urls[@]}"
  echo "{\"replicas\": $replicas, \"redis_cpu_s\": $(python3 -c "print(round($cpu_after - $cpu_before, 3))")}"
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]:1}" 2>/dev/null || true
  pids=("${pids[0]}")
done
