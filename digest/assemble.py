"""The pure middle of a run: which stored items the digest for a date takes, which story each
joins, which theme each story goes under, in which order.

Nothing here touches the network, the disk or the clock: every decision is a function of plain
values (items, dates, settings), so each rule is tested on plain values.

The rule of a digest's life (`takes`):
- a sealed digest (delivered to anyone or published) holds exactly the items it was sealed with;
  re-running its date takes nothing new — what is collected later goes to the next date;
- an unsealed digest for D takes every item no digest has published yet, seen or published before
  the end of D — but not the backlog a source listed on its first collect (items published before
  the first-run window), unless a backfill reaches back to them;
- every story a digest's items form is published by that digest: the first
  `max_stories_per_theme` of a theme in full, the rest listed compactly under "더 보기"
  (`ThemeSection.more`). Nothing waits for a later digest, so what a run assembles is what is
  new since the last one, and a quiet day costs nothing (a story carried over would be clustered
  and scored again every day, without bound).

The order an editor gives it: within a theme, `themes.rank`; across themes, the day's lead story
(`themes.importance`: breadth of coverage, theme score, freshness) comes first — its theme
section first, it at the top — and the other themes keep their configured order. An update's
summary says what the follow-up adds (`digest.updates`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import stories, themes, timing, updates
from .learn import Model
from .models import OTHER, Digest, Item, Settings, Story, ThemeSection

__all__ = [
    "CONTEXT_DAYS",
    "Assembled",
    "build",
    "check_date",
    "day_end",
    "group",
    "is_backlog",
    "joined",
    "lead_story",
    "select",
    "takes",
    "window_start",
    "with_earlier",
    "with_lead_first",
]

CONTEXT_DAYS = 7  # how far back a follow-up can join an earlier story


def day_end(day: date, tz: str) -> datetime:
    """The first instant after `day` in the zone (midnight of the next day)."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(tz))


def window_start(day: date, tz: str, window: timedelta) -> datetime:
    """The start of the first-run window for the digest of `day`: `window` before its end."""
    return day_end(day, tz) - window


def is_backlog(published: datetime | None, first_collect: bool, start: datetime) -> bool:
    """Is an item a source lists backlog rather than news? Only on the source's first collect,
    and only when its date is known and before the window (an undated item counts as news)."""
    return first_collect and published is not None and published < start


def takes(item: Item, day: date, end: datetime, sealed: bool, backfill_since: datetime | None = None) -> bool:
    """Does the digest for `day` (ending at `end`) take this item?"""
    if item.issued_on is not None:
        return item.issued_on == day
    if sealed:
        return False
    if item.backlog and not (
        backfill_since is not None and item.published is not None and item.published >= backfill_since
    ):
        return False
    return item.published is None or item.published < end or item.first_seen < end


def select(
    items: Sequence[Item], day: date, tz: str, sealed: bool, backfill: timedelta | None = None
) -> list[Item]:
    """The items the digest for `day` takes, in the order given."""
    end = day_end(day, tz)
    since = end - backfill if backfill is not None else None
    return [it for it in items if takes(it, day, end, sealed, since)]


def check_date(day: date, today: date) -> None:
    """A digest date more than a day ahead is a typo, not a plan: refused."""
    if day > today + timedelta(days=1):
        raise ValueError(f"{day.isoformat()} is more than a day ahead of today ({today.isoformat()})")


@dataclass(frozen=True)
class Assembled:
    digest: Digest
    story_of_item: dict[int, str]  # every item the digest publishes → its story id
    # What clustering knew of each of them: stored with the seal, so later runs need not load
    # and analyse their texts again (`stories.cluster`'s `cached`).
    features: Mapping[int, stories.Features] = field(default_factory=dict)


def group(
    settings: Settings,
    items: Sequence[Item],
    earlier: Sequence[Item],
    cached: Mapping[int, stories.Features] | None = None,
) -> list[stories.Cluster]:
    """The day's stories: `items` clustered, with the earlier digests' items as the context
    follow-ups join (by their `cached` features where given: then their texts are not needed)."""
    with timing.timed("cluster"):
        return stories.cluster(list(items), list(earlier), glossary=settings.glossary, cached=cached)


