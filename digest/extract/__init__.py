"""Article pages → clean text, metadata and summary (pure: no I/O).

The fast path parses once with selectolax (lexbor) and walks the tree once, cutting the text into
*segments* (a run of text inside one block element, split at ``<br>``). Page furniture — navigation,
weather tickers, share buttons, related and most-read lists, captions, bylines — is recognised by
tag, by class/id tokens and by its text, and left out. The article body is the element that holds the
most sentence-like text for the least other text (``good - bad``), which copes with ``<p>`` bodies,
``<div>`` paragraphs, table boards with ``<br>`` lines and bodies cut by ad blocks alike.
When that pass is unsure, trafilatura gets a chance and the longer trustworthy result wins.

Modules: `furniture` (the page-furniture rules), `body` (the tree walk and the body choice),
`metadata` (title, date, author), `failures` (pages with no trustworthy body), `summary`, and
`fallback` (trafilatura).
Listing-page discovery is `digest.discover`.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from digest.charset import decode_html
from digest.errors import ExtractError
from digest.models import Article

from .body import _analyse, _clean_paragraphs, _clean_with_reporter, _TooDeep, _walk
from .failures import _DEEP_NESTING, _check_trustworthy, _garbage
from .fallback import _trafilatura_text, require_fallback
from .furniture import _furniture_ids, _prune, clean_text, strip_furniture_lines
from .metadata import _author, _json_ld, _metas, _published, _title
from .subtitle import find_subtitle
from .summary import lead_text, sentences, summarize

__all__ = [
    "clean_content",
    "clean_text",
    "decode_html",
    "extract_article",
    "find_subtitle",
    "lead_text",
    "require_fallback",
    "sentences",
    "strip_furniture_lines",
    "summarize",
]


def _parse(html: str, url: str) -> LexborHTMLParser:
    if _garbage(html):
        raise ExtractError(url, "empty or binary content")
    # A nesting bomb needs tens of thousands of tags; only then is the (slower) exact check worth it.
    if html.count("<", 0, 400_000) > 20_000 and _DEEP_NESTING.search(html):
        raise ExtractError(url, "markup nested too deep")
    return LexborHTMLParser(html)


def extract_article(html: str, url: str) -> Article:
    """Extract the article body (paragraphs joined by a blank line), title, published and author.

    Raises ExtractError for pages with no trustworthy body: empty, binary, login walls,
    JavaScript-only shells, error pages, absurdly deep markup.
    """
    tree = _parse(html, url)
    ld = _json_ld(tree)
    metas = _metas(tree)
    title = _title(tree, metas, ld)
    _prune(tree)
    walk, body = _analyse(tree, url)
    source = list(body.paragraphs) if body is not None else []  # the lines the text is made of
    paragraphs, reporter = _clean_with_reporter(source, title) if body is not None else ([], None)
    ld_body = ld.get("articleBody")
    if isinstance(ld_body, str) and len(ld_body) > 1.5 * len("".join(paragraphs)) + 100:
        # A JavaScript-rendered page often still ships the body in its schema.org data.
        source = strip_furniture_lines(ld_body).split("\n")
        paragraphs = _clean_paragraphs(source, title)
    share = body.good / body.total_good if body is not None and body.total_good else 0.0
    if share < 0.5 or (len("".join(paragraphs)) < 200 and share < 0.9):
        # Unsure: the container holds little of the page's prose, or is short and not alone. Ask trafilatura.
        lines = strip_furniture_lines(_trafilatura_text(html)).split("\n")
        fallback = _clean_paragraphs(lines, title)
        if len("".join(fallback)) > 1.5 * len("".join(paragraphs)):
            source, paragraphs = lines, fallback
    text = "\n\n".join(paragraphs)
    segments = walk.segments
    _check_trustworthy(text, [s.text for s in segments], title, url)
    # Dates and bylines sit just before or after the body: look there, not in sidebars.
    end = min(len(segments), (body.last if body is not None and body.last >= 0 else len(segments)) + 12)
    near = [s.text for s in segments[:end]]
    published = _published(tree, metas, ld, "\n".join(near))
    return Article(
        text=text,
        title=title,
        published=published.when if published is not None else None,
        author=_author(metas, ld, near) or reporter,
        date_only=published is not None and published.date_only,
        subtitle=_subtitle_in(source, paragraphs, title),
    )


def _subtitle_in(source: list[str], paragraphs: list[str], title: str | None) -> str:
    """The subtitles of the lines the text was made of, if the text kept them (as its paragraphs)."""
    subtitle = find_subtitle(source, title)
    kept = {" ".join(p.split()) for p in paragraphs[:_SUBTITLE_PARAGRAPHS]}
    lines = subtitle.split("\n") if subtitle else []
    return subtitle if lines and all(" ".join(x.split()) in kept for x in lines) else ""


_SUBTITLE_PARAGRAPHS = 8  # subtitles open the text: they are among its first paragraphs


_HAS_BLOCKS = re.compile(r"<(?:p|br|div|li|h[1-6]|table|blockquote|section|article)\b", re.IGNORECASE)


def clean_content(html: str, url: str) -> Article:
    """Clean a feed's own full content (an HTML fragment) like an article body."""
    if not html or not html.strip():
        return Article(text="")
    if html.count("<", 0, 400_000) > 20_000 and _DEEP_NESTING.search(html):
        raise ExtractError(url, "markup nested too deep")
    if not _HAS_BLOCKS.search(html):  # plain text, or inline-only HTML: its line breaks are paragraphs
        html = html.replace("\r\n", "\n").replace("\n", "<br>")
    tree = LexborHTMLParser(f"<html><body><div>{html}</div></body></html>")
    root = tree.body
    if root is None:
        return Article(text="")
    _prune(tree)
    sure, likely, _ = _furniture_ids(tree)
    try:
        walk = _walk(root, sure, likely)
    except _TooDeep:
        raise ExtractError(url, "markup nested too deep") from None
    raw = [
        s.text
        for s in walk.segments
        if s.furniture == 0 and not (s.link > 0.6 * len(s.text) and len(s.text) < 200)
    ]
    paragraphs, reporter = _clean_with_reporter(raw, None)
    return Article(
        text="\n\n".join(paragraphs),
        author=_author({}, {}, raw[-3:]) or reporter,
        subtitle=_subtitle_in(raw, paragraphs, None),
    )
