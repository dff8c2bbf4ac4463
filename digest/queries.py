"""Looking, not running: what `digest stories`, `explain`, `status` and `publish` show. Each
opens the state read-only; nothing is fetched, consumed or sent."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from . import identity, themes
from .deliver import site as site_delivery
from .models import JobRecord, LeaseHolder, OutboxEntry, Settings, SourceState, Story
from .pipeline import RUNNER, assemble_day, learned_model
from .storage import Store

__all__ = ["Explanation", "Status", "explain", "preview_stories", "publish_site", "status"]


def preview_stories(
    settings: Settings, state_path: str | Path, day: date | None = None
) -> list[tuple[Story, str]]:
    """The stories the digest for `day` holds (or would hold), without fetching or consuming."""
    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    day = day or now.date()
    with Store(state_path, readonly=True) as store:
        digest = assemble_day(settings, store, day, now).digest
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
        item = store.item_by_url(identity.canonical_url(key)) if "://" in key else None
        if item is not None and item.issued_on is not None:
            day = item.issued_on
        tz = ZoneInfo(settings.timezone)
        now = datetime.now(tz)
        model = learned_model(settings, store)
        digest = assemble_day(settings, store, day or now.date(), now, model=model).digest
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
    sources: tuple[SourceState, ...]
    digests: tuple[date, ...]


def status(state_path: str | Path) -> Status:
    """What the state says: the last collect and send, items waiting, the outbox, who holds the
    lease, each source's last result, the sealed digests."""
    with Store(state_path, readonly=True) as store:
        waiting, backlog_count = store.count_waiting()
        holder = store.lease(RUNNER)
        if holder is not None and (holder.expires < time.time()):
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
            sources=tuple(store.sources()),
            digests=tuple(store.digest_dates()),
        )
