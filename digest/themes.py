"""Theme placement and ranking. Pure functions on plain data.

Every item of a story votes; the title weighs more than the body. Korean terms match without
regard to spacing, compounding or particles (`규제샌드박스` = `규제 샌드박스`, `돌봄로봇을` has
`돌봄 로봇`): a term matches inside one word (a compound) or across spaces from the start of a
word, never from the middle of one (`다시 연락` is not `시연`); in the title and lead, where the
item's morphemes are stored, a term must also begin on a morpheme boundary. English terms match
whole words with case and a plural `s` folded. A term `A + B` matches where all its parts occur
(in the title, or in the body). A theme with `precedence` wins over the others when one of its
core terms is in a headline (a sandbox decision about a care robot is a sandbox story). An
optional learned model (`digest.learn`) may decide only where the rules are weak. Each placement
carries the terms and weights that decided it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from .models import LEAD_CHARS, OTHER, Item, Placement, Story, ThemeDef

__all__ = [
    "CORE_WEIGHT",
    "TITLE_WEIGHT",
    "Scorer",
    "ThemeScore",
    "explain",
    "importance",
    "place",
    "rank",
    "score_item",
]

TITLE_WEIGHT = 3.0
BODY_CAP = 3  # a term repeated more often in the body counts this many times at most
# A theme needs at least one of its core terms (weight ≥ this) somewhere in the story: words
# like 어르신 or 인공지능 alone make a story about older people or AI, not about care devices or
# AI put on trial in care.
CORE_WEIGHT = 3.0
# A learned model may change a placement only when the rules' best score is below this many
# times `min_score` (a strong explicit rule is never overridden) ...
STRONG_RULE = 2.0
# ... and only when it is at least this sure (its mean probability over the story's items).
MODEL_CONFIDENCE = 0.6
_SPACES = re.compile(r"[\s·ㆍ\-_/]+")
_PUNCT_TAGS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW", "W_SERIAL"})


class Scorer(Protocol):
    """A learned model as `place` sees it (see `digest.learn.Model`)."""

    def predict(self, items: Sequence[Item]) -> tuple[str, float, tuple[str, ...]]:
        """The story's most likely theme, its probability and the features that made it."""
        ...


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _korean_key(text: str) -> str:
    return _SPACES.sub("", _fold(text))


def _is_ascii(term: str) -> bool:
    return term.isascii()


@lru_cache(maxsize=8192)
def _needle(term: str) -> str:
    """A plain substring every match of `term` contains: its Korean key, or an English term's
    first word. Most terms are in no text; a substring test (C speed) rules them out before the
    regular expression runs."""
    if _is_ascii(term):
        words = _fold(term).replace("-", " ").split()
        return words[0] if words else ""
    return _korean_key(term)


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str]:
    if _is_ascii(term):
        words = re.escape(_fold(term)).replace(r"\ ", r"[\s\-]*")
        return re.compile(rf"(?<![a-z0-9]){words}s?(?![a-z0-9])")
    return re.compile(re.escape(_korean_key(term)))


@dataclass
class _Text:
    """One text prepared for matching; matched spans are blanked out as terms are counted."""

    folded: str  # for English terms
    squeezed: str  # for Korean terms: spacing removed, same length as `word`
    word: tuple[int, ...]  # the word each squeezed character came from
    # Squeezed offsets inside a stored morpheme (not at its start): no term may begin there.
    inner: frozenset[int] = frozenset()

    @classmethod
    def of(cls, text: str) -> _Text:
        folded = _fold(text)
        chars: list[str] = []
        word: list[int] = []
        w = 0
        for piece in _SPACES.split(folded):
            if piece:
                chars.extend(piece)
                word.extend([w] * len(piece))
                w += 1
        return cls(folded, "".join(chars), tuple(word))

    def copy(self) -> _Text:
        return _Text(self.folded, self.squeezed, self.word, self.inner)

    def _ok(self, start: int, end: int) -> bool:
        """A Korean match counts inside one word, or across words from the start of a word; and
        never from the middle of a morpheme the analyser found."""
        word = self.word
        at_word_start = start == 0 or word[start - 1] != word[start] or not self.squeezed[start - 1].isalnum()
        if word[start] != word[end - 1] and not at_word_start:
            return False
        return start not in self.inner

    def count(self, term: str, take: bool) -> int:
        """How often `term` occurs; with `take`, blank the matches out, so that a shorter term
        inside a longer one is not counted again."""
        if _needle(term) not in (self.folded if _is_ascii(term) else self.squeezed):
            return 0
        pattern = _pattern(term)
        if _is_ascii(term):
            if take:
                self.folded, n = pattern.subn("\x00", self.folded)
                return n
            return len(pattern.findall(self.folded))
        spans = [m.span() for m in pattern.finditer(self.squeezed) if self._ok(*m.span())]
        if take and spans:
            s = list(self.squeezed)
            for a, b in spans:
                s[a:b] = "\x00" * (b - a)
            self.squeezed = "".join(s)
        return len(spans)


