"""English coverage of a Korean event: what a Korean and an English item can share.

Titles and texts in two languages share almost no words; what they share is names, places and
numbers. Each item is reduced to language-free *concepts*:

- glossary entries (`digest/glossary.yaml`, extended by the user's `glossary:`): places, the
  event's own organisations, agencies and domain terms, each under one id in both languages;
- other proper nouns: a Korean proper noun romanised (`hangul_romanize`'s tables, finals as
  pronounced: 루닛 → lunit) and an English capitalised word, both folded to one key that absorbs
  the usual spelling variation (r/l, k/g, eo/o, v/b: 뷰노 → byuno ~ Vuno);
- amounts, counts and percentages as values (120억원 = 12 billion won = num:1.2e10), never years
  or dates; and the days of the month a lead names, which date the event.

Two items of different languages report one event when they share at least two specific concepts
(a place, an organisation, a name or a number), one of them a name, and what they share weighs at
least half of the smaller item's concepts. The precision rules: leads dated two or more days apart
never join, nor do two items about different places (a city and its province agree), so two
special zones designated the same day stay apart; agencies and domain terms support a match but
never make one (a fintech sandbox and a health sandbox share only those).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hangul_romanize import Transliter
from hangul_romanize.rule import REVISED_FINALS, REVISED_INITIALS, REVISED_VOWELS

from .glossary import Glossary, en_key

__all__ = [
    "Batch",
    "Concepts",
    "concepts",
    "english_days",
    "english_words",
    "fold",
    "is_english",
    "korean_days",
    "romanise",
    "similarity",
]

SPECIFIC = frozenset({"place", "org", "name", "num"})  # concept kinds that pin one event
NAMES = frozenset({"place", "org", "name"})
ENGLISH_LEAD = 800  # characters of an English text read (English takes about twice the room)
KOREAN_LEAD = 400
MIN_KEY = 4  # a romanised or English name folded shorter than this says nothing


# --------------------------------------------------------------------------- language


_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[A-Za-z]")


def is_english(text: str) -> bool:
    """Is this text (a title and lead) written in English? Its Latin letters outnumber its Hangul
    four to one, counting a syllable as the two letters it takes in Latin."""
    head = text[:600]
    latin = len(_LATIN.findall(head))
    return latin >= 20 and latin > 8 * len(_HANGUL.findall(head))


# --------------------------------------------------------------------------- romanisation

# A syllable's final consonant as pronounced at the end of a word (Revised Romanization).
_FINAL_SOUND = {
    "g": "k", "kk": "k", "gs": "k", "lg": "k", "d": "t", "s": "t", "ss": "t", "j": "t", "ch": "t",
    "t": "t", "h": "t", "b": "p", "bs": "p", "p": "p", "lp": "p", "nj": "n", "nh": "n", "lm": "m",
    "lb": "l", "ls": "l", "lt": "l", "lh": "l",
}  # fmt: skip


def _rule(now: tuple[str, Any], pre: tuple[str, Any], **_: Any) -> str:
    char, syl = now
    if not syl:
        return char
    final: str = REVISED_FINALS[syl.final]
    head: str = REVISED_INITIALS[syl.initial] + REVISED_VOWELS[syl.vowel]
    return head + _FINAL_SOUND.get(final, final)


_TRANSLITER = Transliter(_rule)


def romanise(word: str) -> str:
    """A Korean word in Latin letters: 대구 → daegu, 루닛 → lunit, 강원 → gangwon."""
    out: str = _TRANSLITER.translit(word)
    return out


_VOWELS = (
    ("eo", "o"),
    ("eu", "u"),
    ("ae", "e"),
    ("oe", "e"),
    ("ei", "e"),
    ("ay", "e"),
    ("ee", "i"),
    ("oo", "u"),
)
_EPENTHETIC = re.compile(r"(?<=[bdgjs])u$")  # 토스 toseu ~ Toss: the vowel Korean adds to a final consonant
_CONSONANTS = str.maketrans(
    {"k": "g", "c": "g", "q": "g", "t": "d", "p": "b", "f": "b", "v": "b", "r": "l", "z": "j"}
)
_GLIDE = re.compile(r"(?<=[bdgjlmnsh])[yw]")
_REPEAT = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def fold(latin: str) -> str:
    """One key for the spellings of a name in Latin letters (r/l, k/g, t/d, p/b/f/v, eo/o, eu/u,
    glides after a consonant, doubled letters): Lunit ~ lunit, Vuno ~ byuno, Jeonbuk ~ jeonbug."""
    s = "".join(c for c in unicodedata.normalize("NFKC", latin).lower() if "a" <= c <= "z")
    s = s.replace("ch", "j").replace("sh", "s").replace("x", "gs")
    for a, b in _VOWELS:
        s = s.replace(a, b)
    s = _GLIDE.sub("", s.translate(_CONSONANTS))
    return _EPENTHETIC.sub("", _REPEAT.sub(r"\1", s))


# --------------------------------------------------------------------------- concepts


@dataclass(frozen=True)
class Concepts:
    """What an item names, language-free: concept ids ("place:daegu", "org:lunit", "name:…",
    "num:1.2e10", "agency:…", "term:…") and the days of the month its lead names."""

    ids: frozenset[str]
    days: frozenset[int] = frozenset()


_UNIT_KO = {"조": 1e12, "억": 1e8, "만": 1e4, "천": 1e3}
_UNIT_EN = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3}
_NUM_KO = re.compile(r"(\d(?:[\d,]*\d)?(?:\.\d+)?)\s?(조|억|만|천)?\s?(%|퍼센트|개월|년|월|일|시|분|세|주)?")
_DATE_KO = frozenset({"개월", "년", "월", "일", "시", "분", "세", "주"})
_NUMBER_WORDS = {
    w: float(i)
    for i, w in enumerate(
        re.split(
            r"\s+",
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen twenty",
        )
    )
}
_NUM_EN = re.compile(
    rf"(?<![\w.])(\d(?:[\d,]*\d)?(?:\.\d+)?|{'|'.join(_NUMBER_WORDS)})\s?(trillion|billion|million|thousand)?"
    r"\s?(%|percent|th|st|nd|rd)?(?![\w])(?!\s(?:years?|months?|weeks?|days?|hours?|minutes?|a\.m|p\.m)\b)",
    re.IGNORECASE,
)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_MONTH_DAY = re.compile(rf"\b(?:{_MONTHS})[a-z]*\.?\s(\d{{1,2}})\b", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\s(?:{_MONTHS})[a-z]*\b", re.IGNORECASE)
_DAY_KO = re.compile(r"(?<![0-9.])([1-9]|[12][0-9]|3[01])일(?![간째])")
_CAPITAL = re.compile(r"\b[A-Z][A-Za-z]+(?:-[A-Z]?[a-z]+)?\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)([A-Z][A-Za-z]+)")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised English words that are no one's name.
_COMMON = _words(
    """the a an and or of in on at to for by with from as is are was were be this that these those it its
    korea korean koreans south north seoul government ministry minister city province county president
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december mr ms dr inc corp co ltd ai ict it us he she they we
    according also but however meanwhile hospital hospitals university center centre clinic clinics
    medical national institute company group association agency office committee commission council
    service services foundation department bureau team unit chairman ceo"""
)


def _value(number: str, scale: float) -> float | None:
    if number.lower() in _NUMBER_WORDS:
        return _NUMBER_WORDS[number.lower()] * scale
    try:
        return float(number.replace(",", "")) * scale
    except ValueError:
        return None


def _numbers(matches: Iterable[tuple[str, float, str]]) -> set[str]:
    """num: ids of (digits, scale, suffix): a percentage, or an amount or count of at least 2 that
    is not a year (the callers leave dates and durations out)."""
    out: set[str] = set()
    for digits, scale, suffix in matches:
        value = _value(digits, scale)
        if value is None:
            continue
        if suffix in ("%", "퍼센트", "percent"):
            out.add(f"num:{value:g}%")
        elif suffix == "" and (
            value >= 2 and not (scale == 1 and 1900 <= value <= 2100 and "," not in digits)
        ):
            out.add(f"num:{value:g}")
    return out


def _korean_numbers(text: str) -> set[str]:
    found: list[tuple[str, float, str]] = []
    last_end, last_scale, last_value = -9, 0.0, 0.0
    for m in _NUM_KO.finditer(text):
        digits, unit, suffix = m.group(1), m.group(2), m.group(3) or ""
        scale = _UNIT_KO.get(unit or "", 1.0)
        if suffix in _DATE_KO:
            continue
        value = _value(digits, scale) or 0.0
        if found and m.start() - last_end <= 1 and last_scale > scale > 1:
            # 1조 2000억: one amount
            prev = found.pop()
            value += last_value
            digits, scale = f"{value:f}", 1.0
            suffix = prev[2] or suffix
        found.append((digits, scale, "" if suffix not in ("%", "퍼센트") else suffix))
        last_end, last_scale, last_value = m.end(), _UNIT_KO.get(unit or "", 1.0), value
    return _numbers(found)


def _english_numbers(text: str) -> set[str]:
    found: list[tuple[str, float, str]] = []
    for m in _NUM_EN.finditer(text):
        suffix = (m.group(3) or "").lower()
        if suffix in ("th", "st", "nd", "rd"):
            continue
        before = text[max(0, m.start() - 6) : m.start()].lower()
        if re.search(rf"(?:{_MONTHS})[a-z]*\.?\s$", before):
            continue  # "Dec. 12": a date
        found.append((m.group(1), _UNIT_EN.get((m.group(2) or "").lower(), 1.0), suffix))
    return _numbers(found)


def concepts(
    title: str, text: str, morphs: Sequence[tuple[str, str]], gloss: Glossary, english: bool
) -> Concepts:
    """The concepts of an item's title and lead (Korean: its stored morphemes too)."""
    if english:
        return _english(title + "\n" + text[:ENGLISH_LEAD], gloss)
    return _korean(title + "\n" + text[:KOREAN_LEAD], morphs, gloss)


