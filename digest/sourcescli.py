"""`digest sources …`: the sources file as a reader manages it — OPML in and out, a list, on/off.

`add_parser` adds the `sources` command to digest's subcommands and `run` carries it out, printing to
`out`. A mistake of the user's (a missing or malformed file, an unknown name) is one line on stderr
and an exit status as cli.py gives it (2 for a file or value that cannot be right, 1 for a job not
done), never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from . import textwidth
from .errors import ConfigError, DigestError, UsageError, one_line

if TYPE_CHECKING:
    from .feedfinder import Found
    from .models import Settings, Source

__all__ = ["add_actions", "add_parser", "run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
OPML_TITLE = "digest sources"
NEW_FILE = "# digest sources: every key is documented in README.md (Configuration)\n"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `sources` (with import, export, list, enable, disable) to digest's subcommands."""
    p = sub.add_parser(
        "sources",
        help="manage the sources: add a site, check them, import or export OPML, list, enable, disable",
    )
    add_actions(p.add_subparsers(dest="sources_action", required=True, metavar="ACTION"))


def add_actions(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The actions of `digest sources`, for a parser that adds more of its own."""

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--sources", default="sources.yaml", help="the configuration file (default: ./sources.yaml)"
        )
        return p

    imp = common(actions.add_parser("import", help="add the feeds of an OPML file (a reader's export)"))
    imp.add_argument("opml", metavar="FILE.opml", help="the OPML file to read")
    exp = common(actions.add_parser("export", help="write the sources as OPML 2.0, for a feed reader"))
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    common(actions.add_parser("list", help="a table of the sources: name, type, enabled, tags, URL"))
    add = common(actions.add_parser("add", help="find the feed behind a site's address and add it"))
    add.add_argument("url", metavar="URL", help="the site's address (or the feed's)")
    add.add_argument("--name", help="the source's name (default: the feed's or the site's title)")
    add.add_argument("--tag", action="append", default=[], metavar="TAG", help="a tag (repeat for more)")
    add.add_argument("--dry-run", action="store_true", help="say what would be added, write nothing")
    chk = common(
        actions.add_parser("check", help="fetch each source once and print a table of what it answers")
    )
    chk.add_argument(
        "--write-redirects",
        action="store_true",
        help="write the new URL of every source that moved permanently (301/308) into the file",
    )
    for action, what in (("enable", "collect from"), ("disable", "stop collecting from")):
        p = common(actions.add_parser(action, help=f"{what} the source NAME"))
        p.add_argument("name", metavar="NAME", help="the source's name, as in the file")


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Carry out `digest sources ACTION`; the exit status."""
    err = sys.stderr if err is None else err
    actions: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
        "import": _import,
        "export": _export,
        "list": _list,
        "add": _add,
        "check": _check,
        "enable": _enable,
        "disable": _enable,
    }
    try:
        return actions[args.sources_action](args, out, err)
    except ConfigError as exc:
        print(f"digest: configuration error: {exc}", file=err)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"digest: {exc}", file=err)
        return EXIT_USAGE
    except DigestError as exc:
        print(f"digest: {exc}", file=err)
        return EXIT_FAILED
    except OSError as exc:  # a file the user named that cannot be read or written
        print(f"digest: {one_line(exc)}", file=err)
        return EXIT_FAILED


def _import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .opml import read_opml
    from .sourcefile import add_sources

    try:
        data = Path(args.opml).read_bytes()
    except FileNotFoundError:
        raise ConfigError(args.opml, "", "file not found") from None
    found = read_opml(data, args.opml)
    _ensure_file(args.sources)
    result = add_sources(args.sources, [f.as_source() for f in found.feeds])
    notes = (*found.skipped, *result.skipped)
    print(f"imported {len(result.added)}, skipped {len(notes)}", file=out)
    for note in notes:
        print(f"  skipped: {note}", file=out)
    return EXIT_OK


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .fsutil import atomic_write
    from .opml import write_opml
    from .sourcefile import list_sources

    sources = list_sources(args.sources)
    data = write_opml(sources, OPML_TITLE)
    if args.output is None:
        out.write(data.decode("utf-8"))
        return EXIT_OK
    atomic_write(Path(args.output), data)
    print(f"exported {len(sources)} sources to {args.output}", file=out)
    return EXIT_OK


