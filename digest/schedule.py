"""Pure time logic of the resident scheduler: parse schedules, build triggers, decide catch-up sends.

No I/O and no sleeping: the clock is always a parameter.

DST behaviour of cron schedules (``make_trigger`` with a ``Cron``), checked against APScheduler 3.11:

* Fall back (a wall time happens twice, e.g. 02:30 in Europe/Berlin on 2024-10-27): APScheduler's
  ``CronTrigger`` fires at both instants; ``WallClockCronTrigger`` fires only at the first one
  (02:30+02:00) and skips the repeat (02:30+01:00).
* Spring forward (a wall time does not exist, e.g. 02:30 in Europe/Berlin on 2024-03-31): like
  ``CronTrigger`` it fires once that day, shifted by the length of the gap (02:30 -> 03:30+02:00, the
  instant 02:30 would have been without the change); the returned datetime is the real local time.

Fire times are aware datetimes in the schedule's zone. Two of them in the same ZoneInfo compare by
wall time, ignoring ``fold`` (PEP 495), so compare them in UTC across a fall-back hour.

Crontab weekdays follow standard cron (0 and 7 = Sunday, 1 = Monday), not APScheduler 3's
``from_crontab`` (0 = Monday); numbers are translated to names before APScheduler sees them.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = [
    "Cron",
    "Every",
    "Schedule",
    "WallClockCronTrigger",
    "fire_times",
    "last_fire",
    "make_trigger",
    "missed_sends",
    "next_fire",
    "parse_schedule",
]

MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=7)
MAX_FIRES = 10_000  # cap on trigger steps in one computation: a guard against endless loops
_TICK = timedelta(microseconds=1)

_FORMS = "use 'every N s|min|h|d' (e.g. 'every 30 min'), a daily time 'HH:MM' (e.g. '07:00') or a 5-field crontab (e.g. '0 7 * * *')"
_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "초"), timedelta(seconds=1)),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "분"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "시간"), timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days", "일"), timedelta(days=1)),
    **dict.fromkeys(("w", "week", "weeks", "주"), timedelta(weeks=1)),
}
_EVERY_RE = re.compile(r"every\s*(?P<n>[+-]?\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z가-힣]+)")
_KOREAN_RE = re.compile(
    r"(?:every|매)?\s*(?P<n>[+-]?\d+(?:[.,]\d+)?)\s*(?P<unit>초|분|시간|일|주)\s*(?:마다)?"
)
_CLOCK_RE = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})")
_FIELDS = (  # crontab field: (label, APScheduler field name, allowed values)
    ("minute", "minute", "0-59"),
    ("hour", "hour", "0-23"),
    ("day", "day", "1-31"),
    ("month", "month", "1-12 or jan-dec"),
)
_CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # index = crontab number
_WEEKDAY_PART_RE = re.compile(r"(?:(?P<star>\*)|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?")
_NEVER_FIRES_FROM = datetime(2000, 1, 1, tzinfo=UTC)
_INTERVAL_ANCHOR = datetime(2000, 1, 1)  # local midnight: 'every 1 h' fires on the hour by default


@dataclass(frozen=True)
class Every:
    """An interval schedule, e.g. for collecting."""

    interval: timedelta
    text: str  # as written by the user


@dataclass(frozen=True)
class Cron:
    """A 5-field crontab schedule (standard cron weekdays: 0 and 7 = Sunday), e.g. for sending."""

    expression: str  # normalised, e.g. "0 7 * * *"


Schedule = Every | Cron


def parse_schedule(text: str) -> Schedule:
    """Parse 'every N unit', 'HH:MM' or a 5-field crontab; raise ValueError saying what is accepted."""
    words = text.split()
    low = " ".join(words).lower()
    shown = repr(text.strip())
    if not low:
        raise ValueError(f"{shown}: the schedule is empty; {_FORMS}")
    if match := _KOREAN_RE.fullmatch(low):
        return _every(text, shown, match["n"], match["unit"])
    if low.startswith("every"):
        if not (match := _EVERY_RE.fullmatch(low)):
            raise ValueError(f"{shown}: write 'every N unit' with N a whole number, e.g. 'every 30 min'")
        return _every(text, shown, match["n"], match["unit"])
    if match := _CLOCK_RE.fullmatch(low):
        hour, minute = int(match["h"]), int(match["m"])
        if hour > 23:
            raise ValueError(f"{shown}: the hour must be 00-23")
        if minute > 59:
            raise ValueError(f"{shown}: the minute must be 00-59")
        return Cron(f"{minute} {hour} * * *")
    if len(words) == 5:
        return _cron(words, shown)
    if len(words) >= 3 or "*" in low:
        raise ValueError(
            f"{shown}: a crontab needs 5 fields (minute hour day month weekday), got {len(words)}; "
            "e.g. '0 7 * * *' for 07:00 daily"
        )
    raise ValueError(f"{shown} is not a schedule; {_FORMS}")


def _every(text: str, shown: str, number: str, unit: str) -> Every:
    """Build an Every from a matched count and unit, checking the bounds."""
    if unit not in _UNITS:
        raise ValueError(
            f"{shown}: unknown unit {unit!r}; use s, min, h, d or w (seconds, minutes, hours, days, weeks)"
        )
    if not number.lstrip("+").isdigit():
        raise ValueError(f"{shown}: the count must be a positive whole number, e.g. 'every 90 min'")
    interval = int(number) * _UNITS[unit]
    if interval < MIN_INTERVAL:
        raise ValueError(f"{shown}: the interval must be at least 1 second")
    if interval > MAX_INTERVAL:
        raise ValueError(f"{shown}: the interval must be at most 7 days")
    return Every(interval, text.strip())


def _cron(words: list[str], shown: str) -> Cron:
    """Validate a 5-field crontab (field by field, then with CronTrigger.from_crontab) and normalise it."""
    fields = [word.lower() for word in words]
    for (label, name, allowed), value in zip(_FIELDS, fields, strict=False):
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError:
            raise ValueError(
                f"{shown}: the {label} field must be {allowed} (a number, range a-b, list a,b or step */n), "
                f"got {value!r}"
            ) from None
    weekday = _weekday_field(fields[4], shown)
    if not fields[2].startswith("*") and not fields[4].startswith("*"):
        raise ValueError(
            f"{shown}: restrict either the day of month or the weekday, not both "
            "(cron would fire on either, APScheduler only on both); use '*' for one of them"
        )
    try:
        trigger = CronTrigger.from_crontab(" ".join([*fields[:4], weekday]), timezone=UTC)
    except ValueError as exc:
        raise ValueError(f"{shown}: not a valid crontab ({exc})") from None
    if trigger.get_next_fire_time(None, _NEVER_FIRES_FROM) is None:
        raise ValueError(f"{shown}: this crontab never fires (no such date); check the day and month")
    return Cron(" ".join(fields))


def _weekday_field(value: str, shown: str) -> str:
    """Translate a crontab weekday field (0/7 = Sunday) into APScheduler 3 day names."""
    if value == "*":
        return "*"
    days: set[int] = set()
    for part in value.split(","):
        match = _WEEKDAY_PART_RE.fullmatch(part)
        try:
            if match is None:
                raise ValueError(part)
            if match["star"]:
                first, last = 0, 6
            else:
                first = _weekday_number(match["first"], at_end=False)
                if match["last"] is not None:
                    last = _weekday_number(match["last"], at_end=True)
                else:
                    last = 7 if match["step"] else first  # 'a/n' runs from a to the end of the week
            step = int(match["step"] or "1")
            if step < 1 or first > last:
                raise ValueError(part)
        except ValueError:
            raise ValueError(
                f"{shown}: the weekday field must be 0-7 or sun-sat (0 and 7 = Sunday, 1 = Monday), "
                f"as a number, range a-b, list a,b or step */n, got {value!r}"
            ) from None
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_CRON_WEEKDAYS[day] for day in sorted(days))


def _weekday_number(token: str, *, at_end: bool) -> int:
    """A crontab weekday number 0-7 from a number or a name ('sun' ending a range is 7)."""
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _CRON_WEEKDAYS:
        number = _CRON_WEEKDAYS.index(token)
        return 7 if at_end and number == 0 else number
    raise ValueError(token)


def _zone(tz: str) -> tzinfo:
    """The time zone named tz, or a ValueError naming it."""
    if tz == "UTC":
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz!r}; use an IANA name such as 'Asia/Seoul' or 'UTC'"
        ) from None


def _utc(value: datetime) -> datetime:
    """value in UTC: compare through this, since same-zone comparisons ignore fold (PEP 495)."""
    return value.astimezone(UTC)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value.isoformat()}")


class WallClockCronTrigger(BaseTrigger):  # type: ignore[misc]
    """A CronTrigger that fires exactly once per scheduled local wall-clock time, also across DST."""

    def __init__(self, cron: CronTrigger, zone: tzinfo) -> None:
        self.cron = cron
        self.zone = zone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The cron's next fire time in local time, skipping the repeat of a fall-back wall time."""
        previous, current = previous_fire_time, now
        for _ in range(MAX_FIRES):
            fire: datetime | None = self.cron.get_next_fire_time(previous, current)
            if fire is None:
                return None
            local = fire.astimezone(UTC).astimezone(self.zone)  # a real local time, also after a gap
            if not _is_repeated_wall_time(local):
                return local
            previous = current = fire
        return None

    def __str__(self) -> str:
        return f"wall_clock_{self.cron}"

    def __repr__(self) -> str:
        return f"<WallClockCronTrigger ({self.cron!r})>"


