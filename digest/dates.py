"""Dates as the Korean press writes them → aware datetimes (pure).

Feeds and pages carry RFC 822 (`Wed, 12 Jun 2024 14:00:00 +0900`, `GMT`, `KST`), ISO 8601 and
Korean forms (`2024년 6월 12일 오후 2:00:00`, `2024.06.12 14:00`, `2024. 6. 12.`,
`입력 2024-06-12 오후 2:03`, `2021년 12월 22일 12시 20분`). A time without a zone is local time in
``tz`` (Asia/Seoul by default), never UTC. Impossible dates (`31 Feb`) give ``None``, and so do
dates outside 1990-01-01 … 2100-12-31 (`0001-01-01T00:00:00+14:00`, `9999-12-31`: CMS placeholders,
which would overflow when converted to another zone); `date_out_of_range` tells those apart.

A date written without a time of day (`2024-06-12`, `2025년 12월 30일 (화)`, `2024.06.12`) is
midnight local time of that date; `read_date` and `find_dated_in_text` also say so (`Dated.date_only`),
so that no output shows a time the source never gave. An explicit `00:00` is a time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "EARLIEST",
    "LATEST",
    "Dated",
    "date_out_of_range",
    "find_date_in_text",
    "find_dated_in_text",
    "parse_date",
    "read_date",
]


class Dated(NamedTuple):
    """A parsed date, and whether it was written without a time of day (then `when` is midnight
    local time of that date)."""

    when: datetime
    date_only: bool = False


# The dates a news item can have, as written (wall-clock time in the date's own zone). Anything
# outside is a placeholder or a typo; inside, conversion to any zone (±14:00) cannot overflow.
EARLIEST = datetime(1990, 1, 1)
LATEST = datetime(2100, 12, 31, 23, 59, 59, 999999)

# Labels that precede a date on Korean pages: publication first, then revision.
_PUBLISHED_LABELS = (
    "기사입력",
    "입력",
    "등록",
    "승인",
    "게재",
    "작성",
    "발행",
    "송고",
    "published",
    "posted",
)
_UPDATED_LABELS = ("최종편집", "최종수정", "수정", "업데이트", "갱신", "updated", "modified")

_LABEL_RE = re.compile(
    r"^\s*(?:"
    + "|".join(map(re.escape, _PUBLISHED_LABELS + _UPDATED_LABELS))
    + r")\s*(?:일시|일)?\s*[:：]?\s*",
    re.IGNORECASE,
)
_WEEKDAY_RE = re.compile(r"\(\s*(?:[월화수목금토일]|mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*\)", re.IGNORECASE)
_ZONE_ABBREV = {"KST": "+0900", "UTC": "+0000", "UT": "+0000", "GMT": "+0000", "Z": "+0000"}

# One date, Korean or numeric: 2024년 6월 12일 | 2024.06.12 | 2024. 6. 12. | 2024-06-12 | 2024/06/12,
# then an optional time: 오후 2:03 | 14:00:00 | 12시 20분 | 2 PM, then an optional zone.
_DATE_CORE = (
    r"(?P<y>(?:19|20)\d{2})\s*(?:년\s*|[.\-/]\s*)(?P<m>\d{1,2})\s*(?:월\s*|[.\-/]\s*)(?P<d>\d{1,2})(?!\d)"
    r"\s*(?:일)?\.?"
)
_TIME_CORE = (
    r"(?:\s*\(\s*[월화수목금토일]\s*\))?"
    r"(?:[\sT]*(?P<ampm>오전|오후|AM|PM|a\.m\.|p\.m\.)?\s*"
    r"(?P<H>\d{1,2})\s*(?::|시)\s*(?:(?P<M>\d{1,2})\s*분?)?"
    r"(?:\s*:\s*(?P<S>\d{1,2})(?:\.\d+)?\s*초?)?"
    r"(?:\s*(?P<ampm2>AM|PM))?"
    r"(?:\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|KST|UTC|GMT)(?![A-Za-z]))?)?"
)
_DATE_RE = re.compile(_DATE_CORE + _TIME_CORE, re.IGNORECASE)
_RFC822_HINT = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}[a-z]*\.?\s+\d{2,4}\b")
_RFC822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}[a-z]*\.?\s+(?P<year>\d{2,4})\b")
_CLOCK = re.compile(r"\d:\d")
# An RFC 822 date without its time (`Wed, 12 Jun 2024`), which email.utils refuses.
_RFC822_DAY = re.compile(
    r"^(?:[A-Za-z]{3},?\s*)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3})[a-z]*\.?\s+(?P<y>\d{4})$"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@lru_cache(maxsize=32)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=9)) if name == "Asia/Seoul" else UTC


def _offset(text: str) -> timezone | None:
    if text.upper() in _ZONE_ABBREV:
        text = _ZONE_ABBREV[text.upper()]
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if len(digits) != 4 or not digits.isdigit():
        return None
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_match(match: re.Match[str], tz: str) -> datetime | None:
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    hour = minute = second = 0
    if match["H"] is not None:
        hour = int(match["H"])
        minute = int(match["M"] or 0)
        second = int(match["S"] or 0)
        ampm = (match["ampm"] or match["ampm2"] or "").lower().replace(".", "")
        if ampm in ("오후", "pm") and hour < 12:
            hour += 12
        elif ampm in ("오전", "am") and hour == 12:
            hour = 0
    zone: tzinfo = _zone(tz)
    if match["zone"]:
        parsed_zone = _offset(match["zone"])
        if parsed_zone is None:
            return None
        zone = parsed_zone
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _clamp(value: datetime, now: datetime | None, tz: str) -> datetime:
    if now is None:
        return value
    if now.tzinfo is None:
        now = now.replace(tzinfo=_zone(tz))
    return now if value > now + timedelta(days=1) else value


def _parse_rfc822(text: str, tz: str) -> datetime | None:
    # email.utils knows GMT/UT/EST…, not KST: spell Korean and bare-letter zones as offsets.
    fixed = re.sub(
        r"\b(KST|UTC)\s*$", lambda m: _ZONE_ABBREV[m.group(1).upper()], text.strip(), flags=re.IGNORECASE
    )
    try:
        value = parsedate_to_datetime(fixed)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value is None:  # pragma: no cover - older Pythons returned None
        return None
    written = _RFC822_YEAR.search(fixed)
    if written and len(written["year"]) > 2 and int(written["year"]) != value.year:
        # email.utils reads year 0001 as 2001; a four-digit year means what it says.
        try:
            value = value.replace(year=max(int(written["year"]), 1))
        except ValueError:  # 29 Feb of a year that has none
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(tz))
    return value


def _parse_iso(text: str, tz: str) -> Dated | None:
    candidate = text.strip()
    if not re.match(
        r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$", candidate
    ):
        return None
    try:
        value = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(tz))
    return Dated(value, len(candidate) == 10)  # YYYY-MM-DD and nothing else


def parse_date(value: str, tz: str = "Asia/Seoul", now: datetime | None = None) -> datetime | None:
    """Parse one date string; an aware datetime, or None for garbage, impossible dates and dates
    outside 1990 … 2100.

    A value with no zone is local time in ``tz``. With ``now``, a date more than a day in the
    future (a typo, or a CMS placeholder like 2099) is clamped to ``now``.
    """
    dated = read_date(value, tz, now)
    return dated.when if dated is not None else None


def read_date(value: str, tz: str = "Asia/Seoul", now: datetime | None = None) -> Dated | None:
    """`parse_date`, saying also whether the value gave no time of day (`Dated.date_only`); a
    date clamped to ``now`` has now's time."""
    parsed = _parse_any(value, tz)
    if parsed is None or not _in_range(parsed.when, tz):
        return None
    clamped = _clamp(parsed.when, now, tz)
    return parsed if clamped == parsed.when else Dated(clamped)


