"""`Store`: the state as one SQLite file in WAL mode, schema versioned with `PRAGMA user_version`.

Opening checks that the file is a digest state (our `PRAGMA application_id` or, written by an
older digest, our tables) and brings it to the current schema; anything else is refused rather
than written into. The methods come from the mixins: `items` (sources and items), `outbox`
(sealed digests and the outbox), `jobs` (leases and job records).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ..errors import StorageError
from .base import StoreBase, _reason
from .items import ItemsMixin
from .jobs import JobsMixin
from .outbox import OutboxMixin
from .schema import APPLICATION_ID, MIGRATIONS, OUR_TABLES, SCHEMA_VERSION

__all__ = ["Store"]


class Store(ItemsMixin, OutboxMixin, JobsMixin, StoreBase):
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
        # A Store is used by one thread at a time, not always the one that opened it: a collect
        # hands it to its one writer thread (digest.collect) while the opener waits.
        try:
            if readonly:  # looking only (status, stories …): a state we may not write is fine
                uri = self.path.resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False
                )
            else:
                self._db = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
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
                # FULL: every commit is on disk when it returns, so a "sent" mark outlives a power
                # loss that follows it (NORMAL in WAL mode may roll the last commits back).
                self._db.execute("PRAGMA synchronous=FULL")
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

    def _check_kind(self) -> None:
        app_id = int(self._db.execute("PRAGMA application_id").fetchone()[0])
        if app_id == APPLICATION_ID:
            return
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if app_id == 0 and not tables and version == 0:
            return  # a new, empty file: it becomes a state
        if app_id == 0 and tables >= OUR_TABLES:
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
