"""Dates as the Korean press writes them: every format the feeds and pages use, and the bad ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digest.dates import Dated, find_date_in_text, find_dated_in_text, parse_date, read_date

KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 822 as feeds send it
        ("Wed, 12 Jun 2024 14:00:00 +0900", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("Wed, 12 Jun 2024 05:00:00 GMT", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("Wed, 12 Jun 2024 14:00:00 KST", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("12 Jun 2024 14:00 +0900", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        # ISO 8601
        ("2024-06-12T14:00:00+09:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("2024-06-12T05:00:00Z", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("2024-06-12T14:00:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        # Korean page and feed forms, local time in Seoul
        ("2025년 12월 30일 (화)", datetime(2025, 12, 30, 0, 0, tzinfo=KST)),
        ("2024년 6월 12일", datetime(2024, 6, 12, 0, 0, tzinfo=KST)),
        ("2024년 6월 12일 오후 2:00:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("2021년 12월 22일 12시 20분", datetime(2021, 12, 22, 12, 20, tzinfo=KST)),
        ("2024.06.12 14:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("2024. 6. 12.", datetime(2024, 6, 12, 0, 0, tzinfo=KST)),
        ("2024.06.12. 오후 3:05", datetime(2024, 6, 12, 15, 5, tzinfo=KST)),
        ("입력 2024-06-12 오후 2:03", datetime(2024, 6, 12, 14, 3, tzinfo=KST)),
        ("2024-06-12 오전 12:30", datetime(2024, 6, 12, 0, 30, tzinfo=KST)),
        ("최종편집: 2024-06-17 19:17", datetime(2024, 6, 17, 19, 17, tzinfo=KST)),
        ("기사입력 2024.06.12 14:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("기사입력 : 2021년 12월 22일 12시 20분", datetime(2021, 12, 22, 12, 20, tzinfo=KST)),
        ("승인 2024.06.12 14:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        ("2024/06/12 14:00:00", datetime(2024, 6, 12, 14, 0, tzinfo=KST)),
        # zone-less local time (the `regional` CMS feed): Seoul, not UTC
        ("2021-12-22 16:00:00", datetime(2021, 12, 22, 16, 0, tzinfo=KST)),
    ],
)
def test_formats(value: str, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


def test_zone_less_time_is_seoul_not_utc() -> None:
    parsed = parse_date("2021-12-22 16:00:00")
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=9)
    assert parsed.astimezone(UTC).hour == 7


def test_zone_less_time_follows_the_configured_zone() -> None:
    assert parse_date("2024-06-12 14:00", tz="UTC") == datetime(2024, 6, 12, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "garbage",
        "날짜 없음",
        "Thu, 31 Feb 2024 25:61:00 +0900",
        "31 Feb 2024 10:00:00 +0900",
        "2024-02-31",
        "2024년 2월 30일",
        "2024.13.01 10:00",
        "2024-06-12 25:00",
    ],
)
def test_garbage_and_impossible_dates_give_none(value: str) -> None:
    assert parse_date(value) is None


def test_future_dates_are_clamped_to_now() -> None:
    now = datetime(2024, 6, 13, 9, 0, tzinfo=KST)
    assert parse_date("Wed, 12 Jun 2099 14:00:00 +0900", now=now) == now
    assert parse_date("2024-06-13 20:00", now=now) == datetime(
        2024, 6, 13, 20, 0, tzinfo=KST
    )  # < a day ahead
    assert parse_date("2024-06-15 20:00", now=now) == now
    assert parse_date("Wed, 12 Jun 2099 14:00:00 +0900") == datetime(2099, 6, 12, 14, 0, tzinfo=KST)


def test_naive_now_is_read_in_the_configured_zone() -> None:
    now = datetime(2024, 6, 13, 9, 0)
    assert parse_date("2030-01-01", now=now) == datetime(2024, 6, 13, 9, 0, tzinfo=KST)


def test_find_date_prefers_the_publication_label() -> None:
    text = "최종편집: 2024-06-17 19:17\n2024년 6월 12일 (수)\n홍길동 기자 | 입력 2024.06.12 14:00 | 수정 2024.06.13 09:00"
    assert find_date_in_text(text) == datetime(2024, 6, 12, 14, 0, tzinfo=KST)


@pytest.mark.parametrize("label", ["입력", "등록", "승인", "게재", "기사입력"])
def test_find_date_publication_labels_beat_revision_labels(label: str) -> None:
    text = f"최종수정 2024-06-13 09:00 · {label} : 2024-06-12 08:10"
    assert find_date_in_text(text) == datetime(2024, 6, 12, 8, 10, tzinfo=KST)


def test_find_date_without_labels_prefers_a_time_of_day() -> None:
    text = "오늘의 날씨 : 서울 맑음 0.9℃ 2024년 6월 17일 (월)\n제목 돌봄 로봇 보급 2024-06-12 15:10:00"
    assert find_date_in_text(text) == datetime(2024, 6, 12, 15, 10, tzinfo=KST)


def test_find_date_falls_back_to_a_revision_date_and_to_none() -> None:
    assert find_date_in_text("최종편집: 2024-06-17 19:17") == datetime(2024, 6, 17, 19, 17, tzinfo=KST)
    assert find_date_in_text("날짜가 없는 글입니다. 2020년 11월에 만든 모임이다.") is None


# --------------------------------------------------------------------------- dates outside a sane range

OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: astimezone() overflows
    "0001-01-01T00:00:00Z",
    "0001-01-01",
    "Mon, 01 Jan 0001 00:00:00 +1400",  # not 2001: the feed wrote a four-digit year 1
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "Fri, 31 Dec 9999 23:59:59 -1400",
    "9999-12-31",
    "1899-01-01T00:00:00+09:00",
    "1989-12-31 23:59",
    "1985년 3월 2일",
    "2101-01-01T00:00:00+09:00",
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_dates_outside_1990_to_2100_are_unknown(value: str) -> None:
    assert parse_date(value) is None
    assert parse_date(value, now=datetime(2024, 6, 13, 9, 0, tzinfo=KST)) is None


@pytest.mark.parametrize(
    ("inside", "expected", "outside"),
    [
        (
            "1990-01-01T00:00:00+14:00",
            datetime(1990, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))),
            "1989-12-31T23:59:59+14:00",
        ),
        (
            "2100-12-31T23:59:59-14:00",
            datetime(2100, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14))),
            "2101-01-01T00:00:00-14:00",
        ),
        (
            "Mon, 01 Jan 24 09:00:00 +0900",  # a two-digit year is this century
            datetime(2024, 1, 1, 9, 0, tzinfo=KST),
            "Mon, 01 Jan 0024 09:00:00 +0900",  # a four-digit year 24 is not
        ),
    ],
)
def test_the_range_edges(inside: str, expected: datetime, outside: str) -> None:
    parsed = parse_date(inside)
    assert parsed == expected
    assert parsed is not None
    parsed.astimezone(ZoneInfo("Asia/Seoul"))
    parsed.astimezone(UTC)
    assert parse_date(outside) is None


def test_find_date_skips_a_date_outside_the_range() -> None:
    text = "창립 1985년 3월 2일\n입력 2024.06.12 14:00"
    assert find_date_in_text(text) == datetime(2024, 6, 12, 14, 0, tzinfo=KST)
    assert find_date_in_text("1900년 1월 1일 기사입력") is None


# --------------------------------------------------------------------------- dates without a time of day


@pytest.mark.parametrize(
    ("value", "date_only"),
    [
        ("2024-06-12", True),
        ("2025년 12월 30일 (화)", True),
        ("2024년 6월 12일", True),
        ("2024.06.12", True),
        ("2024. 6. 12.", True),
        ("입력 2024-06-12", True),
        ("Wed, 12 Jun 2024", True),
        ("12 Jun 2024", True),
        ("2024-06-12T00:00:00+09:00", False),  # midnight written out is a time
        ("2024-06-12T14:00:00", False),
        ("2024.06.12 14:00", False),
        ("2024년 6월 12일 오후 2:00:00", False),
        ("2021년 12월 22일 12시 20분", False),
        ("Wed, 12 Jun 2024 14:00:00 +0900", False),
        ("Wed, 12 Jun 2024 00:00:00 GMT", False),
    ],
)
def test_read_date_tells_a_date_without_a_time_of_day(value: str, date_only: bool) -> None:
    dated = read_date(value)
    assert dated is not None
    assert dated.date_only is date_only
    assert dated.when == parse_date(value)
    if date_only:
        assert dated.when == datetime(dated.when.year, dated.when.month, dated.when.day, tzinfo=KST)


def test_a_date_only_rfc822_that_does_not_exist_is_none() -> None:
    assert read_date("Sat, 31 Feb 2024") is None
    assert read_date("Wed, 12 Foo 2024") is None


def test_a_date_only_clamped_to_now_has_nows_time() -> None:
    now = datetime(2024, 6, 12, 14, 0, tzinfo=KST)
    assert read_date("2099-01-01", now=now) == Dated(now, False)


def test_find_dated_in_text_says_whether_the_date_has_a_time() -> None:
    assert find_dated_in_text("메디온뉴스 | 2025년 12월 30일 (화) | 홍길동 기자") == Dated(
        datetime(2025, 12, 30, tzinfo=KST), True
    )
    timed = find_dated_in_text("2024.06.12 | 입력 2024.06.12 14:05 | 수정 2024.06.13")
    assert timed == Dated(datetime(2024, 6, 12, 14, 5, tzinfo=KST), False)
    assert find_dated_in_text("날짜 없는 글") is None
