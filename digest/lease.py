"""One runner at a time: a lease in the state database, not a lock file a crash leaves behind.

The lease names its holder (host, pid, job) and expires `ttl` seconds after it was last renewed;
a thread renews it while the work runs. A holder that crashed stops renewing and its lease
expires; on the same host a holder whose process is gone is replaced at once. A process that
finds the lease held says so (`on_wait`) and waits up to `wait` seconds, then gives up with
`BusyError`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import BusyError, StorageError
from .models import LeaseHolder
from .storage import Store

__all__ = ["DEFAULT_TTL", "Lease", "describe", "hold", "is_stale", "new_owner", "owner", "owner_gone"]

DEFAULT_TTL = 60.0
_POLL = 0.25


_live: set[str] = set()  # the owner names this process is using right now


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_owner() -> str:
    """A name for a lease holder or an outbox claimant: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@contextmanager
def owner() -> Iterator[str]:
    """An owner name, known as alive to this process for the duration of the block."""
    name = new_owner()
    _live.add(name)
    try:
        yield name
    finally:
        _live.discard(name)


def owner_gone(name: str | None) -> bool:
    """Is the process behind an owner name gone? Known only on this host: a dead pid, or our own
    pid with a token we are not using (a restarted container reuses pid 1)."""
    if not name:
        return True
    parts = name.rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid, _token = parts
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return name not in _live
    return not _pid_alive(int(pid))


def is_stale(holder: LeaseHolder) -> bool:
    """A holder on this host whose process no longer exists (killed, crashed)."""
    return owner_gone(holder.owner)


def describe(holder: LeaseHolder, tz: str | None = None) -> str:
    """``send by pid 123 on host since 2024-06-13 07:00:01 KST`` (in `tz`, else the machine's zone)."""
    zone = ZoneInfo(tz) if tz else None
    since = datetime.fromtimestamp(holder.acquired, zone).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"{holder.job} by pid {holder.pid} on {holder.host} since {since}"


class Lease:
    """A held lease and its renewal thread. `lost` is set if another process took it over
    (we stalled past the expiry); work that must not run twice checks it first."""

    def __init__(self, path: Path, name: str, owner: str, ttl: float) -> None:
        self.path = path
        self.name = name
        self.owner = owner
        self.ttl = ttl
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)

    def _renew(self) -> None:
        try:
            store = Store(self.path)
        except StorageError:
            self.lost.set()
            return
        try:
            while not self._stop.wait(self.ttl / 4):
                try:
                    if not store.renew_lease(self.name, self.owner, time.time(), self.ttl):
                        self.lost.set()
                        return
                except StorageError:
                    continue  # a busy moment: the next renewal comes well before the expiry
        finally:
            store.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


@contextmanager
def hold(
    store: Store,
    name: str,
    job: str,
    wait: float = 0.0,
    ttl: float = DEFAULT_TTL,
    on_wait: Callable[[LeaseHolder], None] = lambda _h: None,
    tz: str | None = None,
) -> Iterator[Lease]:
    """Hold the lease `name` for the duration of the block (BusyError if it cannot be had)."""
    host, pid = socket.gethostname(), os.getpid()
    with owner() as me:
        deadline = time.monotonic() + max(0.0, wait)
        said = False
        while True:
            holder = store.take_lease(name, me, host, pid, job, time.time(), ttl, stale=is_stale)
            if holder is None:
                break
            if time.monotonic() >= deadline:
                raise BusyError(str(store.path), f"another digest process holds it ({describe(holder, tz)})")
            if not said:
                on_wait(holder)
                said = True
            time.sleep(_POLL)
        lease = Lease(store.path, name, me, ttl)
        lease.start()
        try:
            yield lease
        finally:
            lease.stop()
            with contextlib.suppress(StorageError):  # else it expires by itself
                store.release_lease(name, me)