def _inner(squeezed: str, morphs: Sequence[tuple[str, str]]) -> frozenset[int]:
    """The offsets of `squeezed` that lie inside a stored morpheme, past its first character.
    Morphemes whose form is not in the text as written (kiwi restores `돌봄` as `돌보`+`ㅁ`) are
    skipped and leave their span open; if the morphemes do not follow the text, nothing is
    marked (the word rule alone applies)."""
    inner: set[int] = set()
    pos = found = 0
    for form, tag in morphs:
        key = _korean_key(form)
        if tag in _PUNCT_TAGS or not key:
            continue
        at = squeezed.find(key, pos, pos + len(key) + 8)
        if at < 0:
            continue
        inner.update(range(at + 1, at + len(key)))
        pos = at + len(key)
        found += 1
    return frozenset(inner) if found >= len(morphs) // 3 else frozenset()


def _hits(term: str, text: _Text) -> int:
    """How often a term occurs; `A + B` (all of the parts) counts as often as its rarest part."""
    parts = [p.strip() for p in term.split(" + ")] if " + " in term else [term]
    return min(text.count(p, take=False) for p in parts)


def _prepare(item: Item) -> dict[str, _Text]:
    """The title and body ready for matching. The stored morphemes are of the title followed by
    the lead (the body's start): aligned to both at once, then split between the two."""
    title = _Text.of(item.title)
    body = _Text.of(item.text or item.summary)
    if item.morphs:
        n = len(title.squeezed)
        inner = _inner(title.squeezed + body.squeezed[:LEAD_CHARS], item.morphs)
        title.inner = frozenset(i for i in inner if i < n)
        body.inner = frozenset(i - n for i in inner if i >= n)
    return {"title": title, "body": body}


def score_item(item: Item, theme: ThemeDef) -> tuple[float, list[str]]:
    """The item's score under one theme, with the terms that made it."""
    s = _score_item(item, theme)
    return s.score, s.reasons


@dataclass
class _ItemScore:
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    core: bool = False  # a core term somewhere
    title_core: bool = False  # a core term in the title


def _score_item(item: Item, theme: ThemeDef, prepared: dict[str, _Text] | None = None) -> _ItemScore:
    texts = prepared or _prepare(item)
    for term in theme.exclude:
        if _hits(term, texts["title"]) or _hits(term, texts["body"]) >= 2:
            return _ItemScore(reasons=[f"excluded by {term!r}"])
    title, body = texts["title"].copy(), texts["body"].copy()
    out = _ItemScore()
    # Longer terms first, so a phrase that contains a shorter term is not counted twice.
    for term, weight in _terms(theme.terms):
        if " + " in term:  # a conjunction is counted, never blanked out
            t, b = _hits(term, title), _hits(term, body)
        else:
            t, b = title.count(term, take=True), body.count(term, take=True)
        b = min(b, BODY_CAP)
        if not t and not b:
            continue
        body_part = 1 + math.log(b) if b else 0.0
        s = weight * (TITLE_WEIGHT * min(t, 1) + body_part)
        out.score += s
        out.core = out.core or weight >= CORE_WEIGHT
        out.title_core = out.title_core or (weight >= CORE_WEIGHT and t > 0)
        where = "title" if t and not b else "body" if b and not t else "title+body"
        out.reasons.append(f"{term} ({where}) {s:+.1f}")
    return out


