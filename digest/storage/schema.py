"""The state's schema: the migrations that build it, its version and the mark of a digest state.

Version N is reached by running `MIGRATIONS[1]` … `MIGRATIONS[N]` in order, each in the write
transaction that also stamps `PRAGMA user_version`; the on-disk layout is whatever they leave.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["APPLICATION_ID", "MIGRATIONS", "OUR_TABLES", "SCHEMA_VERSION"]

SCHEMA_VERSION = 6
APPLICATION_ID = 0x44475354  # "DGST": marks the file as a digest state
# Tables every digest state has had since version 1: a file that has them (and no application id)
# was written by a digest older than the id.
OUR_TABLES = frozenset({"items", "sources", "digests"})


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


def _migrate_to_4(db: sqlite3.Connection) -> None:
    # An item's date given without a time of day (1: `published` is midnight local time of that
    # date), and its subtitles (부제), one per line.
    _run_script(
        db,
        """
        ALTER TABLE items ADD COLUMN date_only INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE items ADD COLUMN subtitle TEXT NOT NULL DEFAULT ''
        """,
    )


def _migrate_to_5(db: sqlite3.Connection) -> None:
    # What clustering knew of each published item (`digest.featurecodec`): later runs match new
    # items against it without loading a week of texts. A cache: a missing row is computed again.
    db.execute(
        "CREATE TABLE item_features (item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE, "
        "data BLOB NOT NULL)"
    )


def _migrate_to_6(db: sqlite3.Connection) -> None:
    # How each source has been doing over runs (`digest.backoff.Health` as JSON): consecutive
    # failures, backoff, Retry-After, 410, a permanent redirect, its newest item. NULL: a new source.
    db.execute("ALTER TABLE sources ADD COLUMN health TEXT")
    # An item's categories and enclosures as its feed gave them (`rows.media_json`); NULL: none.
    db.execute("ALTER TABLE items ADD COLUMN media TEXT")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
    4: _migrate_to_4,
    5: _migrate_to_5,
    6: _migrate_to_6,
}