def date_out_of_range(value: str, tz: str = "Asia/Seoul") -> bool:
    """True when ``value`` is a real date that `parse_date` refuses for being outside 1990 … 2100."""
    parsed = _parse_any(value, tz)
    return parsed is not None and not _in_range(parsed.when, tz)


def _parse_any(value: str, tz: str) -> Dated | None:
    if not value:
        return None
    text = " ".join(value.split())
    text = _LABEL_RE.sub("", text)
    if not text:
        return None
    parsed = _parse_iso(text, tz)
    if parsed is None and _RFC822_HINT.search(text):
        rfc = _parse_rfc822(text, tz)
        if rfc is None:
            # Without its time (`Wed, 12 Jun 2024`) a date only; one that does not exist (31 Feb,
            # 25:61) is None — do not guess.
            return _rfc822_day(text, tz)
        return Dated(rfc, _CLOCK.search(text) is None)
    if parsed is None:
        match = _DATE_RE.search(_WEEKDAY_RE.sub(" ", text))
        if match is None:
            return None
        found = _from_match(match, tz)
        return Dated(found, match["H"] is None) if found is not None else None
    return parsed


def _rfc822_day(text: str, tz: str) -> Dated | None:
    """`Wed, 12 Jun 2024`: a date without a time; anything else email.utils refused is None."""
    match = _RFC822_DAY.match(text)
    if match is None or match["mon"].lower() not in _MONTHS:
        return None
    try:
        day = datetime(
            int(match["y"]), _MONTHS.index(match["mon"].lower()) + 1, int(match["d"]), tzinfo=_zone(tz)
        )
    except ValueError:
        return None
    return Dated(day, True)


def _in_range(value: datetime, tz: str) -> bool:
    """Written between 1990 and 2100, and convertible to ``tz`` and to UTC without overflow."""
    if not EARLIEST <= value.replace(tzinfo=None) <= LATEST:
        return False
    try:
        value.astimezone(_zone(tz))
        value.astimezone(UTC)
    except (OverflowError, ValueError):  # pragma: no cover - the range above rules it out
        return False
    return True


def _label_rank(text: str, start: int) -> int:
    """0 = publication label just before the date, 2 = revision label, 1 = none."""
    before = text[max(0, start - 14) : start].lower()
    before = re.sub(r"[\s:：|·]+$", "", before)
    for label in _UPDATED_LABELS:
        if before.endswith(label):
            return 2
    for label in _PUBLISHED_LABELS:
        if before.endswith(label):
            return 0
    return 1


def find_date_in_text(text: str, tz: str = "Asia/Seoul") -> datetime | None:
    """Find the publication date in page text.

    Prefers a date labelled 입력/등록/승인/게재 (or 기사입력 …) over an unlabelled one, and an
    unlabelled one over 수정/최종편집; among equals, one with a time of day, then the first.
    """
    found = find_dated_in_text(text, tz)
    return found.when if found is not None else None


def find_dated_in_text(text: str, tz: str = "Asia/Seoul") -> Dated | None:
    """`find_date_in_text`, saying also whether the date found has no time of day."""
    best: tuple[int, int, int] | None = None
    best_value: Dated | None = None
    for position, match in enumerate(_DATE_RE.finditer(text)):
        value = _from_match(match, tz)
        if value is None or not _in_range(value, tz):
            continue
        key = (_label_rank(text, match.start()), 0 if match["H"] is not None else 1, position)
        if best is None or key < best:
            best, best_value = key, Dated(value, match["H"] is None)
    return best_value
