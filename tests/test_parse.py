"""The feed adapter on golden files: tests/data/feeds/NAME.(xml|json|html) + NAME.expected.json."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from digest.errors import ParseError
from digest.identity import clean_url
from digest.parse import parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
CASES = sorted(
    p for p in FEEDS.iterdir() if p.suffix in (".xml", ".json", ".html") and ".expected" not in p.name
)
FEED_URL = "http://news.example.kr/rss/allArticle.xml"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    body = path.read_bytes()
    ctype = "application/feed+json" if path.suffix == ".json" else "application/xml"
    if expected.get("error"):
        with pytest.raises(ParseError):
            parse_feed(body, FEED_URL, ctype)
        return
    feed = parse_feed(body, FEED_URL, ctype)
    assert feed.title == expected["title"]
    assert len(feed.entries) == len(expected["items"])
    for entry, want in zip(feed.entries, expected["items"], strict=True):
        assert entry.title == want["title"]
        assert entry.url == want["url"]
        assert entry.guid == want["guid"]
        if want["published"] is None:
            assert entry.published is None
        else:
            assert entry.published == datetime.fromisoformat(want["published"])
            assert entry.published.tzinfo is not None
        assert (entry.content_html is not None) == want["has_content"], entry.title
        if "canonical_url" in want:
            assert clean_url(entry.url) == want["canonical_url"]
        assert "\ufffd" not in entry.title, "no mojibake"


def test_euckr_declared_feed_decodes_without_the_http_charset() -> None:
    body = (FEEDS / "rss_euckr.xml").read_bytes()
    # Served with a wrong HTTP charset: the bytes are not UTF-8, so the declaration wins.
    feed = parse_feed(body, FEED_URL, "application/rss+xml", charset="utf-8")
    assert feed.entries[0].title == "고령친화 돌봄로봇 실증 착수"


def test_cp949_only_syllables_survive() -> None:
    feed = parse_feed((FEEDS / "rss_cp949_only.xml").read_bytes(), FEED_URL, "text/xml", charset="EUC-KR")
    assert any(ch in feed.entries[0].title for ch in "똠햏")


def test_titles_never_carry_line_breaks() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>속보&#13;&#10;Bcc: victim@example.com&#x2028;끝</title><link>http://x.kr/1</link></item>
</channel></rss>""".encode()
    entry = parse_feed(body, FEED_URL).entries[0]
    assert entry.title == "속보 Bcc: victim@example.com 끝"


def test_javascript_links_are_dropped_with_a_warning() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>javascript:alert(1)</link></item>
<item><title>b</title><link>http://x.kr/2</link></item></channel></rss>"""
    feed = parse_feed(body, FEED_URL)
    assert [e.url for e in feed.entries] == ["http://x.kr/2"]
    assert any("without a usable link" in w for w in feed.warnings)


def test_item_cap() -> None:
    items = "".join(f"<item><title>{i}</title><link>http://x.kr/{i}</link></item>" for i in range(50))
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    )
    feed = parse_feed(body, FEED_URL, max_items=10)
    assert len(feed.entries) == 10 and "only the first 10" in feed.warnings[-1]


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"{}", b'{"version": "1"}', b"<html><body>login</body></html>"]
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, FEED_URL)
