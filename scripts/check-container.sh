#!/usr/bin/env bash
# Checks the Dockerfile and compose.yaml without a Docker engine: hadolint on
# the Dockerfile, compose.yaml against the Compose Specification schema
# (offline, the schema vendored by check-jsonschema), and the facts Easel
# depends on (scripts/check_container_facts.py). Each checker is first shown
# a broken file and must refuse it, so a checker that accepts anything fails.
# Tools are pinned in scripts/container-tools.txt and installed into a venv
# cached by that file's hash.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=scripts/container-tools.txt
cache="${EASEL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/easel}"
venv="$cache/container-tools-$(sha256sum "$tools" | cut -c1-16)"
if [ ! -x "$venv/bin/check-jsonschema" ] || [ ! -x "$venv/bin/hadolint" ]; then
  echo "check-container: installing the pinned tools into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$tools"
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Runs "$@" and fails the script unless it exits non-zero.
must_refuse() {
  local what="$1"; shift
  if "$@" >"$scratch/refusal.log" 2>&1; then
    echo "check-container: FAIL: $what was accepted" >&2
    exit 1
  fi
}

hadolint() { "$venv/bin/hadolint" --config .hadolint.yaml "$@"; }
schema() { "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$@"; }
facts() { "$venv/bin/python" scripts/check_container_facts.py "$@"; }

# hadolint: the shipped Dockerfile passes; one with an unpinned base fails.
sed 's/^FROM debian:bookworm-slim /FROM debian /' Dockerfile >"$scratch/Dockerfile"
must_refuse "a Dockerfile with an untagged base image (hadolint)" hadolint "$scratch/Dockerfile"
hadolint Dockerfile
echo "check-container: hadolint $("$venv/bin/hadolint" --version | awk '{print $NF}'): Dockerfile ok"

# Compose Specification: a misspelled condition and an unknown key fail.
sed 's/condition: service_healthy/condition: service_healty/; s/^    restart: /    restrat: /' \
  compose.yaml >"$scratch/compose.yaml"
must_refuse "a compose file with a bad condition and an unknown key (schema)" \
  schema "$scratch/compose.yaml"
schema compose.yaml

# Easel's facts: Redis without noeviction, a Dockerfile running as root, or
# a build context letting .env in, fail.
sed 's/noeviction/allkeys-lru/' compose.yaml >"$scratch/compose.yaml"
must_refuse "Redis with an evicting policy (facts)" \
  facts "$scratch/compose.yaml" Dockerfile .dockerignore
sed 's/^USER .*/USER root/' Dockerfile >"$scratch/Dockerfile"
must_refuse "a Dockerfile running as root (facts)" \
  facts compose.yaml "$scratch/Dockerfile" .dockerignore
grep -v '^\*\*/\.env$' .dockerignore >"$scratch/dockerignore"
must_refuse "a .dockerignore letting .env in (facts)" \
  facts compose.yaml Dockerfile "$scratch/dockerignore"
facts compose.yaml Dockerfile .dockerignore
echo "check-container: compose.yaml (schema and facts), Dockerfile and .dockerignore facts ok"
