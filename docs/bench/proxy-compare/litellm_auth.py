"""LiteLLM custom auth for the proxy comparison (DB-less): one key, with a
per-key rpm limit that LiteLLM's rate limiter enforces on Redis. The limit
is set far above what the benchmark sends, so every request is checked
against it and none is refused: the same work Easel does when every request
passes its quota ledger.
"""
import os

from fastapi import Request
from litellm.proxy._types import UserAPIKeyAuth

KEY = os.environ["BENCH_LITELLM_KEY"]
RPM = int(os.environ.get("BENCH_LITELLM_RPM", "10000000"))


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    if api_key == KEY:
        return UserAPIKeyAuth(api_key=api_key, user_id="bench-user", rpm_limit=RPM)
    raise Exception("invalid key")
