"""The state: one SQLite file in WAL mode, schema versioned with `PRAGMA user_version`.

Items (by canonical URL and guid) with their text and hashes; each source's HTTP validators and
last status; digests sealed with their outputs and the items each one published; the outbox (one
row per digest and recipient); the runner's lease; the last run of each job. Storage never sees
HTTP; every write is one transaction; every sqlite3 error leaves as a `StorageError`.

A file is a digest state when it carries our `PRAGMA application_id` (or, written by an older
digest, our tables); anything else is refused rather than written into.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import StorageError
from .models import (
    Item,
    JobRecord,
    LeaseHolder,
    NewItem,
    OutboxEntry,
    SealedDigest,
    SourceState,
    Validators,
)

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "Store"]

SCHEMA_VERSION = 3
APPLICATION_ID = 0x44475354  # "DGST": marks the file as a digest state
_OUR_TABLES = {"items", "sources", "digests"}


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statement by statement: `executescript` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migrate_to_1(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE items (
            id             INTEGER PRIMARY KEY,
            source         TEXT NOT NULL,
            url            TEXT NOT NULL,
            canonical_url  TEXT NOT NULL UNIQUE,
            guid           TEXT,
            title          TEXT NOT NULL,
            summary        TEXT NOT NULL DEFAULT '',
            text           TEXT NOT NULL DEFAULT '',
            author         TEXT,
            published      TEXT,            -- ISO 8601 with offset, or NULL
            first_seen     TEXT NOT NULL,   -- ISO 8601 with offset
            content_hash   TEXT NOT NULL,
            extract_status TEXT NOT NULL DEFAULT 'ok',
            story_id       TEXT,
            issued_on      TEXT             -- the digest date (YYYY-MM-DD) that published it
        );
        CREATE INDEX items_source_guid ON items (source, guid);
        CREATE INDEX items_issued_on ON items (issued_on);
        CREATE INDEX items_content_hash ON items (content_hash);

        CREATE TABLE sources (
            name          TEXT PRIMARY KEY,
            url           TEXT NOT NULL,
            etag          TEXT,
            last_modified TEXT,
            last_status   TEXT,             -- 'ok', 'not-modified' or the one-line error
            last_checked  TEXT,
            last_ok       TEXT
        );

        CREATE TABLE digests (
            date         TEXT PRIMARY KEY,  -- YYYY-MM-DD in the configured time zone
            generated_at TEXT NOT NULL,
            stories      INTEGER NOT NULL,
            items        INTEGER NOT NULL
        );

        CREATE TABLE deliveries (
            date        TEXT NOT NULL,
            recipient   TEXT NOT NULL,
            status      TEXT NOT NULL,      -- 'sent' or 'failed'
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (date, recipient)
        );
        """,
    )


def _migrate_to_2(db: sqlite3.Connection) -> None:
    # Morphemes of title and lead, analysed once per item (JSON list of [form, tag]).
    db.execute("ALTER TABLE items ADD COLUMN morphs TEXT NOT NULL DEFAULT '[]'")


