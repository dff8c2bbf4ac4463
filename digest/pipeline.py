"""The table of contents of a run: collect → assemble → deliver.

- `collect` (I/O): fetch every enabled source, parse, extract, analyse, store what is new. On a
  source's first collect, items published before the first-run window are recorded as seen
  (backlog), not news.
- `send`: assemble the digest for a date (`assemble`, pure), write its outputs, **seal** it (its
  items, outputs and one outbox row per reader, in one transaction), then deliver every outbox row
  that is due — this date's and any earlier date's that failed — and publish the site.
- `run`: both, as one job.

Each job holds the state's runner lease (`lease.hold`), so two processes never collect or send at
once; each outbox row is claimed atomically before its message goes out, so even without the
lease nobody is sent a digest twice.

Crash safety, in order: a source's new items and its HTTP validators are stored in one
transaction (a crash before it fetches them again); outputs are written atomically before the
seal (a crash between rebuilds them); the seal is one transaction; a row is claimed, sent, then
marked sent (a crash after the server accepted and before the mark resends that one message with
the same Message-ID — the only repeat possible, and mail clients fold it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time as timer
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import yaml

from . import assemble, extract, korean, learn, render, signals, stories, themes
from .charset import decode_html
from .deliver import email as email_delivery
from .deliver import site as site_delivery
from .errors import (
    BusyError,
    ConfigError,
    DeliveryError,
    DigestError,
    ExtractError,
    FetchError,
    OutputError,
    ParseError,
    UsageError,
)
from .fetch import Fetcher, make_client
from .fsutil import atomic_write
from .lease import Lease, hold, owner, owner_gone
from .models import (
    Article,
    Digest,
    Entry,
    Item,
    JobRecord,
    LeaseHolder,
    NewItem,
    OutboxEntry,
    Response,
    SealedDigest,
    Settings,
    Source,
    SourceReport,
    Story,
)
from .parse import parse_feed
from .progress import Progress, Silent
from .storage import Store

LEAD_CHARS = 400  # how much of the text after the title is analysed into morphemes and stored
FULL_CONTENT_MIN_CHARS = 200  # a feed's own content shorter than this is treated as a summary
RUNNER = "runner"  # the lease collect, send and run take
CLAIM_SECONDS = 600  # a claimed outbox row not finished by then is presumed abandoned
NO_LONGER_A_READER = "no longer a reader"
BACKOFF_FIRST = timedelta(minutes=5)  # a temporary mail failure is retried after 5, 15, 45 … min
BACKOFF_MAX = timedelta(hours=6)


# --------------------------------------------------------------------------- reports


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


@dataclass(frozen=True)
class SendReport:
    day: date
    sections: tuple[tuple[str, int], ...]  # (theme title, stories shown), as in digest.json
    files: tuple[Path, ...]
    sealed: bool  # the digest is sealed (by this run, or earlier)
    reproduced: bool  # it was sealed earlier: written again from the state, nothing new taken
    mail_stories: int
    deliveries: tuple[str, ...]
    delivery_failed: bool
    digest: Digest | None = None  # when assembled by this run
    seconds: float = 0.0


@dataclass(frozen=True)
class RunReport:
    """What `run` (collect + send) did; `send` alone leaves `sources` empty."""

    day: date
    sources: tuple[SourceReport, ...]
    digest: Digest | None
    files: tuple[Path, ...]
    published: bool  # the digest is sealed: it is the digest of its date
    deliveries: tuple[str, ...] = ()
    error: str | None = None
    sections: tuple[tuple[str, int], ...] = ()
    delivery_failed: bool = False
    reproduced: bool = False
    timings: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- the jobs


def run(
    settings: Settings,
    state_path: str | Path,
    out_dir: str | Path,
    day: date | None = None,
    no_send: bool = False,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    backfill: timedelta | None = None,
    wait: float = 0.0,
    on_wait: Callable[[LeaseHolder], None] = lambda _h: None,
    progress: Progress | None = None,
    retry_now: bool = False,
    fire: datetime | None = None,
) -> RunReport:
    """Collect, then send the digest for `day` (default: today in the configured zone).
    Never raises for a bad source; raises DigestError for a bad state, date or output folder."""
    progress = progress or Silent()
    clock = Clock(settings, now)
    day = day or clock.start.date()
    with _sending_job(settings, state_path, out_dir, day, clock, "run", wait, on_wait) as (store, out, lease):
        collected = _collect_job(settings, store, clock, day, client, progress, backfill)
        if collected.error:
            # Nothing to build from; mail still owed from earlier digests goes anyway.
            lines, failed = (
                ([], False) if no_send else _deliver(settings, store, out, clock, False, progress, lease)
            )
            return RunReport(
                day,
                collected.sources,
                None,
                (),
                False,
                tuple(lines),
                error=collected.error,
                delivery_failed=failed,
            )
        sent = _send_job(
            settings, store, out, day, clock, no_send, backfill, progress, retry_now, fire, lease
        )
    return RunReport(
        day,
        collected.sources,
        sent.digest,
        sent.files,
        sent.sealed and not no_send,
        sent.deliveries,
        sections=sent.sections,
        delivery_failed=sent.delivery_failed,
        reproduced=sent.reproduced,
        timings={"collect": collected.seconds, "send": sent.seconds},
    )


def collect(
    settings: Settings,
    state_path: str | Path,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    wait: float = 0.0,
    on_wait: Callable[[LeaseHolder], None] = lambda _h: None,
    progress: Progress | None = None,
) -> CollectReport:
    """Fetch every enabled source and store what is new; nothing is built or sent."""
    clock = Clock(settings, now)
    with (
        Store(state_path) as store,
        hold(store, RUNNER, "collect", wait, on_wait=on_wait, tz=settings.timezone),
    ):
        return _collect_job(settings, store, clock, clock.start.date(), client, progress or Silent(), None)


def send(
    settings: Settings,
    state_path: str | Path,
    out_dir: str | Path,
    day: date | None = None,
    no_send: bool = False,
    now: datetime | None = None,
    backfill: timedelta | None = None,
    wait: float = 0.0,
    on_wait: Callable[[LeaseHolder], None] = lambda _h: None,
    progress: Progress | None = None,
    retry_now: bool = False,
    fire: datetime | None = None,
) -> SendReport:
    """Build (or reproduce), seal and deliver the digest for `day`; retry earlier failed mail."""
    clock = Clock(settings, now)
    day = day or clock.start.date()
    with _sending_job(settings, state_path, out_dir, day, clock, "send", wait, on_wait) as (
        store,
        out,
        lease,
    ):
        return _send_job(
            settings, store, out, day, clock, no_send, backfill, progress or Silent(), retry_now, fire, lease
        )


def retry_outbox(
    settings: Settings,
    state_path: str | Path,
    out_dir: str | Path,
    now: datetime | None = None,
    wait: float = 0.0,
) -> tuple[list[str], bool]:
    """Deliver the outbox rows that are due (a temporary failure whose backoff has passed)."""
    clock = Clock(settings, now)
    with Store(state_path) as store:
        if not store.outbox(statuses=("pending", "retry", "sending")):
            return [], False
        with hold(store, RUNNER, "send", wait, tz=settings.timezone) as lease:
            return _deliver(settings, store, Path(out_dir), clock, False, Silent(), lease)


class Clock:
    """A job's clock. `start` is `now` (the real time unless a test or the service injects one):
    what the job records as its time (items' first_seen, the digest's generated_at and seal).
    Called, it advances with the real time that passes — waiting for the lease, collecting,
    sending a long list — so claims and backoffs are never dated in the past."""

    def __init__(self, settings: Settings, now: datetime | None) -> None:
        tz = ZoneInfo(settings.timezone)
        self.start = (now or datetime.now(tz)).astimezone(tz)
        self._began = timer.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=timer.monotonic() - self._began)


@contextlib.contextmanager
def _sending_job(
    settings: Settings,
    state_path: str | Path,
    out_dir: str | Path,
    day: date,
    clock: Clock,
    job: str,
    wait: float,
    on_wait: Callable[[LeaseHolder], None],
) -> Iterator[tuple[Store, Path, Lease]]:
    """What `run` and `send` check before they touch anything (the date, the output folder),
    then the state and its runner lease."""
    try:
        assemble.check_date(day, clock.start.date())
    except ValueError as exc:
        raise UsageError(f"--date {exc}") from None
    out = _check_out(Path(out_dir))
    with (
        Store(state_path) as store,
        hold(store, RUNNER, job, wait, on_wait=on_wait, tz=settings.timezone) as lease,
    ):
        yield store, out, lease


def _check_out(out: Path) -> Path:
    """The output folder exists (created if need be) and can be written: checked before any fetch."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: the output folder is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".digest-write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the outputs there: {exc.strerror or exc}") from None
    return out