@lru_cache(maxsize=256)
def _terms(terms: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """One weight per spelling (`돌봄로봇` and `돌봄 로봇` are the same term), longest first."""
    weights: dict[str, tuple[str, float]] = {}
    for term, weight in terms:
        key = _fold(term) if _is_ascii(term) or " + " in term else _korean_key(term)
        if key not in weights or weights[key][1] < weight:
            weights[key] = (term, weight)
    return tuple(v for _k, v in sorted(weights.items(), key=lambda kv: (-len(kv[0]), kv[0])))


@dataclass(frozen=True)
class ThemeScore:
    """One theme's standing for a story: the mean score of its items and why."""

    theme: str
    score: float
    core: bool
    title_core: bool
    reasons: tuple[str, ...]


def explain(items: Sequence[Item], themes: Sequence[ThemeDef]) -> list[ThemeScore]:
    """Every theme's score for a story (the mean over its items), best first, with the terms and
    weights behind it: what `digest explain` shows."""
    candidates = [t for t in themes if t.id != OTHER and t.terms]
    order = {t.id: i for i, t in enumerate(themes)}
    prepared = [_prepare(it) for it in items]
    n = max(1, len(items))
    out: list[ThemeScore] = []
    for theme in candidates:
        total = 0.0
        core = title_core = False
        reasons: list[str] = []
        for item, texts in zip(items, prepared, strict=True):
            s = _score_item(item, theme, texts)
            total += s.score
            core, title_core = core or s.core, title_core or s.title_core
            reasons.extend(r for r in s.reasons if r not in reasons)
        out.append(ThemeScore(theme.id, total / n, core, title_core, tuple(reasons)))
    out.sort(key=lambda ts: (-ts.score, order[ts.theme]))
    return out


def place(
    items: Sequence[Item],
    themes: Sequence[ThemeDef],
    min_score: float,
    model: Scorer | None = None,
) -> Placement:
    """All items of a story vote: the mean score per theme decides; below `min_score` → other.

    A theme needs a core term somewhere in the story. Among the themes that qualify, one with a
    higher `precedence` and a core term in a headline comes first; otherwise the higher score.
    A `model` may change the outcome only where the rules are weak (best score under
    `STRONG_RULE × min_score`) and the model is sure (≥ `MODEL_CONFIDENCE`).
    """
    scores = explain(items, themes)
    precedence = {t.id: t.precedence for t in themes}
    qualified = [s for s in scores if s.core and s.score >= min_score]
    ranked = sorted(
        qualified,
        key=lambda s: -(precedence.get(s.theme, 0) if s.title_core else 0),
    )  # stable: by score within the same precedence
    rule = _rule_placement(ranked, scores, min_score)
    if model is None or (ranked and ranked[0].score >= STRONG_RULE * min_score):
        return rule
    theme, prob, why = model.predict(items)
    if prob < MODEL_CONFIDENCE or theme == rule.theme or theme not in {t.id for t in themes}:
        return rule
    note = f"model: {theme} p={prob:.2f} over rules ({rule.theme} {rule.score:.1f})"
    return Placement(theme=theme, score=rule.score, reasons=(note, *why))


def _rule_placement(ranked: list[ThemeScore], scores: list[ThemeScore], min_score: float) -> Placement:
    if not ranked:
        cored = [s for s in scores if s.core]
        if cored:
            best = cored[0]
            note = f"best was {best.theme} at {best.score:.1f} < {min_score:.1f}"
            return Placement(theme=OTHER, score=round(best.score, 2), reasons=(note,))
        return Placement(
            theme=OTHER, score=0.0, reasons=(f"no core term of any theme (weight ≥ {CORE_WEIGHT:g})",)
        )
    primary = ranked[0]
    top = max(s.score for s in ranked)
    secondary = tuple(s.theme for s in ranked[1:] if s.score >= max(min_score, 0.5 * top))
    reasons = list(primary.reasons[:8])
    if primary.score < top:
        reasons.insert(0, f"precedence: a core term of {primary.theme} in a headline")
    return Placement(
        theme=primary.theme, score=round(primary.score, 2), secondary=secondary, reasons=tuple(reasons)
    )


def rank(stories: Sequence[Story], now: datetime) -> list[Story]:
    """The stories of one theme in the order the digest shows them (a new list; `stories` is kept).

    The key, most important first; each rule only decides between stories the rules before it tie:

    1. More outlets: distinct ``Item.source`` values, not items (three articles from one outlet
       count as one).
    2. Fresher: the age of the story's newest item (``published``, else ``first_seen``) at `now`,
       in tenths of an hour (minutes apart can tie); an item dated after `now` counts as age 0; an
       item dated without a time of day counts from noon of its date (not pushed to the bottom).
    3. More complete: the longest ``text`` (else ``summary``) among its items, in steps of 500
       characters (1–500, 501–1000, …; none at all is the lowest), capped at 5000.
    4. Story id, ascending, so equal stories come out in the same order whatever the input order.
    """

    def key(s: Story) -> tuple[int, float, int, str]:
        newest = max(_moment(it) for it in s.items)
        age_hours = max(0.0, (now - newest).total_seconds() / 3600)
        completeness = max(len(it.text or it.summary) for it in s.items)
        return (-len(s.outlets), round(age_hours, 1), -min(completeness, 5000) // 500, s.id)

    return sorted(stories, key=key)


LEAD_OUTLETS = 4.0  # importance per outlet: more than theme score and freshness can add (3)
LEAD_SCORE_CAP = 20.0  # a theme score beyond this says no more about importance
LEAD_FRESH_HOURS = 24.0  # freshness falls from 1 to 0 over this many hours


def importance(story: Story, now: datetime) -> float:
    """How important a story is to the day's digest, across themes (what picks the lead story):

    ``LEAD_OUTLETS × outlets + theme score / LEAD_SCORE_CAP × 2 (capped at 2) + freshness``,
    freshness being 1 for a story whose newest item is from `now`, falling linearly to 0 at
    LEAD_FRESH_HOURS. Breadth decides first (one more outlet outweighs any theme score and
    freshness), the theme score (how squarely it is on a theme) and freshness between stories of
    equal breadth.
    A date-only item counts from noon of its date, not from its midnight."""
    newest = max(_moment(it) for it in story.items)
    age_hours = max(0.0, (now - newest).total_seconds() / 3600)
    fresh = max(0.0, 1.0 - age_hours / LEAD_FRESH_HOURS)
    on_theme = 2.0 * min(story.placement.score, LEAD_SCORE_CAP) / LEAD_SCORE_CAP
    return LEAD_OUTLETS * len(story.outlets) + on_theme + fresh


def _moment(it: Item) -> datetime:
    """When an item appeared, for ranking: a date without a time counts from noon of that date."""
    when = it.published or it.first_seen
    if it.published is not None and it.date_only:
        when = when + timedelta(hours=12)
    return when
