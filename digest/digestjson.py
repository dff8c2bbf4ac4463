"""The ``digest.json`` schema: frozen records of the file `render` writes and the site reads back.

`DigestRecord.from_digest(digest).to_json()` is the file as written (keys in a fixed order);
`DigestRecord.from_json` / `from_dict` read one back, tolerant of what older versions wrote and
of hand edits: a missing or mistyped field reads as empty ("", (), None, False, 0.0). Refused
(ValueError, TypeError or AttributeError) is only a file that is not JSON, whose themes, stories,
items or earlier items are not objects, or whose date is not a date (or not its folder's).

An item (`ItemRecord`) holds, besides its url, title, source, published, summary, text and
story_id: ``"time_known": false`` right after ``published`` when the source gave only a date
(``published`` is then midnight of that date in its own offset, and no reader should show its
time; the key is absent when the time is known), and ``"subtitle"`` right after ``title`` when
the article has subtitles (부제): one per line, "\n" between them, never its byline; after
``story_id``, ``"categories"`` (the feed's, a list of strings) and ``"enclosures"`` (``{"url",
"type", "length"}``: a podcast's audio, a video, an image) when the feed gave any. The digest
has ``"lead"`` after ``timezone``: the id of the day's lead story (the first story of the first
theme; null on an empty day); a story with English coverage has ``"english_outlets"`` after
``evidence``: those of its outlets that covered it in English. A theme with more stories than
`max_stories_per_theme` has ``"more"`` after ``stories``: the rest, ranked, as story objects whose
items carry no ``text`` (the digest lists them compactly under "더 보기" and publishes them).
When some sources are failing, quiet or gone, ``"sources_note"`` after ``themes`` says so in one
line (`digest.sourcehealth.footer`); the key is absent otherwise.

Here too is what every reader of a digest shares: `OTHER`, the counts (`counts`,
`counts_of_json`), the update-note sentence (`update_sentence`, with `ko_date`) and the time-zone
lookup (`zone_named`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.models import OTHER, Digest, Enclosure, Item, Story, ThemeSection

__all__ = [
    "DEFAULT_TIMEZONE",
    "OTHER",
    "Counts",
    "DigestRecord",
    "EarlierRecord",
    "ItemRecord",
    "SectionRecord",
    "StoryRecord",
    "counts",
    "counts_of_json",
    "ko_date",
    "update_sentence",
    "zone_named",
]

DEFAULT_TIMEZONE = "Asia/Seoul"  # of a digest.json without a (known) time zone

_WEEKDAYS = "월화수목금토일"
_Day = date  # the type, inside `DigestRecord` (whose field `date` hides the name)


# --------------------------------------------------------------------------- shared helpers


def ko_date(day: date) -> str:
    """``2024년 6월 13일 (목)``."""
    return f"{day.year}년 {day.month}월 {day.day}일 ({_WEEKDAYS[day.weekday()]})"


def zone_named(name: str, fallback: str | None = None) -> tzinfo:
    """The IANA time zone `name`; when there is no such zone, `fallback`'s, or (no fallback) a
    ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if fallback is None:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return ZoneInfo(fallback)


def update_sentence(issued: Sequence[date | None], before: date | None = None) -> str:
    """The sentence saying an update story continues earlier reports, from the digest dates of its
    earlier items (None: not known): the first such date (before `before`, when given) is named;
    with none, it is said in general; with no earlier item at all, "" (nothing to say)."""
    days = _issued(issued, before)
    if days:
        return f"{ko_date(min(days))} 다이제스트에서 전한 소식에 이어지는 보도입니다."
    return "앞서 전한 소식에 이어지는 보도입니다." if issued else ""


class _Story(Protocol):
    @property
    def items(self) -> Sequence[object]: ...


