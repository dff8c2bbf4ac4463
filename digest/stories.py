"""Same item, reprints and rewrites → stories. Pure functions on plain data.

- `canonical_url` folds tracking parameters, fragments and case so one article is one item.
- `cluster` groups a day's items (with recently published items as context, so follow-ups join
  their earlier story) by average-link agglomeration over a pairwise similarity built from
  character shingles (reprints: containment survives a new lead or a dropped paragraph) and
  title bigrams (rewrites). Average link, not single link: a middle item cannot chain two
  unrelated stories together.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .models import Item

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|ref|ref_src|"
    r"from|sns|share|nclick|ncid|ocid|cmpid|rss|feed)$",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]", re.UNICODE)


def canonical_url(url: str) -> str:
    """One spelling per article: lower-case scheme and host, no default port, no fragment, no
    tracking parameters (utm_*, fbclid …); parameters that identify the article (idxno …) stay."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    path = parts.path or "/"
    # http and https are the same article.
    return urlunsplit(("http", netloc, path, urlencode(query), ""))


def clean_url(url: str) -> str:
    """The URL to show and store: tracking parameters and fragment removed, nothing else changed."""
    parts = urlsplit(url.strip())
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def content_hash(title: str, text: str) -> str:
    """Exact-content hash: the same text under another URL is the same article."""
    norm = _normalize(title) + "\n" + _normalize(text)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


def _normalize(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text)).lower()


# --------------------------------------------------------------------------- features


_TOKEN = re.compile(r"[0-9A-Za-z가-힣]{2,}")
# Particles and endings cut from the end of a Korean word (a crude stand-in for a morphological
# analyser): longest first.
_SUFFIXES = sorted(
    [
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "의",
        "에",
        "에서",
        "으로",
        "로",
        "와",
        "과",
        "도",
        "만",
        "까지",
        "부터",
        "에게",
        "께서",
        "이다",
        "했다",
        "한다",
        "하는",
        "하고",
        "하며",
        "했으며",
        "된다",
        "됐다",
        "되는",
        "이라고",
        "라고",
        "이며",
        "에는",
        "에도",
        "으로는",
        "로는",
        "과의",
        "와의",
        "이나",
        "나",
        "들",
    ],
    key=len,
    reverse=True,
)


def tokens(text: str) -> set[str]:
    """Content words of a Korean or English text, particles cut off."""
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
    shingles: frozenset[int]
    title_grams: frozenset[str]
    words: frozenset[str]  # content words of the title and lead


def features(item: Item) -> Features:
    body = item.text or item.summary
    norm = _NON_WORD.sub("", _normalize(body))
    shingles = frozenset(hash(norm[i : i + 5]) for i in range(max(0, len(norm) - 4)))
    title = _NON_WORD.sub("", _normalize(item.title))
    grams = frozenset(title[i : i + 2] for i in range(max(0, len(title) - 1)))
    return Features(shingles, grams, frozenset(tokens(item.title + " " + body[:600])))


def similarity(a: Features, b: Features, idf: dict[str, float] | None = None) -> tuple[float, str]:
    """A score in [0, 1] that two items report the same event, and the evidence for it.

    Reprints share long character runs (containment); rewrites share the rare words — names,
    numbers, places — of title and lead (idf-weighted overlap) and part of the title."""
    containment = 0.0
    if a.shingles and b.shingles:
        inter = len(a.shingles & b.shingles)
        small = min(len(a.shingles), len(b.shingles))
        containment = inter / small if small >= 20 else 0.0
    title = 0.0
    if a.title_grams and b.title_grams:
        title = 2 * len(a.title_grams & b.title_grams) / (len(a.title_grams) + len(b.title_grams))
    words = 0.0
    shared: list[str] = []
    if a.words and b.words:
        w = idf or {}
        union = a.words | b.words
        common = a.words & b.words
        total = sum(w.get(t, 1.0) for t in union)
        words = sum(w.get(t, 1.0) for t in common) / total if total else 0.0
        shared = sorted(common, key=lambda t: -w.get(t, 1.0))[:5]
    rewrite = 0.3 * title + 0.7 * min(1.0, 3.0 * words) if words >= 0.1 else 0.5 * title
    if containment >= rewrite:
        return containment, f"text overlap {containment:.2f}"
    return rewrite, f"title {title:.2f} + shared words {words:.2f} ({', '.join(shared)})"


# --------------------------------------------------------------------------- clustering


@dataclass(frozen=True)
class Cluster:
    items: tuple[Item, ...]  # the digest's items of this story, representative first
    earlier: tuple[Item, ...]  # items of this story published by earlier digests
    story_id: str
    evidence: tuple[str, ...]


