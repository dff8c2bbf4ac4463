"""The state: items (by canonical URL and guid) with their text and hashes; each source's HTTP
validators and last status; digests sealed with their outputs and the items each one published;
the outbox (one row per digest and recipient); the runner's lease; the last run of each job.

`Storage` is the interface the rest of digest uses; `Store` is its one backend, a single SQLite
file (`sqlite`, composed of `items`, `outbox` and `jobs`; the schema is in `schema`). Storage
never sees HTTP; every write is one transaction; every backend error leaves as a `StorageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self

from ..backoff import Health
from ..errors import StorageError
from ..models import (
    Item,
    JobRecord,
    Known,
    LeaseHolder,
    NewItem,
    OutboxEntry,
    SealedDigest,
    SourceState,
    SourceUpdate,
    Validators,
)
from .schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from .sqlite import Store

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "Storage", "StorageError", "Store"]


class Storage(Protocol):
    """Everything digest asks of its state; a second backend implements exactly this."""

    @property
    def path(self) -> Path:
        """Where the state lives (named in errors and in the lease)."""
        ...

    @property
    def schema_version(self) -> int:
        """The schema version of the open state."""
        ...

    def __enter__(self) -> Self:
        """The store itself, closed on leaving the block."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        ...

    def close(self) -> None:
        """Release the state; the store is unusable afterwards."""
        ...

    # sources

    def source_state(self, name: str, url: str) -> SourceState | None:
        """A source's last outcome; its validators and last success only while its URL is `url`."""
        ...

    def sources(self) -> list[SourceState]:
        """Every source the state has heard of, by name."""
        ...

    def record_source(
        self,
        name: str,
        url: str,
        status: str,
        checked: datetime,
        validators: Validators | None = None,
        health: Health | None = None,
    ) -> None:
        """Save a source's outcome; validators only when given (i.e. after its items are stored),
        its health when given."""
        ...

    # items

    def known(self, canonical_urls: Iterable[str], guids: Iterable[tuple[str, str]]) -> Known:
        """Which of these canonical URLs and (source, guid) pairs are already stored."""
        ...

    def add_items(
        self, items: Sequence[NewItem], first_seen: datetime, source: SourceUpdate | None = None
    ) -> int:
        """Store new items and then `source`'s validators atomically; returns how many were new."""
        ...

    def add_batches(
        self, batches: Sequence[tuple[Sequence[NewItem], datetime, SourceUpdate | None]]
    ) -> list[int]:
        """`add_items` for several sources in one transaction; how many were new, per batch."""
        ...

    def deferred(self, source: str, limit: int = 100) -> list[Item]:
        """Unissued items of a source whose article page is still to be fetched."""
        ...

    def complete(self, item: NewItem) -> bool:
        """Fill in a deferred item from its page; False if it was issued meanwhile."""
        ...

    def candidates(self, day: date, day_end: datetime, backfill_since: datetime | None = None) -> list[Item]:
        """A superset of the items the digest for `day` may take (`assemble` decides)."""
        ...

    def issued_items(self, day: date) -> list[Item]:
        """The items the digest for `day` published."""
        ...

    def earlier_items(self, before: date, since: date) -> list[Item]:
        """Items published by digests in [since, before): the context that follow-ups join."""
        ...

    def earlier_light(self, before: date, since: date) -> list[tuple[Item, bytes | None]]:
        """`earlier_items` with their stored clustering features; an item that has them comes
        without its text and morphemes (clustering needs neither)."""
        ...

    def items_by_id(self, ids: Iterable[int]) -> list[Item]:
        """These items, whole."""
        ...

    def item_by_url(self, canonical_url: str) -> Item | None:
        """The item with this canonical URL."""
        ...

    def items_by_path(self, paths: Iterable[str]) -> dict[str, Item]:
        """For each of these paths, the first item whose URL ends with it (one scan for all)."""
        ...

    def count_items(self) -> int:
        """How many items are stored."""
        ...

    def prune(self, before: date) -> int:
        """Drop the texts and morphemes of items published (or recorded as backlog) before `before`."""
        ...

    def vacuum(self) -> None:
        """Give the pages `prune` freed back to the disk."""
        ...

    def count_waiting(self) -> tuple[int, int]:
        """(items no digest has published yet, items recorded as backlog)."""
        ...

    # sealed digests

    def sealed(self, day: date) -> SealedDigest | None:
        """The digest sealed for `day`, with its outputs."""
        ...

    def seal_digest(
        self,
        digest: SealedDigest,
        story_of_item: dict[int, str],
        recipients: Sequence[str],
        now: datetime,
        features: Mapping[int, bytes] | None = None,
    ) -> bool:
        """Seal a date's digest, its items (with their clustering features) and its outbox rows
        atomically; False when already sealed."""
        ...

    def digest_dates(self) -> list[date]:
        """The dates of every sealed digest, oldest first."""
        ...

    def last_sealed(self) -> date | None:
        """The date of the newest sealed digest."""
        ...

    # outbox

    def enqueue(self, day: date, recipients: Sequence[str], now: datetime) -> int:
        """A pending row for each recipient who has none for this digest; returns how many were added."""
        ...

    def outbox(self, day: date | None = None, statuses: Sequence[str] = ()) -> list[OutboxEntry]:
        """Outbox rows (of one date, with these statuses), by date and then in the order queued."""
        ...

    def claim(
        self,
        day: date,
        recipient: str,
        owner: str,
        until: datetime,
        now: datetime,
        ignore_backoff: bool = False,
        stale: Callable[[str | None], bool] = ...,
    ) -> bool:
        """Take one row for sending, atomically: only one process can ever win it."""
        ...

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
        """Record the outcome of a row `owner` claimed (a row it no longer holds is left alone)."""
        ...

    def cancel(self, day: date, recipient: str, reason: str, now: datetime) -> None:
        """Cancel a row that is pending, due for a retry or failed, saying why."""
        ...

    def restore_readers(self, readers: Iterable[str], now: datetime, reason: str = ...) -> int:
        """Rows cancelled because their reader had left, for readers who are back: pending again."""
        ...

    def reset_failed(self, now: datetime) -> int:
        """Permanent failures back to pending; returns how many."""
        ...

    # leases

    def take_lease(
        self,
        name: str,
        owner: str,
        host: str,
        pid: int,
        job: str,
        now: float,
        ttl: float,
        stale: Callable[[LeaseHolder], bool] = ...,
    ) -> LeaseHolder | None:
        """Take (or renew) the lease `name`; None when taken, else who holds it."""
        ...

    def renew_lease(self, name: str, owner: str, now: float, ttl: float) -> bool:
        """Extend our lease; False when it is no longer ours."""
        ...

    def release_lease(self, name: str, owner: str) -> None:
        """Give up our lease (someone else's is left alone)."""
        ...

    def lease(self, name: str) -> LeaseHolder | None:
        """Who holds the lease `name`, expired or not."""
        ...

    # jobs

    def job_started(self, name: str, started: datetime) -> None:
        """Record that a job started."""
        ...

    def job_finished(
        self,
        name: str,
        finished: datetime,
        ok: bool,
        outcome: str,
        seconds: float,
        fire: datetime | None = None,
    ) -> None:
        """Record how a job ended; a success also records the scheduled time it stood for."""
        ...

    def job(self, name: str) -> JobRecord:
        """The last run of a job (empty when it never ran)."""
        ...


if TYPE_CHECKING:
    _store_is_a_storage: type[Storage] = Store  # mypy checks that Store implements Storage
