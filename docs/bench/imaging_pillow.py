"""Pillow doing the job of easel's imaging::prepare, at its best.

Same workload and output as gateway/examples/prepare_bench.rs: decode a
12-megapixel JPEG, apply EXIF orientation, resize to 1536 px on the long side
(Lanczos), encode JPEG q90. Draft mode lets libjpeg-turbo decode at 1/2 scale
(DCT scaling), the biggest shortcut Pillow has.

usage: python3 imaging_pillow.py <workload.jpg> <iterations>
"""

import io
import statistics
import sys
import time

import PIL
from PIL import Image, ImageOps, features

LONG_SIDE = 1536


def prepare(data: bytes) -> tuple[bytes, tuple[int, int]]:
    img = Image.open(io.BytesIO(data))
    w, h = img.size
    scale = LONG_SIDE / max(w, h)
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Ask for the target size: libjpeg picks the largest DCT scale that stays >= it.
    img.draft("RGB", target)
    img = img.resize(target, Image.Resampling.LANCZOS)
    img = ImageOps.exif_transpose(img)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue(), img.size


def main() -> None:
    path, iterations = sys.argv[1], int(sys.argv[2])
    data = open(path, "rb").read()
    times = []
    result = None
    for _ in range(iterations):
        start = time.perf_counter()
        result = prepare(data)
        times.append((time.perf_counter() - start) * 1000.0)
    print(
        f"pillow {PIL.__version__} (libjpeg-turbo: {features.check_feature('libjpeg_turbo')})"
    )
    if result:
        out, (w, h) = result
        print(f"pillow prepare: {len(data)} bytes in -> {w}x{h} image/jpeg {len(out)} bytes out")
        times.sort()
        print(
            f"pillow: n={len(times)} min={times[0]:.1f} ms median={times[len(times) // 2]:.1f} ms "
            f"mean={statistics.fmean(times):.1f} ms max={times[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
