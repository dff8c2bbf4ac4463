"""Politeness and backoff per source: when a collect may fetch a source again, and what the state
remembers about how the source has been doing (its `Health`).

Pure: header values, the previous `Health` and `now` in, a new `Health` out; no I/O and no clock
reads. Randomness (the jitter of the backoff) comes only from the `random.Random` passed in, so a
seeded one makes every decision reproducible.

Why: a source that fails (down, blocking us, rate limiting) is retried less and less often instead
of on every collect, a server's own `Retry-After` is obeyed, and a source that answered 410 Gone is
not fetched again until it is reconfigured.

Constants:

* ``BASE`` (15 min): the delay after the second consecutive failure; it doubles with each further
  failure (15, 30, 60 min … ). The first failure has no delay: the next scheduled collect retries.
* ``CAP`` (24 h): the longest backoff, before jitter.
* ``MAX_RETRY_AFTER`` (7 days): the longest wait a `Retry-After` header (either form) can ask for.
* ``MAX_AGE_CAP`` (1 h): the longest a `Cache-Control` max-age keeps us from refetching: the
  scheduler collects hourly, so a feed asking for an hour or a day (a CDN's default) is fetched at
  most once a collect, never skipped for a day of news.

Jitter is "equal jitter": a delay `d` becomes ``d/2 + uniform(0, d/2)``, so a backoff always waits
at least half its nominal length (it still grows) while sources that failed together (our network
was down) spread their retries over the other half.

All datetimes are aware; `now` is a parameter of every function that needs it.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from .errors import one_line

__all__ = [
    "BASE",
    "CAP",
    "MAX_AGE_CAP",
    "MAX_RETRY_AFTER",
    "Health",
    "after_answer",
    "after_failure",
    "after_success",
    "backoff",
    "due",
    "from_json",
    "max_age",
    "moved",
    "retry_after",
    "to_json",
]

BASE = timedelta(minutes=15)
CAP = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(days=7)
MAX_AGE_CAP = timedelta(hours=1)

# Statuses whose Retry-After says when to come back (rate limited, temporarily unavailable).
_THROTTLED = frozenset({429, 503})
_SECONDS = re.compile(r"[0-9]+")
_DIRECTIVE = re.compile(r"\s*([A-Za-z0-9_-]+)\s*(?:=\s*(\"[^\"]*\"|[^,\s]*))?\s*")


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The wait an HTTP `Retry-After` header asks for: delta-seconds (``120``) or an HTTP-date
    (``Wed, 21 Oct 2026 07:28:00 GMT``, measured from `now`). A date in the past is no wait
    (``timedelta(0)``); at most ``MAX_RETRY_AFTER``; None for an absent, negative or unreadable
    value. A date without a zone is taken as UTC (HTTP-dates are always GMT)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        seconds = int(text)
        cap = int(MAX_RETRY_AFTER.total_seconds())
        return timedelta(seconds=min(seconds, cap))  # compared as ints: a 40-digit value cannot overflow
    if text[0] in "+-":
        return None  # "-5": negative (or signed) seconds are not delta-seconds
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = when - now
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def max_age(cache_control: str | None) -> timedelta | None:
    """How long a `Cache-Control` header says the response stays fresh: ``max-age=N`` or, when
    there is no max-age, ``s-maxage=N`` (max-age is the one meant for a private client like us);
    at most ``MAX_AGE_CAP``. None when absent, with ``no-cache`` or ``no-store``, or when the value
    is not a whole number of seconds."""
    if not cache_control:
        return None
    directives: dict[str, str | None] = {}
    for part in cache_control.split(","):
        match = _DIRECTIVE.fullmatch(part)
        if match is None:
            continue  # one unreadable directive does not spoil the others
        name, raw = match.group(1).lower(), match.group(2)
        directives.setdefault(name, raw.strip('"') if raw is not None else None)
    if "no-cache" in directives or "no-store" in directives:
        return None
    for name in ("max-age", "s-maxage"):
        if name in directives:
            raw = directives[name]
            if raw is None or not _SECONDS.fullmatch(raw):
                return None
            return timedelta(seconds=min(int(raw), int(MAX_AGE_CAP.total_seconds())))
    return None


@dataclass(frozen=True)
class Health:
    """How one source has been doing, as the state stores it. The defaults are a new source's."""

    failures: int = 0  # consecutive failed fetches
    first_failure: datetime | None = None  # when the current run of failures began
    last_success: datetime | None = None
    last_error: str | None = None  # one line
    not_before: datetime | None = None  # do not fetch before this (backoff, Retry-After, max-age)
    newest_item: datetime | None = None  # the newest item it ever gave (published or first seen)
    gone: bool = False  # it answered 410 Gone: not fetched again until it succeeds (reconfigured)
    moved_to: str | None = None  # the target of a permanent redirect, to tell the maintainer
    empty_listings: int = 0  # consecutive collects in which a `page` source found no article links


