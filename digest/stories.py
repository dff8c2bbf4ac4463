"""Same item, reprints and rewrites → stories. Pure functions on plain data.

- `cluster` groups a day's items (with recently published items as context, so follow-ups join
  their earlier story) by average-link agglomeration over a pairwise similarity built from
  character shingles (reprints: containment survives a new lead or a dropped paragraph) and
  idf-weighted title-and-lead words (rewrites). Both need a shared rare name or number (NNP, SN,
  SL): look-alike announcements share a template, not a company, place or amount. Average link,
  not single link: a middle item cannot chain two unrelated stories together. Sentences that
  recur in unrelated items of the batch (a closing line, a company description) are left out of
  the text overlap (`digest.boilerplate`).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from . import crosslingual
from .boilerplate import boilerplate
from .candidates import concept_pairs, find, lsh_pairs, union, word_pairs
from .glossary import Glossary
from .glossary import glossary as glossary_of
from .identity import normalize as _normalize
from .korean import CONTENT_TAGS
from .models import LEAD_CHARS, GlossaryTerm, Item
from .programmes import programmes
from .signatures import SIGNATURE_SIZE, minhash, shingle_hashes

_NON_WORD = re.compile(r"[^\w]", re.UNICODE)


# --------------------------------------------------------------------------- features

_TOKEN = re.compile(r"[0-9A-Za-z가-힣]{2,}")
# Particles and endings cut from the end of a Korean word: the fallback for items stored
# before the analyser ran (no `morphs`). Longest first.
_SUFFIX_WORDS = (
    "은 는 이 가 을 를 의 에 에서 으로 로 와 과 도 만 까지 부터 에게 께서 이다 했다 한다 하는 하고 하며 "
    "했으며 된다 됐다 되는 이라고 라고 이며 에는 에도 으로는 로는 과의 와의 이나 나 들"
)
_SUFFIXES = sorted(_SUFFIX_WORDS.split(), key=len, reverse=True)
FACT_TAGS = frozenset({"NNP", "SN", "SL", "SH"})
_FACT_TOKEN = re.compile(r"[0-9A-Za-z]")  # without the analyser: numbers and Latin names only
FACT_DF = 5  # a name or number shared by more than max(FACT_DF, FACT_SHARE × n) items is generic
FACT_SHARE = 0.01
PROGRAMME_SCORE = 0.6  # a follow-up naming the programme of an earlier report: above the bar
FOLLOW_UP_HOURS = 12  # items this far apart are a report and its follow-up, not one day's coverage


def tokens(text: str) -> set[str]:
    """Content words of a Korean or English text, particles cut off (the analyser-free fallback)."""
    out: set[str] = set()
    for tok in _TOKEN.findall(unicodedata.normalize("NFKC", text).lower()):
        for suf in _SUFFIXES:
            if len(tok) > len(suf) + 1 and tok.endswith(suf):
                tok = tok[: -len(suf)]
                break
        if len(tok) >= 2:
            out.add(tok)
    return out


@dataclass(frozen=True)
class Features:
    """What clustering knows of one item, computed once: a MinHash of its text (reprints), the
    content words of title and lead from the stored morphemes (rewrites), the title's own words,
    the days of the month its lead names and its names and numbers."""

    signature: np.ndarray
    n_shingles: int
    words: tuple[str, ...]  # sorted, distinct: a tuple is a sixth of a frozenset's memory
    title_words: tuple[str, ...]
    days: frozenset[int]
    facts: tuple[str, ...] = ()  # names and numbers (NNP, SN, SL, SH): what pins an event
    english: bool = False
    concepts: crosslingual.Concepts | None = None  # when the batch mixes languages
    programmes: tuple[str, ...] = ()  # the named programmes it reports on (`digest.programmes`)


def features(
    item: Item,
    drop: np.ndarray | None = None,
    gloss: Glossary | None = None,
    places: Mapping[str, str] | None = None,
    english: bool | None = None,
) -> Features:
    """`drop`: shingles left out of the text's signature (sentences the batch shares
    across unrelated items, see `digest.boilerplate`); `gloss`: the batch mixes Korean and
    English items, so each gets its language-free concepts too; `places`: Korean place → its
    province, for the programme keys."""
    body = item.text or item.summary
    if english is None:
        english = crosslingual.is_english(item.title + "\n" + body[:600])
    concepts = (
        crosslingual.concepts(item.title, body, item.morphs, gloss, english) if gloss is not None else None
    )
    sh = shingle_hashes(body)
    if drop is not None and len(drop):
        sh = np.setdiff1d(sh, drop, assume_unique=True)
    title_norm = _NON_WORD.sub("", _normalize(item.title))
    lead = item.title + "\n" + body[:LEAD_CHARS]
    if english:
        words, facts = crosslingual.english_words(item.title + "\n" + body[: crosslingual.ENGLISH_LEAD])
    elif item.morphs:
        words = frozenset(
            f for f, t in item.morphs if t in CONTENT_TAGS and (len(f) >= 2 or t in ("NNP", "SL", "SN"))
        )
        facts = _facts(item.morphs)
    else:
        words = frozenset(tokens(lead))
        facts = frozenset(t for t in words if _FACT_TOKEN.search(t))
    title_words = tuple(sorted(w for w in words if w in title_norm))
    if english:
        days = crosslingual.english_days(body[: crosslingual.ENGLISH_LEAD])
    else:
        days = crosslingual.korean_days(body[:LEAD_CHARS])
    progs = tuple(sorted(programmes(item.morphs, places or {}))) if item.morphs and not english else ()
    return Features(
        minhash(sh),
        len(sh),
        tuple(sorted(words)),
        title_words,
        days,
        tuple(sorted(facts)),
        english,
        concepts,
        progs,
    )


_DATE_UNITS = frozenset({"일", "월"})


def _facts(morphs: Sequence[tuple[str, str]]) -> frozenset[str]:
    """Names and numbers of the morphemes; a day or month number ("3일") dates, it does not name."""
    return frozenset(
        f
        for k, (f, t) in enumerate(morphs)
        if t in FACT_TAGS and not (t == "SN" and k + 1 < len(morphs) and morphs[k + 1][0] in _DATE_UNITS)
    )


def text_overlap(a: Features, b: Features) -> float:
    """Containment of the smaller text in the larger, estimated from the two signatures: a reprint
    with a new lead or a dropped paragraph is still mostly contained in its original."""
    small = min(a.n_shingles, b.n_shingles)
    if small < 12:
        return 0.0
    j = float(np.count_nonzero(a.signature == b.signature)) / SIGNATURE_SIZE
    inter = j / (1.0 + j) * (a.n_shingles + b.n_shingles)
    return min(1.0, inter / small)


def similarity(
    a: Features,
    b: Features,
    idf: Mapping[str, float],
    fact_idf: float = 0.0,
    across: crosslingual.Batch | None = None,
    apart: bool = False,
) -> tuple[float, str]:
    """A score in [0, 1] that two items report the same event (0.5 is the bar), and why.

    Reprints: most of one text is in the other. Rewrites: the rare words of title and lead —
    names, places, numbers — overlap (idf-weighted), and each title's words are found in the
    other item; two leads that date the event on different days are different events. A rewrite
    must share a name or number rarer than `fact_idf` when both items name any, and so must a
    reprint: look-alikes share the topic's words and phrasing, not its company, place or amounts.
    A Korean and an English item are compared on their concepts (`digest.crosslingual`), with
    `across` the batch they are part of (without it, never the same event). Two items `apart`
    (a day or more, or one already published) that name the same programme are one story
    whatever their dates: a follow-up with a new angle (`digest.programmes`)."""
    if apart and a.programmes and b.programmes:
        same = sorted(set(a.programmes) & set(b.programmes))
        if same:
            base = similarity(a, b, idf, fact_idf, across)[0]
            return max(PROGRAMME_SCORE, base), f"same programme ({same[0].replace('|', ' ')})"
    if a.english != b.english:
        if across is None or a.concepts is None or b.concepts is None:
            return 0.0, "other language"
        return across.similarity(a.concepts, b.concepts)
    if a.days and b.days and min(abs(x - y) for x in a.days for y in b.days) >= 2:
        # Look-alike announcements share phrasing, even whole paragraphs; their dates differ.
        return 0.0, f"different event days ({_days(a.days)} vs {_days(b.days)})"
    if (
        a.facts
        and b.facts
        and not any(idf.get(t, 0.0) >= fact_idf for t in set(a.facts).intersection(b.facts))
    ):
        # Same template, other company, place or amounts: shared phrasing is not a shared event.
        return 0.0, "no shared rare name or number"
    containment = text_overlap(a, b)
    rewrite, why = 0.0, "no shared words"
    if a.words and b.words:
        wa, wb = set(a.words), set(b.words)
        common = wa & wb
        union_w = sum(idf.get(t, 1.0) for t in wa | wb)
        words = sum(idf.get(t, 1.0) for t in common) / union_w if union_w else 0.0
        cover = (_cover(a.title_words, wb, idf) + _cover(b.title_words, wa, idf)) / 2
        rewrite = min(1.0, 2.0 * math.sqrt(words * cover))
        shared = sorted(common, key=lambda t: (-idf.get(t, 1.0), t))[:5]
        why = f"shared words {words:.2f} ({', '.join(shared)}), titles covered {cover:.2f}"
    if containment >= 0.6:
        return max(containment, rewrite), f"text overlap {containment:.2f}"
    return rewrite, why


def _cover(title_words: Iterable[str], words: set[str], idf: Mapping[str, float]) -> float:
    total = found = 0.0
    for t in title_words:
        w = idf.get(t, 1.0)
        total += w
        found += w if t in words else 0.0
    return found / total if total else 0.0


def _days(days: frozenset[int]) -> str:
    return ",".join(f"{d}일" for d in sorted(days))


# --------------------------------------------------------------------------- clustering


@dataclass(frozen=True)
class Cluster:
    items: tuple[Item, ...]  # the digest's items of this story, representative first
    earlier: tuple[Item, ...]  # items of this story published by earlier digests
    story_id: str
    evidence: tuple[str, ...]
    english: frozenset[int] = frozenset()  # the ids of its items written in English
    # What clustering knew of each of its items (by id): stored with the digest that publishes
    # them, so a later run matches new items against them without their texts (`cluster`'s `cached`).
    features: Mapping[int, Features] = field(default_factory=dict, compare=False)


ALL_PAIRS_MAX = 400  # up to this many items every pair in the time window is compared


def cluster(
    items: Sequence[Item],
    earlier: Sequence[Item] = (),
    threshold: float = 0.5,
    window_days: float = 7.0,
    all_pairs_max: int = ALL_PAIRS_MAX,
    glossary: Sequence[GlossaryTerm] = (),
    cached: Mapping[int, Features] | None = None,
) -> list[Cluster]:
    """Group `items` into stories. `earlier` items (already published, with story ids) seed
    their stories so that a follow-up joins them; they are never repeated as digest items.
    `cached`: the stored features of earlier items (by id), used instead of their texts — which
    then need not be loaded (their boilerplate was left out when they were clustered).

    1. Candidates: every pair for a small input; else pairs that share a MinHash LSH band of
       their text (reprints) or a pair of their rarest title-and-lead words (rewrites). Near
       linear: no all-pairs comparison.
    2. Verification on the signatures and word sets (`similarity`), within `window_days`.
    3. Within each connected group of verified pairs, average-link agglomeration: merge the two
       groups with the highest average similarity while their closest pair reaches `threshold`
       and their average 0.75 × `threshold`, so a middle item cannot chain two stories."""
    everything: list[Item] = [*earlier, *items]
    n = len(everything)
    n_earlier = len(earlier)
    stored = [(cached or {}).get(it.id) if k < n_earlier else None for k, it in enumerate(everything)]
    shared = boilerplate(
        ["" if f is not None else it.text or it.summary for it, f in zip(everything, stored, strict=True)],
        [it.title for it in everything],
        shingle_hashes,
        tokens,
    )
    langs = [
        f.english
        if f is not None
        else crosslingual.is_english(it.title + "\n" + (it.text or it.summary)[:600])
        for it, f in zip(everything, stored, strict=True)
    ]
    known = glossary_of(tuple(glossary))
    gloss = known if len(set(langs)) == 2 else None  # both languages
    feats = [
        features(it, b, gloss, known.province_ko, lang) if f is None else _with_concepts(f, it, gloss)
        for it, b, lang, f in zip(everything, shared, langs, stored, strict=True)
    ]
    across = crosslingual.Batch.of([f.concepts for f in feats if f.concepts is not None], gloss)
    cdf = across.df if across else {}
    df: dict[str, int] = {}
    for f in feats:
        for t in f.words:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    fact_idf = math.log((n + 1) / (max(FACT_DF, FACT_SHARE * n) + 0.5))
    times = [_time(it).timestamp() for it in everything]
    window = window_days * 86400

    if n <= all_pairs_max:
        pairs: Iterable[tuple[int, int]] = ((i, j) for i in range(n) for j in range(i + 1, n))
    else:
        pairs = sorted(lsh_pairs(feats) | word_pairs(feats, df) | concept_pairs(feats, cdf))
    sims: dict[tuple[int, int], tuple[float, str]] = {}
    parent = list(range(n))
    for i, j in pairs:
        if j < n_earlier or abs(times[i] - times[j]) > window:
            continue  # two earlier items are already grouped by their story ids
        s = similarity(feats[i], feats[j], idf, fact_idf, across, _apart(i, j, n_earlier, times))
        if s[0] >= 0.75 * threshold:
            sims[(i, j)] = s
        if s[0] >= threshold:
            union(parent, i, j)
    by_story: dict[str, int] = {}
    for i in range(n_earlier):
        sid = everything[i].story_id
        if sid is not None:
            union(parent, i, by_story.setdefault(sid, i))

    components: dict[int, list[int]] = {}
    for i in range(n):
        components.setdefault(find(parent, i), []).append(i)
    out: list[Cluster] = []
    for members in _split(list(components.values()), sims, threshold):
        for group, evidence in _agglomerate(
            members, everything, n_earlier, feats, idf, fact_idf, sims, threshold, across, times
        ):
            current = [everything[i] for i in group if i >= n_earlier]
            if not current:
                continue
            old = tuple(sorted((everything[i] for i in group if i < n_earlier), key=lambda it: it.id))
            english = frozenset(everything[i].id for i in group if i >= n_earlier and langs[i])
            rep = representative(current, english)
            ordered = (rep, *sorted((it for it in current if it.id != rep.id), key=_item_order))
            sid = _stored_id(group, everything, n_earlier) or story_id_for(current)
            mine = {everything[i].id: feats[i] for i in group if i >= n_earlier}
            out.append(Cluster(ordered, old, sid, tuple(evidence), english, mine))
    out.sort(key=lambda c: min(it.id for it in c.items))
    return out


def _with_concepts(f: Features, item: Item, gloss: Glossary | None) -> Features:
    """Stored features in a batch of both languages: their concepts, from the title and summary
    (the text is not loaded)."""
    if gloss is None:
        return f
    return replace(f, concepts=crosslingual.concepts(item.title, item.summary, item.morphs, gloss, f.english))


def _apart(i: int, j: int, n_earlier: int, times: Sequence[float]) -> bool:
    """Is item `j` a possible follow-up of item `i` (published before, or a day or more apart)?"""
    return i < n_earlier or (bool(times) and abs(times[i] - times[j]) >= FOLLOW_UP_HOURS * 3600)


LARGEST_COMPONENT = 150  # larger connected groups are cut at a higher similarity first


def _split(
    components: list[list[int]], sims: Mapping[tuple[int, int], tuple[float, str]], threshold: float
) -> list[list[int]]:
    """Cut connected components that are too large to agglomerate exactly (a chain of generic
    look-alikes) by raising the bar on their edges until every piece is small enough."""
    out: list[list[int]] = []
    todo = [(c, threshold) for c in components]
    while todo:
        members, bar = todo.pop()
        if len(members) <= LARGEST_COMPONENT or bar >= 1.0:
            out.append(members)
            continue
        inside = set(members)
        parent = {i: i for i in members}

        bar = min(1.0, bar + 0.1)
        for (i, j), (s, _) in sims.items():
            if s >= bar and i in inside and j in inside:
                union(parent, i, j)
        pieces: dict[int, list[int]] = {}
        for i in members:
            pieces.setdefault(find(parent, i), []).append(i)
        todo.extend((p, bar) for p in pieces.values())
    return out


def _agglomerate(
    members: list[int],
    everything: Sequence[Item],
    n_earlier: int,
    feats: Sequence[Features],
    idf: Mapping[str, float],
    fact_idf: float,
    sims: dict[tuple[int, int], tuple[float, str]],
    threshold: float,
    across: crosslingual.Batch | None = None,
    times: Sequence[float] = (),
) -> list[tuple[list[int], list[str]]]:
    """Average-link agglomeration within one connected component, on every pair's similarity."""
    if len(members) == 1:
        return [(members, [])]
    m = len(members)
    pair = np.zeros((m, m))
    for a in range(m):
        for b in range(a + 1, m):
            i, j = members[a], members[b]
            if j < n_earlier:
                continue
            s = sims.get((i, j))
            if s is None:
                s = similarity(feats[i], feats[j], idf, fact_idf, across, _apart(i, j, n_earlier, times))
                sims[(i, j)] = s
            pair[a, b] = pair[b, a] = s[0] if s else 0.0
    # Start: one group per stored story id among the earlier items, one per other item.
    groups: list[list[int]] = []
    start: dict[str, int] = {}
    for a, i in enumerate(members):
        sid = everything[i].story_id if i < n_earlier else None
        if sid is not None and sid in start:
            groups[start[sid]].append(a)
            continue
        if sid is not None:
            start[sid] = len(groups)
        groups.append([a])
    g = len(groups)
    total = np.zeros((g, g))
    best = np.zeros((g, g))
    for x in range(g):
        for y in range(g):
            if x != y:
                block = pair[np.ix_(groups[x], groups[y])]
                total[x, y] = block.sum()
                best[x, y] = block.max()
    sizes = np.array([len(gr) for gr in groups], dtype=float)
    stored = [_stored_id([members[a] for a in gr], everything, n_earlier) for gr in groups]
    alive = np.ones(g, dtype=bool)
    evidence: list[list[str]] = [[] for _ in range(g)]
    while True:
        avg = total / np.outer(sizes, sizes)
        ok = (best >= threshold) & (avg >= 0.75 * threshold) & np.outer(alive, alive)
        np.fill_diagonal(ok, False)
        for x, y in zip(*np.nonzero(ok), strict=True):
            if stored[x] and stored[y] and stored[x] != stored[y]:
                ok[x, y] = False  # two stories already published stay two stories
        if not ok.any():
            break
        score = np.where(ok, avg, -1.0)
        x, y = divmod(int(score.argmax()), g)  # the first maximum: deterministic
        x, y = min(x, y), max(x, y)
        a, b = max(((a, b) for a in groups[x] for b in groups[y]), key=lambda p: pair[p])
        i, j = sorted((members[a], members[b]))
        reason = sims.get((i, j), (0.0, ""))[1]
        left, right = sorted((everything[i].source, everything[j].source))
        evidence[x].extend(evidence[y])
        evidence[x].append(f"{left} ↔ {right}: {reason} (avg {avg[x, y]:.2f})")
        groups[x].extend(groups[y])
        total[x, :] += total[y, :]
        total[:, x] = total[x, :]
        best[x, :] = np.maximum(best[x, :], best[y, :])
        best[:, x] = best[x, :]
        total[x, x] = best[x, x] = 0.0
        sizes[x] += sizes[y]
        stored[x] = stored[x] or stored[y]
        alive[y] = False
        total[y, :] = total[:, y] = best[y, :] = best[:, y] = 0.0
    return [([members[a] for a in groups[x]], evidence[x]) for x in range(g) if alive[x]]


