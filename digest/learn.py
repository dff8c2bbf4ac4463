"""A small learned theme model: softmax regression on an item's morphemes. Pure; numpy only.

The configured terms stay the rules; this model learns from labeled examples the user gives
(an `examples:` file of URL → theme, or a labeled corpus) and `themes.place` consults it only
where the rules are weak, never against a strong explicit rule. Without examples there is no
model. Features are the content morphemes of the title and lead (`Item.morphs`, stored once per
item), so predicting costs no analysis; training on a few hundred items takes milliseconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .errors import ConfigError
from .korean import CONTENT_TAGS
from .models import OTHER, Item

__all__ = ["Model", "features", "read_examples", "train"]


def features(item: Item) -> frozenset[str]:
    """The item's content morphemes (nouns, roots, foreign words), or its title's words when no
    morphemes are stored."""
    if item.morphs:
        return frozenset(f for f, tag in item.morphs if tag in CONTENT_TAGS and tag != "SN" and len(f) > 1)
    return frozenset(w for w in item.title.lower().split() if len(w) > 1)


@dataclass(frozen=True)
class Model:
    """Weights per (theme, morpheme); `predict` explains itself by the heaviest morphemes."""

    classes: tuple[str, ...]
    vocab: tuple[str, ...]
    weights: np.ndarray  # classes × vocab
    bias: np.ndarray  # classes

    def _matrix(self, items: Sequence[Item]) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.vocab)}
        return _encode([features(it) for it in items], index)

    def predict(self, items: Sequence[Item]) -> tuple[str, float, tuple[str, ...]]:
        """The story's most likely theme (items vote by mean probability), that probability, and
        the morphemes that weighed most for it, as `morpheme +weight`."""
        if not items:
            return OTHER, 0.0, ()
        x = self._matrix(items)
        p = _softmax(x @ self.weights.T + self.bias).mean(axis=0)
        k = int(np.argmax(p))
        present = x.max(axis=0) > 0
        contrib = np.where(present, self.weights[k] - self.weights.mean(axis=0), 0.0)
        top = [i for i in np.argsort(-contrib)[:5] if contrib[i] > 0]
        return self.classes[k], float(p[k]), tuple(f"{self.vocab[i]} {contrib[i]:+.2f}" for i in top)


def train(
    examples: Iterable[tuple[Item, str]],
    *,
    min_count: int = 2,
    l2: float = 0.001,
    steps: int = 1000,
    rate: float = 2.0,
) -> Model | None:
    """Fit the model on (item, theme id) pairs; None when there is too little to learn from
    (fewer than two themes, or no morpheme seen `min_count` times)."""
    pairs = list(examples)
    classes = tuple(sorted({theme for _, theme in pairs}))
    if len(classes) < 2:
        return None
    feats = [features(it) for it, _ in pairs]
    counts = Counter(f for fs in feats for f in fs)
    vocab = tuple(sorted(f for f, c in counts.items() if c >= min_count))
    if not vocab:
        return None
    x = _encode(feats, {w: i for i, w in enumerate(vocab)})
    y = np.zeros((len(pairs), len(classes)))
    y[np.arange(len(pairs)), [classes.index(t) for _, t in pairs]] = 1.0
    w = np.zeros((len(classes), len(vocab)))
    b = np.zeros(len(classes))
    n = len(pairs)
    for _ in range(steps):
        g = _softmax(x @ w.T + b) - y  # n × classes
        w -= rate * (g.T @ x / n + l2 * w)
        b -= rate * g.mean(axis=0)
    return Model(classes=classes, vocab=vocab, weights=w, bias=b)


def _encode(feats: Sequence[frozenset[str]], index: dict[str, int]) -> np.ndarray:
    """Binary bag of morphemes, each row scaled to unit length."""
    x = np.zeros((len(feats), len(index)))
    for r, fs in enumerate(feats):
        cols = [index[f] for f in fs if f in index]
        if cols:
            x[r, cols] = 1.0 / np.sqrt(len(cols))
    return x


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(URL or URL path, theme id) pairs from an examples file: YAML or JSON mapping URL → theme,
    a list of {url, theme}, or JSON lines with `url` and `theme` (the corpus labels format)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "examples", f"cannot read: {exc.strerror}") from exc
    try:
        if path.suffix == ".jsonl":
            rows: object = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), "examples", f"not YAML, JSON or JSON lines: {exc}") from exc
    if isinstance(rows, dict):
        return [(str(k), str(v)) for k, v in rows.items()]
    if isinstance(rows, list) and all(isinstance(r, dict) and "url" in r and "theme" in r for r in rows):
        return [(str(r["url"]), str(r["theme"])) for r in rows]
    raise ConfigError(str(path), "examples", "expected a mapping URL → theme, or rows with url and theme")
