"""Finding the feed behind a site's address, for `digest sources add URL`.

People paste a home page or a section page, not the feed. Most Korean news sites have one, but
few say so in the same way: WordPress and Ghost sites announce it with `<link rel="alternate">`,
ndsoft sites (most of the regional and trade press) keep it at `/rss/allArticle.xml` and link it
from an "RSS" page only, others link `rss.php` from their footer. So `find` tries, in order:

  1. the address itself (it may be the feed already);
  2. the page's `<link rel="alternate">` feeds, then its `<a href>` links that look like feeds;
  3. the common feed paths of Korean CMSs on the page's origin.

Each candidate is validated by fetching and parsing it: a link is a claim, only entries are proof.
Politely: one candidate at a time, the first valid feed ends the search, at most `MAX_REQUESTS`
requests in all. A site without a feed is offered as a `page` source, with the article links
`digest.discover` finds on it.

Trust is the caller's decision: the Fetcher it hands in says which origins may resolve to
private addresses (for `sources add`, those of the user's own site; `same_site` says what that
is). A public feed on another subdomain (`www.site.com` → `rss.site.com`) needs no trust at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from .charset import decode_html
from .discover import _site, find_article_links
from .errors import FetchError, ParseError, one_line
from .fetch import Fetcher
from .models import FetchSettings, ParsedFeed, Response
from .parse import parse_feed

__all__ = [
    "COMMON_PATHS",
    "FEED_TYPES",
    "MAX_REQUESTS",
    "FeedLink",
    "Found",
    "alternate_feeds",
    "common_paths",
    "find",
    "page_title",
    "same_site",
]

MAX_REQUESTS = 12  # the address itself included
SHOWN_LINKS = 5  # article links a `page` offer shows

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)

# ndsoft first (the regional and trade press), then its per-section feed, then the usual names.
COMMON_PATHS = (
    "/rss/allArticle.xml",
    "/rss/S1N1.xml",
    "/rss.xml",
    "/feed",
    "/rss",
    "/rss/",
    "/atom.xml",
    "/index.xml",
    "/feed.xml",
)

# A path (and query) that names a feed: /rss, /rss/allArticle.xml, rss.php?sec=1, /feed, foo.xml.
_FEED_PATH = re.compile(
    r"(?:^|/)(?:rss|feeds?|atom)(?:/|\.xml$|$)|\.(?:xml|rss|atom)$|rss\w*\.(?:php|asp|aspx|jsp|html?)"
    r"|[?&](?:type|format|output)=(?:rss|atom)\b",
    re.IGNORECASE,
)
_NOT_FEED_PATH = re.compile(r"sitemap|/oembed|/wp-json|comments/feed", re.IGNORECASE)


@dataclass(frozen=True)
class FeedLink:
    """A feed a page points to. `type` is the media type of a `<link rel="alternate">`; "" for
    an `<a href>` whose path merely looks like a feed (the second tier)."""

    url: str
    title: str = ""
    type: str = ""


@dataclass(frozen=True)
class Found:
    """What `find` made of an address.

    - `feed`: `url` is a feed with `items` entries;
    - `page`: no feed, but `url` is a listing page with `items` article links (`links`: the first few);
    - `none`: neither; `notes` say why.
    `title` is the feed's title, else the page's site name or `<title>`. `notes` say, in order,
    which candidates were skipped and why."""

    kind: Literal["feed", "page", "none"]
    url: str
    title: str = ""
    items: int = 0
    links: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- pure


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on one registrable domain (www.site.co.kr and rss.site.co.kr are)."""
    host_a, host_b = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    return bool(host_a) and _site(host_a) == _site(host_b)


def _base(tree: LexborHTMLParser, base_url: str) -> str:
    node = tree.css_first("base[href]")
    href = (node.attributes.get("href") or "").strip() if node is not None else ""
    return urljoin(base_url, href) if href else base_url


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "data:")):
        return None
    try:
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def alternate_feeds(html: str, base_url: str) -> list[FeedLink]:
    """The feeds a page points to, in page order, each URL once: first its `<link rel="alternate">`
    of a feed type (rel may hold several tokens, any case; href resolved against `<base href>` and
    the page URL), then its `<a href>` links on the page's own site whose path looks like a feed."""
    if not html.strip():
        return []
    tree = LexborHTMLParser(html)
    base = _base(tree, base_url)
    found: dict[str, FeedLink] = {}
    for node in tree.css("link[rel][href]"):
        attrs = node.attributes
        rels = (attrs.get("rel") or "").lower().split()
        media = (attrs.get("type") or "").split(";", 1)[0].strip().lower()
        url = _absolute(base, attrs.get("href") or "")
        if "alternate" in rels and media in FEED_TYPES and url and url not in found:
            found[url] = FeedLink(url, _words(attrs.get("title")), media)
    for node in tree.css("a[href]"):
        url = _absolute(base, node.attributes.get("href") or "")
        if url is None or url in found or not same_site(url, base_url):
            continue
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if _FEED_PATH.search(path) and not _NOT_FEED_PATH.search(path):
            found[url] = FeedLink(url, _words(node.text()), "")
    return list(found.values())


def common_paths(url: str) -> list[str]:
    """The common feed addresses of Korean CMSs on the origin of `url` (its path is dropped)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    origin = f"{parts.scheme}://{parts.netloc}"
    return [origin + path for path in COMMON_PATHS]


def page_title(html: str) -> str:
    """A page's name for a source: its `og:site_name`, else its `<title>`; "" if it has neither."""
    if not html.strip():
        return ""
    tree = LexborHTMLParser(html)
    for node in tree.css("meta[property], meta[name]"):
        key = (node.attributes.get("property") or node.attributes.get("name") or "").lower()
        if key == "og:site_name":
            name = _words(node.attributes.get("content"))
            if name:
                return name
    heading = tree.css_first("title")
    return _words(heading.text()) if heading is not None else ""


