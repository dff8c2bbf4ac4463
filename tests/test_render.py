"""Rendering: every output of one hand-built digest, its JSON schema, escaping, and golden files.

Set UPDATE_GOLDEN=1 to rewrite tests/data/golden/ from the current templates (then read the diff).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.digestjson import DigestRecord, ItemRecord, counts_of_json
from digest.errors import ConfigError
from digest.models import Digest, EmailSettings, Item, Placement, Settings, Story, ThemeSection
from digest.render import (
    digest_to_dict,
    display_width,
    email_subject,
    make_environment,
    md_escape,
    render_all,
)

from .conftest import make_item

GOLDEN = Path(__file__).parent / "data" / "golden"

KST = timezone(timedelta(hours=9))
EVIL_TITLE = '고령자 낙상 감지 <script>alert("x")</script> [x](javascript:alert(1)) *굵게* _밑줄_ `코드`'


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=KST)


def _item(
    n: int,
    source: str,
    title: str,
    url: str,
    story: str,
    published: datetime | None,
    *,
    summary: str = "",
    text: str = "",
    issued_on: date | None = None,
) -> Item:
    return make_item(
        n,
        title,
        text,
        source=source,
        url=url,
        summary=summary,
        published=published,
        first_seen=_at(13, 6),
        story_id=story,
        issued_on=issued_on,
    )


def sample_digest() -> Digest:
    robot = Story(
        id="s-robot",
        title="요양원 돌봄 로봇 실증 착수… 낙상 감지·투약 알림 시범 운영",
        summary=(
            "보건복지부가 전국 요양원 12곳에서 돌봄 로봇 실증을 시작한다. "
            "낙상 감지와 투약 알림 기능을 6개월간 시범 운영한 뒤 확대 여부를 정한다."
        ),
        items=(
            _item(
                1,
                "청년의사",
                "요양원 돌봄 로봇 실증 착수… 낙상 감지·투약 알림 시범 운영",
                "https://www.docdocdoc.co.kr/news/articleView.html?idxno=3001",
                "s-robot",
                _at(13, 9, 30),
                summary="보건복지부가 전국 요양원 12곳에서 돌봄 로봇 실증을 시작한다.",
                text="보건복지부가 전국 요양원 12곳에서 돌봄 로봇 실증을 시작한다.\n\n두 번째 문단.",
            ),
            _item(
                2,
                "메디게이트뉴스",
                "복지부, 돌봄 로봇 요양원 12곳 실증",
                "https://medigatenews.com/news/3002",
                "s-robot",
                _at(13, 10, 5),
            ),
            _item(
                3,
                "데일리메디",
                "돌봄 로봇 실증사업 본격화",
                "http://dailymedi.com/n/3003",
                "s-robot",
                _at(12, 22, 40),
            ),
        ),
        placement=Placement(
            theme="silver_devices", score=7.5, secondary=("ai_demos",), reasons=("title: 돌봄 로봇 ×3.0",)
        ),
        evidence=("same event: title similarity 0.82",),
    )
    evil = Story(
        id="s-evil",
        title=EVIL_TITLE,
        summary='요약에 <img src=x onerror=alert(1)> 태그와 {: onclick="alert(1)" } 속성 주입 시도가 있다.',
        items=(_item(4, "헬스<b>경향</b>", EVIL_TITLE, "javascript:alert(1)", "s-evil", None),),
        placement=Placement(theme="silver_devices", score=2.0),
    )
    virtual = Story(
        id="s-virtual",
        title="가상병원 시범사업 2차 실증 결과 발표",
        summary="지난주 시작한 가상병원 시범사업의 2차 실증 결과가 나왔다.",
        is_update=True,
        items=(
            _item(
                5,
                "의학신문",
                "가상병원 2차 실증 결과… 대기시간 30% 줄어",
                "https://www.bosa.co.kr/5",
                "s-virtual",
                _at(13, 8),
            ),
        ),
        earlier=(
            _item(
                6,
                "청년의사",
                "가상병원 시범사업 첫 실증 돌입",
                "https://www.docdocdoc.co.kr/news/articleView.html?idxno=2990",
                "s-virtual",
                _at(12, 15),
                issued_on=date(2024, 6, 12),
            ),
        ),
        placement=Placement(theme="ai_demos", score=5.0, reasons=("title: 가상병원 ×2.5", "body: 실증 ×1.0")),
    )
    weather = Story(
        id="s-weather",
        title="장마 앞두고 온열질환 주의보",
        summary="질병관리청이 온열질환 감시체계를 가동했다.",
        items=(
            _item(
                7,
                "헬스경향",
                "장마 앞두고 온열질환 주의보",
                "https://www.k-health.com/7",
                "s-weather",
                _at(13, 6, 50),
            ),
        ),
        placement=Placement(theme="other", score=0.0),
    )
    return Digest(
        date=date(2024, 6, 13),
        generated_at=_at(13, 7),
        title="헬스테크 데일리",
        timezone="Asia/Seoul",
        sections=(
            ThemeSection("silver_devices", "실버·고령친화 기기", "Silver devices", "", (robot, evil)),
            ThemeSection("ai_demos", "의료 AI 실증·시연", "AI demos", "", (virtual,)),
            ThemeSection("regulatory_sandbox", "규제샌드박스", "Regulatory sandbox", "", ()),
            ThemeSection("other", "기타", "Other", "", (weather,)),
        ),
    )


def _settings(**kw: object) -> Settings:
    return Settings(path="sources.yaml", sources=(), themes=(), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return render_all(sample_digest(), _settings(), make_environment())


def test_every_output_is_rendered(outputs: dict[str, str]) -> None:
    assert set(outputs) == {"digest.md", "digest.json", "email.html", "email.txt", "index.html"}
    assert all(text.strip() for text in outputs.values())


def test_json_follows_the_format_and_round_trips(outputs: dict[str, str]) -> None:
    doc = json.loads(outputs["digest.json"])
    assert doc == digest_to_dict(sample_digest())
    assert doc["date"] == "2024-06-13"
    assert datetime.fromisoformat(doc["generated_at"]) == _at(13, 7)
    assert [t["id"] for t in doc["themes"]] == ["silver_devices", "ai_demos", "regulatory_sandbox", "other"]
    for theme in doc["themes"]:
        assert {"id", "title", "stories"} <= theme.keys()
        for story in theme["stories"]:
            assert {"id", "title", "summary", "items"} <= story.keys()
            for item in story["items"]:
                assert {"url", "title", "source", "published"} <= item.keys()
    robot = doc["themes"][0]["stories"][0]
    assert list(robot) == [
        "id", "title", "summary", "is_update", "theme", "secondary_themes", "score", "reasons",
        "outlets", "items", "earlier", "evidence",
    ]  # fmt: skip
    assert robot["outlets"] == ["청년의사", "메디게이트뉴스", "데일리메디"]
    assert robot["items"][0]["text"].startswith("보건복지부가")
    assert "text" not in robot["items"][1]
    assert robot["items"][0]["published"] == "2024-06-13T09:30:00+09:00"
    assert doc["themes"][0]["stories"][1]["items"][0]["published"] is None
    assert doc["themes"][1]["stories"][0]["is_update"] is True


def test_json_records_round_trip(outputs: dict[str, str]) -> None:
    record = DigestRecord.from_digest(sample_digest())
    assert record.to_json() == outputs["digest.json"]
    assert DigestRecord.from_dict(record.to_dict()) == record
    assert DigestRecord.from_json(outputs["digest.json"]) == record


def test_json_records_read_what_is_missing_as_empty() -> None:
    doc = digest_to_dict(sample_digest())
    del doc["date"], doc["generated_at"], doc["timezone"]
    story = doc["themes"][0]["stories"][0]
    del story["earlier"], story["evidence"], story["score"], story["is_update"]
    del story["items"][0]["text"], story["items"][0]["story_id"], story["items"][0]["published"]
    record = DigestRecord.from_dict(doc, date(2024, 6, 13))
    assert (record.date, record.generated_at, record.timezone) == (date(2024, 6, 13), None, "")
    assert str(record.zone) == "Asia/Seoul"
    robot = record.themes[0].stories[0]
    assert (robot.earlier, robot.evidence, robot.score, robot.is_update) == ((), (), 0.0, False)
    first = robot.items[0]
    assert first == ItemRecord(first.url, first.title, first.source, None, first.summary, "", "s-robot")
    with pytest.raises(ValueError, match="folder"):
        DigestRecord.from_dict(doc | {"date": "2024-06-12"}, date(2024, 6, 13))


def test_counts_of_json(outputs: dict[str, str]) -> None:
    doc = json.loads(outputs["digest.json"])
    sections = tuple((t["title"], len(t["stories"])) for t in doc["themes"])
    everything = sum(n for _, n in sections)
    others = len(doc["themes"][-1]["stories"])
    assert counts_of_json(outputs["digest.json"], include_other=True) == (sections, everything)
    assert counts_of_json(outputs["digest.json"], include_other=False) == (sections, everything - others)


def test_hidden_other_is_left_out_everywhere() -> None:
    out = render_all(sample_digest(), _settings(other_position="hidden"), make_environment())
    assert [t["id"] for t in json.loads(out["digest.json"])["themes"]][-1] == "regulatory_sandbox"
    for name in ("digest.md", "email.txt", "email.html", "index.html"):
        assert "온열질환" not in out[name], name


def test_email_leaves_out_other_unless_asked(outputs: dict[str, str]) -> None:
    assert "온열질환" in outputs["digest.md"]
    assert "온열질환" in outputs["index.html"]
    assert "온열질환" not in outputs["email.txt"]
    assert "온열질환" not in outputs["email.html"]
    out = render_all(sample_digest(), _settings(email=EmailSettings(include_other=True)), make_environment())
    assert "온열질환" in out["email.txt"]
    assert "온열질환" in out["email.html"]


def test_empty_theme_says_so(outputs: dict[str, str]) -> None:
    for name in ("digest.md", "email.txt", "email.html", "index.html"):
        text = outputs[name]
        assert "규제샌드박스" in text, name
        assert "새 소식이 없습니다." in text, name


def test_korean_date_and_times(outputs: dict[str, str]) -> None:
    for name in ("digest.md", "email.txt", "email.html", "index.html"):
        assert "2024년 6월 13일 (목)" in outputs[name], name
    assert "09:30 KST" in outputs["email.txt"]
    assert "6월 12일 22:40 KST" in outputs["email.txt"]  # published the day before the digest
    assert "청년의사 외 2곳" in outputs["digest.md"]


def test_update_story_is_marked(outputs: dict[str, str]) -> None:
    for name in ("digest.md", "email.txt", "email.html", "index.html"):
        text = " ".join(outputs[name].split())  # the text e-mail wraps the sentence
        assert "후속 보도" in text, name
        assert "2024년 6월 12일 (수) 다이제스트에서 전한 소식에 이어지는 보도입니다." in text, name
        assert "가상병원 시범사업 첫 실증 돌입" in text, name


class _Tags(HTMLParser):
    """Every start tag with its attributes, entities decoded, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