def _migrate_to_3(db: sqlite3.Connection) -> None:
    # A digest's life made explicit: sealed digests keep their outputs; the outbox replaces the
    # deliveries table; the runner's lease; the last run of each job; backlog items.
    _run_script(
        db,
        """
        ALTER TABLE items ADD COLUMN backlog INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE digests ADD COLUMN sealed_at TEXT;
        ALTER TABLE digests ADD COLUMN outputs BLOB;        -- zlib(JSON {file name: text})
        ALTER TABLE digests ADD COLUMN subject TEXT;
        ALTER TABLE digests ADD COLUMN mail_stories INTEGER;
        UPDATE digests SET sealed_at = generated_at;

        CREATE TABLE outbox (
            date          TEXT NOT NULL,
            recipient     TEXT NOT NULL,
            status        TEXT NOT NULL,    -- pending | sending | sent | retry | failed | cancelled
            attempts      INTEGER NOT NULL DEFAULT 0,
            last_error    TEXT,
            next_attempt  TEXT,             -- when a 'retry' is due
            claimed_by    TEXT,             -- the process sending it ('sending')
            claimed_until TEXT,
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            sent_at       TEXT,
            PRIMARY KEY (date, recipient)
        );
        CREATE INDEX outbox_status ON outbox (status);
        INSERT INTO outbox (date, recipient, status, attempts, last_error, created_at, updated_at, sent_at)
            SELECT date, recipient, CASE status WHEN 'sent' THEN 'sent' ELSE 'retry' END, attempts,
                   last_error, updated_at, updated_at, CASE status WHEN 'sent' THEN updated_at END
            FROM deliveries;
        DROP TABLE deliveries;

        CREATE TABLE leases (
            name     TEXT PRIMARY KEY,      -- 'runner' (collect, send, run) or 'scheduler'
            owner    TEXT NOT NULL,
            host     TEXT NOT NULL,
            pid      INTEGER NOT NULL,
            job      TEXT NOT NULL,
            acquired REAL NOT NULL,         -- unix time
            expires  REAL NOT NULL
        );

        CREATE TABLE jobs (
            name     TEXT PRIMARY KEY,      -- 'collect' or 'send'
            started  TEXT,
            finished TEXT,
            last_ok  TEXT,
            fire     TEXT,                  -- the scheduled time the last successful run stood for
            outcome  TEXT,
            seconds  REAL
        )
        """,
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
}


