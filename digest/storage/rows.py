"""Rows to records and back: the converters every part of the store shares.

Times are stored as ISO 8601 text with their offset, digests' outputs as zlib-compressed JSON,
morphemes as a JSON list of [form, tag].
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from ..models import Enclosure, Item, LeaseHolder, OutboxEntry, SealedDigest

MIN_YEAR, MAX_YEAR = 1990, 2100  # an item dated outside these years has no usable date


T = TypeVar("T")


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
        published=_published(r["published"]),
        first_seen=datetime.fromisoformat(r["first_seen"]),
        author=r["author"],
        content_hash=r["content_hash"],
        story_id=r["story_id"],
        issued_on=date.fromisoformat(r["issued_on"]) if r["issued_on"] else None,
        morphs=_morphs(r["morphs"]),
        backlog=bool(r["backlog"]),
        date_only=bool(r["date_only"]),
        subtitle=r["subtitle"] or "",
        **_media(r["media"]),
    )


def media_json(categories: Sequence[str], enclosures: Sequence[Enclosure]) -> str | None:
    """An item's categories and enclosures as stored (`items.media`); None when it has neither."""
    if not categories and not enclosures:
        return None
    body = {"c": list(categories), "e": [[e.url, e.type, e.length] for e in enclosures]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _media(stored: str | None) -> dict[str, Any]:
    """`categories` and `enclosures` read back (none from NULL or from what cannot be read)."""
    if not stored:
        return {}
    try:
        body = json.loads(stored)
        return {
            "categories": tuple(str(c) for c in body.get("c", [])),
            "enclosures": tuple(
                Enclosure(str(u), str(t or ""), int(n) if isinstance(n, int) else None)
                for u, t, n in body.get("e", [])
            ),
        }
    except (ValueError, TypeError, AttributeError):
        return {}


# One tuple per distinct (form, tag): a day's items share most of their morphemes, and as separate
# objects they were most of the memory of an assembled day (≈ 35 KB an item, against 1.5 KB).
_PAIRS: dict[tuple[str, str], tuple[str, str]] = {}
_PAIRS_MAX = 1_000_000


def _morphs(stored: str | None) -> tuple[tuple[str, str], ...]:
    if len(_PAIRS) > _PAIRS_MAX:
        _PAIRS.clear()
    out = []
    for f, t in json.loads(stored or "[]"):
        pair = (str(f), str(t))
        out.append(_PAIRS.setdefault(pair, pair))
    return tuple(out)


def _published(value: str | None) -> datetime | None:
    """An item's stored date; one no zone can show (year 1 at +14:00, stored by an older digest)
    reads as unknown, so it cannot stop every later digest."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment if MIN_YEAR <= moment.year <= MAX_YEAR else None


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


def _chunks(seq: Sequence[T], n: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
