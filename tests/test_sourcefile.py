"""Editing a sources.yaml in place (digest/sourcefile.py) and `digest sources …` (digest/sourcescli.py):
comments and the other entries unchanged byte for byte, and the file still a valid configuration."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import stat
import time
import unicodedata
from pathlib import Path

import pytest

import digest.sourcefile
from digest.config import load_settings
from digest.errors import ConfigError
from digest.models import Source
from digest.opml import read_opml
from digest.sourcefile import add_sources, list_sources, set_enabled, set_url
from digest.sourcescli import add_parser, run

OPML = Path(__file__).parent / "data" / "opml"
ENTRY_2 = (
    '  - {name: 의협신문, url: "https://www.doctorsnews.co.kr/rss/allArticle.xml", type: feed, tags: [의료]}'
)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    shutil.copy(OPML / "sources_with_comments.yaml", path)
    return path


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def names(path: Path) -> list[str]:
    return [s.name for s in load_settings(path, env={}).sources]


def test_adding_appends_one_line_entries_after_the_last_and_changes_nothing_else(sources: Path) -> None:
    before = lines(sources)
    result = add_sources(
        sources,
        [
            Source("새 매체", "https://new.example/rss", tags=("의료", "AI")),
            Source("목록 페이지", "https://gov.example/list", type="page", selector="a.title", enabled=False),
        ],
    )
    assert result.added == ("새 매체", "목록 페이지") and result.skipped == ()
    new = [
        '  - {name: 새 매체, url: "https://new.example/rss", type: feed, tags: [의료, AI]}',
        '  - {name: 목록 페이지, url: "https://gov.example/list", type: page, selector: a.title, enabled: false}',
    ]
    last = before.index(
        '  - {name: 보건복지부, url: "https://www.korea.kr/rss/dept_mw.xml", type: feed, tags: [정부, 복지]}'
    )
    assert lines(sources) == [*before[: last + 1], *new, *before[last + 1 :]]
    settings = load_settings(sources, env={})
    assert [(s.name, s.type, s.enabled) for s in settings.sources[-2:]] == [
        ("새 매체", "feed", True),
        ("목록 페이지", "page", False),
    ]


def test_a_url_already_in_the_file_is_skipped_naming_the_entry(sources: Path) -> None:
    before = sources.read_bytes()
    result = add_sources(
        sources, [Source("DocDoc", "http://docdocdoc.co.kr/rss/allArticle.xml?utm_source=x")]
    )
    assert result.added == ()
    assert result.skipped == (
        "DocDoc <http://docdocdoc.co.kr/rss/allArticle.xml?utm_source=x>: already in the file as '청년의사'",
    )
    assert sources.read_bytes() == before  # nothing added: not even rewritten


def test_names_are_made_unique(sources: Path) -> None:
    result = add_sources(
        sources, [Source("청년의사", "https://a.example/rss"), Source("청년의사", "https://b.example/rss")]
    )
    assert result.added == ("청년의사 (2)", "청년의사 (3)")
    assert names(sources)[-3:] == ["보건복지부", "청년의사 (2)", "청년의사 (3)"]


def test_a_file_without_sources_gets_the_key_and_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    text = "# 새 설정\ndigest:\n  title: 테스트   # 제목\n# 끝\n"
    path.write_text(text, encoding="utf-8")
    add_sources(path, [Source("청년의사", "https://www.docdocdoc.co.kr/rss/allArticle.xml", tags=("의료",))])
    assert path.read_text(encoding="utf-8") == (
        text + 'sources:\n  - {name: 청년의사, url: "https://www.docdocdoc.co.kr/rss/allArticle.xml", '
        "type: feed, tags: [의료]}\n"
    )
    assert names(path) == ["청년의사"]


def test_disable_changes_that_entry_only_and_enable_gives_the_file_back(sources: Path) -> None:
    original = sources.read_bytes()
    before = lines(sources)
    assert set_enabled(sources, "의협신문", False)
    after = lines(sources)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [before.index(ENTRY_2 + "  # 주간")]
    assert after[changed[0]].startswith(ENTRY_2[:-1] + ", enabled: false}")
    assert after[changed[0]].endswith("# 주간")
    assert [s.enabled for s in load_settings(sources, env={}).sources] == [True, False, True]
    assert set_enabled(sources, "의협신문", False)  # already: the file is left as it is
    assert set_enabled(sources, "의협신문", True)
    assert lines(sources)[changed[0]].startswith(ENTRY_2)
    assert [s.enabled for s in load_settings(sources, env={}).sources] == [True, True, True]
    assert lines(sources)[: changed[0]] == before[: changed[0]]
    assert sources.read_bytes().count(b"\n") == original.count(b"\n")


def test_an_unknown_name_changes_nothing(sources: Path) -> None:
    before = sources.read_bytes()
    assert not set_enabled(sources, "없는 매체", False)
    assert not set_url(sources, "없는 매체", "https://x.example/")
    assert sources.read_bytes() == before


def test_set_url_keeps_the_quotes_and_the_mode(sources: Path) -> None:
    os.chmod(sources, 0o600)
    assert set_url(sources, "보건복지부", "https://www.mohw.go.kr/rss/board.es?mid=a10503")
    assert '  - {name: 보건복지부, url: "https://www.mohw.go.kr/rss/board.es?mid=a10503", type: feed' in (
        sources.read_text(encoding="utf-8")
    )
    assert stat.S_IMODE(sources.stat().st_mode) == 0o600
    assert load_settings(sources, env={}).sources[2].url == "https://www.mohw.go.kr/rss/board.es?mid=a10503"
    with pytest.raises(ConfigError, match="must be an http"):
        set_url(sources, "보건복지부", "ftp://x.example/")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("- a\n- b\n", "must be a mapping with a `sources:` list"), ("sources: {a: 1}\n", "must be a list")],
)
def test_a_file_that_is_not_a_sources_file_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=reason):
        add_sources(path, [Source("a", "https://a.example/")])
    assert path.read_text(encoding="utf-8") == text


def test_list_sources_reads_the_file_as_digest_does(sources: Path, tmp_path: Path) -> None:
    assert list_sources(sources) == load_settings(sources, env={}).sources
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        "sources:\n  - {name: a, url: 'https://a.example/'}\n  - {name: a, url: 'https://b.example/'}\n"
    )
    with pytest.raises(ConfigError, match="duplicate source name 'a'"):
        list_sources(twice)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        set_enabled(tmp_path / "nope.yaml", "a", False)


# --------------------------------------------------------------------------- digest sources …


def cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="digest")
    add_parser(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    code = run(parser.parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_import_adds_the_feeds_and_reports_each_skip(sources: Path) -> None:
    code, out, err = cli("sources", "import", str(OPML / "reader.opml"), "--sources", str(sources))
    assert code == 0 and err == ""
    report = out.splitlines()
    assert report[0] == "imported 4, skipped 6"
    assert len(report) == 7 and all(r.startswith("  skipped: line ") for r in report[1:5])  # in the OPML
    assert "already in the file as '청년의사'" in report[5] and "as '보건복지부'" in report[6]
    assert names(sources)[3:] == ["병원 신문", "AI타임스 & 로봇", "한국경제", "www.hitnews.co.kr"]


def test_500_outlines_are_imported_with_one_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("# 구독\nsources: []\n", encoding="utf-8")
    outlines = "".join(
        f'<outline text="매체 {i}" type="rss" xmlUrl="https://m{i}.example/rss"/>' for i in range(500)
    )
    opml = tmp_path / "big.opml"
    opml.write_text(f'<opml version="2.0"><body><outline text="의료">{outlines}</outline></body></opml>')
    writes: list[Path] = []
    real = digest.sourcefile.atomic_write
    monkeypatch.setattr(
        digest.sourcefile, "atomic_write", lambda p, *a, **k: (writes.append(p), real(p, *a, **k))
    )
    started = time.monotonic()
    code, out, _ = cli("sources", "import", str(opml), "--sources", str(path))
    assert time.monotonic() - started < 10
    assert (code, out) == (0, "imported 500, skipped 0\n")
    assert len(writes) == 1
    settings = load_settings(path, env={})
    assert len(settings.sources) == 500 and settings.sources[499].tags == ("의료",)


def test_import_export_import_gives_the_same_sources(tmp_path: Path) -> None:
    first, second, exported = tmp_path / "first.yaml", tmp_path / "second.yaml", tmp_path / "out.opml"
    first.write_text("", encoding="utf-8")
    second.write_text("", encoding="utf-8")
    assert cli("sources", "import", str(OPML / "reader.opml"), "--sources", str(first))[0] == 0
    assert cli("sources", "disable", "한국경제", "--sources", str(first))[:2] == (0, "한국경제: disabled\n")
    assert cli("sources", "export", "-o", str(exported), "--sources", str(first))[1].startswith("exported 6 ")
    code, out, _ = cli("sources", "import", str(exported), "--sources", str(second))
    assert (code, out) == (0, "imported 6, skipped 0\n")

    def facts(p: Path) -> list[tuple[object, ...]]:
        return sorted((s.name, s.url, s.type, s.tags, s.enabled) for s in load_settings(p, env={}).sources)

    assert facts(second) == facts(first)
    assert ("한국경제", "https://www.hankyung.com/feed/it", "feed", (), False) in facts(second)


def test_export_to_stdout_is_opml_of_every_source(sources: Path) -> None:
    code, out, _ = cli("sources", "export", "--sources", str(sources))
    assert code == 0
    feeds = read_opml(out.encode("utf-8")).feeds
    assert [(f.title, f.tags) for f in feeds] == [
        ("청년의사", ("의료",)),
        ("의협신문", ("의료",)),
        ("보건복지부", ("정부", "복지")),
    ]


def test_list_is_a_table_aligned_for_korean_names(sources: Path) -> None:
    set_enabled(sources, "의협신문", False)
    code, out, _ = cli("sources", "list", "--sources", str(sources))
    rows = out.splitlines()
    assert code == 0 and len(rows) == 4
    assert rows[0].split() == ["name", "type", "enabled", "tags", "url"]
    assert rows[2].split()[:3] == ["의협신문", "feed", "no"]
    assert rows[3].endswith("정부, 복지  https://www.korea.kr/rss/dept_mw.xml")
    # the URL column starts at one display column on every row (a Hangul syllable is two wide)
    prefixes = [r[: r.rindex("  ") + 2] for r in rows]
    assert len({sum(2 if unicodedata.east_asian_width(c) == "W" else 1 for c in p) for p in prefixes}) == 1


def test_enabling_an_unknown_name_is_one_line_and_exit_1(sources: Path) -> None:
    before = sources.read_bytes()
    code, out, err = cli("sources", "enable", "의협", "--sources", str(sources))
    assert (code, out) == (1, "")
    assert err == f"digest: no source named '의협' in {sources} (did you mean '의협신문'?)\n"
    assert sources.read_bytes() == before


@pytest.mark.parametrize("name", ["malformed.opml", "missing.opml"])
def test_a_bad_opml_file_is_one_line_and_exit_2(sources: Path, name: str) -> None:
    before = sources.read_bytes()
    code, out, err = cli("sources", "import", str(OPML / name), "--sources", str(sources))
    assert (code, out) == (2, "")
    assert err.startswith(f"digest: configuration error: {OPML / name}: ") and err.count("\n") == 1
    assert sources.read_bytes() == before
