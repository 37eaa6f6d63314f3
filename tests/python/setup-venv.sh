#!/usr/bin/env bash
# Creates (once) the venv with the pinned official `openai` package that
# tests/tests/openai_api/python.rs drives, and prints its python's path.
# Reused while the pin is unchanged, so CI needs the network only once.
set -euo pipefail
OPENAI_VERSION="3.63.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${EASEL_OPENAI_VENV:-$here/.venv}"
stamp="$venv/.openai-$OPENAI_VERSION"
if [[ ! -f "$stamp" ]]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"