def _is_repeated_wall_time(local: datetime) -> bool:
    """True for the second occurrence of a local wall time that happens twice (fall back)."""
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def make_trigger(schedule: Schedule, tz: str, start: datetime | None = None) -> BaseTrigger:
    """An APScheduler 3 trigger for schedule in zone tz.

    Every: an IntervalTrigger of real elapsed time, anchored at start (default: local midnight of
    2000-01-01, so 'every 1 h' fires on the hour). Cron: a WallClockCronTrigger (not before start).
    """
    zone = _zone(tz)
    if start is not None:
        _require_aware(start, "start")
    if isinstance(schedule, Every):
        anchor = start if start is not None else _INTERVAL_ANCHOR.replace(tzinfo=zone)
        seconds = int(schedule.interval.total_seconds())
        return IntervalTrigger(seconds=seconds, start_date=anchor, timezone=zone)
    minute, hour, day, month, weekday = schedule.expression.split()
    cron = CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_field(weekday, repr(schedule.expression)),
        start_date=start,
        timezone=zone,
    )
    return WallClockCronTrigger(cron, zone)


def _first_after(trigger: BaseTrigger, moment: datetime, previous: datetime | None = None) -> datetime | None:
    """The first fire time strictly after moment (continuing from previous, when given)."""
    fire: datetime | None = trigger.get_next_fire_time(previous, moment)
    for _ in range(MAX_FIRES):
        if fire is None or _utc(fire) > _utc(moment):
            return fire
        fire = trigger.get_next_fire_time(fire, fire)
    raise ValueError(f"the trigger {trigger} does not advance past {moment.isoformat()}")


