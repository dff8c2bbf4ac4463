"""Stop signals (SIGTERM, SIGINT) for the command line: raised as `InterruptedRun` at once,
except while a message is on the wire.

A mail whose DATA the relay is still answering must not be abandoned: the relay may accept it
after we gave up and recorded it as unsent, and the next run would send it again. So `held()`
marks the stretch from handing a message to the relay until its outcome is recorded; a signal
that arrives in it is raised when it ends. A leaf module: it imports nothing of ours but errors.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import InterruptedRun

__all__ = ["held", "stop"]

_depth = 0
_pending: list[str] = []


def stop(signum: int, _frame: FrameType | None) -> None:
    """The handler: raise now, or once the message in flight is recorded."""
    name = signal.Signals(signum).name
    if _depth:
        _pending.append(name)
        return
    raise InterruptedRun(name)


@contextmanager
def held() -> Iterator[None]:
    """Hold stop signals back for the duration of the block (main thread only: signals are
    delivered there; elsewhere this does nothing)."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if _depth == 0 and _pending:
        name = _pending[0]
        _pending.clear()
        raise InterruptedRun(name)
