"""Scheduler time logic: schedule parsing, triggers across DST changes, catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from digest.schedule import Cron, Every, fire_times, make_trigger, missed_sends, next_fire, parse_schedule

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
SEOUL = "Asia/Seoul"


def at(
    tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, fold: int = 0
) -> datetime:
    """An aware local datetime in tz."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz), fold=fold)


def midnight(tz: str, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(tz))


# --- parse_schedule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every 60 min", Every(timedelta(minutes=60), "every 60 min")),
        ("every 2 h", Every(timedelta(hours=2), "every 2 h")),
        ("every 1 s", Every(timedelta(seconds=1), "every 1 s")),
        ("EVERY 90 SECONDS", Every(timedelta(seconds=90), "EVERY 90 SECONDS")),
        ("  every   3   hours ", Every(timedelta(hours=3), "every   3   hours")),
        ("every 7 days", Every(timedelta(days=7), "every 7 days")),
        ("every 15min", Every(timedelta(minutes=15), "every 15min")),
        ("30분", Every(timedelta(minutes=30), "30분")),
        ("every 2시간", Every(timedelta(hours=2), "every 2시간")),
        ("10분마다", Every(timedelta(minutes=10), "10분마다")),
        ("0 7 * * *", Cron("0 7 * * *")),
        ("*/15 6-22 * * 1-5", Cron("*/15 6-22 * * 1-5")),
        ("  0   7 * *  MON-FRI ", Cron("0 7 * * mon-fri")),
        ("07:00", Cron("0 7 * * *")),
        ("7:30", Cron("30 7 * * *")),
        ("23:59", Cron("59 23 * * *")),
    ],
)
def test_parse_accepts_intervals_crontabs_and_clock_times(text: str, expected: Every | Cron) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("every 0 min", "at least 1 second"),
        ("every -1 h", "positive whole number"),
        ("every 1.5 h", "positive whole number"),
        ("every 8 days", "at most 7 days"),
        ("every 2 weeks", "at most 7 days"),
        ("every 5 fortnights", "unknown unit"),
        ("every", "every N unit"),
        ("0 25 * * *", "the hour field must be 0-23"),
        ("60 7 * * *", "the minute field must be 0-59"),
        ("0 7 32 * *", "the day field must be 1-31"),
        ("0 7 * 13 *", "the month field must be 1-12"),
        ("0 7 * * 8", "the weekday field must be 0-7"),
        ("0 7 * * fri-mon", "the weekday field"),
        ("0 7 30 2 *", "never fires"),
        ("0 7 1 * 1", "not both"),
        ("25:00", "hour must be 00-23"),
        ("07:60", "minute must be 00-59"),
        ("7am", "HH:MM"),
        ("", "empty"),
        ("0 7 * *", "5 fields"),
        ("0 0 7 * * *", "got 6"),
    ],
)
def test_parse_rejects_bad_schedules_with_one_line_message_naming_the_text(text: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_schedule(text)
    message = str(caught.value)
    assert repr(text) in message
    assert says in message
    assert "\n" not in message


def test_parse_unknown_form_says_which_forms_are_accepted() -> None:
    with pytest.raises(ValueError, match="every N") as caught:
        parse_schedule("7am")
    assert "HH:MM" in str(caught.value) and "crontab" in str(caught.value)


def test_parse_normalised_cron_parses_to_itself() -> None:
    cron = parse_schedule(" 0  7 * *  SAT-SUN ")
    assert isinstance(cron, Cron)
    assert parse_schedule(cron.expression) == cron


# --- crontab semantics -------------------------------------------------------------------------------


def test_weekday_numbers_follow_standard_cron_monday_to_friday() -> None:
    trigger = make_trigger(parse_schedule("*/15 6-22 * * 1-5"), SEOUL)
    monday = date(2024, 6, 3)
    fires = fire_times(trigger, midnight(SEOUL, monday), midnight(SEOUL, monday + timedelta(days=7)))
    by_day: dict[date, list[datetime]] = {}
    for fire in fires:
        by_day.setdefault(fire.date(), []).append(fire)
    assert list(by_day) == [monday + timedelta(days=n) for n in range(5)]  # Mon..Fri, no weekend
    for day_fires in by_day.values():
        assert len(day_fires) == 17 * 4
        assert day_fires[0].time() == time(6, 0) and day_fires[-1].time() == time(22, 45)


@pytest.mark.parametrize("text", ["0 7 * * 0", "0 7 * * 7", "0 7 * * sun"])
def test_weekday_zero_and_seven_are_sunday(text: str) -> None:
    trigger = make_trigger(parse_schedule(text), SEOUL)
    fires = fire_times(trigger, at(SEOUL, 2024, 6, 1), at(SEOUL, 2024, 6, 30))
    assert [f.date() for f in fires] == [
        date(2024, 6, 2),
        date(2024, 6, 9),
        date(2024, 6, 16),
        date(2024, 6, 23),
    ]
    assert all(f.strftime("%a %H:%M") == "Sun 07:00" for f in fires)


def test_weekend_range_and_weekday_steps() -> None:
    weekend = make_trigger(parse_schedule("0 7 * * sat-sun"), SEOUL)
    fires = fire_times(weekend, at(SEOUL, 2024, 6, 3), at(SEOUL, 2024, 6, 10))
    assert [f.strftime("%a") for f in fires] == ["Sat", "Sun"]
    every_other = make_trigger(parse_schedule("0 7 * * */2"), SEOUL)  # cron: Sun, Tue, Thu, Sat
    fires = fire_times(every_other, at(SEOUL, 2024, 6, 3), at(SEOUL, 2024, 6, 10))
    assert [f.strftime("%a") for f in fires] == ["Tue", "Thu", "Sat", "Sun"]


def test_make_trigger_rejects_unknown_time_zone() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        make_trigger(Cron("0 7 * * *"), "Mars/Olympus")


# --- DST ---------------------------------------------------------------------------------------------

DST_CASES = [
    # (crontab, zone, day of the change, local wall time of that day's fire, its UTC offset in hours)
    ("30 2 * * *", BERLIN, date(2024, 3, 31), time(3, 30), 2),  # 02:30 does not exist: shifted by the gap
    ("30 2 * * *", BERLIN, date(2024, 10, 27), time(2, 30), 2),  # 02:30 happens twice: first one only
    ("0 7 * * *", BERLIN, date(2024, 3, 31), time(7, 0), 2),
    ("0 7 * * *", BERLIN, date(2024, 10, 27), time(7, 0), 1),
    ("30 2 * * *", NEW_YORK, date(2024, 3, 10), time(3, 30), -4),
    ("30 2 * * *", NEW_YORK, date(2024, 11, 3), time(2, 30), -5),
    ("30 1 * * *", NEW_YORK, date(2024, 3, 10), time(1, 30), -5),
    ("30 1 * * *", NEW_YORK, date(2024, 11, 3), time(1, 30), -4),  # 01:30 happens twice in New York
    ("0 7 * * *", NEW_YORK, date(2024, 3, 10), time(7, 0), -4),
    ("0 7 * * *", NEW_YORK, date(2024, 11, 3), time(7, 0), -5),
    ("30 2 * * *", SEOUL, date(2024, 3, 31), time(2, 30), 9),
    ("0 7 * * *", SEOUL, date(2024, 10, 27), time(7, 0), 9),
]


@pytest.mark.parametrize(("text", "tz", "change", "wall", "offset"), DST_CASES)
def test_cron_fires_once_per_local_date_around_dst_change(
    text: str, tz: str, change: date, wall: time, offset: int
) -> None:
    trigger = make_trigger(parse_schedule(text), tz)
    first = change - timedelta(days=5)
    fires = fire_times(trigger, midnight(tz, first), midnight(tz, first + timedelta(days=10)))
    assert [f.date() for f in fires] == [first + timedelta(days=n) for n in range(10)]
    scheduled = time(int(text.split()[1]), int(text.split()[0]))
    for fire in fires:
        assert fire.tzinfo == ZoneInfo(tz)
        if fire.date() == change:
            assert fire.time() == wall
            assert fire.utcoffset() == timedelta(hours=offset)
        else:
            assert fire.time() == scheduled


def test_cron_skips_repeated_wall_times_for_every_scheduled_minute() -> None:
    trigger = make_trigger(parse_schedule("*/30 * * * *"), BERLIN)
    fires = fire_times(trigger, at(BERLIN, 2024, 10, 27, 1, 45), at(BERLIN, 2024, 10, 27, 3, 45))
    assert [f.strftime("%H:%M%z") for f in fires] == ["02:00+0200", "02:30+0200", "03:00+0100", "03:30+0100"]


def test_next_fire_between_the_two_occurrences_goes_to_the_next_day() -> None:
    trigger = make_trigger(parse_schedule("30 2 * * *"), BERLIN)
    between = at(BERLIN, 2024, 10, 27, 2, 45)  # after 02:30+02:00, before 02:30+01:00
    assert next_fire(trigger, between) == at(BERLIN, 2024, 10, 28, 2, 30)


@pytest.mark.parametrize(
    "start", [datetime(2024, 10, 26, 22, tzinfo=UTC), datetime(2024, 3, 30, 22, tzinfo=UTC)]
)
def test_every_keeps_real_elapsed_time_across_dst(start: datetime) -> None:
    trigger = make_trigger(parse_schedule("every 1 h"), BERLIN, start=start)
    fires = fire_times(trigger, start, start + timedelta(hours=6))
    assert len(fires) == 6
    gaps = {(b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() for a, b in pairwise(fires)}
    assert gaps == {3600.0}
    walls = [f.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") for f in fires]
    if start.month == 10:
        assert walls.count("02:00") == 2  # the repeated hour is a real hour of collecting
    else:
        assert "02:00" not in walls


def test_every_without_start_fires_on_the_local_clock() -> None:
    hourly = make_trigger(parse_schedule("every 1 h"), SEOUL)
    assert next_fire(hourly, at(SEOUL, 2024, 6, 1, 10, 17)) == at(SEOUL, 2024, 6, 1, 11, 0)
    quarter = make_trigger(parse_schedule("every 15 min"), SEOUL)
    assert next_fire(quarter, at(SEOUL, 2024, 6, 1, 10, 17)) == at(SEOUL, 2024, 6, 1, 10, 30)


def test_every_with_start_counts_from_start() -> None:
    start = at(SEOUL, 2024, 6, 1, 10, 17)
    trigger = make_trigger(parse_schedule("every 30 min"), SEOUL, start=start)
    assert fire_times(trigger, start, start + timedelta(hours=1)) == [
        at(SEOUL, 2024, 6, 1, 10, 47),
        at(SEOUL, 2024, 6, 1, 11, 17),
    ]


# --- fire_times / next_fire bounds -------------------------------------------------------------------


def test_fire_times_excludes_after_and_includes_until() -> None:
    trigger = make_trigger(parse_schedule("07:00"), SEOUL)
    fires = fire_times(trigger, at(SEOUL, 2024, 6, 1, 7), at(SEOUL, 2024, 6, 3, 7))
    assert fires == [at(SEOUL, 2024, 6, 2, 7), at(SEOUL, 2024, 6, 3, 7)]
    assert fire_times(trigger, at(SEOUL, 2024, 6, 1, 7), at(SEOUL, 2024, 6, 2, 6, 59)) == []
    assert fire_times(trigger, at(SEOUL, 2024, 6, 3), at(SEOUL, 2024, 6, 1)) == []


def test_fire_times_bounds_for_intervals() -> None:
    start = at(SEOUL, 2024, 6, 1, 0)
    trigger = make_trigger(parse_schedule("every 1 h"), SEOUL, start=start)
    fires = fire_times(trigger, start, start + timedelta(hours=3))
    assert fires == [start + timedelta(hours=n) for n in (1, 2, 3)]


def test_fire_times_refuses_too_many_fires_and_naive_datetimes() -> None:
    trigger = make_trigger(parse_schedule("every 1 s"), SEOUL)
    with pytest.raises(ValueError, match="shorter range"):
        fire_times(trigger, at(SEOUL, 2024, 6, 1), at(SEOUL, 2024, 6, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        fire_times(trigger, datetime(2024, 6, 1), at(SEOUL, 2024, 6, 2))


def test_next_fire_is_strictly_after_now() -> None:
    trigger = make_trigger(parse_schedule("0 7 * * *"), SEOUL)
    assert next_fire(trigger, at(SEOUL, 2024, 6, 1, 6, 59)) == at(SEOUL, 2024, 6, 1, 7)
    assert next_fire(trigger, at(SEOUL, 2024, 6, 1, 7)) == at(SEOUL, 2024, 6, 2, 7)
    assert next_fire(trigger, datetime(2024, 6, 1, 0, tzinfo=UTC)) == at(SEOUL, 2024, 6, 2, 7)  # 09:00 KST


# --- missed_sends ------------------------------------------------------------------------------------

DAILY = Cron("0 7 * * *")
HOURS_2 = timedelta(hours=2)
CatchUp = Literal["one", "each_day"]


def test_never_sent_sends_nothing_at_startup() -> None:
    assert missed_sends(DAILY, SEOUL, None, at(SEOUL, 2024, 6, 4, 7, 30), HOURS_2, "one") == []
    assert missed_sends(DAILY, SEOUL, None, at(SEOUL, 2024, 6, 4, 7, 30), HOURS_2, "each_day") == []


@pytest.mark.parametrize("catch_up", ["one", "each_day"])
def test_nothing_missed_sends_nothing(catch_up: CatchUp) -> None:
    last = at(SEOUL, 2024, 6, 4, 7)
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 4, 9), HOURS_2, catch_up) == []
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 5, 6, 59), HOURS_2, catch_up) == []


def test_one_missed_within_grace_sends_today() -> None:
    last = at(SEOUL, 2024, 6, 3, 7)
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 4, 7, 30), HOURS_2, "one") == [
        date(2024, 6, 4)
    ]
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 4, 7), HOURS_2, "one") == [date(2024, 6, 4)]
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 4, 9), HOURS_2, "one") == [date(2024, 6, 4)]


