"""End to end: a date without a time of day is shown as a date (never `00:00`), and an article's
subtitles (부제) are kept and shown under its title — a real feed and real pages served on
127.0.0.1, a real SQLite state, the real pipeline and site."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from digest import pipeline
from digest.config import load_settings
from digest.render import wrap
from digest.storage import Store

from .conftest import LoopbackServer

KST = ZoneInfo("Asia/Seoul")
DAY = date(2024, 6, 12)
# `00:00` as a time shown, not inside an ISO time such as 18:00:00.
MIDNIGHT = re.compile(r"(?<![\d:])00:00(?![\d:])")

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>메디온뉴스</title><link>{base}/</link>
<item><title>요양원 돌봄 로봇 12곳 실증 착수</title><link>{base}/a/1.html</link><guid>a1</guid>
<pubDate>Wed, 12 Jun 2024</pubDate><description>요양원에 돌봄 로봇이 들어간다.</description></item>
<item><title>원격 협진 시범사업 전국 확대</title><link>{base}/a/2.html</link><guid>a2</guid>
<pubDate>2024-06-12</pubDate><description>원격 협진이 전국으로 넓어진다.</description></item>
<item><title>AI 흉부 X선 판독 보조 건강보험 첫 적용</title><link>{base}/a/3.html</link><guid>a3</guid>
<pubDate>Wed, 12 Jun 2024 09:10:00 +0900</pubDate><description>AI 판독 보조에 수가가 생긴다.</description></item>
</channel></rss>
"""


def _page(title: str, dateline: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title} - 메디온뉴스</title></head>'
        f'<body><nav><a href="/">홈</a></nav><div class="article"><h1>{title}</h1>'
        f'<div class="date">{dateline}</div><div id="articleBody">{body}</div></div></body></html>'
    )


PAGES = {
    # The page gives a date only, so does the feed: the date is shown, no time.
    "/a/1.html": _page(
        "요양원 돌봄 로봇 12곳 실증 착수",
        "2024.06.12",
        "<strong>복지부, 요양원 12곳에 돌봄 로봇 보급</strong><br><strong>야간 낙상 감지·말벗 기능 함께 시험</strong>"
        "[세종=메디온뉴스]홍길동 기자 = 보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다고 12일 밝혔다.<br><br>"
        "로봇은 밤사이 어르신이 넘어지면 이를 감지해 요양보호사에게 알림을 보낸다. 말벗 기능과 복약 알림도 함께 시험한다.<br><br>"
        "복지부는 실증 결과를 보고 내년에 보급 대상을 늘릴 계획이다.",
    ),
    # The feed gives a date only, the page a full time: the full time wins.
    "/a/2.html": _page(
        "원격 협진 시범사업 전국 확대",
        "입력 2024-06-12 14:30",
        "<p>동네 의원과 보건소가 상급병원 전문의와 화상으로 환자 상태를 함께 보는 원격 협진 시범사업이 전국으로 확대된다.</p>"
        "<p>보건복지부는 다음 달부터 의원과 보건소 120곳이 참여하는 원격 협진 시범사업을 시작한다고 12일 밝혔다. "
        "고혈압과 당뇨 같은 만성질환자가 주 대상이다.</p>"
        "<p>복지부는 의사와 의사 사이의 협진부터 시작해 결과를 보고 대상을 늘릴 계획이다.</p>",
    ),
    # The page gives a date only, the feed a full time on that date: the full time wins.
    "/a/3.html": _page(
        "AI 흉부 X선 판독 보조 건강보험 첫 적용",
        "2024.06.12",
        "<p>인공지능이 흉부 X선 영상을 먼저 판독해 의사에게 이상 소견을 알리는 의료기기에 처음으로 건강보험이 적용된다.</p>"
        "<p>보건복지부는 12일 건강보험정책심의위원회를 열어 AI 판독 보조 기술에 대한 수가를 신설하기로 했다고 밝혔다. "
        "적용은 하반기 대형병원부터 시작된다.</p>"
        "<p>업계는 이번 결정이 다른 AI 의료기기의 보험 진입에도 기준이 될 것으로 보고 있다.</p>",
    ),
}


