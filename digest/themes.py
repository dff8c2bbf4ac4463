"""Theme placement and ranking. Pure functions on plain data.

Every item of a story votes; the title weighs more than the body; spacing does not matter for
Korean terms (`규제샌드박스` = `규제 샌드박스`), English terms match whole words with case and a
plural `s` folded. A term `A + B` matches where all its parts occur (in the title, or in the
body). Each placement carries the terms and weights that decided it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from .models import Item, Placement, Story, ThemeDef

TITLE_WEIGHT = 3.0
BODY_CAP = 3  # a term repeated more often in the body counts this many times at most
# A theme needs at least one of its core terms (weight ≥ this) somewhere in the story: words
# like 어르신 or 인공지능 alone make a story about older people or AI, not about care devices or
# AI put on trial in care.
CORE_WEIGHT = 3.0
_SPACES = re.compile(r"[\s·ㆍ\-_/]+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _korean_key(text: str) -> str:
    return _SPACES.sub("", _fold(text))


def _is_ascii(term: str) -> bool:
    return all(ord(c) < 128 for c in term)


def _pattern(term: str) -> re.Pattern[str]:
    if _is_ascii(term):
        words = re.escape(_fold(term)).replace(r"\ ", r"[\s\-]*")
        return re.compile(rf"(?<![a-z0-9]){words}s?(?![a-z0-9])")
    return re.compile(re.escape(_korean_key(term)))


def _take(pattern: re.Pattern[str], text: str) -> tuple[int, str]:
    """Count the term and blank it out, so a shorter term inside it is not counted again."""
    out, n = pattern.subn("\x00", text)
    return n, out


def _hits(term: str, folded: str, squeezed: str) -> int:
    """How often a term occurs; `A + B` (all of the parts) counts as often as its rarest part."""
    parts = [p.strip() for p in term.split(" + ")] if " + " in term else [term]
    counts = [len(_pattern(p).findall(folded if _is_ascii(p) else squeezed)) for p in parts]
    return min(counts)


def score_item(item: Item, theme: ThemeDef) -> tuple[float, list[str]]:
    """The item's score under one theme, with the terms that made it."""
    score, reasons, _core = _score_item(item, theme)
    return score, reasons


def _score_item(item: Item, theme: ThemeDef) -> tuple[float, list[str], bool]:
    body = item.text or item.summary
    texts = {"title": (_fold(item.title), _korean_key(item.title)), "body": (_fold(body), _korean_key(body))}
    for term in theme.exclude:
        if _hits(term, *texts["title"]) or _hits(term, *texts["body"]) >= 2:
            return 0.0, [f"excluded by {term!r}"], False
    # One weight per spelling: `돌봄로봇` and `돌봄 로봇` are the same term.
    weights: dict[str, tuple[str, float]] = {}
    for term, weight in theme.terms:
        key = _fold(term) if _is_ascii(term) or " + " in term else _korean_key(term)
        if key not in weights or weights[key][1] < weight:
            weights[key] = (term, weight)
    folded = {k: list(v) for k, v in texts.items()}
    score = 0.0
    reasons: list[str] = []
    core = False
    # Longer terms first, so a phrase that contains a shorter term is not counted twice.
    for _key, (term, weight) in sorted(weights.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        if " + " in term:  # a conjunction is counted, never blanked out
            t = _hits(term, *folded["title"])
            b = _hits(term, *folded["body"])
        else:
            slot = 0 if _is_ascii(term) else 1
            pat = _pattern(term)
            t, folded["title"][slot] = _take(pat, folded["title"][slot])
            b, folded["body"][slot] = _take(pat, folded["body"][slot])
        b = min(b, BODY_CAP)
        if not t and not b:
            continue
        body_part = 1 + math.log(b) if b else 0.0
        s = weight * (TITLE_WEIGHT * min(t, 1) + body_part)
        score += s
        core = core or weight >= CORE_WEIGHT
        where = "title" if t and not b else "body" if b and not t else "title+body"
        reasons.append(f"{term} ({where}) {s:+.1f}")
    return score, reasons, core


def place(items: Sequence[Item], themes: Sequence[ThemeDef], min_score: float) -> Placement:
    """All items of a story vote: the mean score per theme decides; below `min_score` → other."""
    totals: dict[str, float] = defaultdict(float)
    reasons: dict[str, list[str]] = defaultdict(list)
    candidates = [t for t in themes if t.id != "other" and t.terms]
    has_core: set[str] = set()
    for item in items:
        for theme in candidates:
            s, why, core = _score_item(item, theme)
            totals[theme.id] += s
            if core:
                has_core.add(theme.id)
            if why and len(reasons[theme.id]) < 8:
                reasons[theme.id].extend(r for r in why if r not in reasons[theme.id])
    n = max(1, len(items))
    means = {tid: total / n for tid, total in totals.items() if tid in has_core}
    ranked = sorted(means.items(), key=lambda kv: (-kv[1], [t.id for t in themes].index(kv[0])))
    if not ranked or ranked[0][1] < min_score:
        best = ranked[0] if ranked else ("other", 0.0)
        note = (
            f"best was {best[0]} at {best[1]:.1f} < {min_score:.1f}"
            if ranked
            else f"no core term of any theme (weight ≥ {CORE_WEIGHT:g})"
        )
        return Placement(theme="other", score=round(best[1], 2), reasons=(note,))
    primary, top = ranked[0]
    secondary = tuple(tid for tid, s in ranked[1:] if s >= max(min_score, 0.5 * top))
    return Placement(
        theme=primary, score=round(top, 2), secondary=secondary, reasons=tuple(reasons[primary][:8])
    )


def rank(stories: Sequence[Story], now: datetime) -> list[Story]:
    """More outlets first, then fresher, then more complete; ties by story id (deterministic)."""

    def key(s: Story) -> tuple[int, float, int, str]:
        newest = max((it.published or it.first_seen) for it in s.items)
        age_hours = max(0.0, (now - newest).total_seconds() / 3600)
        completeness = max(len(it.text or it.summary) for it in s.items)
        return (-len(s.outlets), round(age_hours, 1), -min(completeness, 5000) // 500, s.id)

    return sorted(stories, key=key)
