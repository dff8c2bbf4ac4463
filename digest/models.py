"""Frozen records that cross the boundaries between pipeline stages.

Nothing here imports any other module of ours; every stage speaks in these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from .backoff import Health

SourceType = Literal["feed", "page"]


@dataclass(frozen=True)
class Source:
    """One configured source: a feed, or an HTML listing page whose article links are followed."""

    name: str
    url: str
    type: SourceType = "feed"
    encoding: str | None = None
    enabled: bool = True
    tags: tuple[str, ...] = ()
    selector: str | None = None  # CSS selector for article links on a `page` source


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators remembered per URL for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Response:
    """What the fetcher brings back for one URL (2xx or 304)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes
    content_type: str  # media type without parameters, lower case ("" if absent)
    charset: str | None  # the charset parameter of Content-Type, if any
    validators: Validators = Validators()
    # Every redirect on the way was permanent (301/308): the URL to ask from now on; else None.
    moved_to: str | None = None
    # Retry-After / Cache-Control of the answer, as sent (`digest.backoff` reads them).
    retry_after: str | None = None
    cache_control: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Enclosure:
    """A file an entry carries (RSS `<enclosure>`, Atom `rel="enclosure"`, JSON Feed attachment):
    a podcast's audio, a video, an image."""

    url: str
    type: str = ""  # its media type, lower case ("" when not said)
    length: int | None = None  # in bytes, when said

    @property
    def kind(self) -> str:
        """`audio`, `video`, `image` or "" (what a reader is told it is)."""
        major = self.type.split("/", 1)[0]
        return major if major in ("audio", "video", "image") else ""


