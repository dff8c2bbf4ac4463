"""Named programmes: what a follow-up with a new angle shares with the story it follows.

A programme that runs for weeks — a special zone, a pilot project, a virtual hospital — is
reported again with a new development, a new place, new numbers and few shared words. What the
reports share is the programme's name: a place or another proper noun, the programme's own words
and its kind (`강원 디지털헬스케어 규제자유특구`, `원주 디지털헬스케어 특구` — a city stands for
its province, 원주 for 강원 —, `충청권 가상병원`). Read from the stored morphemes, so spacing and
compounding do not matter (`디지털헬스케어` = `디지털 헬스케어`).

A programme key is ``place-or-name|words|kind``; two items that name the same key are about the
same programme. Without a proper noun there is no key: `AI 바우처 사업` names a scheme that
hundreds of unrelated announcements mention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["KINDS", "programmes"]

# The kinds of programme, by how their head noun ends (규제자유특구 and 특구 are one kind).
KINDS = ("특구", "사업", "가상병원", "샌드박스", "프로젝트", "클러스터", "시범도시", "실증단지")
_NOUNS = frozenset({"NNG", "NNP", "SL", "SN"})
MAX_WORDS = 4  # nouns before the head read as the programme's name


_LAST = frozenset(k[-1] for k in KINDS)


def _kind(form: str) -> str | None:
    if not form or form[-1] not in _LAST:  # most nouns: one set lookup
        return None
    return next((k for k in KINDS if form.endswith(k)), None)


def programmes(morphs: Sequence[tuple[str, str]], places: Mapping[str, str]) -> frozenset[str]:
    """The programme keys an item's title and lead name. `places`: every place of the glossary
    by its Korean name → its province (a province → itself), so that a city and its province
    name one programme."""
    keys: set[str] = set()
    for k, (form, tag) in enumerate(morphs):
        kind = _kind(form) if tag in ("NNG", "NNP") else None
        if kind is None:
            continue
        words: list[tuple[str, str]] = []
        head_rest = form[: -len(kind)]  # 스마트웰니스특구 → 스마트웰니스 (규제자유 is the kind's own)
        if head_rest and not head_rest.endswith("규제자유"):
            words.append((head_rest, "NNG"))
        j, quoted = k - 1, 0
        while j >= 0 and len(words) < MAX_WORDS:
            f, t = morphs[j]
            if t == "SSC":  # into a quoted name: 강원 '디지털헬스케어' 특구
                quoted += 1
            elif t == "SSO" and quoted:
                quoted -= 1
            elif t not in _NOUNS:
                break  # a particle, a verb, an opening quote the name is in, punctuation
            else:
                words.append((f, t))
            j -= 1
        words.reverse()
        # The name may start at any proper noun (what comes before it can be another phrase, or
        # the title's end when the walk runs from the lead back into it).
        for start, (_f, tag) in enumerate(words):
            if tag != "NNP":
                continue
            name = words[start:]
            anchor = next((n for n, (f, t) in enumerate(name) if t == "NNP" and f in places), 0)
            rest = "".join(f for n, (f, _t) in enumerate(name) if n != anchor)
            if rest:
                keys.add(f"{places.get(name[anchor][0], name[anchor][0])}|{rest}|{kind}")
    return frozenset(keys)