def test_three_missed_mornings() -> None:
    last, now = at(SEOUL, 2024, 6, 1, 7), at(SEOUL, 2024, 6, 4, 7, 10)
    assert missed_sends(DAILY, SEOUL, last, now, HOURS_2, "one") == [date(2024, 6, 4)]
    assert missed_sends(DAILY, SEOUL, last, now, HOURS_2, "each_day") == [
        date(2024, 6, 2),
        date(2024, 6, 3),
        date(2024, 6, 4),
    ]


def test_each_day_keeps_the_newest_max_days() -> None:
    last, now = at(SEOUL, 2024, 5, 1, 7), at(SEOUL, 2024, 6, 4, 7, 10)
    newest_week = [date(2024, 5, 29) + timedelta(days=n) for n in range(7)]
    assert missed_sends(DAILY, SEOUL, last, now, HOURS_2, "each_day") == newest_week
    assert missed_sends(DAILY, SEOUL, last, now, HOURS_2, "each_day", max_days=3) == newest_week[-3:]


@pytest.mark.parametrize("catch_up", ["one", "each_day"])
def test_newest_missed_send_beyond_grace_sends_nothing(catch_up: CatchUp) -> None:
    last = at(SEOUL, 2024, 6, 1, 7)
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 4, 9, 0, 1), HOURS_2, catch_up) == []
    assert missed_sends(DAILY, SEOUL, last, at(SEOUL, 2024, 6, 4, 9), HOURS_2, catch_up) != []


