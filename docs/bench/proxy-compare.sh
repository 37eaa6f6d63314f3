#!/usr/bin/env bash
# Added latency and throughput of POST /v1/images/generations through Easel
# and through LiteLLM proxy, both in front of the same zero-latency fake
# upstream (tests/src/bin/fake-openai.rs), same machine, same run. Not in CI.
#
#   bash docs/bench/proxy-compare.sh            # results on stdout, JSON lines
#   CONCURRENCY="1 16 64" SECONDS_EACH=10 bash docs/bench/proxy-compare.sh
#
# Per concurrency level, load-gen (tests/src/bin/load-gen.rs) drives the fake
# directly (the baseline), then LiteLLM, then Easel; "added" = proxy minus
# baseline at the same percentile. LiteLLM: DB-less, custom auth giving the
# key an rpm limit enforced on the local Redis (docs/bench/proxy-compare/).
# Easel: easel-gateway with docs/bench/proxy-compare/easel.toml (quotas on
# the same Redis, every request through the ledger). Easel needs its /v1 API
# and an API key: EASEL_API_KEY, or EASEL_MINT_KEY_CMD (a command printing a
# key, given $EASEL_BASE and $EASEL_ADMIN_TOKEN). Without /v1 the Easel rows
# are skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=docs/bench/proxy-compare

concurrency="${CONCURRENCY:-1 16 64}"
seconds="${SECONDS_EACH:-10}"
redis_host="${BENCH_REDIS_HOST:-127.0.0.1}"
redis_port="${BENCH_REDIS_PORT:-6379}"
export BENCH_REDIS_HOST="$redis_host" BENCH_REDIS_PORT="$redis_port"

cache="${EASEL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/easel}"
mkdir -p "$cache"; cache="$(realpath "$cache")"
venv="$cache/litellm-$(sha256sum "$here/litellm-requirements.txt" | cut -c1-16)"
if [ ! -x "$venv/bin/litellm" ]; then
  echo "proxy-compare: installing LiteLLM into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/litellm-requirements.txt"
fi

# BENCH_PROFILE=dev reuses a test build (fake and load-gen unoptimised);
# the published Easel numbers must come from release.
profile="${BENCH_PROFILE:-release}"
# One invocation for all three binaries: the features resolve once (the
# tests crate turns on easel-gateway's `test-clock`, which only adds a manual
# clock variant the server never constructs), so nothing is built twice.
cargo build --locked --profile "$profile" -p easel-tests -p easel-bot \
  --bin fake-openai --bin load-gen --bin easel-gateway
[ "$profile" = dev ] && outdir=debug || outdir="$profile"
bin="$(realpath "${CARGO_TARGET_DIR:-target}/$outdir")"

scratch="$(mktemp -d)"
pids=()
prefix="easel-bench-$$:"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -h "$redis_host" -p "$redis_port" --scan --pattern "${prefix}*" \
    | xargs -r -n 500 redis-cli -h "$redis_host" -p "$redis_port" del >/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Polls until the URL answers at all (any status): start-up, not timing.
wait_for() {
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "proxy-compare: $1 never answered" >&2; return 1
}

upstream_key="sk-bench-upstream-$$"
"$bin/fake-openai" --key "$upstream_key" >"$scratch/fake.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q base_url= "$scratch/fake.out" && break; sleep 0.1; done
upstream="$(sed -n 's/^base_url=//p' "$scratch/fake.out")"
export BENCH_UPSTREAM_BASE="$upstream" BENCH_UPSTREAM_KEY="$upstream_key"

litellm_port="$(free_port)"
export BENCH_LITELLM_KEY="sk-bench-litellm-$$"
BENCH_LITELLM_MASTER_KEY="sk-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BENCH_LITELLM_MASTER_KEY
(cd "$here" && LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR \
  exec "$venv/bin/litellm" --config litellm.yaml --host 127.0.0.1 \
  --port "$litellm_port" --num_workers "${LITELLM_WORKERS:-2}") >"$scratch/litellm.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$litellm_port/health/liveliness"

easel_port="$(free_port)"
export EASEL_ADMIN_TOKEN="bench-admin-$$"
export EASEL_BASE="http://127.0.0.1:$easel_port"
# EASEL_BENCH_CONFIG: another Easel config (e.g. proxy-compare/easel-rpm.toml).
sed "s|\"BENCH_UPSTREAM_BASE\"|\"$upstream\"|" "${EASEL_BENCH_CONFIG:-$here/easel.toml}" >"$scratch/easel.toml"
(cd "$scratch" && EASEL_REDIS_URL="redis://$redis_host:$redis_port" EASEL_KEY_PREFIX="$prefix" \
  EASEL_LISTEN="127.0.0.1:$easel_port" exec "$bin/easel-gateway" --config easel.toml) \
  >"$scratch/easel.log" 2>&1 &
pids+=($!)
wait_for "$EASEL_BASE/healthz"
easel_key="${EASEL_API_KEY:-}"
if [ -z "$easel_key" ] && [ -n "${EASEL_MINT_KEY_CMD:-}" ]; then
  easel_key="$(bash -c "$EASEL_MINT_KEY_CMD")"
fi
v1_status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${easel_key:-none}" "$EASEL_BASE/v1/models")"

echo "# $(date -u +%FT%TZ) $(nproc) cores; profile $profile; litellm $(sed -n 's/^litellm\[proxy\]==//p' "$here/litellm-requirements.txt"), ${LITELLM_WORKERS:-2} workers; easel $(git rev-parse --short HEAD), $(basename "${EASEL_BENCH_CONFIG:-easel.toml}")"
for c in $concurrency; do
  run() { "$bin/load-gen" --concurrency "$c" --seconds "$seconds" --warmup-seconds 2 "$@"; }
  run --label "baseline c=$c" --url "$upstream" --key "$upstream_key"
  run --label "litellm c=$c" --url "http://127.0.0.1:$litellm_port/v1" --key "$BENCH_LITELLM_KEY"
  if [ "$v1_status" = 200 ]; then
    run --label "easel c=$c" --url "$EASEL_BASE/v1" --key "$easel_key"
  else
    echo "{\"label\": \"easel c=$c\", \"skipped\": \"GET /v1/models answered $v1_status: /v1 not served or no key (EASEL_API_KEY / EASEL_MINT_KEY_CMD)\"}"
  fi
done
