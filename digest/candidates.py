"""Candidate pairs for clustering a large batch: which items are worth comparing at all.

Near linear, no all-pairs comparison: pairs whose text signatures share a MinHash LSH band
(reprints), pairs that share two of their rarest words (rewrites), and pairs of a Korean and an
English item that share two rare concepts (`digest.crosslingual`). A key shared by more than
MAX_BUCKET items says nothing about one event and makes no pair.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .stories import Features

__all__ = ["concept_pairs", "find", "lsh_pairs", "union", "word_pairs"]

LSH_ROWS = 3  # rows per LSH band: 21 bands of 3 make a Jaccard ≥ 0.5 pair a candidate ~94 % of the time
BLOCK_TERMS = 5  # rewrites: an item's rarest shared words, whose pairs are its blocking keys
MAX_BUCKET = 60  # a blocking key shared by more items says nothing about one event


def lsh_pairs(feats: Sequence[Features]) -> set[tuple[int, int]]:
    """Pairs whose signatures agree on a whole band of LSH_ROWS values (likely reprints)."""
    sig = np.stack([f.signature for f in feats]).astype(np.uint64)
    pairs: set[tuple[int, int]] = set()
    has_text = np.array([f.n_shingles >= 12 for f in feats])
    for start in range(0, len(feats[0].signature) - LSH_ROWS + 1, LSH_ROWS):
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


def word_pairs(feats: Sequence[Features], df: Mapping[str, int]) -> set[tuple[int, int]]:
    """Pairs that share two of their BLOCK_TERMS rarest words (rewrites name the same company,
    place and numbers). Words seen once say nothing; ties go by a fixed hash, not hash()."""

    def rarest(words: Iterable[str], k: int) -> list[str]:
        return sorted((t for t in words if df[t] >= 2), key=lambda t: (df[t], zlib.crc32(t.encode())))[:k]

    return _shared_pairs(
        [sorted(set(rarest(f.words, BLOCK_TERMS)) | set(rarest(f.title_words, 3))) for f in feats]
    )


def _shared_pairs(keys: Sequence[Sequence[str]]) -> set[tuple[int, int]]:
    """Pairs of items whose key lists share two keys (a pair of keys held by at most MAX_BUCKET items)."""
    buckets: dict[tuple[str, str], list[int]] = {}
    for i, rare in enumerate(keys):
        for k, p in enumerate(rare):
            for q in rare[k + 1 :]:
                buckets.setdefault((p, q), []).append(i)
    pairs: set[tuple[int, int]] = set()
    for run in buckets.values():
        if 1 < len(run) <= MAX_BUCKET:
            pairs.update((p, q) for k, p in enumerate(run) for q in run[k + 1 :])
    return pairs


def find(parent: dict[int, int] | list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def union(parent: dict[int, int] | list[int], i: int, j: int) -> None:
    ri, rj = find(parent, i), find(parent, j)
    if ri != rj:
        parent[max(ri, rj)] = min(ri, rj)


def concept_pairs(feats: Sequence[Features], df: Mapping[str, int]) -> set[tuple[int, int]]:
    """Pairs of a Korean and an English item that share two of their rarest concepts."""
    keys = [
        sorted(sorted(f.concepts.ids, key=lambda c: (df[c], zlib.crc32(c.encode())))[:BLOCK_TERMS])
        if f.concepts is not None
        else []
        for f in feats
    ]
    return {(p, q) for p, q in _shared_pairs(keys) if feats[p].english != feats[q].english}