def test_one_uses_the_date_the_newest_missed_send_stood_for() -> None:
    late = Cron("0 23 * * *")
    last, now = at(SEOUL, 2024, 6, 2, 23), at(SEOUL, 2024, 6, 4, 0, 30)  # missed 06-03 23:00
    # The evening's digest, caught up after midnight, is 06-03's: 06-04's comes at 06-04 23:00.
    assert missed_sends(late, SEOUL, last, now, HOURS_2, "one") == [date(2024, 6, 3)]
    assert missed_sends(late, SEOUL, last, now, HOURS_2, "each_day") == [date(2024, 6, 3)]


def test_dates_are_local_to_the_digest_time_zone() -> None:
    last = datetime(2024, 6, 2, 22, tzinfo=UTC)  # 06-03 07:00 KST
    now = datetime(2024, 6, 4, 22, 30, tzinfo=UTC)  # 06-05 07:30 KST
    assert missed_sends(DAILY, SEOUL, last, now, HOURS_2, "each_day") == [date(2024, 6, 4), date(2024, 6, 5)]
    assert missed_sends(DAILY, SEOUL, last, now, HOURS_2, "one") == [date(2024, 6, 5)]


def test_interval_sends_are_counted_from_the_last_send() -> None:
    every_6h = parse_schedule("every 6 h")
    last, now = at(SEOUL, 2024, 6, 1, 18, 5), at(SEOUL, 2024, 6, 3, 1, 0)  # missed up to 06-03 00:05
    assert missed_sends(every_6h, SEOUL, last, now, HOURS_2, "each_day") == [
        date(2024, 6, 2),
        date(2024, 6, 3),
    ]
    before_next = at(SEOUL, 2024, 6, 3, 0, 3)  # 06-03 00:05 is not due yet
    assert missed_sends(every_6h, SEOUL, last, before_next, timedelta(hours=12), "each_day") == [
        date(2024, 6, 2)
    ]
    assert missed_sends(every_6h, SEOUL, last, at(SEOUL, 2024, 6, 3, 2, 6), HOURS_2, "each_day") == []