def _short(url: str, origin_of: str) -> str:
    """`url` without the scheme and host when it is on the origin of `origin_of` (for notes)."""
    a, b = urlsplit(url), urlsplit(origin_of)
    if (a.scheme, a.netloc) == (b.scheme, b.netloc):
        return a.path + (f"?{a.query}" if a.query else "") or "/"
    return url


# --------------------------------------------------------------------------- I/O


class _Search:
    """One search: the requests made so far, the URLs tried, the notes, the first empty feed."""

    def __init__(self, fetcher: Fetcher, settings: FetchSettings, tz: str, now: datetime | None) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.tz = tz
        self.now = now
        self.requests = 0
        self.tried: set[str] = set()
        self.notes: list[str] = []
        self.empty: tuple[str, str] | None = None  # (url, title) of the first feed without entries
        self.missing: list[str] = []  # candidates answering 404/410

    def parse(self, resp: Response) -> ParsedFeed:
        return parse_feed(
            resp.body,
            resp.final_url,
            resp.content_type,
            resp.charset,
            tz=self.tz,
            now=self.now,
            max_items=self.settings.max_items_per_feed,
        )

    async def fetch(self, url: str) -> Response:
        self.requests += 1
        self.tried.add(url)
        return await self.fetcher.get(url)

    async def validate(self, url: str, page: str) -> tuple[Response, ParsedFeed] | None:
        """The candidate's response and feed if it is a feed with entries; else None, noted."""
        shown = _short(url, page)
        try:
            resp = await self.fetch(url)
        except FetchError as exc:
            if exc.reason.startswith("HTTP 404"):
                self.missing.append(shown)
            else:
                self.notes.append(f"skipped {shown}: {one_line(exc.reason, 160)}")
            return None
        try:
            feed = self.parse(resp)
        except ParseError as exc:
            if resp.content_type in ("text/html", "application/xhtml+xml"):
                self.notes.append(f"skipped {shown}: answers HTML ({resp.content_type}), not a feed")
            else:
                self.notes.append(f"skipped {shown}: {one_line(exc.reason, 160)}")
            return None
        if not feed.entries:
            self.notes.append(f"skipped {shown}: a feed without entries")
            if self.empty is None:
                self.empty = (resp.final_url, feed.title)
            return None
        return resp, feed

    async def first_feed(self, candidates: list[str], page: str) -> tuple[Response, ParsedFeed] | None:
        """The first valid feed among `candidates`, one request at a time, within the budget."""
        for url in candidates:
            if url in self.tried:
                continue
            if self.requests >= MAX_REQUESTS:
                self.notes.append(f"stopped after {MAX_REQUESTS} requests")
                return None
            result = await self.validate(url, page)
            if result is not None:
                return result
        return None

    def finish_notes(self) -> tuple[str, ...]:
        notes = list(self.notes)
        if self.missing:
            notes.append("not found (HTTP 404): " + ", ".join(self.missing))
        stop = f"stopped after {MAX_REQUESTS} requests"
        if stop in notes:  # once, last
            notes = [n for n in notes if n != stop] + [stop]
        return tuple(notes)


async def find(
    url: str,
    fetcher: Fetcher,
    settings: FetchSettings,
    *,
    tz: str = "Asia/Seoul",
    now: datetime | None = None,
) -> Found:
    """Find the feed behind `url` (see the module docstring). Never raises for what the site
    answers: a failed fetch of `url` itself is a `none` with the reason in its notes."""
    search = _Search(fetcher, settings, tz, now)
    try:
        resp = await search.fetch(url)
    except FetchError as exc:
        return Found("none", url, notes=(one_line(exc.reason, 200),))
    page = resp.final_url
    search.tried.add(page)
    if page != url:
        search.notes.append(f"{url} redirects to {page}")
    try:
        feed = search.parse(resp)
    except ParseError:
        feed = None
    if feed is not None:
        if not feed.entries:
            search.notes.append("the feed has no entries yet")
        return Found("feed", page, feed.title, len(feed.entries), notes=search.finish_notes())

    html = decode_html(resp.body, resp.charset)
    title = page_title(html)
    links = alternate_feeds(html, page)
    tiers = (
        [link.url for link in links if link.type],  # <link rel="alternate">
        [link.url for link in links if not link.type],  # <a href> that looks like a feed
        common_paths(page),
    )
    for candidates in tiers:
        result = await search.first_feed(candidates, page)
        if result is not None:
            got, parsed = result
            notes = search.finish_notes()
            return Found("feed", got.final_url, parsed.title or title, len(parsed.entries), notes=notes)
        if search.requests >= MAX_REQUESTS:
            search.notes.append(f"stopped after {MAX_REQUESTS} requests")  # finish_notes keeps one
            break

    if search.empty is not None:
        empty_url, empty_title = search.empty
        return Found("feed", empty_url, empty_title or title, 0, notes=search.finish_notes())
    articles = find_article_links(html, page)
    notes = (*search.finish_notes(), "no feed found")
    if not articles:
        return Found("none", page, title, notes=(*notes, "no article links on the page either"))
    shown = tuple(link for link, _ in articles[:SHOWN_LINKS])
    return Found("page", page, title, len(articles), shown, notes=notes)