def joined(clusters: Sequence[stories.Cluster]) -> set[int]:
    """The ids of the earlier items the day's stories continue (their texts say what is new)."""
    return {it.id for c in clusters for it in c.earlier}


def with_earlier(clusters: Sequence[stories.Cluster], whole: Sequence[Item]) -> list[stories.Cluster]:
    """The clusters with their earlier items replaced by the `whole` ones (texts loaded)."""
    by_id = {it.id: it for it in whole}
    return [replace(c, earlier=tuple(by_id.get(it.id, it) for it in c.earlier)) for c in clusters]


def build(
    settings: Settings,
    items: Sequence[Item],
    earlier: Sequence[Item],
    day: date,
    now: datetime,
    generated_at: datetime,
    model: Model | None = None,
    clusters: Sequence[stories.Cluster] | None = None,
) -> Assembled:
    """The digest for `day` from the items it takes and the earlier digests' items (the context
    follow-ups join): stories, themes, ranking and the per-theme cut. `clusters`: the stories
    already grouped (`group`, then `with_earlier`), instead of grouping `items` and `earlier`."""
    if clusters is None:
        clusters = group(settings, items, earlier)
    by_theme: dict[str, list[Story]] = {t.id: [] for t in settings.themes}
    for c in clusters:
        with timing.timed("themes"):
            placement = themes.place(
                [*c.items, *c.earlier], settings.themes, settings.min_theme_score, model=model
            )
        rep = c.items[0]
        summary = rep.summary
        if c.earlier:  # an update says what it adds
            known = [f"{it.title}\n{it.text or it.summary}" for it in c.earlier]
            summary = updates.what_is_new(rep.text, rep.summary, known)
        english = {it.source for it in c.items if it.id in c.english}
        korean = {it.source for it in c.items} - english
        story = Story(
            id=c.story_id,
            items=c.items,
            title=rep.title,
            summary=summary,
            is_update=bool(c.earlier),
            earlier=c.earlier,
            placement=placement,
            evidence=c.evidence,
            english_outlets=tuple(sorted(english - korean)) if korean else (),
        )
        by_theme.setdefault(placement.theme, []).append(story)
    sections: list[ThemeSection] = []
    story_of_item: dict[int, str] = {}
    for theme in settings.themes:
        ranked = themes.rank(by_theme.get(theme.id, []), now)
        shown = ranked[: settings.max_stories_per_theme]
        for s in ranked:
            for it in s.items:
                story_of_item[it.id] = s.id
        if theme.id == OTHER and settings.other_position == "hidden":
            continue
        more = tuple(ranked[settings.max_stories_per_theme :])
        sections.append(
            ThemeSection(theme.id, theme.title, theme.title_en, theme.description, tuple(shown), more)
        )
    lead = lead_story(sections, now)
    digest = Digest(
        date=day,
        generated_at=generated_at,
        title=settings.title,
        timezone=settings.timezone,
        sections=tuple(with_lead_first(sections, lead)),
        lead=lead,
    )
    features = {i: f for c in clusters for i, f in c.features.items() if i in story_of_item}
    return Assembled(digest, story_of_item, features)


def lead_story(sections: Sequence[ThemeSection], now: datetime) -> str | None:
    """The id of the day's most important story across themes (`themes.importance`; `other` is
    never the lead); ties go to the story the themes' order and ranking show first."""
    best: tuple[float, int] | None = None
    lead: str | None = None
    order = 0
    for section in sections:
        for story in section.stories:
            order += 1
            if section.id == OTHER:
                continue
            key = (themes.importance(story, now), -order)
            if best is None or key > best:
                best, lead = key, story.id
    return lead


def with_lead_first(sections: Sequence[ThemeSection], lead: str | None) -> list[ThemeSection]:
    """The sections as the digest shows them: the lead story's theme first with the lead at its
    top; the other themes in their configured order (`other` stays where it was)."""
    out = list(sections)
    for k, section in enumerate(out):
        ids = [s.id for s in section.stories]
        if lead in ids:
            at = ids.index(lead)
            stories = (section.stories[at], *section.stories[:at], *section.stories[at + 1 :])
            out.pop(k)
            return [replace(section, stories=stories), *out]
    return out