def _korean(lead: str, morphs: Sequence[tuple[str, str]], gloss: Glossary) -> Concepts:
    norm = unicodedata.normalize("NFKC", lead)
    squeezed = re.sub(r"\s+", "", norm)
    ids: set[str] = set()
    for spelling, cid in gloss.korean:
        if spelling in squeezed:
            ids.add(cid)
            squeezed = squeezed.replace(spelling, "\x00")
    for form, tag in morphs:
        if tag != "NNP":
            continue
        place = next((cid for name, cid in gloss.places_ko.items() if form.startswith(name)), None)
        if place:
            ids.add(place)  # 대구가톨릭대: in Daegu
            continue
        if any(form.startswith(spelling) for spelling, _ in gloss.korean):
            continue  # found by its glossary entry
        key = fold(romanise(form))
        if len(key) >= MIN_KEY:
            ids.add(f"name:{key}")
    ids |= _korean_numbers(norm)
    return Concepts(frozenset(ids), korean_days(norm))


def _english(lead: str, gloss: Glossary) -> Concepts:
    norm = unicodedata.normalize("NFKC", lead)
    ids: set[str] = set()
    rest = norm
    lowered = norm.lower()
    if gloss.english is not None and len(lowered) == len(norm):
        chars = list(norm)
        for m in gloss.english.finditer(lowered):
            form = en_key(m.group(0))
            cid = gloss.english_ids.get(form) or gloss.english_ids.get(form[:-1])
            if cid:
                ids.add(cid)
            # The glossary's words are no one's other name: blanked out before looking for names.
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
        rest = "".join(chars)
    starts = {m.start(1) for m in _SENTENCE_START.finditer(rest)}
    inside = {m.group(0) for m in _CAPITAL.finditer(rest) if m.start() not in starts}
    for m in _CAPITAL.finditer(rest):
        word = m.group(0)
        if word.lower() in _COMMON or (m.start() in starts and not word.isupper() and word not in inside):
            continue  # a sentence's first word is a name only if it is capitalised elsewhere too
        key = fold(word)
        if len(key) >= MIN_KEY:
            ids.add(f"name:{key}")
    ids |= _english_numbers(norm)
    return Concepts(frozenset(ids), english_days(norm))


