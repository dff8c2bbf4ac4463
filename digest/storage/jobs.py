"""Leases and job records: who may run now (the runner's lease, the scheduler's), and the last
run of each job (collect, send)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..models import JobRecord, LeaseHolder
from .base import StoreBase
from .rows import _dt, _holder

__all__ = ["JobsMixin"]


class JobsMixin(StoreBase):
    # ------------------------------------------------------------------ leases

    def take_lease(
        self,
        name: str,
        owner: str,
        host: str,
        pid: int,
        job: str,
        now: float,
        ttl: float,
        stale: Callable[[LeaseHolder], bool] = lambda _h: False,
    ) -> LeaseHolder | None:
        """Take (or renew) the lease `name`; None when taken, else who holds it. A holder whose
        lease expired, or that `stale` says is gone (a dead process on this host), is replaced."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM leases WHERE name = ?", (name,)).fetchone()
            if row is not None:
                holder = _holder(row)
                if holder.owner != owner and holder.expires > now and not stale(holder):
                    return holder
            db.execute(
                """
                INSERT INTO leases (name, owner, host, pid, job, acquired, expires) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, host = excluded.host,
                    pid = excluded.pid, job = excluded.job, acquired = excluded.acquired,
                    expires = excluded.expires
                """,
                (name, owner, host, pid, job, now, now + ttl),
            )
        return None

    def renew_lease(self, name: str, owner: str, now: float, ttl: float) -> bool:
        """Extend our lease; False when it is no longer ours (it expired and was taken)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE leases SET expires = ? WHERE name = ? AND owner = ?", (now + ttl, name, owner)
            )
            return cur.rowcount == 1

    def release_lease(self, name: str, owner: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def lease(self, name: str) -> LeaseHolder | None:
        row = self._x("SELECT * FROM leases WHERE name = ?", (name,)).fetchone()
        return _holder(row) if row else None

    # ------------------------------------------------------------------ jobs

    def job_started(self, name: str, started: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs (name, started) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET started = excluded.started",
                (name, started.isoformat()),
            )

    def job_finished(
        self,
        name: str,
        finished: datetime,
        ok: bool,
        outcome: str,
        seconds: float,
        fire: datetime | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(
                """
                INSERT INTO jobs (name, finished, last_ok, fire, outcome, seconds) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET finished = excluded.finished,
                    last_ok = COALESCE(excluded.last_ok, jobs.last_ok),
                    fire = COALESCE(excluded.fire, jobs.fire),
                    outcome = excluded.outcome, seconds = excluded.seconds
                """,
                (
                    name,
                    finished.isoformat(),
                    finished.isoformat() if ok else None,
                    fire.isoformat() if ok and fire else None,
                    outcome,
                    seconds,
                ),
            )

    def job(self, name: str) -> JobRecord:
        row = self._x("SELECT * FROM jobs WHERE name = ?", (name,)).fetchone()
        if row is None:
            return JobRecord(name)
        return JobRecord(
            name=name,
            started=_dt(row["started"]),
            finished=_dt(row["finished"]),
            last_ok=_dt(row["last_ok"]),
            fire=_dt(row["fire"]),
            outcome=row["outcome"],
            seconds=row["seconds"],
        )
