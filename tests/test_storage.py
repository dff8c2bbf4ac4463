"""The state file: a real SQLite file in a temp folder."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest import assemble
from digest.errors import StorageError
from digest.models import NewItem, SealedDigest, SourceUpdate, Validators
from digest.storage import APPLICATION_ID, SCHEMA_VERSION, Store

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
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"items", "sources", "digests", "outbox", "leases", "jobs"} <= tables
    assert "deliveries" not in tables


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
            [new_item(1), new_item(2)],
            NOW,
            SourceUpdate("메디온뉴스", "http://x/feed", Validators('"e1"', "lm")),
        )
        assert added == 2
        assert store.add_items([new_item(1)], NOW) == 0
        assert store.count_items() == 2
        known = store.known(["http://127.0.0.1/n/1", "http://127.0.0.1/n/9"], [("메디온뉴스", "g2")])
        assert known.urls == {"http://127.0.0.1/n/1"} and known.guids == {("메디온뉴스", "g2")}
        state = store.source_state("메디온뉴스", "http://x/feed")
        assert state is not None and state.validators == Validators('"e1"', "lm")
        # A changed URL forgets the validators: they belonged to the old one.
        moved = store.source_state("메디온뉴스", "http://x/new-feed")
        assert moved is not None and moved.validators == Validators()


def test_a_source_that_moved_or_never_succeeded_is_on_its_first_collect(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        assert store.source_state("a", "http://x/feed") is None
        store.record_source("a", "http://x/feed", "HTTP 500", NOW)
        state = store.source_state("a", "http://x/feed")
        assert state is not None and state.first_collect, "failed every time so far: its backlog is not news"
        store.add_items([new_item(1)], NOW, SourceUpdate("a", "http://x/feed", Validators()))
        state = store.source_state("a", "http://x/feed")
        assert state is not None and not state.first_collect
        moved = store.source_state("a", "http://x/elsewhere.xml")
        assert moved is not None and moved.first_collect, "a new URL is a new feed"
        store.record_source("a", "http://x/elsewhere.xml", "HTTP 503", NOW)
        again = store.source_state("a", "http://x/elsewhere.xml")
        assert again is not None and again.first_collect, "the old URL's success does not carry over"


def test_a_failed_batch_stores_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        bad = new_item(2)
        object.__setattr__(bad, "title", None)  # NOT NULL violation half-way through the batch
        with pytest.raises(StorageError, match="NOT NULL"):
            store.add_items(
                [new_item(1), bad], NOW, SourceUpdate("s", "http://x/feed", Validators('"e"', None))
            )
        assert store.count_items() == 0
        assert store.source_state("s", "http://x/feed") is None


def sealed(day: date, items: int = 1, stories: int = 1) -> SealedDigest:
    return SealedDigest(
        date=day,
        generated_at=NOW,
        sealed_at=NOW,
        stories=stories,
        items=items,
        outputs={"digest.json": '{"themes": []}', "email.txt": "본문", "email.html": "<p>본문</p>"},
        subject="[헬스테크 데일리] 제목",
        mail_stories=stories,
    )


def test_a_seal_takes_its_items_once_and_queues_one_row_per_reader(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    end = assemble.day_end(day, "Asia/Seoul")
    with Store(tmp_path / "s.sqlite") as store:
        store.add_items([new_item(1), new_item(2, published=None)], NOW)
        items = store.candidates(day, end)
        assert [i.title for i in items] == ["제목 1", "제목 2"]
        assert store.seal_digest(
            sealed(day, 2, 2), {items[0].id: "s1", items[1].id: "s2"}, ["a@x.kr", "b@x.kr"], NOW
        )
        record = store.sealed(day)
        assert record is not None and record.outputs is not None and record.outputs["email.txt"] == "본문"
        assert [(e.recipient, e.status) for e in store.outbox(day)] == [
            ("a@x.kr", "pending"),
            ("b@x.kr", "pending"),
        ]
        # Sealed once: a second seal of the date changes nothing and says so.
        assert not store.seal_digest(sealed(day, 9, 9), {}, ["c@x.kr"], NOW)
        assert store.sealed(day) == record and len(store.outbox(day)) == 2
        # The next date gets none of its items; they are the context follow-ups join.
        nxt = day + timedelta(days=1)
        assert assemble.select(store.candidates(nxt, end + timedelta(days=1)), nxt, "Asia/Seoul", False) == []
        assert [i.story_id for i in store.earlier_items(nxt, day)] == ["s1", "s2"]
        assert store.digest_dates() == [day]


def test_backlog_items_are_left_out_unless_a_backfill_reaches_them(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    end = assemble.day_end(day, "Asia/Seoul")
    old = replace(new_item(1, published=NOW - timedelta(days=400)), backlog=True)
    recent_old = replace(new_item(2, published=NOW - timedelta(days=3)), backlog=True)
    with Store(tmp_path / "s.sqlite") as store:
        store.add_items([old, recent_old, new_item(3)], NOW)
        assert [i.title for i in store.candidates(day, end)] == ["제목 3"]
        assert store.count_waiting() == (1, 2)
        back = store.candidates(day, end, end - timedelta(days=7))
        picked = assemble.select(back, day, "Asia/Seoul", False, timedelta(days=7))
        assert [i.title for i in picked] == ["제목 2", "제목 3"]


def test_an_outbox_row_is_claimed_by_one_process_only(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    later = NOW + timedelta(minutes=10)
    with Store(tmp_path / "s.sqlite") as one, Store(tmp_path / "s.sqlite") as two:
        one.enqueue(day, ["a@x.kr"], NOW)
        assert one.claim(day, "a@x.kr", "host:1:a", later, NOW)
        assert not two.claim(day, "a@x.kr", "host:2:b", later, NOW), "claimed and not expired"
        # The owner that claimed it records the outcome; a stranger cannot.
        two.finish(day, "a@x.kr", "host:2:b", "sent", NOW)
        assert two.outbox(day)[0].status == "sending"
        one.finish(day, "a@x.kr", "host:1:a", "retry", NOW, "451 try later", next_attempt=later)
        row = two.outbox(day)[0]
        assert (row.status, row.attempts, row.last_error) == ("retry", 1, "451 try later")
        assert not two.claim(day, "a@x.kr", "host:2:b", later, NOW), "its backoff has not passed"
        assert two.claim(day, "a@x.kr", "host:2:b", later, NOW, ignore_backoff=True)
        two.finish(day, "a@x.kr", "host:2:b", "sent", NOW)
        assert one.outbox(day)[0].status == "sent"
        assert not one.claim(day, "a@x.kr", "host:1:a", later, later), "a sent row is never sent again"


def test_a_claim_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    with Store(tmp_path / "s.sqlite") as store:
        store.enqueue(day, ["a@x.kr"], NOW)
        assert store.claim(day, "a@x.kr", "host:1:dead", NOW + timedelta(hours=1), NOW)
        assert not store.claim(day, "a@x.kr", "host:2:b", NOW + timedelta(hours=1), NOW)
        assert store.claim(
            day,
            "a@x.kr",
            "host:2:b",
            NOW + timedelta(hours=1),
            NOW,
            stale=lambda owner: owner == "host:1:dead",
        )
        # ... and an expired claim is free whoever made it.
        assert store.claim(day, "a@x.kr", "host:3:c", NOW + timedelta(hours=3), NOW + timedelta(hours=2))


def test_permanent_failures_can_be_reset_and_readers_cancelled(tmp_path: Path) -> None:
    day = date(2024, 6, 13)
    with Store(tmp_path / "s.sqlite") as store:
        store.enqueue(day, ["a@x.kr", "b@x.kr"], NOW)
        assert store.enqueue(day, ["a@x.kr", "c@x.kr"], NOW) == 1, "one row per digest and reader"
        assert store.claim(day, "a@x.kr", "o", NOW + timedelta(minutes=5), NOW)
        store.finish(day, "a@x.kr", "o", "failed", NOW, "550 no such user")
        store.cancel(day, "b@x.kr", "no longer a reader", NOW)
        assert {e.recipient: e.status for e in store.outbox(day)} == {
            "a@x.kr": "failed",
            "b@x.kr": "cancelled",
            "c@x.kr": "pending",
        }
        assert store.reset_failed(NOW) == 1
        assert store.outbox(day, statuses=("pending",))[0].recipient == "a@x.kr"


def test_a_lease_has_one_holder_until_it_expires_or_its_process_is_gone(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        t = 1_000.0
        assert store.take_lease("runner", "o1", "h", 11, "send", t, 60) is None
        holder = store.take_lease("runner", "o2", "h", 12, "collect", t + 1, 60)
        assert holder is not None and (holder.owner, holder.pid, holder.job) == ("o1", 11, "send")
        assert store.renew_lease("runner", "o1", t + 50, 60)
        assert store.take_lease("runner", "o2", "h", 12, "collect", t + 100, 60) is not None, "renewed"
        assert store.take_lease("runner", "o2", "h", 12, "collect", t + 111, 60) is None, (
            "expired: taken over"
        )
        assert not store.renew_lease("runner", "o1", t + 112, 60), "the old holder learns it lost it"
        assert (
            store.take_lease("runner", "o3", "h", 13, "run", t + 113, 60, stale=lambda h: h.pid == 12) is None
        )
        store.release_lease("runner", "o3")
        assert store.lease("runner") is None


def test_jobs_remember_the_last_success_and_what_it_stood_for(tmp_path: Path) -> None:
    fire = datetime(2024, 6, 13, 7, 0, tzinfo=KST)
    with Store(tmp_path / "s.sqlite") as store:
        assert store.job("send").last_ok is None
        store.job_started("send", fire)
        store.job_finished("send", fire + timedelta(seconds=5), True, "2024-06-13: 4 stories", 5.0, fire)
        store.job_finished("send", fire + timedelta(days=1), False, "failed", 1.0, fire + timedelta(days=1))
        job = store.job("send")
        assert job.fire == fire and job.last_ok == fire + timedelta(seconds=5)
        assert job.outcome == "failed" and job.finished == fire + timedelta(days=1)


def test_a_state_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        Store(tmp_path / "typo" / "state.sqlite")
    assert not (tmp_path / "typo").exists(), "no new empty state is made"
    with pytest.raises(StorageError, match="no state file"):
        Store(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(StorageError, match="is a folder"):
        Store(tmp_path)


def test_a_database_of_something_else_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match=r"not a digest state.*invoices"):
        Store(path)
    assert path.read_bytes() == before


def test_a_version_2_state_keeps_its_deliveries_in_the_outbox(tmp_path: Path) -> None:
    from digest.storage import MIGRATIONS

    path = tmp_path / "v2.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[1](db)
    MIGRATIONS[2](db)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO digests VALUES ('2024-06-12', '2024-06-12T18:00:00+09:00', 3, 4)")
    db.execute(
        "INSERT INTO deliveries VALUES ('2024-06-12', 'a@x.kr', 'sent', 1, NULL, '2024-06-12T18:00:01+09:00')"
    )
    db.execute(
        "INSERT INTO deliveries VALUES ('2024-06-12', 'b@x.kr', 'failed', 2, '451 later', '2024-06-12T18:00:02+09:00')"
    )
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = {e.recipient: (e.status, e.attempts, e.last_error) for e in store.outbox()}
        assert rows == {"a@x.kr": ("sent", 1, None), "b@x.kr": ("retry", 2, "451 later")}
        old = store.sealed(date(2024, 6, 12))
        assert old is not None and old.outputs is None, "an old digest counts as sealed"


def test_two_processes_creating_one_state_at_once_both_succeed(tmp_path: Path) -> None:
    """Two schedulers (or a scheduler and a person) starting on a new state: the others wait
    for the first's migration instead of failing on `table items already exists` or on
    "database is locked" while the first switches the new file to WAL."""
    import subprocess
    import sys
    import time

    start = time.time() + 1.5  # every process opens at the same moment, after its imports
    paths = [tmp_path / f"new{i}.sqlite" for i in range(3)]
    code = (
        "import sys, time\n"
        "from digest.storage import Store\n"
        f"time.sleep(max(0.0, {start!r} - time.time()))\n"
        "Store(sys.argv[1]).close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stderr=subprocess.PIPE)
        for path in paths
        for _ in range(6)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), [e for e in errors if e]
    for path in paths:
        with Store(path) as store:
            assert store.schema_version == SCHEMA_VERSION


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
        assert old is not None and old.title == "옛 기사" and old.morphs == () and not old.backlog
        store.add_items([replace(new_item(2), morphs=(("실증", "NNG"), ("ai", "SL")))], NOW)
        fresh = store.item_by_url("http://127.0.0.1/n/2")
        assert fresh is not None and fresh.morphs == (("실증", "NNG"), ("ai", "SL"))


def test_a_version_3_state_is_migrated_and_keeps_its_items(tmp_path: Path) -> None:
    from digest.storage import MIGRATIONS

    path = tmp_path / "v3.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    for version in (1, 2, 3):
        MIGRATIONS[version](db)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO items (source, url, canonical_url, title, published, first_seen, content_hash) "
        "VALUES ('s', 'http://x/1', 'http://x/1', '옛 기사', '2024-06-12T00:00:00+09:00', "
        "'2024-06-12T09:00:00+09:00', 'h')"
    )
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        old = store.item_by_url("http://x/1")
        assert old is not None and old.title == "옛 기사"
        assert not old.date_only and old.subtitle == "", "an item stored before v4: a full time, no subtitle"
    columns = {r[1]: r for r in sqlite3.connect(path).execute("PRAGMA table_info(items)")}
    assert columns["date_only"][4] == "0" and columns["subtitle"][4] == "''"
    # v5: the features cache starts empty (earlier items without it are clustered from their texts).
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM item_features").fetchone() == (0,)


def test_a_date_only_item_and_its_subtitle_are_stored_and_completed(tmp_path: Path) -> None:
    day = datetime(2024, 6, 12, tzinfo=KST)
    with Store(tmp_path / "s.sqlite") as store:
        first = replace(new_item(1, day), date_only=True, subtitle="부제 하나\n부제 둘")
        waiting = replace(new_item(2, day), date_only=True, extract_status="deferred")
        store.add_items([first, waiting, new_item(3)], NOW)
        one = store.item_by_url(first.canonical_url)
        assert one is not None and one.date_only and one.subtitle == "부제 하나\n부제 둘"
        assert one.published == day
        three = store.item_by_url(new_item(3).canonical_url)
        assert three is not None and not three.date_only and three.subtitle == ""
        # The page fetched later gives a full time and subtitles: the deferred item takes them.
        timed = replace(
            waiting,
            published=day + timedelta(hours=14),
            date_only=False,
            subtitle="부제",
            extract_status="ok",
        )
        assert store.complete(timed)
        two = store.item_by_url(waiting.canonical_url)
        assert two is not None and not two.date_only and two.subtitle == "부제"
        assert two.published == day + timedelta(hours=14)


def test_prune_empties_old_texts_and_keeps_what_novelty_and_continuity_need(tmp_path: Path) -> None:
    old_day, recent_day = date(2024, 5, 1), date(2024, 6, 12)
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        morphs = (("돌봄", "NNG"), ("로봇", "NNG"))
        store.add_items([replace(new_item(n), morphs=morphs) for n in (1, 2, 3)], NOW)
        store.add_items(
            [replace(new_item(4), backlog=True, extract_status="backlog")], NOW - timedelta(days=60)
        )
        first, second, _waiting = sorted(store.candidates(date(2024, 6, 13), NOW), key=lambda i: i.id)
        assert store.seal_digest(sealed(old_day), {first.id: "s-old"}, [], NOW)
        assert store.seal_digest(sealed(recent_day), {second.id: "s-new"}, [], NOW)

        # Keep 7 days on 2024-06-13: the digest of 2024-05-01's item and the old backlog item go.
        assert store.prune(date(2024, 6, 6)) == 2
        by_url = {
            i.canonical_url: i
            for i in (store.item_by_url(f"http://127.0.0.1/n/{n}") for n in (1, 2, 3, 4))
            if i
        }
        pruned = by_url["http://127.0.0.1/n/1"]
        assert (pruned.text, pruned.morphs) == ("", ())
        # Still known (never new again), still its story's and its digest's.
        assert (pruned.title, pruned.story_id, pruned.issued_on, pruned.content_hash) == (
            "제목 1",
            "s-old",
            old_day,
            "h1",
        )
        assert store.known(["http://127.0.0.1/n/1"], []).urls == {"http://127.0.0.1/n/1"}
        assert by_url["http://127.0.0.1/n/4"].text == ""
        # The week of context follow-ups join, and items no digest has published yet, keep their texts.
        for n in (2, 3):
            kept = by_url[f"http://127.0.0.1/n/{n}"]
            assert (kept.text, kept.morphs) == ("본문입니다.", morphs)
        assert store.prune(date(2024, 6, 6)) == 0  # nothing left to prune
        store.vacuum()
        assert store.item_by_url("http://127.0.0.1/n/2") is not None


def test_a_seal_stores_its_items_features_and_the_context_comes_without_their_texts(tmp_path: Path) -> None:
    day = date(2024, 6, 12)
    with Store(tmp_path / "s.sqlite") as store:
        store.add_items([new_item(1), new_item(2)], NOW - timedelta(days=1))
        one, two = sorted(store.candidates(day, assemble.day_end(day, "Asia/Seoul")), key=lambda i: i.id)
        # Only the features of items the digest publishes are kept.
        assert store.seal_digest(
            sealed(day), {one.id: "s1", two.id: "s2"}, [], NOW, {one.id: b"blob", 999: b"x"}
        )
        light = {
            it.id: (it, blob) for it, blob in store.earlier_light(before=day + timedelta(days=1), since=day)
        }
        assert light[one.id][1] == b"blob" and light[one.id][0].text == ""
        assert light[one.id][0].title == "제목 1" and light[one.id][0].story_id == "s1"
        assert light[two.id] == (store.items_by_id([two.id])[0], None)  # no features: whole
        assert light[two.id][0].text == "본문입니다."
        assert [it.text for it in store.items_by_id([two.id, one.id])] == ["본문입니다.", "본문입니다."]
        assert store.prune(day + timedelta(days=1)) == 2  # and the pruned items' features go
        assert [blob for _, blob in store.earlier_light(before=day + timedelta(days=1), since=day)] == [
            None,
            None,
        ]


def test_sources_are_committed_in_groups_and_one_that_cannot_be_stored_fails_alone(tmp_path: Path) -> None:
    import asyncio

    from digest.collectwork import Workers

    bad = new_item(5)
    object.__setattr__(bad, "title", None)  # NOT NULL violation: this source's write fails

    async def collect_three(store: Store) -> list[object]:
        work = Workers(store)
        try:
            writes = [
                work.add_items(
                    [new_item(1), new_item(2)], NOW, SourceUpdate("a", "http://x/a", Validators('"a"', None))
                ),
                work.add_items(
                    [new_item(3), bad], NOW, SourceUpdate("b", "http://x/b", Validators('"b"', None))
                ),
                work.add_items([new_item(4)], NOW, SourceUpdate("c", "http://x/c", Validators('"c"', None))),
            ]
            return list(await asyncio.gather(*writes, return_exceptions=True))
        finally:
            work.close()

    with Store(tmp_path / "s.sqlite") as store:
        a, b, c = asyncio.run(collect_three(store))
        assert (a, c) == (2, 1) and isinstance(b, StorageError)
        assert store.count_items() == 3  # a's and c's, none of b's
        assert store.source_state("b", "http://x/b") is None  # b is fetched again next time
        state = store.source_state("c", "http://x/c")
        assert state is not None and state.validators.etag == '"c"'
