#!/usr/bin/env bash
# Runs the image's runtime stage without a Docker engine: rebuilds its root
# filesystem with debootstrap (the Debian release and package list read from
# the Dockerfile), adds the same non-root user and both binaries, then runs
# `easel` there as that user on the embedded store in /data and checks that it
# starts, that `easel healthcheck` inside says healthy, that /healthz and an
# authenticated admin call answer from the host (a wrong token: 401), that
# it stops cleanly on SIGTERM, and that no secret reached its log.
# Why: hadolint reads the Dockerfile but never runs it; this catches a binary
# that needs a library, a file or a privilege the slim image lacks.
# Needs root (debootstrap, chroot). The provider's base URL is a closed
# loopback port with a dummy key: nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "runtime-smoke: needs root (debootstrap, chroot)" >&2; exit 1; }

# --- What the Dockerfile says: release, packages, uid (one place each). ---
suite="$(sed -n 's/^FROM debian:\([a-z]*\)-slim.*/\1/p' Dockerfile)"
packages="$(sed -n 's/^ARG RUNTIME_PACKAGES="\(.*\)"$/\1/p' Dockerfile)"
uid="$(sed -n 's/^ARG EASEL_UID=\([0-9]*\)$/\1/p' Dockerfile)"
# The runtime's ENV (NAME=value words, continuation lines joined).
mapfile -t image_env < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile |
  sed -n 's/^ENV //p' | tr -s ' ' '\n' | grep '=')
if [ -z "$suite" ] || [ -z "$uid" ] || ! grep -q '^ARG RUNTIME_PACKAGES=' Dockerfile; then
  echo "runtime-smoke: cannot read the runtime stage from the Dockerfile" >&2; exit 1
fi

# --- The mirror apt already uses (deb822 .sources or one-line .list). ---
mirror="$(python3 - "$suite" <<'PY'
import glob, sys
suite = sys.argv[1]
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
for path in files:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = [w for w in line.split("#")[0].split() if not w.startswith("[")]
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            print(words[1]); sys.exit()
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path, encoding="utf-8").read().split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.startswith(("#", " ")):
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
        if ("deb" in fields.get("types", []) and suite in fields.get("suites", [])
                and fields.get("enabled", ["yes"]) != ["no"] and fields.get("uris")):
            print(fields["uris"][0]); sys.exit()
sys.exit(f"runtime-smoke: no apt source for {suite}")
PY
)"

# --- The binaries: EASEL_SMOKE_BIN_DIR (e.g. target/release), or the debug
# ones the README's `cargo test --workspace` builds. `--no-run` is that same
# build (same features), so after the tests it is a no-op, while a
# `cargo build -p` would compile everything again with other features. ---
if [ -n "${EASEL_SMOKE_BIN_DIR:-}" ]; then
  bin="$EASEL_SMOKE_BIN_DIR"
else
  cargo test --workspace --locked --no-run --quiet
  bin="${CARGO_TARGET_DIR:-target}/debug"
fi

scratch="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# --- The root filesystem: debootstrap once, then a cached tarball. ---
cache="${EASEL_SMOKE_CACHE:-/var/cache/easel-smoke}"
cache_key="$(printf '%s|%s|%s' "$suite" "$mirror" "$packages" | sha256sum | cut -c1-16)"
tarball="$cache/rootfs-$suite-$cache_key.tar"
mkdir -p "$cache"
# A week-old tree misses security updates: rebuild it.
find "$cache" -name 'rootfs-*.tar' -mtime +7 -delete
root="$scratch/rootfs"
mkdir -p "$root"
if [ ! -f "$tarball" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "runtime-smoke: installing debootstrap" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  echo "runtime-smoke: debootstrap --variant=minbase $suite from $mirror" >&2
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$scratch/debootstrap.log" 2>&1 || {
    tail -n 30 "$scratch/debootstrap.log" >&2; exit 1; }
  if [ -n "$packages" ]; then
    # shellcheck disable=SC2086 # a list of package names
    chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
      sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages"
    rm -rf "$root/var/lib/apt/lists/"*
  fi
  # Written aside, then renamed: a concurrent run never unpacks half a tree.
  tar -C "$root" -cf "$tarball.$$.tmp" . && mv "$tarball.$$.tmp" "$tarball"
else
  tar -C "$root" -xf "$tarball"
fi

# --- The runtime stage's own steps: user, directories, binaries, config. ---
chroot "$root" groupadd --gid "$uid" easel
chroot "$root" useradd --uid "$uid" --gid "$uid" --home-dir /data --no-create-home \
  --shell /usr/sbin/nologin easel