def _list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .sourcefile import list_sources

    rows = [("name", "type", "enabled", "tags", "url")]
    rows += [
        (s.name, s.type, "yes" if s.enabled else "no", ", ".join(s.tags) or "-", s.url)
        for s in list_sources(args.sources)
    ]
    out.write(textwidth.table(rows[0], rows[1:]))
    return EXIT_OK


def _enable(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .sourcefile import list_sources, set_enabled

    enabled = args.sources_action == "enable"
    if set_enabled(args.sources, args.name, enabled):
        print(f"{args.name}: {'enabled' if enabled else 'disabled'}", file=out)
        return EXIT_OK
    try:
        names = [s.name for s in list_sources(args.sources)]
    except ConfigError:
        names = []
    close = difflib.get_close_matches(args.name, names, n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    print(f"digest: no source named {args.name!r} in {args.sources}{hint}", file=err)
    return EXIT_FAILED


def _settings(path: str, url: str | None = None) -> Settings:
    """The file's settings; for `add` to a file that has no sources yet, the shipped ones."""
    from .config import load_settings, settings_from_dict
    from .sourcefile import list_sources

    try:
        return load_settings(path)
    except ConfigError:
        if url is None or _has_sources(path, list_sources):
            raise  # (a file with sources that is wrong elsewhere: say so, write nothing)
    where = str(path)  # no file yet, or no sources yet: `add` writes the first
    return settings_from_dict(
        {"sources": [{"name": "new", "url": url}]}, where, {}, base_dir=Path(path).parent
    )


def _ensure_file(path: str) -> None:
    """A sources file to add to: a new one starts with a comment and no sources."""
    p = Path(path)
    if not p.exists():
        p.write_text(NEW_FILE, encoding="utf-8")


def _has_sources(path: str, list_sources: Callable[[str], tuple[Source, ...]]) -> bool:
    try:
        return bool(list_sources(path))
    except ConfigError:
        return False


def _add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import asyncio

    from .models import Source
    from .sourcefile import add_sources

    url = str(args.url).strip()
    if not url.lower().startswith(("http://", "https://")):
        raise UsageError(f"not a web address: {url!r} (give http:// or https://)")
    settings = _settings(args.sources, url)
    found = asyncio.run(_find(url, settings))
    for note in found.notes:
        print(f"  {note}", file=out)
    if found.kind == "none":
        print(f"digest: no feed and no article links found at {url}", file=err)
        return EXIT_FAILED
    if found.kind == "page":
        print(
            f"no feed found: {found.url} is a listing page with {found.items} article links, e.g.", file=out
        )
        for link in found.links:
            print(f"    {link}", file=out)
    name = args.name or found.title or (urlsplit(found.url).hostname or found.url)
    source = Source(name=name, url=found.url, type=found.kind, tags=tuple(args.tag))
    what = f"{found.kind}, {found.items} {'items' if found.kind == 'feed' else 'article links'}"
    if args.dry_run:
        print(f"would add {name} ({what}): {found.url}", file=out)
        return EXIT_OK
    _ensure_file(args.sources)
    result = add_sources(args.sources, [source])
    for added in result.added:
        print(f"added {added} ({what}): {found.url}", file=out)
    for note in result.skipped:
        print(f"  skipped: {note}", file=out)
    return EXIT_OK if result.added else EXIT_FAILED


async def _find(url: str, settings: Settings) -> Found:
    from .feedfinder import find
    from .fetch import Fetcher, make_client
    from .net import trusted_origins

    async with make_client(settings.fetch) as http:
        fetcher = Fetcher(http, settings.fetch, trusted_origins([url]))  # the address the user gave
        return await find(url, fetcher, settings.fetch, tz=settings.timezone)


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import asyncio

    from .sourcecheck import check, format_table
    from .sourcefile import set_url

    settings = _settings(args.sources)
    rows = asyncio.run(check(settings.sources, settings.fetch, tz=settings.timezone))
    out.write(format_table(rows))
    failing = [r for r in rows if not r.ok]
    moved = [r for r in rows if r.moved_to]
    print(
        f"{len(rows)} source(s) checked: {len(rows) - len(failing)} ok, {len(failing)} failing"
        + (f", {len(moved)} moved permanently" if moved else ""),
        file=out,
    )
    for r in moved:
        if args.write_redirects and r.moved_to and set_url(args.sources, r.name, r.moved_to):
            print(f"  {r.name}: URL written: {r.moved_to}", file=out)
        else:
            print(f"  {r.name}: moved to {r.moved_to} (--write-redirects writes it)", file=out)
    return EXIT_OK if not failing else EXIT_FAILED