class Store:
    """A handle on the state file. Use as a context manager or call close().

    `create=False` refuses a file that does not exist yet (commands that only read the state).
    A new state is created only in a folder that exists: a mistyped path is an error, not a new
    empty state that would treat every feed as news.
    """

    def __init__(self, path: str | Path, create: bool = True, readonly: bool = False) -> None:
        self.path = Path(path)
        create = create and not readonly
        parent = self.path.parent
        try:
            if not parent.is_dir():
                raise StorageError(f"{self.path}: the folder {parent} does not exist (create it first)")
            is_dir, exists = self.path.is_dir(), self.path.exists()
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot open the state file: {exc.strerror or exc}") from None
        if is_dir:
            raise StorageError(f"{self.path}: is a folder, not a state file")
        if not create and not exists:
            raise StorageError(
                f"{self.path}: no state file here (run `digest collect` or `digest run` first)"
            )
        try:
            if readonly:  # looking only (status, stories …): a state we may not write is fine
                uri = self.path.resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
            else:
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot open the state file: {exc}") from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._set_up(readonly)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            text = str(exc)
            reason = (
                "it is not a digest state (not an SQLite database)"
                if "not a database" in text
                else _reason(exc)
            )
            raise StorageError(f"{self.path}: cannot open the state file: {reason}") from exc
        except StorageError:
            self._db.close()
            raise

    def _set_up(self, readonly: bool) -> None:
        """Check the file and bring it to the current schema.

        Switching a new file to WAL can answer "database is locked" at once, without waiting on
        the busy timeout, while another process is creating the same state; every step here is
        safe to repeat, so a lock is retried until the same 30 s the connection waits elsewhere.
        """
        deadline = time.monotonic() + 30
        while True:
            try:
                self._check_kind()
                if readonly:
                    self._check_current()
                    return
                if str(self._db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
                return
            except (sqlite3.OperationalError, StorageError) as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                if not locked or time.monotonic() > deadline:
                    raise
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                time.sleep(0.05)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ plumbing

    def _x(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: {_reason(exc)}") from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers queue here, not half-way through)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot begin a transaction: {_reason(exc)}") from exc
        try:
            yield self._db
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise StorageError(f"{self.path}: {_reason(exc)}") from exc
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: cannot commit: {_reason(exc)}") from exc

    def _check_kind(self) -> None:
        app_id = int(self._db.execute("PRAGMA application_id").fetchone()[0])
        if app_id == APPLICATION_ID:
            return
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if app_id == 0 and not tables and version == 0:
            return  # a new, empty file: it becomes a state
        if app_id == 0 and tables >= _OUR_TABLES:
            return  # written by a digest older than the application id
        if app_id == 0 and not tables and version > 0:
            return  # only a version stamp: handled (and refused when newer) by _migrate
        raise StorageError(
            f"{self.path}: cannot open the state file: it is not a digest state "
            f"(an SQLite database with other tables: {', '.join(sorted(tables)[:5]) or 'none'})"
        )

    def _check_current(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version != SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: state schema version {version}, this digest reads {SCHEMA_VERSION}: "
                + (
                    "upgrade digest"
                    if version > SCHEMA_VERSION
                    else "run `digest collect` once to upgrade it"
                )
            )

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: state schema version {version} is newer than this digest ({SCHEMA_VERSION}); "
                "upgrade digest"
            )
        while version < SCHEMA_VERSION:
            with self._tx() as db:
                # Another process may have migrated while we waited for the write lock.
                current = int(db.execute("PRAGMA user_version").fetchone()[0])
                if current == version:
                    MIGRATIONS[version + 1](db)
                    db.execute(f"PRAGMA user_version = {version + 1}")
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if int(self._db.execute("PRAGMA application_id").fetchone()[0]) != APPLICATION_ID:
            with self._tx() as db:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    @property
    def schema_version(self) -> int:
        return int(self._x("PRAGMA user_version").fetchone()[0])

    # ------------------------------------------------------------------ sources

    def source_state(self, name: str, url: str) -> SourceState | None:
        row = self._x("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        same_url = row["url"] == url
        return SourceState(
            name=name,
            url=row["url"],
            validators=Validators(row["etag"], row["last_modified"]) if same_url else Validators(),
            last_status=row["last_status"],
            last_checked=row["last_checked"],
            last_ok=row["last_ok"] if same_url else None,
        )

    def sources(self) -> list[SourceState]:
        rows = self._x("SELECT * FROM sources ORDER BY name").fetchall()
        return [
            SourceState(
                r["name"],
                r["url"],
                Validators(r["etag"], r["last_modified"]),
                r["last_status"],
                r["last_checked"],
                r["last_ok"],
            )
            for r in rows
        ]

    def record_source(
        self, name: str, url: str, status: str, checked: datetime, validators: Validators | None = None
    ) -> None:
        """Save a source's outcome; validators only when given (i.e. after its items are stored)."""
        with self._tx() as db:
            _record_source(db, name, url, status, checked, validators)

    # ------------------------------------------------------------------ items

    def known(
        self, canonical_urls: Iterable[str], guids: Iterable[tuple[str, str]]
    ) -> tuple[set[str], set[tuple[str, str]]]:
        """Which of these canonical URLs and (source, guid) pairs are already stored."""
        urls = list(dict.fromkeys(canonical_urls))
        found_urls: set[str] = set()
        for chunk in _chunks(urls, 500):
            q = f"SELECT canonical_url FROM items WHERE canonical_url IN ({','.join('?' * len(chunk))})"
            found_urls.update(r[0] for r in self._x(q, chunk))
        found_guids: set[tuple[str, str]] = set()
        for source, guid in dict.fromkeys(guids):
            row = self._x("SELECT 1 FROM items WHERE source = ? AND guid = ?", (source, guid)).fetchone()
            if row:
                found_guids.add((source, guid))
        return found_urls, found_guids

    def add_items(
        self,
        items: Sequence[NewItem],
        first_seen: datetime,
        source: tuple[str, str, Validators] | None = None,
    ) -> int:
        """Store new items, and then the source's validators, in one transaction. Returns how many
        were new (an item already known by canonical URL is left as it is)."""
        added = 0
        with self._tx() as db:
            for it in items:
                cur = db.execute(
                    """
                    INSERT INTO items (source, url, canonical_url, guid, title, summary, text, author,
                                       published, first_seen, content_hash, extract_status, morphs, backlog)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(canonical_url) DO NOTHING
                    """,
                    (
                        it.source,
                        it.url,
                        it.canonical_url,
                        it.guid,
                        it.title,
                        it.summary,
                        it.text,
                        it.author,
                        it.published.isoformat() if it.published else None,
                        first_seen.isoformat(),
                        it.content_hash,
                        it.extract_status,
                        json.dumps([list(m) for m in it.morphs], ensure_ascii=False),
                        int(it.backlog),
                    ),
                )
                added += cur.rowcount
            if source is not None:
                name, url, validators = source
                _record_source(db, name, url, "ok", first_seen, validators)
        return added

    def candidates(self, day: date, day_end: datetime, backfill_since: datetime | None = None) -> list[Item]:
        """The items the digest for `day` may take, for `select.takes` to decide: those it
        already published, and unissued ones seen or published before the end of `day` (backlog
        items only when a backfill reaches them). A superset: ISO strings with different offsets
        do not compare as times in SQL."""
        rows = self._x(
            """
            SELECT * FROM items
            WHERE issued_on = :day
               OR (issued_on IS NULL
                   AND (backlog = 0 OR (:since IS NOT NULL AND published IS NOT NULL AND published >= :since_lo))
                   AND (published IS NULL OR published < :end_hi OR first_seen < :end_hi))
            ORDER BY id
            """,
            {
                "day": day.isoformat(),
                "since": backfill_since.isoformat() if backfill_since else None,
                "since_lo": _iso_bound(backfill_since, -1) if backfill_since else None,
                "end_hi": _iso_bound(day_end, +1),
            },
        ).fetchall()
        return [_item(r) for r in rows]

    def issued_items(self, day: date) -> list[Item]:
        rows = self._x("SELECT * FROM items WHERE issued_on = ? ORDER BY id", (day.isoformat(),)).fetchall()
        return [_item(r) for r in rows]

    def earlier_items(self, before: date, since: date) -> list[Item]:
        """Items published by digests in [since, before): the context that follow-ups join."""
        rows = self._x(
            "SELECT * FROM items WHERE issued_on >= ? AND issued_on < ? ORDER BY id",
            (since.isoformat(), before.isoformat()),
        ).fetchall()
        return [_item(r) for r in rows]

    def item_by_url(self, canonical_url: str) -> Item | None:
        row = self._x("SELECT * FROM items WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return _item(row) if row else None

    def item_by_path(self, path: str) -> Item | None:
        """The item whose URL ends with this path (corpus labels give paths, not URLs)."""
        row = self._x(
            "SELECT * FROM items WHERE canonical_url LIKE ? ESCAPE '\\' ORDER BY id LIMIT 1",
            ("%" + path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"),),
        ).fetchone()
        return _item(row) if row else None

    def count_items(self) -> int:
        return int(self._x("SELECT COUNT(*) FROM items").fetchone()[0])

    def count_waiting(self) -> tuple[int, int]:
        """(items no digest has published yet, items recorded as backlog)."""
        row = self._x(
            "SELECT COALESCE(SUM(backlog = 0), 0), COALESCE(SUM(backlog = 1), 0) FROM items WHERE issued_on IS NULL"
        ).fetchone()
        return int(row[0]), int(row[1])

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
    ) -> bool:
        """Seal the digest for its date in one transaction: its items are marked as published
        by it, its outputs kept, and one pending outbox row added per recipient. False when the
        date was already sealed (by another process): nothing is changed then."""
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


# --------------------------------------------------------------------------- rows


def _record_source(
    db: sqlite3.Connection,
    name: str,
    url: str,
    status: str,
    checked: datetime,
    validators: Validators | None,
) -> None:
    ok = status in ("ok", "not-modified")
    db.execute(
        """
        INSERT INTO sources (name, url, etag, last_modified, last_status, last_checked, last_ok)
        VALUES (:name, :url, :etag, :lm, :status, :checked, :ok)
        ON CONFLICT(name) DO UPDATE SET
            etag = CASE WHEN :set_v THEN :etag WHEN sources.url != :url THEN NULL ELSE sources.etag END,
            last_modified = CASE WHEN :set_v THEN :lm WHEN sources.url != :url THEN NULL
                                 ELSE sources.last_modified END,
            last_ok = CASE WHEN sources.url != :url THEN :ok ELSE COALESCE(:ok, sources.last_ok) END,
            url = :url,
            last_status = :status, last_checked = :checked
        """,
        {
            "name": name,
            "url": url,
            "etag": validators.etag if validators else None,
            "lm": validators.last_modified if validators else None,
            "set_v": validators is not None,
            "status": status,
            "checked": checked.isoformat(),
            "ok": checked.isoformat() if ok else None,
        },
    )


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


def _item(r: sqlite3.Row) -> Item:
    return Item(
        id=r["id"],
        source=r["source"],
        url=r["url"],
        canonical_url=r["canonical_url"],
        guid=r["guid"],
        title=r["title"],
        summary=r["summary"],
        text=r["text"],
        published=datetime.fromisoformat(r["published"]) if r["published"] else None,
        first_seen=datetime.fromisoformat(r["first_seen"]),
        author=r["author"],
        content_hash=r["content_hash"],
        story_id=r["story_id"],
        issued_on=date.fromisoformat(r["issued_on"]) if r["issued_on"] else None,
        morphs=tuple((str(f), str(t)) for f, t in json.loads(r["morphs"] or "[]")),
        backlog=bool(r["backlog"]),
    )


def _sealed(r: sqlite3.Row) -> SealedDigest:
    return SealedDigest(
        date=date.fromisoformat(r["date"]),
        generated_at=datetime.fromisoformat(r["generated_at"]),
        sealed_at=datetime.fromisoformat(r["sealed_at"]),
        stories=int(r["stories"]),
        items=int(r["items"]),
        outputs=_unpack(r["outputs"]),
        subject=r["subject"],
        mail_stories=r["mail_stories"],
    )


def _entry(r: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        date=date.fromisoformat(r["date"]),
        recipient=r["recipient"],
        status=r["status"],
        attempts=int(r["attempts"]),
        last_error=r["last_error"],
        next_attempt=_dt(r["next_attempt"]),
        claimed_by=r["claimed_by"],
        claimed_until=_dt(r["claimed_until"]),
        sent_at=_dt(r["sent_at"]),
    )


def _holder(r: sqlite3.Row) -> LeaseHolder:
    return LeaseHolder(r["name"], r["owner"], r["host"], int(r["pid"]), r["job"], r["acquired"], r["expires"])


def _pack(outputs: dict[str, str] | None) -> bytes | None:
    if outputs is None:
        return None
    return zlib.compress(json.dumps(outputs, ensure_ascii=False, sort_keys=True).encode("utf-8"), 6)


def _unpack(blob: bytes | None) -> dict[str, str] | None:
    if blob is None:
        return None
    data = json.loads(zlib.decompress(blob).decode("utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso_bound(moment: datetime, direction: int) -> str:
    """An ISO string that, compared as text with ISO times in any offset (-12:00 to +14:00:
    26 hours apart at most, whatever the digest's zone), lies beyond `moment` in `direction`.
    A prefilter: the exact comparison is done on values, by `assemble.takes`."""
    return (moment + direction * timedelta(days=2)).replace(tzinfo=None).isoformat()


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text:
        return f"the state file is locked by another program ({text})"
    if "malformed" in text or "not a database" in text:
        return f"the state file is damaged ({text}); restore a backup or start a new state"
    if "readonly" in text or "read-only" in text:
        return f"the state file cannot be written ({text})"
    return text


def _chunks(seq: Sequence[str], n: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
