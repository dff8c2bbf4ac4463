"""Korean page furniture: the rules, as data, and the small functions that apply them.

Navigation, weather tickers, share buttons, related and most-read lists, captions, bylines, datelines
and copyright lines (관련기사, 기상청 제공, 무단전재 및 재배포 금지 …) are recognised by tag, by
class/id tokens and by their text. The tag selectors, token sets and text patterns are all here;
`_prune`, `_furniture_ids` and `_prune_furniture` apply them to a parsed page, `strip_furniture_lines`
and `_strip_lead` to plain text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

# --------------------------------------------------------------------------- tags

# Never article text, never metadata either: removed from the tree before the walk.
_REMOVE = (
    "script, style, noscript, template, svg, math, iframe, object, embed, canvas, video, audio, map, "
    "nav, footer, aside, dialog, menu, select, textarea, form[role=search], "
    "[aria-hidden=true], [hidden], [role=navigation], [role=contentinfo], [role=complementary], "
    "[style*='display:none'], [style*='display: none'], [style*='visibility:hidden']"
)
# Not article text, but bylines and dates may sit inside: walked, then left out of the body.
_FURNITURE_TAGS = "header, figure, figcaption, button, input, label, ins, [role=banner]"

# --------------------------------------------------------------------------- class/id tokens

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

# Splits a class/id value into tokens: at separators and at camelCase humps.
_TOKEN_SPLIT = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")

# Class/id values of photo captions and prev/next links, which no single token gives away.
_CAPTION_ATTR = re.compile(
    r"(?:img|image|photo|pic|thumb)[_-]?(?:desc|caption|cap|txt|text|info)|prev[_-]?next|next[_-]?prev|"
    r"(?:^|[\s_-])(?:prev|next)[_-]?(?:article|news|post|btn|link|list|area|box)",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- text patterns

# A weather-ticker entry: `맑음 서울 23℃`, `구름많음 -2.5℃`.
_WEATHER = re.compile(
    r"(맑음|흐림|구름많음|구름조금|박무|안개|황사|비|눈|소나기)\s?[가-힣()]{0,6}\s?-?\d{1,2}(?:\.\d)?\s?℃"
)

# An e-mail address: a reporter's or desk's contact line.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")

# Copyright and credit lines (저작권자, 무단전재 및 재배포 금지, ⓒ, 기상청 제공 …): furniture up to 200 chars.
_STRONG_FURNITURE = re.compile(
    r"저작권자|무단\s?전재|무단\s?복제|재배포\s?금지|재배포금지|All\s+rights\s+reserved|^\s*Copyright\b|"
    r"기상청\s?제공|^\s*[<(]?\s*[ⓒ©]|Designed by Tistory|공공누리|보도자료를\s?전재하여",
    re.IGNORECASE,
)

# Labels of related / most-read boxes, share buttons, dateline labels, masthead fine print:
# furniture in a short line (up to 40 chars).
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

# A byline alone: `홍길동 기자`, `[홍길동·김철수 기자 hong@example.kr]`.
_BYLINE = re.compile(
    r"^[\[(]?\s*(?:[가-힣]{2,4}\s?(?:[·,ㆍ]\s?[가-힣]{2,4}\s?)*"
    r"(?:기자|특파원|통신원|객원기자|선임기자|인턴기자|논설위원|위원|편집위원|기자단|리포터)"
    r"(?:\s*[|/·]?\s*[\w.+-]+@[\w-]+\.[\w.]+)?\s*[\])]?)$"
)

# A photo caption: `▲ …`, `(사진=…)`, `사진=○○ 제공`.
_CAPTION = re.compile(
    r"^\s*[▲△▼◀▷]|^\s*<\s*사진|\(\s*사진\s*[=:]|\[\s*사진\s*[=:]|/\s*사진\s*=|사진\s*=\s*\S+\s*\)?\s*$"
)

# The heading of a list of other articles (관련기사, 많이 본 뉴스, 댓글 …): what follows goes too, up to prose.
_FURNITURE_HEADING = re.compile(
    r"^\s*[\[<【]?\s*(?:관련\s?기사|관련\s?뉴스|관련\s?보도자료|가장\s?많이\s?본.*|많이\s?본.*|인기\s?기사|최신\s?뉴스|"
    r"함께\s?(?:읽|보).*|추천\s?기사|주요\s?뉴스|이\s?시각\s?주요\s?뉴스|포토|댓글.*|카테고리의\s?다른\s?글)\s*[\]>】]?\s*$"
)

# An attachment or image file name.
_FILENAME = re.compile(
    r"^[\w.\-()\[\] ]+\.(?:jpe?g|png|gif|webp|bmp|svg|hwp|hwpx|pdf|docx?|xlsx?|zip)$", re.IGNORECASE
)

# What a dateline is made of: a line with nothing else (`입력 2024.06.12 14:00 | 수정 …`) is furniture.
_DATE_WORDS = re.compile(
    r"\d+|[년월일시분초]|오전|오후|[AaPp]\.?[Mm]\.?|\([월화수목금토일]\)|기사|입력|수정|등록|승인|게재|작성|"
    r"발행|송고|업데이트|최종|편집|일시|[\s.:\-/|·,()\[\]]"
)

# A line without a Hangul or Latin letter is furniture.
_LETTERS = re.compile(r"[가-힣A-Za-z]")

# Ends like a sentence (the Korean 다 / 요 endings included).
_SENTENCE_END = re.compile(r"(?:[.?!。]|다|요)[\"'”’」』)\]]*\s*$")

# Sentence punctuation inside the line: prose, not a contact line.
_PROSE = re.compile(r"[가-힣][.?!]|[.?!][\"'”’]|\.\s")

# The dateline / byline prefix that opens a lead, stripped from the first paragraph and the summary:
# `(서울=연합뉴스) 홍길동 기자 =`, `[굿뉴스365]`, `【서울=뉴시스】`, `홍길동 기자 =`, `[outlet=홍길동 기자]`
_LEAD = re.compile(
    r"^\s*(?:"
    r"(?:[(（【\[〔<][^)）】\]〕>]{0,25}=[^)）】\]〕>]{0,25}[)）】\]〕>]\s*)"
    r"(?:(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=?\s*)?"
    r"|\[[^\]=]{2,25}\]\s*(?:(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=\s*)?"
    r"|(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=\s*"
    r")"
)

# Text worth walking even inside furniture: prose (the guess may be wrong), dates and bylines.
_WORTH_WALKING = re.compile(r"[가-힣][.?!]|[.?!][\"'”’]|\d{4}\s?[.\-/년]|기자|특파원|\bby\s", re.IGNORECASE)
_BYLINE_OR_LABEL = re.compile(r"기자|특파원|\bby\s|입력|등록|승인|게재|발행|송고|작성", re.IGNORECASE)

# --------------------------------------------------------------------------- applied to the tree


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


def _prune_furniture(marked: list[tuple[LexborNode, int]]) -> None:
    """Drop class/id furniture before the walk, deepest first, keeping whatever may hold the
    byline or date: sure furniture (comments, tickers) unless it names a reporter or a date label;
    likely furniture only when it holds no prose, date or byline at all."""
    for node, level in reversed(marked):
        text = node.text() or ""
        keep = _BYLINE_OR_LABEL if level == 2 else _WORTH_WALKING
        if not keep.search(text):
            node.decompose()


# --------------------------------------------------------------------------- applied to text


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


def _strip_lead(text: str) -> str:
    match = _LEAD.match(text)
    if match and len(text) - match.end() >= 10:
        return text[match.end() :]
    return text