class _Section(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def stories(self) -> Sequence[_Story]: ...


@dataclass(frozen=True)
class Counts:
    """How many stories, and items in them."""

    stories: int
    items: int


def counts(sections: Iterable[_Section], include_other: bool = True) -> Counts:
    """Stories and items in `sections` (of a `Digest`, a `DigestRecord` or a view of one); the
    `other` theme's only with `include_other` (the mail leaves it out unless asked)."""
    shown = [s for s in sections if s.id != OTHER or include_other]
    return Counts(
        stories=sum(len(s.stories) for s in shown),
        items=sum(len(story.items) for s in shown for story in s.stories),
    )


def counts_of_json(text: str, include_other: bool) -> tuple[tuple[tuple[str, int], ...], int]:
    """From a digest.json's text: (theme title, stories) per theme, and the stories the mail holds."""
    record = DigestRecord.from_json(text)
    return record.section_counts(), record.counts(include_other).stories


# --------------------------------------------------------------------------- the records


@dataclass(frozen=True)
class EarlierRecord:
    """An item of the story that an earlier digest carried."""

    url: str
    title: str
    source: str
    issued_on: date | None = None  # the digest that carried it

    @classmethod
    def from_item(cls, item: Item) -> EarlierRecord:
        return cls(url=item.url, title=item.title, source=item.source, issued_on=item.issued_on)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "source": self.source,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EarlierRecord:
        return cls(
            url=_str(data.get("url")),
            title=_str(data.get("title")),
            source=_str(data.get("source")),
            issued_on=_date(data.get("issued_on")),
        )


@dataclass(frozen=True)
class ItemRecord:
    """One article of a story."""

    url: str
    title: str
    source: str
    published: datetime | None = None  # as the feed gave it (without an offset: the digest's zone)
    summary: str = ""
    text: str = ""  # the article's text; written only when there is some
    story_id: str = ""
    # `published` is a date without a time of day: written as "time_known": false (only then).
    date_only: bool = False
    subtitle: str = ""  # the subtitles, one per line; written only when there are some
    categories: tuple[str, ...] = ()  # the feed's categories; written only when there are some
    enclosures: tuple[Enclosure, ...] = ()  # its files (audio, video, image); likewise

    @classmethod
    def from_item(cls, item: Item, story_id: str) -> ItemRecord:
        return cls(
            url=item.url,
            title=item.title,
            source=item.source,
            published=item.published,
            summary=item.summary,
            text=item.text,
            story_id=item.story_id or story_id,
            date_only=item.date_only and item.published is not None,
            subtitle=item.subtitle,
            categories=item.categories,
            enclosures=item.enclosures,
        )

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"url": self.url, "title": self.title}
        if self.subtitle:
            record["subtitle"] = self.subtitle
        record["source"] = self.source
        record["published"] = self.published.isoformat() if self.published else None
        if self.date_only:
            record["time_known"] = False
        record["summary"] = self.summary
        if self.text:
            record["text"] = self.text
        record["story_id"] = self.story_id
        if self.categories:
            record["categories"] = list(self.categories)
        if self.enclosures:
            record["enclosures"] = [
                {"url": e.url, "type": e.type or None, "length": e.length} for e in self.enclosures
            ]
        return record

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], story_id: str = "") -> ItemRecord:
        """`story_id`: the story it is listed under, for an item that does not say."""
        return cls(
            url=_str(data.get("url")),
            title=_str(data.get("title")),
            source=_str(data.get("source")),
            published=_moment(data.get("published")),
            summary=_str(data.get("summary")),
            text=_str(data.get("text")),
            story_id=_str(data.get("story_id")) or story_id,
            date_only=data.get("time_known") is False,
            subtitle=_str(data.get("subtitle")),
            categories=_strings(data.get("categories")),
            enclosures=tuple(
                Enclosure(
                    _str(e.get("url")),
                    _str(e.get("type")),
                    e.get("length") if isinstance(e.get("length"), int) else None,
                )
                for e in data.get("enclosures") or []
                if isinstance(e, dict) and _str(e.get("url"))
            ),
        )


@dataclass(frozen=True)
class StoryRecord:
    """One story: its items (representative first), where it was placed, what came before."""

    id: str
    title: str
    summary: str
    is_update: bool = False
    theme: str = ""  # where it was placed, and why: score and reasons
    secondary_themes: tuple[str, ...] = ()
    score: float = 0.0
    reasons: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    items: tuple[ItemRecord, ...] = ()
    earlier: tuple[EarlierRecord, ...] = ()
    evidence: tuple[str, ...] = ()  # why its items were joined
    english_outlets: tuple[str, ...] = ()  # of `outlets`, those that covered it in English

    @classmethod
    def from_story(cls, story: Story, texts: bool = True) -> StoryRecord:
        """`texts`: with the articles' texts (a story listed under "더 보기" is written without)."""
        placement = story.placement
        return cls(
            id=story.id,
            title=story.title,
            summary=story.summary,
            is_update=story.is_update,
            theme=placement.theme,
            secondary_themes=tuple(placement.secondary),
            score=placement.score,
            reasons=tuple(placement.reasons),
            outlets=story.outlets,
            items=tuple(
                ItemRecord.from_item(item if texts else replace(item, text=""), story.id)
                for item in story.items
            ),
            earlier=tuple(EarlierRecord.from_item(item) for item in story.earlier),
            evidence=tuple(story.evidence),
            english_outlets=tuple(story.english_outlets),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "is_update": self.is_update,
            "theme": self.theme,
            "secondary_themes": list(self.secondary_themes),
            "score": self.score,
            "reasons": list(self.reasons),
            "outlets": list(self.outlets),
            "items": [item.to_dict() for item in self.items],
            "earlier": [item.to_dict() for item in self.earlier],
            "evidence": list(self.evidence),
        }
        if self.english_outlets:
            out["english_outlets"] = list(self.english_outlets)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoryRecord:
        story_id = _str(data.get("id"))
        return cls(
            id=story_id,
            title=_str(data.get("title")),
            summary=_str(data.get("summary")),
            is_update=bool(data.get("is_update")),
            theme=_str(data.get("theme")),
            secondary_themes=_strings(data.get("secondary_themes")),
            score=_number(data.get("score")),
            reasons=_strings(data.get("reasons")),
            outlets=_strings(data.get("outlets")),
            items=tuple(ItemRecord.from_dict(i, story_id) for i in data.get("items") or []),
            earlier=tuple(EarlierRecord.from_dict(e) for e in data.get("earlier") or []),
            evidence=_strings(data.get("evidence")),
            english_outlets=_strings(data.get("english_outlets")),
        )

    def first_issued(self, before: date | None = None) -> date | None:
        """The first digest (before `before`, when given) that carried an earlier item."""
        return min(_issued([e.issued_on for e in self.earlier], before), default=None)

    def update_note(self, before: date | None = None) -> str:
        """The update sentence of an update story (`update_sentence`); "" for any other."""
        return update_sentence([e.issued_on for e in self.earlier], before) if self.is_update else ""