@pytest.mark.parametrize("name", ["email.html", "index.html"])
def test_feed_text_cannot_inject_html(outputs: dict[str, str], name: str) -> None:
    html = outputs[name]
    tags = _Tags(html).tags
    names = {tag for tag, _ in tags}
    assert not names & {"script", "img", "b", "iframe", "object", "embed", "link"}, names
    attributes = [(key, value or "") for _, attrs in tags for key, value in attrs]
    assert not [key for key, _ in attributes if key.startswith("on")]
    hrefs = [value.strip() for key, value in attributes if key in ("href", "src")]
    assert hrefs and all(h.startswith(("https://", "http://", "#")) for h in hrefs), hrefs
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html  # the title is still there, as text


def test_markdown_keeps_feed_text_inert(outputs: dict[str, str]) -> None:
    md = outputs["digest.md"]
    assert not re.search(r"(?<!\\)\]\(javascript:", md)
    assert "<script" not in md
    assert r"\[x\](javascript:alert(1))" in md
    assert r"\*굵게\*" in md
    assert md_escape("- 목록\n# 제목") == r"\- 목록 \# 제목"
    assert md_escape("1. 첫째") == r"1\. 첫째"
    assert md_escape("&lt; 와 AT&T") == "&amp;lt; 와 AT&T"


