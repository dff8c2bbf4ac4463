"""What to tell the reader and the maintainer about the sources' health (`backoff.Health`): the
digest's one-line footer about sources failing, quiet, gone or finding nothing, and the rows of
the `digest status` table.

Pure: (name, Health) pairs and `now` in, text out; no I/O, no clock reads. The caller passes only
enabled sources (a disabled source is nobody's news).

Why: a source that silently stops giving items is the failure a reader cannot see; the footer says
so in the digest itself, without noise: a source is reported only once it has been failing for
`failing_days` or quiet for `quiet_days`, each source in one group at most.

Footer wording (English, like the digest's other maintainer texts), the parts that have something,
in this order, joined by "; ":

    2 sources failing for 3–5 days: 의협신문, 청년의사; 1 source quiet for 14 days: 병원신문;
    1 source gone (HTTP 410): X; 1 listing page finds no articles: Y

The days of a group are its range ("3 days" when all agree, "3–5 days" otherwise), in whole days
(floored). Names are sorted, at most five, then "and N more".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from . import textwidth
from .backoff import Health
from .models import Source, SourceState

__all__ = [
    "STATUS_HEADER",
    "age",
    "configured",
    "duration",
    "footer",
    "format_table",
    "status_rows",
    "waiting",
]

STATUS_HEADER = ("source", "state", "last success", "newest item", "last error")
NAMES_SHOWN = 5  # names listed per footer group before "and N more"
ERROR_CHARS = 60  # the most characters of the last error in a status row

_Rows = Sequence[tuple[str, Health]]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _days(days: Sequence[int]) -> str:
    lo, hi = min(days), max(days)
    if hi == 0:
        return "less than a day"
    return _plural(lo, "day") if lo == hi else f"{lo}–{hi} days"


def _names(names: Sequence[str]) -> str:
    ordered = sorted(names)
    shown = ", ".join(ordered[:NAMES_SHOWN])
    rest = len(ordered) - NAMES_SHOWN
    return f"{shown} and {rest} more" if rest > 0 else shown


def _quiet_for(h: Health, now: datetime) -> timedelta | None:
    """How long a source that answers has given no new item (None: never gave one)."""
    return now - h.newest_item if h.newest_item is not None else None


def footer(
    rows: _Rows,
    now: datetime,
    *,
    failing_days: int = 1,
    quiet_days: int = 14,
    empty_collects: int = 3,
) -> str | None:
    """One line about the sources worth a word, or None when there is nothing to say:

    * gone: it answered 410 Gone;
    * failing: failing (failures > 0) since at least `failing_days` days;
    * listing finds no articles: a `page` source whose last `empty_collects` collects (or more)
      found no article link on its listing page (a changed layout, a broken selector);
    * quiet: answering, but no new item for at least `quiet_days` days (a source that never gave
      an item is not counted: since when would it be quiet?).

    A source is in the first group it qualifies for, in that order (a gone source is not also
    failing; a failing one is not also quiet). The line lists failing, quiet, gone, listing."""
    failing: list[tuple[str, int]] = []
    quiet: list[tuple[str, int]] = []
    gone: list[str] = []
    empty: list[str] = []
    for name, h in rows:
        if h.gone:
            gone.append(name)
        elif h.failures > 0:
            if h.first_failure is not None and now - h.first_failure >= timedelta(days=failing_days):
                failing.append((name, (now - h.first_failure).days))
        elif h.empty_listings >= empty_collects:
            empty.append(name)
        else:
            silent = _quiet_for(h, now)
            if silent is not None and silent >= timedelta(days=quiet_days):
                quiet.append((name, silent.days))
    parts = []
    if failing:
        days = _days([d for _, d in failing])
        parts.append(
            f"{_plural(len(failing), 'source')} failing for {days}: {_names([n for n, _ in failing])}"
        )
    if quiet:
        days = _days([d for _, d in quiet])
        parts.append(f"{_plural(len(quiet), 'source')} quiet for {days}: {_names([n for n, _ in quiet])}")
    if gone:
        parts.append(f"{_plural(len(gone), 'source')} gone (HTTP 410): {_names(gone)}")
    if empty:
        verb = "finds" if len(empty) == 1 else "find"
        parts.append(f"{_plural(len(empty), 'listing page')} {verb} no articles: {_names(empty)}")
    return "; ".join(parts) if parts else None


def age(when: datetime | None, now: datetime) -> str:
    """How long ago `when` was: `just now` (under a minute), `45 min ago`, `5 h ago` (under two
    days), `3 d ago`; `-` for None; `in the future` for a time after `now` (a skewed clock)."""
    if when is None:
        return "-"
    seconds = (now - when).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    text = duration(now - when)
    return text if seconds < 0 else f"{text} ago"


def duration(age: timedelta | None) -> str:
    """`45 min`, `5 h` (under two days), `3 d`; `-` for None; a negative one `in the future`."""
    if age is None:
        return "-"
    seconds = age.total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _clock(when: datetime, now: datetime) -> str:
    """`10:30` in now's zone, `12-03 10:30` when not on now's date."""
    local = when.astimezone(now.tzinfo)
    return f"{local:%H:%M}" if local.date() == now.date() else f"{local:%m-%d %H:%M}"


def _state(h: Health, now: datetime, quiet_days: int) -> str:
    waiting = h.not_before is not None and now < h.not_before
    if h.gone:
        return "gone (410)"
    if h.failures > 0:
        since = f" since {h.first_failure.astimezone(now.tzinfo):%Y-%m-%d}" if h.first_failure else ""
        wait = f", next try {_clock(h.not_before, now)}" if waiting and h.not_before else ""
        return f"failing ×{h.failures}{since}{wait}"
    if h.empty_listings > 0:
        return f"no article links ×{h.empty_listings}"
    silent = _quiet_for(h, now)
    if silent is not None and silent >= timedelta(days=quiet_days):
        return f"quiet {silent.days} d"
    if waiting and h.not_before:
        return f"waiting until {_clock(h.not_before, now)} (server asked)"
    if h.last_success is None:
        return "new"
    return "ok"


def waiting(h: Health, now: datetime) -> str:
    """Why a collect leaves a source alone now (it is not `backoff.due`): one line for its report."""
    if h.gone:
        return "gone (HTTP 410): not fetched until its URL changes"
    until = _clock(h.not_before, now) if h.not_before is not None else "later"
    if h.failures > 0:
        return f"backing off after {h.failures} failures in a row, next try {until}"
    return f"the server asked us to wait, next try {until}"


def _cut(text: str | None) -> str:
    if not text:
        return "-"
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def status_rows(rows: _Rows, now: datetime, *, quiet_days: int = 14) -> list[tuple[str, ...]]:
    """One row per source, in the order given, under `STATUS_HEADER`: name; state; last success
    and newest item as ages (`2 h ago`, `-`); the last error cut to `ERROR_CHARS` ("…" ending a
    cut one, `-` for none).

    The state is the first that holds: `gone (410)`; `failing ×3 since 2026-12-01` (`, next try
    10:30` while backing off); `no article links ×2` (a listing page found none, that many collects
    in a row); `quiet 15 d` (no new item for `quiet_days` or more); `waiting until 10:30 (server
    asked)` (Retry-After or max-age after a success); `new` (never fetched); `ok`. Dates and
    times are in now's zone."""
    return [
        (
            name,
            _state(h, now, quiet_days),
            age(h.last_success, now),
            age(h.newest_item, now),
            _cut(h.last_error),
        )
        for name, h in rows
    ]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The rows under the header, columns aligned in terminal columns (a Korean syllable takes
    two), two spaces apart, no trailing spaces; every line ends with a newline."""
    return textwidth.table(header, rows)


def configured(sources: Sequence[Source], states: Sequence[SourceState]) -> list[tuple[str, Health]]:
    """The enabled sources' health, in their order, as the state knows it at their configured
    URL (a source never fetched, or whose URL changed, is a new one)."""
    known = {st.name: st for st in states}
    rows = []
    for source in sources:
        st = known.get(source.name)
        if source.enabled:
            rows.append((source.name, st.health if st is not None and st.url == source.url else Health()))
    return rows
