"""`digest schedule`: the resident service. Collect through the day, send once a morning.

APScheduler runs two jobs from `schedule:` in sources.yaml, in the configured zone, one at a time
(one worker thread): **collect** (fetch and store; then any mail whose retry is due) and **send**
(a last collect, then the day's digest built, sealed and delivered). The state is the memory, not
APScheduler's job store: the last successful send is recorded there, so a send missed while the
machine was off runs once at start-up within the grace window (`schedule.catch_up`: one digest,
or one per missed day), never zero and never a burst.

One scheduler per state: a second one finds the scheduler lease held and exits (code 4). Each
job takes the runner lease as `digest run` does, so a person's `digest run` and the service never
work at once. SIGTERM or SIGINT: the job in progress may finish for a few seconds, else it is
abandoned (every stage is crash-safe); one line says which; exit 0.

Logs: one line per job with counts and durations, timestamps in the configured zone;
third-party request and scheduler chatter only with --verbose.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from . import pipeline, queries, sourcehealth
from .collect import collect_line
from .config import load_settings
from .errors import BusyError, ConfigError, DigestError
from .lease import describe, hold
from .models import LeaseHolder, OutboxEntry, Settings
from .schedule import last_fire, make_trigger, missed_sends, next_fire, parse_schedule
from .storage import Store

__all__ = ["main", "status_lines"]

SCHEDULER = "scheduler"  # the lease one resident scheduler holds for its whole life
JOB_WAIT = 600.0  # how long a job waits for a `digest run` a person started
STOP_WAIT = 20.0  # how long a stop signal lets the job in progress finish
LATE_AFTER = timedelta(minutes=10)  # a send still not done this long after its time is late
EXIT_OK, EXIT_USAGE, EXIT_FAILED, EXIT_BUSY = 0, 2, 1, 4

log = logging.getLogger("digest")


class _ZoneFormatter(logging.Formatter):
    """Timestamps in the configured zone, e.g. ``2024-06-13 07:00:02 KST``."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self.zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _logging(zone: ZoneInfo, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ZoneFormatter(zone))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("httpx", "httpcore", "hpack"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    # APScheduler's own lines ("Running job", "skipped: maximum number of running instances")
    # repeat what our one line per job says.
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.ERROR)


