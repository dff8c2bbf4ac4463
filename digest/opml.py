"""OPML in and out: the feed lists readers (Feedly, Miniflux, FreshRSS, Thunderbird) import and export.

`read_opml` turns an OPML file into feeds with tags (folders, outermost first, then the OPML 2.0
`category` paths) and one-line notes on what it skipped; `write_opml` writes the sources back as
OPML 2.0 those readers import, one folder level per first tag, every tag in `category`, and what
only digest knows (a disabled source, a `page` source) in attributes of its own namespace, which
importers ignore, so a round trip keeps it.

An OPML file is untrusted input. It is parsed without network, without loading a DTD and without
resolving entities, and a file whose DOCTYPE declares entities (`<!ENTITY …>`, the billion laughs
or an external `SYSTEM` entity) is refused with a one-line error before any attribute is read:
OPML needs none, and lxml would expand an internal entity in an attribute value when it is read.
Predefined entities (`&amp;`) and character references (`&#54620;`) work as in any XML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from .errors import ConfigError, one_line
from .identity import canonical_url
from .models import Source, SourceType

__all__ = ["NS", "OpmlError", "OpmlFeed", "OpmlRead", "read_opml", "write_opml"]

NS = "https://example.org/digest-opml"  # digest's own attributes: digest:enabled, digest:type …
_D = f"{{{NS}}}"
_HTTP = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)  # what config accepts as a source URL
_POSITION = re.compile(r",? line \d+, column \d+$")


class OpmlError(ConfigError):
    """An OPML file that cannot be read: names the file and the line (`feeds.opml: line 3: …`)."""

    def __init__(self, where: str, line: int | None, reason: str) -> None:
        super().__init__(where, f"line {line}" if line else "", reason)
        self.line = line


@dataclass(frozen=True)
class OpmlFeed:
    """One feed (or digest `page` source) of an OPML file."""

    title: str
    url: str
    html_url: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    type: SourceType = "feed"
    encoding: str | None = None  # digest:encoding, written by write_opml
    selector: str | None = None  # digest:selector, written by write_opml for a page source

    def as_source(self) -> Source:
        """The source this feed is, named by its title (made unique when it is added to a file)."""
        return Source(
            name=self.title,
            url=self.url,
            type=self.type,
            encoding=self.encoding,
            enabled=self.enabled,
            tags=self.tags,
            selector=self.selector,
        )


@dataclass(frozen=True)
class OpmlRead:
    """What an OPML file holds: its feeds in document order, and a note on each outline skipped."""

    feeds: tuple[OpmlFeed, ...]
    skipped: tuple[str, ...]


# --------------------------------------------------------------------------- reading


def read_opml(data: bytes, where: str = "OPML") -> OpmlRead:
    """Feeds and skip notes of an OPML file (UTF-8, or any encoding its XML declaration names).

    Raises OpmlError (a ConfigError) naming `where` and the line for malformed XML, a DOCTYPE that
    declares entities, a root that is not <opml>, or no <body>."""
    root = _parse(data, where)
    if not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise OpmlError(where, root.sourceline, f"not an OPML file: the root element is <{name}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError(where, root.sourceline, "not an OPML file: no <body> in <opml>")
    feeds: list[OpmlFeed] = []
    skipped: list[str] = []
    seen: dict[str, tuple[str, int]] = {}  # canonical URL → (title, line) of its first outline
    for el, path in _outlines(body, ()):
        line = el.sourceline or 0
        feed = _feed(el, path)
        if isinstance(feed, str):
            skipped.append(f"line {line}: {feed}")
            continue
        key = canonical_url(feed.url)
        if key in seen:
            first, first_line = seen[key]
            skipped.append(
                f"line {line}: {feed.title} <{feed.url}>: same feed as {first!r} (line {first_line})"
            )
            continue
        seen[key] = (feed.title, line)
        feeds.append(feed)
    return OpmlRead(feeds=tuple(feeds), skipped=tuple(skipped))


def _parse(data: bytes, where: str) -> Any:
    """The root element, parsed safely; entity declarations refused before anything is read."""
    decl = data.find(b"<!ENTITY")
    if decl >= 0:  # ASCII-compatible encodings; the DTD check below catches the others
        raise OpmlError(where, data[:decl].count(b"\n") + 1, _ENTITIES)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        reason = _POSITION.sub("", one_line(exc.msg or exc))
        raise OpmlError(where, exc.lineno, f"not well-formed XML: {reason}") from None
    except ValueError as exc:  # lxml: e.g. an encoding it does not know
        raise OpmlError(where, None, f"cannot read: {one_line(exc)}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.entities()):
        raise OpmlError(where, 1, _ENTITIES)
    return root


_ENTITIES = "the DOCTYPE declares XML entities (<!ENTITY …>): refused, an OPML file needs none"


def _outlines(parent: Any, path: tuple[str, ...]) -> Iterable[tuple[Any, tuple[str, ...]]]:
    """Every <outline> under `parent` that is not a folder, with its folder titles (outermost
    first). A folder is an outline without a feed URL that holds outlines."""
    for el in parent:
        if not isinstance(el.tag, str) or etree.QName(el).localname != "outline":
            continue
        children = [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == "outline"]
        if children and _url(el) is None:
            title = _text(el)
            yield from _outlines(el, (*path, title) if title else path)
            continue
        yield el, path
        if children:  # a feed that also holds outlines: they are in a folder named after it
            yield from _outlines(el, (*path, _text(el) or ""))


def _attrs(el: Any) -> dict[str, str]:
    """The outline's plain attributes, by lower-case name (exporters spell xmlUrl differently)."""
    return {str(k).lower(): str(v) for k, v in el.attrib.items() if not str(k).startswith("{")}


