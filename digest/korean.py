"""The Korean morphological analyser (kiwipiepy), loaded once per process, behind our own API.

A leaf utility like `charset` and `dates`: stories and themes both need Korean words without
spacing or particles. Loading takes ~1.5 s and ~500 MB, analysis ~25-50 articles/s, so callers
analyse the title and lead only, once per item, and keep the result (see `Morphs`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import timing

__all__ = ["CONTENT_TAGS", "Morphs", "analyse", "analyse_many", "analyser", "release"]

# Nouns (common, proper, dependent-free), foreign words, numbers, roots: the words that carry
# what an article is about. Particles, endings, suffixes and punctuation are dropped.
CONTENT_TAGS = frozenset({"NNG", "NNP", "SL", "SN", "XR", "SH"})
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Morphs:
    """One text's morphemes: (form, tag) pairs in order; `form` of SL (Latin) is lower-cased."""

    tokens: tuple[tuple[str, str], ...]


@lru_cache(maxsize=1)
def analyser() -> Any:
    """The process-wide Kiwi instance (loaded on first use)."""
    with _LOCK:
        from kiwipiepy import Kiwi

        return Kiwi()


def release() -> None:
    """Unload the analyser (a collect is done with it; the next one loads it again, 2-4 s): the
    rest of a run and a resident scheduler between collects keep ~500 MB less. DIGEST_KEEP_ANALYSER=1
    keeps it (the tests, which run many collects in one process)."""
    if analyser.cache_info().currsize == 0 or os.environ.get("DIGEST_KEEP_ANALYSER"):
        return
    with _LOCK:
        analyser.cache_clear()
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand the model's freed pages back to the system


def analyse(text: str) -> Morphs:
    """Morphemes of `text` (empty text → empty result, without loading the model)."""
    return analyse_many([text])[0]


def analyse_many(texts: Sequence[str]) -> list[Morphs]:
    """Morphemes of each text, in one call to the analyser (a batch of a source's items costs
    about half of the same texts one by one); no text to analyse → no model loaded."""
    todo = [k for k, t in enumerate(texts) if t.strip()]
    out = [Morphs(())] * len(texts)
    if not todo:
        return out
    with timing.timed("analyse", len(todo)):
        results = list(analyser().tokenize([texts[k] for k in todo]))
        for k, tokens in zip(todo, results, strict=True):
            out[k] = Morphs(tuple((t.form.lower() if t.tag == "SL" else t.form, str(t.tag)) for t in tokens))
    return out
