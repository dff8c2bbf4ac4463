"""Title, publication date and author of an article page: meta tags, JSON-LD, then the page text."""

from __future__ import annotations

import json
import re

from selectolax.lexbor import LexborHTMLParser

from digest.dates import Dated, find_dated_in_text, read_date

from .furniture import _STRONG_FURNITURE, _is_furniture_line

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
) -> Dated | None:
    """The page's publication date: the first of its meta tags, JSON-LD and `<time datetime>`
    that parses, else the one its text shows. A date without a time of day gives way to a later
    candidate (or the text's date) that has one on the same date: the full time wins."""
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
    found = [d for d in (read_date(c) for c in candidates) if d is not None]
    if not found or found[0].date_only:
        in_text = find_dated_in_text(page_text)
        if in_text is not None:
            found.append(in_text)
    if not found:
        return None
    first = found[0]
    if first.date_only:
        day = first.when.date()
        timed = (d for d in found if not d.date_only and d.when.astimezone(first.when.tzinfo).date() == day)
        return next(timed, first)
    return first


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
        match = _AUTHOR_IN_TEXT.search(line) or _PROGRAMME_CREDIT.match(line)
        if match:
            return match.group(1)
        for pattern in _AUTHOR_PATTERNS:
            match = pattern.match(line)
            if match and not _STRONG_FURNITURE.search(line):
                return match.group(1)
    return None


# A broadcast transcript's credit, the programme that aired it: `[CBS 김현정의 뉴스쇼]`.
_PROGRAMME_CREDIT = re.compile(
    r"^\[((?:CBS|KBS|MBC|SBS|YTN|JTBC|TBS|EBS|MBN|BBS|PBC|OBS|TV조선|채널A|연합뉴스TV)\s[^\[\]]{2,25})\]$"
)
_AUTHOR_LABELS = frozenset({"작성인", "작성자", "글쓴이", "기자명", "글", "담당자"})
# "by 원주정보맨", "편집국 | 기사입력 2024-…", "과학기술정보통신부 news@example.kr"
_AUTHOR_PATTERNS = (
    re.compile(r"^by\s+([^\s|@/]{2,20})", re.IGNORECASE),
    re.compile(r"^([^\s|@/:]{2,15})\s*[|/·]\s*(?:기사\s?)?(?:입력|등록|승인)"),
    re.compile(r"^([^\s|@/:]{2,15})\s+[\w.+-]+@[\w-]+\.[\w.]+$"),
)