def fire_times(trigger: BaseTrigger, after: datetime, until: datetime) -> list[datetime]:
    """All fire times t with after < t <= until, oldest first (at most MAX_FIRES, else ValueError)."""
    _require_aware(after, "after")
    _require_aware(until, "until")
    times: list[datetime] = []
    fire = _first_after(trigger, after)
    while fire is not None and _utc(fire) <= _utc(until):
        if len(times) == MAX_FIRES:
            raise ValueError(
                f"more than {MAX_FIRES} fire times between {after.isoformat()} and {until.isoformat()}; "
                "use a shorter range"
            )
        times.append(fire)
        fire = _first_after(trigger, fire, previous=fire)
    return times


def next_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The first fire time strictly after now, or None if the trigger never fires again."""
    _require_aware(now, "now")
    return _first_after(trigger, now)


def last_fire(schedule: Schedule, tz: str, now: datetime) -> datetime | None:
    """The newest fire time not after `now` (the scheduled time a job running now stands for),
    looking back at most a year; None when there is none."""
    _require_aware(now, "now")
    trigger = make_trigger(schedule, tz)
    for back in (
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(days=8),
        timedelta(days=32),
        timedelta(days=366),
    ):
        try:
            recent = fire_times(trigger, now - back, now)
        except ValueError:
            continue  # too many fires in this window: a shorter one already had one
        if recent:
            return recent[-1]
    return None


def missed_sends(
    send: Schedule,
    tz: str,
    last_send: datetime | None,
    now: datetime,
    grace: timedelta,
    catch_up: Literal["one", "each_day"],
    max_days: int = 7,
) -> list[date]:
    """The digest dates to send at start-up for sends missed in (last_send, now].

    Never sent, nothing missed, or the newest missed fire older than grace: []. Otherwise "one":
    [the local date of the newest missed fire] (one digest carrying everything waiting);
    "each_day": the local dates of the missed fires, oldest first, the newest max_days of them.
    """
    _require_aware(now, "now")
    if grace < timedelta(0):
        raise ValueError(f"grace must not be negative, got {grace}")
    if catch_up not in ("one", "each_day"):
        raise ValueError(f"catch_up must be 'one' or 'each_day', got {catch_up!r}")
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    if last_send is None:
        return []
    _require_aware(last_send, "last_send")
    zone = _zone(tz)
    trigger = make_trigger(send, tz, start=last_send if isinstance(send, Every) else None)
    first = _first_after(trigger, last_send)
    if first is None or _utc(first) > _utc(now):
        return []
    oldest_in_grace = _utc(now) - grace  # real elapsed time, also across a DST change
    recent = first if _utc(first) >= oldest_in_grace else _first_after(trigger, oldest_in_grace - _TICK)
    if recent is None or _utc(recent) > _utc(now):
        return []  # the newest missed fire is too old: the next regular send carries its items
    if catch_up == "one":
        # The date the newest missed send stood for: a 20:00 send caught up at 01:00 is the
        # evening's digest, not the next day's (which its own send will bring).
        newest = last_fire(send, tz, now) if isinstance(send, Cron) else None
        return [(newest or now).astimezone(zone).date()]
    days: deque[date] = deque(maxlen=max_days)
    fire: datetime | None = first
    for _ in range(MAX_FIRES):
        if fire is None or _utc(fire) > _utc(now):
            return list(days)
        day = fire.astimezone(zone).date()
        days.append(day)
        next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        fire = _first_after(trigger, next_midnight - _TICK)
    raise ValueError(f"more than {MAX_FIRES} days of missed sends since {last_send.isoformat()}")
