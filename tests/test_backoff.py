"""Politeness and backoff per source: Retry-After and max-age read from headers, backoff growing
with consecutive failures (jittered, capped) and forgotten on success, 410 Gone, due()."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from digest.backoff import (
    MAX_RETRY_AFTER,
    Health,
    after_failure,
    after_success,
    backoff,
    due,
    max_age,
    moved,
    retry_after,
)

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 10, 21, 16, 0, tzinfo=KST)  # 07:00 GMT


def fail(h: Health, times: int, *, now: datetime = NOW, rng: random.Random | None = None) -> Health:
    for _ in range(times):
        h = after_failure(h, now, "HTTP 500", status=500, rng=rng)
    return h


# --- retry_after ----------------------------------------------------------------------------------


def test_retry_after_delta_seconds() -> None:
    assert retry_after("120", NOW) == timedelta(seconds=120)
    assert retry_after("  0 ", NOW) == timedelta(0)


def test_retry_after_http_date_is_measured_from_now() -> None:
    assert retry_after("Wed, 21 Oct 2026 07:28:00 GMT", NOW) == timedelta(minutes=28)


def test_retry_after_date_without_weekday_or_zone_is_gmt() -> None:
    assert retry_after("21 Oct 2026 07:28:00", NOW) == timedelta(minutes=28)


def test_retry_after_date_in_the_past_is_no_wait() -> None:
    assert retry_after("Tue, 20 Oct 2026 07:28:00 GMT", NOW) == timedelta(0)


@pytest.mark.parametrize(
    "value", [None, "", "soon", "-5", "+5", "1.5", "120s", "Wed, 99 Oct 2026 07:28:00 GMT"]
)
def test_retry_after_garbage_or_negative_is_none(value: str | None) -> None:
    assert retry_after(value, NOW) is None


def test_retry_after_huge_is_capped_at_seven_days() -> None:
    assert retry_after("9" * 40, NOW) == MAX_RETRY_AFTER == timedelta(days=7)
    assert retry_after("Fri, 01 Jan 2100 00:00:00 GMT", NOW) == MAX_RETRY_AFTER


# --- max_age --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("max-age=300", timedelta(seconds=300)),
        ("public, max-age=600", timedelta(seconds=600)),
        ("Max-Age = 60", timedelta(seconds=60)),
        ('max-age="90"', timedelta(seconds=90)),
        ("public, s-maxage=120", timedelta(seconds=120)),
        ("s-maxage=120, max-age=30", timedelta(seconds=30)),  # max-age is the private client's
        ("max-age=0", timedelta(0)),
        ("max-age=31536000", timedelta(hours=1)),
    ],
)
def test_max_age_forms(header: str, expected: timedelta) -> None:
    assert max_age(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "public",
        "no-cache",
        "max-age=600, no-cache",
        "no-store, max-age=600",
        "max-age=abc",
        "max-age",
        "max-age=-1",
    ],
)
def test_max_age_absent_forbidden_or_malformed_is_none(header: str | None) -> None:
    assert max_age(header) is None


# --- backoff --------------------------------------------------------------------------------------


def test_first_failure_waits_for_the_next_collect_only() -> None:
    h = fail(Health(), 1)
    assert h.failures == 1
    assert h.first_failure == NOW
    assert h.last_error == "HTTP 500"
    assert h.not_before is None
    assert due(h, NOW)


def test_backoff_doubles_from_fifteen_minutes_and_caps_at_a_day() -> None:
    delays = [backoff(n) for n in range(1, 12)]
    minutes = [d / timedelta(minutes=1) for d in delays]
    assert minutes == [0, 15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]
    assert backoff(10_000) == timedelta(hours=24)


def test_repeated_failures_push_not_before_further() -> None:
    h = Health()
    waits = []
    for _ in range(4):
        h = after_failure(h, NOW, "timeout")
        waits.append(h.not_before - NOW if h.not_before else timedelta(0))
    assert waits == [timedelta(0), timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)]
    assert h.failures == 4
    assert h.first_failure == NOW  # the run of failures began at the first one


def test_first_failure_is_kept_across_failures() -> None:
    h = after_failure(Health(), NOW, "timeout")
    later = NOW + timedelta(hours=5)
    h = after_failure(h, later, "refused")
    assert h.first_failure == NOW
    assert h.last_error == "refused"


def test_error_is_stored_as_one_line() -> None:
    h = after_failure(Health(), NOW, "connection\nreset\tby peer")
    assert h.last_error == "connection reset by peer"


def test_equal_jitter_stays_within_half_and_full_delay() -> None:
    for failures in (2, 3, 5, 12):
        full = backoff(failures)
        for seed in range(50):
            jittered = backoff(failures, random.Random(seed))
            assert full / 2 <= jittered <= full


def test_jitter_differs_between_seeds_and_repeats_with_the_same_seed() -> None:
    one = fail(Health(), 3, rng=random.Random(1))
    two = fail(Health(), 3, rng=random.Random(2))
    again = fail(Health(), 3, rng=random.Random(1))
    assert one.not_before != two.not_before
    assert one.not_before == again.not_before
    for h in (one, two):
        assert h.not_before is not None
        assert NOW + timedelta(minutes=15) <= h.not_before <= NOW + timedelta(minutes=30)


def test_success_forgets_the_failures_and_the_backoff() -> None:
    h = fail(Health(), 5)
    assert not due(h, NOW)
    later = NOW + timedelta(hours=3)
    ok = after_success(h, later)
    assert ok.failures == 0
    assert ok.first_failure is None
    assert ok.last_error is None
    assert ok.last_success == later
    assert ok.not_before is None
    assert due(ok, later)
    assert after_failure(ok, later, "timeout").not_before is None  # the next failure is a first one again


# --- 410, 429, 503 --------------------------------------------------------------------------------


def test_gone_source_is_never_due() -> None:
    h = after_failure(Health(), NOW, "HTTP 410 Gone", status=410)
    assert h.gone
    assert not due(h, NOW)
    assert not due(h, NOW + timedelta(days=365))


def test_gone_source_that_answers_again_is_back() -> None:
    h = after_failure(Health(), NOW, "HTTP 410 Gone", status=410)
    assert due(after_success(h, NOW), NOW)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_over_the_backoff(status: int) -> None:
    h = fail(Health(), 9)  # the backoff would be 24 h
    h = after_failure(h, NOW, f"HTTP {status}", status=status, retry_after=timedelta(minutes=5))
    assert h.not_before == NOW + timedelta(minutes=5)
    assert h.failures == 10
    h = after_failure(Health(), NOW, f"HTTP {status}", status=status, retry_after=timedelta(hours=2))
    assert h.not_before == NOW + timedelta(hours=2)  # even on a first failure


def test_retry_after_on_a_throttle_is_capped_at_seven_days() -> None:
    h = after_failure(Health(), NOW, "HTTP 429", status=429, retry_after=timedelta(days=30))
    assert h.not_before == NOW + timedelta(days=7)


def test_throttle_without_retry_after_backs_off_like_a_failure() -> None:
    h = after_failure(Health(), NOW, "HTTP 429", status=429)
    assert h.not_before is None
    h = after_failure(h, NOW, "HTTP 429", status=429)
    assert h.not_before == NOW + timedelta(minutes=15)


def test_retry_after_is_ignored_for_other_statuses() -> None:
    h = after_failure(Health(), NOW, "HTTP 500", status=500, retry_after=timedelta(hours=3))
    assert h.not_before is None


# --- after_success: the server's wishes, newest item, empty listings -----------------------------


def test_success_with_retry_after_or_max_age_waits_the_larger() -> None:
    h = after_success(Health(), NOW, retry_after=timedelta(hours=2), max_age=timedelta(minutes=10))
    assert h.not_before == NOW + timedelta(hours=2)
    h = after_success(Health(), NOW, max_age=timedelta(minutes=10))
    assert h.not_before == NOW + timedelta(minutes=10)
    h = after_success(Health(), NOW, max_age=max_age("max-age=259200"))
    assert h.not_before == NOW + timedelta(hours=1)  # max-age never keeps us away more than a collect
    assert not due(h, NOW + timedelta(minutes=59))
    assert due(h, NOW + timedelta(hours=1))


def test_newest_item_only_moves_forward() -> None:
    h = after_success(Health(), NOW, newest=NOW - timedelta(days=1))
    h = after_success(h, NOW, newest=NOW - timedelta(days=5))
    assert h.newest_item == NOW - timedelta(days=1)
    h = after_success(h, NOW)
    assert h.newest_item == NOW - timedelta(days=1)
    h = after_success(h, NOW, newest=NOW)
    assert h.newest_item == NOW


def test_empty_listings_count_up_and_reset() -> None:
    h = after_success(Health(), NOW, links_found=0)
    h = after_success(h, NOW, links_found=0)
    assert h.empty_listings == 2
    assert after_success(h, NOW).empty_listings == 2  # a feed, or not known: unchanged
    assert after_failure(h, NOW, "timeout").empty_listings == 2
    assert after_success(h, NOW, links_found=12).empty_listings == 0


# --- due, moved -----------------------------------------------------------------------------------


def test_due_before_and_after_not_before() -> None:
    h = Health(not_before=NOW + timedelta(minutes=30))
    assert not due(h, NOW)
    assert not due(h, NOW + timedelta(minutes=29, seconds=59))
    assert due(h, NOW + timedelta(minutes=30))
    assert due(h, (NOW + timedelta(hours=1)).astimezone(UTC))
    assert due(Health(), NOW)


def test_moved_records_a_permanent_redirect_once() -> None:
    h = moved(Health(), "https://new.example/rss")
    assert h.moved_to == "https://new.example/rss"
    assert moved(h, "https://new.example/rss") is h
    assert moved(h, "https://newer.example/rss").moved_to == "https://newer.example/rss"
    assert after_success(h, NOW).moved_to == "https://new.example/rss"
