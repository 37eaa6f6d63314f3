#!/usr/bin/env bash
# The Redis commands one POST /v1/images/generations sends (redis-cli
# MONITOR, client commands only: those inside scripts are not listed), with
# proxy-compare's easel.toml and fake upstream. Not in CI.
#   bash docs/bench/v1-round-trips.sh target/release
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(realpath "${1:-target/release}")"; here=docs/bench/proxy-compare
scratch=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null||true; done; rm -rf $scratch' EXIT
"$bin/fake-openai" --key upkey >"$scratch/fake.out" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q base_url= "$scratch/fake.out" && break; sleep 0.1; done
upstream="$(sed -n 's/^base_url=//p' "$scratch/fake.out")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s|\"BENCH_UPSTREAM_BASE\"|\"$upstream\"|" $here/easel.toml > $scratch/easel.toml
(cd $scratch && BENCH_UPSTREAM_KEY=upkey EASEL_ADMIN_TOKEN=adm EASEL_REDIS_URL=redis://127.0.0.1:6379 EASEL_KEY_PREFIX="trips-$$:" EASEL_LISTEN=127.0.0.1:$port exec "$bin/easel-gateway" --config easel.toml) > $scratch/easel.log 2>&1 & pids+=($!)
for _ in $(seq 1 200); do curl -s -o /dev/null http://127.0.0.1:$port/healthz && break; sleep 0.2; done
key=$(curl -sf -X POST -H "Authorization: Bearer adm" "http://127.0.0.1:$port/admin/v1/users/cli:bench/api-keys" | python3 -c "import json,sys; print(json.load(sys.stdin)['key'])")
body='{"model":"gpt-image-2","prompt":"a cat","n":1,"size":"1024x1024","quality":"low"}'
for i in 1 2; do curl -s -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$body" http://127.0.0.1:$port/v1/images/generations; done
sleep 1
(timeout 3 redis-cli monitor > $scratch/mon.txt) & mp=$!
sleep 0.5
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$body" http://127.0.0.1:$port/v1/images/generations
wait $mp || true
grep "\[0 127" $scratch/mon.txt | awk "{ \$1=\"\"; \$2=\"\"; \$3=\"\"; print }" | cut -c1-140
echo "client commands: $(grep -c "\[0 127" $scratch/mon.txt)"
