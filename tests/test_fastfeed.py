"""The lxml fast path for common feeds reads exactly what feedparser reads, and leaves the rest to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest import fastfeed
from digest.models import ParsedFeed
from digest.parse import parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
DEMO = Path(__file__).parent.parent / "digest" / "demo" / "data"
XML = sorted(
    list(FEEDS.glob("**/*.xml")) + list(DEMO.glob("**/*.xml")),
    key=lambda p: str(p),
)
URL = "http://news.example.kr/rss/allArticle.xml"


def _both(body: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[ParsedFeed | str, ParsedFeed | str, bool]:
    """The parsed feed with the fast path, without it (feedparser only), and whether it was taken."""
    taken: list[bool] = []
    real = fastfeed.read

    def spy(data: bytes, base: str) -> object:
        got = real(data, base)
        taken.append(got is not None)
        return got

    def parsed() -> ParsedFeed | str:
        try:
            return parse_feed(body, URL, "application/xml")
        except Exception as exc:  # the same error either way is parity too
            return f"{type(exc).__name__}: {exc}"

    monkeypatch.setattr(fastfeed, "read", spy)
    fast = parsed()
    monkeypatch.setattr(fastfeed, "read", lambda data, base: None)
    slow = parsed()
    monkeypatch.setattr(fastfeed, "read", real)
    return fast, slow, bool(taken and taken[0])


@pytest.mark.parametrize("path", XML, ids=lambda p: p.name)
def test_the_fast_path_parses_every_feed_fixture_as_feedparser_does(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow, _ = _both(path.read_bytes(), monkeypatch)
    assert fast == slow


@pytest.mark.parametrize(
    "name",
    [
        "rss_utf8.xml",
        "rss_euckr.xml",
        "rss_two_sections.xml",
        "atom.xml",
        "fast_edges_rss.xml",
        "fast_edges_atom.xml",
    ],
)
def test_common_rss_and_atom_take_the_fast_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, _, taken = _both((FEEDS / name).read_bytes(), monkeypatch)
    assert taken, f"{name} went through feedparser"
    assert isinstance(fast, ParsedFeed) and fast.entries


def test_the_demo_feeds_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = list(DEMO.glob("**/*.xml"))
    assert demo
    for path in demo:
        assert _both(path.read_bytes(), monkeypatch)[2], path


@pytest.mark.parametrize(
    "name",
    [
        "fast_edges_doctype.xml",  # a DOCTYPE and an entity declaration
        "fast_edges_media.xml",  # media:title, which feedparser may take for the title
        "fast_edges_xhtml.xml",  # XHTML summary
        "broken.xml",  # not well-formed
        "atom_prefixed_truncated.xml",  # cut short
    ],
)
def test_what_the_fast_path_does_not_read_goes_to_feedparser(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fastfeed.read((FEEDS / name).read_bytes(), URL) is None


def test_feedparser_rules_the_fast_path_keeps() -> None:
    feed = parse_feed((FEEDS / "fast_edges_rss.xml").read_bytes(), URL, "application/xml")
    first, guid_only, relative, latin1 = feed.entries
    assert feed.title == "에지 케이스 신문"
    # content:encoded before the description: the description is the summary all the same
    assert first.summary == "요약은 나중에 나온다."
    assert first.content_html is not None and "원주시" in first.content_html
    assert first.url == "https://edge.example/news/1?a=1&b=2"  # double-escaped & undone
    assert first.author == "김철수 기자"  # the last of author and dc:creator
    assert first.title == "돌봄로봇 실증 시작"
    # no link: the permalink guid is the link; no description: the content is the summary
    assert guid_only.url == "https://edge.example/news/2"
    assert guid_only.summary.startswith("설명 없이 본문만")
    # a relative link joined to the feed's URL; C1 controls read as cp1252 quotes
    assert relative.url == "http://news.example.kr/news/3"
    assert relative.title == "상대 링크와 숫자 guid “인용”"
    assert relative.summary == "앞뒤 공백은 지운다."
    assert latin1.title == "café robot menu"  # UTF-8 read as Latin-1, read again


def test_atom_rules_the_fast_path_keeps() -> None:
    feed = parse_feed((FEEDS / "fast_edges_atom.xml").read_bytes(), URL, "application/xml")
    html_only, atom_link = feed.entries
    assert html_only.url == "http://news.example.kr/a/1"  # the alternate HTML link, not the id
    assert html_only.guid == "https://edge.example/a/1-id"
    assert html_only.author == "이영희 (lee@edge.example)"
    assert html_only.summary.startswith("요약 없이 HTML 본문만")  # no summary: the content's text
    assert html_only.title == "AI 가상병원 시연"
    assert atom_link.url == "https://edge.example/a/2"  # no HTML alternate: the id
    assert atom_link.summary == "요약이 있다."
    assert atom_link.author == "박민수"


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>&x;</title>'
        "<link>https://edge.example/e/1</link></item></channel></rss>"
    ).encode()
    assert fastfeed.read(body, URL) is None
    feed = parse_feed(body, URL, "application/xml")
    assert all("TOP-SECRET" not in e.title + e.summary for e in feed.entries)
