"""Theme placement on plain values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

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
