"""What every part of the SQLite store shares: the connection, its path, and the two ways in.

`Store` (in `sqlite`) is composed of mixins (`items`, `outbox`, `jobs`) that each subclass
`StoreBase`: they read with `_x` and write in `_tx`, so every sqlite3 error leaves as a
`StorageError` and every write is one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..errors import StorageError

__all__ = ["StoreBase"]


class StoreBase:
    """The connection (`_db`, autocommit, rows as `sqlite3.Row`) and the state file's path."""

    path: Path
    _db: sqlite3.Connection

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
            self._rollback()
            raise StorageError(f"{self.path}: {_reason(exc)}") from exc
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: cannot commit: {_reason(exc)}") from exc

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does on a disk I/O error,
        and a second ROLLBACK would hide the error that mattered)."""
        if self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _durable(self) -> None:
        """Copy what the write-ahead log holds into the state file itself (a passive checkpoint:
        it waits for no reader), after the commits a lost `-wal` must not undo: a seal and a
        mail marked sent. Best effort: a busy or failed checkpoint leaves the log as it was."""
        with suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _reason(exc: sqlite3.Error) -> str:
    """An sqlite3 error in the words a user can act on."""
    text = str(exc)
    if "locked" in text:
        return f"the state file is locked by another program ({text})"
    if "malformed" in text or "not a database" in text:
        return f"the state file is damaged ({text}); restore a backup or start a new state"
    if "readonly" in text or "read-only" in text:
        return f"the state file cannot be written ({text})"
    return text
