"""Sealed digests and the outbox: a digest sealed once per date with its outputs, and one row per
digest and recipient that one process at a time claims, sends and finishes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime

from ..models import OutboxEntry, SealedDigest
from .base import StoreBase
from .rows import _entry, _pack, _sealed

__all__ = ["OutboxMixin"]


class OutboxMixin(StoreBase):
    # ------------------------------------------------------------------ digests

    def sealed(self, day: date) -> SealedDigest | None:
        row = self._x(
            "SELECT * FROM digests WHERE date = ? AND sealed_at IS NOT NULL", (day.isoformat(),)
        ).fetchone()
        return _sealed(row) if row else None

    def seal_digest(
        self,
        digest: SealedDigest,
        story_of_item: dict[int, str],
        recipients: Sequence[str],
        now: datetime,
        features: Mapping[int, bytes] | None = None,
    ) -> bool:
        """Seal the digest for its date in one transaction: its items are marked as published
        by it (their clustering `features` stored), its outputs kept, and one pending outbox row
        added per recipient. False when the date was already sealed (by another process):
        nothing is changed then."""
        day = digest.date.isoformat()
        with self._tx() as db:
            row = db.execute("SELECT sealed_at FROM digests WHERE date = ?", (day,)).fetchone()
            if row is not None and row[0] is not None:
                return False
            for item_id, story_id in story_of_item.items():
                db.execute(
                    "UPDATE items SET issued_on = ?, story_id = ? WHERE id = ? AND issued_on IS NULL",
                    (day, story_id, item_id),
                )
            db.executemany(
                "INSERT OR REPLACE INTO item_features (item_id, data) VALUES (?, ?)",
                [(i, blob) for i, blob in (features or {}).items() if i in story_of_item],
            )
            db.execute(
                """
                INSERT INTO digests (date, generated_at, stories, items, sealed_at, outputs, subject, mail_stories)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(date) DO UPDATE SET generated_at = excluded.generated_at,
                    stories = excluded.stories, items = excluded.items, sealed_at = excluded.sealed_at,
                    outputs = excluded.outputs, subject = excluded.subject,
                    mail_stories = excluded.mail_stories
                """,
                (
                    day,
                    digest.generated_at.isoformat(),
                    digest.stories,
                    digest.items,
                    digest.sealed_at.isoformat(),
                    _pack(digest.outputs),
                    digest.subject,
                    digest.mail_stories,
                ),
            )
            _enqueue(db, digest.date, recipients, now)
        self._durable()
        return True

    def digest_dates(self) -> list[date]:
        """The dates of every sealed digest, oldest first."""
        rows = self._x("SELECT date FROM digests WHERE sealed_at IS NOT NULL ORDER BY date")
        return [date.fromisoformat(r[0]) for r in rows]

    def last_sealed(self) -> date | None:
        row = self._x("SELECT MAX(date) FROM digests WHERE sealed_at IS NOT NULL").fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    # ------------------------------------------------------------------ outbox

    def enqueue(self, day: date, recipients: Sequence[str], now: datetime) -> int:
        """A pending row for each recipient who has none for this digest; returns how many were added."""
        with self._tx() as db:
            return _enqueue(db, day, recipients, now)

    def outbox(self, day: date | None = None, statuses: Sequence[str] = ()) -> list[OutboxEntry]:
        where, params = [], []
        if day is not None:
            where.append("date = ?")
            params.append(day.isoformat())
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        sql = (
            "SELECT * FROM outbox"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY date, rowid"
        )
        return [_entry(r) for r in self._x(sql, params)]

    def claim(
        self,
        day: date,
        recipient: str,
        owner: str,
        until: datetime,
        now: datetime,
        ignore_backoff: bool = False,
        stale: Callable[[str | None], bool] = lambda _owner: False,
    ) -> bool:
        """Take one row for sending, atomically: only one process can ever win it. A row is
        claimable when pending, when a retry is due (or `ignore_backoff`), or when an earlier
        claim expired (its process died mid-send: the message goes again, same Message-ID)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM outbox WHERE date = ? AND recipient = ?", (day.isoformat(), recipient)
            ).fetchone()
            if row is None:
                return False
            entry = _entry(row)
            if not _claimable(entry, now, ignore_backoff, stale):
                return False
            db.execute(
                "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_until = ?, updated_at = ? "
                "WHERE date = ? AND recipient = ?",
                (owner, until.isoformat(), now.isoformat(), day.isoformat(), recipient),
            )
        return True

    def finish(
        self,
        day: date,
        recipient: str,
        owner: str,
        status: str,
        now: datetime,
        error: str | None = None,
        next_attempt: datetime | None = None,
        count_attempt: bool = True,
    ) -> None:
        """Record the outcome of a claimed row: sent, retry (with when), failed, or back to
        pending (an interrupted claim that never reached the server)."""
        with self._tx() as db:
            db.execute(
                """
                UPDATE outbox SET status = ?, last_error = COALESCE(?, last_error), next_attempt = ?,
                    attempts = attempts + ?, claimed_by = NULL, claimed_until = NULL, updated_at = ?,
                    sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
                WHERE date = ? AND recipient = ? AND claimed_by = ?
                """,
                (
                    status,
                    error,
                    next_attempt.isoformat() if next_attempt else None,
                    int(count_attempt),
                    now.isoformat(),
                    status,
                    now.isoformat(),
                    day.isoformat(),
                    recipient,
                    owner,
                ),
            )
        if status == "sent":
            self._durable()

    def cancel(self, day: date, recipient: str, reason: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = ?, updated_at = ? "
                "WHERE date = ? AND recipient = ? AND status IN ('pending', 'retry', 'failed')",
                (reason, now.isoformat(), day.isoformat(), recipient),
            )

    def restore_readers(
        self, readers: Iterable[str], now: datetime, reason: str = "no longer a reader"
    ) -> int:
        """Rows cancelled because their reader had left, for readers who are back: pending again."""
        names = sorted({r.lower() for r in readers})
        if not names:
            return 0
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE outbox SET status = 'pending', next_attempt = NULL, updated_at = ? "
                f"WHERE status = 'cancelled' AND last_error = ? AND lower(recipient) IN ({','.join('?' * len(names))})",
                (now.isoformat(), reason, *names),
            )
            return cur.rowcount

    def reset_failed(self, now: datetime) -> int:
        """Permanent failures back to pending (the reader's address or mailbox was fixed)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE outbox SET status = 'pending', next_attempt = NULL, updated_at = ? WHERE status = 'failed'",
                (now.isoformat(),),
            )
            return cur.rowcount


def _enqueue(db: sqlite3.Connection, day: date, recipients: Sequence[str], now: datetime) -> int:
    added = 0
    for r in recipients:
        cur = db.execute(
            "INSERT INTO outbox (date, recipient, status, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?) "
            "ON CONFLICT(date, recipient) DO NOTHING",
            (day.isoformat(), r, now.isoformat(), now.isoformat()),
        )
        added += cur.rowcount
    return added


def _claimable(
    entry: OutboxEntry, now: datetime, ignore_backoff: bool, stale: Callable[[str | None], bool]
) -> bool:
    if entry.status == "pending":
        return True
    if entry.status == "retry":
        return ignore_backoff or entry.next_attempt is None or entry.next_attempt <= now
    if entry.status == "sending":
        return entry.claimed_until is None or entry.claimed_until <= now or stale(entry.claimed_by)
    return False
