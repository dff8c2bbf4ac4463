from __future__ import annotations

import pytest

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


def test_the_analyser_is_unloaded_after_a_collect_and_loads_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # A `digest` process unloads the analyser when its collect is done: the assembly that follows
    # (and a resident scheduler between collects) keeps its memory back. Measured in a process of
    # its own; the next analysis loads it again and reads the same.
    import subprocess
    import sys

    monkeypatch.delenv("DIGEST_KEEP_ANALYSER")
    code = (
        "from digest import korean\n"
        "def rss():\n"
        "    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) // 1024\n"
        "first = korean.analyse('휴이노가 AI 심전도 기기를 선보였다').tokens\n"
        "loaded = rss(); korean.release(); freed = rss()\n"
        "again = korean.analyse('휴이노가 AI 심전도 기기를 선보였다').tokens\n"
        "print(loaded - freed, first == again, korean.analyser.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    freed_mb, same, loaded = out.stdout.split()
    assert int(freed_mb) >= 100 and same == "True" and loaded == "1", out.stdout
