"""What the schema cannot say about compose.yaml and the Dockerfile: the
facts Easel depends on (Redis with AOF and noeviction, health checks through
the binary, the /data volume, non-root, one Debian release for both stages).

Usage: check_container_facts.py COMPOSE_FILE DOCKERFILE DOCKERIGNORE
Prints every broken fact and exits 1 if any; run by scripts/check-container.sh
(which also feeds it broken copies to show that it refuses them).
"""

import re
import sys

from ruamel.yaml import YAML

HEALTHCHECK = ["CMD", "easel", "healthcheck"]


def redis_facts(services, problems):
    redis = services.get("redis") or {}
    command = [str(part) for part in redis.get("command") or []]
    for flag, value in (("--appendonly", "yes"), ("--maxmemory-policy", "noeviction")):
        if not any(a == flag and b == value for a, b in zip(command, command[1:])):
            problems.append(f"redis: command must pass {flag} {value}")
    if not (redis.get("healthcheck") or {}).get("test"):
        problems.append("redis: needs a healthcheck (easel waits for service_healthy)")
    if not any(str(v).endswith(":/data") for v in redis.get("volumes") or []):
        problems.append("redis: needs a volume on /data (where the AOF is written)")


def easel_facts(services, volumes, problems):
    easel = services.get("easel") or {}
    if list((easel.get("healthcheck") or {}).get("test") or []) != HEALTHCHECK:
        problems.append(f"easel: healthcheck test must be {HEALTHCHECK}")
    data = [str(v) for v in easel.get("volumes") or [] if str(v).endswith(":/data")]
    if not data:
        problems.append("easel: needs a volume on /data (the embedded stores)")
    elif data[0].split(":")[0] not in volumes:
        problems.append(f"easel: {data[0]} must use a named volume declared under volumes")
    condition = ((easel.get("depends_on") or {}).get("redis") or {}).get("condition")
    if condition != "service_healthy":
        problems.append("easel: must depend on redis with condition service_healthy")
    env = easel.get("environment") or {}
    if not str(env.get("EASEL_REDIS_URL", "")).startswith("redis://redis:"):
        problems.append("easel: EASEL_REDIS_URL must point at the redis service")
    if not str(env.get("EASEL_LISTEN", "")).startswith("0.0.0.0:"):
        problems.append("easel: EASEL_LISTEN must be 0.0.0.0:<port> inside the container")
    if easel.get("env_file") != ".env":
        problems.append("easel: env_file must be .env (documented by .env.example)")
    for port in easel.get("ports") or []:
        if str(port).count(":") < 2 or not str(port).startswith("127.0.0.1:"):
            problems.append(f"easel: port {port} must be published on 127.0.0.1 only")


def dockerfile_facts(text, problems):
    # Continuation lines joined, comments dropped: one instruction per line.
    joined = re.sub(r"\\\n", " ", re.sub(r"(?m)^\s*#.*\n", "", text))
    instructions = [line.strip() for line in joined.splitlines() if line.strip()]

    def find(keyword):
        return [i[len(keyword):].strip() for i in instructions if i.upper().startswith(keyword + " ")]

    froms = find("FROM")
    if len(froms) < 2 or not all("bookworm" in f for f in froms):
        problems.append("Dockerfile: builder and runtime must both be bookworm (same glibc)")
    if not froms or not froms[-1].startswith("debian:bookworm-slim"):
        problems.append("Dockerfile: the runtime stage must be debian:bookworm-slim")
    users = find("USER")
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("Dockerfile: the runtime must run as a non-root USER")
    if find("WORKDIR")[-1:] != ["/data"]:
        problems.append("Dockerfile: the runtime's WORKDIR must be /data (where the stores land)")
    if not any("/data" in v for v in find("VOLUME")):
        problems.append("Dockerfile: /data must be a VOLUME")
    if not any("8787" in e.split() for e in find("EXPOSE")):
        problems.append("Dockerfile: must EXPOSE the admin API port 8787")
    health = find("HEALTHCHECK")
    cmd = f'CMD ["{HEALTHCHECK[1]}", "{HEALTHCHECK[2]}"]'
    if not health or not health[-1].endswith(cmd):
        problems.append(f"Dockerfile: HEALTHCHECK must end with {cmd} (as compose.yaml)")


def dockerignore_facts(text, problems):
    patterns = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]
    # An allowlist: everything is out unless named, so no new secret file or
    # build output can slip into the build context.
    if not patterns or patterns[0] != "*":
        problems.append(".dockerignore: must start with * (an allowlist of the build context)")
    for needed in ("**/target", "**/.env"):
        if needed not in patterns:
            problems.append(f".dockerignore: must exclude {needed} inside the allowed folders")
    for secret in (".env", ".git", "target"):
        if f"!{secret}" in patterns or f"!{secret}/" in patterns:
            problems.append(f".dockerignore: must not let {secret} in")


def main(compose_path, dockerfile_path, dockerignore_path):
    problems = []
    with open(compose_path, encoding="utf-8") as f:
        compose = YAML(typ="safe").load(f) or {}
    services = compose.get("services") or {}
    redis_facts(services, problems)
    easel_facts(services, compose.get("volumes") or {}, problems)
    with open(dockerfile_path, encoding="utf-8") as f:
        dockerfile_facts(f.read(), problems)
    with open(dockerignore_path, encoding="utf-8") as f:
        dockerignore_facts(f.read(), problems)
    for problem in problems:
        print(f"container facts: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