@pytest.fixture
def ran(server: LoopbackServer, tmp_path: Path) -> Path:
    server.add("/rss.xml", FEED.replace("{base}", server.base))
    for path, html in PAGES.items():
        server.add(path, html, content_type="text/html; charset=utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"""sources:
  - {{name: 메디온뉴스, url: "{server.url("/rss.xml")}", type: feed}}
delivery:
  email: {{include_other: true}}
  site: {{dir: public}}
""",
        encoding="utf-8",
    )
    settings = load_settings(sources)
    now = datetime.combine(DAY, time(18), KST)
    pipeline.run(settings, tmp_path / "state.sqlite", tmp_path / "out", DAY, now=now)
    return tmp_path


def _outputs(tmp: Path) -> dict[str, str]:
    folder = tmp / "out" / DAY.isoformat()
    return {
        name: (folder / name).read_text("utf-8")
        for name in ("digest.md", "email.txt", "index.html", "email.html")
    }


def _items(tmp: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads((tmp / "out" / DAY.isoformat() / "digest.json").read_text("utf-8"))
    return {i["url"].rsplit("/", 1)[-1]: i for t in doc["themes"] for s in t["stories"] for i in s["items"]}


def test_a_date_without_a_time_is_shown_as_its_date_never_midnight(ran: Path) -> None:
    for name, text in _outputs(ran).items():
        assert MIDNIGHT.search(text) is None, name
        # The date-only item: its date, the Korean way.
        if name == "email.html":
            assert re.search(r'<span class="item-meta"[^>]*>6월 12일</span>', text), name
        else:
            assert re.search(r"메디온뉴스 · 6월 12일(?:\n|</p>)", text), name
        assert "14:30 KST" in text, name  # the page's full time beat the feed's date
        assert "09:10 KST" in text, name  # the feed's full time beat the page's date
    site = (ran / "public" / "2024-06-12" / "index.html").read_text("utf-8")
    assert re.search(r'<time class="when" datetime="2024-06-12">6월 12일</time>', site)
    assert ">00:00<" not in site and MIDNIGHT.search(re.sub(r'datetime="[^"]*"', "", site)) is None


def test_digest_json_and_the_state_say_the_time_is_unknown(ran: Path) -> None:
    items = _items(ran)
    assert items["1.html"]["time_known"] is False
    assert datetime.fromisoformat(items["1.html"]["published"]) == datetime(2024, 6, 12, tzinfo=KST)
    assert "time_known" not in items["2.html"] and "time_known" not in items["3.html"]
    assert datetime.fromisoformat(items["2.html"]["published"]) == datetime(2024, 6, 12, 14, 30, tzinfo=KST)
    assert datetime.fromisoformat(items["3.html"]["published"]) == datetime(2024, 6, 12, 9, 10, tzinfo=KST)
    with Store(ran / "state.sqlite") as store:
        stored = {it.url.rsplit("/", 1)[-1]: it for it in store.issued_items(DAY)}
    assert stored["1.html"].date_only and not stored["2.html"].date_only and not stored["3.html"].date_only


def test_subtitles_are_kept_and_shown_under_the_title(ran: Path) -> None:
    subtitle = "복지부, 요양원 12곳에 돌봄 로봇 보급\n야간 낙상 감지·말벗 기능 함께 시험"
    items = _items(ran)
    assert items["1.html"]["subtitle"] == subtitle
    assert "subtitle" not in items["2.html"]
    with Store(ran / "state.sqlite") as store:
        stored = {it.url.rsplit("/", 1)[-1]: it for it in store.issued_items(DAY)}
    assert stored["1.html"].subtitle == subtitle and stored["2.html"].subtitle == ""
    assert "기자" not in stored["1.html"].subtitle
    line = "복지부, 요양원 12곳에 돌봄 로봇 보급 · 야간 낙상 감지·말벗 기능 함께 시험"
    out = _outputs(ran)
    assert re.search(
        r"### \[요양원 돌봄 로봇 12곳 실증 착수\]\([^)]*\)\n\n\*" + re.escape(line) + r"\*\n",
        out["digest.md"],
    )
    # The text mail: indented under the title, wrapped at 72 columns like every line of it.
    assert (
        f"1-1. 요양원 돌봄 로봇 12곳 실증 착수\n{wrap(line, indent='  ')}\n  보건복지부가" in out["email.txt"]
    )
    assert f"<em>{line}</em>" in out["index.html"]
    assert re.search(r'<p class="subtitle"[^>]*>' + re.escape(line) + "</p>", out["email.html"])
    site = (ran / "public" / "2024-06-12" / "index.html").read_text("utf-8")
    assert f'<p class="subtitle">{line}</p>' in site
    # The summary starts at the lead, as before: no subtitle, no byline in it.
    assert items["1.html"]["summary"].startswith("보건복지부가 요양원 12곳에서")
