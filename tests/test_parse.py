"""The feed adapter on golden files: tests/data/feeds/NAME.(xml|json|html) + NAME.expected.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


# --------------------------------------------------------------------------- the item cap keeps the newest


def _rss(items: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    )


def _item(n: int, date: str | None = None) -> str:
    pub = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>{n}</title><link>http://x.kr/{n}</link>{pub}</item>"


def test_item_cap_keeps_the_newest_entries_of_a_feed_listed_oldest_first() -> None:
    # Two sections of a real aggregated feed, each oldest first: the newest items are at the end.
    feed = parse_feed((FEEDS / "rss_two_sections.xml").read_bytes(), FEED_URL, max_items=3)
    assert [e.url for e in feed.entries] == [  # the three newest, in the feed's order
        "http://www.sisajournal.com/news/articleView.html?idxno=243248",  # 08-01 16:30
        "https://www.donga.com/news/Society/article/all/20220731/114739778/1",  # 07-31 18:35
        "https://www.donga.com/news/Society/article/all/20220801/114750235/1",  # 08-01 17:34
    ]
    assert feed.warnings[-1] == "8 entries; only the newest 3 kept"


def test_item_cap_keeps_the_newest_entries_of_a_json_feed() -> None:
    dates = ["2024-06-01T09:00:00+09:00", "2024-06-12T09:00:00+09:00", None, "2024-06-11T23:00:00Z"]
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "t",
            "items": [
                {"id": str(n), "url": f"http://x.kr/{n}", **({"date_published": d} if d else {})}
                for n, d in enumerate(dates)
            ],
        }
    ).encode()
    feed = parse_feed(body, FEED_URL, "application/feed+json", max_items=2)
    # 2024-06-11T23:00Z is 06-12 08:00 in Seoul: older than 06-12 09:00, newer than 06-01.
    assert [e.url for e in feed.entries] == ["http://x.kr/1", "http://x.kr/3"]
    assert feed.warnings == ("4 entries; only the newest 2 kept",)


def test_item_cap_fills_with_undated_entries_in_feed_order_only_when_too_few_are_dated() -> None:
    items = [_item(0), _item(1), _item(2, "Wed, 12 Jun 2024 09:00:00 +0900"), _item(3)]
    items += [_item(4, "Tue, 11 Jun 2024 09:00:00 +0900"), _item(5)]
    feed = parse_feed(_rss("".join(items)), FEED_URL, max_items=3)
    assert [e.url for e in feed.entries] == ["http://x.kr/0", "http://x.kr/2", "http://x.kr/4"]
    assert feed.warnings[-1] == "6 entries; only the newest 3 kept (1 undated, in feed order)"
    feed = parse_feed(_rss("".join(items)), FEED_URL, max_items=2)
    assert [e.url for e in feed.entries] == ["http://x.kr/2", "http://x.kr/4"]


def test_item_cap_breaks_a_tie_of_dates_by_feed_order() -> None:
    same = "Wed, 12 Jun 2024 09:00:00 +0900"
    items = [_item(0, "Mon, 10 Jun 2024 09:00:00 +0900"), _item(1, same), _item(2, same), _item(3, same)]
    feed = parse_feed(_rss("".join(items)), FEED_URL, max_items=2)
    assert [e.url for e in feed.entries] == ["http://x.kr/1", "http://x.kr/2"]


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"{}", b'{"version": "1"}', b"<html><body>login</body></html>"]
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, FEED_URL)


# --------------------------------------------------------------------------- dates outside a sane range


def test_out_of_range_dates_are_unknown_with_a_note_naming_the_entry() -> None:
    feed = parse_feed((FEEDS / "rss_dates_out_of_range.xml").read_bytes(), FEED_URL)
    assert [e.published is None for e in feed.entries] == [True, True, False, False]
    notes = [w for w in feed.warnings if "out of range" in w]
    assert len(notes) == 2, feed.warnings
    assert notes[0].startswith("https://www.silvercare.example/news/1001: date 0001-01-01")
    assert notes[0].endswith("out of range, ignored")
    assert notes[1].startswith("https://www.silvercare.example/news/1002: date Fri, 31 Dec 9999")
    for entry in feed.entries:
        if entry.published is not None:
            entry.published.astimezone(ZoneInfo("Asia/Seoul"))
            entry.published.astimezone(UTC)


def test_out_of_range_dates_in_a_json_feed_are_unknown_with_a_note() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "t",
            "items": [
                {"id": "1", "url": "http://x.kr/1", "date_published": "0001-01-01T00:00:00+14:00"},
                {"id": "2", "url": "http://x.kr/2", "date_published": "9999-12-31T23:59:59-14:00"},
            ],
        }
    ).encode()
    feed = parse_feed(body, FEED_URL, "application/feed+json")
    assert [e.published for e in feed.entries] == [None, None]
    assert len(feed.warnings) == 2, feed.warnings
    assert feed.warnings[0].startswith("http://x.kr/1: date 0001-01-01T00:00:00+14:00")
    assert feed.warnings[1].startswith("http://x.kr/2: date 9999-12-31T23:59:59-14:00")
    assert all(w.endswith("out of range, ignored") for w in feed.warnings)


def test_an_out_of_range_pubdate_falls_back_to_a_sane_updated_date() -> None:
    body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>tag:x,1</id><title>a</title><link href="http://x.kr/1"/>
<published>0001-01-01T00:00:00+14:00</published><updated>2024-06-12T05:00:00Z</updated></entry></feed>"""
    feed = parse_feed(body, FEED_URL)
    assert feed.entries[0].published == datetime(2024, 6, 12, 5, 0, tzinfo=UTC)
    assert any("out of range" in w for w in feed.warnings)