@dataclass(frozen=True)
class Entry:
    """One entry of a parsed feed, or one article link found on a listing page."""

    url: str
    title: str = ""
    guid: str | None = None
    summary: str = ""  # plain text
    content_html: str | None = None  # the feed's own full content (content:encoded, Atom content)
    published: datetime | None = None  # aware
    author: str | None = None
    # The feed gave a date without a time of day (`2024-06-12`): `published` is midnight local
    # time of that date, and no output shows a time for it.
    date_only: bool = False
    categories: tuple[str, ...] = ()  # the feed's own categories or tags, in order, once each
    enclosures: tuple[Enclosure, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """What extraction finds in an article page (or in a feed's full content)."""

    text: str  # paragraphs separated by a blank line; "" when nothing trustworthy was found
    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    date_only: bool = False  # `published` is a date without a time of day (see Entry.date_only)
    # The subtitles (부제) that open the article before its dateline byline, one per line ("\n"
    # between them); never the byline itself. "" when it has none.
    subtitle: str = ""


OTHER = "other"  # the id of the catch-all theme: stories no theme claims

# How much of the text after the title is analysed into morphemes when an item is stored (its
# lead); stories and themes read the same span.
LEAD_CHARS = 400

# The most of an article's text an item keeps (a long feature is about 20,000): a 4 MB "article"
# is cut here when it is stored, so no later stage (themes, stories, outputs) holds more.
TEXT_CHARS = 100_000
# A feed's own summary longer than this is summarized like an article's text, not shown whole.
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class NewItem:
    """An item ready to be stored: everything we know about one article."""

    source: str
    url: str  # as linked
    canonical_url: str
    guid: str | None
    title: str
    summary: str
    text: str
    published: datetime | None
    author: str | None
    content_hash: str
    extract_status: str = "ok"  # ok | feed-only | backlog | failed: <reason>
    morphs: tuple[tuple[str, str], ...] = ()  # of the title and lead, see Item.morphs
    # Seen on a source's first collect but published before the first-run window: recorded so
    # that it is never new again, and put in no digest (unless asked for with --backfill).
    backlog: bool = False
    date_only: bool = False  # `published` is a date without a time of day (see Entry.date_only)
    subtitle: str = ""  # see Article.subtitle
    categories: tuple[str, ...] = ()  # see Entry.categories
    enclosures: tuple[Enclosure, ...] = ()


@dataclass(frozen=True)
class Item:
    """A stored item as the later stages see it."""

    id: int
    source: str
    url: str
    canonical_url: str
    guid: str | None
    title: str
    summary: str
    text: str
    published: datetime | None
    first_seen: datetime
    author: str | None = None
    content_hash: str = ""
    story_id: str | None = None
    issued_on: date | None = None  # the digest date that published it, if any
    # Morphemes (form, tag) of the title and lead, analysed once when the item was stored
    # (korean.analyse); empty for items stored before the analyser ran.
    morphs: tuple[tuple[str, str], ...] = ()
    backlog: bool = False  # see NewItem.backlog
    date_only: bool = False  # `published` is a date without a time of day (see Entry.date_only)
    subtitle: str = ""  # see Article.subtitle
    categories: tuple[str, ...] = ()  # see Entry.categories
    enclosures: tuple[Enclosure, ...] = ()


@dataclass(frozen=True)
class ThemeDef:
    id: str
    title: str
    title_en: str = ""
    description: str = ""
    terms: tuple[tuple[str, float], ...] = ()  # (term, weight)
    exclude: tuple[str, ...] = ()
    # Among themes a story qualifies for, one with a higher precedence and a core term in a
    # headline wins (a sandbox decision about a care robot is a sandbox story).
    precedence: int = 0


@dataclass(frozen=True)
class Placement:
    """Which theme a story goes under, and why."""

    theme: str
    score: float
    secondary: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # e.g. ("title: 규제샌드박스 ×3.0",)


@dataclass(frozen=True)
class Story:
    """One real-world event: the items that cover it, headed by a representative item."""

    id: str
    items: tuple[Item, ...]  # representative first
    title: str
    summary: str
    is_update: bool = False  # the story already appeared in an earlier digest
    earlier: tuple[Item, ...] = ()  # items of this story issued in earlier digests
    placement: Placement = field(default_factory=lambda: Placement(theme=OTHER, score=0.0))
    evidence: tuple[str, ...] = ()  # why its items were joined
    english_outlets: tuple[str, ...] = ()  # outlets among `outlets` that covered it in English

    @property
    def outlets(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.setdefault(item.source, None)
        return tuple(seen)


@dataclass(frozen=True)
class ThemeSection:
    id: str
    title: str
    title_en: str
    description: str
    stories: tuple[Story, ...]
    # Stories ranked below `max_stories_per_theme`: listed compactly under "더 보기", published
    # with the digest all the same (a story never waits for a later digest).
    more: tuple[Story, ...] = ()


@dataclass(frozen=True)
class Digest:
    date: date
    generated_at: datetime
    title: str
    timezone: str
    sections: tuple[ThemeSection, ...]
    lead: str | None = None  # the id of the day's most important story (first in `sections`)
    sources_note: str | None = None  # the sources' health, when there is something to say

    @property
    def story_count(self) -> int:
        return sum(len(s.stories) for s in self.sections)

    @property
    def item_count(self) -> int:
        return sum(len(story.items) for s in self.sections for story in s.stories)

    def mail_sections(self, include_other: bool) -> tuple[ThemeSection, ...]:
        """The sections the e-mail shows: `other` only when asked for."""
        return tuple(s for s in self.sections if s.id != OTHER or include_other)


@dataclass(frozen=True)
class SourceReport:
    """How one source fared in a run."""

    name: str
    seen: int = 0
    new: int = 0
    failed: int = 0
    error: str | None = None  # one line; set when the source itself failed
    not_modified: bool = False
    notes: tuple[str, ...] = ()  # per-item problems (article page 404, extraction failed …)
    backlog: int = 0  # on a first collect: items older than the first-run window, recorded as seen
    waiting: str | None = None  # not fetched this time (backoff, Retry-After, 410): why


# --------------------------------------------------------------------------- the state's records
# What storage hands back about digests, the outbox, the runner's lease and past jobs.


@dataclass(frozen=True)
class SealedDigest:
    """A digest as it was sealed: once delivered or published, its date takes no new item and a
    re-run reproduces it from these outputs, byte for byte."""

    date: date
    generated_at: datetime
    sealed_at: datetime
    stories: int
    items: int
    outputs: dict[str, str] | None  # file name → text; None for digests sealed before outputs were kept
    subject: str | None
    mail_stories: int | None  # stories in the mail (None: not known)


OutboxStatus = Literal["pending", "sending", "sent", "retry", "failed", "cancelled"]


@dataclass(frozen=True)
class OutboxEntry:
    """One (digest, recipient): pending → sending (claimed) → sent, or retry (temporary failure,
    tried again later), failed (permanent: 5xx for that address), cancelled (no longer a reader)."""

    date: date
    recipient: str
    status: OutboxStatus
    attempts: int = 0
    last_error: str | None = None
    next_attempt: datetime | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds the state's runner lease (or the scheduler's), until when (unix time)."""

    name: str
    owner: str
    host: str
    pid: int
    job: str
    acquired: float
    expires: float


@dataclass(frozen=True)
class JobRecord:
    """The last run of a job (collect, send) as the state remembers it."""

    name: str
    started: datetime | None = None
    finished: datetime | None = None
    last_ok: datetime | None = None  # when the last successful run finished
    fire: datetime | None = None  # the scheduled time the last successful run stood for
    outcome: str | None = None  # one line
    seconds: float | None = None


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str
    validators: Validators
    last_status: str | None
    last_checked: str | None
    last_ok: str | None
    health: Health = field(default_factory=Health)  # how it has been doing at this URL (new when moved)

    @property
    def first_collect(self) -> bool:
        """Never fetched successfully at this URL: its backlog is not news (the first-run window)."""
        return self.last_ok is None


# --------------------------------------------------------------------------- settings
# Built once by `config.load_settings` and passed down; no module reads a global.


@dataclass(frozen=True)
class EmailSettings:
    recipients: tuple[str, ...] = ()
    sender: str = "digest@localhost"
    subject: str = "[{title}] {date} · 스토리 {stories}건"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: str | None = None  # only ever from the environment variable named in the config
    ca_file: str | None = None  # extra CA bundle to trust (a private relay); system CAs otherwise
    timeout: float = 30.0
    list_id: str = "digest.localhost"
    unsubscribe: str | None = None  # mailto: or https: target for List-Unsubscribe
    include_other: bool = False
    send_empty: bool = False  # mail a digest whose mail would hold no story

    @property
    def enabled(self) -> bool:
        return bool(self.recipients)


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 8
    per_host: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    max_items_per_feed: int = 200
    # Seconds one source may take (its feed and all its article pages), and a whole collect. An
    # article page not fetched in time keeps its feed summary and is fetched on the next collect.
    source_budget: float = 300.0
    run_deadline: float = 1200.0
    user_agent: str = "digest/0.1 (+https://github.com/; Korean health-tech daily digest)"


@dataclass(frozen=True)
class ScheduleSettings:
    """When `digest schedule` collects and sends (validated by `schedule.parse_schedule`)."""

    collect: str = "every 60 min"
    send: str = "0 7 * * *"
    catch_up: Literal["one", "each_day"] = "one"  # several missed mornings: one digest, or one a day
    grace: timedelta = timedelta(hours=12)  # a send missed by more than this is not caught up at start-up


@dataclass(frozen=True)
class GlossaryTerm:
    """One entry of the bilingual glossary (see digest/glossary.yaml): a place, an organisation,
    an agency or a domain term, its Korean spellings and English forms."""

    kind: Literal["place", "org", "agency", "term"]
    korean: tuple[str, ...]  # the first is the entry's key
    english: tuple[str, ...]
    parent: str | None = None  # a place's province (its Korean key)


@dataclass(frozen=True)
class Settings:
    path: str  # the config file it came from
    sources: tuple[Source, ...]
    themes: tuple[ThemeDef, ...]  # in display order; `other` is the catch-all
    title: str = "헬스테크 데일리"
    timezone: str = "Asia/Seoul"
    max_stories_per_theme: int = 20
    other_position: Literal["last", "hidden"] = "last"
    min_theme_score: float = 1.0
    fetch: FetchSettings = FetchSettings()
    email: EmailSettings = EmailSettings()
    site_dir: str | None = None
    base_url: str | None = None  # where the site is published, for absolute links in mail and feed
    # Labeled examples (`examples:`, resolved against the config file's folder) for the learned
    # theme model; None: the model is off.
    examples: str | None = None
    # On a source's first collect, items published more than this before the end of the digest's
    # date are recorded as seen, not news (a first run does not mail years of backlog).
    first_run_window: timedelta = timedelta(hours=36)
    schedule: ScheduleSettings = ScheduleSettings()
    glossary: tuple[GlossaryTerm, ...] = ()  # the user's entries, added to the shipped glossary
    # Keep the texts and morphemes of published items this many days (`digest prune`, and every
    # send when set); None: keep them all.
    keep_days: int | None = None


# --------------------------------------------------------------------------- state records
# What callers hand the state and get back from it, by name rather than by tuple position.


@dataclass(frozen=True)
class SourceUpdate:
    """A source's successful fetch, saved with its items: under this name and URL, these validators."""

    name: str
    url: str
    validators: Validators
    health: Health | None = None  # how it has been doing, after this fetch


@dataclass(frozen=True)
class Known:
    """Which of the canonical URLs and (source, guid) pairs asked about are already stored."""

    urls: frozenset[str]
    guids: frozenset[tuple[str, str]]
