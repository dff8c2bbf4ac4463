"""Article pages → clean text, metadata and summary (pure: no I/O).

The fast path parses once with selectolax (lexbor) and walks the tree once, cutting the text into
*segments* (a run of text inside one block element, split at ``<br>``). Page furniture — navigation,
weather tickers, share buttons, related and most-read lists, captions, bylines — is recognised by
tag, by class/id tokens and by its text, and left out. The article body is the element that holds the
most sentence-like text for the least other text (``good - bad``), which copes with ``<p>`` bodies,
``<div>`` paragraphs, table boards with ``<br>`` lines and bodies cut by ad blocks alike.
When that pass is unsure, trafilatura gets a chance and the longer trustworthy result wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from types import ModuleType
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from digest.charset import decode_html, hangul_share
from digest.dates import find_date_in_text, parse_date
from digest.errors import DigestError, ExtractError
from digest.models import Article

__all__ = [
    "clean_content",
    "decode_html",
    "extract_article",
    "find_article_links",
    "require_fallback",
    "strip_furniture_lines",
    "summarize",
]

# --------------------------------------------------------------------------- furniture

_INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "nobr",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
        "img",
    }
)
# Elements whose text is never article text.
_SKIP_TEXT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "textarea",
        "title",
        "head",
        "option",
        "select",
        "svg",
        "math",
    }
)
# Never article text, never metadata either: removed from the tree before the walk.
_REMOVE = (
    "script, style, noscript, template, svg, math, iframe, object, embed, canvas, video, audio, map, "
    "nav, footer, aside, dialog, menu, select, textarea, form[role=search], "
    "[aria-hidden=true], [hidden], [role=navigation], [role=contentinfo], [role=complementary], "
    "[style*='display:none'], [style*='display: none'], [style*='visibility:hidden']"
)
# Not article text, but bylines and dates may sit inside: walked, then left out of the body.
_FURNITURE_TAGS = "header, figure, figcaption, button, input, label, ins, [role=banner]"
# Class/id tokens of blocks that are never the article: ads, sharing, tickers, rankings, comments …
_STRONG_TOKENS = frozenset(
    {
        "ad",
        "ads",
        "adv",
        "advert",
        "advertise",
        "advertisement",
        "adsbygoogle",
        "adsense",
        "banner",
        "banners",
        "share",
        "sharing",
        "sns",
        "weather",
        "wx",
        "ticker",
        "related",
        "relation",
        "relate",
        "popular",
        "ranking",
        "rank",
        "copyright",
        "caption",
        "comment",
        "comments",
        "cmt",
        "reply",
        "replies",
        "prevnext",
        "paging",
        "pagination",
        "pager",
        "breadcrumb",
        "breadcrumbs",
        "subscribe",
        "subscription",
        "newsletter",
        "gnb",
        "lnb",
        "snb",
        "nav",
        "navi",
        "navigation",
        "menu",
        "login",
        "kogl",
        "attach",
        "attachment",
        "satisfaction",
        "survey",
        "pullquote",
        "widget",
        "promo",
        "sponsor",
        "revenue",
        "postbtn",
    }
)
# Tokens that usually mean furniture but are sometimes put on a wrapper of the article too.
_WEAK_TOKENS = frozenset(
    {
        "social",
        "best",
        "hot",
        "most",
        "aside",
        "sidebar",
        "side",
        "byline",
        "reporter",
        "writer",
        "author",
        "editor",
        "editors",
        "reaction",
        "reactions",
        "like",
        "likes",
        "tag",
        "tags",
        "keyword",
        "keywords",
        "location",
        "util",
        "utils",
        "utility",
        "tool",
        "tools",
        "toolbar",
        "btn",
        "button",
        "buttons",
        "print",
        "footer",
        "header",
        "skip",
        "dept",
        "more",
        "card",
        "cards",
        "recommend",
        "recommended",
        "popup",
        "modal",
        "blind",
        "another",
        "profile",
        "hidden",
        "hide",
        "sr",
        "thumb",
        "thumbnail",
    }
)

_TOKEN_SPLIT = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")


_CAPTION_ATTR = re.compile(
    r"(?:img|image|photo|pic|thumb)[_-]?(?:desc|caption|cap|txt|text|info)|prev[_-]?next|next[_-]?prev|"
    r"(?:^|[\s_-])(?:prev|next)[_-]?(?:article|news|post|btn|link|list|area|box)",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def _furniture_level(value: str) -> int:
    """2: class/id of a block that is never article text; 1: probably furniture; 0: neither."""
    if _CAPTION_ATTR.search(value):
        return 2
    level = 0
    for token in _TOKEN_SPLIT.split(value):
        lowered = token.lower()
        if lowered in _STRONG_TOKENS:
            return 2
        if lowered in _WEAK_TOKENS:
            level = 1
    return level


_WEATHER = re.compile(
    r"(맑음|흐림|구름많음|구름조금|박무|안개|황사|비|눈|소나기)\s?[가-힣()]{0,6}\s?-?\d{1,2}(?:\.\d)?\s?℃"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_STRONG_FURNITURE = re.compile(
    r"저작권자|무단\s?전재|무단\s?복제|재배포\s?금지|재배포금지|All\s+rights\s+reserved|^\s*Copyright\b|"
    r"기상청\s?제공|^\s*[<(]?\s*[ⓒ©]|Designed by Tistory|공공누리|보도자료를\s?전재하여",
    re.IGNORECASE,
)
_WEAK_FURNITURE = re.compile(
    r"관련\s?기사|관련\s?보도자료|많이\s?본|인기\s?기사|최신\s?뉴스|더\s?보기|주요\s?뉴스|추천\s?기사|"
    r"함께\s?(?:읽|보)|기사를?\s?공유|공유하기|URL\s?복사|링크\s?복사|카카오톡|페이스북|네이버\s?밴드|트위터|"
    r"싸이월드|다른\s?기사|^이전\s?글|^다음\s?글|^이전\s?기사|^다음\s?기사|^반응형$|카테고리의\s?다른|"
    r"♡\s?공감|구독|뉴스레터|댓글|좋아요|후속\s?기사|기사\s?어떠셨|바로\s?가기|건너뛰기|공공누리|첨부\s?파일|"
    r"만족하십니까|^조회\s?[:수]|^추천\s?[:수]|소스\s?보기|최종\s?편집|기사\s?입력|최종\s?수정|^입력\s?:?\s?\d|"
    r"^수정\s?:?\s?\d|^등록\s?:?\s?\d|^승인\s?:?\s?\d|^업데이트\s?\d|모바일\s?버전|AI\s?학습|배너\s?닫기|오늘의\s?날씨|"
    r"미세먼지\s?(?:좋음|보통|나쁨)|등록번호|청소년\s?보호|발행인|편집인|로그인|^글자\s?크기|^인쇄$|^목록$|^스크랩$|"
    r"^(?:by|BY)\s+\S+$|사진\s?=|사진제공|자료사진|\(사진\)|^\[?사진\]?$|보도자료란|게시판입니다|"
    r"^#\S+(?:\s+#\S+)*$|Blog is powered|^포토$|^뉴스$|^TOP$|^맨\s?위로",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^[\[(]?\s*(?:[가-힣]{2,4}\s?(?:[·,ㆍ]\s?[가-힣]{2,4}\s?)*"
    r"(?:기자|특파원|통신원|객원기자|선임기자|인턴기자|논설위원|위원|편집위원|기자단|리포터)"
    r"(?:\s*[|/·]?\s*[\w.+-]+@[\w-]+\.[\w.]+)?\s*[\])]?)$"
)
_CAPTION = re.compile(
    r"^\s*[▲△▼◀▷]|^\s*<\s*사진|\(\s*사진\s*[=:]|\[\s*사진\s*[=:]|/\s*사진\s*=|사진\s*=\s*\S+\s*\)?\s*$"
)
_FURNITURE_HEADING = re.compile(
    r"^\s*[\[<【]?\s*(?:관련\s?기사|관련\s?뉴스|관련\s?보도자료|가장\s?많이\s?본.*|많이\s?본.*|인기\s?기사|최신\s?뉴스|"
    r"함께\s?(?:읽|보).*|추천\s?기사|주요\s?뉴스|이\s?시각\s?주요\s?뉴스|포토|댓글.*|카테고리의\s?다른\s?글)\s*[\]>】]?\s*$"
)
_FILENAME = re.compile(
    r"^[\w.\-()\[\] ]+\.(?:jpe?g|png|gif|webp|bmp|svg|hwp|hwpx|pdf|docx?|xlsx?|zip)$", re.IGNORECASE
)
_DATE_WORDS = re.compile(
    r"\d+|[년월일시분초]|오전|오후|[AaPp]\.?[Mm]\.?|\([월화수목금토일]\)|기사|입력|수정|등록|승인|게재|작성|"
    r"발행|송고|업데이트|최종|편집|일시|[\s.:\-/|·,()\[\]]"
)
_LETTERS = re.compile(r"[가-힣A-Za-z]")
_SENTENCE_END = re.compile(r"(?:[.?!。]|다|요)[\"'”’」』)\]]*\s*$")
_PROSE = re.compile(r"[가-힣][.?!]|[.?!][\"'”’]|\.\s")


def _is_furniture_line(line: str) -> bool:
    text = line.strip()
    if not text:
        return True
    if not _LETTERS.search(text):
        return True
    length = len(text)
    if length <= 200 and _STRONG_FURNITURE.search(text):
        return True
    if len(_WEATHER.findall(text)) >= 2 or (length <= 40 and _WEATHER.search(text)):
        return True
    if length <= 60 and _BYLINE.match(text):
        return True
    if length <= 80 and _EMAIL.search(text) and not _PROSE.search(text):
        return True
    if length <= 200 and _CAPTION.search(text):
        return True
    if length <= 120 and _FILENAME.match(text):
        return True
    if length <= 100 and not _DATE_WORDS.sub("", text):
        return True  # "입력 2024.06.12 14:00 | 수정 2024.06.12 15:00", "2024년 6월 12일 (수)"
    return length <= 40 and _WEAK_FURNITURE.search(text) is not None


def strip_furniture_lines(text: str) -> str:
    """Drop page-furniture lines (weather tickers, bylines, copyright, share buttons …) from plain text."""
    kept: list[str] = []
    in_list = False
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if _FURNITURE_HEADING.match(line):
            in_list = True
            continue
        if in_list:
            if _is_prose(line):
                in_list = False
            else:
                continue
        if not _is_furniture_line(line):
            kept.append(line)
    return "\n".join(kept)


def _is_prose(line: str) -> bool:
    return len(line) >= 40 and _SENTENCE_END.search(line) is not None


# --------------------------------------------------------------------------- lead prefixes

# `(서울=연합뉴스) 홍길동 기자 =`, `[굿뉴스365]`, `【서울=뉴시스】`, `홍길동 기자 =`, `[outlet=홍길동 기자]`
_LEAD = re.compile(
    r"^\s*(?:"
    r"(?:[(（【\[〔<][^)）】\]〕>]{0,25}=[^)）】\]〕>]{0,25}[)）】\]〕>]\s*)"
    r"(?:(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=?\s*)?"
    r"|\[[^\]=]{2,25}\]\s*(?:(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=\s*)?"
    r"|(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=\s*"
    r")"
)


def _strip_lead(text: str) -> str:
    match = _LEAD.match(text)
    if match and len(text) - match.end() >= 10:
        return text[match.end() :]
    return text


# --------------------------------------------------------------------------- the tree walk


@dataclass
class _Segment:
    block: int  # mem_id of the block element holding the text
    furniture: int  # 0 none, 1 class/id furniture, 2 tag furniture
    parts: list[str] = field(default_factory=list)
    link: int = 0
    text: str = ""


@dataclass
class _Walk:
    segments: list[_Segment]
    parent: dict[int, int]  # element mem_id → parent mem_id
    attrs: dict[int, str]  # block mem_id → "tag class" for sibling checks


_SPACES = re.compile(r"\s+")
_DEEP_NESTING = re.compile(
    r"(?:<(?:div|span|section|article|p|ul|ol|li|table|tbody|tr|td|font|b|i|em|strong|blockquote|center)"
    r"\b[^>]{0,200}>[^<]{0,40}){256}",
    re.IGNORECASE,
)
_MAX_DEPTH = 400


def _prune(tree: LexborHTMLParser) -> None:
    """Drop what is never text nor metadata (scripts, navigation, hidden blocks), deepest first."""
    for node in reversed(tree.css(_REMOVE)):
        node.decompose()


def _furniture_ids(tree: LexborHTMLParser) -> tuple[set[int], set[int], list[tuple[LexborNode, int]]]:
    """mem_ids of sure furniture (tags, strong tokens) and of likely furniture (weak tokens)."""
    sure = {node.mem_id for node in tree.css(_FURNITURE_TAGS)}
    likely: set[int] = set()
    marked: list[tuple[LexborNode, int]] = []
    for node in tree.css("[class], [id]"):
        attributes = node.attributes
        level = _furniture_level(f"{attributes.get('class') or ''} {attributes.get('id') or ''}")
        if level:
            (sure if level == 2 else likely).add(node.mem_id)
            marked.append((node, level))
    return sure, likely, marked


# Text worth walking even inside furniture: prose (the guess may be wrong), dates and bylines.
_WORTH_WALKING = re.compile(r"[가-힣][.?!]|[.?!][\"'”’]|\d{4}\s?[.\-/년]|기자|특파원|\bby\s", re.IGNORECASE)
_BYLINE_OR_LABEL = re.compile(r"기자|특파원|\bby\s|입력|등록|승인|게재|발행|송고|작성", re.IGNORECASE)


def _prune_furniture(marked: list[tuple[LexborNode, int]]) -> None:
    """Drop class/id furniture before the walk, deepest first, keeping whatever may hold the
    byline or date: sure furniture (comments, tickers) unless it names a reporter or a date label;
    likely furniture only when it holds no prose, date or byline at all."""
    for node, level in reversed(marked):
        text = node.text() or ""
        keep = _BYLINE_OR_LABEL if level == 2 else _WORTH_WALKING
        if not keep.search(text):
            node.decompose()


def _walk(root: LexborNode, sure: set[int], likely: set[int]) -> _Walk:
    segments: list[_Segment] = []
    parent_of: dict[int, int] = {}
    attrs: dict[int, str] = {}
    context: dict[int, tuple[int, bool, int, bool]] = {}  # text parent → (block, in_link, furniture, skip)
    current: _Segment | None = None

    levels: dict[int, int] = {}

    def furniture_of(node: LexborNode) -> int:
        """2 inside sure furniture, 1 inside likely furniture, 0 otherwise (memoised up the tree)."""
        chain: list[tuple[int, int]] = []
        walker: LexborNode | None = node
        level = 0
        while walker is not None:
            mid = walker.mem_id
            known = levels.get(mid)
            if known is not None:
                level = known
                break
            chain.append((mid, 2 if mid in sure else 1 if mid in likely else 0))
            walker = walker.parent
        for mid, own in reversed(chain):
            level = max(level, own)
            levels[mid] = level
        return level

    def describe(parent: LexborNode) -> tuple[int, bool, int, bool]:
        tag = parent.tag or ""
        if tag in _SKIP_TEXT:
            return (0, False, 0, True)
        in_link = False
        block = parent
        while block.tag in _INLINE:
            if block.tag == "a":
                in_link = True
            up = block.parent
            if up is None:
                break
            block = up
        block_id = block.mem_id
        if block_id not in parent_of:
            _register(block)
        return (block_id, in_link, furniture_of(parent), False)

    def _register(block: LexborNode) -> None:
        walker: LexborNode | None = block
        depth = 0
        while walker is not None:
            mid = walker.mem_id
            if mid in parent_of:
                return
            up = walker.parent
            parent_of[mid] = up.mem_id if up is not None else 0
            if mid not in attrs:
                attributes = walker.attributes
                attrs[mid] = f"{walker.tag} {attributes.get('class') or ''}"
            walker = up
            depth += 1
            if depth > _MAX_DEPTH:
                raise _TooDeep

    for node in root.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            raw = node.text_content or ""
            if not raw.strip():
                if current is not None:
                    current.parts.append(" ")
                continue
            parent = node.parent
            if parent is None:
                continue
            pid = parent.mem_id
            info = context.get(pid)
            if info is None:
                info = describe(parent)
                context[pid] = info
            block, in_link, furniture, skip = info
            if skip:
                continue
            if current is None or current.block != block or current.furniture != furniture:
                current = _Segment(block, furniture)
                segments.append(current)
            current.parts.append(raw)
            if in_link:
                current.link += len(raw.strip())
        elif tag == "br" or tag == "hr":
            current = None
    for segment in segments:
        segment.text = _SPACES.sub(" ", "".join(segment.parts).replace("\xa0", " ")).strip()
    return _Walk([s for s in segments if s.text], parent_of, attrs)


class _TooDeep(Exception):
    pass


@dataclass
class _Body:
    paragraphs: list[str]
    good: float  # sentence-like text inside the chosen container
    total_good: float  # sentence-like text on the whole page (same furniture level)
    first: int  # index of the first and last segment used, for "text near the article"
    last: int
    container: int  # mem_id of the chosen element


def _ancestors(block: int, parent_of: dict[int, int]) -> Iterable[int]:
    walker = block
    while walker:
        yield walker
        walker = parent_of.get(walker, 0)


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "th", "dt", "legend", "caption"})
_PERIOD_END = re.compile(r"[.?!。][\"'”’」』)\]]*\s*$")


def _is_good(segment: _Segment, tag: str) -> bool:
    """Sentence-like text: what an article body is made of (headlines and labels are not)."""
    text = segment.text
    length = len(text)
    nonlink = length - segment.link
    if tag in _HEADINGS or nonlink < 15 or nonlink < 0.5 * length:
        return False
    if _is_furniture_line(text):
        return False
    if _PERIOD_END.search(text):
        return True
    return nonlink >= 80 or (nonlink >= 60 and _SENTENCE_END.search(text) is not None)


def _grade(walk: _Walk) -> list[float]:
    """Per segment: its sentence-like length (> 0), or minus its length when it is other text."""
    grades: list[float] = []
    for segment in walk.segments:
        tag = walk.attrs.get(segment.block, "").partition(" ")[0]
        length = len(segment.text)
        grades.append(float(length - segment.link) if _is_good(segment, tag) else -float(length))
    return grades


def _choose(walk: _Walk, grades: list[float], max_furniture: int) -> _Body | None:
    """The element with the most sentence-like text for the least other text (good - bad)."""
    good: dict[int, float] = {}
    bad: dict[int, float] = {}
    total_good = 0.0
    segments = walk.segments
    for segment, grade in zip(segments, grades, strict=True):
        if segment.furniture > max_furniture:
            continue
        if grade > 0:
            total_good += grade
            target, score = good, grade
        else:
            target, score = bad, -grade
        for ancestor in _ancestors(segment.block, walk.parent):
            target[ancestor] = target.get(ancestor, 0.0) + score
    if not good:
        return None
    best, best_key = 0, (float("-inf"), 0)
    for node, value in good.items():
        key = (value - bad.get(node, 0.0), sum(1 for _ in _ancestors(node, walk.parent)))
        if key > best_key:
            best, best_key = node, key
    members = {best}
    # A body cut in two by an unclosed ad or widget: siblings of the same tag and class join it.
    parent = walk.parent.get(best, 0)
    signature = walk.attrs.get(best, "")
    if signature.partition(" ")[2].strip():
        for node in good:
            if node != best and walk.parent.get(node, 0) == parent and walk.attrs.get(node) == signature:
                members.add(node)
    paragraphs: list[str] = []
    first = last = -1
    for index, segment in enumerate(segments):
        if segment.furniture > max_furniture:
            continue
        if not any(a in members for a in _ancestors(segment.block, walk.parent)):
            continue
        if segment.link > 0.6 * len(segment.text) and len(segment.text) < 200:
            continue  # an inline "related" link or a link-only line
        paragraphs.append(segment.text)
        first = index if first < 0 else first
        last = index
    return _Body(paragraphs, good[best], total_good, first, last, best)


def _clean_paragraphs(paragraphs: list[str], title: str | None) -> list[str]:
    text = strip_furniture_lines("\n".join(paragraphs))
    lines = [line for line in text.split("\n") if line]
    keys = [re.sub(r"\W+", "", line) for line in lines]
    title_key = re.sub(r"\W+", "", title) if title else ""
    last_seen = {key: index for index, key in enumerate(keys)}
    kept: list[str] = []
    for index, (line, key) in enumerate(zip(lines, keys, strict=True)):
        if not key or key == title_key or last_seen[key] != index:
            continue  # empty, the headline again, or a pull quote repeated later in the body
        if len(key) >= 8 and any(len(other) > len(key) and key in other for other in keys):
            continue  # a pull quote or caption that repeats part of a paragraph
        kept.append(line)
    # The wire dateline / [outlet] prefix opens the first paragraph; a caption may come before it.
    for index, line in enumerate(kept[:3]):
        stripped = _strip_lead(line)
        if stripped != line and (index == 0 or "=" in line[: len(line) - len(stripped)]):
            kept[index] = stripped
            break
    return kept


# --------------------------------------------------------------------------- metadata

_TITLE_SPLIT = re.compile(r"\s+(?:\||::|-|–|—|·|>|<|:)\s+")


def _metas(tree: LexborHTMLParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attributes = node.attributes
        content = (attributes.get("content") or "").strip()
        if not content:
            continue
        for key in ("property", "name", "itemprop"):
            name = attributes.get(key)
            if name:
                found.setdefault(name.strip().lower(), content)
    return found


def _meta(metas: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = metas.get(name.lower())
        if value:
            return value
    return None


def _json_ld(tree: LexborHTMLParser) -> dict[str, object]:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text() or "")
        except ValueError:
            continue
        items = (
            data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []
        )
        for item in items:
            if isinstance(item, dict) and any(
                k in item for k in ("headline", "datePublished", "articleBody")
            ):
                return item
    return {}


def _clean_title(raw: str, headings: list[str]) -> str:
    title = " ".join(raw.split())
    for heading in headings:
        if len(heading) >= 0.5 * len(title) and heading in title:
            return heading
    parts = _TITLE_SPLIT.split(title)
    while len(parts) > 1 and len(parts[-1]) <= 20 and len(" ".join(parts[:-1])) >= 8:
        parts = parts[:-1]
    if len(parts) > 1 and re.search(r"\s(?:\||::|>)\s", title) and len(parts[0]) <= 20:
        parts = parts[1:]
    return " - ".join(parts) if len(parts) > 1 else parts[0]


def _title(tree: LexborHTMLParser, metas: dict[str, str], ld: dict[str, object]) -> str | None:
    found = _meta(metas, "og:title", "twitter:title", "title")
    if not found and isinstance(ld.get("headline"), str):
        found = str(ld["headline"])
    if found:
        found = " ".join(found.split())
        site = _meta(metas, "og:site_name", "application-name")
        if site:
            for pattern in (
                rf"^{re.escape(site)}\s*(?:\||::|-|:|>)\s*",
                rf"\s*(?:\||::|-|–|—|<)\s*{re.escape(site)}$",
            ):
                stripped = re.sub(pattern, "", found)
                if stripped:
                    found = stripped
        return found
    headings = [" ".join(n.text().split()) for n in tree.css("h1, h2, h3") if n.text().strip()]
    node = tree.css_first("title")
    raw = " ".join(node.text().split()) if node is not None else ""
    if raw:
        return _clean_title(raw, headings)
    return headings[0] if headings else None


def _published(
    tree: LexborHTMLParser, metas: dict[str, str], ld: dict[str, object], page_text: str
) -> datetime | None:
    candidates: list[str] = []
    value = _meta(
        metas,
        "article:published_time",
        "og:article:published_time",
        "datePublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "article.published",
        "dcterms.created",
        "dc.date",
        "date",
    )
    if value:
        candidates.append(value)
    if isinstance(ld.get("datePublished"), str):
        candidates.append(str(ld["datePublished"]))
    node = tree.css_first("time[datetime]")
    if node is not None:
        candidates.append(node.attributes.get("datetime") or "")
    for candidate in candidates:
        parsed = parse_date(candidate)
        if parsed is not None:
            return parsed
    return find_date_in_text(page_text)


_AUTHOR_IN_TEXT = re.compile(
    r"(?:^|[\s|(=\]])((?:[가-힣]{2,4})\s?(?:기자|특파원|객원기자|선임기자))(?=$|[\s|)=,·])", re.MULTILINE
)


def _author(metas: dict[str, str], ld: dict[str, object], lines: list[str]) -> str | None:
    raw = ld.get("author")
    if isinstance(raw, list) and raw:
        raw = raw[0]
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        return str(raw["name"]).strip() or None
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    value = _meta(metas, "author", "dable:author", "article:author", "byl")
    if value and not value.startswith("http"):
        return value
    for index, line in enumerate(lines):
        if len(line) > 60:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line in _AUTHOR_LABELS and 2 <= len(following) <= 20 and not _is_furniture_line(following):
            return following
        match = _AUTHOR_IN_TEXT.search(line)
        if match:
            return match.group(1)
        for pattern in _AUTHOR_PATTERNS:
            match = pattern.match(line)
            if match and not _STRONG_FURNITURE.search(line):
                return match.group(1)
    return None


_AUTHOR_LABELS = frozenset({"작성인", "작성자", "글쓴이", "기자명", "글", "담당자"})
# "by 원주정보맨", "편집국 | 기사입력 2024-…", "과학기술정보통신부 news@example.kr"
_AUTHOR_PATTERNS = (
    re.compile(r"^by\s+([^\s|@/]{2,20})", re.IGNORECASE),
    re.compile(r"^([^\s|@/:]{2,15})\s*[|/·]\s*(?:기사\s?)?(?:입력|등록|승인)"),
    re.compile(r"^([^\s|@/:]{2,15})\s+[\w.+-]+@[\w-]+\.[\w.]+$"),
)


# --------------------------------------------------------------------------- failure detection

_ERROR_PAGE = re.compile(
    r"(?:error|에러|오류)\s*:?\s*404|404\s*(?:error|not\s+found|에러|오류|페이지)|page\s+not\s+found|not\s+found|"
    r"페이지를\s?찾을\s?수\s?없|존재하지\s?않는\s?(?:기사|페이지|게시물)|삭제된\s?(?:기사|게시물)|"
    r"(?:기사|게시물)(?:이|가)?\s?삭제되었|잘못된\s?(?:접근|경로|주소)|요청하신\s?페이지|서비스\s?점검\s?중|"
    r"access\s+denied|403\s+forbidden|500\s+internal",
    re.IGNORECASE,
)
_LOGIN_TEXT = re.compile(
    r"로그인\s?(?:후|하시면|하신\s?후|이\s?필요)|회원\s?전용|유료\s?(?:회원|구독|기사|결제)|구독자\s?전용|"
    r"프리미엄\s?회원|(?:sign|log)\s?in\s+to\s+(?:read|continue)|subscribe\s+to\s+(?:read|continue)",
    re.IGNORECASE,
)
_LOGIN_WALL = re.compile(
    r"로그인|회원\s?전용|유료\s?회원|구독자\s?전용|sign\s?in|log\s?in|subscribe", re.IGNORECASE
)
_MIN_BODY = 40


_UNREADABLE = re.compile(r"[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _garbage(html: str) -> bool:
    sample = html[:8000]
    if not sample.strip():
        return True
    if len(_UNREADABLE.findall(sample)) > 0.05 * len(sample):
        return True
    return "<" not in sample and hangul_share(sample) < 0.3


# --------------------------------------------------------------------------- public API


def _parse(html: str, url: str) -> LexborHTMLParser:
    if _garbage(html):
        raise ExtractError(url, "empty or binary content")
    # A nesting bomb needs tens of thousands of tags; only then is the (slower) exact check worth it.
    if html.count("<", 0, 400_000) > 20_000 and _DEEP_NESTING.search(html):
        raise ExtractError(url, "markup nested too deep")
    return LexborHTMLParser(html)


def _analyse(tree: LexborHTMLParser, url: str) -> tuple[_Walk, _Body | None]:
    root = tree.body or tree.root
    if root is None:
        return _Walk([], {}, {}), None
    sure, likely, marked = _furniture_ids(tree)
    _prune_furniture(marked)
    try:
        walk = _walk(root, sure, likely)
    except _TooDeep:
        raise ExtractError(url, "markup nested too deep") from None
    grades = _grade(walk)
    body = _choose(walk, grades, 0)
    # Class/id tokens are a guess: when they hid much of the page's prose, look again without them.
    hidden = sum(g for s, g in zip(walk.segments, grades, strict=True) if g > 0 and s.furniture == 1)
    if body is None or hidden > body.good:
        relaxed = _choose(walk, grades, 1)
        if relaxed is None:
            return walk, body
        if body is None:
            return walk, relaxed
        # Only a body that the tokens hid elsewhere counts; a container that merely wraps the
        # strict choice in more "furniture" prose (comment threads) does not.
        wraps_strict = relaxed.container in _ancestors(body.container, walk.parent)
        if not wraps_strict and body.good < 0.5 * relaxed.good:
            return walk, relaxed
    return walk, body


# What the fallback needs, by module → the requirement that brings it (as in pyproject.toml).
_FALLBACK_REQUIREMENTS = {"lxml_html_clean": "lxml_html_clean>=0.4", "trafilatura": "trafilatura>=2.0"}


def _import_trafilatura() -> ModuleType:
    """trafilatura, the extractor's fallback (a heavy import, so only when needed), or a
    `DigestError` naming what is missing and the pip command that fixes it."""
    try:
        # lxml.html.clean, which trafilatura and justext clean HTML with, is now its own project.
        import lxml_html_clean  # noqa: F401
        import trafilatura
    except ImportError as exc:
        top = (exc.name or "").partition(".")[0]
        if not top and "lxml_html_clean" in str(exc):
            top = "lxml_html_clean"  # lxml's own stub says so without setting `name`
        top = top or "trafilatura"
        requirement = _FALLBACK_REQUIREMENTS.get(top, top)
        raise DigestError(
            f"the article extractor's fallback (trafilatura) cannot be imported: {top} is missing or broken; "
            f"install it with: pip install '{requirement}'"
        ) from exc
    return trafilatura


def require_fallback() -> None:
    """Check at start-up that trafilatura, the extractor's fallback, can be imported.

    Raises `DigestError` with a one-line message naming the missing package and the pip command.
    """
    _import_trafilatura()


def _trafilatura_text(html: str) -> str:
    """trafilatura's text of the page, "" when it finds none or fails on the markup.

    A fallback that cannot be imported is not hidden: `DigestError` (see `require_fallback`).
    """
    trafilatura = _import_trafilatura()
    try:
        result = trafilatura.extract(html, include_comments=False, include_tables=True, favor_precision=True)
    except Exception:  # trafilatura raises a zoo of lxml errors on hostile markup
        return ""
    return result or ""


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
    paragraphs = _clean_paragraphs(body.paragraphs, title) if body is not None else []
    ld_body = ld.get("articleBody")
    if isinstance(ld_body, str) and len(ld_body) > 1.5 * len("".join(paragraphs)) + 100:
        # A JavaScript-rendered page often still ships the body in its schema.org data.
        paragraphs = _clean_paragraphs(strip_furniture_lines(ld_body).split("\n"), title)
    share = body.good / body.total_good if body is not None and body.total_good else 0.0
    if share < 0.5 or (len("".join(paragraphs)) < 200 and share < 0.9):
        # Unsure: the container holds little of the page's prose, or is short and not alone. Ask trafilatura.
        fallback = _clean_paragraphs(strip_furniture_lines(_trafilatura_text(html)).split("\n"), title)
        if len("".join(fallback)) > 1.5 * len("".join(paragraphs)):
            paragraphs = fallback
    text = "\n\n".join(paragraphs)
    segments = walk.segments
    _check_trustworthy(text, [s.text for s in segments], title, url)
    # Dates and bylines sit just before or after the body: look there, not in sidebars.
    end = min(len(segments), (body.last if body is not None and body.last >= 0 else len(segments)) + 12)
    near = [s.text for s in segments[:end]]
    return Article(
        text=text,
        title=title,
        published=_published(tree, metas, ld, "\n".join(near)),
        author=_author(metas, ld, near),
    )


def _check_trustworthy(text: str, page: list[str], title: str | None, url: str) -> None:
    compact = len(re.sub(r"\s+", "", text))
    if compact and compact < 300:
        if _LOGIN_TEXT.search(text):
            raise ExtractError(url, "login wall: no article text without signing in")
        if _ERROR_PAGE.search(f"{title or ''} {text}"):
            raise ExtractError(url, "error page")
    if compact >= _MIN_BODY and any(
        len(p) >= 60 or (len(p) >= 20 and _PERIOD_END.search(p)) for p in text.split("\n\n")
    ):
        return
    page_text = "\n".join(page)
    if _ERROR_PAGE.search(f"{title or ''} {page_text[:500]}"):
        raise ExtractError(url, "error page")
    if _LOGIN_WALL.search(page_text):
        raise ExtractError(url, "login wall: no article text without signing in")
    if len(re.sub(r"\s+", "", page_text)) < _MIN_BODY:
        raise ExtractError(url, "no text in the page (JavaScript-only or empty shell)")
    raise ExtractError(url, "no trustworthy article body found")


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
    author = _author({}, {}, raw[-3:])
    return Article(text="\n\n".join(_clean_paragraphs(raw, None)), author=author)


# --------------------------------------------------------------------------- summary

_ABBREVIATIONS = frozenset(
    {
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "inc",
        "co",
        "corp",
        "ltd",
        "no",
        "vol",
        "fig",
        "gen",
        "gov",
        "sen",
        "rep",
        "u.s",
        "u.k",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)
_OPEN_QUOTES = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》"}


def _sentences(text: str) -> list[str]:
    """Split Korean/English text into sentences without cutting 3.5%, Dr., U.S. or quotes."""
    out: list[str] = []
    start = 0
    depth: list[str] = []
    ascii_quote = False
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char in _OPEN_QUOTES:
            depth.append(_OPEN_QUOTES[char])
        elif depth and char == depth[-1]:
            depth.pop()
        elif char == '"':
            ascii_quote = not ascii_quote
        elif char == "\n" and i + 1 < length and text[i + 1] == "\n" and not depth:
            if text[start:i].strip():
                out.append(text[start:i].strip())
            start = i + 1
        elif char in ".?!。" and not depth and not ascii_quote:
            end = i + 1
            while end < length and text[end] in "\"'”’)]」』.?!":
                end += 1
            if end >= length or text[end].isspace():
                if char == "." and _is_abbreviation(text, start, i):
                    i = end
                    continue
                sentence = text[start:end].strip()
                if sentence:
                    out.append(sentence)
                start = end
                i = end
                continue
        i += 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    word_start = dot
    while word_start > start and not text[word_start - 1].isspace() and text[word_start - 1] not in "(\"'“‘":
        word_start -= 1
    word = text[word_start:dot].lower()
    if word in _ABBREVIATIONS:
        return True
    return bool(re.fullmatch(r"[a-z]", word) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def summarize(text: str, max_chars: int = 300) -> str:
    """One or two whole sentences from the start of the news, at most about ``max_chars``.

    A leading dateline or byline (``(서울=연합뉴스) 홍길동 기자 =``, ``[굿뉴스365]``) is skipped;
    a first sentence longer than ``max_chars`` is cut at a word boundary and ends with "…".
    """
    lines = [line for line in strip_furniture_lines(text).split("\n") if line.strip()]
    if not lines:
        return ""
    body = "\n\n".join([_strip_lead(lines[0]), *lines[1:]])
    sentences = _sentences(body)
    if not sentences:
        return ""
    first = sentences[0]
    if len(first) > max_chars:
        cut = first[: max(max_chars, 1) - 1]
        space = cut.rfind(" ")
        if space > max_chars // 2:
            cut = cut[:space]
        return cut.rstrip(" ,·") + "…"
    if len(sentences) > 1 and len(first) + 1 + len(sentences[1]) <= max_chars:
        return f"{first} {sentences[1]}"
    return first


# --------------------------------------------------------------------------- listing pages

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
