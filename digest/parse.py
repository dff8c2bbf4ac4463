"""The feed adapter: bytes + headers → ParsedFeed. RSS/Atom go through feedparser, JSON Feed
through json; feedparser never sees a URL, a path or an undecoded Korean charset.

We decode the bytes ourselves (charset.decode: EUC-KR read as CP949, never a Latin fallback)
and hand feedparser UTF-8, because feedparser turns CP949-only syllables and undeclared EUC-KR
into mojibake. Dates are parsed by our own Korean-aware parser, not feedparser's (which reads
`2024.06.12` as the first of the current month and zone-less times as UTC).
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from .charset import decode_html
from .dates import parse_date
from .errors import ParseError, one_line
from .models import Entry, ParsedFeed

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.DOTALL)
_CLOSERS = ("</rss>", "</feed>", "</rdf:rdf>", "</channel>")
_WS = re.compile(r"\s+")
_LINE_BREAKS = re.compile(r"[\u2028\u2029\u0085]")


def parse_feed(
    body: bytes,
    url: str,
    content_type: str = "",
    charset: str | None = None,
    encoding_override: str | None = None,
    tz: str = "Asia/Seoul",
    now: datetime | None = None,
    max_items: int = 200,
) -> ParsedFeed:
    """Parse feed bytes fetched from `url` into entries (newest first as the feed lists them)."""
    if not body.strip():
        raise ParseError(url, "empty response")
    text = decode_html(body, charset, encoding_override)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{") or content_type in ("application/feed+json", "application/json"):
        return _parse_json_feed(stripped, url, tz, now, max_items)
    return _parse_xml_feed(stripped, url, tz, now, max_items)


def _parse_xml_feed(text: str, url: str, tz: str, now: datetime | None, max_items: int) -> ParsedFeed:
    # Re-declare as UTF-8: we decoded it already.
    text = _XML_DECL.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    data = text.encode("utf-8")
    headers = {"content-type": "application/xml; charset=utf-8", "content-location": url}
    result: Any = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
    warnings: list[str] = []
    if not result.get("version"):
        if result.get("bozo") and not result.entries:
            reason = _one_line(result.get("bozo_exception"))
            raise ParseError(url, f"not a feed ({reason})")
        if not result.entries:
            raise ParseError(url, "not a feed (no RSS, Atom or JSON Feed document found)")
    tail = text.rstrip().lower()[-40:]
    if not any(tail.endswith(c) for c in _CLOSERS):
        # A short or reset body: taking its entries would store a half item.
        raise ParseError(url, "truncated document (no closing </rss> or </feed>)")
    if result.get("bozo"):
        warnings.append(f"malformed feed, parsed leniently: {_one_line(result.get('bozo_exception'))}")
    entries: list[Entry] = []
    for raw in result.entries[:max_items]:
        entry = _xml_entry(raw, url, tz, now)
        if entry is None:
            warnings.append(
                f"entry without a usable link skipped: {_clean_text(raw.get('title', ''))[:60]!r}"
            )
            continue
        entries.append(entry)
    if len(result.entries) > max_items:
        warnings.append(f"{len(result.entries)} entries; only the first {max_items} taken")
    title = _clean_text(result.feed.get("title", "")) if result.get("feed") else ""
    return ParsedFeed(title=title, entries=tuple(entries), warnings=tuple(warnings))


def _xml_entry(raw: Mapping[str, Any], feed_url: str, tz: str, now: datetime | None) -> Entry | None:
    link = raw.get("link") or ""
    if not link:
        for candidate in raw.get("links", []) or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    guid = raw.get("id") or None
    if not link and guid and str(guid).startswith(("http://", "https://")):
        link = guid
    link = _http_url(link, feed_url)
    if link is None:
        return None
    content_html: str | None = None
    for c in raw.get("content", []) or []:
        value = c.get("value") or ""
        if len(value) > len(content_html or ""):
            content_html = value
    summary_html = raw.get("summary") or ""
    published = None
    for key in ("published", "updated", "created", "dc_date"):
        value = raw.get(key)
        if value:
            published = parse_date(str(value), tz=tz, now=now)
            if published is not None:
                break
    author = raw.get("author")
    return Entry(
        url=link,
        title=_clean_text(html_to_text(raw.get("title", ""))),
        guid=str(guid) if guid else None,
        summary=_clean_text(html_to_text(summary_html)),
        content_html=content_html,
        published=published,
        author=_clean_text(str(author)) if author else None,
    )


def _parse_json_feed(text: str, url: str, tz: str, now: datetime | None, max_items: int) -> ParsedFeed:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(url, f"not a feed (invalid JSON: {exc.msg} at line {exc.lineno})") from exc
    if not isinstance(doc, dict) or "jsonfeed.org/version" not in str(doc.get("version", "")):
        raise ParseError(url, "not a feed (JSON without a jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError(url, "not a feed (JSON Feed without items)")
    warnings: list[str] = []
    entries: list[Entry] = []
    for raw in items[:max_items]:
        if not isinstance(raw, dict):
            continue
        link = _http_url(str(raw.get("url") or raw.get("external_url") or ""), url)
        if link is None:
            warnings.append(f"entry without a usable link skipped: {str(raw.get('title', ''))[:60]!r}")
            continue
        content_html = raw.get("content_html")
        if not content_html and raw.get("content_text"):
            content_html = "".join(f"<p>{html.escape(p)}</p>" for p in str(raw["content_text"]).split("\n\n"))
        published = None
        for key in ("date_published", "date_modified"):
            if raw.get(key):
                published = parse_date(str(raw[key]), tz=tz, now=now)
                if published:
                    break
        authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
        author = None
        if authors and isinstance(authors[0], dict) and authors[0].get("name"):
            author = _clean_text(str(authors[0]["name"]))
        entries.append(
            Entry(
                url=link,
                title=_clean_text(str(raw.get("title") or "")),
                guid=str(raw["id"]) if raw.get("id") is not None else None,
                summary=_clean_text(str(raw.get("summary") or "")),
                content_html=str(content_html) if content_html else None,
                published=published,
                author=author,
            )
        )
    return ParsedFeed(
        title=_clean_text(str(doc.get("title") or "")), entries=tuple(entries), warnings=tuple(warnings)
    )


def _http_url(link: str, base: str) -> str | None:
    link = _clean_text(link)
    if not link:
        return None
    absolute = urljoin(base, link)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blocks on their own lines."""
    if "<" not in fragment:
        return html.unescape(fragment)
    tree = HTMLParser(f"<div>{fragment}</div>")
    for node in tree.css("script, style, noscript, iframe"):
        node.decompose()
    for node in tree.css("br"):
        node.replace_with("\n")
    for node in tree.css("p, div, li, h1, h2, h3, h4, tr"):
        node.insert_after("\n")
    root = tree.body or tree.root
    return root.text(separator="") if root is not None else ""


def _clean_text(value: object) -> str:
    """One line of text: no controls, no line breaks of any kind (safe for headers and titles)."""
    text = _LINE_BREAKS.sub(" ", str(value or ""))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return _WS.sub(" ", text).strip()


def _one_line(exc: object) -> str:
    return one_line(exc, 160) if exc is not None else "unknown error"
