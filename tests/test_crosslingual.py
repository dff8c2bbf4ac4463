"""English coverage of Korean events: an English report joins the Korean story it reports, and
look-alike events stay apart in both languages. Texts written for the purpose, in the style of
English desks of Korean outlets (Korea Herald, Yonhap English, Korea Biomedical Review)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from digest import crosslingual
from digest.config import load_settings
from digest.errors import ConfigError
from digest.glossary import glossary
from digest.korean import analyse
from digest.models import Item
from digest.stories import cluster
from digest.themes import place

from .conftest import make_item

DAEGU_KO = (
    "대구시, 디지털 의료기기 규제자유특구 지정…루닛 AI 폐암 검진 실증",
    "중소벤처기업부는 12일 규제자유특구위원회를 열어 대구를 디지털 의료기기 규제자유특구로 지정했다고 밝혔다.\n\n"
    "특구에서는 루닛과 대구가톨릭대병원이 120억원을 들여 흉부 엑스레이 AI 판독으로 폐암을 조기에 찾는 검진을 "
    "2년간 실증한다. 참여 기업은 15곳이다.\n\n"
    "대구시는 실증 결과를 바탕으로 AI 검진의 건강보험 적용을 건의할 계획이다.",
)
DAEGU_KO_REWRITE = (
    "루닛, 대구 특구서 흉부 엑스레이 AI 폐암 검진 2년 실증",
    "루닛이 대구가톨릭대병원과 함께 대구 디지털 의료기기 규제자유특구에서 AI 폐암 검진 실증에 나선다. "
    "중기부는 12일 특구 지정을 의결했고, 실증에는 120억원이 투입된다.\n\n"
    '루닛 관계자는 "보건소 검진에도 AI 판독을 넓히겠다"고 말했다.',
)
DAEGU_EN = (
    "Daegu named regulation-free zone for digital medical devices; Lunit to test AI lung cancer screening",
    "The Ministry of SMEs and Startups on Dec. 12 designated Daegu as a regulation-free special zone for "
    "digital medical devices.\n\n"
    "In the zone, Lunit and Daegu Catholic University Medical Center will spend 12 billion won over two "
    "years testing chest X-ray reading by artificial intelligence to catch lung cancer early. Fifteen "
    "companies take part.\n\n"
    "The city plans to ask for national health insurance coverage of AI screening based on the results.",
)
GANGWON_KO = (
    "강원 원주, 디지털헬스케어 규제자유특구 지정…원격 모니터링 실증",
    "중소벤처기업부는 12일 강원 원주를 디지털헬스케어 규제자유특구로 지정했다고 밝혔다.\n\n"
    "특구에서는 원주세브란스기독병원과 지역 의원 30곳이 85억원을 들여 만성질환자 원격 모니터링을 실증한다.\n\n"
    "강원도는 격오지 주민의 의료 접근성이 높아질 것으로 기대했다.",
)
GANGWON_EN = (
    "Wonju designated regulation-free zone for remote patient monitoring",
    "The Ministry of SMEs and Startups on Dec. 12 designated Wonju in Gangwon Province as a "
    "regulation-free zone for digital healthcare.\n\n"
    "Wonju Severance Christian Hospital and 30 local clinics will spend 8.5 billion won testing remote "
    "monitoring of patients with chronic diseases in the zone.\n\n"
    "The province expects better access to care for residents of remote areas.",
)
FINTECH_KO = (
    "금융위, 혁신금융서비스 9건 지정…비대면 보험 가입 규제샌드박스",
    "금융위원회는 12일 정례회의에서 비대면 보험 가입 등 혁신금융서비스 9건을 규제샌드박스로 새로 지정했다고 "
    "밝혔다.\n\n핀테크 기업 토스와 카카오페이가 참여하며, 특례 기간은 2년이다.",
)
FINTECH_EN = (
    "FSC picks nine innovative financial services for regulatory sandbox",
    "The Financial Services Commission on Dec. 12 designated nine innovative financial services, "
    "including online insurance sign-up, for its regulatory sandbox.\n\n"
    "Fintech firms Toss and KakaoPay take part, with exemptions running for two years.",
)
HEALTH_SANDBOX_EN = (
    "Care robot maker Hyodol wins sandbox exemption for remote elderly monitoring",
    "Hyodol, a maker of companion robots for older people living alone, won a special demonstration "
    "exemption under the regulatory sandbox on Dec. 12, the Ministry of Trade, Industry and Energy said.\n\n"
    "The company will test its care robot with 500 seniors in Seongnam for two years, monitoring "
    "medication and falls.",
)
HEALTH_SANDBOX_KO = (
    "효돌, 돌봄로봇 원격 모니터링 실증특례 승인…성남 어르신 500명 대상",
    "산업통상자원부는 12일 규제샌드박스 심의위원회를 열어 효돌의 돌봄로봇 기반 독거노인 원격 모니터링 "
    "서비스에 실증특례를 승인했다고 밝혔다.\n\n효돌은 성남시 어르신 500명에게 2년간 돌봄로봇을 보급해 "
    "복약과 낙상을 살핀다.",
)


def ko(n: int, story: tuple[str, str], source: str) -> Item:
    title, text = story
    return replace(make_item(n, title, text, source=source), morphs=analyse(f"{title}\n{text[:400]}").tokens)


def en(n: int, story: tuple[str, str], source: str) -> Item:
    title, text = story
    return make_item(n, title, text, source=source)


def groups(items: list[Item], **kw: object) -> list[list[int]]:
    return sorted(sorted(it.id for it in c.items) for c in cluster(items, **kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def day() -> list[Item]:
    return [
        ko(1, DAEGU_KO, "정책브리핑"),
        ko(2, DAEGU_KO_REWRITE, "의학신문"),
        en(3, DAEGU_EN, "Korea Herald"),
        ko(4, GANGWON_KO, "강원일보"),
        en(5, GANGWON_EN, "Yonhap English"),
        ko(6, FINTECH_KO, "금융신문"),
        en(7, FINTECH_EN, "Korea JoongAng Daily"),
        ko(8, HEALTH_SANDBOX_KO, "헬스경향"),
        en(9, HEALTH_SANDBOX_EN, "Korea Biomedical Review"),
    ]


def test_an_english_report_joins_the_korean_story_and_a_korean_item_heads_it(day: list[Item]) -> None:
    stories = cluster(day)
    daegu = next(c for c in stories if 3 in {it.id for it in c.items})
    assert sorted(it.id for it in daegu.items) == [1, 2, 3]
    assert daegu.items[0].id == 1  # the Korean original heads, not the (longer) English text
    assert any("across languages" in e for e in daegu.evidence)


def test_look_alikes_stay_apart_in_both_languages(day: list[Item]) -> None:
    # Two special zones designated the same day by one ministry; a fintech sandbox beside a
    # health sandbox on the same day: four stories, each with its English report.
    assert groups(day) == [[1, 2, 3], [4, 5], [6, 7], [8, 9]]


def test_the_blocked_candidates_find_the_same_stories(day: list[Item]) -> None:
    assert groups(day, all_pairs_max=0) == groups(day)


def test_without_korean_items_english_reports_cluster_among_themselves() -> None:
    a = en(1, DAEGU_EN, "Korea Herald")
    b = en(2, (DAEGU_EN[0], DAEGU_EN[1].replace("Fifteen companies take part.", "")), "Yonhap English")
    c = en(3, GANGWON_EN, "Korea Times")
    assert groups([a, b, c]) == [[1, 2], [3]]


def test_an_english_report_of_an_unrelated_day_stays_apart() -> None:
    other_day = (DAEGU_EN[0], DAEGU_EN[1].replace("Dec. 12", "Dec. 3"))
    assert groups([ko(1, DAEGU_KO, "정책브리핑"), en(2, other_day, "Korea Herald")]) == [[1], [2]]


def test_a_users_glossary_entry_joins_a_company_the_shipped_one_does_not_know(tmp_path: Path) -> None:
    ko_item = ko(
        1,
        (
            "케어닥, 요양원 AI 낙상 감지 시범사업 착수",
            "돌봄 플랫폼 케어닥이 12일 경기 용인 요양원 20곳에서 AI 낙상 감지 시범사업을 시작했다. "
            "사업비는 30억원이다.",
        ),
        "헬스경향",
    )
    en_item = en(
        2,
        (
            "Caredoc begins AI fall detection pilot at nursing homes",
            "Care platform Caredoc on Dec. 12 began an AI fall detection pilot at 20 nursing homes in "
            "Yongin, Gyeonggi Province. The project costs 3 billion won.",
        ),
        "Korea Biomedical Review",
    )
    assert groups([ko_item, en_item]) == [[1, 2]]  # place, amount and count are enough
    without_place = [
        replace(ko_item, text=ko_item.text.replace("경기 용인 ", "").replace("20곳", "여러 곳")),
        replace(en_item, text=en_item.text.replace(" in Yongin, Gyeonggi Province", "").replace("20 ", "")),
    ]
    without_place[0] = replace(
        without_place[0], morphs=analyse(without_place[0].title + "\n" + without_place[0].text).tokens
    )
    assert groups(without_place) == [[1], [2]]  # one amount is not an event
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - {name: a, url: 'http://127.0.0.1:1/feed'}\nglossary:\n  orgs:\n    케어닥: Caredoc\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert groups(without_place, glossary=settings.glossary) == [[1, 2]]


@pytest.mark.parametrize(
    ("glossary", "key"),
    [
        ("glossary: [a, b]", "glossary"),
        ("glossary:\n  people:\n    홍길동: Hong", "glossary.people"),
        ("glossary:\n  orgs:\n    케어닥: {english: Caredoc}", "glossary.orgs.케어닥"),
        ("glossary:\n  orgs:\n    케어닥: [1, 2]", "glossary.orgs.케어닥"),
        ("glossary:\n  places:\n    기흥: {en: Giheung, in: 아틀란티스}", "glossary.places.기흥.in"),
    ],
)
def test_a_bad_glossary_entry_is_a_config_error_naming_its_key(
    tmp_path: Path, glossary: str, key: str
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"sources:\n  - {{name: a, url: 'http://127.0.0.1:1/feed'}}\n{glossary}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    assert key in str(err.value)


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("대구", "Daegu"),
        ("루닛", "Lunit"),
        ("뷰노", "Vuno"),
        ("전북", "Jeonbuk"),
        ("강원", "Gangwon"),
        ("원주", "Wonju"),
    ],
)
def test_a_romanised_korean_name_meets_its_english_spelling(korean: str, english: str) -> None:
    assert crosslingual.fold(crosslingual.romanise(korean)) == crosslingual.fold(english)


def test_amounts_meet_across_languages_and_dates_are_not_amounts() -> None:
    gloss = glossary()
    k = crosslingual.concepts(
        "", "120억원, 1조 2000억원, 30%, 2025년 12월 12일, 500명", (), gloss, english=False
    )
    e = crosslingual.concepts(
        "",
        "12 billion won, 1.2 trillion won, 30 percent, on Dec. 12, 2025, 500 seniors",
        (),
        gloss,
        english=True,
    )
    assert {"num:1.2e+10", "num:1.2e+12", "num:30%", "num:500"} <= k.ids & e.ids
    assert not {c for c in k.ids | e.ids if c in ("num:2025", "num:12")}
    assert k.days == e.days == {12}


def test_english_items_get_english_theme_terms(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:1/feed'}\n", encoding="utf-8")
    settings = load_settings(config)
    cases = {
        "silver_devices": HEALTH_SANDBOX_EN[0].replace("wins sandbox exemption", "starts trial"),
        "ai_demos": DAEGU_EN[0].replace("Daegu named regulation-free zone for digital medical devices; ", ""),
        "regulatory_sandbox": GANGWON_EN[0],
    }
    bodies = {
        "silver_devices": "Hyodol began a trial of its care robots with 500 older adults living alone in Seongnam.",
        "ai_demos": "Lunit will test AI reading of chest X-rays at public health centers in a pilot project.",
        "regulatory_sandbox": GANGWON_EN[1],
    }
    for theme, title in cases.items():
        placed = place(
            [en(1, (title, bodies[theme]), "Korea Herald")], settings.themes, settings.min_theme_score
        )
        assert placed.theme == theme, (title, placed)
