"""The command line: parse arguments, call the pipeline, print. Nothing else.

Exit status (README, "Exit status"): 0 done; 1 the job could not be done (every source failed, the
state or the output folder is unusable); 2 the configuration or a command-line value is invalid
(nothing was fetched); 3 a delivery failed (mail or site: it is retried by a later run); 4 another
digest process holds the state and did not let go within --wait; 130 / 143 stopped by SIGINT /
SIGTERM (nothing is lost: the next run picks up where this one stopped).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import __version__, signals, sourcescli, textwidth, timing
from .errors import BusyError, ConfigError, DigestError, InterruptedRun, UsageError, one_line

if TYPE_CHECKING:  # `digest --help` imports none of the pipeline (the analyser, numpy, lxml …)
    from . import pipeline
    from .models import LeaseHolder, Settings, SourceReport
    from .progress import Progress

DEFAULT_STATE = "digest-state.sqlite"
DEFAULT_OUT = "out"
DEFAULT_WAIT = 300.0

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DELIVERY, EXIT_BUSY = 0, 1, 2, 3, 4
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


def load_settings(path: str | Path) -> Settings:
    from .config import load_settings as load

    return load(path)


def for_stream(stream: Any) -> Progress:
    from .progress import for_stream as make

    return make(stream)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _days(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {value!r}") from None
    if not 1 <= n <= 365:
        raise argparse.ArgumentTypeError(f"must be between 1 and 365 days, not {n}")
    return n


def _keep_days(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {value!r}") from None


def _seconds(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Daily digest of the Korean health-tech press."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, out: bool = True) -> None:
        p.add_argument(
            "--sources", default="sources.yaml", help="the configuration file (default: ./sources.yaml)"
        )
        p.add_argument(
            "--state", default=DEFAULT_STATE, help=f"the SQLite state file (default: ./{DEFAULT_STATE})"
        )
        if out:
            p.add_argument(
                "--out", default=DEFAULT_OUT, help=f"where the outputs go (default: ./{DEFAULT_OUT})"
            )

    def job(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--wait",
            type=_seconds,
            default=DEFAULT_WAIT,
            metavar="SECONDS",
            help=f"when another digest process holds the state, wait this long for it (default {DEFAULT_WAIT:g})",
        )

    def sending(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--date", type=_date, help="the digest's date, YYYY-MM-DD (default: today in the time zone)"
        )
        p.add_argument(
            "--no-send", action="store_true", help="write everything, deliver nothing, consume nothing"
        )
        p.add_argument(
            "--backfill",
            type=_days,
            metavar="DAYS",
            help="also take items of the last DAYS days that a first collect recorded as seen",
        )
        p.add_argument(
            "--retry-failed",
            action="store_true",
            help="send again to readers whose mail failed permanently (after fixing the address)",
        )
        p.add_argument(
            "--new-state",
            action="store_true",
            help="start over with a new or empty state although this output folder holds digests "
            "sealed with another (their days may be mailed again)",
        )

    run = sub.add_parser("run", help="collect, then build, seal and deliver the day's digest")
    common(run)
    sending(run)
    job(run)
    run.add_argument(
        "--demo", action="store_true", help="run on the bundled offline demo (two days) served on 127.0.0.1"
    )

    col = sub.add_parser("collect", help="fetch every source and store what is new; build and send nothing")
    common(col, out=False)
    job(col)

    snd = sub.add_parser("send", help="build, seal and deliver the day's digest from what was collected")
    common(snd)
    sending(snd)
    job(snd)

    sch = sub.add_parser(
        "schedule", help="run in the foreground: collect through the day, send once a morning"
    )
    common(sch)
    sch.add_argument("--verbose", action="store_true", help="also log each HTTP request and scheduler event")

    sourcescli.add_parser(sub)

    stat = sub.add_parser(
        "status", help="last collect and send, next runs, items waiting, the outbox, sources"
    )
    common(stat, out=False)

    prn = sub.add_parser(
        "prune", help="drop the texts of items published long ago (URLs, hashes and story ids stay)"
    )
    common(prn, out=False)
    job(prn)
    prn.add_argument(
        "--keep",
        type=_keep_days,
        metavar="DAYS",
        help="keep the texts of the last DAYS days (default: digest.keep_days of the configuration)",
    )
    prn.add_argument("--vacuum", action="store_true", help="then give the freed space back to the disk")

    check = sub.add_parser("check", help="validate the configuration and print what it holds")
    check.add_argument("--sources", default="sources.yaml")

    pub = sub.add_parser("publish", help="write the static site (pages, archive, Atom feed) from the outputs")
    common(pub)
    pub.add_argument("--site", help="where the site goes (default: delivery.site.dir of the configuration)")

    ex = sub.add_parser("explain", help="why a story (by id or by an item's URL) is under its theme")
    ex.add_argument("story", help="a story id from digest.json, or the URL of one of its items")
    common(ex, out=False)
    ex.add_argument("--date", type=_date, help="the digest date to look in (default: the item's, or today)")

    st = sub.add_parser("stories", help="list the day's story clusters with the evidence that joined them")
    common(st, out=False)
    st.add_argument("--date", type=_date)
    return parser


@contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM (and SIGINT) end the job in progress cleanly: each stage is crash-safe, so
    abandoning it loses nothing; a mail the relay is answering is finished first."""

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in previous:
        signal.signal(s, signals.stop)  # held back while a message is on the wire
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _sources(args: argparse.Namespace) -> int:
    return sourcescli.run(args, sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "run": _run,
        "collect": _collect,
        "send": _send,
        "schedule": _schedule,
        "status": _status,
        "prune": _prune,
        "check": _check,
        "stories": _stories,
        "publish": _publish,
        "explain": _explain,
        "sources": _sources,
    }
    try:
        with _signals():
            return commands[args.command](args)
    except ConfigError as exc:
        print(f"digest: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"digest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BusyError as exc:
        print(f"digest: {exc}; try again later or pass a longer --wait", file=sys.stderr)
        return EXIT_BUSY
    except DigestError as exc:
        print(f"digest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except InterruptedRun as exc:
        print(
            f"digest: stopped by {exc.signal_name}; nothing is lost, the next run goes on from here",
            file=sys.stderr,
        )
        return EXIT_SIGTERM if exc.signal_name == "SIGTERM" else EXIT_SIGINT
    except KeyboardInterrupt:
        print("digest: interrupted; nothing is lost, the next run goes on from here", file=sys.stderr)
        return EXIT_SIGINT
    except OSError as exc:  # a file or folder a user named, outside what the adapters check
        print(f"digest: {one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a bug of ours: one line, not a traceback (DIGEST_DEBUG=1 shows it)
        if os.environ.get("DIGEST_DEBUG"):
            raise
        print(
            f"digest: internal error ({type(exc).__name__}: {one_line(exc)}); nothing is lost. "
            "Please report it, with the output of the same command run with DIGEST_DEBUG=1",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        timing.dump()


def _on_wait(holder: LeaseHolder, wait: float, tz: str) -> None:
    from .lease import describe

    print(f"digest: the state is busy ({describe(holder, tz)}); waiting up to {wait:g} s", file=sys.stderr)


def _prepare(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.sources)
    from .extract import require_fallback

    require_fallback()
    return settings


def _run(args: argparse.Namespace) -> int:
    from . import pipeline

    if args.demo:
        from .demo import run_demo

        reports = run_demo(Path(args.out if args.out != DEFAULT_OUT else "demo-out"))
        for report in reports:
            print_report(report)
            print()
        print(
            f"demo: open {Path(reports[-1].files[0]).parent / 'index.html'} in a browser"
            if reports[-1].files
            else "demo: no digest was built"
        )
        return EXIT_OK if all(r.published for r in reports) else EXIT_FAILED
    settings = _prepare(args)
    _retry_failed(args, settings)
    with closing(for_stream(sys.stderr)) as progress:
        report = pipeline.run(settings, args.state, args.out, args.date, **_sending(args, settings, progress))
    print_report(report)
    if report.error:
        print(f"digest: {report.error}; nothing was sent", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_DELIVERY if report.delivery_failed else EXIT_OK


def _collect(args: argparse.Namespace) -> int:
    from . import pipeline

    settings = _prepare(args)
    with closing(for_stream(sys.stderr)) as progress:
        report = pipeline.collect(
            settings,
            args.state,
            wait=args.wait,
            on_wait=lambda h: _on_wait(h, args.wait, settings.timezone),
            progress=progress,
        )
    print_sources(report.sources)
    if report.error:
        print(f"digest: {report.error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _send(args: argparse.Namespace) -> int:
    from . import pipeline

    settings = load_settings(args.sources)
    _retry_failed(args, settings)
    with closing(for_stream(sys.stderr)) as progress:
        report = pipeline.send(
            settings, args.state, args.out, args.date, **_sending(args, settings, progress)
        )
    print(f"digest for {report.day.isoformat()}")
    print_digest(report.sections, report.files, report.sealed and not args.no_send, report.reproduced)
    for line in report.deliveries:
        print(line)
    return EXIT_DELIVERY if report.delivery_failed else EXIT_OK


def _sending(args: argparse.Namespace, settings: Settings, progress: Progress) -> dict[str, Any]:
    """The options `run` and `send` share. A person at the command line retries waiting mail
    now, whatever its backoff."""
    return {
        "no_send": args.no_send,
        "backfill": timedelta(days=args.backfill) if args.backfill else None,
        "wait": args.wait,
        "on_wait": lambda h: _on_wait(h, args.wait, settings.timezone),
        "progress": progress,
        "retry_now": True,
        "new_state": args.new_state,
    }


def _retry_failed(args: argparse.Namespace, settings: Settings) -> None:
    if getattr(args, "retry_failed", False) and not args.no_send:
        from .storage import Store

        with Store(args.state, create=False) as store:
            n = store.reset_failed(datetime.now(ZoneInfo(settings.timezone)))
        print(f"e-mail: {n} permanently failed message(s) will be tried again")


def _schedule(args: argparse.Namespace) -> int:
    from . import service

    return service.main(args.sources, args.state, args.out, verbose=args.verbose)


def _status(args: argparse.Namespace) -> int:
    settings = load_settings(args.sources)
    from . import service

    for line in service.status_lines(settings, args.state):
        print(line)
    return EXIT_OK


def _prune(args: argparse.Namespace) -> int:
    from . import pipeline
    from .config import MIN_KEEP_DAYS

    settings = load_settings(args.sources)
    keep = args.keep if args.keep is not None else settings.keep_days
    if keep is None:
        raise UsageError(
            "prune: say how many days to keep (--keep DAYS, or digest.keep_days in the configuration)"
        )
    if keep < MIN_KEEP_DAYS:
        raise UsageError(
            f"prune: --keep must be at least {MIN_KEEP_DAYS} days (follow-ups join the stories of the last {MIN_KEEP_DAYS})"
        )
    n, before, after = pipeline.prune(settings, args.state, keep, vacuum=args.vacuum, wait=args.wait)
    size = f"; the state is {_mib(after)}" + (f" (was {_mib(before)})" if args.vacuum else "")
    print(f"prune: {n} item(s) older than {keep} days emptied of their texts{size}")
    if not args.vacuum and n:
        print(
            "prune: run `digest prune --vacuum` (or `sqlite3 STATE VACUUM`) to give the space back to the disk"
        )
    return EXIT_OK


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB"


def _check(args: argparse.Namespace) -> int:
    s = load_settings(args.sources)
    enabled = [x for x in s.sources if x.enabled]
    print(
        f"{s.path}: OK — {len(enabled)} of {len(s.sources)} sources enabled, "
        f"{len(s.themes)} themes ({', '.join(t.id for t in s.themes)}), time zone {s.timezone}"
    )
    print(
        f"e-mail: {len(s.email.recipients)} recipient(s) via {s.email.smtp_host}:{s.email.smtp_port}"
        if s.email.enabled
        else "e-mail: off (no recipients)"
    )
    print(f"site: {s.site_dir}" if s.site_dir else "site: off")
    print(f"schedule: collect {s.schedule.collect}; send {s.schedule.send} ({s.timezone})")
    return EXIT_OK


def _publish(args: argparse.Namespace) -> int:
    from . import queries

    settings = load_settings(args.sources)
    site = args.site or settings.site_dir
    if not site:
        print("digest: no site folder: pass --site DIR or set delivery.site.dir", file=sys.stderr)
        return EXIT_USAGE
    files = queries.publish_site(settings, args.state, Path(args.out), Path(site))
    print(f"site: {len(files)} files in {site}; open {Path(site) / 'index.html'}")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from . import queries

    settings = load_settings(args.sources)
    found = queries.explain(settings, args.state, args.story, args.date)
    if found is None:
        print(f"digest: no story {args.story!r} in that digest", file=sys.stderr)
        return EXIT_FAILED
    story, p = found.story, found.story.placement
    print(f"{story.id}  {story.title}")
    print(f"  placed under: {found.theme} (score {p.score:.1f}; secondary: {', '.join(p.secondary) or '-'})")
    for reason in p.reasons:
        print(f"    {reason}")
    print("  every theme:")
    for ts in found.scores:
        core = "core term" if ts.core else "no core term"
        print(f"    {ts.theme:20s} {ts.score:6.1f}  ({core}) {'; '.join(ts.reasons[:6])}")
    if found.model_view is not None:
        theme, prob, why = found.model_view
        print(f"  learned model: {theme} p={prob:.2f} ({'; '.join(why)})")
    print(f"  items: {', '.join(it.source for it in story.items)}")
    return EXIT_OK


def _stories(args: argparse.Namespace) -> int:
    from . import queries

    settings = load_settings(args.sources)
    for story, theme in queries.preview_stories(settings, args.state, args.date):
        print(f"[{theme}] {story.id}  {story.title}")
        print(
            f"    placement: {story.placement.theme} {story.placement.score:.1f} — "
            f"{'; '.join(story.placement.reasons) or '-'}"
        )
        for it in story.items:
            print(f"    - {it.source}: {it.title}  <{it.url}>")
        for ev in story.evidence:
            print(f"      joined: {ev}")
    return EXIT_OK


def print_sources(sources: Sequence[SourceReport]) -> None:
    print("sources:")
    for s in sources:
        if s.error:
            print(f"  {textwidth.pad(s.name, 24)} FAILED: {s.error}")
        elif s.waiting:
            print(f"  {textwidth.pad(s.name, 24)} not fetched: {s.waiting}")
        elif s.not_modified:
            print(f"  {textwidth.pad(s.name, 24)} not modified (304)")
        else:
            older = f"  older {s.backlog:3d} (first collect: recorded as seen)" if s.backlog else ""
            print(
                f"  {textwidth.pad(s.name, 24)} seen {s.seen:3d}  new {s.new:3d}  failed {s.failed:3d}{older}"
            )
        for note in s.notes[:5]:
            print(f"  {' ' * 24}   note: {note}")
        if len(s.notes) > 5:
            print(f"  {' ' * 24}   (+{len(s.notes) - 5} more notes)")


def print_digest(
    sections: Sequence[tuple[str, int]], files: Sequence[Path], sealed: bool, reproduced: bool
) -> None:
    if not files:
        return
    print("stories:")
    for title, count in sections:
        print(f"  {textwidth.pad(title, 24)} {count:3d}")
    if reproduced:
        state = "sealed earlier: written again as it was sealed; nothing new taken"
    elif sealed:
        state = "sealed: this is the digest of its date"
    else:
        state = "written (--no-send: nothing consumed, nothing sent)"
    print(f"files ({state}):")
    for f in files:
        print(f"  {f}")


def print_report(report: pipeline.RunReport) -> None:
    print(f"digest for {report.day.isoformat()}")
    print_sources(report.sources)
    print_digest(report.sections, report.files, report.published, report.reproduced)
    for line in report.deliveries:
        print(line)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
