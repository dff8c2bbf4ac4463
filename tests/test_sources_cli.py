"""`digest sources add|check|import|export` as a user runs them: the real CLI, a real loopback
HTTP server, a sources.yaml with comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.config import load_settings

from .conftest import LoopbackServer

DATA = Path(__file__).parent / "data" / "discovery"
HEADER = "# my sources: keep this comment\n"


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_add_finds_the_feed_behind_a_home_page_and_keeps_the_file(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add("/", (DATA / "ndsoft_home.html").read_bytes(), content_type="text/html; charset=utf-8")
    feed = server.add("/rss/allArticle.xml", (DATA / "allArticle.xml").read_bytes())
    path = _file(tmp_path, 'sources:\n  - {name: 기존, url: "https://old.example/rss.xml", type: feed}\n')

    assert main(["sources", "add", server.url("/"), "--sources", str(path), "--tag", "의료"]) == 0
    out = capsys.readouterr().out
    assert "added 헬스온뉴스 - 전체기사 (feed" in out and feed in out
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        HEADER + 'sources:\n  - {name: 기존, url: "https://old.example/rss.xml", type: feed}\n'
    )
    added = [s for s in load_settings(path).sources if s.url == feed]
    assert len(added) == 1 and added[0].type == "feed" and added[0].tags == ("의료",)

    # the same site again: skipped, named, nothing written
    assert main(["sources", "add", server.url("/"), "--sources", str(path)]) == 1
    assert "skipped" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == text


def test_add_offers_a_page_without_a_feed_as_a_page_source(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = server.add(
        "/list", (DATA / "naver_listing.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    path = tmp_path / "new.yaml"  # no file yet: add writes the first source
    assert main(["sources", "add", page, "--sources", str(path), "--name", "네이버 국방"]) == 0
    out = capsys.readouterr().out
    assert "no feed found" in out and "article links" in out
    (source,) = load_settings(path).sources
    assert (source.name, source.type, source.url) == ("네이버 국방", "page", page)


def test_add_refuses_what_is_not_a_web_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "add", "ftp://x.example/", "--sources", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "not a web address" in err and "Traceback" not in err


def test_check_prints_a_row_per_source_and_fails_when_one_fails(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = server.add("/rss/allArticle.xml", (DATA / "allArticle.xml").read_bytes())
    new = server.add("/rss/new.xml", (DATA / "allArticle.xml").read_bytes())
    old = server.url("/rss/old.xml")
    server.add("/rss/old.xml", b"", status=301, headers={"Location": new})
    missing = server.url("/rss/gone.xml")
    path = _file(
        tmp_path,
        "sources:\n"
        f'  - {{name: 헬스온, url: "{good}", type: feed}}\n'
        f'  - {{name: 이사간곳, url: "{old}", type: feed}}\n'
        f'  - {{name: 없는곳, url: "{missing}", type: feed}}\n',
    )
    assert main(["sources", "check", "--sources", str(path)]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "ok" in lines["헬스온"] and "yes" in lines["헬스온"]  # conditional GET answers 304
    assert "HTTP 404" in lines["없는곳"]
    assert f"moved: {new}" in lines["이사간곳"]
    assert "3 source(s) checked: 2 ok, 1 failing, 1 moved permanently" in out
    assert path.read_text(encoding="utf-8").count(old) == 1  # not written without the flag

    assert main(["sources", "check", "--sources", str(path), "--write-redirects"]) == 1
    assert f"이사간곳: URL written: {new}" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    assert old not in text and text.startswith(HEADER)
    assert [s.url for s in load_settings(path).sources] == [good, new, missing]


def test_import_export_import_gives_the_same_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(
        '<?xml version="1.0" encoding="utf-8"?><opml version="2.0"><head><title>구독</title></head><body>'
        '<outline text="의료"><outline text="청년의사" type="rss" xmlUrl="https://www.docdocdoc.co.kr/rss/allArticle.xml"/>'
        '<outline text="라포르시안" type="rss" xmlUrl="http://www.rapportian.com/rss/allArticle.xml"/></outline>'
        '<outline text="AI타임스" type="rss" xmlUrl="https://www.aitimes.com/rss/allArticle.xml"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    first = tmp_path / "a.yaml"
    assert main(["sources", "import", str(opml), "--sources", str(first)]) == 0
    assert "imported 3, skipped 0" in capsys.readouterr().out
    exported = tmp_path / "out.opml"
    assert main(["sources", "export", "--sources", str(first), "-o", str(exported)]) == 0
    second = tmp_path / "b.yaml"
    assert main(["sources", "import", str(exported), "--sources", str(second)]) == 0
    a, b = load_settings(first).sources, load_settings(second).sources
    assert [(s.name, s.url, s.type, s.tags, s.enabled) for s in a] == [
        (s.name, s.url, s.type, s.tags, s.enabled) for s in b
    ]
    assert {s.name: s.tags for s in a}["청년의사"] == ("의료",)
