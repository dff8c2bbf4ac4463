"""Discovery: the article links on a news listing page (later also the feeds a site offers)."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from publicsuffixlist import PublicSuffixList
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from digest.errors import ExtractError
from digest.extract.failures import _DEEP_NESTING
from digest.extract.furniture import _BYLINE, _FURNITURE_TAGS, _REMOVE, _furniture_ids

__all__ = ["find_article_links"]

_ARTICLE_PATH = re.compile(
    r"articleView|article_view|newsView|news_view|[?&](?:idxno|no|idx|news_?id|newsId|article_?id|aid|"
    r"artid|seq|nNewsNumb|wr_id|uid|key)=\d|/view/|/views?/\d|/news/[^?#]*\d|/article/[^?#]*\d|/\d{4,}(?:[/.?#]|$)|"
    r"/[A-Za-z]{0,12}\d{2,}[A-Za-z0-9_-]*\.(?:s?html?|php|asp|jsp)$|\d{8,}",
    re.IGNORECASE,
)
_CATEGORY_PATH = re.compile(
    r"[?&](?:sc_section_code|sc_sub_section_code|sc_serial_code|section|cate|category|page|pageIndex|"
    r"sc_area|view_type|sort|q|query|search|tag|date)=|/(?:list|category|section|tag|tags|search|login|member|"
    r"subscribe|rss)(?:[/.?#]|$)|articleList|index\.html?$|/$",
    re.IGNORECASE,
)
# Never an article, however article-like the rest of the URL: a cluster of related reports (whose
# query names its lead article), a notice board, help pages.
_NOT_ARTICLE_PATH = re.compile(
    r"/(?:cluster|notice|faq|help)\w*(?:[/.?#]|$)|[?&](?:cluster\w*|notice\w*|noti_?id)=", re.IGNORECASE
)

# Link text that says the link is not an article though its URL may look like one: a cluster of
# related reports ("35개의 관련뉴스 더보기", "관련기사 12건"), a notice ("[공지] …", "공지사항"), a date in
# an archive's day list ("1월3일(화)", "2024.06.12").
_NOT_ARTICLE_TEXT = re.compile(
    r"^\d[\d,]*\s*(?:개의?|건의?)\s*관련\s?(?:뉴스|기사)|^관련\s?(?:뉴스|기사)\s*\(?\s*\d[\d,]*\s*(?:개|건)?\s*\)?"
    r"(?:\s*더\s?보기)?$|^[\[【(<]\s*(?:공지|알림)(?:\s?사항)?\s*[\]】)>]|^공지(?:\s?사항)?(?:\s|:|$)|"
    r"^\d{1,2}\s?월\s?\d{1,2}\s?일\s?(?:\(\s?[월화수목금토일]\s?\))?$|"
    r"^\d{4}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{1,2}\.?\s?(?:\(\s?[월화수목금토일]\s?\))?$"
)
# A "more" link: it may lead to an article, but its words are not the article's title.
_MORE_TEXT = re.compile(
    r"^[\s+›»>…·]*(?:더\s?보기|전체\s?보기|자세히\s?보기|기사\s?(?:더\s?)?보기|원문\s?보기|more|read\s+more|"
    r"see\s+all|view\s+all|continue\s+reading)[\s+›»>…·]*$",
    re.IGNORECASE,
)


def _site(host: str) -> str:
    """The registrable domain (eTLD+1) of a host: news.naver.com, n.news.naver.com and
    sports.news.naver.com are all naver.com, while a.co.kr and b.co.kr stay apart (co.kr is a public
    suffix). IP addresses, one-label hosts (localhost) and public suffixes themselves compare exactly."""
    host = host.lower().rstrip(".")
    if "." not in host or _is_ip(host):
        return host
    with contextlib.suppress(UnicodeError):  # 한국.kr and xn--3e0b707e.kr are one site
        host = host.encode("idna").decode("ascii")
    return _suffixes().privatesuffix(host) or host


@functools.cache
def _suffixes() -> PublicSuffixList:
    # The list the package ships with, read from its own file: nothing is downloaded at run time.
    return PublicSuffixList()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def find_article_links(html: str, base_url: str, selector: str | None = None) -> list[tuple[str, str]]:
    """(absolute URL, link text) of the article links on a listing page, in page order, de-duplicated.

    Only links on the listing's own site (its registrable domain: any subdomain of naver.com for a
    page on news.naver.com) with article-like paths count; navigation, menus, footers, "most read"
    boxes, category pages, clusters of related reports and notices do not. With ``selector``, only
    anchors matching it count (or the anchors inside the elements it matches, less clusters and
    notices); an invalid selector raises ExtractError.
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
        anchors = [a for a in matched if a.tag == "a"]
        if anchors:
            return _links(anchors, base, site, check_path=False)
        inside = [a for node in matched for a in node.css("a[href]")]
        return _links(inside, base, site, check_path=False, check_text=True)
    # Tags (nav, footer, figure …) and hidden blocks are never the list.
    structural = {node.mem_id for node in tree.css(_REMOVE)} | {
        node.mem_id for node in tree.css(_FURNITURE_TAGS)
    }
    sure, likely, _ = _furniture_ids(tree)
    sure |= structural
    visible = [a for a in tree.css("a[href]") if not _inside(a, structural, {})]
    candidates = _links(visible, base, site, check_path=True, check_text=True, keep_nodes=True)
    # Class names are a guess: weak ones ("card", "side" …) first, then strong ones (a portal's
    # front page is all press cards in a "subscribe" box): if they hide every link, the list is the page.
    for excluded in (sure | likely, sure):
        memo: dict[int, bool] = {}
        chosen = [(url, text) for url, text, node in candidates if not _inside(node, excluded, memo)]
        if chosen:
            return _dedupe(chosen)
    return _dedupe([(url, text) for url, text, _ in candidates])