def test_fall_back_repeat_is_not_a_missed_send() -> None:
    night = Cron("30 2 * * *")
    sent = at(BERLIN, 2024, 10, 27, 2, 30)  # 02:30+02:00, the first of the two 02:30s
    now = at(BERLIN, 2024, 10, 27, 2, 45, fold=1)  # after the second 02:30 (+01:00)
    assert now.astimezone(UTC) > at(BERLIN, 2024, 10, 27, 2, 30, fold=1).astimezone(UTC)
    assert missed_sends(night, BERLIN, sent, now, timedelta(hours=6), "one") == []
    assert missed_sends(night, BERLIN, sent, now, timedelta(hours=6), "each_day") == []


def test_missed_sends_across_dst_change_count_each_day_once() -> None:
    night = Cron("30 2 * * *")
    last, now = at(BERLIN, 2024, 10, 25, 2, 30), at(BERLIN, 2024, 10, 28, 3)
    assert missed_sends(night, BERLIN, last, now, HOURS_2, "each_day") == [
        date(2024, 10, 26),
        date(2024, 10, 27),
        date(2024, 10, 28),
    ]


def test_grace_is_real_elapsed_time_across_fall_back() -> None:
    one_am = Cron("0 1 * * *")
    last = at(BERLIN, 2024, 10, 26, 1)
    now = at(BERLIN, 2024, 10, 27, 2, 30, fold=1)  # 2.5 real hours after 01:00+02:00, 1.5 by the wall clock
    assert missed_sends(one_am, BERLIN, last, now, timedelta(hours=2), "one") == []
    assert missed_sends(one_am, BERLIN, last, now, timedelta(hours=3), "one") == [date(2024, 10, 27)]


