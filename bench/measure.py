"""Small helpers shared by the benchmarks: summaries of timings, and the paths they use."""

from __future__ import annotations

import math
import os
import statistics
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"

# Credentials and region that can only ever reach moto: set before boto3 (or ask-sdk's
# DynamoDB adapter, which makes a resource when it is imported) is loaded, so nothing
# can pick up a developer's real AWS profile.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
REGION = FAKE_AWS_ENV["AWS_REGION"]


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: an observed value, never an interpolated one."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    return {
        "median_ms": round(statistics.median(seconds) * 1e3, 4),
        "p99_ms": round(percentile(seconds, 99) * 1e3, 4),
        "n": len(seconds),
    }


def ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else math.inf


def child_env(
    extra: Mapping[str, str] | None = None, *, drop: Sequence[str] = ()
) -> dict[str, str]:
    """Environment for a subprocess that imports the project from the repository."""
    env = dict(os.environ)
    for name in drop:
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


@contextmanager
def patched_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables, and put them back afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def python() -> str:
    return sys.executable
