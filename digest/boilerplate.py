"""Shared boilerplate is not a shared event (issue #12).

Two releases of one agency often end alike: a standard closing line ("관계 기관은 … 계획이라고
밝혔다"), a company or agency description ("한편 OO은 2010년 설립된 …"). In a short text such
paragraphs dominate the containment of one text in the other. `boilerplate` finds, within the
batch being clustered, the sentences that recur verbatim (spacing and punctuation aside) in two
items whose leads and titles are otherwise unrelated, and returns their shingles: clustering
leaves them out of the text overlap. A reprint shares its lead with the original (a new byline or
first words aside), so what it shares is never discounted.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence

import numpy as np

from .identity import normalize as _normalize

_NON_WORD = re.compile(r"[^\w]", re.UNICODE)
# A sentence ends at a full stop (or ! ? …) followed by a space, or at a line break.
_SENTENCE = re.compile(r"(?<=[.!?。…])\s+|\n+")
MIN_UNIT = 20  # characters (spacing and punctuation aside): shorter sentences are bylines, captions
LEAD = 120  # characters of the text that make its lead
RELATED = 0.5  # a lead this much contained in the other text: the same story (a reprint)
TITLE_RELATED = 0.5  # title words shared (Jaccard): the same story told anew
MAX_CHECKS = 20  # pairs checked per recurring sentence: enough to find one unrelated pair


def units(text: str) -> list[str]:
    """The text's sentences, normalised (spacing and punctuation removed); short ones left out."""
    parts = _SENTENCE.split(unicodedata.normalize("NFKC", text).lower())
    return [u for u in (_NON_WORD.sub("", p) for p in parts) if len(u) >= MIN_UNIT]


def boilerplate(
    bodies: Sequence[str],
    titles: Sequence[str],
    shingles: Callable[[str], np.ndarray],
    words: Callable[[str], set[str]],
) -> list[np.ndarray]:
    """Per item, the (sorted, distinct) shingles of its sentences that recur in an unrelated item
    of the batch: two items are related when the lead of one is mostly in the other's text or
    their titles share most of their words."""
    where: dict[int, list[int]] = {}
    item_units: list[list[tuple[int, str]]] = []
    for i, body in enumerate(bodies):
        mine: dict[int, str] = {}
        for u in units(body):
            mine.setdefault(zlib.crc32(u.encode("utf-8")), u)
        item_units.append(sorted(mine.items()))
        for key in mine:
            where.setdefault(key, []).append(i)
    empty = np.zeros(0, dtype=np.uint64)
    recurring = {key: its for key, its in where.items() if len(its) > 1}
    if not recurring:
        return [empty] * len(bodies)

    full: dict[int, np.ndarray] = {}
    lead: dict[int, np.ndarray] = {}
    title_words: dict[int, set[str]] = {}
    related: dict[tuple[int, int], bool] = {}

    def text_of(i: int) -> np.ndarray:
        if i not in full:
            full[i] = shingles(bodies[i])
        return full[i]

    def lead_of(i: int) -> np.ndarray:
        if i not in lead:
            lead[i] = shingles(_NON_WORD.sub("", _normalize(bodies[i]))[:LEAD])
        return lead[i]

    def contained(small: np.ndarray, big: np.ndarray) -> bool:
        return bool(len(small)) and np.isin(small, big).mean() >= RELATED

    def is_related(i: int, j: int) -> bool:
        if (i, j) not in related:
            for k in (i, j):
                if k not in title_words:
                    title_words[k] = words(titles[k])
            ti, tj = title_words[i], title_words[j]
            union = len(ti | tj)
            related[(i, j)] = (
                contained(lead_of(i), text_of(j))
                or contained(lead_of(j), text_of(i))
                or (union > 0 and len(ti & tj) / union >= TITLE_RELATED)
            )
        return related[(i, j)]

    shared: set[int] = set()
    for key, its in recurring.items():
        checks = 0
        for a, i in enumerate(its):
            for j in its[a + 1 :]:
                if checks >= MAX_CHECKS:
                    break
                checks += 1
                if not is_related(i, j):
                    shared.add(key)
                    break
            if key in shared or checks >= MAX_CHECKS:
                break
    out: list[np.ndarray] = []
    for mine_units in item_units:
        drop = [shingles(u) for key, u in mine_units if key in shared]
        out.append(np.unique(np.concatenate(drop)) if drop else empty)
    return out
