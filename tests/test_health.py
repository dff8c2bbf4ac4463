"""What the reader and the maintainer are told about the sources: the digest's footer line (failing,
quiet, gone, empty listings; gone again once they succeed), the `digest status` rows and table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from digest.backoff import Health, after_failure, after_success
from digest.sourcehealth import STATUS_HEADER, age, footer, format_table, status_rows
from digest.textwidth import width

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=KST)
FRESH = NOW - timedelta(hours=2)  # a source that gave an item two hours ago


def ok(newest: datetime | None = FRESH) -> Health:
    return Health(last_success=NOW - timedelta(hours=1), newest_item=newest)


def failing_since(days: float, failures: int = 3) -> Health:
    return Health(
        failures=failures,
        first_failure=NOW - timedelta(days=days),
        last_success=NOW - timedelta(days=days, hours=1),
        last_error="HTTP 503",
        newest_item=FRESH - timedelta(days=days),
    )


# --- footer ---------------------------------------------------------------------------------------


def test_footer_is_none_when_all_is_well() -> None:
    assert footer([("청년의사", ok()), ("의협신문", ok())], NOW) is None
    assert footer([], NOW) is None


def test_footer_names_sources_failing_for_a_day_or_more() -> None:
    rows = [("청년의사", failing_since(3)), ("의협신문", failing_since(3.5)), ("병원신문", ok())]
    assert footer(rows, NOW) == "2 sources failing for 3 days: 의협신문, 청년의사"


def test_footer_gives_the_range_of_days() -> None:
    rows = [("A", failing_since(5)), ("B", failing_since(3)), ("C", failing_since(1))]
    assert footer(rows, NOW) == "3 sources failing for 1–5 days: A, B, C"


def test_footer_ignores_a_failure_younger_than_failing_days() -> None:
    rows = [("청년의사", failing_since(0.5, failures=1))]
    assert footer(rows, NOW) is None
    assert footer(rows, NOW, failing_days=0) == "1 source failing for less than a day: 청년의사"
    assert footer([("청년의사", failing_since(2))], NOW, failing_days=3) is None


def test_footer_disappears_once_the_sources_succeed_again() -> None:
    start = NOW - timedelta(days=2)
    h = after_failure(Health(last_success=start, newest_item=start), start, "timeout")
    h = after_failure(h, NOW - timedelta(hours=1), "timeout")
    assert footer([("청년의사", h)], NOW) == "1 source failing for 2 days: 청년의사"
    h = after_success(h, NOW, newest=NOW - timedelta(minutes=5))
    assert footer([("청년의사", h)], NOW) is None


def test_footer_names_quiet_sources() -> None:
    rows = [
        ("병원신문", ok(newest=NOW - timedelta(days=14))),
        ("데일리메디", ok(newest=NOW - timedelta(days=13))),
    ]
    assert footer(rows, NOW) == "1 source quiet for 14 days: 병원신문"
    assert footer(rows, NOW, quiet_days=7) == "2 sources quiet for 13–14 days: 데일리메디, 병원신문"


def test_a_source_that_never_gave_an_item_is_not_quiet() -> None:
    assert footer([("새 매체", ok(newest=None))], NOW) is None


def test_a_failing_source_is_not_also_quiet() -> None:
    rows = [("청년의사", failing_since(20))]
    assert footer(rows, NOW) == "1 source failing for 20 days: 청년의사"


def test_footer_names_gone_sources_and_empty_listings() -> None:
    gone = after_failure(ok(), NOW - timedelta(hours=3), "HTTP 410 Gone", status=410)
    empty = Health(last_success=NOW, newest_item=FRESH, empty_listings=3)
    rows = [("X", gone), ("Y", empty), ("Z", Health(last_success=NOW, newest_item=FRESH, empty_listings=2))]
    assert footer(rows, NOW) == "1 source gone (HTTP 410): X; 1 listing page finds no articles: Y"
    assert footer(rows, NOW, empty_collects=2) == (
        "1 source gone (HTTP 410): X; 2 listing pages find no articles: Y, Z"
    )


def test_footer_lists_all_groups_in_order() -> None:
    rows = [
        ("의협신문", failing_since(3)),
        ("청년의사", failing_since(3)),
        ("병원신문", ok(newest=NOW - timedelta(days=15))),
        ("X", Health(gone=True, failures=1, first_failure=NOW - timedelta(days=9))),
        ("Y", Health(last_success=NOW, empty_listings=4)),
    ]
    assert footer(rows, NOW) == (
        "2 sources failing for 3 days: 의협신문, 청년의사; 1 source quiet for 15 days: 병원신문; "
        "1 source gone (HTTP 410): X; 1 listing page finds no articles: Y"
    )


def test_footer_lists_five_names_then_and_n_more() -> None:
    rows = [(f"매체{n}", failing_since(2)) for n in (8, 3, 1, 7, 5, 2, 6, 4)]
    assert footer(rows, NOW) == "8 sources failing for 2 days: 매체1, 매체2, 매체3, 매체4, 매체5 and 3 more"
    assert footer(rows[:5], NOW) == "5 sources failing for 2 days: 매체1, 매체3, 매체5, 매체7, 매체8"


# --- status rows ----------------------------------------------------------------------------------


def state(h: Health) -> str:
    return status_rows([("s", h)], NOW)[0][1]


def test_status_row_of_a_healthy_source() -> None:
    assert status_rows([("청년의사", ok())], NOW) == [("청년의사", "ok", "1 h ago", "2 h ago", "-")]


def test_status_row_of_a_failing_source() -> None:
    h = Health(
        failures=3,
        first_failure=datetime(2026, 12, 1, 8, 0, tzinfo=KST),
        last_success=datetime(2026, 12, 1, 7, 0, tzinfo=KST),
        last_error="HTTP 503 Service Unavailable",
        newest_item=datetime(2026, 11, 30, 22, 0, tzinfo=KST),
    )
    assert status_rows([("의협신문", h)], NOW) == [
        ("의협신문", "failing ×3 since 2026-12-01", "3 d ago", "3 d ago", "HTTP 503 Service Unavailable")
    ]
    backing_off = Health(
        failures=4, first_failure=NOW - timedelta(hours=5), not_before=NOW + timedelta(minutes=30)
    )
    assert state(backing_off) == "failing ×4 since 2026-12-04, next try 09:30"


def test_status_row_dates_are_in_the_zone_of_now() -> None:
    h = Health(failures=2, first_failure=datetime(2026, 11, 30, 20, 0, tzinfo=UTC))  # 12-01 05:00 KST
    assert state(h) == "failing ×2 since 2026-12-01"


def test_status_states_gone_waiting_quiet_empty_new() -> None:
    assert state(Health(gone=True, failures=1, first_failure=NOW)) == "gone (410)"
    assert (
        state(after_success(ok(), NOW, retry_after=timedelta(minutes=90)))
        == "waiting until 10:30 (server asked)"
    )
    assert (
        state(after_success(ok(), NOW, retry_after=timedelta(days=2)))
        == "waiting until 12-06 09:00 (server asked)"
    )
    assert state(ok(newest=NOW - timedelta(days=15, hours=3))) == "quiet 15 d"
    assert state(Health(last_success=NOW, newest_item=FRESH, empty_listings=2)) == "no article links ×2"
    assert state(Health()) == "new"


def test_status_row_ages_and_cut_error() -> None:
    long = "connect timeout to www.example.co.kr after 10.0 s while fetching /rss/allArticle.xml"
    h = Health(failures=1, first_failure=NOW, last_error=long, newest_item=NOW - timedelta(seconds=20))
    row = status_rows([("s", h)], NOW)[0]
    assert row[2] == "-"
    assert row[3] == "just now"
    assert len(row[4]) == 60
    assert row[4] == long[:59] + "…"


def test_age_units() -> None:
    assert age(None, NOW) == "-"
    assert age(NOW - timedelta(minutes=45), NOW) == "45 min ago"
    assert age(NOW - timedelta(hours=47), NOW) == "47 h ago"
    assert age(NOW - timedelta(hours=48), NOW) == "2 d ago"
    assert age(NOW + timedelta(minutes=5), NOW) == "in the future"


# --- table ----------------------------------------------------------------------------------------


def test_table_aligns_korean_names_in_terminal_columns() -> None:
    rows = status_rows([("청년의사", ok()), ("MedicalTimes", failing_since(3)), ("X", Health())], NOW)
    text = format_table(STATUS_HEADER, rows)
    lines = text.splitlines()
    assert text.endswith("\n")
    assert len(lines) == 4
    # The name column is as wide as "MedicalTimes" (12 columns; 청년의사 is 8), then two spaces.
    assert lines[0].startswith("source        state")
    assert lines[1].startswith("청년의사      ok")
    for line in lines:
        assert not line.endswith(" ")

    def column_of(line: str, cell: str) -> int:
        """The terminal column where `cell` starts in `line`."""
        return width(line[: line.index(cell)])

    assert [
        column_of(line, cell) for line, cell in zip(lines, ("state", "ok", "failing", "new"), strict=True)
    ] == [
        14,
        14,
        14,
        14,
    ]
    state_width = len("failing ×3 since 2026-12-01")
    last_success = 14 + state_width + 2
    assert [
        column_of(line, cell)
        for line, cell in zip(lines, ("last success", "1 h ago", "3 d ago", "-"), strict=True)
    ] == [last_success] * 4
