"""Discovery: the article links on a news listing page (later also the feeds a site offers)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from digest.errors import ExtractError
from digest.extract.failures import _DEEP_NESTING
from digest.extract.furniture import _REMOVE, _furniture_ids

__all__ = ["find_article_links"]

_ARTICLE_PATH = re.compile(
    r"articleView|article_view|newsView|news_view|[?&](?:idxno|no|idx|news_?id|newsId|article_?id|aid|"
    r"artid|seq|nNewsNumb|wr_id|uid|key)=\d|/view/|/views?/\d|/news/[^?#]*\d|/article/[^?#]*\d|/\d{4,}(?:[/.?#]|$)|"
    r"/[A-Za-z]{0,12}\d{2,}[A-Za-z0-9_-]*\.(?:s?html?|php|asp|jsp)$|\d{8,}",
    re.IGNORECASE,
)
_CATEGORY_PATH = re.compile(
    r"[?&](?:sc_section_code|sc_sub_section_code|sc_serial_code|section|cate|category|page|pageIndex|"
    r"sc_area|view_type|sort|q|query|search|tag)=|/(?:list|category|section|tag|tags|search|login|member|"
    r"subscribe|rss)(?:[/.?#]|$)|articleList|index\.html?$|/$",
    re.IGNORECASE,
)


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def find_article_links(html: str, base_url: str, selector: str | None = None) -> list[tuple[str, str]]:
    """(absolute URL, link text) of the article links on a listing page, in page order, de-duplicated.

    Only links on the listing's own site with article-like paths count; navigation, menus, footers,
    "most read" boxes and category pages do not. With ``selector``, only anchors matching it count
    (or the anchors inside the elements it matches); an invalid selector raises ExtractError.
    """
    if not html.strip() or (html.count("<", 0, 400_000) > 20_000 and _DEEP_NESTING.search(html)):
        return []
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = urljoin(base_url, base_node.attributes.get("href") or "") if base_node is not None else base_url
    site = _site(urlsplit(base_url).hostname or "")
    if selector:
        try:
            matched = tree.css(selector)
        except SelectolaxError as exc:
            raise ExtractError(base_url, f"invalid CSS selector {selector!r}: {exc}") from exc
        anchors = [a for a in matched if a.tag == "a"] or [a for node in matched for a in node.css("a[href]")]
        return _links(anchors, base, site, check_path=False)
    sure, likely, _ = _furniture_ids(tree)
    sure |= {node.mem_id for node in tree.css(_REMOVE)}
    sure_memo: dict[int, bool] = {}
    likely_memo: dict[int, bool] = {}
    outside_nav = [a for a in tree.css("a[href]") if not _inside(a, sure, sure_memo)]
    candidates = _links(outside_nav, base, site, check_path=True, keep_nodes=True)
    strict = [(url, text) for url, text, node in candidates if not _inside(node, likely, likely_memo)]
    # Weak tokens are a guess ("card", "side" …): if they hide every link, the list is the page.
    chosen = strict if strict else [(url, text) for url, text, _ in candidates]
    return _dedupe(chosen)


def _links(
    anchors: list[LexborNode], base: str, site: str, check_path: bool, keep_nodes: bool = False
) -> list[Any]:
    out: list[Any] = []
    for anchor in anchors:
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _site(parts.hostname or "") != site:
            continue
        if check_path:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if not _ARTICLE_PATH.search(path) or (_CATEGORY_PATH.search(path) and not _strong_article(path)):
                continue
        text = " ".join((anchor.text() or "").split())
        if not text:  # an image link: its alt text stands in until the title link comes
            image = anchor.css_first("img[alt]")
            alt = " ".join((image.attributes.get("alt") or "").split()) if image is not None else ""
            text = _ALT + alt if alt else ""
        out.append((url, text, anchor) if keep_nodes else (url, text))
    return out if keep_nodes else _dedupe(out)


_ALT = "\x00"  # marks link text taken from an image's alt attribute


def _dedupe(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for url, text in links:
        known = found.get(url)
        if known is None or (text and (not known or (known.startswith(_ALT) and not text.startswith(_ALT)))):
            found[url] = text
    return [(url, text.removeprefix(_ALT)) for url, text in found.items()]


def _strong_article(path: str) -> bool:
    return re.search(r"articleView|idxno=|newsView|/view/|/news/[^?#]*\d", path, re.IGNORECASE) is not None


def _inside(node: LexborNode, excluded: set[int], memo: dict[int, bool]) -> bool:
    chain: list[int] = []
    walker: LexborNode | None = node
    result = False
    while walker is not None:
        mid = walker.mem_id
        if mid in memo:
            result = memo[mid]
            break
        chain.append(mid)
        if mid in excluded:
            result = True
            break
        walker = walker.parent
    for mid in chain:
        memo[mid] = result
    return result
