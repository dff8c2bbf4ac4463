"""Text signatures for reprint detection: sampled character shingles and their MinHash.

Pure numpy, vectorised: no Python loop over characters. The hash functions are fixed (derived
from sha256, never from hash()), so a signature means the same in every process and run.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from .identity import normalize as _normalize

__all__ = ["SHINGLE", "SIGNATURE_SIZE", "minhash", "shingle_hashes"]

_NON_WORD = re.compile(r"[^\w]", re.UNICODE)
SIGNATURE_SIZE = 64  # MinHash values per item
SHINGLE = 5  # characters per shingle
SAMPLE = 4  # keep one shingle in SAMPLE (by hash): the same ones in every text, so Jaccard holds


def _perms(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed (a, b) of k multiply-shift hash functions: derived from sha256, never from hash()."""
    raw = b"".join(hashlib.sha256(f"digest-minhash-{i}".encode()).digest() for i in range(k))
    words = np.frombuffer(raw, dtype="<u8").reshape(k, 4)
    return (words[:, 0] | np.uint64(1)).astype(np.uint64), words[:, 1].astype(np.uint64)


_PERM_A, _PERM_B = _perms(SIGNATURE_SIZE)
_POW = [np.uint64(pow(1_000_003, SHINGLE - 1 - k, 1 << 64)) for k in range(SHINGLE)]


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