def cluster(
    items: Sequence[Item],
    earlier: Sequence[Item] = (),
    threshold: float = 0.5,
    window_days: float = 7.0,
) -> list[Cluster]:
    """Group `items` into stories. `earlier` items (already published, with story ids) seed
    their stories so that a follow-up joins them; they are never repeated as digest items.

    Agglomerative: repeatedly merge the two groups with the highest average similarity, as
    long as their closest pair reaches `threshold` and their average 0.8 × `threshold`."""
    everything: list[Item] = [*earlier, *items]
    n = len(everything)
    n_earlier = len(earlier)
    feats = [features(it) for it in everything]
    df: dict[str, int] = {}
    for f in feats:
        for t in f.words:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    # Start: one group per stored story id among the earlier items, one per other item.
    groups: list[list[int]] = []
    by_story: dict[str, int] = {}
    for i, it in enumerate(everything):
        sid = it.story_id if i < n_earlier else None
        if sid is not None and sid in by_story:
            groups[by_story[sid]].append(i)
            continue
        if sid is not None:
            by_story[sid] = len(groups)
        groups.append([i])

    sim: dict[tuple[int, int], tuple[float, str]] = {}
    for i in range(n):
        for j in range(i + 1, n):
            if i < n_earlier and j < n_earlier:
                continue
            if not _within(everything[i], everything[j], window_days):
                continue
            s = similarity(feats[i], feats[j], idf)
            if s[0] > 0.05:
                sim[(i, j)] = s

    def pair(i: int, j: int) -> float:
        return sim.get((i, j) if i < j else (j, i), (0.0, ""))[0]

    evidence: dict[int, list[str]] = {g: [] for g in range(len(groups))}
    alive = set(range(len(groups)))
    while True:
        best: tuple[float, int, int] | None = None
        for ga in sorted(alive):
            for gb in sorted(alive):
                if gb <= ga:
                    continue
                ida = _stored_id(groups[ga], everything, n_earlier)
                idb = _stored_id(groups[gb], everything, n_earlier)
                if ida and idb and ida != idb:
                    continue  # two stories already published stay two stories
                sims = [pair(i, j) for i in groups[ga] for j in groups[gb]]
                avg = sum(sims) / len(sims)
                # The closest pair must be similar enough, and the groups as a whole nearly so:
                # a follow-up joins an original and its reprints, but a middle item cannot
                # chain two unrelated stories (their average stays low).
                if max(sims) >= threshold and avg >= 0.8 * threshold and (best is None or avg > best[0]):
                    best = (avg, ga, gb)
        if best is None:
            break
        avg, ga, gb = best
        i, j = max(((i, j) for i in groups[ga] for j in groups[gb]), key=lambda p: pair(*p))
        reason = sim.get((i, j) if i < j else (j, i), (0.0, ""))[1]
        evidence[ga].extend(evidence.pop(gb))
        left, right = sorted((everything[i].source, everything[j].source))
        evidence[ga].append(f"{left} ↔ {right}: {reason} (avg {avg:.2f})")
        groups[ga].extend(groups[gb])
        alive.remove(gb)

    out: list[Cluster] = []
    for g in sorted(alive):
        members = groups[g]
        current = [everything[i] for i in members if i >= n_earlier]
        if not current:
            continue
        old = tuple(sorted((everything[i] for i in members if i < n_earlier), key=lambda it: it.id))
        rep = representative(current)
        ordered = (rep, *sorted((it for it in current if it.id != rep.id), key=_item_order))
        sid = _stored_id(members, everything, n_earlier) or story_id_for(current)
        out.append(Cluster(items=ordered, earlier=old, story_id=sid, evidence=tuple(evidence[g])))
    return out


def _stored_id(members: Iterable[int], everything: Sequence[Item], n_earlier: int) -> str | None:
    """The story id already published for these items, if any (the smallest, to be deterministic)."""
    ids: set[str] = set()
    for i in members:
        sid = everything[i].story_id
        if sid and (i < n_earlier or everything[i].issued_on):
            ids.add(sid)
    return min(ids) if ids else None


def _within(a: Item, b: Item, days: float) -> bool:
    ta = a.published or a.first_seen
    tb = b.published or b.first_seen
    return abs((ta - tb).total_seconds()) <= days * 86400


def _item_order(it: Item) -> tuple[datetime, str]:
    return (it.published or it.first_seen, it.canonical_url)


def representative(items: Sequence[Item]) -> Item:
    """The most complete item heads the story: the longest text; ties go to the earliest."""
    return min(
        items, key=lambda it: (-len(it.text or it.summary), it.published or it.first_seen, it.canonical_url)
    )


def story_id_for(items: Sequence[Item]) -> str:
    first = min(items, key=_item_order)
    return "s" + hashlib.sha1(first.canonical_url.encode("utf-8")).hexdigest()[:12]
