"""The official `openai` SDK against Easel's /v1 Images API.

Run by tests/tests/openai_api/python.rs with EASEL_BASE_URL, EASEL_KEY,
EASEL_REVOKED_KEY and EASEL_LIMIT (window credits of the key's user). Each
step prints "<step> ok"; any failure raises (non-zero exit).
"""

import base64
import os
import struct
import zlib

import openai
from openai import OpenAI

BASE = os.environ["EASEL_BASE_URL"]
KEY = os.environ["EASEL_KEY"]
REVOKED = os.environ["EASEL_REVOKED_KEY"]
LIMIT = int(os.environ["EASEL_LIMIT"])


def png(seed):
    """A valid 16x16 RGB PNG, different per seed (no Pillow needed)."""
    width = height = 16
    raw = b"".join(b"\x00" + b"".join(bytes([seed, x * 16, y * 16]) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


client = OpenAI(base_url=BASE, api_key=KEY, max_retries=0)

# 1. generate (1 credit)
r = client.images.generate(model="gpt-image-2", prompt="a cat", size="1024x1024", quality="low")
assert len(r.data) == 1 and base64.b64decode(r.data[0].b64_json), r
assert r.usage is not None and r.output_format == "png", r
# The provider's reported tokens, passed through (the fake reports 60 in, 4160 out).
assert r.usage.total_tokens > 0, r.usage
assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens, r.usage
assert r.usage.input_tokens_details.image_tokens == 50, r.usage
print("generate ok")

# 2. edit with two images (1 credit)
r = client.images.edit(
    model="gpt-image-2",
    image=[("a.png", png(1), "image/png"), ("b.png", png(2), "image/png")],
    prompt="put them side by side",
)
assert len(r.data) == 1 and base64.b64decode(r.data[0].b64_json), r
print("edit ok")

# 3. stream with partial images (1 credit)
events = list(client.images.generate(prompt="a cat", stream=True, partial_images=2))
kinds = [e.type for e in events]
assert kinds == ["image_generation.partial_image"] * 2 + ["image_generation.completed"], kinds
assert [e.partial_image_index for e in events[:2]] == [0, 1], events
assert events[-1].usage is not None and base64.b64decode(events[-1].b64_json), events[-1]
assert events[-1].usage.total_tokens > 0, events[-1].usage
print("stream ok")

# 4. an edit streamed (1 credit)
events = list(
    client.images.edit(
        image=[("a.png", png(3), "image/png"), ("b.png", png(4), "image/png")],
        prompt="blend",
        stream=True,
        partial_images=1,
    )
)
kinds = [e.type for e in events]
assert kinds == ["image_edit.partial_image", "image_edit.completed"], kinds
print("edit stream ok")

# 5. a revoked key is refused
try:
    OpenAI(base_url=BASE, api_key=REVOKED, max_retries=0).images.generate(prompt="x")
    raise AssertionError("a revoked key was accepted")
except openai.AuthenticationError as e:
    assert e.status_code == 401 and e.code == "invalid_api_key", (e.status_code, e.code)
print("revoked ok")

# 6. spend the rest of the window, then 429 with Retry-After
left = LIMIT - 4
if left > 0:
    client.images.generate(prompt="the rest", n=left)
try:
    client.images.generate(prompt="one too many")
    raise AssertionError("a request past the quota was accepted")
except openai.RateLimitError as e:
    retry_after = int(e.response.headers["retry-after"])
    assert e.status_code == 429 and retry_after > 0, (e.status_code, retry_after)
    assert e.code == "rate_limit_exceeded", e.code
print("429 ok")
