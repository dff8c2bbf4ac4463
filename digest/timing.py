"""Where a run's time goes, per stage: seconds spent and calls made, added up across threads and
worker processes; written as JSON when `DIGEST_TIMINGS` names a file (benchmarks/bench_run.py).

Costs one `perf_counter` pair and a locked add per timed block: nothing measurable beside the
work it times. Stages that run concurrently (fetching, the CPU workers) add up to more than the
wall time: they are busy seconds, not a partition of the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["add", "dump", "merge", "snapshot", "timed"]

ENV = "DIGEST_TIMINGS"
_LOCK = threading.Lock()
_SECONDS: dict[str, float] = {}
_CALLS: dict[str, int] = {}
_STARTED = time.perf_counter()


def add(stage: str, seconds: float, calls: int = 1) -> None:
    with _LOCK:
        _SECONDS[stage] = _SECONDS.get(stage, 0.0) + seconds
        _CALLS[stage] = _CALLS.get(stage, 0) + calls


@contextlib.contextmanager
def timed(stage: str, calls: int = 1) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        add(stage, time.perf_counter() - started, calls)


def snapshot(reset: bool = False) -> dict[str, tuple[float, int]]:
    """{stage: (seconds, calls)} so far (and start again from zero when `reset`: a worker process
    hands its own figures back with each result)."""
    with _LOCK:
        out = {k: (v, _CALLS.get(k, 0)) for k, v in _SECONDS.items()}
        if reset:
            _SECONDS.clear()
            _CALLS.clear()
    return out


def merge(figures: Mapping[str, tuple[float, int]]) -> None:
    """Add another process's figures (from `snapshot`) to this one's."""
    for stage, (seconds, calls) in figures.items():
        add(stage, seconds, calls)


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def dump() -> None:
    """Write the figures to the file `DIGEST_TIMINGS` names, if it names one."""
    path = os.environ.get(ENV)
    if not path:
        return
    figures = snapshot()
    body = {
        "wall": time.perf_counter() - _STARTED,
        "peak_rss_mb": _peak_rss_mb(),
        "stages": {k: round(v, 4) for k, (v, _) in sorted(figures.items())},
        "calls": {k: n for k, (_, n) in sorted(figures.items())},
    }
    with contextlib.suppress(OSError):
        Path(path).write_text(json.dumps(body, indent=1), encoding="utf-8")
