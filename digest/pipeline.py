"""The table of contents of a run: collect → assemble → deliver.

- `collect` (`digest.collect`, I/O): fetch every enabled source, parse, extract, analyse, store
  what is new.
- `send`: gather what the digest for a date is made from (its candidate items, the earlier
  digests' items, the learned model), `assemble.build` it (pure), render and write its outputs,
  **seal** it (its items, outputs and one outbox row per reader, in one transaction), then
  deliver every outbox row that is due (`deliver.outbox`) and publish the site (`deliver.site`).
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

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from . import assemble, featurecodec, identity, learn, render, sourcehealth, timing
from .checkpoint import checkpoint
from .clock import Clock
from .collect import CollectReport
from .collect import collect as collect_sources
from .deliver import outputs as outputs_
from .deliver import site as site_delivery
from .deliver.outbox import deliver_due
from .errors import DeliveryError, StorageError, UsageError
from .lease import Lease, hold
from .models import Digest, Item, LeaseHolder, SealedDigest, Settings, SourceReport
from .net import Resolver, system_resolver
from .progress import Progress, Silent
from .storage import Storage, Store
from .stories import Features

__all__ = [
    "RUNNER",
    "RunReport",
    "SendReport",
    "assemble_day",
    "collect",
    "prune",
    "retry_outbox",
    "run",
    "send",
]

RUNNER = "runner"  # the lease collect, send and run take


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
    new_state: bool = False,
    resolver: Resolver = system_resolver,
) -> RunReport:
    """Collect, then send the digest for `day` (default: today in the configured zone).
    Never raises for a bad source; raises DigestError for a bad state, date or output folder."""
    progress = progress or Silent()
    clock = Clock(settings.timezone, now)
    day = day or clock.start.date()
    with _sending_job(settings, state_path, out_dir, day, clock, "run", wait, on_wait, new_state) as (
        store,
        out,
        lease,
    ):
        collected = collect_sources(settings, store, clock, day, progress, client, backfill, resolver)
        if collected.error:
            # Nothing to build from; mail still owed from earlier digests goes anyway.
            lines, failed = (
                ([], False) if no_send else deliver_due(settings, store, out, clock, False, progress, lease)
            )
            return RunReport(
                day, collected.sources, None, (), False, tuple(lines), collected.error, delivery_failed=failed
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
    clock = Clock(settings.timezone, now)
    with (
        Store(state_path) as store,
        hold(store, RUNNER, "collect", wait, on_wait=on_wait, tz=settings.timezone),
    ):
        return collect_sources(settings, store, clock, clock.start.date(), progress or Silent(), client)


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
    new_state: bool = False,
) -> SendReport:
    """Build (or reproduce), seal and deliver the digest for `day`; retry earlier failed mail."""
    clock = Clock(settings.timezone, now)
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
    clock = Clock(settings.timezone, now)
    with Store(state_path) as store:
        if not store.outbox(statuses=("pending", "retry", "sending")):
            return [], False
        with hold(store, RUNNER, "send", wait, tz=settings.timezone) as lease:
            return deliver_due(settings, store, Path(out_dir), clock, False, Silent(), lease)


def prune(
    settings: Settings,
    state_path: str | Path,
    keep_days: int,
    now: datetime | None = None,
    vacuum: bool = False,
    wait: float = 0.0,
) -> tuple[int, int, int]:
    """Drop the texts and morphemes of items published more than `keep_days` days ago (what
    novelty and continuity need stays); with `vacuum`, give the freed pages back to the disk.
    Returns (items pruned, file bytes before, after)."""
    clock = Clock(settings.timezone, now)
    path = Path(state_path)
    with Store(path, create=False) as store, hold(store, RUNNER, "prune", wait, tz=settings.timezone):
        before = _state_bytes(path)
        n = store.prune(clock.start.date() - timedelta(days=keep_days))
        if vacuum:
            store.vacuum()
        return n, before, _state_bytes(path)


def _state_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


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
    new_state: bool = False,
) -> Iterator[tuple[Store, Path, Lease]]:
    """What `run` and `send` check before they touch anything (the date, the output folder, the
    examples file), then the state — not a lost one — and its runner lease."""
    try:
        assemble.check_date(day, clock.start.date())
    except ValueError as exc:
        raise UsageError(f"--date {exc}") from None
    out = outputs_.check_out(Path(out_dir))
    if settings.examples:
        learn.read_examples(Path(settings.examples))  # a bad examples file stops the job here
    with (
        Store(state_path) as store,
        hold(store, RUNNER, job, wait, on_wait=on_wait, tz=settings.timezone) as lease,
    ):
        _check_not_lost(store, out, new_state)
        yield store, out, lease


def _check_not_lost(store: Storage, out: Path, new_state: bool) -> None:
    """Refuse a state that has sealed less than the output folder records: none of the digests
    another (or this, before it was lost, emptied or rolled back — a deleted `-wal`, an old
    backup) state sealed, or not the newest of them: its next send would mail them again."""
    marker = outputs_.read_marker(out)
    if marker is None or new_state:
        return
    last = store.last_sealed()
    if last is not None and last >= marker.last_sealed:
        return
    has = "has sealed no digest" if last is None else f"has sealed digests up to {last} only"
    raise StorageError(
        f"{store.path}: this state {has}, but {out} holds digests up to "
        f"{marker.last_sealed} sealed with the state at {marker.state}: the state was lost, emptied, "
        "rolled back or is another one, and sending from it would mail those days again. Restore "
        "that state, or pass --new-state to start over on purpose"
    )


# --------------------------------------------------------------------------- send


def _send_job(
    settings: Settings,
    store: Storage,
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
    started = time.monotonic()
    now = clock.start
    if not no_send:
        store.job_started("send", now)

    # Assemble (or reproduce a sealed digest) and write its outputs.
    progress.start("assemble")
    sealed = store.sealed(day)
    digest: Digest | None = None
    story_of_item: dict[int, str] = {}
    assembled_features: Mapping[int, Features] = {}
    if sealed is not None:
        outputs = sealed.outputs or _legacy_outputs(settings, store, out, day, now)
        progress.finish(
            "assemble", f"{day}: sealed on {sealed.sealed_at:%Y-%m-%d %H:%M %Z}, written again as it was"
        )
    else:
        assembled = assemble_day(settings, store, day, now, backfill)
        digest, story_of_item = assembled.digest, assembled.story_of_item
        assembled_features = assembled.features
        with timing.timed("render"):
            outputs = render.render_all(digest, settings, render.make_environment())
        progress.finish("assemble", f"{day}: {len(story_of_item)} item(s) in {_stories(digest.story_count)}")
    reproduced = sealed is not None
    with timing.timed("write"):
        files = outputs_.write(out, day, outputs)
    checkpoint("send: outputs written")
    email = settings.email
    sections, counted = outputs_.counts(outputs, email.include_other)
    mail_stories = sealed.mail_stories if sealed is not None and sealed.mail_stories is not None else counted
    subject = outputs_.subject(settings, day, outputs, sealed, digest)

    lines: list[str] = []
    if no_send:
        if email.enabled:
            when = sealed.sealed_at if sealed else now
            lines.append(outputs_.write_eml(settings, out, day, outputs, subject, when))
        seconds = time.monotonic() - started
        return SendReport(
            day,
            sections,
            tuple(files),
            reproduced,
            reproduced,
            mail_stories,
            tuple(lines),
            False,
            digest,
            seconds,
        )

    # Seal: the digest of this date from now on, with one outbox row per reader.
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
        with timing.timed("seal"):
            features = {i: featurecodec.encode(f) for i, f in assembled_features.items()}
            sealed_now = store.seal_digest(
                record, story_of_item, email.recipients if mailing else (), now, features
            )
        checkpoint("send: sealed")
        if not sealed_now:
            # Sealed by another process while we assembled (possible only without the lease):
            # theirs is the digest of this date.
            again = store.sealed(day)
            if again is not None and again.outputs is not None:
                files = outputs_.write(out, day, again.outputs)
                sections, _ = outputs_.counts(again.outputs, email.include_other)
            reproduced = True
    elif mailing:
        store.enqueue(day, email.recipients, now)  # readers added since it was sealed get it too
    last = store.last_sealed()
    if last is not None:
        outputs_.write_marker(out, Path(store.path).resolve(), last)
    if settings.keep_days is not None:
        with timing.timed("prune"):
            store.prune(day - timedelta(days=settings.keep_days))
    if email.enabled and not mailing:
        lines.append(f"e-mail: nothing new for {day}: no mail (delivery.email.send_empty is off)")

    # Deliver: every outbox row that is due, this date's and earlier ones'; then the site.
    with timing.timed("deliver"):
        mail_lines, failed = deliver_due(settings, store, out, clock, retry_now, progress, lease, focus=day)
    lines += mail_lines
    if settings.site_dir:
        try:
            with timing.timed("site"):
                site_delivery.publish(
                    out, Path(settings.site_dir), settings.title, settings.base_url, only=store.digest_dates()
                )
            lines.append(f"site: published to {settings.site_dir}")
        except DeliveryError as exc:
            lines.append(f"site: FAILED: {exc}")
            failed = True

    seconds = time.monotonic() - started
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


# --------------------------------------------------------------------------- assemble's inputs


def assemble_day(
    settings: Settings,
    store: Storage,
    day: date,
    now: datetime,
    backfill: timedelta | None = None,
    model: learn.Model | None = None,
) -> assemble.Assembled:
    """Read from the state what the digest for `day` is made of — the items it may take, the
    earlier digests' items as context for follow-ups, the learned model when examples are
    configured — and hand them to the pure `assemble.build`."""
    with timing.timed("load"):
        sealed = store.sealed(day)
        end = assemble.day_end(day, settings.timezone)
        if sealed is not None:
            candidates = store.issued_items(day)
        else:
            candidates = store.candidates(day, end, end - backfill if backfill else None)
        items = assemble.select(candidates, day, settings.timezone, sealed is not None, backfill)
        # Follow-ups join earlier stories: nothing to join when there is nothing new. The
        # earlier items come by their stored features, without texts; the texts are loaded
        # only of those the day's stories continue (an update says what is new).
        since = day - timedelta(days=assemble.CONTEXT_DAYS)
        light = store.earlier_light(before=day, since=since) if items else []
        cached = {it.id: f for it, blob in light if blob is not None and (f := featurecodec.decode(blob))}
        # An item whose stored features cannot be read is loaded whole and clustered anew.
        unread = {it.id for it, blob in light if blob is not None and it.id not in cached}
        again = {it.id: it for it in store.items_by_id(unread)} if unread else {}
        earlier = [again.get(it.id, it) for it, _ in light]
        model = model or learned_model(settings, store)
    clusters = assemble.group(settings, items, earlier, cached)
    with timing.timed("load"):
        whole = store.items_by_id(i for i in assemble.joined(clusters) if i in cached)
    clusters = assemble.with_earlier(clusters, whole)
    generated = sealed.generated_at if sealed is not None else now
    built = assemble.build(settings, items, earlier, day, now, generated, model, clusters)
    if sealed is not None:
        return built  # as it was sealed
    note = sourcehealth.footer(sourcehealth.configured(settings.sources, store.sources()), now)
    return replace(built, digest=replace(built.digest, sources_note=note))


def learned_model(settings: Settings, store: Storage) -> learn.Model | None:
    """The model learned from the user's labeled examples (None when there are none). Examples
    are matched to stored items by URL, or by URL path for corpus labels."""
    if not settings.examples:
        return None
    known = {t.id for t in settings.themes}
    examples = [(url, theme) for url, theme in learn.read_examples(Path(settings.examples)) if theme in known]
    by_path = store.items_by_path(url for url, _ in examples if "://" not in url)
    pairs: list[tuple[Item, str]] = []
    for url, theme in examples:
        item = store.item_by_url(identity.canonical_url(url)) if "://" in url else by_path.get(url)
        if item is not None:
            pairs.append((item, theme))
    return learn.train(pairs)


def _legacy_outputs(
    settings: Settings, store: Storage, out: Path, day: date, now: datetime
) -> dict[str, str]:
    """A digest sealed by a digest older than kept outputs: its files as they are, or rebuilt
    from the items it published."""
    found = outputs_.read(out, day, ("digest.md", "digest.json", "email.html", "email.txt", "index.html"))
    if found is not None:
        return found
    digest = assemble_day(settings, store, day, now).digest
    return render.render_all(digest, settings, render.make_environment())
