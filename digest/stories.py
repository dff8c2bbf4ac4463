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
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .boilerplate import boilerplate
from .identity import normalize as _normalize
from .korean import CONTENT_TAGS
from .models import LEAD_CHARS, Item

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
# A day of the month in a lead ("12일 오후", "14일 밝혔다"): the event's date.
_DAY = re.compile(r"(?<![0-9.])([1-9]|[12][0-9]|3[01])일(?![간째])")
FACT_TAGS = frozenset({"NNP", "SN", "SL", "SH"})
_FACT_TOKEN = re.compile(r"[0-9A-Za-z]")  # without the analyser: numbers and Latin names only
FACT_DF = 5  # a name or number shared by more than max(FACT_DF, FACT_SHARE × n) items is generic
FACT_SHARE = 0.01
SIGNATURE_SIZE = 64  # MinHash values per item
LSH_ROWS = 3  # rows per LSH band: 21 bands of 3 make a Jaccard ≥ 0.5 pair a candidate ~94 % of the time
SHINGLE = 5  # characters per shingle
SAMPLE = 4  # keep one shingle in SAMPLE (by hash): the same ones in every text, so Jaccard holds
_MASK64 = (1 << 64) - 1


def _perms(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed (a, b) of k multiply-shift hash functions: derived from sha256, never from hash()."""
    raw = b"".join(hashlib.sha256(f"digest-minhash-{i}".encode()).digest() for i in range(k))
    words = np.frombuffer(raw, dtype="<u8").reshape(k, 4)
    return (words[:, 0] | np.uint64(1)).astype(np.uint64), words[:, 1].astype(np.uint64)


_PERM_A, _PERM_B = _perms(SIGNATURE_SIZE)
_POW = [np.uint64(pow(1_000_003, SHINGLE - 1 - k, 1 << 64)) for k in range(SHINGLE)]


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


def shingle_hashes(text: str) -> np.ndarray:
    """The sampled 5-character shingles of a text (spacing and punctuation ignored), hashed to
    uint64, distinct and sorted. Vectorised: no Python loop over characters."""
    norm = _NON_WORD.sub("", _normalize(text))
    if len(norm) < SHINGLE:
        return np.zeros(0, dtype=np.uint64)
    cps = np.frombuffer(norm.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    n = len(cps) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE):
            h += cps[k : k + n] * _POW[k]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    out: np.ndarray = np.unique(h[h % np.uint64(SAMPLE) == 0])
    return out


def minhash(shingles: np.ndarray) -> np.ndarray:
    """SIGNATURE_SIZE MinHash values (uint32) of a shingle set; all-ones for an empty set."""
    if not len(shingles):
        return np.full(SIGNATURE_SIZE, 0xFFFFFFFF, dtype=np.uint32)
    with np.errstate(over="ignore"):
        v = (_PERM_A[:, None] * shingles[None, :] + _PERM_B[:, None]) >> np.uint64(32)
    sig: np.ndarray = v.min(axis=1).astype(np.uint32)
    return sig


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


def features(item: Item, drop: np.ndarray | None = None) -> Features:
    """`drop`: shingles left out of the text's signature (sentences the batch shares
    across unrelated items, see `digest.boilerplate`)."""
    body = item.text or item.summary
    sh = shingle_hashes(body)
    if drop is not None and len(drop):
        sh = np.setdiff1d(sh, drop, assume_unique=True)
    title_norm = _NON_WORD.sub("", _normalize(item.title))
    lead = item.title + "\n" + body[:LEAD_CHARS]
    if item.morphs:
        words = frozenset(
            f for f, t in item.morphs if t in CONTENT_TAGS and (len(f) >= 2 or t in ("NNP", "SL", "SN"))
        )
        facts = _facts(item.morphs)
    else:
        words = frozenset(tokens(lead))
        facts = frozenset(t for t in words if _FACT_TOKEN.search(t))
    title_words = tuple(sorted(w for w in words if w in title_norm))
    days = frozenset(int(d) for d in _DAY.findall(unicodedata.normalize("NFKC", body[:LEAD_CHARS])))
    return Features(minhash(sh), len(sh), tuple(sorted(words)), title_words, days, tuple(sorted(facts)))


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
    a: Features, b: Features, idf: Mapping[str, float], fact_idf: float = 0.0
) -> tuple[float, str]:
    """A score in [0, 1] that two items report the same event (0.5 is the bar), and why.

    Reprints: most of one text is in the other. Rewrites: the rare words of title and lead —
    names, places, numbers — overlap (idf-weighted), and each title's words are found in the
    other item; two leads that date the event on different days are different events. A rewrite
    must share a name or number rarer than `fact_idf` when both items name any, and so must a
    reprint: look-alikes share the topic's words and phrasing, not its company, place or amounts."""
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


ALL_PAIRS_MAX = 400  # up to this many items every pair in the time window is compared
BLOCK_TERMS = 5  # rewrites: an item's rarest shared words, whose pairs are its blocking keys
MAX_BUCKET = 60  # a blocking key shared by more items says nothing about one event


