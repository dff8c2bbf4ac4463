"""New items from fetched bytes (CPU work: parsing, extraction, summaries, analysis), as plain
functions of picklable values, so that `collect` runs them in its worker thread or, for article
pages, in worker processes (`page_item`) while the event loop keeps fetching.

A worker process hands its own stage timings back with each result (`digest.timing`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from . import assemble, discover, extract, identity, korean, timing
from .charset import decode_html
from .errors import ExtractError, ParseError
from .models import (
    LEAD_CHARS,
    SUMMARY_CHARS,
    TEXT_CHARS,
    Article,
    Entry,
    NewItem,
    Response,
    Settings,
    Source,
)
from .parse import parse_feed

__all__ = [
    "FULL_CONTENT_MIN_CHARS",
    "Window",
    "analysed",
    "backlog_item",
    "entries",
    "feed_content",
    "feed_summary",
    "is_whole_article",
    "listed",
    "new_item",
    "page_article",
    "page_item",
    "worker_started",
]

FULL_CONTENT_MIN_CHARS = 200  # a feed's own content shorter than this is treated as a summary


@dataclass(frozen=True)
class Window:
    """Which items are backlog on this collect: on a source's `first` collect, those published
    before `since` (the first-run window)."""

    first: bool
    since: datetime

    def old(self, published: datetime | None) -> bool:
        return assemble.is_backlog(published, self.first, self.since)


NEVER_OLD = Window(False, datetime.min)  # pages left from an earlier collect are news


def worker_started() -> None:
    """In a worker process: Ctrl-C is the parent's to handle (it stops the pool), not a
    traceback from every worker; and the worker ends with its parent, even one killed outright
    (SIGKILL), so that none outlives it holding its output open (Linux: PR_SET_PDEATHSIG)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)  # the parent died before the line above: nothing to work for


_PR_SET_PDEATHSIG = 1


def listed(
    source: Source, response: Response, settings: Settings, now: datetime
) -> tuple[list[Entry], list[str], tuple[str, str] | None, dict[str, tuple[float, int]]]:
    """`entries` for a worker process: (entries, warnings, None, timings), or ([], [], (url,
    why)) when the bytes are not a usable feed or listing (a ParseError does not cross a process
    boundary whole)."""
    try:
        found, warnings = entries(source, response, settings, now)
        failed = None
    except ParseError as exc:
        found, warnings, failed = [], [], (exc.url, exc.reason)
    return found, warnings, failed, _figures()


def _figures() -> dict[str, tuple[float, int]]:
    """A worker process's timings since its last result (nothing in this process)."""
    return timing.snapshot(reset=True) if multiprocessing.parent_process() is not None else {}


def page_item(
    source: Source,
    entry: Entry,
    canonical: str,
    page: Response,
    now: datetime,
    window: Window,
) -> tuple[NewItem | None, str, dict[str, tuple[float, int]]]:
    """An article page's item (extraction, summary, dates), or None and why the page has no
    trustworthy text; with this process's timings when it is a worker process (an ExtractError
    does not cross a process boundary whole: its reason does)."""
    try:
        article = page_article(page, source.encoding)
        item: NewItem | None = new_item(source, entry, canonical, article, "ok", now, window)
        reason = ""
    except ExtractError as exc:
        item, reason = None, exc.reason
    return item, reason, _figures()


def entries(
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


def backlog_item(source: Source, entry: Entry, canonical: str) -> tuple[NewItem, str | None]:
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
        categories=entry.categories,
        enclosures=entry.enclosures,
    )
    return item, None


def feed_content(entry: Entry) -> Article | None:
    try:
        with timing.timed("extract"):
            return extract.clean_content(entry.content_html or "", entry.url)
    except ExtractError:
        return None


def page_article(page: Response, encoding: str | None) -> Article:
    with timing.timed("extract"):
        return extract.extract_article(decode_html(page.body, page.charset, encoding), page.final_url)


def new_item(
    source: Source,
    entry: Entry,
    canonical: str,
    article: Article | None,
    status: str,
    now: datetime,
    window: Window,
) -> NewItem:
    """The item to store from an entry and its article (if any): summary, dates, morphemes."""
    text = article.text[:TEXT_CHARS] if article else ""
    title = entry.title or (article.title if article and article.title else "") or entry.url
    published, date_only = _dated(entry, article)
    if published is not None and published > now + timedelta(days=1):
        published, date_only = now, False  # a date in the future is a parsing or clock error
    summary = extract.summarize(text) if text else feed_summary(entry.summary)
    old = window.old(published)  # a listing page's links carry no date: only the article tells
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
        morphs=(),  # analysed with the rest of its source's items (`analysed`)
        backlog=old,
        date_only=date_only,
        subtitle=(article.subtitle if article else "") or extract.find_subtitle([entry.summary], title),
        categories=entry.categories,
        enclosures=entry.enclosures,
    )


def leads(items: Sequence[NewItem]) -> list[str]:
    """What the analyser reads of each item: its title and lead ("" for a backlog item, which is
    recorded, not read)."""
    return ["" if it.backlog else f"{it.title}\n{(it.text or it.summary)[:LEAD_CHARS]}" for it in items]


def morphemes(texts: Sequence[str]) -> tuple[list[tuple[tuple[str, str], ...]], dict[str, tuple[float, int]]]:
    """The morphemes of each text, in one batch (in the analyser's process: with its timings)."""
    return [m.tokens for m in korean.analyse_many(texts)], _figures()


def with_morphemes(items: Sequence[NewItem], morphs: Sequence[tuple[tuple[str, str], ...]]) -> list[NewItem]:
    return [replace(it, morphs=m) if m else it for it, m in zip(items, morphs, strict=True)]


def warm_up() -> dict[str, tuple[float, int]]:
    """Load the analyser now (a collect that has news to read calls it while it still fetches)."""
    with timing.timed("analyse", 0):
        korean.analyser()
    return _figures()


def analysed(items: list[NewItem]) -> list[NewItem]:
    """The items with the morphemes of their title and lead, analysed in one batch (backlog
    items are recorded, not read: none)."""
    return with_morphemes(items, morphemes(leads(items))[0])


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


def feed_summary(summary: str) -> str:
    """A feed's summary as shown: as written from its lead on, cleaned like an article's text
    (furniture, datelines, bylines, subtitles, "기사보기" tails gone), unless it is longer than a
    summary should be (a whole article in `<description>`), then summarized like a text."""
    lead = extract.lead_text(summary[:TEXT_CHARS])
    return lead if len(lead) <= SUMMARY_CHARS else extract.summarize(lead, SUMMARY_CHARS)


def is_whole_article(content_text: str, summary: str) -> bool:
    """Is a feed's own content the whole article? Long enough, and more than the summary (a
    description copied into content:encoded is still only a summary)."""
    squeeze = "".join(content_text.split())
    return len(squeeze) >= FULL_CONTENT_MIN_CHARS and squeeze != "".join(summary.split())