# The config goes where the image's EASEL_CONFIG points.
config="$(printf '%s\n' "${image_env[@]}" | sed -n 's/^EASEL_CONFIG=//p')"
[ -n "$config" ] || { echo "runtime-smoke: the Dockerfile sets no EASEL_CONFIG" >&2; exit 1; }
mkdir -p "$root/data" "$root$(dirname "$config")"
chroot "$root" chown easel:easel /data
install -m 0755 "$bin/easel" "$bin/easel-gateway" "$root/usr/local/bin/"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$root$config" <<EOF
# The smoke test's config: embedded store, a provider nothing answers for.
[[backends.chain]]
name = "openai"
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "gpt-image-2"
api_key_env = "OPENAI_API_KEY"
EOF
token="smoke-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
api_key="sk-smoke-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
# The image's environment (Debian's PATH, the Dockerfile's ENV), the secrets
# an operator passes, and the listen address moved to loopback: the smoke
# shares the host's network.
container_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/data
  "${image_env[@]}" EASEL_LISTEN="127.0.0.1:$port"
  EASEL_ADMIN_TOKEN="$token" OPENAI_API_KEY="$api_key" RUST_LOG=info)
# Inside the tree: the image's WORKDIR and USER, then the command ("$@").
# shellcheck disable=SC2016 # expanded by the shell inside the tree
as_easel='cd /data && exec setpriv --reuid="$0" --regid="$0" --clear-groups "$@"'

# Both binaries load in the slim tree as that user.
for program in easel easel-gateway; do
  "${container_env[@]}" chroot "$root" /bin/sh -c "$as_easel" "$uid" "/usr/local/bin/$program" --version ||
    { echo "runtime-smoke: FAIL: $program does not run in the $suite tree" >&2; exit 1; }
done

# --- Run it. unshare gives /proc in a private mount namespace (gone with the
# process); every exec keeps one pid, so SIGTERM reaches easel itself. ---
echo "runtime-smoke: starting easel as uid $uid on 127.0.0.1:$port" >&2
# shellcheck disable=SC2016 # expanded by the sh that unshare starts
"${container_env[@]}" unshare --mount --propagation private /bin/sh -c \
  'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -c "$2" "$3" /usr/local/bin/easel' \
  sh "$root" "$as_easel" "$uid" >"$scratch/easel.log" 2>&1 &
server=$!

fail() {
  echo "runtime-smoke: FAIL: $*" >&2
  echo "--- easel log ---" >&2; cat "$scratch/easel.log" >&2
  exit 1
}

# Readiness: the container's own probe, at most 150 tries (not a timing test).
healthy=""
for _ in $(seq 1 150); do
  kill -0 "$server" 2>/dev/null || fail "easel exited before it was healthy"
  if "${container_env[@]}" chroot "$root" /bin/sh -c "$as_easel" "$uid" \
      /usr/local/bin/easel healthcheck >"$scratch/health.log" 2>&1; then
    healthy=yes; break
  fi
  sleep 0.2
done
[ -n "$healthy" ] || fail "easel healthcheck never passed: $(cat "$scratch/health.log")"
echo "runtime-smoke: $(cat "$scratch/health.log")" >&2

url="http://127.0.0.1:$port"
[ "$(curl -fsS "$url/healthz")" = ok ] || fail "/healthz did not answer ok"
status="$(curl -sS -o "$scratch/user.json" -w '%{http_code}' \
  -H "Authorization: Bearer $token" "$url/admin/v1/users/tg:1")"
[ "$status" = 200 ] || fail "GET /admin/v1/users/tg:1 answered $status: $(cat "$scratch/user.json")"
grep -q '"plan"' "$scratch/user.json" || fail "no quota status in $(cat "$scratch/user.json")"
status="$(curl -sS -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer wrong-$token" "$url/admin/v1/users/tg:1")"
[ "$status" = 401 ] || fail "a wrong admin token answered $status, not 401"

# The embedded stores landed in /data, owned by the image's user.
[ "$(stat -c %u "$root/data/easel-ledger.redb" 2>/dev/null)" = "$uid" ] ||
  fail "no easel-ledger.redb owned by uid $uid in /data"

kill -TERM "$server"
rc=0; wait "$server" || rc=$?
server=""
[ "$rc" = 0 ] || fail "easel exited with $rc after SIGTERM"
if grep -qF -e "$token" -e "$api_key" "$scratch/easel.log"; then
  fail "a secret (admin token or API key) reached the log"
fi
sed "s/^/  easel: /" "$scratch/easel.log" >&2
echo "runtime-smoke: ok: $suite minbase + [${packages}], uid $uid, healthcheck, /healthz," \
  "admin API (200, wrong token 401), clean stop" >&2