def cluster(
    items: Sequence[Item],
    earlier: Sequence[Item] = (),
    threshold: float = 0.5,
    window_days: float = 7.0,
    all_pairs_max: int = ALL_PAIRS_MAX,
) -> list[Cluster]:
    """Group `items` into stories. `earlier` items (already published, with story ids) seed
    their stories so that a follow-up joins them; they are never repeated as digest items.

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
    shared = boilerplate(
        [it.text or it.summary for it in everything], [it.title for it in everything], shingle_hashes, tokens
    )
    feats = [features(it, b) for it, b in zip(everything, shared, strict=True)]
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
        pairs = sorted(_lsh_pairs(feats) | _word_pairs(feats, df))
    sims: dict[tuple[int, int], tuple[float, str]] = {}
    parent = list(range(n))
    for i, j in pairs:
        if j < n_earlier or abs(times[i] - times[j]) > window:
            continue  # two earlier items are already grouped by their story ids
        s = similarity(feats[i], feats[j], idf, fact_idf)
        if s[0] >= 0.75 * threshold:
            sims[(i, j)] = s
        if s[0] >= threshold:
            _union(parent, i, j)
    by_story: dict[str, int] = {}
    for i in range(n_earlier):
        sid = everything[i].story_id
        if sid is not None:
            _union(parent, i, by_story.setdefault(sid, i))

    components: dict[int, list[int]] = {}
    for i in range(n):
        components.setdefault(_find(parent, i), []).append(i)
    out: list[Cluster] = []
    for members in _split(list(components.values()), sims, threshold):
        for group, evidence in _agglomerate(
            members, everything, n_earlier, feats, idf, fact_idf, sims, threshold
        ):
            current = [everything[i] for i in group if i >= n_earlier]
            if not current:
                continue
            old = tuple(sorted((everything[i] for i in group if i < n_earlier), key=lambda it: it.id))
            rep = representative(current)
            ordered = (rep, *sorted((it for it in current if it.id != rep.id), key=_item_order))
            sid = _stored_id(group, everything, n_earlier) or story_id_for(current)
            out.append(Cluster(items=ordered, earlier=old, story_id=sid, evidence=tuple(evidence)))
    out.sort(key=lambda c: min(it.id for it in c.items))
    return out


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
                _union(parent, i, j)
        pieces: dict[int, list[int]] = {}
        for i in members:
            pieces.setdefault(_find(parent, i), []).append(i)
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
                s = similarity(feats[i], feats[j], idf, fact_idf)
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


def _lsh_pairs(feats: Sequence[Features]) -> set[tuple[int, int]]:
    """Pairs whose signatures agree on a whole band of LSH_ROWS values (likely reprints)."""
    sig = np.stack([f.signature for f in feats]).astype(np.uint64)
    pairs: set[tuple[int, int]] = set()
    has_text = np.array([f.n_shingles >= 12 for f in feats])
    for start in range(0, SIGNATURE_SIZE - LSH_ROWS + 1, LSH_ROWS):
        key = np.zeros(len(feats), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(LSH_ROWS):
                key = key * np.uint64(0x100000001B3) + sig[:, start + r]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        edges = np.flatnonzero(np.diff(ks)) + 1
        for run in np.split(order, edges):
            if 1 < len(run) <= MAX_BUCKET:
                run = np.sort(run[has_text[run]])
                pairs.update((int(p), int(q)) for k, p in enumerate(run) for q in run[k + 1 :])
    return pairs


def _word_pairs(feats: Sequence[Features], df: Mapping[str, int]) -> set[tuple[int, int]]:
    """Pairs that share two of their BLOCK_TERMS rarest words (rewrites name the same company,
    place and numbers). Words seen once say nothing; ties go by a fixed hash, not hash()."""
    buckets: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(feats):

        def rarest(words: Iterable[str], k: int) -> list[str]:
            return sorted((t for t in words if df[t] >= 2), key=lambda t: (df[t], zlib.crc32(t.encode())))[:k]

        rare = sorted(set(rarest(f.words, BLOCK_TERMS)) | set(rarest(f.title_words, 3)))
        for k, p in enumerate(rare):
            for q in rare[k + 1 :]:
                buckets.setdefault((p, q), []).append(i)
    pairs: set[tuple[int, int]] = set()
    for run in buckets.values():
        if 1 < len(run) <= MAX_BUCKET:
            pairs.update((p, q) for k, p in enumerate(run) for q in run[k + 1 :])
    return pairs


def _find(parent: dict[int, int] | list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: dict[int, int] | list[int], i: int, j: int) -> None:
    ri, rj = _find(parent, i), _find(parent, j)
    if ri != rj:
        parent[max(ri, rj)] = min(ri, rj)


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


def representative(items: Sequence[Item]) -> Item:
    """The most complete original heads the story: the earliest item whose text is nearly as
    long as the longest (a reprint that adds a lead or a byline does not displace its original;
    a shortened reprint or a feed summary never heads)."""
    longest = max(len(it.text or it.summary) for it in items)
    complete = [it for it in items if len(it.text or it.summary) >= 0.8 * longest]
    return min(complete, key=_item_order)


def story_id_for(items: Sequence[Item]) -> str:
    first = min(items, key=_item_order)
    return "s" + hashlib.sha1(first.canonical_url.encode("utf-8")).hexdigest()[:12]