def _url(el: Any) -> str | None:
    a = _attrs(el)
    url = a.get("url") if el.get(f"{_D}type") == "page" else a.get("xmlurl")
    url = (url or "").strip()
    return url or None


def _text(el: Any) -> str:
    a = _attrs(el)
    return _clean(a.get("title")) or _clean(a.get("text"))


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _feed(el: Any, path: tuple[str, ...]) -> OpmlFeed | str:
    """The feed an outline is, or why it is skipped (one line)."""
    a = _attrs(el)
    url = _url(el)
    label = _text(el) or "(untitled)"
    if url is None:
        kind = "a link, not a feed" if a.get("type", "").lower() == "link" else "no xmlUrl, not a feed"
        return f"{label}: {kind}"
    if not _HTTP.match(url):
        return f"{label}: not an http(s) URL: {one_line(url, 120)!r}"
    page = el.get(f"{_D}type") == "page"
    return OpmlFeed(
        title=_text(el) or (urlsplit(url).hostname or url),
        url=url,
        html_url=(a.get("htmlurl") or "").strip() or None,
        tags=_unique((*path, *_categories(a.get("category", "")))),
        enabled=(el.get(f"{_D}enabled") or "").strip().lower() != "false",
        type="page" if page else "feed",
        encoding=_clean(el.get(f"{_D}encoding")) or None,
        selector=(el.get(f"{_D}selector") or "").strip() or None,
    )


def _categories(value: str) -> list[str]:
    """`/의료,/정부/복지` → 의료, 정부, 복지 (OPML 2.0: comma-separated, slash-delimited paths)."""
    return [_clean(seg) for part in value.split(",") for seg in part.split("/") if _clean(seg)]


def _unique(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in tags if t))


# --------------------------------------------------------------------------- writing


def write_opml(sources: Sequence[Source], title: str, *, now: datetime | None = None) -> bytes:
    """OPML 2.0, UTF-8, indented: feeds in one level of folders by their first tag (untagged ones
    at the top level), every tag in `category`, digest-only facts in digest:* attributes."""
    root = etree.Element("opml", nsmap={"digest": NS})
    root.set("version", "2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    when = now or datetime.now(UTC)
    etree.SubElement(head, "dateCreated").text = format_datetime(when, usegmt=when.tzinfo is UTC)
    body = etree.SubElement(root, "body")
    folders: dict[str, Any] = {}
    for source in sources:
        parent = body
        if source.tags:
            first = source.tags[0]
            if first not in folders:
                folders[first] = etree.SubElement(body, "outline", text=first, title=first)
            parent = folders[first]
        _outline(parent, source)
    etree.indent(root, space="  ")
    data: bytes = etree.tostring(root, xml_declaration=False, encoding="UTF-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + data + b"\n"


def _outline(parent: Any, s: Source) -> None:
    el = etree.SubElement(parent, "outline")
    el.set("type", "link" if s.type == "page" else "rss")
    el.set("text", s.name)
    el.set("title", s.name)
    el.set("url" if s.type == "page" else "xmlUrl", s.url)
    if s.tags:
        el.set("category", ",".join(f"/{t}" for t in s.tags))
    if s.type == "page":
        el.set(f"{_D}type", "page")
    if not s.enabled:
        el.set(f"{_D}enabled", "false")
    if s.encoding:
        el.set(f"{_D}encoding", s.encoding)
    if s.selector:
        el.set(f"{_D}selector", s.selector)