# --------------------------------------------------------------------------- valid feeds, not truncated


def test_a_cache_comment_after_the_feed_is_not_truncation_but_a_cut_feed_still_is() -> None:
    body = (FEEDS / "rss_cache_comment.xml").read_bytes()
    feed = parse_feed(body, FEED_URL)
    assert [e.url for e in feed.entries] == ["https://caretech-blog.example/2024/06/12/ai-robot/"]
    assert [e.url for e in parse_feed(body.rstrip() + b"\r\n\r\n  ", FEED_URL).entries] == [
        "https://caretech-blog.example/2024/06/12/ai-robot/"
    ]
    cut = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>http://x.kr/1</link></item>
<item><title>b</title><link>http://x.kr/2</l
<!-- Cached page generated by WP-Super-Cache on 2024-06-12 14:05:11 -->"""
    with pytest.raises(ParseError, match="truncated"):
        parse_feed(cut, FEED_URL)
    with pytest.raises(ParseError, match="truncated"):
        parse_feed(body.replace(b"</channel>\n</rss>", b""), FEED_URL)


def test_an_atom_feed_with_a_prefixed_root_parses() -> None:
    body = (FEEDS / "atom_prefixed.xml").read_bytes()
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "메디디바이스 브리핑"
    assert [e.url for e in feed.entries] == [
        "https://medidev.example/news/7001",
        "https://medidev.example/news/7000",
    ]
    with pytest.raises(ParseError, match="truncated"):
        parse_feed((FEEDS / "atom_prefixed_truncated.xml").read_bytes(), FEED_URL)


def test_a_json_feed_link_with_broken_ipv6_brackets_is_skipped_not_a_traceback() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "1", "url": "http://[::1/a", "title": "깨진 주소"},
                {"id": "2", "url": "http://x.kr/2"},
            ],
        }
    ).encode()
    feed = parse_feed(body, FEED_URL, "application/feed+json")
    assert [e.url for e in feed.entries] == ["http://x.kr/2"]
    assert feed.warnings == ("entry without a usable link skipped: '깨진 주소'",)


def test_an_entry_dated_without_a_time_of_day_says_so() -> None:
    rss = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>http://news.example.kr/a</link><pubDate>2024-06-12</pubDate></item>
<item><title>b</title><link>http://news.example.kr/b</link><pubDate>Wed, 12 Jun 2024</pubDate></item>
<item><title>c</title><link>http://news.example.kr/c</link><pubDate>Wed, 12 Jun 2024 14:00:00 +0900</pubDate></item>
<item><title>d</title><link>http://news.example.kr/d</link><pubDate>2024-06-12T00:00:00+09:00</pubDate></item>
<item><title>e</title><link>http://news.example.kr/e</link></item>
</channel></rss>"""
    entries = parse_feed(rss, FEED_URL, "application/rss+xml").entries
    assert [e.date_only for e in entries] == [True, True, False, False, False]
    seoul = ZoneInfo("Asia/Seoul")
    assert entries[0].published == entries[1].published == datetime(2024, 6, 12, tzinfo=seoul)
    assert entries[4].published is None
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title><link href="http://news.example.kr/a"/><id>a</id><updated>2024.06.12</updated></entry>
<entry><title>b</title><link href="http://news.example.kr/b"/><id>b</id><updated>2024-06-12T09:00:00+09:00</updated></entry>
</feed>"""
    assert [e.date_only for e in parse_feed(atom, FEED_URL, "application/atom+xml").entries] == [True, False]
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [
            {"id": "a", "url": "http://news.example.kr/a", "date_published": "2025년 12월 30일 (화)"},
            {"id": "b", "url": "http://news.example.kr/b", "date_published": "2024-06-12T09:00:00+09:00"},
        ],
    }
    body = json.dumps(doc, ensure_ascii=False).encode()
    json_entries = parse_feed(body, FEED_URL, "application/feed+json").entries
    assert [e.date_only for e in json_entries] == [True, False]
    assert json_entries[0].published == datetime(2025, 12, 30, tzinfo=seoul)