# --------------------------------------------------------------------------- collect


def _collect_job(
    settings: Settings,
    store: Store,
    clock: Clock,
    day: date,
    client: httpx.AsyncClient | None,
    progress: Progress,
    backfill: timedelta | None,
) -> CollectReport:
    started = timer.monotonic()
    now = clock.start
    store.job_started("collect", now)
    sources = [s for s in settings.sources if s.enabled]
    window = max(settings.first_run_window, backfill) if backfill else settings.first_run_window
    since = assemble.window_start(day, settings.timezone, window)
    progress.start("collect", total=len(sources))
    reports = asyncio.run(_collect(settings, store, now, since, client, progress))
    seconds = timer.monotonic() - started
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


async def _collect(
    settings: Settings,
    store: Store,
    now: datetime,
    since: datetime,
    client: httpx.AsyncClient | None,
    progress: Progress,
) -> list[SourceReport]:
    """Fetch every enabled source concurrently and store what is new. One bad source never
    stops the others: its failure, whatever it is, comes back as a report line."""
    sources = [s for s in settings.sources if s.enabled]
    own_client = client is None
    http = client or make_client(settings.fetch)
    trusted = {(httpx.URL(s.url).host or "").lower() for s in sources}
    fetcher = Fetcher(http, settings.fetch, trusted)

    async def one(source: Source) -> SourceReport:
        try:
            return await _collect_source(source, settings, store, fetcher, now, since)
        except DigestError as exc:
            reason = _one_line(exc)
        except (OSError, ValueError) as exc:
            reason = _one_line(exc)
        except Exception as exc:  # a bug on one source must not take the others down
            reason = f"internal error ({type(exc).__name__}: {_one_line(exc)})"
        finally:
            progress.advance("collect")
        with contextlib.suppress(DigestError):
            store.record_source(source.name, source.url, reason, now)
        return SourceReport(source.name, error=reason)

    try:
        return list(await asyncio.gather(*(one(s) for s in sources)))
    finally:
        if own_client:
            await http.aclose()


