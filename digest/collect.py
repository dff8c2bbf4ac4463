"""Collect (I/O): fetch every enabled source, parse, extract, analyse, and store what is new.

The event loop does the sockets only. The CPU work — decoding, feed parsing, article extraction,
the Korean analyser — runs in a worker thread, so `fetch.concurrency` limits sockets and a
request's deadline is not spent on other sources' parsing; every call to the state goes through
one writer thread, so a state busy with another process never stalls a fetch. (One CPU worker:
the analyser and the parsers hold the GIL, and measured with more threads they only contend.)

One source's fault, whatever it is — a 404, a feed that is not one, a bug of ours on its bytes —
is that source's report line; the other sources go on. On a source's first collect, items
published before the first-run window are recorded as seen (backlog), not news.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import ParamSpec, TypeVar

import httpx

from . import assemble, discover, extract, identity, korean, timing
from .charset import decode_html
from .checkpoint import checkpoint
from .clock import Clock
from .errors import DigestError, ExtractError, FetchError, ParseError, one_line
from .fetch import Fetcher, make_client
from .models import (
    LEAD_CHARS,
    SUMMARY_CHARS,
    TEXT_CHARS,
    Article,
    Entry,
    Item,
    NewItem,
    Response,
    Settings,
    Source,
    SourceReport,
    SourceUpdate,
)
from .net import Resolver, system_resolver, trusted_origins
from .parse import parse_feed
from .progress import Progress
from .storage import Storage

__all__ = ["FULL_CONTENT_MIN_CHARS", "CollectReport", "collect", "collect_line"]

FULL_CONTENT_MIN_CHARS = 200  # a feed's own content shorter than this is treated as a summary

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class CollectReport:
    sources: tuple[SourceReport, ...]
    seconds: float = 0.0

    @property
    def error(self) -> str | None:
        """Set when every source failed (then nothing is sent)."""
        if self.sources and all(r.error for r in self.sources):
            return "every source failed"
        return None

    @property
    def new(self) -> int:
        return sum(r.new for r in self.sources)


def collect(
    settings: Settings,
    store: Storage,
    clock: Clock,
    day: date,
    progress: Progress,
    client: httpx.AsyncClient | None = None,
    backfill: timedelta | None = None,
    resolver: Resolver = system_resolver,
) -> CollectReport:
    """Collect every enabled source into the state, recording the job and its one-line outcome.
    `resolver` answers for host names (the system's; tests inject one that asks no DNS)."""
    started = time.monotonic()
    now = clock.start
    store.job_started("collect", now)
    sources = [s for s in settings.sources if s.enabled]
    window = max(settings.first_run_window, backfill) if backfill else settings.first_run_window
    since = assemble.window_start(day, settings.timezone, window)
    progress.start("collect", total=len(sources))
    reports = asyncio.run(_collect(settings, sources, store, now, since, client, progress, resolver))
    seconds = time.monotonic() - started
    report = CollectReport(tuple(reports), seconds)
    line = collect_line(report)
    progress.finish("collect", line)
    store.job_finished("collect", clock(), report.error is None, line, seconds)
    return report


def collect_line(report: CollectReport) -> str:
    """``11 source(s): 230 seen, 12 new, 3 not modified, 1 failed (x: HTTP 404) (3.2 s)``."""
    rs = report.sources
    failed = [r for r in rs if r.error]
    unchanged = sum(1 for r in rs if r.not_modified)
    older = sum(r.backlog for r in rs)
    return (
        f"{len(rs)} source(s): {sum(r.seen for r in rs)} seen, {report.new} new"
        + (f", {older} older ones recorded as seen (first collect)" if older else "")
        + (f", {unchanged} not modified" if unchanged else "")
        + (
            f", {len(failed)} failed ({'; '.join(f'{r.name}: {r.error}' for r in failed[:3])})"
            if failed
            else ""
        )
        + f" ({report.seconds:.1f} s)"
    )


class _Workers:
    """Where work that is not a socket runs: `state` (the one writer thread: every call to the
    state, in order) and `cpu` (parsing, extraction, analysis)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._state = ThreadPoolExecutor(1, thread_name_prefix="digest-state")
        self._cpu = ThreadPoolExecutor(1, thread_name_prefix="digest-cpu")

    async def state(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._loop.run_in_executor(self._state, _timed("store", fn, *args, **kwargs))

    async def cpu(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._loop.run_in_executor(self._cpu, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        # A write in progress finishes (its transaction commits or rolls back whole); queued
        # work is dropped: what it would have stored is fetched again on the next collect.
        self._cpu.shutdown(wait=True, cancel_futures=True)
        self._state.shutdown(wait=True, cancel_futures=True)


def _timed(stage: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Callable[[], T]:
    def call() -> T:
        with timing.timed(stage):
            return fn(*args, **kwargs)

    return call


class _Budget:
    """The time one source has left: its own budget (`fetch.source_budget`), within the run's
    deadline (`fetch.run_deadline`)."""

    def __init__(self, seconds: float, run_end: float) -> None:
        self.seconds = seconds
        self.end = min(time.monotonic() + seconds, run_end)

    def left(self) -> float:
        return self.end - time.monotonic()


async def _collect(
    settings: Settings,
    sources: list[Source],
    store: Storage,
    now: datetime,
    since: datetime,
    client: httpx.AsyncClient | None,
    progress: Progress,
    resolver: Resolver,
) -> list[SourceReport]:
    """Fetch every source concurrently and store what is new."""
    own_client = client is None
    http = client or make_client(settings.fetch)
    trusted = trusted_origins(s.url for s in sources)  # their scheme, host and port only
    fetcher = Fetcher(http, settings.fetch, trusted, resolver=resolver)
    work = _Workers()
    run_end = time.monotonic() + settings.fetch.run_deadline

    async def one(source: Source) -> SourceReport:
        try:
            budget = _Budget(settings.fetch.source_budget, run_end)
            return await _collect_source(source, settings, store, fetcher, work, now, since, budget)
        except (DigestError, OSError, ValueError) as exc:
            reason = one_line(exc)
        except Exception as exc:  # a bug on one source must not take the others down
            reason = f"internal error ({type(exc).__name__}: {one_line(exc)})"
        finally:
            progress.advance("collect")
        with contextlib.suppress(DigestError):
            await work.state(store.record_source, source.name, source.url, reason, now)
        return SourceReport(source.name, error=reason)

    try:
        return list(await asyncio.gather(*(one(s) for s in sources)))
    finally:
        try:
            if own_client:
                await http.aclose()
        finally:
            work.close()


async def _collect_source(
    source: Source,
    settings: Settings,
    store: Storage,
    fetcher: Fetcher,
    work: _Workers,
    now: datetime,
    since: datetime,
    budget: _Budget,
) -> SourceReport:
    state = await work.state(store.source_state, source.name, source.url)
    first = state is None or state.first_collect
    try:
        if budget.left() <= 0:
            raise FetchError(source.url, "not fetched: the collect's time (fetch.run_deadline) was spent")
        try:
            get = fetcher.get(source.url, state.validators if state else None)
            with timing.timed("fetch"):
                response = await asyncio.wait_for(get, budget.left())
        except TimeoutError:
            raise FetchError(
                source.url, f"no answer within the source's time (fetch.source_budget: {budget.seconds:g} s)"
            ) from None
        if response.not_modified:
            await work.state(store.record_source, source.name, source.url, "not-modified", now)
            notes = await _fetch_deferred(source, store, fetcher, work, now, budget)
            return SourceReport(source.name, not_modified=True, notes=tuple(notes))
        entries, warnings = await work.cpu(_entries, source, response, settings, now)
    except (FetchError, ParseError) as exc:
        await work.state(store.record_source, source.name, source.url, one_line(exc), now)
        return SourceReport(source.name, error=one_line(exc))

    # Which entries are new: by canonical URL, by (source, guid), and once within the batch. A
    # link that is not a URL (a port of 99999 …) is that entry's note, not the source's failure.
    notes = list(warnings)
    canon: list[tuple[Entry, str]] = []
    for e in entries:
        try:
            canon.append((e, identity.canonical_url(e.url)))
        except ValueError as exc:
            notes.append(f"{one_line(e.url, 200)}: not a usable link ({one_line(exc, 120)}); skipped")
    known = await work.state(
        store.known, [c for _, c in canon], [(source.name, e.guid) for e, _ in canon if e.guid]
    )
    fresh: list[tuple[Entry, str]] = []
    seen: set[str] = set()
    for entry, c in canon:
        if c in known.urls or c in seen or (entry.guid and (source.name, entry.guid) in known.guids):
            continue
        seen.add(c)
        fresh.append((entry, c))

    def backlog(published: datetime | None) -> bool:
        return assemble.is_backlog(published, first, since)

    async def one(entry: Entry, canonical: str) -> tuple[NewItem | None, str | None]:
        try:
            if backlog(entry.published):
                return await work.cpu(_backlog_item, source, entry, canonical)
            return await _build_item(source, entry, canonical, fetcher, work, now, backlog, budget)
        except (DigestError, OSError, ValueError) as exc:  # this entry only: the others are stored
            return None, f"{one_line(entry.url, 200)}: {one_line(exc, 160)}; skipped"
        except Exception as exc:  # a bug of ours on this entry's bytes
            return (
                None,
                f"{one_line(entry.url, 200)}: internal error ({type(exc).__name__}: {one_line(exc, 120)}); skipped",
            )

    built = await asyncio.gather(*(one(e, c) for e, c in fresh))
    items: list[NewItem] = []
    hashes: set[str] = set()
    failed = 0
    for item, note in built:
        if note:
            notes.append(note)
        if item is None:
            failed += 1
            continue
        if item.extract_status.startswith("failed"):
            failed += 1
        if item.content_hash in hashes:
            continue  # the same text twice in one source: one item
        hashes.add(item.content_hash)
        items.append(item)
    items = await work.cpu(_analysed, items)
    update = SourceUpdate(source.name, source.url, response.validators)
    added = await work.state(store.add_items, items, now, update)
    checkpoint("collect: a source stored")
    notes += await _fetch_deferred(
        source, store, fetcher, work, now, budget, skip={it.canonical_url for it in items}
    )
    old = sum(1 for it in items if it.backlog)
    return SourceReport(
        source.name, seen=len(entries), new=added - old, failed=failed, notes=tuple(notes), backlog=old
    )


def _entries(
    source: Source, response: Response, settings: Settings, now: datetime
) -> tuple[list[Entry], list[str]]:
    """The entries a fetched feed or listing page lists (CPU: runs in the worker)."""
    with timing.timed("parse"):
        return _parsed(source, response, settings, now)


def _parsed(
    source: Source, response: Response, settings: Settings, now: datetime
) -> tuple[list[Entry], list[str]]:
    if source.type == "page":
        text = decode_html(response.body, response.charset, source.encoding)
        links = discover.find_article_links(text, response.final_url, source.selector)
        if not links:
            raise ParseError(source.url, "no article links found on the listing page")
        return [Entry(url=u, title=t) for u, t in links[: settings.fetch.max_items_per_feed]], []
    feed = parse_feed(
        response.body,
        response.final_url,
        content_type=response.content_type,
        charset=response.charset,
        encoding_override=source.encoding,
        tz=settings.timezone,
        now=now,
        max_items=settings.fetch.max_items_per_feed,
    )
    return list(feed.entries), list(feed.warnings)


def _backlog_item(source: Source, entry: Entry, canonical: str) -> tuple[NewItem, str | None]:
    """An item older than the first-run window: recorded so it is never new again, not fetched."""
    title = entry.title or entry.url
    item = NewItem(
        source=source.name,
        url=identity.clean_url(entry.url),
        canonical_url=canonical,
        guid=entry.guid,
        title=title,
        summary=extract.strip_furniture_lines(entry.summary),
        text="",
        published=entry.published,
        author=entry.author,
        content_hash=identity.content_hash(title, entry.summary),
        extract_status="backlog",
        backlog=True,
        date_only=entry.date_only,
    )
    return item, None


async def _build_item(
    source: Source,
    entry: Entry,
    canonical: str,
    fetcher: Fetcher,
    work: _Workers,
    now: datetime,
    backlog: Callable[[datetime | None], bool],
    budget: _Budget,
) -> tuple[NewItem, str | None]:
    """Everything we know about one new entry: the feed's own full content when it is the whole
    article, else the article page; on failure the feed summary, with a note. A page the source's
    time did not reach is "deferred": kept with the feed summary, fetched on the next collect."""
    content = await work.cpu(_feed_content, entry) if entry.content_html else None
    if content is not None and _is_whole_article(content.text, entry.summary):
        return await work.cpu(_new_item, source, entry, canonical, content, "ok", now, backlog), None
    partial = content if content is not None and content.text else None
    try:
        if budget.left() <= 0:
            raise TimeoutError
        with timing.timed("fetch"):
            page = await asyncio.wait_for(fetcher.get(entry.url), budget.left())
        article = await work.cpu(_page_article, page, source.encoding)
    except TimeoutError:
        item = await work.cpu(_new_item, source, entry, canonical, partial, "deferred", now, backlog)
        return (
            item,
            f"{entry.url}: not fetched in the source's time (kept the feed summary; fetched on the next collect)",
        )
    except (FetchError, ExtractError) as exc:
        if partial is not None:  # the feed's own content is the best we have
            item = await work.cpu(_new_item, source, entry, canonical, partial, "ok", now, backlog)
            return item, f"{entry.url}: {exc.reason} (used the feed's content)"
        status = f"failed: {exc.reason}"
        item = await work.cpu(_new_item, source, entry, canonical, None, status, now, backlog)
        return item, f"{entry.url}: {exc.reason} (kept the feed summary)"
    return await work.cpu(_new_item, source, entry, canonical, article, "ok", now, backlog), None


async def _fetch_deferred(
    source: Source,
    store: Storage,
    fetcher: Fetcher,
    work: _Workers,
    now: datetime,
    budget: _Budget,
    skip: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Fetch the pages an earlier collect had no time for, and fill in their items (unless a
    digest has published them meanwhile). Returns report notes."""
    if budget.left() <= 0:
        return []
    waiting = [it for it in await work.state(store.deferred, source.name) if it.canonical_url not in skip]
    if not waiting:
        return []

    async def again(it: Item) -> NewItem | None:
        entry = Entry(it.url, it.title, it.guid, it.summary, None, it.published, it.author, it.date_only)
        new, _ = await _build_item(source, entry, it.canonical_url, fetcher, work, now, _never, budget)
        # The subtitles the feed's description gave, if the page shows none.
        return (
            None if new.extract_status == "deferred" else replace(new, subtitle=new.subtitle or it.subtitle)
        )

    done = [n for n in await asyncio.gather(*(again(it) for it in waiting)) if n is not None]
    done = await work.cpu(_analysed, done)
    filled = 0
    for new in done:
        filled += await work.state(store.complete, new)
    return (
        [f"{filled} of {len(waiting)} page(s) left from an earlier collect fetched"] if filled or done else []
    )


def _never(_published: datetime | None) -> bool:
    return False


def _feed_content(entry: Entry) -> Article | None:
    try:
        with timing.timed("extract"):
            return extract.clean_content(entry.content_html or "", entry.url)
    except ExtractError:
        return None


def _page_article(page: Response, encoding: str | None) -> Article:
    with timing.timed("extract"):
        return extract.extract_article(decode_html(page.body, page.charset, encoding), page.final_url)


def _new_item(
    source: Source,
    entry: Entry,
    canonical: str,
    article: Article | None,
    status: str,
    now: datetime,
    backlog: Callable[[datetime | None], bool],
) -> NewItem:
    """The item to store from an entry and its article (if any): summary, dates, morphemes."""
    text = article.text[:TEXT_CHARS] if article else ""
    title = entry.title or (article.title if article and article.title else "") or entry.url
    published, date_only = _dated(entry, article)
    if published is not None and published > now + timedelta(days=1):
        published, date_only = now, False  # a date in the future is a parsing or clock error
    summary = extract.summarize(text) if text else _feed_summary(entry.summary)
    old = backlog(published)  # a listing page's links carry no date: only the article tells
    return NewItem(
        source=source.name,
        url=identity.clean_url(entry.url),
        canonical_url=canonical,
        guid=entry.guid,
        title=title,
        summary=summary,
        text=text,
        published=published,
        author=(article.author if article and article.author else None) or entry.author,
        content_hash=identity.content_hash(title, text or entry.summary),
        extract_status="backlog" if old else (status if text or status != "ok" else "feed-only"),
        morphs=(),  # analysed with the rest of its source's items (`_analysed`)
        backlog=old,
        date_only=date_only,
        subtitle=(article.subtitle if article else "") or extract.find_subtitle([entry.summary], title),
    )


def _analysed(items: list[NewItem]) -> list[NewItem]:
    """The items with the morphemes of their title and lead, analysed in one batch (backlog
    items are recorded, not read: none)."""
    need = [k for k, it in enumerate(items) if not it.backlog]
    leads = [f"{items[k].title}\n{(items[k].text or items[k].summary)[:LEAD_CHARS]}" for k in need]
    out = list(items)
    for k, m in zip(need, korean.analyse_many(leads), strict=True):
        out[k] = replace(out[k], morphs=m.tokens)
    return out


def _dated(entry: Entry, article: Article | None) -> tuple[datetime | None, bool]:
    """The item's date and whether it has no time of day: the page's, else the feed's; but a page
    date without a time gives way to the feed's full time on the same date (the full time wins)."""
    if article is None or article.published is None:
        return entry.published, entry.published is not None and entry.date_only
    page = article.published
    feed = entry.published
    if (
        article.date_only
        and feed is not None
        and not entry.date_only
        and feed.astimezone(page.tzinfo).date() == page.date()
    ):
        return feed, False
    return page, article.date_only


def _feed_summary(summary: str) -> str:
    """A feed's summary as shown: as written from its lead on, cleaned like an article's text
    (furniture, datelines, bylines, subtitles, "기사보기" tails gone), unless it is longer than a
    summary should be (a whole article in `<description>`), then summarized like a text."""
    lead = extract.lead_text(summary[:TEXT_CHARS])
    return lead if len(lead) <= SUMMARY_CHARS else extract.summarize(lead, SUMMARY_CHARS)


def _is_whole_article(content_text: str, summary: str) -> bool:
    """Is a feed's own content the whole article? Long enough, and more than the summary (a
    description copied into content:encoded is still only a summary)."""
    squeeze = "".join(content_text.split())
    return len(squeeze) >= FULL_CONTENT_MIN_CHARS and squeeze != "".join(summary.split())
