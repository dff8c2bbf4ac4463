"""`digest sources check`: is every enabled source still answering, and how well?

One row per source, from one fetch of it (and, when it sends validators, one conditional
request more): whether it answers and parses, how many items it has, how old its newest item is,
which encoding the bytes were read in and why (the user's override, a BOM, the HTTP header, the
document's declaration, or detection), whether conditional GET saves the download on the next
collect, where it redirects to (the URL to configure instead), and how long it took.

Sources are checked concurrently through one Fetcher, so its per-host limit keeps the check polite
when several sources share a site. One broken source is its row's status, never an exception.
Nothing is stored: this looks, it does not collect.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from . import charset, textwidth
from .charset import decode_html
from .discover import find_article_links
from .errors import DigestError, FetchError, one_line
from .fetch import Fetcher, make_client
from .models import FetchSettings, Response, Source, Validators
from .net import Resolver, system_resolver, trusted_origins
from .parse import parse_feed
from .sourcehealth import duration

__all__ = ["CheckRow", "check", "encoding_used", "format_age", "format_table"]


@dataclass(frozen=True)
class CheckRow:
    """What checking one source found. `status` is "ok" or the one-line reason it failed;
    `items` counts a feed's entries or a page's article links; `newest_age` is how long before
    the check the newest dated entry was published (None: no dated entry, or a page source);
    `conditional` is "yes", "no (200 again)", "no validators", "no (<reason>)" or "" when the
    source did not answer; `redirect` is the final URL when it differs from the configured one
    (`moved_to` too when every redirect on the way was permanent, 301/308);
    `seconds` is the time of the first request."""

    name: str
    url: str
    status: str
    items: int = 0
    newest_age: timedelta | None = None
    encoding: str = ""
    conditional: str = ""
    redirect: str | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    moved_to: str | None = None  # every redirect was permanent (301/308): the URL to write back

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------- pure


def encoding_used(body: bytes, header_charset: str | None = None, override: str | None = None) -> str:
    """Which encoding `digest.charset.decode_html` reads `body` in, and why: "euc-kr (header)",
    "utf-8 (declared)", "cp949 (detected)", "utf-8 (BOM)", "euc-kr (override)". A label that was
    given but does not fit the bytes is named as ignored: "utf-8 (detected; declared euc-kr ignored)".

    decode_html does not say which step won, so each step's strict decoding is compared with its
    result, in decode_html's own order; the first step that reads the bytes the same way is it."""
    if not body:
        return ""
    text = decode_html(body, header_charset, override)
    declared = charset._declared_charset(body)
    bom = next((codec for mark, codec in charset._BOMS if body.startswith(mark)), None)
    steps: list[tuple[str, str | None]] = [
        ("override", override),
        ("BOM", bom),
        ("header", header_charset),
        ("declared", declared),
        ("detected", "utf-8"),
        ("detected", "cp949"),
    ]
    for how, label in steps:
        codec = charset._codec(label)
        if label is None or codec is None:
            continue
        decoded = charset._strict(body, codec)
        if decoded is None or charset._finish(decoded) != text:
            continue
        name = label.strip().strip("\"'").lower() if how in ("override", "header", "declared") else codec
        ignored = [
            f"{kind} {given.strip().lower()} ignored"
            for kind, given in (("header", header_charset), ("declared", declared))
            if given and charset._codec(given) != codec and kind != how
        ]
        return f"{name} ({'; '.join([how, *ignored])})"
    return "unknown (undecodable bytes replaced)"


def format_age(age: timedelta | None) -> str:
    """`45 min`, `5 h`, `3 d`; `-` for None; a date in the future is `in the future`."""
    return duration(age)


_HEADERS = ("source", "status", "items", "newest", "encoding", "conditional GET", "time", "redirect")
_LIMITS = (28, 40, 6, 13, 44, 24, 8, 0)  # the most columns a cell takes; 0: no limit (the last)
_RIGHT = frozenset({2, 6})  # numbers are right-aligned


def _cells(row: CheckRow) -> tuple[str, ...]:
    answered = bool(row.encoding or row.conditional)
    return (
        row.name,
        row.status,
        str(row.items) if answered else "-",
        format_age(row.newest_age),
        row.encoding or "-",
        row.conditional or "-",
        f"{row.seconds:.2f} s",
        (("moved: " if row.moved_to else "temporary: ") + row.redirect) if row.redirect else "",
    )


