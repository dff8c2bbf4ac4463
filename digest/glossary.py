"""The bilingual glossary: Korean names and domain terms with their English forms.

Shipped as data (`digest/glossary.yaml`), extended by the user's `glossary:` in sources.yaml
with the same sections; compiled once into what matching needs (`Glossary`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml

from .models import GlossaryTerm

__all__ = ["KINDS", "Glossary", "GlossaryError", "en_key", "glossary", "parse_glossary", "place_keys"]

KINDS = ("places", "orgs", "agencies", "terms")
_KIND: dict[str, Literal["place", "org", "agency", "term"]] = {
    "places": "place", "orgs": "org", "agencies": "agency", "terms": "term"
}  # fmt: skip


@dataclass(frozen=True)
class Glossary:
    """Glossary entries indexed for matching: Korean spellings (squeezed) and English phrases."""

    korean: tuple[tuple[str, str], ...]  # (Korean spelling without spaces, concept id), longest first
    places_ko: Mapping[str, str]  # Korean place name → concept id (matched on proper-noun morphemes)
    english: re.Pattern[str] | None  # every English form, longest first
    english_ids: Mapping[str, str]  # folded-case English form → concept id
    parent: Mapping[str, str] = field(default_factory=dict)  # place id → its province's id
    province_ko: Mapping[str, str] = field(default_factory=dict)  # Korean place → its province (or itself)


@lru_cache(maxsize=1)
def _shipped() -> tuple[GlossaryTerm, ...]:
    text = resources.files("digest").joinpath("glossary.yaml").read_text(encoding="utf-8")
    return parse_glossary(yaml.safe_load(text), "glossary.yaml")


class GlossaryError(ValueError):
    """A glossary entry that cannot be read: which key, and why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


def parse_glossary(raw: object, where: str) -> tuple[GlossaryTerm, ...]:
    """Glossary entries from their YAML form (see glossary.yaml); GlossaryError names the bad key."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise GlossaryError(f"{where}", f"must be a mapping of {', '.join(KINDS)}")
    out: list[GlossaryTerm] = []
    for section, entries in raw.items():
        if section not in KINDS:
            raise GlossaryError(
                f"{where}.{section}", f"unknown section (expected one of: {', '.join(KINDS)})"
            )
        if not isinstance(entries, dict):
            raise GlossaryError(f"{where}.{section}", "must be a mapping of Korean → English")
        for ko, value in entries.items():
            key = f"{where}.{section}.{ko}"
            parent = None
            aliases: list[str] = []
            if isinstance(value, dict):
                unknown = set(value) - {"en", "ko", "in"}
                if unknown:
                    raise GlossaryError(f"{key}", f"unknown key {sorted(unknown)[0]!r} (expected en, ko, in)")
                en, aliases, parent = value.get("en"), _strings(value.get("ko", []), key), value.get("in")
            else:
                en = value
            english = _strings(en, key)
            if not english or not str(ko).strip():
                raise GlossaryError(f"{key}", "needs a Korean name and at least one English form")
            out.append(
                GlossaryTerm(_KIND[section], (str(ko), *aliases), tuple(english), parent and str(parent))
            )
    return tuple(out)


def _strings(value: object, key: str) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise GlossaryError(f"{key}", "must be a string or a list of strings")
    return [str(v).strip() for v in items]


def place_keys() -> frozenset[str]:
    """The Korean keys of the shipped glossary's places (what a user's `in:` may name)."""
    return frozenset(t.korean[0] for t in _shipped() if t.kind == "place")


def glossary(extra: Sequence[GlossaryTerm] = ()) -> Glossary:
    """The shipped glossary with the user's entries (a user's Korean key replaces a shipped one)."""
    return _compile(tuple(extra))


@lru_cache(maxsize=8)
def _compile(extra: tuple[GlossaryTerm, ...]) -> Glossary:
    by_key: dict[str, GlossaryTerm] = {t.korean[0]: t for t in _shipped()}
    by_key.update({t.korean[0]: t for t in extra})
    korean: dict[str, str] = {}
    places: dict[str, str] = {}
    english: dict[str, str] = {}
    ids = {ko: f"{t.kind}:{en_key(t.english[0])}" for ko, t in by_key.items()}
    parent: dict[str, str] = {}
    province_ko: dict[str, str] = {}
    for ko, t in by_key.items():
        if t.kind == "place":
            province_ko.update((spelling, t.parent or ko) for spelling in t.korean)
        cid = ids[ko]
        for spelling in t.korean:
            squeezed = re.sub(r"\s+", "", unicodedata.normalize("NFKC", spelling))
            (places if t.kind == "place" else korean)[squeezed] = cid
        for form in t.english:
            english[en_key(form)] = cid
        if t.parent and t.parent in ids:
            parent[cid] = ids[t.parent]
    forms = sorted(english, key=len, reverse=True)
    alternation = "|".join(re.escape(f).replace(r"\ ", r"[\s\-]+") for f in forms)
    pattern = re.compile(rf"(?<![a-z0-9])(?:{alternation})s?(?![a-z0-9])") if forms else None
    return Glossary(
        korean=tuple(sorted(korean.items(), key=lambda kv: -len(kv[0]))),
        places_ko=places,
        english=pattern,
        english_ids=english,
        parent=parent,
        province_ko=province_ko,
    )


def en_key(form: str) -> str:
    return re.sub(r"[\s\-]+", " ", unicodedata.normalize("NFKC", form).lower()).strip()
