from __future__ import annotations

from digest.korean import CONTENT_TAGS, Morphs, analyse


def content(m: Morphs) -> tuple[str, ...]:
    """The words stories, themes and the learned model use: forms with a content tag."""
    return tuple(form for form, tag in m.tokens if tag in CONTENT_TAGS)


def test_spacing_and_particles_do_not_change_the_content_words() -> None:
    a = content(analyse("규제샌드박스 심의위원회가 실증특례를 부여했다"))
    b = content(analyse("규제 샌드박스 심의 위원회는 실증 특례를 부여한다"))
    # The same words once joined: spacing splits compounds differently, never drops or adds.
    assert "".join(a) == "".join(b) == "규제샌드박스심의위원회실증특례부여"
    assert not {"를", "가", "는", "했다"} & set(a + b)


def test_latin_is_folded_and_proper_nouns_found() -> None:
    m = analyse("휴이노가 AI 심전도 기기를 선보였다")
    assert "ai" in content(m)
    assert ("휴이노", "NNP") in m.tokens


def test_empty_text_needs_no_model() -> None:
    assert analyse("  ").tokens == ()
