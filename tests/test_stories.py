"""Canonical URLs and story clustering on Korean text written for the purpose."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from digest.models import Item
from digest.stories import canonical_url, cluster, content_hash

KST = timezone(timedelta(hours=9))
T0 = datetime(2024, 6, 12, 9, 0, tzinfo=KST)

PRESS = (
    "과학기술정보통신부는 12일 정부과천청사에서 신기술·서비스 심의위원회를 열어 손목시계형 심전도 측정기를 활용한 "
    "심장관리 서비스에 실증특례를 부여했다고 밝혔다. 이 서비스는 환자가 손목에 찬 기기로 측정한 심전도 데이터를 "
    "의사에게 보내고, 의사가 이상 신호를 확인하면 병원 방문을 안내하는 방식이다. 심의위원회는 식품의약품안전처의 "
    "의료기기 허가를 먼저 받는다는 조건을 달았다. 실증은 2년 동안 2000명 안팎의 환자를 대상으로 제한된 범위에서 "
    "이뤄진다. 과기정통부는 앞으로도 규제 샌드박스를 통해 신기술의 시장 출시를 지원하겠다고 말했다."
)
OTHER = (
    "보건복지부는 내년부터 기초연금을 월 33만4000원으로 인상한다고 밝혔다. 이번 인상으로 노인 가구의 소득이 "
    "늘어날 것으로 기대된다. 복지부는 국민연금과의 연계 감액 제도도 손보기로 했다. 지급 대상은 소득 하위 70% "
    "어르신이며 신청은 주민센터와 국민연금공단 지사에서 받는다. 재원은 국비와 지방비로 나눠 부담한다."
)


def item(i: int, title: str, text: str, source: str = "A", hours: float = 0, **kw: object) -> Item:
    return Item(
        id=i,
        source=source,
        url=f"http://x/{i}",
        canonical_url=f"http://x/{i}",
        guid=None,
        title=title,
        summary=text[:80],
        text=text,
        published=T0 + timedelta(hours=hours),
        first_seen=T0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.Example.co.kr/news/articleView.html?idxno=123&utm_source=rss&utm_medium=feed#top",
            "http://example.co.kr/news/articleView.html?idxno=123",
        ),
        ("http://example.co.kr:80/a?fbclid=xyz", "http://example.co.kr/a"),
        (
            "http://127.0.0.1:8000/medion/news/a01.html?utm_campaign=x",
            "http://127.0.0.1:8000/medion/news/a01.html",
        ),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_content_hash_ignores_spacing_only() -> None:
    assert content_hash("제목", "본문 입니다") == content_hash("제목", "본문입니다")
    assert content_hash("제목", "본문입니다") != content_hash("제목", "본문이었다")


def test_reprint_with_new_lead_and_dropped_paragraph_joins_original() -> None:
    sentences = PRESS.split(". ")
    reprint = "[헬스비즈투데이] 웨어러블 심전도 서비스가 시장에 나온다. " + ". ".join(
        sentences[:3] + sentences[4:]
    )
    a = item(1, "손목시계형 심전도 측정기, 규제 샌드박스 첫 실증특례", PRESS, "정책브리핑")
    b = item(2, "웨어러블 심전도 서비스 실증특례 통과", reprint, "헬스비즈투데이", hours=2)
    c = item(3, "기초연금 월 33만원대로 인상", OTHER, "메디온뉴스")
    clusters = cluster([a, b, c])
    assert sorted(len(cl.items) for cl in clusters) == [1, 2]
    story = next(cl for cl in clusters if len(cl.items) == 2)
    assert story.items[0].id == 1, "the most complete item heads the story"
    assert story.evidence and "text overlap" in story.evidence[0]


def test_follow_up_joins_the_earlier_story_and_keeps_its_id() -> None:
    earlier = item(
        1, "손목시계형 심전도 측정기 실증특례", PRESS, "정책브리핑", story_id="s-ecg", issued_on=T0.date()
    )
    follow = item(
        2,
        "손목시계형 심전도 측정기 실증특례 후속…첫 환자 등록",
        PRESS[:200] + " 휴이노는 13일 첫 환자 등록을 마쳤다고 밝혔다.",
        "메디온뉴스",
        hours=24,
    )
    clusters = cluster([follow], earlier=[earlier])
    assert len(clusters) == 1
    assert clusters[0].story_id == "s-ecg"
    assert [i.id for i in clusters[0].items] == [2]
    assert [i.id for i in clusters[0].earlier] == [1]


def test_story_ids_are_deterministic() -> None:
    a = item(1, "기초연금 인상", OTHER)
    assert cluster([a])[0].story_id == cluster([a])[0].story_id