class _Service:
    def __init__(
        self,
        sources: str,
        state: str,
        out: str,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.clock = clock
        self.sources = sources
        self.state = state
        self.out = out
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self.busy = threading.Lock()  # held while a job runs
        self.current = ""
        self.stopping = threading.Event()  # set by a stop signal: queued jobs do not start

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(self.zone)

    def reload(self) -> Settings:
        """Edits to sources.yaml apply to the next job; a broken edit keeps the last good settings."""
        try:
            fresh = load_settings(self.sources)
        except ConfigError as exc:
            log.error("configuration error (keeping the previous settings): %s", exc)
            return self.settings
        self.settings = replace(fresh, schedule=self.settings.schedule)
        return self.settings

    def _waiting(self, job: str) -> Callable[[LeaseHolder], None]:
        def said(holder: LeaseHolder) -> None:
            log.info("%s: waiting for the state (%s)", job, describe(holder, self.settings.timezone))

        return said

    def collect(self) -> None:
        if self.stopping.is_set():
            return
        late: list[date] = []  # stays empty when the job fails (its one line is logged)
        with self._job("collect"):
            late = self._collect()
        for d in late:  # a morning send that failed (every source down, say): now it can run
            self.send(d, fire=self._last_fire(self.now()), why="late send")

    def _collect(self) -> list[date]:
        """Collect, retry due mail, and say which sends are late (missed more than LATE_AFTER
        ago, within the grace: their job failed, e.g. every source was down at send time)."""
        settings = self.reload()
        now = self.now()
        try:
            report = pipeline.collect(
                settings, self.state, now=now, wait=JOB_WAIT, on_wait=self._waiting("collect")
            )
        except BusyError as exc:
            log.warning("collect: skipped: %s", exc)
            return []
        except DigestError as exc:
            log.error("collect: failed: %s", exc)
            return []
        log.info("collect: %s", collect_line(report))
        try:
            lines, mail_failed = pipeline.retry_outbox(settings, self.state, self.out, now=now, wait=JOB_WAIT)
            if lines:
                (log.warning if mail_failed else log.info)("outbox: %s", "; ".join(lines))
            if report.error:
                return []
            newest = last_fire(parse_schedule(settings.schedule.send), settings.timezone, now)
            if newest is None or now - newest < LATE_AFTER:
                return []  # the regular send job is about to run, or runs now
            return self.missed(now)
        except DigestError as exc:
            log.error("outbox: %s", exc)
            return []

    def missed(self, now: datetime) -> list[date]:
        """The digests owed because their scheduled send did not complete (machine off, every
        source down), by the state's record of the last send: at start-up, and after a collect."""
        with Store(self.state) as store:
            last_send = store.job("send").fire
        sched = self.settings.schedule
        return missed_sends(
            parse_schedule(sched.send), self.settings.timezone, last_send, now, sched.grace, sched.catch_up
        )

    def send(self, day: date | None = None, fire: datetime | None = None, why: str = "send") -> None:
        if self.stopping.is_set():
            return
        with self._job(why):
            settings = self.reload()
            now = self.now()
            fire = fire or self._last_fire(now)
            try:
                report = pipeline.run(
                    settings,
                    self.state,
                    self.out,
                    day or now.date(),
                    now=now,
                    wait=JOB_WAIT,
                    on_wait=self._waiting(why),
                    fire=fire,
                )
            except BusyError as exc:
                log.warning("%s: skipped: %s", why, exc)
                return
            except DigestError as exc:
                log.error("%s: failed: %s", why, exc)
                return
            if report.error:
                log.error(
                    "%s %s: %s; nothing was sent (tried again after the next successful collect)",
                    why,
                    report.day,
                    report.error,
                )
                return
            mail = [ln.removeprefix("e-mail: ") for ln in report.deliveries if ln.startswith("e-mail:")]
            sent = sum(1 for ln in mail if ": sent to " in ln)
            failed = [ln for ln in mail if "FAILED" in ln]
            site = next((ln for ln in report.deliveries if ln.startswith("site:")), "")
            (log.warning if report.delivery_failed else log.info)(
                "%s %s: %s%s, %d mail(s) sent%s%s (collect %.1f s, send %.1f s)",
                why,
                report.day,
                _stories(sum(n for _, n in report.sections)),
                " (sealed earlier)" if report.reproduced else "",
                sent,
                f", {len(failed)} failed: {'; '.join(failed[:3])}" if failed else "",
                f"; {site}" if site else "",
                report.timings.get("collect", 0.0),
                report.timings.get("send", 0.0),
            )

    def catch_up(self, days: list[date]) -> None:
        log.info("start-up: %d missed send(s): %s", len(days), ", ".join(d.isoformat() for d in days))
        for d in days:
            self.send(d, fire=self._last_fire(self.now()), why="catch-up send")

    def _last_fire(self, now: datetime) -> datetime:
        """The scheduled time the send running now stands for (the newest one not after now)."""
        return last_fire(parse_schedule(self.settings.schedule.send), self.settings.timezone, now) or now

    @contextmanager
    def _job(self, name: str) -> Iterator[None]:
        """One job at a time, named for a stop signal's line; a bug is one log line and the
        service goes on."""
        with self.busy:
            self.current = name
            try:
                yield
            except Exception as error:
                log.error(
                    "%s: internal error: %s: %s", name, type(error).__name__, " ".join(str(error).split())
                )
            finally:
                self.current = ""


def main(
    sources: str,
    state: str,
    out: str,
    verbose: bool = False,
    send_at: str | None = None,
) -> int:
    """Run the service in the foreground until SIGTERM/SIGINT. Returns the exit status."""
    try:
        settings = load_settings(sources)
        if send_at is not None:
            try:
                parse_schedule(send_at)
            except ValueError as exc:
                raise ConfigError("--at", "", str(exc)) from None
            settings = replace(settings, schedule=replace(settings.schedule, send=send_at))
    except ConfigError as exc:
        print(f"digest schedule: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    zone = ZoneInfo(settings.timezone)
    _logging(zone, verbose)
    try:
        from .extract import require_fallback

        require_fallback()
        Path(out).mkdir(parents=True, exist_ok=True)
        store = Store(state)
    except (DigestError, OSError) as exc:
        log.error("cannot start: %s", exc)
        return EXIT_FAILED
    try:
        with hold(store, SCHEDULER, "schedule"):
            return _serve(sources, state, out, settings, store)
    except BusyError:
        holder = store.lease(SCHEDULER)
        who = describe(holder, settings.timezone) if holder else "another process"
        log.error("another scheduler is running on %s (%s); not starting a second one", state, who)
        return EXIT_BUSY
    finally:
        store.close()


def _serve(sources: str, state: str, out: str, settings: Settings, store: Store) -> int:
    zone = ZoneInfo(settings.timezone)
    service = _Service(sources, state, out, settings)
    sched = settings.schedule
    collect_trigger = make_trigger(parse_schedule(sched.collect), settings.timezone)
    send_trigger = make_trigger(parse_schedule(sched.send), settings.timezone)
    scheduler = BlockingScheduler(
        timezone=zone,
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={
            "coalesce": True,  # several fires missed while asleep run once
            "max_instances": 1,
            "misfire_grace_time": int(sched.grace.total_seconds()),
        },
    )
    now = service.now()
    missed = service.missed(now)
    scheduler.add_job(service.collect, collect_trigger, id="collect", name="collect")
    scheduler.add_job(service.send, send_trigger, id="send", name="send")
    if missed:
        scheduler.add_job(
            service.catch_up, "date", run_date=now, args=[missed], id="catch-up", name="catch-up"
        )
    else:
        scheduler.add_job(service.collect, "date", run_date=now, id="first-collect", name="collect")

    stopping: list[str] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signal.Signals(signum).name)
        service.stopping.set()
        if len(stopping) == 1:
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}, daemon=True).start()
        else:
            raise _Abandon  # a second signal: do not wait for the job in progress

    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, stop)
    log.info(
        "schedule: collect %s, send %s (%s); next send %s%s",
        sched.collect,
        sched.send,
        settings.timezone,
        _when(next_fire(send_trigger, now)),
        f"; catching up {len(missed)} missed send(s) now" if missed else "",
    )
    try:
        scheduler.start()  # blocks until shutdown
        why = stopping[0] if stopping else "shutdown"
        job = service.current
        if not job:
            log.info("schedule: stopped (%s)", why)
            return EXIT_OK
        if service.busy.acquire(timeout=STOP_WAIT):
            service.busy.release()
            log.info("schedule: stopped (%s) after the %s in progress finished", why, job)
            return EXIT_OK
    except _Abandon:
        pass
    why = stopping[0] if stopping else "shutdown"
    log.info(
        "schedule: stopped (%s); abandoned the %s in progress (nothing is lost: the next run repeats it)",
        why,
        service.current or "job",
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    os._exit(EXIT_OK)  # the abandoned job's thread cannot be joined; every stage is crash-safe


class _Abandon(Exception):
    """A second stop signal while a job runs."""


def _stories(n: int) -> str:
    return f"{n} {'story' if n == 1 else 'stories'}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z") if moment else "never"


