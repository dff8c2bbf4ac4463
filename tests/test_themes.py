"""Theme placement on plain values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.config import load_settings
from digest.learn import train
from digest.models import Item, Story
from digest.themes import explain, place, rank, score_item

from .conftest import ITEM_TIME, make_item

KST = timezone(timedelta(hours=9))
ROOT = Path(__file__).resolve().parent.parent
THEMES = load_settings(ROOT / "sources.yaml", env={}).themes
BY_ID = {t.id: t for t in THEMES}


def item(title: str, text: str = "") -> Item:
    return make_item(1, title, text)


def test_spacing_does_not_matter_for_korean_terms() -> None:
    spaced, _ = score_item(item("규제 샌드박스 심의 통과"), BY_ID["regulatory_sandbox"])
    joined, _ = score_item(item("규제샌드박스 심의 통과"), BY_ID["regulatory_sandbox"])
    assert spaced == joined > 0
    robot_a, _ = score_item(item("돌봄로봇 보급"), BY_ID["silver_devices"])
    robot_b, _ = score_item(item("돌봄 로봇 보급"), BY_ID["silver_devices"])
    assert robot_a == robot_b > 0


def test_title_weighs_more_than_body() -> None:
    in_title, _ = score_item(item("가상병원 개소"), BY_ID["ai_demos"])
    in_body, _ = score_item(item("개소식 열려", "가상병원"), BY_ID["ai_demos"])
    assert in_title > in_body > 0


def test_english_terms_fold_case_and_plural() -> None:
    s, why = score_item(item("Care Robots for older adults"), BY_ID["silver_devices"])
    assert s > 0 and any("care robot" in w for w in why)


def test_story_level_vote_and_explanation() -> None:
    a = item(
        "휴이노 손목시계형 심전도, 규제샌드박스 실증특례", "과기정통부 심의위원회가 실증특례를 부여했다."
    )
    b = item("웨어러블 심전도 서비스 출시 길 열려", "실증특례로 2년간 서비스를 한다.")
    p = place([a, b], THEMES, min_score=2.0)
    assert p.theme == "regulatory_sandbox"
    assert any("실증특례" in r for r in p.reasons)


def test_weak_story_goes_to_other() -> None:
    p = place([item("서울 내일 맑음, 낮 최고 28도", "전국이 대체로 맑겠다.")], THEMES, min_score=2.0)
    assert p.theme == "other"


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # A pension rise is about older people, not a device.
        (
            "내년 기초연금 월 34만원 넘는다",
            "보건복지부는 어르신 기초연금을 물가에 맞춰 올린다. 노인 가구 소득이 는다.",
        ),
        # AI in chips is not AI put on trial in care.
        (
            "AI 반도체 훈풍에 ICT 수출 최대",
            "인공지능 서버용 HBM 수요로 반도체 수출이 늘었다. 신제품 실증도 이어진다.",
        ),
        # A drug-price rule is regulation, not a sandbox.
        ("사용량-약가 연동 협상 기준 개정", "건강보험심사평가원은 약가 협상 기준을 고쳐 규제를 합리화한다."),
        # A fintech sandbox is not a health-tech sandbox.
        ("핀테크 혁신금융서비스 5건 지정", "금융위원회는 규제샌드박스로 핀테크 서비스 5건을 지정했다."),
    ],
)
def test_traps_go_to_other(title: str, body: str) -> None:
    assert place([item(title, body)], THEMES, min_score=3.0).theme == "other"


def test_conjunctive_term_needs_all_parts() -> None:
    with_both = place([item("응급실 AI 중증도 분류 시범사업 착수", "권역센터 5곳이 참여한다.")], THEMES, 3.0)
    assert with_both.theme == "ai_demos"
    assert any("AI + 시범사업" in r for r in with_both.reasons)
    ai_only = place([item("AI 스타트업 투자 유치", "인공지능 기업이 투자를 받았다.")], THEMES, 3.0)
    assert ai_only.theme == "other"


# --------------------------------------------------------------------------- Korean matching


def analysed(title: str, text: str = "") -> Item:
    """An item with its morphemes, as the pipeline stores it (title + lead)."""
    from dataclasses import replace

    from digest.korean import analyse

    return replace(item(title, text), morphs=analyse(f"{title}\n{text[:400]}").tokens)


@pytest.mark.parametrize(
    ("a", "b", "theme"),
    [
        ("규제샌드박스 심의 통과", "규제 샌드박스를 통과했다", "regulatory_sandbox"),
        ("돌봄로봇 보급 확대", "돌봄 로봇을 보급한다", "silver_devices"),
        ("낙상감지 센서 보급", "'낙상 감지' 센서가 보급된다", "silver_devices"),
        ("의료인공지능 실증 착수", "의료 인공지능의 실증에 나선다", "ai_demos"),
    ],
)
def test_spacing_compounds_and_particles_do_not_matter(a: str, b: str, theme: str) -> None:
    for make in (item, analysed):
        sa, why_a = score_item(make(a), BY_ID[theme])
        sb, why_b = score_item(make(b), BY_ID[theme])
        assert sa > 0 and sb > 0
        assert {w.split(" (")[0] for w in why_a} == {w.split(" (")[0] for w in why_b}


def test_a_term_never_begins_in_the_middle_of_a_word() -> None:
    # `다시 연락` squeezed holds `시연`; a word rule and the morphemes both say no.
    for make in (item, analysed):
        _, why = score_item(make("담당자가 다시 연락해 상황을 묻는다"), BY_ID["ai_demos"])
        assert not any(w.startswith("시연") for w in why)


def test_morphemes_keep_a_term_out_of_a_longer_word() -> None:
    # 정보통신기술 = 정보 + 통신 + 기술: no `신기술` in it once the analyser has spoken.
    _, plain = score_item(item("정보통신기술 동향"), BY_ID["regulatory_sandbox"])
    _, morph = score_item(analysed("정보통신기술 동향"), BY_ID["regulatory_sandbox"])
    assert any(w.startswith("신기술") for w in plain)
    assert not any(w.startswith("신기술") for w in morph)


# --------------------------------------------------------------------------- decisions


def test_precedence_makes_a_sandbox_decision_about_care_a_sandbox_story() -> None:
    story = [
        item(
            "규제자유특구 4곳 지정…고령친화 원격돌봄 실증",
            "부산은 고령친화 디지털헬스 특구에서 어르신 원격 돌봄을 실증한다. 돌봄 로봇도 쓴다.",
        )
    ]
    p = place(story, THEMES, 3.0)
    assert p.theme == "regulatory_sandbox"
    assert "silver_devices" in p.secondary
    assert p.reasons[0].startswith("precedence")
    # Without the headline term, the same care story stays a care story.
    body_only = [item("고령친화 원격돌봄 실증", "규제자유특구에서 어르신 원격 돌봄을 실증한다.")]
    assert place(body_only, THEMES, 3.0).theme == "silver_devices"


def test_every_item_of_a_story_votes() -> None:
    strong = item("AI 돌봄로봇 보급", "홀몸 어르신 댁에 돌봄 로봇을 보급한다.")
    weak = [item("구청 소식", "구청이 행사를 열었다.") for _ in range(5)]
    assert place([strong], THEMES, 3.0).theme == "silver_devices"
    assert place([strong, *weak], THEMES, 3.0).theme == "other"  # the mean decides


def test_explain_lists_every_theme_with_its_terms() -> None:
    scores = explain([item("가상병원 개소", "AI 실증을 시작한다.")], THEMES)
    assert scores[0].theme == "ai_demos"
    assert {s.theme for s in scores} == {"silver_devices", "ai_demos", "regulatory_sandbox"}
    top = scores[0]
    assert top.core and top.title_core and any(r.startswith("가상병원 (title)") for r in top.reasons)


def test_fintech_sandbox_with_health_words_is_still_excluded() -> None:
    p = place([item("핀테크 규제샌드박스 지정", "혁신금융서비스로 건강보험 앱을 지정했다.")], THEMES, 3.0)
    assert p.theme == "other"


# --------------------------------------------------------------------------- learned model


def _examples() -> list[tuple[Item, str]]:
    care = ["어르신 안부 확인 서비스", "홀몸 어르신 안부 스피커", "어르신 안부 전화 확대"]
    ai = ["폐 영상 분석 알고리즘 도입", "영상 분석 알고리즘 병원 적용", "흉부 영상 분석 알고리즘"]
    other = ["프로야구 개막전 매진", "프로야구 올스타 투표", "날씨 맑고 더워"]
    return (
        [(analysed(t), "silver_devices") for t in care]
        + [(analysed(t), "ai_demos") for t in ai]
        + [(analysed(t), "other") for t in other]
    )


def test_learned_model_decides_only_where_rules_are_weak() -> None:
    model = train(_examples())
    assert model is not None
    story = [analysed("어르신 안부 확인 스피커 보급")]  # no core term: the rules say other
    assert place(story, THEMES, 3.0).theme == "other"
    p = place(story, THEMES, 3.0, model=model)
    assert p.theme == "silver_devices"
    assert p.reasons[0].startswith("model: silver_devices") and any("안부" in r for r in p.reasons)
    # A strong explicit rule is never overridden.
    strong = [analysed("규제샌드박스 실증특례로 영상 분석 알고리즘 도입")]
    assert place(strong, THEMES, 3.0, model=model).theme == "regulatory_sandbox"


def test_learned_model_needs_two_themes() -> None:
    assert train([(analysed("어르신 안부"), "silver_devices")]) is None
    assert train([]) is None


# --------------------------------------------------------------------------- rank: order within a theme

NOW = ITEM_TIME + timedelta(hours=12)


def story(
    story_id: str,
    *outlets: str,
    hours_ago: float = 1.0,
    chars: int = 0,
    published: bool = True,
) -> Story:
    """A story with one item per outlet named (an outlet named twice gives two of its items), the
    newest of them `hours_ago` before NOW, each with `chars` characters of text."""
    moment = NOW - timedelta(hours=hours_ago)
    items = tuple(
        make_item(
            n,
            source=outlet,
            text="가" * chars,
            published=moment - timedelta(hours=n) if published else None,
            first_seen=moment - timedelta(hours=n),
        )
        for n, outlet in enumerate(outlets or ("A",))
    )
    return Story(id=story_id, items=items, title=story_id, summary="")


def order(*stories: Story, now: datetime = NOW) -> list[str]:
    return [s.id for s in rank(stories, now)]


def test_rank_puts_more_outlets_first_even_when_older_and_thinner() -> None:
    wide = story("wide", "A", "B", "C", hours_ago=10, chars=0)
    narrow = story("narrow", "A", "B", hours_ago=0, chars=5000)
    single = story("single", "A", hours_ago=0, chars=5000)
    assert order(single, narrow, wide) == ["wide", "narrow", "single"]


def test_rank_counts_outlets_not_items() -> None:
    same_outlet = story("a-same", "A", "A", "A", hours_ago=5)
    two_outlets = story("b-two", "A", "B", hours_ago=5)
    assert order(same_outlet, two_outlets) == ["b-two", "a-same"]


def test_rank_puts_fresher_first_among_equal_outlets_even_when_thinner() -> None:
    fresh = story("z-fresh", "A", hours_ago=1, chars=0)
    stale = story("a-stale", "A", hours_ago=6, chars=5000)
    assert order(stale, fresh) == ["z-fresh", "a-stale"]


def test_rank_dates_a_story_by_its_newest_item() -> None:
    # the newest item of `recent` is 1 h old, though its other items are older than all of `steady`'s
    recent = story("z-recent", "A", "B", "C", hours_ago=1)
    steady = Story(
        id="a-steady",
        items=tuple(make_item(n, source=o, published=NOW - timedelta(hours=2)) for n, o in enumerate("ABC")),
        title="",
        summary="",
    )
    assert order(steady, recent) == ["z-recent", "a-steady"]


def test_rank_uses_first_seen_when_an_item_has_no_date() -> None:
    undated_fresh = story("z-undated", "A", hours_ago=1, published=False)
    dated_stale = story("a-dated", "A", hours_ago=3)
    assert order(dated_stale, undated_fresh) == ["z-undated", "a-dated"]


def test_rank_freshness_counts_in_tenths_of_an_hour_and_never_below_zero() -> None:
    # two minutes apart round to the same age, so completeness decides
    newer_thin = story("a-newer", "A", hours_ago=2.0, chars=0)
    older_full = story("z-older", "A", hours_ago=2.0 + 2 / 60, chars=1000)
    assert order(newer_thin, older_full) == ["z-older", "a-newer"]
    # a story dated after `now` (a clock ahead) is as fresh as one of now, not fresher
    future = story("z-future", "A", hours_ago=-3, chars=0)
    current = story("a-current", "A", hours_ago=0, chars=0)
    assert order(future, current) == ["a-current", "z-future"]


def test_rank_puts_more_complete_first_in_steps_of_500_characters() -> None:
    full = story("z-full", "A", chars=1600)
    thin = story("a-thin", "A", chars=400)
    assert order(thin, full) == ["z-full", "a-thin"]
    # within one 500-character step (1..500, 501..1000, …) completeness ties and the id decides
    assert order(story("z", "A", chars=120), story("a", "A", chars=480)) == ["a", "z"]
    assert order(story("z", "A", chars=1000), story("a", "A", chars=501)) == ["a", "z"]


def test_rank_caps_completeness_at_5000_characters() -> None:
    huge = story("z-huge", "A", chars=20000)
    long = story("a-long", "A", chars=4600)
    assert order(huge, long) == ["a-long", "z-huge"]


def test_rank_completeness_reads_text_else_summary_of_the_fullest_item() -> None:
    summary_only = Story(
        id="z-summary",
        items=(make_item(1, summary="가" * 900, published=NOW), make_item(2, text="", published=NOW)),
        title="",
        summary="",
    )
    bare = Story(id="a-bare", items=(make_item(3, published=NOW),), title="", summary="")
    assert order(bare, summary_only) == ["z-summary", "a-bare"]
    # an item's text, when it has one, counts instead of its (longer) summary
    short_text = Story(
        id="a-short-text",
        items=(make_item(4, text="가" * 100, summary="가" * 4000, published=NOW),),
        title="",
        summary="",
    )
    assert order(short_text, summary_only) == ["z-summary", "a-short-text"]


def test_rank_breaks_full_ties_by_story_id_whatever_the_input_order() -> None:
    stories = [story(i, "A", hours_ago=2, chars=300) for i in ("s-b", "s-c", "s-a")]
    assert order(*stories) == ["s-a", "s-b", "s-c"]
    assert order(*reversed(stories)) == ["s-a", "s-b", "s-c"]