def _stored_id(members: Iterable[int], everything: Sequence[Item], n_earlier: int) -> str | None:
    """The story id already published for these items, if any (the smallest, to be deterministic)."""
    ids: set[str] = set()
    for i in members:
        sid = everything[i].story_id
        if sid and (i < n_earlier or everything[i].issued_on):
            ids.add(sid)
    return min(ids) if ids else None


def _time(it: Item) -> datetime:
    return it.published or it.first_seen


def _item_order(it: Item) -> tuple[datetime, str]:
    return (_time(it), it.canonical_url)


def representative(items: Sequence[Item], english: Collection[int] = ()) -> Item:
    """The most complete original heads the story: the earliest item whose text is nearly as
    long as the longest (a reprint that adds a lead or a byline does not displace its original;
    a shortened reprint or a feed summary never heads). A Korean item heads a story that also
    has English coverage (`english`: the ids of the items in English): the digest is read in
    Korean."""
    items = [it for it in items if it.id not in english] or items
    longest = max(len(it.text or it.summary) for it in items)
    complete = [it for it in items if len(it.text or it.summary) >= 0.8 * longest]
    return min(complete, key=_item_order)


def story_id_for(items: Sequence[Item]) -> str:
    first = min(items, key=_item_order)
    return "s" + hashlib.sha1(first.canonical_url.encode("utf-8")).hexdigest()[:12]