async def _collect_source(
    source: Source, settings: Settings, store: Store, fetcher: Fetcher, now: datetime, since: datetime
) -> SourceReport:
    state = store.source_state(source.name, source.url)
    first = state is None or state.first_collect
    try:
        response = await fetcher.get(source.url, state.validators if state else None)
        if response.not_modified:
            store.record_source(source.name, source.url, "not-modified", now)
            return SourceReport(source.name, not_modified=True)
        entries, warnings = _entries(source, response, settings, now)
    except (FetchError, ParseError) as exc:
        store.record_source(source.name, source.url, _one_line(exc), now)
        return SourceReport(source.name, error=_one_line(exc))

    # Which entries are new: by canonical URL, by (source, guid), and once within the batch.
    fresh: list[tuple[Entry, str]] = []
    seen: set[str] = set()
    canon = [(e, stories.canonical_url(e.url)) for e in entries]
    known_urls, known_guids = store.known(
        (c for _, c in canon), ((source.name, e.guid) for e, _ in canon if e.guid)
    )
    for entry, c in canon:
        if c in known_urls or c in seen or (entry.guid and (source.name, entry.guid) in known_guids):
            continue
        seen.add(c)
        fresh.append((entry, c))

    def backlog(published: datetime | None) -> bool:
        return assemble.is_backlog(published, first, since)

    built = await asyncio.gather(
        *(
            _backlog_item(source, e, c)
            if backlog(e.published)
            else _build_item(source, e, c, fetcher, now, backlog)
            for e, c in fresh
        )
    )
    notes = list(warnings)
    items: list[NewItem] = []
    hashes: set[str] = set()
    failed = 0
    for item, note in built:
        if note:
            notes.append(note)
        if item.extract_status.startswith("failed"):
            failed += 1
        if item.content_hash in hashes:
            continue  # the same text twice in one source: one item
        hashes.add(item.content_hash)
        items.append(item)
    added = store.add_items(items, now, (source.name, source.url, response.validators))
    old = sum(1 for it in items if it.backlog)
    return SourceReport(
        source.name, seen=len(entries), new=added - old, failed=failed, notes=tuple(notes), backlog=old
    )


def _entries(
    source: Source, response: Response, settings: Settings, now: datetime
) -> tuple[list[Entry], list[str]]:
    if source.type == "page":
        text = decode_html(response.body, response.charset, source.encoding)
        links = extract.find_article_links(text, response.final_url, source.selector)
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