def test_page_is_a_korean_utf8_page(outputs: dict[str, str]) -> None:
    page = outputs["index.html"]
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="ko">' in page
    assert '<meta charset="utf-8">' in page
    assert 'name="viewport"' in page
    assert '<h2 id="theme-regulatory_sandbox">' in page
    assert '<a href="#theme-silver_devices"' in page


def test_email_html_is_inlined_and_self_contained(outputs: dict[str, str]) -> None:
    html = outputs["email.html"]
    assert "max-width: 640px" in html
    assert "color-scheme" in html
    assert "prefers-color-scheme: dark" in html
    assert "Apple SD Gothic Neo" in html
    assert 'class="story"' in html and 'style="' in html
    assert "<img" not in html and "<link" not in html and "<script" not in html
    assert '<span class="chip"' in html


def test_text_email_wraps_and_lists_links(outputs: dict[str, str]) -> None:
    text = outputs["email.txt"]
    assert max(display_width(line) for line in text.splitlines() if "://" not in line) <= 72
    assert "https://medigatenews.com/news/3002" in text
    assert not [line for line in text.splitlines() if line.strip().startswith("javascript:")]


def test_subject_is_one_line() -> None:
    email = EmailSettings(subject="[{title}] {date} · 스토리 {stories}건 {unknown}")
    subject = email_subject(sample_digest(), email, "헬스\r\nBcc: evil@example.com\u2028\x85데일리")
    assert subject == "[헬스 Bcc: evil@example.com 데일리] 2024년 6월 13일 (목) · 스토리 3건 {unknown}"
    with_other = EmailSettings(include_other=True)
    assert email_subject(sample_digest(), with_other, "T").endswith("스토리 4건")


