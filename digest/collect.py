"""Collect (I/O): fetch every enabled source, parse, extract, analyse, and store what is new.

The event loop does the sockets only. The CPU work (`digest.newitems`) runs elsewhere
(`digest.collectwork`): feeds are parsed and article pages extracted in worker processes, the
Korean analyser, batched per source, runs in a process of its own, loaded as soon as a source
has news; every call to the state goes through one writer thread, and the sources' items are
written by group commit (`digest.workerpool` says which processes, and when they end).

One source's fault, whatever it is — a 404, a feed that is not one, a bug of ours on its bytes —
is that source's report line; the other sources go on. On a source's first collect, items
published before the first-run window are recorded as seen (backlog), not news.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import ParamSpec, TypeVar

import httpx

from . import assemble, backoff, identity, korean, newitems, sourcehealth, workerpool
from .checkpoint import checkpoint
from .clock import Clock
from .collectreport import CollectReport, collect_line
from .collectwork import Workers
from .errors import DigestError, FetchError, ParseError, one_line
from .fetch import Fetcher, make_client
from .models import (
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
from .progress import Progress
from .storage import Storage

__all__ = ["CollectReport", "collect", "collect_line"]

P = ParamSpec("P")
T = TypeVar("T")


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
    try:
        reports = asyncio.run(_collect(settings, sources, store, now, since, client, progress, resolver))
    finally:
        # Assembling needs the stored morphemes, not the analyser nor the workers' memory.
        korean.release()
        workerpool.end()
    seconds = time.monotonic() - started
    report = CollectReport(tuple(reports), seconds)
    line = collect_line(report)
    progress.finish("collect", line)
    store.job_finished("collect", clock(), report.error is None, line, seconds)
    return report


_JITTER = random.Random()  # spreads the retries of sources that failed together


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
    work = Workers(store)
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
    work: Workers,
    now: datetime,
    since: datetime,
    budget: _Budget,
) -> SourceReport:
    state = await work.state(store.source_state, source.name, source.url)
    first = state is None or state.first_collect
    health = state.health if state is not None else backoff.Health()
    if not backoff.due(health, now):
        return SourceReport(source.name, waiting=sourcehealth.waiting(health, now))
    url = health.moved_to or source.url  # a permanent redirect is followed from then on
    try:
        if budget.left() <= 0:
            raise FetchError(url, "not fetched: the collect's time (fetch.run_deadline) was spent")
        try:
            get = fetcher.get(url, state.validators if state else None)
            response = await asyncio.wait_for(get, budget.left())
        except TimeoutError:
            raise FetchError(
                url, f"no answer within the source's time (fetch.source_budget: {budget.seconds:g} s)"
            ) from None
        health, moved = backoff.after_answer(
            health,
            now,
            not_modified=response.not_modified,
            moved_to=response.moved_to,
            retry_after_header=response.retry_after,
            cache_control=response.cache_control,
        )
        if response.not_modified:
            await work.state(store.record_source, source.name, source.url, "not-modified", now, None, health)
            notes = [*moved, *await _fetch_deferred(source, store, fetcher, work, now, budget)]
            return SourceReport(source.name, not_modified=True, notes=tuple(notes))
        entries, warnings = await work.entries(source, response, settings, now)
    except (FetchError, ParseError) as exc:
        reason = one_line(exc)
        status = exc.status if isinstance(exc, FetchError) else None
        wait = backoff.retry_after(exc.retry_after, now) if isinstance(exc, FetchError) else None
        after = backoff.after_failure(health, now, reason, status=status, retry_after=wait, rng=_JITTER)
        await work.state(store.record_source, source.name, source.url, reason, now, None, after)
        gone = ("gone (HTTP 410): not fetched again until its URL changes in the sources file",)
        return SourceReport(source.name, error=reason, notes=gone if after.gone and not health.gone else ())

    dated = [e.published for e in entries if e.published is not None]
    health = backoff.after_success(
        health,
        now,
        retry_after=backoff.retry_after(response.retry_after, now),
        max_age=backoff.max_age(response.cache_control),
        newest=max(dated) if dated else None,
        links_found=len(entries) if source.type == "page" else None,
    )

    # Which entries are new: by canonical URL, by (source, guid), and once within the batch. A
    # link that is not a URL (a port of 99999 …) is that entry's note, not the source's failure.
    notes = [*warnings, *moved]
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

    window = newitems.Window(first, since)
    if any(not window.old(e.published) for e, _ in fresh):
        work.warm_up()

    async def one(entry: Entry, canonical: str) -> tuple[NewItem | None, str | None]:
        try:
            if window.old(entry.published):
                return await work.cpu(newitems.backlog_item, source, entry, canonical)
            return await _build_item(source, entry, canonical, fetcher, work, now, window, budget)
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
    items = await work.analysed(items)
    update = SourceUpdate(source.name, source.url, response.validators, health)
    added = await work.add_items(items, now, update)
    checkpoint("collect: a source stored")
    notes += await _fetch_deferred(
        source, store, fetcher, work, now, budget, skip={it.canonical_url for it in items}
    )
    old = sum(1 for it in items if it.backlog)
    return SourceReport(
        source.name, seen=len(entries), new=added - old, failed=failed, notes=tuple(notes), backlog=old
    )


async def _build_item(
    source: Source,
    entry: Entry,
    canonical: str,
    fetcher: Fetcher,
    work: Workers,
    now: datetime,
    window: newitems.Window,
    budget: _Budget,
) -> tuple[NewItem, str | None]:
    """Everything we know about one new entry: the feed's own full content when it is the whole
    article, else the article page; on failure the feed summary, with a note. A page the source's
    time did not reach is "deferred": kept with the feed summary, fetched on the next collect."""
    content = await work.cpu(newitems.feed_content, entry) if entry.content_html else None
    if content is not None and newitems.is_whole_article(content.text, entry.summary):
        return await work.cpu(newitems.new_item, source, entry, canonical, content, "ok", now, window), None
    partial = content if content is not None and content.text else None

    async def fallback(status: str) -> NewItem:
        return await work.cpu(newitems.new_item, source, entry, canonical, partial, status, now, window)

    slot = False

    async def get_page() -> Response:
        nonlocal slot
        await work.pages.acquire()  # waiting for a slot counts against the source's time too
        slot = True
        return await fetcher.get(entry.url)

    try:
        try:
            if budget.left() <= 0:
                raise TimeoutError
            page = await asyncio.wait_for(get_page(), budget.left())
        except TimeoutError:
            return (
                await fallback("deferred"),
                f"{entry.url}: not fetched in the source's time (kept the feed summary; fetched on the next collect)",
            )
        except FetchError as exc:
            reason = exc.reason
        else:
            item, reason = await work.page_item(source, entry, canonical, page, now, window)
            if item is not None:
                return item, None
    finally:
        if slot:
            work.pages.release()
    if partial is not None:  # the feed's own content is the best we have
        return await fallback("ok"), f"{entry.url}: {reason} (used the feed's content)"
    return await fallback(f"failed: {reason}"), f"{entry.url}: {reason} (kept the feed summary)"


async def _fetch_deferred(
    source: Source,
    store: Storage,
    fetcher: Fetcher,
    work: Workers,
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
        entry = Entry(
            it.url,
            it.title,
            it.guid,
            it.summary,
            None,
            it.published,
            it.author,
            it.date_only,
            it.categories,
            it.enclosures,
        )
        new, _ = await _build_item(
            source, entry, it.canonical_url, fetcher, work, now, newitems.NEVER_OLD, budget
        )
        # The subtitles the feed's description gave, if the page shows none.
        return (
            None if new.extract_status == "deferred" else replace(new, subtitle=new.subtitle or it.subtitle)
        )

    done = [n for n in await asyncio.gather(*(again(it) for it in waiting)) if n is not None]
    done = await work.analysed(done)
    filled = 0
    for new in done:
        filled += await work.state(store.complete, new)
    return (
        [f"{filled} of {len(waiting)} page(s) left from an earlier collect fetched"] if filled or done else []
    )
