"""Sources and items: each source's validators and last outcome, and the items seen so far."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from ..backoff import Health, from_json, to_json
from ..models import Item, Known, NewItem, SourceState, SourceUpdate, Validators
from .base import StoreBase
from .rows import _chunks, _iso_bound, _item, media_json

__all__ = ["ItemsMixin"]

_CHUNK = 500  # values bound in one `IN (…)`: under the 999 parameters even an old SQLite allows


class ItemsMixin(StoreBase):
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
            health=from_json(row["health"]) if same_url else Health(),
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
                from_json(r["health"]),
            )
            for r in rows
        ]

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
        with self._tx() as db:
            _record_source(db, name, url, status, checked, validators, health)

    # ------------------------------------------------------------------ items

    def known(self, canonical_urls: Iterable[str], guids: Iterable[tuple[str, str]]) -> Known:
        """Which of these canonical URLs and (source, guid) pairs are already stored: one query
        per 500 URLs, and per source one per 500 of its guids."""
        urls = list(dict.fromkeys(canonical_urls))
        found_urls: set[str] = set()
        for chunk in _chunks(urls, _CHUNK):
            q = f"SELECT canonical_url FROM items WHERE canonical_url IN ({','.join('?' * len(chunk))})"
            found_urls.update(r[0] for r in self._x(q, chunk))
        by_source: dict[str, list[str]] = {}
        for source, guid in dict.fromkeys(guids):
            by_source.setdefault(source, []).append(guid)
        found_guids: set[tuple[str, str]] = set()
        for source, wanted in by_source.items():
            for chunk in _chunks(wanted, _CHUNK):
                q = f"SELECT DISTINCT guid FROM items WHERE source = ? AND guid IN ({','.join('?' * len(chunk))})"
                found_guids.update((source, r[0]) for r in self._x(q, (source, *chunk)))
        return Known(frozenset(found_urls), frozenset(found_guids))

    def add_items(
        self,
        items: Sequence[NewItem],
        first_seen: datetime,
        source: SourceUpdate | None = None,
    ) -> int:
        """Store new items, and then the source's validators (as fetched: `source`), in one
        transaction. Returns how many were new (an item already known by canonical URL is left as it is)."""
        return self.add_batches([(items, first_seen, source)])[0]

    def add_batches(
        self, batches: Sequence[tuple[Sequence[NewItem], datetime, SourceUpdate | None]]
    ) -> list[int]:
        """`add_items` for several sources in one transaction (one commit, one sync to disk):
        each source's items and validators are stored together, or, on a crash, none of the
        batch's. Returns how many were new, per batch."""
        out: list[int] = []
        with self._tx() as db:
            for items, first_seen, source in batches:
                added = 0
                for it in items:
                    cur = db.execute(
                        """
                        INSERT INTO items (source, url, canonical_url, guid, title, summary, text, author,
                                           published, first_seen, content_hash, extract_status, morphs,
                                           backlog, date_only, subtitle, media)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                            int(it.date_only),
                            it.subtitle,
                            media_json(it.categories, it.enclosures),
                        ),
                    )
                    added += cur.rowcount
                if source is not None:
                    _record_source(
                        db, source.name, source.url, "ok", first_seen, source.validators, source.health
                    )
                out.append(added)
        return out

    def deferred(self, source: str, limit: int = 100) -> list[Item]:
        """Unissued items of `source` whose article page was not fetched within the time budget
        (stored with their feed summary, status "deferred"): the next collect fetches them again."""
        rows = self._x(
            "SELECT * FROM items WHERE source = ? AND extract_status = 'deferred' AND issued_on IS NULL "
            "ORDER BY id LIMIT ?",
            (source, limit),
        ).fetchall()
        return [_item(r) for r in rows]

    def complete(self, item: NewItem) -> bool:
        """Replace a deferred item's text, summary and metadata with what its page gave, unless a
        digest published it meanwhile (then it stays as it was mailed). True if it was replaced."""
        with self._tx() as db:
            cur = db.execute(
                """
                UPDATE items SET title = ?, summary = ?, text = ?, author = ?, published = ?,
                                 content_hash = ?, extract_status = ?, morphs = ?, date_only = ?,
                                 subtitle = ?, media = ?
                WHERE canonical_url = ? AND extract_status = 'deferred' AND issued_on IS NULL
                """,
                (
                    item.title,
                    item.summary,
                    item.text,
                    item.author,
                    item.published.isoformat() if item.published else None,
                    item.content_hash,
                    item.extract_status,
                    json.dumps([list(m) for m in item.morphs], ensure_ascii=False),
                    int(item.date_only),
                    item.subtitle,
                    media_json(item.categories, item.enclosures),
                    item.canonical_url,
                ),
            )
            return cur.rowcount > 0

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

    def earlier_light(self, before: date, since: date) -> list[tuple[Item, bytes | None]]:
        """`earlier_items` with their stored features; those that have them come without their
        text and morphemes (nothing is loaded that clustering does not need)."""
        rows = self._x(
            """
            SELECT items.id, source, url, canonical_url, guid, title, summary, author, published,
                   first_seen, content_hash, extract_status, story_id, issued_on, backlog, date_only,
                   subtitle, NULL AS media, f.data AS features,
                   CASE WHEN f.data IS NULL THEN text ELSE '' END AS text,
                   CASE WHEN f.data IS NULL THEN morphs ELSE '[]' END AS morphs
            FROM items LEFT JOIN item_features f ON f.item_id = items.id
            WHERE issued_on >= ? AND issued_on < ? ORDER BY items.id
            """,
            (since.isoformat(), before.isoformat()),
        ).fetchall()
        return [(_item(r), r["features"]) for r in rows]

    def items_by_id(self, ids: Iterable[int]) -> list[Item]:
        out: list[Item] = []
        for chunk in _chunks(sorted(set(ids)), _CHUNK):
            q = f"SELECT * FROM items WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id"
            out.extend(_item(r) for r in self._x(q, chunk))
        return out

    def item_by_url(self, canonical_url: str) -> Item | None:
        row = self._x("SELECT * FROM items WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return _item(row) if row else None

    def items_by_path(self, paths: Iterable[str]) -> dict[str, Item]:
        """For each path, the first item whose URL ends with it (corpus labels give paths, not
        URLs): one scan of the URLs for all of them, not one `LIKE '%path'` scan each."""
        wanted = {p for p in paths if p}
        if not wanted:
            return {}
        by_length: dict[int, set[str]] = {}
        for path in wanted:
            by_length.setdefault(len(path), set()).add(path)
        ids: dict[str, int] = {}
        for row in self._x("SELECT id, canonical_url FROM items ORDER BY id"):
            url = row[1]
            for n, same in by_length.items():
                end = url[-n:]
                if end in same and end not in ids:
                    ids[end] = row[0]
            if len(ids) == len(wanted):
                break
        rows: dict[int, Item] = {}
        for chunk in _chunks(list(set(ids.values())), _CHUNK):
            q = f"SELECT * FROM items WHERE id IN ({','.join('?' * len(chunk))})"
            rows.update({r["id"]: _item(r) for r in self._x(q, chunk)})
        return {path: rows[i] for path, i in ids.items()}

    def count_items(self) -> int:
        return int(self._x("SELECT COUNT(*) FROM items").fetchone()[0])

    def prune(self, before: date) -> int:
        """Drop the texts and morphemes of items published by digests before `before`, and of
        backlog items first seen before it; keep what novelty and continuity need (URL, guid,
        content hash, title, summary, story id, digest date). Returns how many were pruned."""
        with self._tx() as db:
            cur = db.execute(
                """
                UPDATE items SET text = '', morphs = '[]'
                WHERE (text != '' OR morphs != '[]')
                  AND ((issued_on IS NOT NULL AND issued_on < :day)
                       OR (issued_on IS NULL AND backlog = 1 AND first_seen < :day))
                """,
                {"day": before.isoformat()},
            )
            db.execute(
                "DELETE FROM item_features WHERE item_id IN "
                "(SELECT id FROM items WHERE issued_on IS NOT NULL AND issued_on < ?)",
                (before.isoformat(),),
            )
            return cur.rowcount

    def vacuum(self) -> None:
        """Rewrite the file without its free pages (after `prune`), and empty the write-ahead log."""
        self._x("VACUUM")
        self._x("PRAGMA wal_checkpoint(TRUNCATE)")

    def count_waiting(self) -> tuple[int, int]:
        """(items no digest has published yet, items recorded as backlog)."""
        row = self._x(
            "SELECT COALESCE(SUM(backlog = 0), 0), COALESCE(SUM(backlog = 1), 0) FROM items WHERE issued_on IS NULL"
        ).fetchone()
        return int(row[0]), int(row[1])


def _record_source(
    db: sqlite3.Connection,
    name: str,
    url: str,
    status: str,
    checked: datetime,
    validators: Validators | None,
    health: Health | None = None,
) -> None:
    ok = status in ("ok", "not-modified")
    db.execute(
        """
        INSERT INTO sources (name, url, etag, last_modified, last_status, last_checked, last_ok, health)
        VALUES (:name, :url, :etag, :lm, :status, :checked, :ok, :health)
        ON CONFLICT(name) DO UPDATE SET
            health = CASE WHEN :health IS NOT NULL THEN :health WHEN sources.url != :url THEN NULL
                          ELSE sources.health END,
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
            "health": to_json(health) if health is not None else None,
        },
    )