# --------------------------------------------------------------------------- similarity


def _kind(cid: str) -> str:
    return cid.split(":", 1)[0]


def _places(c: Concepts, parent: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """(the places an item names, the same with their provinces)."""
    leaf = {x for x in c.ids if _kind(x) == "place"}
    return leaf, leaf | {parent[x] for x in leaf if x in parent}


def similarity(a: Concepts, b: Concepts, df: Mapping[str, int], n: int, gloss: Glossary) -> tuple[float, str]:
    """A score in [0, 1] that a Korean and an English item report one event (0.5 is the bar), and why."""
    if a.days and b.days and min(abs(x - y) for x in a.days for y in b.days) >= 2:
        return 0.0, "different event days"
    pa, wide_a = _places(a, gloss.parent)
    pb, wide_b = _places(b, gloss.parent)
    if pa and pb and not (pa & wide_b or pb & wide_a):
        return 0.0, f"different places ({_show(pa)} vs {_show(pb)})"
    shared = a.ids & b.ids
    specific = [c for c in shared if _kind(c) in SPECIFIC]
    if len(specific) < 2 or not any(_kind(c) in NAMES for c in specific):
        return 0.0, f"too little in common across languages ({_show(shared) or 'nothing'})"

    def weight(c: str) -> float:
        w = math.log((n + 1) / (df.get(c, 1) + 0.5))
        return w if _kind(c) in SPECIFIC else 0.5 * w

    mine = min(sum(weight(c) for c in a.ids), sum(weight(c) for c in b.ids))
    overlap = sum(weight(c) for c in shared) / mine if mine else 0.0
    score = min(1.0, overlap + 0.1 * (len(specific) - 2))
    return score, f"across languages {score:.2f} ({_show(shared)})"


def _show(ids: Iterable[str]) -> str:
    return ", ".join(sorted(c.split(":", 1)[1] for c in ids)[:6])


@dataclass(frozen=True)
class Batch:
    """The concepts' document frequencies in one clustering batch, for weighting."""

    gloss: Glossary
    df: Mapping[str, int]
    n: int

    @classmethod
    def of(cls, all_concepts: Sequence[Concepts], gloss: Glossary | None) -> Batch | None:
        if gloss is None:
            return None
        df: dict[str, int] = {}
        for c in all_concepts:
            for x in c.ids:
                df[x] = df.get(x, 0) + 1
        return cls(gloss, df, len(all_concepts))

    def similarity(self, a: Concepts, b: Concepts) -> tuple[float, str]:
        return similarity(a, b, self.df, self.n, self.gloss)


# --------------------------------------------------------------------------- English words

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*[a-z0-9]|[a-z0-9]")
_STOP = _words(
    """a about after again against all also an and any are as at be been before being between both
    but by can could did do does during each few for from further had has have he her here his how
    i if in into is it its itself just more most no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your said says say told new also year years day days one two three first last
    percent won people according"""
)


def english_words(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(content words, names and numbers) of an English title and lead: stop words out, a plural
    `s` folded; names are the capitalised words (lower-cased), numbers the words with a digit."""
    norm = unicodedata.normalize("NFKC", text)
    words: set[str] = set()
    for w in _WORD.findall(norm.lower()):
        if w in _STOP or len(w) < 2:
            continue
        words.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    names = {m.group(0).lower() for m in _CAPITAL.finditer(norm)} - _COMMON
    names = {w[:-1] if w[:-1] in words else w for w in names}
    facts = frozenset(w for w in words if w in names or any(c.isdigit() for c in w))
    return frozenset(words), facts


def korean_days(text: str) -> frozenset[int]:
    """The days of the month a Korean lead names ("12일 오후", "14일 밝혔다"): the event's date."""
    return frozenset(int(d) for d in _DAY_KO.findall(unicodedata.normalize("NFKC", text)))


def english_days(text: str) -> frozenset[int]:
    """The days of the month an English lead names ("Dec. 12", "12 December")."""
    norm = unicodedata.normalize("NFKC", text)
    days = {int(d) for d in _MONTH_DAY.findall(norm)} | {int(d) for d in _DAY_MONTH.findall(norm)}
    return frozenset(d for d in days if 1 <= d <= 31)