def _links(
    anchors: list[LexborNode],
    base: str,
    site: str,
    check_path: bool,
    check_text: bool = False,
    keep_nodes: bool = False,
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
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if check_path and (
            not _ARTICLE_PATH.search(path) or (_CATEGORY_PATH.search(path) and not _strong_article(path))
        ):
            continue
        text = " ".join((anchor.text() or "").split())
        if check_text:
            if _NOT_ARTICLE_PATH.search(path) or _NOT_ARTICLE_TEXT.search(text) or _BYLINE.match(text):
                continue  # a cluster, a notice, a date, a reporter's page
            if _MORE_TEXT.match(text):
                text = ""  # the article's own title link, if the page has one, names it
        if not text or text == _screen_reader_text(anchor):
            # An image link or a card's overlay link: the image's alt text or the card's heading
            # stands in until the title link comes.
            image = anchor.css_first("img[alt]")
            alt = " ".join((image.attributes.get("alt") or "").split()) if image is not None else ""
            stand_in = alt or _card_heading(anchor) or text
            text = _ALT + stand_in if stand_in else ""
        out.append((url, text, anchor) if keep_nodes else (url, text))
    return out if keep_nodes else _dedupe(out)


_ALT = "\x00"  # marks link text that stands in for a title (an image's alt, a card's heading)
_SCREEN_READER = ".blind, .sr-only, .screen_out, .visually-hidden, .visuallyhidden, .a11y-hidden"


def _screen_reader_text(anchor: LexborNode) -> str:
    return " ".join(" ".join((node.text() or "").split()) for node in anchor.css(_SCREEN_READER))


def _card_heading(anchor: LexborNode) -> str:
    """The heading of the card an overlay link covers: a heading beside the link, in its parent or
    grandparent, that is not itself a link."""
    card = anchor.parent
    for _ in range(2):
        if card is None:
            return ""
        for heading in card.css("h1, h2, h3, h4, h5, h6"):
            text = " ".join((heading.text() or "").split())
            if text and heading.css_first("a") is None and not _has_anchor_ancestor(heading, card):
                return text
        card = card.parent
    return ""


def _has_anchor_ancestor(node: LexborNode, stop: LexborNode) -> bool:
    walker = node.parent
    while walker is not None and walker.mem_id != stop.mem_id:
        if walker.tag == "a":
            return True
        walker = walker.parent
    return False


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
