"""The state: one SQLite file in WAL mode, schema versioned with `PRAGMA user_version`.

Items (by canonical URL and guid) with their text and hashes; each source's HTTP validators and
last status; stories; digests issued and the items each one published; deliveries made.
Storage never sees HTTP; every write is one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .errors import StorageError
from .models import Item, NewItem, Validators

SCHEMA_VERSION = 2


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


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_to_1, 2: _migrate_to_2}


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str
    validators: Validators
    last_status: str | None
    last_checked: str | None
    last_ok: str | None


class Store:
    """A handle on the state file. Use as a context manager or call close()."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: cannot open the state file: {exc}") from exc
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot open the state file: {exc.strerror}") from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot begin a transaction: {exc}") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: cannot commit: {exc}") from exc

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: state schema version {version} is newer than this digest ({SCHEMA_VERSION}); "
                "upgrade digest"
            )
        while version < SCHEMA_VERSION:
            step = version + 1
            with self.transaction() as db:
                MIGRATIONS[step](db)
                db.execute(f"PRAGMA user_version = {step}")
            version = step

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # ------------------------------------------------------------------ sources

    def source_state(self, name: str, url: str) -> SourceState | None:
        row = self._db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        same_url = row["url"] == url
        return SourceState(
            name=name,
            url=row["url"],
            validators=Validators(row["etag"], row["last_modified"]) if same_url else Validators(),
            last_status=row["last_status"],
            last_checked=row["last_checked"],
            last_ok=row["last_ok"],
        )

    def record_source(
        self,
        name: str,
        url: str,
        status: str,
        checked: datetime,
        validators: Validators | None = None,
        db: sqlite3.Connection | None = None,
    ) -> None:
        """Save a source's outcome; validators only when given (i.e. after its items are stored)."""
        conn = db or self._db
        ok = status in ("ok", "not-modified")
        conn.execute(
            """
            INSERT INTO sources (name, url, etag, last_modified, last_status, last_checked, last_ok)
            VALUES (:name, :url, :etag, :lm, :status, :checked, :ok)
            ON CONFLICT(name) DO UPDATE SET
                etag = CASE WHEN :set_v THEN :etag WHEN sources.url != :url THEN NULL ELSE sources.etag END,
                last_modified = CASE WHEN :set_v THEN :lm WHEN sources.url != :url THEN NULL
                                     ELSE sources.last_modified END,
                url = :url,
                last_status = :status, last_checked = :checked,
                last_ok = COALESCE(:ok, sources.last_ok)
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

    # ------------------------------------------------------------------ items

    def known(
        self, canonical_urls: Iterable[str], guids: Iterable[tuple[str, str]]
    ) -> tuple[set[str], set[tuple[str, str]]]:
        """Which of these canonical URLs and (source, guid) pairs are already stored."""
        urls = list(dict.fromkeys(canonical_urls))
        found_urls: set[str] = set()
        for chunk in _chunks(urls, 500):
            q = f"SELECT canonical_url FROM items WHERE canonical_url IN ({','.join('?' * len(chunk))})"
            found_urls.update(r[0] for r in self._db.execute(q, chunk))
        found_guids: set[tuple[str, str]] = set()
        for source, guid in dict.fromkeys(guids):
            row = self._db.execute(
                "SELECT 1 FROM items WHERE source = ? AND guid = ?", (source, guid)
            ).fetchone()
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
        with self.transaction() as db:
            for it in items:
                cur = db.execute(
                    """
                    INSERT INTO items (source, url, canonical_url, guid, title, summary, text, author,
                                       published, first_seen, content_hash, extract_status, morphs)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                    ),
                )
                added += cur.rowcount
            if source is not None:
                name, url, validators = source
                self.record_source(name, url, "ok", first_seen, validators, db=db)
        return added

    def items_for_digest(self, day: date, day_end: datetime) -> list[Item]:
        """Items that belong in the digest for `day`: those it already published, and every item
        not yet published by any digest whose publication time is not after the end of `day`."""
        rows = self._db.execute(
            """
            SELECT * FROM items
            WHERE issued_on = :day
               OR (issued_on IS NULL AND (published IS NULL OR published < :end OR first_seen < :end))
            ORDER BY id
            """,
            {"day": day.isoformat(), "end": day_end.isoformat()},
        ).fetchall()
        # ISO strings with different offsets do not compare as times: filter precisely here.
        out = []
        for r in rows:
            item = _item(r)
            if (
                item.issued_on == day
                or item.published is None
                or item.published < day_end
                or item.first_seen < day_end
            ):
                out.append(item)
        return out

    def earlier_items(self, before: date, since: date) -> list[Item]:
        """Items published by digests in [since, before): the context that follow-ups join."""
        rows = self._db.execute(
            "SELECT * FROM items WHERE issued_on >= ? AND issued_on < ? ORDER BY id",
            (since.isoformat(), before.isoformat()),
        ).fetchall()
        return [_item(r) for r in rows]

    def item_by_url(self, canonical_url: str) -> Item | None:
        row = self._db.execute("SELECT * FROM items WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return _item(row) if row else None

    def item_by_path(self, path: str) -> Item | None:
        """The item whose URL ends with this path (corpus labels give paths, not URLs)."""
        row = self._db.execute(
            "SELECT * FROM items WHERE canonical_url LIKE ? ESCAPE '\\' ORDER BY id LIMIT 1",
            ("%" + path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"),),
        ).fetchone()
        return _item(row) if row else None

    def count_items(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    # ------------------------------------------------------------------ digests

    def issue_digest(
        self, day: date, generated_at: datetime, story_of_item: dict[int, str], stories: int
    ) -> None:
        """Mark the items as published by the digest for `day`, with their story ids, in one
        transaction. An item already published by another date is never moved."""
        with self.transaction() as db:
            for item_id, story_id in story_of_item.items():
                db.execute(
                    "UPDATE items SET issued_on = ?, story_id = ? WHERE id = ? AND (issued_on IS NULL OR issued_on = ?)",
                    (day.isoformat(), story_id, item_id, day.isoformat()),
                )
            db.execute(
                """
                INSERT INTO digests (date, generated_at, stories, items) VALUES (?, ?, ?, ?)
                ON CONFLICT(date) DO UPDATE SET generated_at = excluded.generated_at,
                    stories = excluded.stories, items = excluded.items
                """,
                (day.isoformat(), generated_at.isoformat(), stories, len(story_of_item)),
            )

    def digest_generated_at(self, day: date) -> datetime | None:
        row = self._db.execute(
            "SELECT generated_at FROM digests WHERE date = ?", (day.isoformat(),)
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def digest_dates(self) -> list[date]:
        return [date.fromisoformat(r[0]) for r in self._db.execute("SELECT date FROM digests ORDER BY date")]

    # ------------------------------------------------------------------ deliveries

    def delivered(self, day: date) -> set[str]:
        rows = self._db.execute(
            "SELECT recipient FROM deliveries WHERE date = ? AND status = 'sent'", (day.isoformat(),)
        )
        return {r[0] for r in rows}

    def record_delivery(
        self, day: date, recipient: str, ok: bool, when: datetime, error: str | None = None
    ) -> None:
        with self.transaction() as db:
            db.execute(
                """
                INSERT INTO deliveries (date, recipient, status, attempts, last_error, updated_at)
                VALUES (?, ?, ?, 1, ?, ?)
                ON CONFLICT(date, recipient) DO UPDATE SET status = excluded.status,
                    attempts = deliveries.attempts + 1, last_error = excluded.last_error,
                    updated_at = excluded.updated_at
                """,
                (day.isoformat(), recipient, "sent" if ok else "failed", error, when.isoformat()),
            )

    def deliveries(self, day: date) -> dict[str, tuple[str, int, str | None]]:
        rows = self._db.execute(
            "SELECT recipient, status, attempts, last_error FROM deliveries WHERE date = ?",
            (day.isoformat(),),
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


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
    )


def _chunks(seq: Sequence[str], n: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
