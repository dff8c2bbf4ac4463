"""The state file: a real SQLite file in a temp folder."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.errors import StorageError
from digest.models import NewItem, Validators
from digest.storage import SCHEMA_VERSION, Store

KST = timezone(timedelta(hours=9))
NOW = datetime(2024, 6, 13, 7, 0, tzinfo=KST)


def new_item(n: int, published: datetime | None = NOW - timedelta(hours=3)) -> NewItem:
    return NewItem(
        source="메디온뉴스",
        url=f"http://127.0.0.1/n/{n}?utm_source=rss",
        canonical_url=f"http://127.0.0.1/n/{n}",
        guid=f"g{n}",
        title=f"제목 {n}",
        summary="요약.",
        text="본문입니다.",
        published=published,
        author=None,
        content_hash=f"h{n}",
    )


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"items", "sources", "digests", "deliveries"} <= tables


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StorageError, match="newer than this digest"):
        Store(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open"):
        Store(path)


def test_items_are_stored_once_with_the_sources_validators(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        added = store.add_items(
            [new_item(1), new_item(2)], NOW, ("메디온뉴스", "http://x/feed", Validators('"e1"', "lm"))
        )
        assert added == 2
        assert store.add_items([new_item(1)], NOW) == 0
        assert store.count_items() == 2
        urls, guids = store.known(["http://127.0.0.1/n/1", "http://127.0.0.1/n/9"], [("메디온뉴스", "g2")])
        assert urls == {"http://127.0.0.1/n/1"} and guids == {("메디온뉴스", "g2")}
        state = store.source_state("메디온뉴스", "http://x/feed")
        assert state is not None and state.validators == Validators('"e1"', "lm")
        # A changed URL forgets the validators: they belonged to the old one.
        moved = store.source_state("메디온뉴스", "http://x/new-feed")
        assert moved is not None and moved.validators == Validators()


def test_a_failed_batch_stores_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        bad = new_item(2)
        object.__setattr__(bad, "title", None)  # NOT NULL violation half-way through the batch
        with pytest.raises(sqlite3.IntegrityError):
            store.add_items([new_item(1), bad], NOW, ("s", "http://x/feed", Validators('"e"', None)))
        assert store.count_items() == 0
        assert store.source_state("s", "http://x/feed") is None


def test_issue_digest_consumes_items_once(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    end = datetime(2024, 6, 14, tzinfo=KST)
    with Store(tmp_path / "s.sqlite") as store:
        store.add_items([new_item(1), new_item(2, published=None)], NOW)
        items = store.items_for_digest(day, end)
        assert [i.title for i in items] == ["제목 1", "제목 2"]
        store.issue_digest(day, NOW, {items[0].id: "s1", items[1].id: "s2"}, 2)
        # The same date gets the same items again; the next date gets none of them.
        assert len(store.items_for_digest(day, end)) == 2
        assert store.items_for_digest(day + timedelta(days=1), end + timedelta(days=1)) == []
        assert [i.story_id for i in store.earlier_items(day + timedelta(days=1), day)] == ["s1", "s2"]
        assert store.digest_generated_at(day) == NOW


def test_items_published_after_the_day_wait_for_their_day(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.add_items(
            [new_item(1, published=datetime(2024, 6, 20, 9, tzinfo=KST))],
            datetime(2024, 6, 20, 10, tzinfo=KST),
        )
        assert store.items_for_digest(date(2024, 6, 13), datetime(2024, 6, 14, tzinfo=KST)) == []
        assert len(store.items_for_digest(date(2024, 6, 20), datetime(2024, 6, 21, tzinfo=KST))) == 1


def test_deliveries(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    with Store(tmp_path / "s.sqlite") as store:
        store.record_delivery(day, "a@x.kr", True, NOW)
        store.record_delivery(day, "b@x.kr", False, NOW, "550 no such user")
        assert store.delivered(day) == {"a@x.kr"}
        store.record_delivery(day, "b@x.kr", True, NOW)
        assert store.delivered(day) == {"a@x.kr", "b@x.kr"}
        assert store.deliveries(day)["b@x.kr"] == ("sent", 2, None)


def test_a_version_1_state_is_migrated_in_place(tmp_path: Path) -> None:
    from digest.storage import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO items (source, url, canonical_url, title, first_seen, content_hash) "
        "VALUES ('s', 'http://x/1', 'http://x/1', '옛 기사', '2024-06-12T09:00:00+09:00', 'h')"
    )
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = store.item_by_url("http://x/1")
        assert old is not None and old.title == "옛 기사" and old.morphs == ()
        store.add_items([replace(new_item(2), morphs=(("실증", "NNG"), ("ai", "SL")))], NOW)
        fresh = store.item_by_url("http://127.0.0.1/n/2")
        assert fresh is not None and fresh.morphs == (("실증", "NNG"), ("ai", "SL"))
