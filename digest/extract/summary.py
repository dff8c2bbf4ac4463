"""The summary rules: one or two whole sentences from the start of the article."""

from __future__ import annotations

import re

from .furniture import _PROSE, _SENTENCE_END, _clean_unglued, _is_furniture_line, _is_prose, _unglue_byline

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


def sentences(text: str) -> list[str]:
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

    The summary starts at the lead (`lead_text`): a leading dateline or byline
    (``(서울=연합뉴스) 홍길동 기자 =``, ``[굿뉴스365]``) and the subtitles before it are skipped;
    a first sentence longer than ``max_chars`` is cut at a word boundary and ends with "…".
    A summary is never what the furniture rules reject as a line — a byline
    (``홍길동 기자 hong@example.com.``), a dateline cut as a sentence (``입력 2024. 6. 12.``): such a
    sentence is skipped, and "" is the summary of text that has nothing else.
    """
    body = lead_text(text).replace("\n", "\n\n")
    found = [s for s in sentences(body) if not _is_furniture_line(s)]
    for index, first in enumerate(found):
        following = found[index + 1] if index + 1 < len(found) else ""
        for candidate in _candidates(first, following, max_chars):
            if not _is_furniture_line(candidate):
                return candidate
    return ""


def lead_text(text: str) -> str:
    """The text from its lead on: `clean_text` (furniture, datelines, bylines and their tails
    gone), without what opens it before the lead — the subtitles (부제) or caption a dateline byline
    is glued to, or else one to three lines that do not read as sentences (subtitles, a programme
    header) followed by prose. Paragraphs are lines."""
    raw, _, lead = _unglue_byline(text.split("\n"))  # what a glued byline follows is not the lead
    lines = _clean_unglued(raw[lead:]).split("\n")
    for index, line in enumerate(lines[: _MAX_SUBTITLES + 1]):
        if _SENTENCE_END.search(line) or _PROSE.search(line) or len(line) > _SUBTITLE_CHARS:
            if index and _is_prose(line):
                return "\n".join(lines[index:])
            break
    return "\n".join(lines)


# At most this many lines, each at most this long, open an article before its lead.
_MAX_SUBTITLES = 3
_SUBTITLE_CHARS = 300


def _candidates(first: str, following: str, max_chars: int) -> list[str]:
    """What a summary starting at ``first`` can be, best first."""
    if len(first) > max_chars:
        cut = first[: max(max_chars, 1) - 1]
        space = cut.rfind(" ")
        if space > max_chars // 2:
            cut = cut[:space]
        return [cut.rstrip(" ,·") + "…"]
    if following and len(first) + 1 + len(following) <= max_chars:
        return [f"{first} {following}", first]
    return [first]
