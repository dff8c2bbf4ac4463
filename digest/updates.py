"""What an update adds: the summary of a follow-up says what is new, not its lead again.

A story that already appeared in an earlier digest is shown again when new items join it. Its
summary is then taken from the first sentence of the new item whose facts — numbers, names,
the words that carry them — the earlier items do not have; where nothing new stands out, the
item's own summary. Pure: plain strings in, a string out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .extract import sentences, summarize
from .models import SUMMARY_CHARS

__all__ = ["what_is_new"]

_WORD = re.compile(r"[0-9A-Za-z가-힣][0-9A-Za-z가-힣.,%]*")
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"[^\d.]|\.$")
SCAN_SENTENCES = 8  # sentences of the update read (the news is near the top)
MIN_NEW = 3  # a sentence says something new when this many of its words are new …
MIN_SHARE = 0.4  # … and they are this share of its words
_STEM = 2  # the shortest prefix a word is compared by
# A Korean word ending like a verb or a clause (지켜본, 짚어, 본다, 운영하는) carries no fact.
_VERBAL = re.compile(r"(?:다|고|며|서|게|지|면|어|아|해|한|할|된|될|본|던|는데|하는|있는|이다)$")


def _key(word: str) -> str:
    """A number by its digits (300명을 ~ 300명); a word as written."""
    return _NUMBER.sub("", word) if _DIGIT.search(word) else word


def _known(words: Iterable[str]) -> set[str]:
    """Every key and every prefix of at least two characters of a Korean word: a later word is
    known when it is one of them without up to two trailing characters (a particle: 특구에서 ~
    특구로, 만성질환자 ~ 만성질환자는)."""
    out: set[str] = set()
    for w in words:
        k = _key(w)
        out.add(k)
        if not _DIGIT.search(w):
            out.update(k[:n] for n in range(_STEM, len(k)))
    return out


def _is_known(word: str, known: set[str]) -> bool:
    k = _key(word)
    if _DIGIT.search(word):
        return k in known
    return k in known or k[: max(_STEM, len(k) - 2)] in known


def _weight(word: str) -> int:
    """What a new word adds: a number twice, a name or noun once, a verb form nothing."""
    if _DIGIT.search(word):
        return 2
    return 0 if _VERBAL.search(word) else 1


def what_is_new(text: str, summary: str, earlier: Iterable[str], max_chars: int = SUMMARY_CHARS) -> str:
    """The summary of an update: from the first sentence of `text` (the new item's) that adds
    facts the `earlier` texts do not have; `summary` when no sentence does."""
    known = _known(w for old in earlier for w in _WORD.findall(old))
    if not known or not text:
        return summary
    pieces = sentences(text.replace("\n", "\n\n"))  # a line is a paragraph
    for index, sentence in enumerate(pieces[:SCAN_SENTENCES]):
        words = set(_WORD.findall(sentence))
        new = [w for w in words if not _is_known(w, known)]
        weight = sum(_weight(w) for w in new)
        if words and weight >= MIN_NEW and len(new) >= MIN_SHARE * len(words):
            if index == 0:
                return summary  # the lead is the news already
            found = summarize("\n\n".join(pieces[index:]), max_chars)
            return found or summary
    return summary
