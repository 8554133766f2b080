"""Shared benchmark plumbing: build (or reuse) a database with the demo and large companies."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app

DATA = ROOT / "bench" / "results"


def database_url(name: str) -> str:
    """``BENCH_DATABASE_URL`` if set (e.g. PostgreSQL), else a SQLite file kept between runs."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    DATA.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA / (name + '.sqlite')}"


def make_app(url: str):
    """The portal bound to the benchmark database (no CSRF, no rate limits)."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "bench",
    })


def timed(fn, repeat: int) -> list[float]:
    """Wall-clock milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p(samples, q: float) -> float:
    """The q-quantile (0..1) of the samples."""
    ordered = sorted(samples)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def summary(samples) -> str:
    return (f"p50 {p(samples, .5):8.1f} ms   p95 {p(samples, .95):8.1f} ms   "
            f"mean {statistics.fmean(samples):8.1f} ms")
