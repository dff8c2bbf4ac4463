"""The digest as an editor orders it: the day's lead story across themes, a date-only item ranked
by its date, an update's summary saying what is new, and English coverage named as such."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest import assemble, themes
from digest.config import load_settings
from digest.deliver.site import publish
from digest.korean import analyse
from digest.models import Item, Placement, Settings, Story
from digest.render import make_environment, render_all
from digest.updates import what_is_new

from .conftest import make_item
from .test_crosslingual import DAEGU_EN, DAEGU_KO, DAEGU_KO_REWRITE

KST = timezone(timedelta(hours=9))
NOON = datetime(2024, 6, 12, 12, 0, tzinfo=KST)

CARE_ROBOT = (
    "원주시, 독거노인 200가구에 돌봄로봇 보급",
    "원주시는 12일 독거노인 200가구에 말벗과 복약 알림 기능을 갖춘 돌봄로봇을 보급한다고 밝혔다. "
    "로봇은 낙상 감지 기능도 갖췄다.",
)
SANDBOX = (
    "손목시계형 심전도 측정기, 규제샌드박스 실증특례 받아",
    "과학기술정보통신부는 12일 신기술·서비스 심의위원회를 열어 손목시계형 심전도 측정기를 활용한 심장관리 "
    "서비스에 실증특례를 부여했다고 밝혔다. 실증은 2년 동안 2000명의 환자를 대상으로 이뤄진다.",
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    config = tmp_path_factory.mktemp("cfg") / "sources.yaml"
    config.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:1/feed'}\n", encoding="utf-8")
    return load_settings(config)


def ko(n: int, story: tuple[str, str], source: str, **kw: object) -> Item:
    title, text = story
    base = make_item(n, title, text, source=source, summary=text[:120], published=NOON, **kw)
    return replace(base, morphs=analyse(f"{title}\n{text[:400]}").tokens)


def build(settings: Settings, items: list[Item], earlier: Sequence[Item] = ()) -> assemble.Assembled:
    now = NOON + timedelta(hours=6)
    return assemble.build(settings, items, list(earlier), NOON.date(), now, now)


def test_the_lead_is_the_most_covered_story_across_themes_and_comes_first(settings: Settings) -> None:
    items = [
        ko(1, CARE_ROBOT, "강원일보"),  # silver devices, the first theme in the configured order: one outlet
        ko(2, SANDBOX, "정책브리핑"),  # a sandbox story three outlets reprinted
        ko(3, SANDBOX, "메디온뉴스"),
        ko(4, SANDBOX, "AI헬스포스트"),
    ]
    digest = build(settings, items).digest
    first = digest.sections[0]
    assert first.id == "regulatory_sandbox"
    assert first.stories[0].id == digest.lead
    assert len(first.stories[0].outlets) == 3
    # The other themes keep their configured order after it.
    assert [s.id for s in digest.sections[1:]] == ["silver_devices", "ai_demos", "other"]


def test_with_one_outlet_each_the_first_theme_keeps_its_place(settings: Settings) -> None:
    digest = build(settings, [ko(1, CARE_ROBOT, "강원일보"), ko(2, SANDBOX, "정책브리핑")]).digest
    scores = {s.id: themes.importance(s, NOON) for sec in digest.sections for s in sec.stories}
    assert digest.lead == max(scores, key=lambda k: scores[k])
    assert digest.sections[0].stories[0].id == digest.lead


def story(sid: str, outlets: int, score: float, hours_old: float, date_only: bool = False) -> Story:
    when = NOON - timedelta(hours=hours_old)
    items = tuple(
        make_item(i, f"t{sid}", "x", source=f"o{i}", published=when, date_only=date_only)
        for i in range(outlets)
    )
    return Story(sid, items, f"t{sid}", "", placement=Placement("silver_devices", score))


def test_importance_breadth_first_then_theme_score_then_freshness() -> None:
    assert themes.importance(story("a", 3, 1.0, 20), NOON) > themes.importance(story("b", 2, 40.0, 0), NOON)
    assert themes.importance(story("a", 2, 20.0, 10), NOON) > themes.importance(story("b", 2, 5.0, 10), NOON)
    assert themes.importance(story("a", 2, 5.0, 1), NOON) > themes.importance(story("b", 2, 5.0, 12), NOON)


def test_a_date_only_item_ranks_by_its_date_not_at_the_bottom() -> None:
    evening = NOON + timedelta(hours=8)
    # Published "2024-06-12" (no time: stored as midnight) against a story from 09:00 the same day.
    dated = story("dated", 1, 5.0, 12, date_only=True)
    timed = story("timed", 1, 5.0, 3)
    assert [s.id for s in themes.rank([timed, dated], evening)] == ["dated", "timed"]
    yesterday = story("yesterday", 1, 5.0, 27)  # 09:00 the day before
    assert [s.id for s in themes.rank([yesterday, dated], evening)] == ["dated", "yesterday"]


DESIGNATION = (
    "강원 디지털헬스케어 규제자유특구 지정",
    "중소벤처기업부는 12일 강원 원주를 디지털헬스케어 규제자유특구로 지정했다. 특구에서는 격오지 만성질환자 "
    "원격 모니터링을 실증한다. 2026년까지 400억원이 투입된다.",
)
FOLLOW_UP = (
    "원주 디지털헬스케어 특구, 원격 모니터링 환자 300명 넘어",
    "강원 원주 디지털헬스케어 규제자유특구에서 격오지 만성질환자 원격 모니터링 실증이 이어지고 있다. "
    "원주시는 18일 참여 환자가 첫 주에 300명을 넘었고 다음 달부터 홍천 보건진료소 12곳으로 넓힌다고 밝혔다. "
    "간호사 20명도 추가로 배치한다.",
)


def test_an_updates_summary_says_what_the_follow_up_adds(settings: Settings) -> None:
    earlier = replace(ko(1, DESIGNATION, "정책브리핑"), story_id="s-gw", issued_on=NOON.date())
    follow = replace(ko(2, FOLLOW_UP, "강원일보"), published=NOON + timedelta(days=6))
    digest = build(settings, [follow], [earlier]).digest
    [update] = [s for sec in digest.sections for s in sec.stories]
    assert update.is_update and update.id == "s-gw"
    assert update.summary.startswith("원주시는 18일 참여 환자가 첫 주에 300명을 넘었고")
    assert "이어지고 있다" not in update.summary  # the restated lead is not the news


def test_what_is_new_keeps_a_lead_that_is_new_and_the_summary_without_history() -> None:
    news = "원주시는 18일 참여 환자가 300명을 넘었다고 밝혔다. 시는 대상을 넓힌다."
    assert what_is_new(news, "SUMMARY", [DESIGNATION[1]]) == "SUMMARY"  # the lead is the news already
    assert what_is_new(news, "SUMMARY", []) == "SUMMARY"
    restated = DESIGNATION[1] + " " + news
    assert what_is_new(restated, "SUMMARY", [DESIGNATION[1]]).startswith("원주시는 18일")
    assert what_is_new(DESIGNATION[1], "SUMMARY", [DESIGNATION[1]]) == "SUMMARY"  # nothing new: as it was


def test_english_coverage_is_named_on_the_story(settings: Settings, tmp_path: Path) -> None:
    items = [
        ko(1, DAEGU_KO, "정책브리핑"),
        make_item(2, DAEGU_EN[0], DAEGU_EN[1], source="Korea Herald", published=NOON),
    ]
    digest = build(settings, items).digest
    [joined] = [s for sec in digest.sections for s in sec.stories]
    assert joined.outlets == ("정책브리핑", "Korea Herald")
    assert joined.english_outlets == ("Korea Herald",)
    assert joined.title == DAEGU_KO[0]


def test_every_output_says_also_in_english(settings: Settings, tmp_path: Path) -> None:
    items = [
        ko(1, DAEGU_KO, "정책브리핑"),
        ko(2, DAEGU_KO_REWRITE, "의학신문"),
        make_item(3, DAEGU_EN[0], DAEGU_EN[1], source="Korea Herald", published=NOON),
    ]
    digest = build(settings, items).digest
    outputs = render_all(digest, settings, make_environment())
    for name in ("digest.md", "email.txt", "email.html"):
        assert "영문 보도: Korea Herald" in outputs[name], name
    data = json.loads(outputs["digest.json"])
    assert data["lead"] == digest.lead
    [story] = [s for t in data["themes"] for s in t["stories"]]
    assert story["english_outlets"] == ["Korea Herald"]
    day = tmp_path / "out" / NOON.date().isoformat()
    day.mkdir(parents=True)
    (day / "digest.json").write_text(outputs["digest.json"], encoding="utf-8")
    publish(tmp_path / "out", tmp_path / "site", "digest")
    page = (tmp_path / "site" / NOON.date().isoformat() / "index.html").read_text(encoding="utf-8")
    assert "영문 보도: Korea Herald" in page


CARE_TOWNS = [
    ("원주시", 200, "말벗"),
    ("춘천시", 350, "복약 알림"),
    ("강릉시", 120, "낙상 감지"),
    ("속초시", 80, "영상 통화"),
]


def care_robot(town: str, homes: int, feature: str) -> tuple[str, str]:
    return (
        f"{town}, 독거노인 {homes}가구에 돌봄로봇 보급",
        f"{town}는 12일 독거노인 {homes}가구에 {feature} 기능을 갖춘 돌봄로봇을 보급한다고 밝혔다. "
        f"{town} 관계자는 {feature} 기능이 어르신들의 호응을 얻었다고 말했다.",
    )


def test_stories_beyond_the_cut_are_listed_under_more_and_published(
    settings: Settings, tmp_path: Path
) -> None:
    # Four care-robot stories, two shown per theme: the other two are listed under "더 보기" in
    # every output and published by this digest (none waits for tomorrow's, which would cluster
    # and score them again every day).
    items = [ko(n, care_robot(*town), f"지역{n}") for n, town in enumerate(CARE_TOWNS, 1)]
    assembled = build(replace(settings, max_stories_per_theme=2), items)
    [silver] = [s for s in assembled.digest.sections if s.id == "silver_devices"]
    assert (len(silver.stories), len(silver.more)) == (2, 2)
    assert set(assembled.story_of_item) == {1, 2, 3, 4}  # all four are this digest's
    assert assembled.digest.story_count == 2  # the counts are of the stories shown in full
    titles = [s.title for s in silver.more]
    outputs = render_all(assembled.digest, replace(settings, max_stories_per_theme=2), make_environment())
    assert "**더 보기** (2건)" in outputs["digest.md"]
    assert "더 보기 (2건)" in outputs["email.txt"]
    assert "더 보기 (2건)" in outputs["email.html"]
    for name in ("digest.md", "email.txt", "email.html", "index.html"):
        for title in titles:
            assert title in outputs[name], (name, title)
    [theme] = [t for t in json.loads(outputs["digest.json"])["themes"] if t["id"] == "silver_devices"]
    assert [s["title"] for s in theme["more"]] == titles
    assert all("text" not in it for s in theme["more"] for it in s["items"])
    day = tmp_path / "out" / NOON.date().isoformat()
    day.mkdir(parents=True)
    (day / "digest.json").write_text(outputs["digest.json"], encoding="utf-8")
    publish(tmp_path / "out", tmp_path / "site", "digest")
    page = (tmp_path / "site" / NOON.date().isoformat() / "index.html").read_text(encoding="utf-8")
    assert "더 보기" in page and all(t in page for t in titles)
    # A theme within the cut has nothing under "더 보기".
    assert not build(settings, items).digest.sections[0].more
