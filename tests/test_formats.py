"""Every feed format a reader meets — RSS 0.91, 1.0 (RDF) and 2.0, Atom 0.3 and 1.0, JSON Feed
1.0 and 1.1 — gives its entries with their dates, categories and enclosures; and an item's audio
reaches the digest."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest import pipeline
from digest.config import load_settings
from digest.models import Enclosure
from digest.parse import parse_feed

from .conftest import LoopbackServer

FORMATS = Path(__file__).parent / "data" / "feeds" / "formats"
KST = ZoneInfo("Asia/Seoul")
URL = "https://feeds.example/feed"


@pytest.mark.parametrize(
    ("name", "title", "link", "published", "categories", "enclosures"),
    [
        ("rss091.xml", "노인 돌봄 로봇 보급 확대", "https://old.example/news/1", None, (), ()),
        (
            "rss10_rdf.xml",
            "규제자유특구 실증특례 추가 지정",
            "https://rdf.example/a/1",
            datetime(2024, 6, 12, 10, 0, tzinfo=KST),
            ("규제샌드박스",),
            (),
        ),
        (
            "atom03.xml",
            "AI 가상병원 시연회 열려",
            "https://atom03.example/e/1",
            datetime(2024, 6, 12, 10, 0, tzinfo=KST),  # issued, 01:00 Z
            (),
            (Enclosure("https://atom03.example/e/1.mp4", "video/mp4"),),
        ),
        (
            "rss20_podcast.xml",
            "의료 AI 실증 사업 설명회",
            "https://brief.example/b/7",
            datetime(2024, 6, 12, 9, 30, tzinfo=KST),
            ("의료AI", "실증", "정부"),
            (
                Enclosure("https://brief.example/b/7.mp3", "audio/mpeg", 4821123),
                Enclosure("https://brief.example/b/7.jpg", "image/jpeg"),  # joined to the item's link
            ),
        ),
        (
            "jsonfeed10.json",
            "12화: 돌봄 로봇, 어디까지 왔나",
            "https://pod.example/ep/12",
            datetime(2024, 6, 12, 8, 0, tzinfo=KST),
            ("에이지테크", "돌봄"),  # once each
            (Enclosure("https://pod.example/ep/12.mp3", "audio/mpeg", 23456789),),
        ),
    ],
)
def test_each_format_gives_its_entries_dates_categories_and_enclosures(
    name: str,
    title: str,
    link: str,
    published: datetime | None,
    categories: tuple[str, ...],
    enclosures: tuple[Enclosure, ...],
) -> None:
    ctype = "application/feed+json" if name.endswith(".json") else "application/xml"
    feed = parse_feed((FORMATS / name).read_bytes(), URL, ctype)
    (entry,) = feed.entries
    assert (entry.title, entry.url) == (title, link)
    assert entry.published == published
    assert entry.categories == categories
    assert entry.enclosures == enclosures
    assert feed.title


def test_an_atom_1_0_category_label_and_enclosure_length_are_kept() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<entry><id>https://a.example/1</id><title>x</title>"
        b'<link rel="alternate" href="https://a.example/1"/>'
        b'<link rel="enclosure" type="Audio/MPEG" length="99" href="https://a.example/1.mp3"/>'
        b'<category term="ai" label="\xec\x9d\x98\xeb\xa3\x8c AI"/><category term="care"/>'
        b"<updated>2024-06-12T00:00:00Z</updated></entry></feed>"
    )
    (entry,) = parse_feed(body, URL, "application/xml").entries
    assert entry.categories == ("의료 AI", "care")
    assert entry.enclosures == (Enclosure("https://a.example/1.mp3", "audio/mpeg", 99),)


def test_an_items_audio_and_categories_reach_the_digest(server: LoopbackServer, tmp_path: Path) -> None:
    feed = (
        (FORMATS / "rss20_podcast.xml")
        .read_text(encoding="utf-8")
        .replace("https://brief.example", server.base)
    )
    server.add("/rss.xml", feed)
    body = "".join(
        f"<p>과학기술정보통신부는 12일 의료 AI 실증 사업 설명회를 열고 {n}번째 과제를 소개했다.</p>"
        for n in range(8)
    )
    server.add(
        "/b/7",
        f"<html><body><article><h1>의료 AI 실증 사업 설명회</h1>{body}</article></body></html>",
        content_type="text/html; charset=utf-8",
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{name: 의료AI브리핑, url: "{server.url("/rss.xml")}", type: feed}}\n',
        encoding="utf-8",
    )
    day = date(2024, 6, 12)
    now = datetime.combine(day, time(18), KST)
    pipeline.run(load_settings(sources), tmp_path / "s.sqlite", tmp_path / "out", day, no_send=True, now=now)
    folder = tmp_path / "out" / day.isoformat()
    doc = json.loads((folder / "digest.json").read_text(encoding="utf-8"))
    (item,) = [it for t in doc["themes"] for s in t["stories"] for it in s["items"]]
    assert item["categories"] == ["의료AI", "실증", "정부"]
    assert item["enclosures"][0] == {"url": server.url("/b/7.mp3"), "type": "audio/mpeg", "length": 4821123}
    audio = server.url("/b/7.mp3")
    assert f"[오디오]({audio})" in (folder / "digest.md").read_text(encoding="utf-8")
    assert f"오디오: {audio}" in (folder / "email.txt").read_text(encoding="utf-8")
    assert f'href="{audio}"' in (folder / "email.html").read_text(encoding="utf-8")
    assert "7.jpg" not in (folder / "digest.md").read_text(encoding="utf-8")  # images are the article's
