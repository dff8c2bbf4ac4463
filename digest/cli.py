"""The command line: parse arguments, call the pipeline, print. Nothing else."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from . import __version__, pipeline
from .config import load_settings
from .errors import ConfigError, DigestError

DEFAULT_STATE = "digest-state.sqlite"
DEFAULT_OUT = "out"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Daily digest of the Korean health-tech press."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="fetch every source, build the day's digest, write it, deliver it")
    run.add_argument(
        "--sources", default="sources.yaml", help="the configuration file (default: ./sources.yaml)"
    )
    run.add_argument(
        "--state", default=DEFAULT_STATE, help=f"the SQLite state file (default: ./{DEFAULT_STATE})"
    )
    run.add_argument("--out", default=DEFAULT_OUT, help=f"where the outputs go (default: ./{DEFAULT_OUT})")
    run.add_argument(
        "--date", type=_date, help="the digest's date, YYYY-MM-DD (default: today in the time zone)"
    )
    run.add_argument(
        "--no-send", action="store_true", help="write everything, deliver nothing, consume nothing"
    )
    run.add_argument(
        "--demo", action="store_true", help="run on the bundled offline demo (two days) served on 127.0.0.1"
    )

    check = sub.add_parser("check", help="validate the configuration and print what it holds")
    check.add_argument("--sources", default="sources.yaml")

    pub = sub.add_parser("publish", help="write the static site (pages, archive, Atom feed) from the outputs")
    pub.add_argument("--sources", default="sources.yaml", help="for the title and delivery.site settings")
    pub.add_argument("--state", default=DEFAULT_STATE, help="which digests were published")
    pub.add_argument(
        "--out", default=DEFAULT_OUT, help=f"the outputs of earlier runs (default: ./{DEFAULT_OUT})"
    )
    pub.add_argument("--site", help="where the site goes (default: delivery.site.dir of the configuration)")

    ex = sub.add_parser("explain", help="why a story (by id or by an item's URL) is under its theme")
    ex.add_argument("story", help="a story id from digest.json, or the URL of one of its items")
    ex.add_argument("--sources", default="sources.yaml")
    ex.add_argument("--state", default=DEFAULT_STATE)
    ex.add_argument("--date", type=_date, help="the digest date to look in (default: the item's, or today)")

    st = sub.add_parser("stories", help="list the day's story clusters with the evidence that joined them")
    st.add_argument("--sources", default="sources.yaml")
    st.add_argument("--state", default=DEFAULT_STATE)
    st.add_argument("--date", type=_date)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            return _check(args)
        if args.command == "stories":
            return _stories(args)
        if args.command == "publish":
            return _publish(args)
        if args.command == "explain":
            return _explain(args)
    except ConfigError as exc:
        print(f"digest: configuration error: {exc}", file=sys.stderr)
        return 2
    except DigestError as exc:
        print(f"digest: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("digest: interrupted; nothing published was lost", file=sys.stderr)
        return 130
    return 2


def _run(args: argparse.Namespace) -> int:
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
        return 0 if all(r.digest for r in reports) else 1
    settings = load_settings(args.sources)
    report = pipeline.run(settings, args.state, args.out, args.date, no_send=args.no_send, log=print)
    print_report(report)
    if report.error:
        print(f"digest: {report.error}; nothing was published", file=sys.stderr)
        return 1
    return 0


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
    return 0


def _publish(args: argparse.Namespace) -> int:
    settings = load_settings(args.sources)
    site = args.site or settings.site_dir
    if not site:
        print("digest: no site folder: pass --site DIR or set delivery.site.dir", file=sys.stderr)
        return 2
    files = pipeline.publish_site(settings, args.state, Path(args.out), Path(site))
    print(f"site: {len(files)} files in {site}; open {Path(site) / 'index.html'}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    settings = load_settings(args.sources)
    found = pipeline.explain(settings, args.state, args.story, args.date)
    if found is None:
        print(f"digest: no story {args.story!r} in that digest", file=sys.stderr)
        return 1
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
    return 0


def _stories(args: argparse.Namespace) -> int:
    settings = load_settings(args.sources)
    for story, theme in pipeline.preview_stories(settings, args.state, args.date):
        print(f"[{theme}] {story.id}  {story.title}")
        print(
            f"    placement: {story.placement.theme} {story.placement.score:.1f} — "
            f"{'; '.join(story.placement.reasons) or '-'}"
        )
        for it in story.items:
            print(f"    - {it.source}: {it.title}  <{it.url}>")
        for ev in story.evidence:
            print(f"      joined: {ev}")
    return 0


def _pad(text: str, width: int) -> str:
    """Left-justify counting East Asian wide characters as two columns."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def print_report(report: pipeline.RunReport) -> None:
    print(f"digest for {report.day.isoformat()}")
    print("sources:")
    for s in report.sources:
        if s.error:
            print(f"  {_pad(s.name, 24)} FAILED: {s.error}")
        elif s.not_modified:
            print(f"  {_pad(s.name, 24)} not modified (304)")
        else:
            print(f"  {_pad(s.name, 24)} seen {s.seen:3d}  new {s.new:3d}  failed {s.failed:3d}")
        for note in s.notes[:5]:
            print(f"  {' ' * 24}   note: {note}")
        if len(s.notes) > 5:
            print(f"  {' ' * 24}   (+{len(s.notes) - 5} more notes)")
    if report.digest is not None:
        print("stories:")
        for sec in report.digest.sections:
            print(f"  {_pad(sec.title, 24)} {len(sec.stories):3d}")
        state = "published" if report.published else "written (--no-send: nothing consumed, nothing sent)"
        print(f"files ({state}):")
        for f in report.files:
            print(f"  {f}")
    for line in report.deliveries:
        print(line)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
