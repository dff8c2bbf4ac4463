"""Korean page furniture: the rules, as data, and the small functions that apply them.

Navigation, weather tickers, share buttons, related and most-read lists, captions, bylines, datelines
and copyright lines (관련기사, 기상청 제공, 무단전재 및 재배포 금지 …) are recognised by tag, by
class/id tokens and by their text. The tag selectors, token sets and text patterns are all here;
`_prune`, `_furniture_ids` and `_prune_furniture` apply them to a parsed page, `strip_furniture_lines`
(lines) and `clean_text` (lines, the dateline / byline that opens the lead — glued to subtitles or not —
and the byline / e-mail / "기사보기" tail that closes the text) to plain text: an article's, a feed's
content or its description alike.
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
    r"기상청\s?제공|^\s*[<(]?\s*[ⓒ©]|Designed by Tistory|공공누리|보도자료를\s?전재하여|"
    # a portal's credit line (`기사제공 스포티비뉴스`) and a programme's header (`■ 방송 : CBS 라디오 …`,
    # `■ 진행 : 홍길동 앵커`, `■ 대담 : …`)
    r"^\s*기사\s?제공\s*[:：]?\s*\S[^.。]{0,30}$|"
    r"^\s*[■□◆◇▶]\s*(?:방송|진행|대담|출연|패널|일시|정리)\s*[:：]",
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

# A photo caption: `▲ …`, `(사진=…)`, `사진=○○ 제공`, `… 모습. 자료=○○ 제공`, `… 모습. (C)○○`.
_CAPTION = re.compile(
    r"^\s*[▲△▼◀▷]|^\s*<\s*사진|\(\s*사진\s*[=:]|\[\s*사진\s*[=:]|/\s*사진\s*=|사진\s*=\s*\S+\s*\)?\s*$|"
    r"(?:사진|자료|그래픽|제공)\s*=\s*[^\s=]+(?:\s(?:제공|캡처|갈무리))?\s*\)?\s*$|"
    r"(?:\([Cc]\)|[ⓒ©])\s?[^\s.]{1,20}(?:\s제공)?\s*$"
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
# `(서울=연합뉴스) 홍길동 기자 =`, `[굿뉴스365]`, `【서울=뉴시스】`, `홍길동 기자 =`, `[outlet=홍길동 기자]`,
# `[column] 홍길동 | 워싱턴 특파원`
_LEAD = re.compile(
    r"^\s*(?:"
    r"(?:[(（【\[〔<][^)）】\]〕>]{0,25}=[^)）】\]〕>]{0,25}[)）】\]〕>]\s*)"
    r"(?:(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=?\s*)?"
    r"|\[[^\]=]{2,25}\]\s*(?:(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=\s*"
    r"|[가-힣]{2,4}\s?\|\s?(?:[가-힣·]{1,10}\s)?(?:기자|특파원|통신원|논설위원|편집위원)\s*)?"
    r"|(?:[가-힣]{2,4}[\s·,ㆍ]*){1,3}(?:기자|특파원|통신원)\s*=\s*"
    r")"
)

# Who a byline names: `홍길동 기자`, `김철수·이영희 기자` (an outlet or place before the name is not part of it).
_ROLE = r"(?:기자|특파원|통신원)"
_REPORTER = re.compile(rf"(?<![가-힣])((?:[가-힣]{{2,4}}\s?[·ㆍ]\s?)*[가-힣]{{2,4}})\s?({_ROLE})")

# A dateline byline glued to the text before it (subtitles, a caption) — it always names a reporter:
# `…모두 지원[서울=outlet]홍길동 기자 = `, `…변론[outlet 홍길동 기자] `, `…지원 홍길동 기자 = `.
_GLUED_BYLINE = re.compile(
    rf"[(（【\[〔][^()（）【】\[\]〔〕=]{{1,15}}=[^()（）【】\[\]〔〕=]{{1,20}}[)）】\]〕]\s*"
    rf"(?:[가-힣]{{2,4}}[\s·,ㆍ]*){{1,3}}{_ROLE}\s*=\s*"
    rf"|[【\[〔][^【】\[\]〔〕]{{0,25}}?(?:[가-힣]{{2,4}}[\s·,ㆍ]*){{1,3}}{_ROLE}"
    rf"(?:\s*[\w.+-]+@[\w-]+\.[\w.]+)?\s*[】\]〕]\s*"
    rf"|(?<![가-힣])[가-힣]{{2,4}}(?:\s?[·ㆍ]\s?[가-힣]{{2,4}})*\s?{_ROLE}\s*=\s*"
)
# How far into a line a glued byline may sit (one to three subtitles), and what must follow it.
_GLUED_WITHIN = 300
_LEAD_MIN = 10

# The byline, e-mail and date that close a text: `… 있다. 고척=홍길동 기자 hong@example.com /2022.05.08/ .`,
# `…◎tagline outlet hong@example.com`, `…있다. 2022.08.01 /hong@example.com`, `…있다. 홍길동 기자`;
# and a "read more" link: `…기사보기`, `…더보기`.
_TAIL_EMAIL = re.compile(
    rf"(?P<who>(?<![가-힣])(?:[가-힣]{{1,6}}=)?[가-힣]{{2,4}}(?:\s?[·ㆍ,]\s?[가-힣]{{2,4}})*"
    rf"(?:\s[가-힣A-Za-z]{{2,6}})?\s?(?:{_ROLE}|논설위원|편집위원|선임기자|객원기자)"
    rf"|[가-힣]{{3}}\s?{_ROLE}|[◎☞▶■ⓒ©]\s?[^\s@]{{1,12}}(?:\s[^\s@]{{1,12}}){{0,2}}"
    r"|\d{4}[.\-/]\s?\d{1,2}[.\-/]\s?\d{1,2}\.?)?"
    r"\s*[|/·:]?\s*[(<\[]?[\w.+-]+@[\w-]+\.[\w.]+[)>\]]?"
    r"(?:\s*/?\s*\d{4}[.\-/]\s?\d{1,2}[.\-/]\s?\d{1,2}\.?/?)?[\s./|]*$"
)
_TAIL_BYLINE = re.compile(
    rf"(?<=[.?!。\"'”’])\s*[\[(]?(?:[가-힣]{{1,6}}=)?[가-힣]{{2,4}}(?:\s?[·ㆍ,]\s?[가-힣]{{2,4}})*\s?{_ROLE}[\])]?\s*$"
)
_TAIL_MORE = re.compile(
    r"\s*[\[<(]?\s*▶?\s*(?:기사\s?전문\s?보기|(?:기사|전문|원문)\s?보기|더\s?보기)\s*[\]>)]?\s*$"
)
_LABEL_LINE = re.compile(r"^\s*[\[【〔<]\s*[^\]】〕>.?!。]{2,30}[\]】〕>]\s*$")
_TAIL_CHARS = 200  # the longest closing byline + e-mail + date looked for
_ENDS_SENTENCE = re.compile(r"[.?!。\"'”’)\]]\s*$")

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
    if match and len(text) - match.end() >= _LEAD_MIN:
        return text[match.end() :]
    return text


def _reporter(byline: str) -> str | None:
    """The reporter a byline or dateline names (`홍길동 기자`), if any."""
    match = _REPORTER.search(byline)
    return f"{match.group(1)} {match.group(2)}" if match else None


def _unglue_byline(lines: list[str]) -> tuple[list[str], str | None, int]:
    """Split the first line that holds a dateline byline glued to the text before it (one to three
    subtitles, a caption) into that text and the lead after it, the byline left out; also say whom
    the byline names and where the lead now is (0 when no byline was glued). Only the opening lines
    are looked at: up to the first prose without one."""
    seen = 0
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _GLUED_BYLINE.search(line, 0, _GLUED_WITHIN + 60)
        if (
            match
            and 1 <= match.start() <= _GLUED_WITHIN
            and line[: match.start()].strip()
            and len(line) - match.end() >= _LEAD_MIN
        ):
            head, lead = line[: match.start()].strip(), line[match.end() :]
            return [*lines[:index], head, lead, *lines[index + 1 :]], _reporter(match.group()), index + 1
        seen += 1
        if seen >= 5 or _is_prose(line):
            break
    return lines, None, 0


def _strip_lead_lines(lines: list[str]) -> tuple[list[str], str | None]:
    """Strip the wire dateline / [outlet] prefix that opens the lead — the first line, or one of the
    next two when a caption or subtitles come first and the prefix is a dateline or byline."""
    for index, line in enumerate(lines[:3]):
        stripped = _strip_lead(line)
        prefix = line[: len(line) - len(stripped)]
        if stripped != line and (index == 0 or "=" in prefix or _REPORTER.search(prefix)):
            return [*lines[:index], stripped, *lines[index + 1 :]], _reporter(prefix)
    return lines, None


def _strip_tail(line: str) -> str:
    """A line without the byline, e-mail, date or "기사보기" link that closes it."""
    while True:
        before = line
        # A tail is short: searched for in the line's last characters only, so a long line without
        # spaces costs a few of them, not a scan from every position of it.
        window = max(0, len(line) - _TAIL_CHARS)
        more = _TAIL_MORE.search(line, window)
        if more and more.start() > 0:
            line = line[: more.start()].rstrip()
        window = max(0, len(line) - _TAIL_CHARS)
        mail = _TAIL_EMAIL.search(line, window)
        if mail and mail.start() > 0 and (mail.group("who") or _ENDS_SENTENCE.search(line[: mail.start()])):
            line = line[: mail.start()].rstrip()
        window = max(0, len(line) - _TAIL_CHARS)
        byline = _TAIL_BYLINE.search(line, window)
        if byline and byline.start() > 0:
            line = line[: byline.start()].rstrip()
        if line == before:
            return line


def _strip_tail_lines(lines: list[str]) -> list[str]:
    """The last line without its byline tail (and gone when nothing else was in it); a last line
    that is only a bracketed label (`[CBS 김현정의 뉴스쇼]`, the programme a transcript came from) goes."""
    while lines and _LABEL_LINE.match(lines[-1]):
        lines = lines[:-1]
    if not lines:
        return lines
    last = _strip_tail(lines[-1])
    if last == lines[-1]:
        return lines
    keep = last and _LETTERS.search(last) and not _is_furniture_line(last)
    return [*lines[:-1], last] if keep else lines[:-1]


def clean_text(text: str) -> str:
    """Plain text — an article's, a feed's content or its description — without page furniture:
    furniture lines go, a dateline byline glued to the subtitles before it splits them from the
    lead, the dateline / byline that opens the lead (`(서울=연합뉴스) 홍길동 기자 =`,
    `[outlet 홍길동 기자]`) and the byline, e-mail, date or "기사보기" tail that closes the text are
    cut off. Paragraphs are lines."""
    raw, _, _ = _unglue_byline(text.split("\n"))
    return _clean_unglued(raw)


def _clean_unglued(raw: list[str]) -> str:
    """`clean_text` of lines whose glued byline, if any, is already split off."""
    lines = [line for line in strip_furniture_lines("\n".join(raw)).split("\n") if line]
    lines, _ = _strip_lead_lines(lines)
    return "\n".join(_strip_tail_lines(lines))
