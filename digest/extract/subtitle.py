"""The subtitles (부제) of an article: the one to three short lines that open it before its dateline
byline — glued to it (`…모두 지원[서울=뉴시스]홍길동 기자 = 삼성전자가…`) or on lines of their own
before the lead that opens with one (`(서울=연합뉴스) 홍길동 기자 = …`).

`find_subtitle` reads the article's lines as the page (or the feed) gives them, before `clean_text`
cuts the dateline away, and returns the subtitles one per line ("\\n" between them), or "" when the
article has none. Without a dateline byline nothing is taken for a subtitle: a short opening line
alone may be a programme header, a caption or a kicker. What is never a subtitle: the byline
itself, a caption or credit (`사진=…`, `ⓒ…`, one word), a sentence, a columnist's signature (`홍길동 … 차장`),
the headline again, page furniture. Pure: what the article text and summary are does not change.
"""

from __future__ import annotations

import re

from .furniture import (
    _CAPTION,
    _EMAIL,
    _LABEL_LINE,
    _PROSE,
    _REPORTER,
    _is_furniture_line,
    _strip_lead,
    _unglue_byline,
    strip_furniture_lines,
)

__all__ = ["find_subtitle"]

_MAX_LINES = 3  # at most this many subtitles …
_MAX_CHARS = 100  # … each at most this long
_OPENING = 12  # the lines (furniture among them) a lead's dateline is looked for in
# The box label a wire puts before its subtitles (`기사내용 요약`), glued or on its own line.
_SUMMARY_LABEL = re.compile(r"^\s*[\[<【]?\s*(?:기사\s?내용\s?요약|핵심\s?요약)\s*[\]>】]?\s*[:：]?\s*")
# A columnist's signature before the byline: a few words ending with a position.
_SIGNATURE = re.compile(
    r"^(?:\S+\s){1,4}\S*(?:차장|부장|국장|부국장|위원|논설위원|편집위원|교수|대표|원장|소장|칼럼니스트|에디터|기자|특파원)$"
)
_CREDIT = re.compile(r"[=ⓒ©]|\([Cc]\)")
_KEY = re.compile(r"\W+")


def find_subtitle(lines: list[str], title: str | None = None) -> str:
    """The subtitles before the dateline byline of an article given as lines (paragraphs), one per
    line; "" when there is no dateline byline or nothing before it reads as a subtitle."""
    raw, _, lead = _unglue_byline(lines)
    # Glued: the lines up to the byline, the text it was glued to last.
    head = raw[:lead] if lead else _before_lead_dateline(raw[:_OPENING])
    found: list[str] = []
    title_key = _KEY.sub("", title or "")
    for line in reversed([x for x in strip_furniture_lines("\n".join(head)).split("\n") if x]):
        line = _SUMMARY_LABEL.sub("", line).strip()
        if not line:
            continue
        if not _is_subtitle(line) or (title_key and _KEY.sub("", line) == title_key):
            break  # subtitles stand together just before the byline
        found.append(line)
        if len(found) == _MAX_LINES:
            break
    return "\n".join(reversed(found))


def _before_lead_dateline(raw: list[str]) -> list[str]:
    """The lines before the one (of the first three) that opens with a wire dateline byline."""
    lines = [x for x in strip_furniture_lines("\n".join(raw)).split("\n") if x]
    for index, line in enumerate(lines[:_MAX_LINES]):
        stripped = _strip_lead(line)
        prefix = line[: len(line) - len(stripped)]
        if stripped != line and ("=" in prefix or _REPORTER.search(prefix)):
            return lines[:index]
    return []


def _is_subtitle(line: str) -> bool:
    """A short phrase of two words or more: one word glued to a byline is a photo's caption
    (`남양주시청사[남양주(경기)=데일리한국 이성환 기자]`), not a subtitle."""
    return (
        2 <= len(line) <= _MAX_CHARS
        and " " in line.strip()
        and not _is_furniture_line(line)
        and not _PROSE.search(line)
        and not line.endswith(".")
        and not _REPORTER.search(line)
        and not _EMAIL.search(line)
        and not _CREDIT.search(line)
        and not _CAPTION.search(line)
        and not _LABEL_LINE.match(line)
        and not _SIGNATURE.match(line)
    )