async def _backlog_item(source: Source, entry: Entry, canonical: str) -> tuple[NewItem, str | None]:
    """An item older than the first-run window: recorded so it is never new again, not fetched."""
    summary = extract.strip_furniture_lines(entry.summary)
    title = entry.title or entry.url
    item = NewItem(
        source=source.name,
        url=stories.clean_url(entry.url),
        canonical_url=canonical,
        guid=entry.guid,
        title=title,
        summary=summary,
        text="",
        published=entry.published,
        author=entry.author,
        content_hash=stories.content_hash(title, entry.summary),
        extract_status="backlog",
        backlog=True,
    )
    return item, None


async def _build_item(
    source: Source,
    entry: Entry,
    canonical: str,
    fetcher: Fetcher,
    now: datetime,
    backlog: Callable[[datetime | None], bool],
) -> tuple[NewItem, str | None]:
    """Everything we know about one new entry: the feed's own full content when it is the whole
    article, else the article page; on failure the feed summary, with a note."""
    article: Article | None = None
    status = "ok"
    note: str | None = None
    content: Article | None = None
    if entry.content_html:
        try:
            content = extract.clean_content(entry.content_html, entry.url)
        except ExtractError:
            content = None
    if content is not None and _is_whole_article(content.text, entry.summary):
        article = content
    else:
        try:
            page = await fetcher.get(entry.url)
            html = decode_html(page.body, page.charset, source.encoding)
            article = extract.extract_article(html, page.final_url)
        except (FetchError, ExtractError) as exc:
            if content is not None and content.text:
                article = content  # the feed's own content is the best we have
                note = f"{entry.url}: {exc.reason} (used the feed's content)"
            else:
                status = f"failed: {exc.reason}"
                note = f"{entry.url}: {exc.reason} (kept the feed summary)"
    text = article.text if article else ""
    title = entry.title or (article.title if article and article.title else "") or entry.url
    published = (article.published if article and article.published else None) or entry.published
    if published is not None and published > now + timedelta(days=1):
        published = now  # a date in the future is a parsing or clock error
    summary = extract.summarize(text) if text else extract.strip_furniture_lines(entry.summary)
    if not summary:
        summary = extract.summarize(entry.summary) if entry.summary else ""
    old = backlog(published)  # a listing page's links carry no date: only the article tells
    item = NewItem(
        source=source.name,
        url=stories.clean_url(entry.url),
        canonical_url=canonical,
        guid=entry.guid,
        title=title,
        summary=summary,
        text=text,
        published=published,
        author=(article.author if article and article.author else None) or entry.author,
        content_hash=stories.content_hash(title, text or entry.summary),
        extract_status="backlog" if old else (status if text or status != "ok" else "feed-only"),
        morphs=() if old else korean.analyse(f"{title}\n{(text or summary)[:LEAD_CHARS]}").tokens,
        backlog=old,
    )
    return item, note


def _is_whole_article(content_text: str, summary: str) -> bool:
    """Is a feed's own content the whole article? Long enough, and more than the summary (a
    description copied into content:encoded is still only a summary)."""
    squeeze = "".join(content_text.split())
    return len(squeeze) >= FULL_CONTENT_MIN_CHARS and squeeze != "".join(summary.split())


# --------------------------------------------------------------------------- send


