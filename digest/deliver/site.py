"""The static site: every digest.json under the output folder → pages, an archive and an Atom feed.

`publish` reads only the ``digest.json`` files `render` wrote (never the network, never the
state) and writes a self-contained site: ``index.html`` (the latest digest), one
``YYYY-MM-DD/index.html`` per date with a copy of its ``digest.json``, ``archive.html``,
``feed.xml`` (Atom 1.0) and one ``site.css``. Every link between pages is relative, so the site
works from a file path and under any sub-path; only the feed's links become absolute, and only when
a ``base_url`` is given.

It reads each digest.json through `digestjson` (the schema `render` writes) and turns those
records into a view model of display-ready strings. Feed text is data, never markup: the HTML templates autoescape it, the feed template escapes it
in an ``{% autoescape true %}`` block, and the one HTML fragment made from it (an Atom entry's
content) is also passed through nh3 with an allow-list. Only http(s) URLs become links. Writes are
atomic (temp file + ``os.replace``) and a file whose bytes would not change is left alone, so
publishing twice gives byte-identical files.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import jinja2
import nh3

from digest.digestjson import (
    OTHER,
    DigestRecord,
    EarlierRecord,
    ItemRecord,
    SectionRecord,
    StoryRecord,
    counts,
    ko_date,
)
from digest.errors import DeliveryError
from digest.fsutil import atomic_write
from digest.render import anchor, date_label, http_url, ko_day, make_environment, oneline, subtitle_line

__all__ = ["publish"]

_ID_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Characters XML 1.0 does not allow at all (even as references), plus lone surrogates.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FRAGMENT_TAGS = {"p", "ul", "li", "a", "strong", "span", "br"}
_FRAGMENT_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}}
_FEED_EPOCH = "1970-01-01T00:00:00+00:00"


# --------------------------------------------------------------------------- the view model
# digest.json's records turned into what the templates show: every string cleaned, every link checked.


@dataclass(frozen=True)
class SiteItem:
    title: str
    href: str  # "" unless an http(s) URL
    source: str
    when: str  # "10:20", or "6월 12일 10:20" when not on the digest's day; "6월 12일" for a date only
    when_iso: str  # "2024-06-12T10:20:00+09:00"; "2024-06-12" for a date only
    subtitle: str = ""  # the subtitles as one line ("부제 하나 · 부제 둘"), "" when none


@dataclass(frozen=True)
class SiteEarlier:
    title: str
    href: str
    source: str


@dataclass(frozen=True)
class SiteStory:
    id: str
    anchor: str
    title: str
    href: str
    summary: str
    is_update: bool
    update_note: str
    update_href: str  # the earlier day's page, relative to the site root ("" if not in the site)
    outlets: tuple[str, ...]
    items: tuple[SiteItem, ...]
    earlier: tuple[SiteEarlier, ...]
    english: str = ""  # "Korea Herald, Yonhap": the outlets that covered it in English

    @property
    def also(self) -> int:
        """How many other outlets covered it (the N of ``… 외 N곳``)."""
        return max(len(self.outlets) - 1, 0)


@dataclass(frozen=True)
class SiteSection:
    id: str
    anchor: str
    title: str
    title_en: str
    stories: tuple[SiteStory, ...]
    more: tuple[SiteStory, ...] = ()  # listed compactly under "더 보기"


@dataclass(frozen=True)
class SiteDay:
    date: date
    slug: str  # "2024-06-13"
    label: str  # "2024년 6월 13일 (목)"
    short: str  # "6월 13일"
    generated_at: str  # RFC 3339
    generated_label: str  # "18:00", or "6월 14일 07:00"
    title: str
    sections: tuple[SiteSection, ...]
    raw: bytes  # the digest.json as written by render

    @property
    def story_count(self) -> int:
        return counts(self.sections).stories

    @property
    def item_count(self) -> int:
        return counts(self.sections).items

    @property
    def lead(self) -> SiteStory | None:
        """The first story of the first theme that has one (for the archive's preview)."""
        return next((s.stories[0] for s in self.sections if s.stories), None)


# --------------------------------------------------------------------------- publish


def publish(
    out_dir: Path,
    site_dir: Path,
    title: str,
    base_url: str | None = None,
    env: jinja2.Environment | None = None,
    only: Collection[date] | None = None,
) -> list[Path]:
    """Write the static site for every ``out_dir/<YYYY-MM-DD>/digest.json`` into `site_dir`
    (only the dates in `only` when given: the published digests, not `--no-send` previews).

    Returns the site's files (written or already up to date), in a stable order. Raises
    `DeliveryError` when a digest.json cannot be read or the site cannot be written.
    """
    env = env or make_environment()
    site_title = oneline(_clean(title)) or "digest"
    loaded = [d for d in _load_days(Path(out_dir)) if only is None or d.date in only]
    days = sorted(loaded, key=lambda d: d.date, reverse=True)  # newest first
    root = _base(base_url)
    slugs = {d.slug: d for d in days}

    common: dict[str, Any] = {"site_title": site_title, "days": days, "latest": days[0] if days else None}
    files: dict[str, bytes] = {}
    for i, day in enumerate(days):
        newer = days[i - 1] if i > 0 else None
        older = days[i + 1] if i + 1 < len(days) else None
        context = common | {"day": day, "newer": newer, "older": older, "slugs": slugs}
        files[f"{day.slug}/index.html"] = _render(env, "site/day.html.j2", context | {"root": "../"})
        files[f"{day.slug}/digest.json"] = day.raw
    if days:
        latest = days[0]
        context = common | {"day": latest, "newer": None, "older": days[1] if len(days) > 1 else None}
        files["index.html"] = _render(env, "site/day.html.j2", context | {"slugs": slugs, "root": ""})
    else:
        files["index.html"] = _render(env, "site/day.html.j2", common | {"day": None, "root": ""})
    files["archive.html"] = _render(env, "site/archive.html.j2", common | {"root": ""})
    files["feed.xml"] = _render(env, "site/feed.xml.j2", _feed_context(env, site_title, days, root))
    files["site.css"] = _source(env, "site/site.css").encode("utf-8")

    site_dir = Path(site_dir)
    written = []
    for name in sorted(files):
        path = site_dir / name
        _write_atomic(path, files[name])
        written.append(path)
    return written


def _render(env: jinja2.Environment, template: str, context: dict[str, Any]) -> bytes:
    return env.get_template(template).render(context).encode("utf-8")


def _source(env: jinja2.Environment, name: str) -> str:
    if env.loader is None:
        raise DeliveryError(name, "the template environment has no loader")
    text, _, _ = env.loader.get_source(env, name)
    return text


def _base(base_url: str | None) -> str:
    """The site's absolute http(s) URL ending in "/", or "" when none (or not an http(s) URL)."""
    url = http_url(base_url)
    return url if not url or url.endswith("/") else url + "/"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write through a temp file and `os.replace`; a file already holding `data` is left alone."""
    try:
        if path.is_file() and path.read_bytes() == data:
            return
        atomic_write(path, data)
    except OSError as exc:
        raise DeliveryError(str(path), f"cannot write: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------- reading digest.json


def _load_days(out_dir: Path) -> list[SiteDay]:
    if not out_dir.is_dir():
        raise DeliveryError(str(out_dir), "no such folder")
    days = []
    for path in sorted(out_dir.glob("*/digest.json")):
        folder = path.parent.name
        if not _DAY_FOLDER.match(folder):
            continue
        try:
            raw = path.read_bytes()
            record = DigestRecord.from_json(raw.decode("utf-8"), date.fromisoformat(folder))
            days.append(_day(record, raw))
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise DeliveryError(str(path), f"not a usable digest.json: {exc}") from exc
    known = {d.slug: {s.id for sec in d.sections for s in sec.stories} for d in days}
    return [_link_updates(d, known) for d in days]


def _day(record: DigestRecord, raw: bytes) -> SiteDay:
    day, zone = record.date, record.zone
    generated = _local(record.generated_at, zone) or datetime(day.year, day.month, day.day, tzinfo=zone)
    sections = [_section(s, zone, day) for s in record.themes]
    sections.sort(key=lambda s: s.id == OTHER)  # `other` last, the rest in configuration order
    return SiteDay(
        date=day,
        slug=day.isoformat(),
        label=ko_date(day),
        short=ko_day(day),
        generated_at=generated.isoformat(timespec="seconds"),
        generated_label=_when(generated, day),
        title=_text(record.title),
        sections=tuple(sections),
        raw=raw,
    )


def _section(section: SectionRecord, zone: tzinfo, day: date) -> SiteSection:
    theme_id = _text(section.id) or OTHER
    return SiteSection(
        id=theme_id,
        anchor=anchor(theme_id),
        title=_text(section.title) or theme_id,
        title_en=_text(section.title_en),
        stories=tuple(_story(s, zone, day) for s in section.stories),
        more=tuple(_story(s, zone, day) for s in section.more),
    )


def _story(story: StoryRecord, zone: tzinfo, day: date) -> SiteStory:
    items = tuple(_item(i, zone, day) for i in story.items)
    outlets = tuple(o for o in (_text(x) for x in story.outlets) if o)
    if not outlets:
        outlets = tuple(dict.fromkeys(i.source for i in items if i.source))
    first = story.first_issued(before=day)  # earlier digests only
    story_id = _text(story.id)
    return SiteStory(
        id=story_id,
        anchor="story-" + _ID_UNSAFE.sub("-", story_id.lower()) if story_id else "",
        title=_text(story.title) or (items[0].title if items else ""),
        href=items[0].href if items else "",
        summary=_text(story.summary),
        is_update=story.is_update,
        update_note=story.update_note(before=day),
        update_href=first.isoformat() if first else "",  # resolved by _link_updates
        outlets=outlets,
        items=items,
        earlier=tuple(_earlier(e) for e in story.earlier),
        english=", ".join(o for o in (_text(x) for x in story.english_outlets) if o),
    )


def _item(item: ItemRecord, zone: tzinfo, day: date) -> SiteItem:
    moment = _local(item.published, zone)
    if item.published is not None and item.date_only:  # the date as written, no time shown
        when, when_iso = date_label(item.published, day), item.published.date().isoformat()
    else:
        when = _when(moment, day) if moment else ""
        when_iso = moment.isoformat(timespec="seconds") if moment else ""
    return SiteItem(
        title=_text(item.title),
        href=_href(item.url),
        source=_text(item.source),
        when=when,
        when_iso=when_iso,
        subtitle=subtitle_line(_clean(item.subtitle)),
    )


def _earlier(item: EarlierRecord) -> SiteEarlier:
    return SiteEarlier(title=_text(item.title), href=_href(item.url), source=_text(item.source))


def _link_updates(day: SiteDay, known: dict[str, set[str]]) -> SiteDay:
    """Point each update story at the earlier day's page (at the story, when that page shows it)."""
    sections = []
    for section in day.sections:
        stories = []
        for story in section.stories:
            target = story.update_href
            if target in known:
                fragment = f"#{story.anchor}" if story.id in known[target] else ""
                target = f"{target}/index.html{fragment}"
            else:
                target = ""
            stories.append(replace(story, update_href=target))
        sections.append(replace(section, stories=tuple(stories)))
    return replace(day, sections=tuple(sections))


def _clean(value: object) -> str:
    """A string from digest.json with what no HTML or XML document may hold taken out."""
    return _XML_INVALID.sub("", value) if isinstance(value, str) else ""


def _text(value: object) -> str:
    return oneline(_clean(value))


def _href(value: object) -> str:
    return http_url(_clean(value))


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """A time from digest.json in the digest's zone (one without an offset is taken as in it)."""
    if moment is None:
        return None
    return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)