def format_table(rows: Iterable[CheckRow]) -> str:
    """The rows as a text table under a header line, columns aligned in terminal columns
    (Korean names count two per syllable), two spaces between columns, long cells cut."""
    return textwidth.table(_HEADERS, [_cells(r) for r in rows], right=_RIGHT, limits=_LIMITS)


def _newest(published: Iterable[datetime | None], now: datetime) -> timedelta | None:
    dates = [d for d in published if d is not None]
    return now - max(dates) if dates else None


# --------------------------------------------------------------------------- I/O


async def check(
    sources: Sequence[Source],
    settings: FetchSettings,
    resolver: Resolver = system_resolver,
    *,
    client: httpx.AsyncClient | None = None,
    tz: str = "Asia/Seoul",
    now: datetime | None = None,
) -> list[CheckRow]:
    """Check every enabled source, concurrently through one Fetcher (its limits, overall and per
    host), trusting the sources' own origins as a collect does. Rows come in the order of
    `sources`. `client` must come from `fetch.make_client` (one is made and closed if None)."""
    enabled = [s for s in sources if s.enabled]
    when = now or datetime.now(UTC)
    async with contextlib.AsyncExitStack() as stack:
        http = client if client is not None else await stack.enter_async_context(make_client(settings))
        fetcher = Fetcher(http, settings, trusted_origins(s.url for s in enabled), resolver=resolver)
        rows = await asyncio.gather(*(_row(s, fetcher, settings, tz, when) for s in enabled))
    return list(rows)


async def _row(source: Source, fetcher: Fetcher, settings: FetchSettings, tz: str, now: datetime) -> CheckRow:
    try:
        return await _check_one(source, fetcher, settings, tz, now)
    except Exception as exc:  # a bug of ours on one source's bytes is that source's row
        return CheckRow(
            source.name, source.url, f"internal error: {type(exc).__name__}: {one_line(exc, 160)}"
        )


async def _check_one(
    source: Source, fetcher: Fetcher, settings: FetchSettings, tz: str, now: datetime
) -> CheckRow:
    started = time.monotonic()
    try:
        resp = await fetcher.get(source.url)
    except FetchError as exc:
        return CheckRow(
            source.name, source.url, one_line(exc.reason, 200), seconds=time.monotonic() - started
        )
    seconds = time.monotonic() - started
    redirect = resp.final_url if resp.final_url != source.url else None
    encoding = encoding_used(resp.body, resp.charset, source.encoding) or "-"
    try:
        items, age, notes = await asyncio.to_thread(_read, source, resp, settings, tz, now)
        status = "ok"
    except DigestError as exc:  # ParseError, or ExtractError for an invalid selector
        items, age, notes = 0, None, ()
        status = one_line(getattr(exc, "reason", exc), 200)
    conditional = await _conditional(fetcher, source.url, resp.validators)
    return CheckRow(
        source.name,
        source.url,
        status,
        items,
        age,
        encoding,
        conditional,
        redirect,
        seconds,
        notes,
        resp.moved_to,
    )


def _read(
    source: Source, resp: Response, settings: FetchSettings, tz: str, now: datetime
) -> tuple[int, timedelta | None, tuple[str, ...]]:
    """Items, newest item's age and the parser's warnings of one source's response."""
    if source.type == "page":
        html = decode_html(resp.body, resp.charset, source.encoding)
        return len(find_article_links(html, resp.final_url, source.selector)), None, ()
    feed = parse_feed(
        resp.body,
        resp.final_url,
        resp.content_type,
        resp.charset,
        encoding_override=source.encoding,
        tz=tz,
        now=now,
        max_items=settings.max_items_per_feed,
    )
    return len(feed.entries), _newest((e.published for e in feed.entries), now), feed.warnings


async def _conditional(fetcher: Fetcher, url: str, validators: Validators) -> str:
    """Whether a second request with the first one's validators answers 304."""
    if not validators.etag and not validators.last_modified:
        return "no validators"
    try:
        again = await fetcher.get(url, validators)
    except FetchError as exc:
        return f"no ({one_line(exc.reason, 60)})"
    return "yes" if again.not_modified else f"no ({again.status} again)"
