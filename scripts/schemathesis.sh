#!/usr/bin/env bash
# Property-based API tests with schemathesis against a running easel-gateway:
# every operation of every schema in SCHEMAS is called with generated valid
# and invalid input, and the run fails on any 5xx, any status or content type
# the schema does not list, any body that breaks its schema, any invalid
# input accepted and any method the schema does not list answered with
# anything but 405. The gateway runs on the local Redis with a key prefix of
# its own (deleted afterwards) and a random admin token.
#
# SCHEMAS: one line per API, "<schema path> <Authorization header value>":
# the admin API (admin token) and the OpenAI-compatible /v1 API (a key minted
# through the admin API for one user). /v1 runs the real pipeline against the
# strict fake OpenAI (tests/src/bin/fake-openai.rs) on a free port, one
# `[[backends.chain]]` entry; the user's plan is generous (a window no run
# reaches) so generated requests reach the handlers instead of all being 429s.
#
# CI time (2-core machine, gateway already built): see docs/bench/schemathesis.md.
# positive_data_acceptance is off: JSON Schema counts 5.0 as an integer and
# schemathesis sends it as one, while the API (serde) takes integers written
# as integers only and answers 422; every other check runs.
# The examples phase is skipped: with Python 3.11 it dies inside the
# generator ("AST constructor recursion depth mismatch"), not in the API; the
# schema's only examples are covered by the coverage phase anyway.
# Budget: --max-examples (SCHEMATHESIS_EXAMPLES, default 30) per operation.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=scripts/schemathesis-tools.txt
cache="${EASEL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/easel}"
venv="$cache/schemathesis-$(sha256sum "$tools" | cut -c1-16)"
if [ ! -x "$venv/bin/st" ]; then
  echo "schemathesis: installing the pinned tool into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$tools"
fi

cargo build --locked --quiet -p easel-bot --bin easel-gateway
cargo build --locked --quiet -p easel-tests --bin fake-openai
target="${CARGO_TARGET_DIR:-target}"
gateway="$(realpath "$target/debug/easel-gateway")"
fake="$(realpath "$target/debug/fake-openai")"

redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
prefix="easel-schemathesis-$$-$(date +%s):"
token="st-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
scratch="$(mktemp -d)"

cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "${fake_pid:-}" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  redis-cli -u "$redis_url" --scan --pattern "${prefix}*" \
    | xargs -r -n 500 redis-cli -u "$redis_url" del >/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

upstream_key="sk-st-upstream-$$"
"$fake" --key "$upstream_key" >"$scratch/fake.out" 2>"$scratch/fake.log" &
fake_pid=$!
for _ in $(seq 1 100); do grep -q base_url= "$scratch/fake.out" && break; sleep 0.1; done
upstream="$(sed -n 's/^base_url=//p' "$scratch/fake.out")"
[ -n "$upstream" ] || { echo "schemathesis: fake-openai did not start" >&2; exit 1; }

cat >"$scratch/easel.toml" <<TOML
[access]
mode = "open"
default_plan = "st"

[plans.st]
windows = [{ limit = 1000000, period = "1h" }]
max_in_flight = 0
max_n = 10
burst = { every = "1ms", burst = 100000 }

[runner]
images_per_minute = 0
max_queued_per_user = 100000

[[backends.chain]]
name = "fake"
kind = "openai"
base_url = "$upstream"
model = "gpt-image-2"
api_key_env = "EASEL_ST_UPSTREAM_KEY"
skip_model_check = true
TOML

(cd "$scratch" && EASEL_REDIS_URL="$redis_url" EASEL_KEY_PREFIX="$prefix" \
  EASEL_ADMIN_TOKEN="$token" EASEL_LISTEN="127.0.0.1:$port" \
  EASEL_ST_UPSTREAM_KEY="$upstream_key" \
  exec "$gateway" --config easel.toml) >"$scratch/gateway.log" 2>&1 &
pid=$!

# A /v1 key for one user, minted through the admin API once it answers.
for _ in $(seq 1 600); do curl -s -o /dev/null "$base/healthz" && break; sleep 0.1; done
api_key="$(curl -sf -X POST -H "Authorization: Bearer $token" \
  "$base/admin/v1/users/cli:schemathesis/api-keys" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')" || {
  echo "schemathesis: could not mint a /v1 key; gateway log:" >&2
  tail -n 50 "$scratch/gateway.log" >&2; exit 1; }

SCHEMAS=(
  "/admin/v1/openapi.json Bearer $token"
  "/v1/openapi.json Bearer $api_key"
)

status=0
for line in "${SCHEMAS[@]}"; do
  path="${line%% *}"
  auth="${line#* }"
  echo "schemathesis: $base$path" >&2
  # The gateway's log is only shown when a run fails.
  if ! "$venv/bin/st" run "$base$path" --url "$base" \
      --header "Authorization: $auth" \
      --checks all \
      --exclude-checks positive_data_acceptance \
      --phases coverage,fuzzing,stateful \
      --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
      --seed "${SCHEMATHESIS_SEED:-1}" \
      --wait-for-schema 60 \
      --workers 2 \
      --generation-database none \
      --no-color; then
    status=1
    echo "schemathesis: FAIL on $path; gateway log:" >&2
    tail -n 50 "$scratch/gateway.log" >&2
  fi
done
exit "$status"
