"""Benchmark: a 12-megapixel camera JPEG to web size and thumbnail through the photo pipeline, on one core.

Runs data.photos.make_derivatives (reduced-size JPEG decode with Image.draft, resize, encode) and
stores both results through the storage layer (a local directory), as the resize task does.
Last line: `BENCH images per_image_ms=<x>` (target: at most 80 ms per image on one core).

    .venv/bin/python bench/images.py [--runs 40]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.photos import make_derivatives  # noqa: E402
from data.storage import LocalStorage  # noqa: E402

WIDTH, HEIGHT = 4000, 3000  # 12 megapixels, 4:3 like a phone camera


def camera_jpeg(seed: int = 5) -> bytes:
    """A photo-like 12 MP JPEG: smooth shapes plus sensor noise, so it compresses like a real photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    base = np.stack([
        128 + 90 * np.sin(x / 310.0) * np.cos(y / 270.0),
        120 + 80 * np.cos((x + y) / 500.0),
        110 + 70 * np.sin(y / 190.0 + x / 900.0),
    ], axis=-1)
    noise = rng.normal(0, 6, size=base.shape).astype(np.float32)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


def main() -> None:
    """Time the pipeline and print the BENCH line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as on a busy server
    data = camera_jpeg()
    print(f"input: {WIDTH}x{HEIGHT} JPEG, {len(data) / 1e6:.1f} MB; {args.runs} runs on one core")
    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalStorage(Path(tmp))
        make_derivatives(data)  # warm up (imports, allocator)
        times = []
        for i in range(args.runs):
            start = time.perf_counter()
            web, thumb = make_derivatives(data)
            storage.put(f"photos/1/bench/{i}/web.jpg", web, "image/jpeg")
            storage.put(f"photos/1/bench/{i}/thumb.jpg", thumb, "image/jpeg")
            times.append((time.perf_counter() - start) * 1000)
    web_size = Image.open(io.BytesIO(web)).size
    thumb_size = Image.open(io.BytesIO(thumb)).size
    print(f"web {web_size[0]}x{web_size[1]} ({len(web) / 1e3:.0f} kB), thumbnail {thumb_size[0]}x{thumb_size[1]} "
          f"({len(thumb) / 1e3:.0f} kB)")
    print(f"per image: median {statistics.median(times):.1f} ms, p90 {sorted(times)[int(len(times) * 0.9)]:.1f} ms, "
          f"min {min(times):.1f} ms")
    print(f"BENCH images per_image_ms={statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