def _send_job(
    settings: Settings,
    store: Store,
    out: Path,
    day: date,
    clock: Clock,
    no_send: bool,
    backfill: timedelta | None,
    progress: Progress,
    retry_now: bool,
    fire: datetime | None,
    lease: Lease | None,
) -> SendReport:
    started = timer.monotonic()
    now = clock.start
    if not no_send:
        store.job_started("send", now)
    progress.start("assemble")
    sealed = store.sealed(day)
    digest: Digest | None = None
    story_of_item: dict[int, str] = {}
    if sealed is not None:
        outputs = sealed.outputs or _legacy_outputs(settings, store, out, day, now)
        reproduced = True
        progress.finish(
            "assemble", f"{day}: sealed on {sealed.sealed_at:%Y-%m-%d %H:%M %Z}, written again as it was"
        )
    else:
        assembled = _assemble(settings, store, day, now, backfill)
        digest, story_of_item = assembled.digest, assembled.story_of_item
        outputs = render.render_all(digest, settings, render.make_environment())
        reproduced = False
        progress.finish("assemble", f"{day}: {len(story_of_item)} item(s) in {_stories(digest.story_count)}")
    files = _write_outputs(out, day, outputs)
    email = settings.email
    sections, counted = _counts(outputs, email.include_other)
    mail_stories = sealed.mail_stories if sealed is not None and sealed.mail_stories is not None else counted
    subject = _subject(settings, day, outputs, sealed, digest)
    lines: list[str] = []
    failed = False

    if no_send:
        if email.enabled:
            when = sealed.sealed_at if sealed else now
            lines.append(_write_eml(settings, out, day, outputs, subject, when))
        return SendReport(
            day,
            sections,
            tuple(files),
            sealed is not None,
            reproduced,
            mail_stories,
            tuple(lines),
            False,
            digest,
            timer.monotonic() - started,
        )

    mailing = email.enabled and (mail_stories > 0 or email.send_empty)
    if sealed is None:
        assert digest is not None
        record = SealedDigest(
            date=day,
            generated_at=digest.generated_at,
            sealed_at=now,
            stories=digest.story_count,
            items=len(story_of_item),
            outputs=outputs,
            subject=subject,
            mail_stories=mail_stories,
        )
        if not store.seal_digest(record, story_of_item, email.recipients if mailing else (), now):
            # Sealed by another process while we assembled (possible only without the lease):
            # theirs is the digest of this date.
            again = store.sealed(day)
            if again is not None and again.outputs is not None:
                files = _write_outputs(out, day, again.outputs)
                sections, _ = _counts(again.outputs, email.include_other)
            reproduced = True
    elif mailing:
        store.enqueue(day, email.recipients, now)  # readers added since it was sealed get it too
    if email.enabled and not mailing:
        lines.append(f"e-mail: nothing new for {day}: no mail (delivery.email.send_empty is off)")

    mail_lines, mail_failed = _deliver(settings, store, out, clock, retry_now, progress, lease, focus=day)
    lines += mail_lines
    failed |= mail_failed
    if settings.site_dir:
        try:
            site_delivery.publish(
                out, Path(settings.site_dir), settings.title, settings.base_url, only=store.digest_dates()
            )
            lines.append(f"site: published to {settings.site_dir}")
        except DeliveryError as exc:
            lines.append(f"site: FAILED: {exc}")
            failed = True
    seconds = timer.monotonic() - started
    shown = sum(n for _, n in sections)
    outcome = (
        f"{day}: {_stories(shown)}"
        + (" (sealed earlier)" if reproduced else "")
        + ("; delivery failed" if failed else "")
        + f" ({seconds:.1f} s)"
    )
    # The send a scheduler stands for, or today's when a person sends today's digest; sending an
    # old date by hand says nothing about this morning's send (a catch-up must still run).
    stands_for = fire or (now if day == now.date() else None)
    store.job_finished("send", clock(), True, outcome, seconds, stands_for)
    return SendReport(
        day, sections, tuple(files), True, reproduced, mail_stories, tuple(lines), failed, digest, seconds
    )


def _stories(n: int) -> str:
    return f"{n} {'story' if n == 1 else 'stories'}"


def _assemble(
    settings: Settings,
    store: Store,
    day: date,
    now: datetime,
    backfill: timedelta | None = None,
    model: learn.Model | None = None,
) -> assemble.Assembled:
    """The digest for `day` from the state: the items it takes, the earlier digests' items as
    context for follow-ups, and the learned model when examples are configured."""
    sealed = store.sealed(day)
    end = assemble.day_end(day, settings.timezone)
    if sealed is not None:
        candidates = store.issued_items(day)
    else:
        candidates = store.candidates(day, end, end - backfill if backfill else None)
    items = assemble.select(candidates, day, settings.timezone, sealed is not None, backfill)
    earlier = store.earlier_items(before=day, since=day - timedelta(days=assemble.CONTEXT_DAYS))
    model = model or learned_model(settings, store)
    generated = sealed.generated_at if sealed is not None else now
    return assemble.build(settings, items, earlier, day, now, generated, model)


def _write_outputs(out: Path, day: date, outputs: dict[str, str]) -> list[Path]:
    folder = out / day.isoformat()
    written = []
    try:
        for name in sorted(outputs):
            path = folder / name
            atomic_write(path, outputs[name].encode("utf-8"))
            written.append(path)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write the outputs: {exc.strerror or exc}") from None
    return written