@dataclass(frozen=True)
class SectionRecord:
    """One theme of the digest, its stories in order."""

    id: str
    title: str
    title_en: str = ""
    stories: tuple[StoryRecord, ...] = ()
    more: tuple[StoryRecord, ...] = ()  # listed compactly under "더 보기" (without texts)

    @classmethod
    def from_section(cls, section: ThemeSection) -> SectionRecord:
        return cls(
            id=section.id,
            title=section.title,
            title_en=section.title_en,
            stories=tuple(StoryRecord.from_story(story) for story in section.stories),
            more=tuple(StoryRecord.from_story(story, texts=False) for story in section.more),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "title_en": self.title_en,
            "stories": [story.to_dict() for story in self.stories],
        }
        if self.more:
            out["more"] = [story.to_dict() for story in self.more]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SectionRecord:
        return cls(
            id=_str(data.get("id")),
            title=_str(data.get("title")),
            title_en=_str(data.get("title_en")),
            stories=tuple(StoryRecord.from_dict(s) for s in data.get("stories") or []),
            more=tuple(StoryRecord.from_dict(s) for s in data.get("more") or []),
        )


@dataclass(frozen=True)
class DigestRecord:
    """A whole digest.json (FORMAT.md's schema plus more fields)."""

    date: date
    generated_at: datetime | None  # None: not in the file (or not a time)
    title: str
    timezone: str  # an IANA name; "" when not in the file
    themes: tuple[SectionRecord, ...] = ()
    lead: str = ""  # the id of the day's lead story (first in `themes`); "" on an empty day
    sources_note: str = ""  # the sources' health footer; "" when there was nothing to say

    @classmethod
    def from_digest(cls, digest: Digest) -> DigestRecord:
        return cls(
            date=digest.date,
            generated_at=digest.generated_at,
            title=digest.title,
            timezone=digest.timezone,
            themes=tuple(SectionRecord.from_section(section) for section in digest.sections),
            lead=digest.lead or "",
            sources_note=digest.sources_note or "",
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, keys in a fixed order."""
        return {
            "date": self.date.isoformat(),
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "title": self.title,
            "timezone": self.timezone,
            "lead": self.lead or None,
            "themes": [section.to_dict() for section in self.themes],
            **({"sources_note": self.sources_note} if self.sources_note else {}),
        }

    def to_json(self) -> str:
        """The text of digest.json, as `render` writes it."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], day: _Day | None = None) -> DigestRecord:
        """`day`: the date it is filed under (its folder's): a document without a date is of that
        day, and one with another date is refused."""
        written = data.get("date", day.isoformat() if day else None)
        if day is not None and str(written) != day.isoformat():
            raise ValueError(f"its date {data.get('date')!r} is not its folder's")
        when = day or _date(written)
        if when is None or written != when.isoformat():
            raise ValueError(f"its date {written!r} is not a date")
        return cls(
            date=when,
            generated_at=_moment(data.get("generated_at")),
            title=_str(data.get("title")),
            timezone=_str(data.get("timezone")),
            themes=tuple(SectionRecord.from_dict(s) for s in data.get("themes") or []),
            lead=_str(data.get("lead")),
            sources_note=_str(data.get("sources_note")),
        )

    @classmethod
    def from_json(cls, text: str, day: _Day | None = None) -> DigestRecord:
        return cls.from_dict(json.loads(text), day)

    @property
    def zone(self) -> tzinfo:
        """Its time zone (`DEFAULT_TIMEZONE` when it names none, or none that is known)."""
        return zone_named(self.timezone, DEFAULT_TIMEZONE)

    def counts(self, include_other: bool = True) -> Counts:
        return counts(self.themes, include_other)

    def section_counts(self) -> tuple[tuple[str, int], ...]:
        """(title, stories) per theme, in order."""
        return tuple((section.title, len(section.stories)) for section in self.themes)


# --------------------------------------------------------------------------- reading leniently


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: object) -> tuple[str, ...]:
    return tuple(x for x in value if isinstance(x, str)) if isinstance(value, list | tuple) else ()


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _issued(issued: Iterable[date | None], before: date | None) -> list[date]:
    return [d for d in issued if d is not None and (before is None or d < before)]