def _when(moment: datetime, day: date) -> str:
    return f"{moment:%H:%M}" if moment.date() == day else f"{ko_day(moment.date(), day)} {moment:%H:%M}"


# --------------------------------------------------------------------------- the Atom feed


def _feed_context(env: jinja2.Environment, site_title: str, days: list[SiteDay], root: str) -> dict[str, Any]:
    """Ids are stable per date: the site's URL (or a UUID from its title) plus the date."""
    feed_id = root or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'digest-site:' + site_title)}"
    entries = []
    for day in days:
        fragment = env.get_template("site/feed_entry.html.j2").render(day=day)
        content = nh3.clean(
            fragment,
            tags=_FRAGMENT_TAGS,
            attributes=_FRAGMENT_ATTRIBUTES,
            url_schemes={"http", "https"},
        )
        entries.append(
            {
                "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, feed_id + '#' + day.slug)}",
                "title": f"{site_title} — {day.label}",
                "updated": day.generated_at,
                "href": f"{root}{day.slug}/index.html",
                "summary": f"스토리 {day.story_count}건 · 기사 {day.item_count}건",
                "content": _clean(content),
            }
        )
    return {
        "site_title": site_title,
        "feed_id": feed_id,
        "root": root,
        "updated": max((d.generated_at for d in days), key=datetime.fromisoformat, default=_FEED_EPOCH),
        "entries": entries,
    }