def backoff(failures: int, rng: random.Random | None = None) -> timedelta:
    """The wait after `failures` consecutive failures: none for the first, then ``BASE`` ×
    2^(failures-2) capped at ``CAP``, with equal jitter drawn from `rng` (in [d/2, d]). Without an
    `rng` there is no jitter: the full delay ``d``, deterministic."""
    if failures <= 1:
        return timedelta(0)
    doublings = min(failures - 2, 16)  # 15 min × 2^7 is already past the cap
    delay = min(BASE * (1 << doublings), CAP)
    if rng is None:
        return delay
    half = delay / 2
    return half + half * rng.random()


def after_success(
    h: Health,
    now: datetime,
    *,
    retry_after: timedelta | None = None,
    max_age: timedelta | None = None,
    newest: datetime | None = None,
    links_found: int | None = None,
) -> Health:
    """The source answered: failures forgotten, `last_success` now, no longer gone. A server asking
    us to come back later (`retry_after`, at most ``MAX_RETRY_AFTER``; or a fresh `max_age`, at
    most ``MAX_AGE_CAP``) sets `not_before` to now plus the larger of the two. `newest` (the
    newest item of this fetch) raises `newest_item`. For a `page` source, `links_found` == 0
    counts an empty listing, > 0 resets the count; None (a feed) leaves it alone. `moved_to` is
    kept: a permanent redirect still answers successfully."""
    waits = [timedelta(0)]
    if retry_after is not None:
        waits.append(min(retry_after, MAX_RETRY_AFTER))
    if max_age is not None:
        waits.append(min(max_age, MAX_AGE_CAP))
    wait = max(waits)
    newest_item = h.newest_item
    if newest is not None and (newest_item is None or newest > newest_item):
        newest_item = newest
    empty = h.empty_listings
    if links_found is not None:
        empty = empty + 1 if links_found == 0 else 0
    return replace(
        h,
        failures=0,
        first_failure=None,
        last_success=now,
        last_error=None,
        not_before=now + wait if wait > timedelta(0) else None,
        newest_item=newest_item,
        gone=False,
        empty_listings=empty,
    )


def after_failure(
    h: Health,
    now: datetime,
    error: str,
    *,
    status: int | None = None,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> Health:
    """The source failed with `error` (HTTP `status` when it answered one): one more consecutive
    failure, `first_failure` kept (or now), `last_error` the error as one line. A 410 marks it
    gone. `not_before` is now plus the wait: a 429 or 503 with a `retry_after` waits exactly that
    (at most ``MAX_RETRY_AFTER``), even when the backoff would be longer or shorter; anything else
    (a 429/503 without Retry-After included) waits `backoff(failures, rng)`. `retry_after` on
    other statuses is ignored."""
    failures = h.failures + 1
    if status in _THROTTLED and retry_after is not None:
        wait = min(max(retry_after, timedelta(0)), MAX_RETRY_AFTER)
    else:
        wait = backoff(failures, rng)
    return replace(
        h,
        failures=failures,
        first_failure=h.first_failure or now,
        last_error=one_line(error),
        not_before=now + wait if wait > timedelta(0) else None,
        gone=h.gone or status == 410,
    )


def due(h: Health, now: datetime) -> bool:
    """Whether a collect should fetch this source now: not gone, and not before `not_before`."""
    if h.gone:
        return False
    return h.not_before is None or now >= h.not_before


def moved(h: Health, url: str) -> Health:
    """Record a permanent redirect (301, 308) to `url`. The same Health comes back (`is h`) when
    that target is already recorded, so the caller reports a move once, when the result differs."""
    if h.moved_to == url:
        return h
    return replace(h, moved_to=url)


def after_answer(
    h: Health,
    now: datetime,
    *,
    not_modified: bool,
    moved_to: str | None,
    retry_after_header: str | None,
    cache_control: str | None,
) -> tuple[Health, tuple[str, ...]]:
    """A source answered (its headers as sent): its health before its items are read (a 304 is a
    success already), and the note of a permanent redirect, said the first time only."""
    if not_modified:
        h = after_success(
            h, now, retry_after=retry_after(retry_after_header, now), max_age=max_age(cache_control)
        )
    if moved_to is None:
        return h, ()
    after = moved(h, moved_to)
    if after is h:
        return h, ()
    return after, (
        f"moved permanently to {moved_to}: fetched there from now on "
        "(`digest sources check --write-redirects` writes it into the sources file)",
    )


def to_json(h: Health) -> str:
    """The state's form of a `Health` (the `sources.health` column)."""
    body: dict[str, object] = {}
    for key, value in vars(h).items():
        body[key] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str | None) -> Health:
    """A `Health` read back; a missing or unreadable one is a new source's (never fatal)."""
    if not text:
        return Health()
    try:
        body = json.loads(text)
        fields: dict[str, object] = {}
        for key, default in vars(Health()).items():
            value = body.get(key, default)
            if key in _WHEN and value is not None:
                value = datetime.fromisoformat(str(value))
            fields[key] = value
        return Health(**fields)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError):
        return Health()


_WHEN = frozenset({"first_failure", "last_success", "not_before", "newest_item"})
