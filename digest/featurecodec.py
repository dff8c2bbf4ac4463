"""What clustering knew of an item, as the state stores it: compact bytes, read back without
the item's text (no pickle: the state file is data, never code).

A published item's features (`stories.Features`: its MinHash signature with its batch's
boilerplate left out, its words, title words, days, names and numbers, language, programmes) are
stored with the digest that publishes it. Later runs match new items against them instead of
loading and analysing the texts of a week of earlier items again. Concepts are not stored: they
depend on the glossary, and are made from the title and summary when a batch needs them.
"""

from __future__ import annotations

import json
import sys
import zlib

import numpy as np

from .signatures import SIGNATURE_SIZE
from .stories import Features

__all__ = ["VERSION", "decode", "encode"]

VERSION = 1  # a blob of another version is ignored (the features are computed again)


def encode(f: Features) -> bytes:
    sig = np.asarray(f.signature, dtype="<u4").tobytes()
    body = {
        "v": VERSION,
        "n": int(f.n_shingles),
        "w": list(f.words),
        "t": list(f.title_words),
        "d": sorted(f.days),
        "f": list(f.facts),
        "e": bool(f.english),
        "p": list(f.programmes),
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return zlib.compress(sig + text, 6)


def _words(values: list[object]) -> tuple[str, ...]:
    """Interned: a week of earlier items shares most of its words (one string each, not one per
    item that has it)."""
    return tuple(sys.intern(str(w)) for w in values)


def decode(blob: bytes) -> Features | None:
    """The features, or None for a blob this version cannot read (computed again, never fatal)."""
    try:
        raw = zlib.decompress(blob)
        size = SIGNATURE_SIZE * 4
        if len(raw) < size:
            return None
        body = json.loads(raw[size:].decode("utf-8"))
        if body.get("v") != VERSION:
            return None
        return Features(
            signature=np.frombuffer(raw[:size], dtype="<u4").astype(np.uint32),
            n_shingles=int(body["n"]),
            words=_words(body["w"]),
            title_words=_words(body["t"]),
            days=frozenset(int(d) for d in body["d"]),
            facts=_words(body["f"]),
            english=bool(body["e"]),
            programmes=_words(body["p"]),
        )
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return None
