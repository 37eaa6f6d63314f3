# syntax=docker/dockerfile:1
# Easel's container image: `easel` (the bot, gateway embedded) and
# `easel-gateway` (the standalone gateway), run as a non-root user with the
# embedded stores in /data. Compose file: compose.yaml. Checked without a
# Docker engine by scripts/check-container.sh (hadolint) and
# scripts/runtime-smoke.sh (this runtime stage rebuilt with debootstrap).

# The builder's Debian release is the runtime's (bookworm): the binaries link
# against the glibc they run with. 1.95 is the workspace's rust-version.
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY . .
# Dependency cache: BuildKit cache mounts, not cargo-chef. The mounts keep the
# registry and target/ between builds, so an edit recompiles only the
# workspace crates (cargo-chef's recipe layer rebuilds every dependency when
# Cargo.lock changes at all), and no extra tool has to be installed and
# pinned. The binaries are copied out in the same step because a cache mount
# is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p easel-bot \
    && install -D -m 0755 -t /out target/release/easel target/release/easel-gateway

FROM debian:bookworm-slim AS runtime
# Packages beyond the base image, in ONE place: scripts/runtime-smoke.sh
# installs exactly this list. None are needed: TLS roots are compiled in
# (reqwest, teloxide and serenity use rustls with webpki-roots; Cargo.lock has
# no rustls-native-certs and no OpenSSL), so not even ca-certificates.
ARG RUNTIME_PACKAGES=""
# The fixed non-root user (smoke script: same uid/gid).
ARG EASEL_UID=10001
# SC2086: $RUNTIME_PACKAGES is split into package names on purpose.
# DL3008: versions are pinned in the list itself (name=version), not here.
# hadolint ignore=SC2086,DL3008
RUN set -eux; \
    if [ -n "$RUNTIME_PACKAGES" ]; then \
        apt-get update; \
        apt-get install -y --no-install-recommends $RUNTIME_PACKAGES; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --gid "$EASEL_UID" easel; \
    useradd --uid "$EASEL_UID" --gid "$EASEL_UID" --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin easel; \
    mkdir -p /data /etc/easel; \
    chown easel:easel /data

COPY --from=builder /out/easel /out/easel-gateway /usr/local/bin/
# The documented example (one OpenAI backend, key from OPENAI_API_KEY); mount
# your own file over it, or point EASEL_CONFIG elsewhere.
COPY easel.example.toml /etc/easel/easel.toml

# Listen on every interface inside the container so the published ports and
# the health check reach the servers (the defaults are loopback-only).
# NO_COLOR: plain log lines for `docker logs` and log collectors.
# (scripts/runtime-smoke.sh runs easel with this environment.)
ENV EASEL_CONFIG=/etc/easel/easel.toml \
    EASEL_LISTEN=0.0.0.0:8787 \
    EASEL__DISCORD__LISTEN=0.0.0.0:8788 \
    NO_COLOR=1

# easel-ledger.redb and easel-results.redb land in the working directory.
WORKDIR /data
VOLUME ["/data"]
# Numeric, so a runtime that enforces non-root (Kubernetes runAsNonRoot)
# can verify it without reading /etc/passwd.
USER ${EASEL_UID}:${EASEL_UID}

# 8787: /healthz and the admin API (http.listen). 8788: Discord interactions
# endpoint (discord.mode = "http"). 8443: Telegram webhook (telegram.mode =
# "webhook"; Telegram posts only to 443, 80, 88 or 8443).
EXPOSE 8787 8788 8443

# The binary probes its own /healthz (no curl in the image); the same command
# works for an easel-gateway container, which reads the same config.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["easel", "healthcheck"]

# `docker run IMAGE easel-gateway` runs the standalone gateway instead.
CMD ["easel"]
