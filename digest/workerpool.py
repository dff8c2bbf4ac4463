"""The worker processes of a collect: feeds are parsed and article pages extracted there, one
process per core but the one the event loop, the analyser and the state share (parsing and
extraction hold the GIL: in the loop's process they would stall fetching).

Started when a collect first needs them, and ended after it (`end`): assembling, and a resident
scheduler between collects, keep none of their memory; starting them again costs well under a
second. DIGEST_WORKERS=N sets how many (0: none, everything in the collect's CPU thread);
DIGEST_KEEP_ANALYSER=1 keeps them between collects, as it keeps the analyser (the tests' many
collects in one process). A pool that cannot start (a sandbox without processes) or whose worker
died (killed, out of memory) is dropped for the rest of the process: the CPU thread does the work.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from . import newitems

__all__ = ["drop", "end", "pool", "wanted"]

_POOL: ProcessPoolExecutor | None = None
_FAILED = False


def wanted() -> int:
    """How many worker processes: DIGEST_WORKERS, else one per core but one."""
    try:
        return max(0, int(os.environ.get("DIGEST_WORKERS", "")))
    except ValueError:
        return max(0, (os.cpu_count() or 1) - 1)


def pool() -> ProcessPoolExecutor | None:
    """The running pool, started if need be; None when the work stays in this process."""
    global _POOL, _FAILED
    if _POOL is not None or _FAILED:
        return _POOL
    n = wanted()
    if n == 0:
        return None
    try:
        # spawn: each worker is this process's own child (it ends with it: `worker_started`);
        # fork is unsafe beside the loop's threads, and a fork server outlives a killed run.
        context = multiprocessing.get_context("spawn")
        _POOL = ProcessPoolExecutor(n, mp_context=context, initializer=newitems.worker_started)
    except (OSError, ValueError):
        _FAILED = True  # no processes here: the CPU thread does it
    return _POOL


def end() -> None:
    """After a collect: the workers end (waited for, so their memory is back before assembling),
    unless DIGEST_KEEP_ANALYSER keeps them."""
    global _POOL
    if _POOL is None or os.environ.get("DIGEST_KEEP_ANALYSER"):
        return
    running, _POOL = _POOL, None
    running.shutdown(wait=True, cancel_futures=True)


def drop() -> None:
    """A worker died: no pool for the rest of this process."""
    global _POOL, _FAILED
    running, _POOL, _FAILED = _POOL, None, True
    if running is not None:
        running.shutdown(wait=False, cancel_futures=True)


def reset() -> None:
    """No pool, and a new one may start (tests that compare with and without workers)."""
    global _POOL, _FAILED
    running, _POOL, _FAILED = _POOL, None, False
    if running is not None:
        running.shutdown(wait=True, cancel_futures=True)


@atexit.register
def _at_exit() -> None:
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