# --------------------------------------------------------------------------- status


def status_lines(settings: Settings, state: str) -> Iterator[str]:
    """`digest status`, line by line."""
    st = queries.status(state)
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(zone)

    def at(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"

    yield f"state: {st.state} ({len(st.digests)} digest(s) sealed{', last ' + st.digests[-1].isoformat() if st.digests else ''})"
    for job, spec in (("collect", settings.schedule.collect), ("send", settings.schedule.send)):
        rec = st.collect if job == "collect" else st.send
        trigger = make_trigger(parse_schedule(spec), settings.timezone)
        yield (
            f"{job}: last ok {at(rec.last_ok)}"
            + (f" — {rec.outcome}" if rec.outcome else "")
            + f"; next {at(next_fire(trigger, now))} ({spec})"
        )
    yield (
        f"items waiting for the next digest: {st.waiting}"
        + (f" (and {st.backlog} older one(s) a first collect recorded as seen)" if st.backlog else "")
    )
    by_status: dict[str, list[OutboxEntry]] = {}
    for e in st.outbox:
        by_status.setdefault(e.status, []).append(e)
    if not st.outbox:
        yield "outbox: empty"
    else:
        yield "outbox: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_status.items()))
        for e in st.outbox:
            if e.status in ("retry", "failed", "sending", "pending", "cancelled"):
                extra = f", next try {at(e.next_attempt)}" if e.status == "retry" else ""
                yield f"  {e.date} {e.recipient}: {e.status} after {e.attempts} attempt(s){extra}" + (
                    f" — {e.last_error}" if e.last_error else ""
                )
    yield (
        f"lease: held by {describe(st.lease, settings.timezone)}"
        if st.lease
        else "lease: free (no job running)"
    )
    yield "sources:"
    rows = sourcehealth.status_rows(sourcehealth.configured(settings.sources, st.sources), now)
    for line in sourcehealth.format_table(sourcehealth.STATUS_HEADER, rows).splitlines():
        yield f"  {line}"
