"""The wiring of one run: fetch → parse → extract → store → stories → themes → render → deliver.

Crash safety, in order: a source's new items and its HTTP validators are stored in one
transaction (a crash before it re-fetches them next time); the outputs are written atomically;
then the digest is issued (its items marked as published, in one transaction); then each
recipient's delivery is recorded the moment it succeeds. A re-run for the same date rebuilds the
same digest and sends only to readers not yet sent to.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import yaml

from . import extract, korean, learn, render, stories, themes
from .charset import decode_html
from .deliver import email as email_delivery
from .deliver import site as site_delivery
from .errors import ConfigError, DeliveryError, DigestError, ExtractError, FetchError, ParseError
from .fetch import Fetcher, make_client
from .fsutil import atomic_write
from .models import (
    Article,
    Digest,
    Entry,
    Item,
    NewItem,
    Response,
    Settings,
    Source,
    SourceReport,
    Story,
    ThemeSection,
)
from .parse import parse_feed
from .storage import Store

LEAD_CHARS = 400  # how much of the text after the title is analysed into morphemes and stored
CONTEXT_DAYS = 7  # how far back a follow-up can join an earlier story
FULL_CONTENT_MIN_CHARS = 200  # a feed's own content shorter than this is treated as a summary


@dataclass(frozen=True)
class RunReport:
    day: date
    sources: tuple[SourceReport, ...]
    digest: Digest | None
    files: tuple[Path, ...]
    published: bool
    deliveries: tuple[str, ...] = ()
    error: str | None = None


def run(
    settings: Settings,
    state_path: str | Path,
    out_dir: str | Path,
    day: date | None = None,
    no_send: bool = False,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> RunReport:
    """One run for one date. Never raises for a bad source; raises DigestError for bad state."""
    tz = ZoneInfo(settings.timezone)
    now = (now or datetime.now(tz)).astimezone(tz)
    day = day or now.date()
    with Store(state_path) as store:
        reports = asyncio.run(collect(settings, store, now, client))
        enabled = [s for s in settings.sources if s.enabled]
        if enabled and all(r.error for r in reports):
            return RunReport(day, tuple(reports), None, (), False, error="every source failed")
        digest, story_of_item = build_digest(settings, store, day, now)
        files = write_outputs(digest, settings, Path(out_dir))
        publish = not no_send
        if publish:
            store.issue_digest(day, digest.generated_at, story_of_item, digest.story_count)
        lines = deliver(settings, store, digest, files, Path(out_dir), no_send, now, log)
        if publish and settings.site_dir:
            try:
                site_delivery.publish(
                    Path(out_dir),
                    Path(settings.site_dir),
                    settings.title,
                    settings.base_url,
                    only=store.digest_dates(),
                )
                lines.append(f"site: published to {settings.site_dir}")
            except DeliveryError as exc:
                lines.append(f"site: FAILED: {exc}")
    return RunReport(day, tuple(reports), digest, tuple(files), publish, tuple(lines))


# --------------------------------------------------------------------------- collect


async def collect(
    settings: Settings, store: Store, now: datetime, client: httpx.AsyncClient | None = None
) -> list[SourceReport]:
    """Fetch every enabled source concurrently and store what is new. One bad source never
    stops the others: its failure comes back as a report line."""
    sources = [s for s in settings.sources if s.enabled]
    own_client = client is None
    http = client or make_client(settings.fetch)
    trusted = {(httpx.URL(s.url).host or "").lower() for s in sources}
    fetcher = Fetcher(http, settings.fetch, trusted)
    try:
        results = await asyncio.gather(
            *(_collect_source(s, settings, store, fetcher, now) for s in sources), return_exceptions=True
        )
    finally:
        if own_client:
            await http.aclose()
    reports: list[SourceReport] = []
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, SourceReport):
            reports.append(result)
        elif isinstance(result, DigestError | OSError | ValueError):
            reports.append(SourceReport(source.name, error=_one_line(result)))
            store.record_source(source.name, source.url, _one_line(result), now)
        else:
            raise result
    return reports


async def _collect_source(
    source: Source, settings: Settings, store: Store, fetcher: Fetcher, now: datetime
) -> SourceReport:
    state = store.source_state(source.name, source.url)
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

    built = await asyncio.gather(*(_build_item(source, e, c, fetcher, settings, now) for e, c in fresh))
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
    return SourceReport(source.name, seen=len(entries), new=added, failed=failed, notes=tuple(notes))


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


async def _build_item(
    source: Source, entry: Entry, canonical: str, fetcher: Fetcher, settings: Settings, now: datetime
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
        extract_status=status if text or status != "ok" else "feed-only",
        morphs=korean.analyse(f"{title}\n{(text or summary)[:LEAD_CHARS]}").tokens,
    )
    return item, note


def _is_whole_article(content_text: str, summary: str) -> bool:
    """Is a feed's own content the whole article? Long enough, and more than the summary (a
    description copied into content:encoded is still only a summary)."""
    squeeze = "".join(content_text.split())
    return len(squeeze) >= FULL_CONTENT_MIN_CHARS and squeeze != "".join(summary.split())


# --------------------------------------------------------------------------- digest


def build_digest(
    settings: Settings, store: Store, day: date, now: datetime, model: learn.Model | None = None
) -> tuple[Digest, dict[int, str]]:
    """The digest for `day` from the state, and the story id of every item it publishes."""
    tz = ZoneInfo(settings.timezone)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
    items = store.items_for_digest(day, day_end)
    earlier = store.earlier_items(before=day, since=day - timedelta(days=CONTEXT_DAYS))
    clusters = stories.cluster(items, earlier)
    model = model or learned_model(settings, store)
    by_theme: dict[str, list[Story]] = {t.id: [] for t in settings.themes}
    for c in clusters:
        placement = themes.place(
            [*c.items, *c.earlier], settings.themes, settings.min_theme_score, model=model
        )
        rep = c.items[0]
        story = Story(
            id=c.story_id,
            items=c.items,
            title=rep.title,
            summary=rep.summary,
            is_update=bool(c.earlier),
            earlier=c.earlier,
            placement=placement,
            evidence=c.evidence,
        )
        by_theme.setdefault(placement.theme, []).append(story)
    sections: list[ThemeSection] = []
    story_of_item: dict[int, str] = {}
    for theme in settings.themes:
        ranked = themes.rank(by_theme.get(theme.id, []), now)
        shown = ranked[: settings.max_stories_per_theme]
        consumed = ranked if theme.id == "other" else shown
        for s in consumed:
            for it in s.items:
                story_of_item[it.id] = s.id
        if theme.id == "other" and settings.other_position == "hidden":
            continue
        sections.append(ThemeSection(theme.id, theme.title, theme.title_en, theme.description, tuple(shown)))
    generated = store.digest_generated_at(day) or now
    digest = Digest(
        date=day,
        generated_at=generated,
        title=settings.title,
        timezone=settings.timezone,
        sections=tuple(sections),
    )
    return digest, story_of_item


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


def write_outputs(digest: Digest, settings: Settings, out_dir: Path) -> list[Path]:
    env = render.make_environment()
    rendered = render.render_all(digest, settings, env)
    folder = out_dir / digest.date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in rendered.items():
        path = folder / name
        atomic_write(path, content.encode("utf-8"))
        written.append(path)
    return written


# --------------------------------------------------------------------------- deliver


def deliver(
    settings: Settings,
    store: Store,
    digest: Digest,
    files: Sequence[Path],
    out_dir: Path,
    no_send: bool,
    now: datetime,
    log: Callable[[str], None],
) -> list[str]:
    """Send the digest to every recipient not yet sent to (or, with --no-send, write .eml files)."""
    email = settings.email
    if not email.enabled:
        return []
    rendered = {p.name: p.read_text(encoding="utf-8") for p in files}
    subject = render.email_subject(digest, email, settings.title)
    lines: list[str] = []
    if no_send:
        outbox = out_dir / digest.date.isoformat() / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        for r in email.recipients:
            msg = email_delivery.build_message(subject, rendered, email, r, digest.date, now)
            email_delivery.write_eml(msg, outbox / f"{_safe_name(r)}.eml")
        lines.append(f"--no-send: {len(email.recipients)} message(s) written to {outbox}")
        return lines
    done = store.delivered(digest.date)
    pending = [r for r in email.recipients if r not in done]
    if not pending:
        return [f"e-mail: already sent to all {len(email.recipients)} recipient(s) for {digest.date}"]
    messages = [
        (r, email_delivery.build_message(subject, rendered, email, r, digest.date, now)) for r in pending
    ]

    def sent(recipient: str) -> None:
        store.record_delivery(digest.date, recipient, True, now)
        lines.append(f"e-mail: sent to {recipient}")

    def failed(recipient: str, reason: str) -> None:
        store.record_delivery(digest.date, recipient, False, now, reason)
        lines.append(f"e-mail: FAILED for {recipient}: {reason} (retried on the next run)")

    try:
        email_delivery.send_messages(messages, email, on_sent=sent, on_failed=failed)
    except DeliveryError as exc:
        lines.append(f"e-mail: {exc}")
    if len(done):
        lines.append(f"e-mail: {len(done)} recipient(s) already had this digest")
    return lines


def _safe_name(recipient: str) -> str:
    return "".join(c if c.isalnum() or c in "@._-" else "_" for c in recipient)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def preview_stories(
    settings: Settings, state_path: str | Path, day: date | None = None
) -> list[tuple[Story, str]]:
    """The stories the digest for `day` holds (or would hold), without fetching or consuming."""
    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    day = day or now.date()
    with Store(state_path) as store:
        digest, _ = build_digest(settings, store, day, now)
    return [(story, sec.id) for sec in digest.sections for story in sec.stories]


def publish_site(settings: Settings, state_path: str | Path, out_dir: Path, site_dir: Path) -> list[Path]:
    """Write the static site from the published digests under `out_dir` (not --no-send previews)."""
    with Store(state_path) as store:
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
    with Store(state_path) as store:
        item = store.item_by_url(stories.canonical_url(key)) if "://" in key else None
        if item is not None and item.issued_on is not None:
            day = item.issued_on
        tz = ZoneInfo(settings.timezone)
        now = datetime.now(tz)
        model = learned_model(settings, store)
        digest, _ = build_digest(settings, store, day or now.date(), now, model)
    for sec in digest.sections:
        for story in sec.stories:
            if story.id == key or (item is not None and any(it.id == item.id for it in story.items)):
                members = [*story.items, *story.earlier]
                view = model.predict(members) if model is not None else None
                return Explanation(story, sec.id, tuple(themes.explain(members, settings.themes)), view)
    return None
