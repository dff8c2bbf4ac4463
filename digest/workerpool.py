"""The worker processes of a collect.

- `pool()`: feeds are parsed and article pages extracted there, one process per core but the one
  the event loop and the state share (parsing and extraction hold the GIL: in the loop's process
  they would stall fetching).
- `analyser()`: one process for the Korean analyser (`newitems.morphemes`). Its model (~500 MB)
  lives and dies with that process: freed in this one, a third of it stayed (the allocator keeps
  it), under the assembly that follows.

Started when a collect first needs them, and ended after it (`end`): assembling, and a resident
scheduler between collects, keep none of their memory; starting them again costs about a second
(and the analyser its model load, as before). DIGEST_WORKERS=N sets how many page workers (0: no
worker process at all, everything in the collect's CPU thread); DIGEST_KEEP_ANALYSER=1 keeps them
between collects (the tests' many collects in one process). A pool that cannot start (a sandbox
without processes) or whose worker died (killed, out of memory) is dropped for the rest of the
process: the CPU thread does the work.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from . import newitems

__all__ = ["analyser", "drop", "end", "pool", "reset", "wanted"]

_POOLS: dict[str, ProcessPoolExecutor] = {}
_FAILED: set[str] = set()


def wanted() -> int:
    """How many page worker processes: DIGEST_WORKERS, else one per core but one."""
    try:
        return max(0, int(os.environ.get("DIGEST_WORKERS", "")))
    except ValueError:
        return max(0, (os.cpu_count() or 1) - 1)


def pool() -> ProcessPoolExecutor | None:
    """The page workers, started if need be; None when the work stays in this process."""
    return _get("pages", wanted())


def analyser() -> ProcessPoolExecutor | None:
    """The analyser's process, started if need be; None without worker processes."""
    return _get("analyser", 1 if wanted() else 0)


def _get(name: str, n: int) -> ProcessPoolExecutor | None:
    if name in _POOLS or name in _FAILED:
        return _POOLS.get(name)
    if n == 0:
        return None
    try:
        # spawn: each worker is this process's own child (it ends with it: `worker_started`);
        # fork is unsafe beside the loop's threads, and a fork server outlives a killed run.
        context = multiprocessing.get_context("spawn")
        _POOLS[name] = ProcessPoolExecutor(n, mp_context=context, initializer=newitems.worker_started)
    except (OSError, ValueError):
        _FAILED.add(name)  # no processes here: the CPU thread does it
    return _POOLS.get(name)


def end() -> None:
    """After a collect: the workers end (waited for, so their memory is back before assembling),
    unless DIGEST_KEEP_ANALYSER keeps them."""
    if os.environ.get("DIGEST_KEEP_ANALYSER"):
        return
    for name in list(_POOLS):
        _POOLS.pop(name).shutdown(wait=True, cancel_futures=True)


def drop(name: str = "pages") -> None:
    """A worker died: no such pool for the rest of this process."""
    _FAILED.add(name)
    running = _POOLS.pop(name, None)
    if running is not None:
        running.shutdown(wait=False, cancel_futures=True)


def reset() -> None:
    """No pools, and new ones may start (tests that compare with and without workers)."""
    _FAILED.clear()
    for name in list(_POOLS):
        _POOLS.pop(name).shutdown(wait=True, cancel_futures=True)


@atexit.register
def _at_exit() -> None:
    for running in _POOLS.values():
        running.shutdown(wait=False, cancel_futures=True)
