"""Theme placement on plain values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.config import load_settings
from digest.models import Item
from digest.themes import place, score_item

KST = timezone(timedelta(hours=9))
ROOT = Path(__file__).resolve().parent.parent
THEMES = load_settings(ROOT / "sources.yaml", env={}).themes
BY_ID = {t.id: t for t in THEMES}


def item(title: str, text: str = "") -> Item:
    now = datetime(2024, 6, 12, tzinfo=KST)
    return Item(
        id=1,
        source="A",
        url="http://x/1",
        canonical_url="http://x/1",
        guid=None,
        title=title,
        summary="",
        text=text,
        published=now,
        first_seen=now,
    )


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