def _legacy_outputs(settings: Settings, store: Store, out: Path, day: date, now: datetime) -> dict[str, str]:
    """A digest sealed by a digest older than kept outputs: its files as they are, or rebuilt
    from the items it published."""
    found = _files(out, day, ("digest.md", "digest.json", "email.html", "email.txt", "index.html"))
    if found is not None:
        return found
    digest = _assemble(settings, store, day, now).digest
    return render.render_all(digest, settings, render.make_environment())


def _counts(outputs: dict[str, str], include_other: bool) -> tuple[tuple[tuple[str, int], ...], int]:
    """From the digest.json it wrote: (theme title, stories) per section, and the stories the mail holds."""
    themes_ = json.loads(outputs["digest.json"])["themes"]
    sections = tuple((str(t["title"]), len(t["stories"])) for t in themes_)
    mail = sum(len(t["stories"]) for t in themes_ if t["id"] != "other" or include_other)
    return sections, mail


def _write_eml(
    settings: Settings, out: Path, day: date, outputs: dict[str, str], subject: str, when: datetime
) -> str:
    email = settings.email
    outbox = out / day.isoformat() / "outbox"
    for r in email.recipients:
        msg = email_delivery.build_message(subject, outputs, email, r, day, when)
        email_delivery.write_eml(msg, outbox / f"{_safe_name(r)}.eml")
    return f"--no-send: {len(email.recipients)} message(s) written to {outbox}"


def _subject(
    settings: Settings, day: date, outputs: dict[str, str], sealed: SealedDigest | None, digest: Digest | None
) -> str:
    """The mail's subject: as sealed; else from the digest; else (a digest sealed before subjects
    were kept) from its outputs."""
    if sealed is not None and sealed.subject:
        return sealed.subject
    if digest is not None:
        return render.email_subject(digest, settings.email, settings.title)
    _, stories = _counts(outputs, settings.email.include_other)
    return render.subject_line(settings.email.subject, settings.title, day, stories)