def test_unknown_time_zone_is_a_config_error() -> None:
    digest = sample_digest()
    bad = Digest(digest.date, digest.generated_at, digest.title, "Mars/Olympus", digest.sections)
    with pytest.raises(ConfigError, match="timezone"):
        render_all(bad, _settings(), make_environment())


@pytest.mark.parametrize("name", ["digest.md", "email.txt"])
def test_golden(outputs: dict[str, str], name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(outputs[name], encoding="utf-8", newline="\n")
    assert outputs[name] == golden.read_text(encoding="utf-8")


def test_an_item_from_another_year_shows_its_year() -> None:
    from zoneinfo import ZoneInfo

    from digest.render import clock

    kst = ZoneInfo("Asia/Seoul")
    today = date(2024, 6, 13)
    assert clock(datetime(2024, 6, 13, 9, 5, tzinfo=kst), kst, today) == "09:05 KST"
    assert clock(datetime(2024, 6, 12, 9, 5, tzinfo=kst), kst, today) == "6월 12일 09:05 KST"
    assert clock(datetime(2020, 6, 12, 9, 5, tzinfo=kst), kst, today) == "2020년 6월 12일 09:05 KST"


def _one_and_many() -> Digest:
    """One theme: the three-outlet robot story, then the sample's story of one article (weather)."""
    digest = sample_digest()
    stories = {story.id: story for section in digest.sections for story in section.stories}
    robot, single = stories["s-robot"], stories["s-weather"]
    section = ThemeSection("silver_devices", "실버·고령친화 기기", "Silver devices", "", (robot, single))
    return dataclasses.replace(digest, sections=(section,))


@pytest.fixture(scope="module")
def one_and_many() -> dict[str, str]:
    return render_all(_one_and_many(), _settings(), make_environment())


@pytest.mark.parametrize("name", ["digest.md", "email.txt", "email.html", "index.html"])
def test_a_single_item_story_shows_its_title_and_outlet_once(one_and_many: dict[str, str], name: str) -> None:
    text = one_and_many[name]
    assert text.count("장마 앞두고 온열질환 주의보") == 1, name  # the heading, no item line
    assert text.count("헬스경향") == 1, name  # no "보도:" line beside the byline
    assert "보도: 헬스경향" not in text, name
    assert "06:50 KST" in text, name
    assert "질병관리청이 온열질환 감시체계를 가동했다." in text, name
    assert text.count("https://www.k-health.com/7") == 1, name  # the heading's link (a URL line in text)


def test_a_single_item_story_is_heading_summary_byline(one_and_many: dict[str, str]) -> None:
    md = one_and_many["digest.md"]
    assert (
        "### [장마 앞두고 온열질환 주의보](https://www.k-health.com/7)\n\n"
        "질병관리청이 온열질환 감시체계를 가동했다.\n\n"
        "헬스경향 · 06:50 KST\n"
    ) in md
    text = one_and_many["email.txt"]
    assert (
        "1-2. 장마 앞두고 온열질환 주의보\n"
        "  질병관리청이 온열질환 감시체계를 가동했다.\n"
        "  헬스경향 · 06:50 KST\n"
        "  https://www.k-health.com/7\n"
    ) in text
    html = one_and_many["email.html"]
    assert re.search(
        r'<h3 class="story-title"[^>]*><a href="https://www.k-health.com/7"[^>]*>장마 앞두고', html
    )
    assert re.search(
        r'<span class="chip"[^>]*>헬스경향</span><span class="item-meta"[^>]*>06:50 KST</span>', html
    )


@pytest.mark.parametrize("name", ["digest.md", "email.txt", "email.html", "index.html"])
def test_a_story_of_several_items_lists_every_item(one_and_many: dict[str, str], name: str) -> None:
    text = one_and_many[name]
    for title in ("복지부, 돌봄 로봇 요양원 12곳 실증", "돌봄 로봇 실증사업 본격화"):
        assert text.count(title) == 1, (name, title)
    for when in ("09:30 KST", "10:05 KST", "6월 12일 22:40 KST"):
        assert when in text, (name, when)
    # the story's title is its heading and again its first item's line
    assert text.count("요양원 돌봄 로봇 실증 착수… 낙상 감지·투약 알림 시범 운영") >= 2, name
    if name == "email.html":
        assert len(re.findall(r'<td class="item"', text)) == 3
        for outlet in ("청년의사", "메디게이트뉴스", "데일리메디"):
            assert re.search(rf'<span class="chip"[^>]*>{outlet}</span>', text), outlet
    else:
        assert "보도: 청년의사 외 2곳" in text, name


# --------------------------------------------------------------------------- dates only, subtitles


def _dated_and_subtitled() -> Digest:
    """The robot story of three, its items given a date only (another year, too) and subtitles."""
    digest = _one_and_many()
    section = digest.sections[0]
    robot, single = section.stories
    first, second, third = robot.items
    items = (
        dataclasses.replace(first, subtitle="낙상 감지·투약 알림 6개월 시범\n내년 확대 여부 결정"),
        dataclasses.replace(second, published=datetime(2024, 6, 12, tzinfo=KST), date_only=True),
        dataclasses.replace(third, published=datetime(2023, 6, 12, tzinfo=KST), date_only=True),
    )
    weather = dataclasses.replace(single.items[0], subtitle="질병청 감시체계 가동")
    stories = (dataclasses.replace(robot, items=items), dataclasses.replace(single, items=(weather,)))
    return dataclasses.replace(digest, sections=(dataclasses.replace(section, stories=stories),))


@pytest.fixture(scope="module")
def dated() -> dict[str, str]:
    return render_all(_dated_and_subtitled(), _settings(), make_environment())


@pytest.mark.parametrize("name", ["digest.md", "email.txt", "email.html", "index.html"])
def test_an_item_dated_without_a_time_shows_its_date_never_midnight(dated: dict[str, str], name: str) -> None:
    text = dated[name]
    assert "00:00" not in text, name
    assert re.search(r"메디게이트뉴스(?: · |</span>)?(?:<br>)?[^\n]*6월 12일(?![\d ]*\d:)", text), name
    assert "2023년 6월 12일" in text, name  # another year: its year too
    assert "09:30 KST" in text, name  # the items with a time keep it


def test_digest_json_says_which_times_are_unknown_and_reads_it_back(dated: dict[str, str]) -> None:
    doc = json.loads(dated["digest.json"])
    items = doc["themes"][0]["stories"][0]["items"]
    assert [i.get("time_known", True) for i in items] == [True, False, False]
    assert list(items[1])[:5] == ["url", "title", "source", "published", "time_known"]
    assert items[0]["subtitle"] == "낙상 감지·투약 알림 6개월 시범\n내년 확대 여부 결정"
    assert "subtitle" not in items[1]
    record = DigestRecord.from_json(dated["digest.json"])
    read = record.themes[0].stories[0].items
    assert [i.date_only for i in read] == [False, True, True]
    assert read[0].subtitle.startswith("낙상 감지")
    assert record.to_json() == dated["digest.json"]


def test_subtitles_show_under_the_title(dated: dict[str, str]) -> None:
    md = dated["digest.md"]
    assert "### [장마 앞두고 온열질환 주의보](https://www.k-health.com/7)\n\n*질병청 감시체계 가동*\n\n" in md
    assert re.search(
        r"— 청년의사 · 09:30 KST  \n  \*낙상 감지·투약 알림 6개월 시범 · 내년 확대 여부 결정\*\n", md
    )
    text = dated["email.txt"]
    assert "1-2. 장마 앞두고 온열질환 주의보\n  질병청 감시체계 가동\n" in text
    assert (
        "시범 운영\n    낙상 감지·투약 알림 6개월 시범 · 내년 확대 여부 결정\n    청년의사 · 09:30 KST"
        in text
    )
    html = dated["email.html"]
    assert re.search(r'<p class="subtitle"[^>]*>질병청 감시체계 가동</p>', html)
    assert re.search(
        r'<span class="item-sub"[^>]*>낙상 감지·투약 알림 6개월 시범 · 내년 확대 여부 결정</span>', html
    )
    page = dated["index.html"]
    assert "<em>질병청 감시체계 가동</em>" in page
    assert "<br>\n<em>낙상 감지·투약 알림 6개월 시범 · 내년 확대 여부 결정</em>" in page


def test_a_subtitle_is_feed_text_made_inert() -> None:
    digest = _dated_and_subtitled()
    section = digest.sections[0]
    single = section.stories[1]
    evil = dataclasses.replace(
        single.items[0], subtitle="<script>alert(1)</script> *굵게* [x](javascript:alert(1))"
    )
    story = dataclasses.replace(single, items=(evil,))
    digest = dataclasses.replace(
        digest, sections=(dataclasses.replace(section, stories=(section.stories[0], story)),)
    )
    out = render_all(digest, _settings(), make_environment())
    for name in ("email.html", "index.html"):
        tags = _Tags(out[name]).tags
        assert "script" not in {tag for tag, _ in tags}, name
        hrefs = [value or "" for _, attrs in tags for key, value in attrs if key == "href"]
        assert not [h for h in hrefs if "javascript" in h], name
        assert "&lt;script&gt;" in out[name], name  # the subtitle is still there, as text
    assert r"\[x\](javascript:alert(1))" in out["digest.md"] and r"\*굵게\*" in out["digest.md"]