def test_spring_forward_send_happens_after_the_gap() -> None:
    night = Cron("30 2 * * *")
    last = at(BERLIN, 2024, 3, 30, 2, 30)
    assert missed_sends(night, BERLIN, last, at(BERLIN, 2024, 3, 31, 3, 15), HOURS_2, "each_day") == []
    assert missed_sends(night, BERLIN, last, at(BERLIN, 2024, 3, 31, 4), HOURS_2, "each_day") == [
        date(2024, 3, 31)
    ]


def test_missed_sends_rejects_bad_arguments() -> None:
    last, now = at(SEOUL, 2024, 6, 1, 7), at(SEOUL, 2024, 6, 4, 7, 10)
    with pytest.raises(ValueError, match="catch_up"):
        missed_sends(DAILY, SEOUL, last, now, HOURS_2, "all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        missed_sends(DAILY, SEOUL, last, datetime(2024, 6, 4, 7, 10), HOURS_2, "one")
    with pytest.raises(ValueError, match="max_days"):
        missed_sends(DAILY, SEOUL, last, now, HOURS_2, "each_day", max_days=0)
    with pytest.raises(ValueError, match="Nowhere/City"):
        missed_sends(DAILY, "Nowhere/City", last, now, HOURS_2, "one")


def test_last_fire_is_the_newest_scheduled_time_not_after_now() -> None:
    from digest.schedule import last_fire

    seoul = ZoneInfo("Asia/Seoul")
    now = datetime(2024, 6, 13, 9, 30, tzinfo=seoul)
    assert last_fire(parse_schedule("0 7 * * *"), "Asia/Seoul", now) == datetime(
        2024, 6, 13, 7, 0, tzinfo=seoul
    )
    early = datetime(2024, 6, 13, 6, 59, tzinfo=seoul)
    assert last_fire(parse_schedule("07:00"), "Asia/Seoul", early) == datetime(
        2024, 6, 12, 7, 0, tzinfo=seoul
    )
    # Frequent schedules do not run into the fire-count guard.
    assert last_fire(parse_schedule("* * * * *"), "Asia/Seoul", now) == now.replace(minute=30)
    assert last_fire(parse_schedule("every 2 s"), "Asia/Seoul", now) == now
    assert last_fire(parse_schedule("0 7 1 1 *"), "Asia/Seoul", now) == datetime(
        2024, 1, 1, 7, 0, tzinfo=seoul
    )