# --------------------------------------------------------------------------- the outbox


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th temporary failure a message is tried again."""
    delay: timedelta = BACKOFF_FIRST * (3 ** max(0, attempts - 1))
    return min(delay, BACKOFF_MAX)


def _deliver(
    settings: Settings,
    store: Store,
    out: Path,
    clock: Callable[[], datetime],
    retry_now: bool,
    progress: Progress,
    lease: Lease | None,
    focus: date | None = None,
) -> tuple[list[str], bool]:
    """Send every outbox row that is due, oldest digest first. Returns report lines and whether
    any delivery failed.

    Due: pending rows, retries whose backoff has passed (all of them when a person asked:
    `retry_now`), claims left by a process that is gone — and every waiting retry of a reader
    who has a due row, so nobody gets day 2's digest before day 1's.
    """
    email = settings.email
    tz = ZoneInfo(settings.timezone)
    now = clock()
    lines: list[str] = []
    readers = {r.lower() for r in email.recipients}
    store.restore_readers(readers, now)  # a reader removed and added back is owed what was cancelled
    due: list[OutboxEntry] = []
    waiting: list[OutboxEntry] = []
    for e in store.outbox(statuses=("pending", "retry", "sending")):
        if e.recipient.lower() not in readers:
            store.cancel(e.date, e.recipient, NO_LONGER_A_READER, now)
            lines.append(f"e-mail: {e.date}: {e.recipient} is {NO_LONGER_A_READER}; not sent")
        elif e.status == "retry" and not retry_now and e.next_attempt is not None and e.next_attempt > now:
            waiting.append(e)
        elif (
            e.status == "sending"
            and e.claimed_until is not None
            and e.claimed_until > now
            and not owner_gone(e.claimed_by)
        ):
            waiting.append(e)  # another process is sending it right now
        else:
            due.append(e)
    owed = {e.recipient for e in due}
    late = [e for e in waiting if e.status == "retry" and e.recipient in owed]
    waiting = [e for e in waiting if e not in late]
    due = sorted(due + late, key=lambda e: (e.date, e.recipient))
    failed = False
    if due:
        progress.start("deliver", total=len(due))
        cache: dict[date, tuple[SealedDigest | None, dict[str, str] | None]] = {}
        current: list[OutboxEntry] = []
        sent_count = 0

        def build(e: OutboxEntry) -> EmailMessage | None:
            if e.date not in cache:
                sealed = store.sealed(e.date)
                cache[e.date] = (sealed, (sealed.outputs if sealed else None) or _files(out, e.date))
            sealed, outputs = cache[e.date]
            if sealed is None or outputs is None:
                return None
            subject = _subject(settings, e.date, outputs, sealed, None)
            return email_delivery.build_message(
                subject, outputs, email, e.recipient, e.date, sealed.sealed_at
            )

        def claimed(me: str) -> Iterator[tuple[str, EmailMessage]]:
            for e in due:
                if lease is not None and lease.lost.is_set():
                    raise BusyError(
                        str(store.path), "this process lost the lease (it stalled past its expiry)"
                    )
                moment = clock()
                until = moment + timedelta(seconds=CLAIM_SECONDS)
                force = retry_now or e in late
                if not store.claim(
                    e.date, e.recipient, me, until, moment, ignore_backoff=force, stale=owner_gone
                ):
                    continue  # taken by another process a moment ago
                current[:] = [e]
                msg = build(e)
                if msg is None:
                    store.finish(
                        e.date, e.recipient, me, "failed", clock(), "the digest's mail cannot be rebuilt"
                    )
                    lines.append(
                        f"e-mail: {e.date}: FAILED for {e.recipient}: the digest's mail cannot be rebuilt"
                    )
                    current.clear()
                    continue
                # From handing the message to the relay until its outcome is recorded, a stop
                # signal waits: the relay may accept a message we gave up on.
                with signals.held():
                    yield e.recipient, msg
                current.clear()

        with owner() as me:

            def on_sent(recipient: str) -> None:
                nonlocal sent_count
                e = current[0]
                store.finish(e.date, recipient, me, "sent", clock())
                sent_count += 1
                lines.append(f"e-mail: {e.date}: sent to {recipient}")
                progress.advance("deliver")

            def on_failed(recipient: str, reason: str, permanent: bool) -> None:
                nonlocal failed
                e = current[0]
                failed = True
                if permanent:
                    store.finish(e.date, recipient, me, "failed", clock(), reason)
                    lines.append(
                        f"e-mail: {e.date}: FAILED for {recipient}: {reason} "
                        "(permanent: not retried; `digest send --retry-failed` once it is fixed)"
                    )
                else:
                    when = (clock() + backoff(e.attempts + 1)).astimezone(tz)
                    store.finish(e.date, recipient, me, "retry", clock(), reason, next_attempt=when)
                    lines.append(
                        f"e-mail: {e.date}: FAILED for {recipient}: {reason} "
                        f"(temporary: retried on a later run, from {when:%Y-%m-%d %H:%M %Z})"
                    )
                progress.advance("deliver")

            try:
                email_delivery.send_messages(claimed(me), email, on_sent=on_sent, on_failed=on_failed)
            except BaseException:
                # Stopped or failed with a row claimed and not handed over: it goes on the next run.
                for e in current:
                    store.finish(
                        e.date, e.recipient, me, "retry", clock(), "interrupted", count_attempt=False
                    )
                raise
        progress.finish("deliver", f"{sent_count} of {len(due)} message(s) sent")
    retry = [e for e in waiting if e.status == "retry" and e.next_attempt is not None]
    if retry:
        first = min(e.next_attempt for e in retry if e.next_attempt is not None).astimezone(tz)
        lines.append(
            f"e-mail: {len(retry)} message(s) waiting to be retried from {first:%Y-%m-%d %H:%M %Z} "
            f"(last error: {retry[0].last_error})"
        )
    if focus is not None and email.enabled and not due:
        rows = store.outbox(day=focus)
        if rows and all(r.status == "sent" for r in rows):
            lines.append(f"e-mail: already sent to all {len(rows)} recipient(s) for {focus}")
    return lines, failed


def _files(
    out: Path, day: date, names: tuple[str, ...] = ("email.txt", "email.html", "digest.json")
) -> dict[str, str] | None:
    """The outputs a run wrote under out/D, or None when one is missing or unreadable."""
    folder = out / day.isoformat()
    try:
        return {n: (folder / n).read_text(encoding="utf-8") for n in names}
    except OSError:
        return None


def _safe_name(recipient: str) -> str:
    return "".join(c if c.isalnum() or c in "@._-" else "_" for c in recipient)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


# --------------------------------------------------------------------------- looking, not running


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(URL or URL path, theme id) pairs from an examples file: YAML or JSON mapping URL → theme,
    a list of {url, theme}, or JSON lines with `url` and `theme` (the corpus labels format)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "examples", f"cannot read: {exc.strerror}") from exc
    try:
        if path.suffix == ".jsonl":
            rows: object = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), "examples", f"not YAML, JSON or JSON lines: {exc}") from exc
    if isinstance(rows, dict):
        return [(str(k), str(v)) for k, v in rows.items()]
    if isinstance(rows, list) and all(isinstance(r, dict) and "url" in r and "theme" in r for r in rows):
        return [(str(r["url"]), str(r["theme"])) for r in rows]
    raise ConfigError(str(path), "examples", "expected a mapping URL → theme, or rows with url and theme")


def learned_model(settings: Settings, store: Store) -> learn.Model | None:
    """The model learned from the user's labeled examples (None when there are none). Examples
    are matched to stored items by URL, or by URL path for corpus labels."""
    if not settings.examples:
        return None
    known = {t.id for t in settings.themes}
    pairs: list[tuple[Item, str]] = []
    for url, theme in read_examples(Path(settings.examples)):
        if theme not in known:
            continue
        item = store.item_by_url(stories.canonical_url(url)) if "://" in url else store.item_by_path(url)
        if item is not None:
            pairs.append((item, theme))
    return learn.train(pairs)


def preview_stories(
    settings: Settings, state_path: str | Path, day: date | None = None
) -> list[tuple[Story, str]]:
    """The stories the digest for `day` holds (or would hold), without fetching or consuming."""
    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    day = day or now.date()
    with Store(state_path, readonly=True) as store:
        digest = _assemble(settings, store, day, now).digest
    return [(story, sec.id) for sec in digest.sections for story in sec.stories]


def publish_site(settings: Settings, state_path: str | Path, out_dir: Path, site_dir: Path) -> list[Path]:
    """Write the static site from the sealed digests under `out_dir` (not --no-send previews)."""
    with Store(state_path, readonly=True) as store:
        issued = store.digest_dates()
    return site_delivery.publish(out_dir, site_dir, settings.title, settings.base_url, only=issued)


@dataclass(frozen=True)
class Explanation:
    story: Story
    theme: str  # the section it is under
    scores: tuple[themes.ThemeScore, ...]
    model_view: tuple[str, float, tuple[str, ...]] | None


def explain(
    settings: Settings, state_path: str | Path, key: str, day: date | None = None
) -> Explanation | None:
    """Why a story (by id, or by the URL of one of its items) is where it is."""
    with Store(state_path, readonly=True) as store:
        item = store.item_by_url(stories.canonical_url(key)) if "://" in key else None
        if item is not None and item.issued_on is not None:
            day = item.issued_on
        tz = ZoneInfo(settings.timezone)
        now = datetime.now(tz)
        model = learned_model(settings, store)
        digest = _assemble(settings, store, day or now.date(), now, model=model).digest
    for sec in digest.sections:
        for story in sec.stories:
            if story.id == key or (item is not None and any(it.id == item.id for it in story.items)):
                members = [*story.items, *story.earlier]
                view = model.predict(members) if model is not None else None
                return Explanation(story, sec.id, tuple(themes.explain(members, settings.themes)), view)
    return None


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class Status:
    state: Path
    collect: JobRecord
    send: JobRecord
    waiting: int
    backlog: int
    outbox: tuple[OutboxEntry, ...]
    lease: LeaseHolder | None
    sources: tuple[tuple[str, str | None, str | None, str | None], ...]  # name, last status, checked, last ok
    digests: tuple[date, ...]


def status(state_path: str | Path) -> Status:
    """What the state says: the last collect and send, items waiting, the outbox, who holds the
    lease, each source's last result, the sealed digests."""
    with Store(state_path, readonly=True) as store:
        waiting, backlog_count = store.count_waiting()
        holder = store.lease(RUNNER)
        if holder is not None and (holder.expires < timer.time()):
            holder = None
        last = store.last_sealed()
        return Status(
            state=Path(state_path),
            collect=store.job("collect"),
            send=store.job("send"),
            waiting=waiting,
            backlog=backlog_count,
            outbox=tuple(e for e in store.outbox() if e.status != "sent" or e.date == last),
            lease=holder,
            sources=tuple((s.name, s.last_status, s.last_checked, s.last_ok) for s in store.sources()),
            digests=tuple(store.digest_dates()),
        )


__all__ = [
    "CollectReport",
    "Explanation",
    "RunReport",
    "SendReport",
    "Status",
    "backoff",
    "collect",
    "collect_line",
    "explain",
    "preview_stories",
    "publish_site",
    "retry_outbox",
    "run",
    "send",
    "status",
]
