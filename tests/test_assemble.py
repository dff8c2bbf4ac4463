"""The rule of a digest's life, on plain values: which items the digest for a date takes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest import assemble
from digest.models import Item

from .conftest import make_item

KST = ZoneInfo("Asia/Seoul")
DAY = date(2024, 6, 13)
END = datetime(2024, 6, 14, 0, 0, tzinfo=KST)


def item(
    n: int,
    published: datetime | None,
    first_seen: datetime | None = None,
    issued_on: date | None = None,
    backlog: bool = False,
) -> Item:
    return make_item(
        n,
        source="s",
        published=published,
        first_seen=first_seen or datetime(2024, 6, 13, 9, tzinfo=KST),
        issued_on=issued_on,
        backlog=backlog,
    )


def test_day_end_and_window_are_in_the_digest_zone() -> None:
    assert assemble.day_end(DAY, "Asia/Seoul") == END
    assert assemble.window_start(DAY, "Asia/Seoul", timedelta(hours=36)) == datetime(
        2024, 6, 12, 12, tzinfo=KST
    )
    # Berlin's spring-forward day is 23 hours long; the end is still the next local midnight.
    berlin = ZoneInfo("Europe/Berlin")
    assert assemble.day_end(date(2024, 3, 31), "Europe/Berlin") == datetime(2024, 4, 1, tzinfo=berlin)


def test_an_unsealed_digest_takes_what_no_digest_published_up_to_its_end() -> None:
    items = [
        item(1, datetime(2024, 6, 13, 9, tzinfo=KST)),
        item(2, None),  # undated: taken
        item(3, datetime(2024, 6, 12, 9, tzinfo=KST), issued_on=date(2024, 6, 12)),  # an earlier digest's
        item(4, datetime(2024, 6, 20, 9, tzinfo=KST), first_seen=datetime(2024, 6, 20, 10, tzinfo=KST)),
        item(5, datetime(2024, 6, 13, 23, 59, tzinfo=KST)),
        item(6, datetime(2024, 6, 14, 0, 0, tzinfo=KST), first_seen=datetime(2024, 6, 14, 0, 5, tzinfo=KST)),
        item(7, datetime(2024, 6, 10, 9, tzinfo=KST), issued_on=DAY),  # its own, from an earlier build
    ]
    assert [i.id for i in assemble.select(items, DAY, "Asia/Seoul", sealed=False)] == [1, 2, 5, 7]
    # An item dated after D but already seen before D ended is taken (a wrong date is no reason to wait).
    odd = item(8, datetime(2024, 6, 15, tzinfo=KST), first_seen=datetime(2024, 6, 13, 20, tzinfo=KST))
    assert assemble.takes(odd, DAY, END, sealed=False)


def test_a_sealed_digest_takes_only_its_own_items() -> None:
    items = [item(1, datetime(2024, 6, 13, 9, tzinfo=KST)), item(7, None, issued_on=DAY)]
    assert [i.id for i in assemble.select(items, DAY, "Asia/Seoul", sealed=True)] == [7]


def test_backlog_is_left_out_unless_a_backfill_reaches_back_to_it() -> None:
    old = item(1, datetime(2020, 6, 12, 9, tzinfo=KST), backlog=True)
    week_old = item(2, datetime(2024, 6, 9, 9, tzinfo=KST), backlog=True)
    new = item(3, datetime(2024, 6, 13, 9, tzinfo=KST))
    items = [old, week_old, new]
    assert [i.id for i in assemble.select(items, DAY, "Asia/Seoul", False)] == [3]
    assert [i.id for i in assemble.select(items, DAY, "Asia/Seoul", False, timedelta(days=7))] == [2, 3]
    assert [i.id for i in assemble.select(items, DAY, "Asia/Seoul", False, timedelta(days=5000))] == [1, 2, 3]


@pytest.mark.parametrize(
    ("published", "first", "expected"),
    [
        (datetime(2020, 1, 1, tzinfo=KST), True, True),  # years old, on a first collect
        (datetime(2024, 6, 12, 11, 59, tzinfo=KST), True, True),  # just before the window
        (datetime(2024, 6, 12, 12, 0, tzinfo=KST), True, False),  # at its start
        (None, True, False),  # no date: news
        (datetime(2020, 1, 1, tzinfo=KST), False, False),  # a known source's old item is news (it was down)
    ],
)
def test_backlog_is_a_first_collect_matter(published: datetime | None, first: bool, expected: bool) -> None:
    start = assemble.window_start(DAY, "Asia/Seoul", timedelta(hours=36))
    assert assemble.is_backlog(published, first, start) is expected


def test_a_date_more_than_a_day_ahead_is_refused() -> None:
    assemble.check_date(date(2024, 6, 14), today=DAY)
    assemble.check_date(date(2020, 1, 1), today=DAY)
    with pytest.raises(ValueError, match="more than a day ahead"):
        assemble.check_date(date(2024, 6, 15), today=DAY)
