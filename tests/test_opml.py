"""OPML in and out (digest/opml.py): a reader's export read as feeds with tags, hostile files
refused without reading anything, and digest's own export read back as the same sources."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from lxml import etree

from digest.models import Source
from digest.opml import NS, OpmlError, OpmlFeed, read_opml, write_opml

OPML = Path(__file__).parent / "data" / "opml"
NOW = datetime(2024, 6, 12, 22, 0, tzinfo=UTC)


def read(name: str) -> tuple[OpmlFeed, ...]:
    return read_opml((OPML / name).read_bytes(), name).feeds


def refused(data: bytes, where: str = "feeds.opml") -> str:
    with pytest.raises(OpmlError) as info:
        read_opml(data, where)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{where}: ")
    return message


def test_a_readers_export_gives_its_feeds_with_folders_and_categories_as_tags() -> None:
    feeds = read("reader.opml")
    assert [(f.title, f.tags) for f in feeds] == [
        ("청년의사", ("의료",)),
        ("병원 신문", ("의료", "병원")),  # nested folders, outermost first; whitespace collapsed
        ("보건복지부", ("정부", "복지")),  # category="/정부,/정부/복지": in order, once each
        ("AI타임스 & 로봇", ()),
        ("한국경제", ()),  # &#54620; is 한
        ("www.hitnews.co.kr", ()),  # no title, no text: the host
    ]
    assert feeds[0].html_url == "https://www.docdocdoc.co.kr/"
    assert feeds[3].url == "https://www.aitimes.com/rss/allArticle.xml?a=1&b=2"
    assert all(f.enabled and f.type == "feed" for f in feeds)


def test_what_is_not_a_feed_and_duplicates_are_skipped_with_a_note_each() -> None:
    skipped = read_opml((OPML / "reader.opml").read_bytes(), "reader.opml").skipped
    assert len(skipped) == 4
    duplicate, memo, javascript, link = skipped
    assert duplicate.startswith("line 14: 청년의사 (중복)") and "'청년의사' (line 9)" in duplicate
    assert memo == "line 20: 메모: 나중에 볼 것: no xmlUrl, not a feed"
    assert "not an http(s) URL" in javascript and "javascript:alert(1)" in javascript
    assert link == "line 22: OPML 목록: a link, not a feed"
    assert all("\n" not in note for note in skipped)


def test_an_opml_declared_euc_kr_is_read() -> None:
    feeds = read("euc_kr.opml")
    assert [(f.title, f.url, f.tags) for f in feeds] == [
        ("중소벤처기업부", "https://www.korea.kr/rss/dept_mss.xml", ("정부 부처",)),
        ("라포르시안", "http://www.rapportian.com/rss/allArticle.xml", ()),
    ]


def test_billion_laughs_is_refused_at_once() -> None:
    started = time.monotonic()
    message = refused((OPML / "billion_laughs.opml").read_bytes(), "billion_laughs.opml")
    assert time.monotonic() - started < 1
    assert message.startswith("billion_laughs.opml: line 3: ") and "entities" in message
    assert "lollol" not in message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("title", ["&xxe;", "외부"])
def test_an_external_entity_is_never_read(tmp_path: Path, encoding: str, title: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-비밀-4242", encoding="utf-8")
    doc = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<!DOCTYPE opml [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        '<opml version="2.0"><body>'
        f'<outline type="rss" text="{title}" xmlUrl="https://x.example/rss">&xxe;</outline>'
        "</body></opml>"
    )
    # UTF-16 hides the declaration from a byte search: the parser's own check refuses it then.
    message = refused(doc.encode(encoding))
    assert "TOP-SECRET" not in message and "비밀" not in message


def test_an_unknown_entity_under_an_external_dtd_keeps_no_text_and_fetches_nothing() -> None:
    (feed,) = read("external_dtd.opml")  # the DTD is on 127.0.0.1:9: a fetch would fail
    assert feed.title == "의협신문"


def test_malformed_xml_is_one_line_naming_the_file_and_the_line() -> None:
    message = refused((OPML / "malformed.opml").read_bytes(), "malformed.opml")
    assert message.startswith("malformed.opml: line 5: not well-formed XML: ")


@pytest.mark.parametrize(
    ("name", "reason"),
    [("not_opml.xml", "the root element is <rss>"), ("no_body.opml", "no <body>")],
)
def test_a_file_that_is_not_opml_is_refused(name: str, reason: str) -> None:
    message = refused((OPML / name).read_bytes(), name)
    assert message.startswith(f"{name}: line 2: not an OPML file") and reason in message


def test_empty_bytes_are_refused() -> None:
    assert "line 1" in refused(b"")


SOURCES = (
    Source("청년의사", "https://www.docdocdoc.co.kr/rss/allArticle.xml", tags=("의료", "AI")),
    Source('보건 & <복지> "부"', "https://www.korea.kr/rss/dept_mw.xml?a=1&b=2", tags=("정부",)),
    Source("의협신문", "https://www.doctorsnews.co.kr/rss/allArticle.xml", tags=("의료",), enabled=False),
    Source("메모 없는 곳", "http://www.bosa.co.kr/rss/allArticle.xml", encoding="euc-kr"),
    Source(
        "정책브리핑", "https://www.korea.kr/briefing/list.do", type="page", selector="a.title", tags=("정부",)
    ),
)


def test_write_opml_is_opml_2_in_one_level_of_folders_by_first_tag() -> None:
    data = write_opml(SOURCES, "헬스테크 & 데일리", now=NOW)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml ')
    root = etree.fromstring(data)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "헬스테크 & 데일리"
    assert parsedate_to_datetime(root.findtext("head/dateCreated")) == NOW
    body = root.find("body")
    assert [(o.get("text"), o.get("xmlUrl")) for o in body] == [
        ("의료", None),
        ("정부", None),
        ("메모 없는 곳", "http://www.bosa.co.kr/rss/allArticle.xml"),
    ]
    medical, government, _ = body
    assert [o.get("title") for o in medical] == ["청년의사", "의협신문"]
    first = medical[0]
    assert (first.get("type"), first.get("category")) == ("rss", "/의료,/AI")
    assert medical[1].get(f"{{{NS}}}enabled") == "false" and first.get(f"{{{NS}}}enabled") is None
    page = government[1]
    assert (page.get("type"), page.get("url"), page.get("xmlUrl")) == ("link", SOURCES[4].url, None)
    assert page.get(f"{{{NS}}}type") == "page"
    assert b"\n    <outline" in data  # indented


def _facts(feeds: tuple[OpmlFeed, ...]) -> list[tuple[object, ...]]:
    return sorted((f.title, f.url, f.type, f.tags, f.enabled, f.encoding, f.selector) for f in feeds)


def test_sources_written_and_read_back_are_the_same_sources() -> None:
    back = read_opml(write_opml(SOURCES, "t", now=NOW)).feeds
    assert sorted(
        (s.name, s.url, s.type, s.tags, s.enabled, s.encoding, s.selector) for s in SOURCES
    ) == _facts(back)
    assert {f.as_source() for f in back} == set(SOURCES)


def test_import_export_import_gives_the_same_feeds() -> None:
    first = read("reader.opml")
    again = read_opml(write_opml([f.as_source() for f in first], "t", now=NOW)).feeds
    assert _facts(again) == _facts(first)
    assert [f.title for f in again] == [f.title for f in first]  # folder order is first-seen order
