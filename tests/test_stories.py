"""Canonical URLs and story clustering on Korean text written for the purpose."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from digest.identity import canonical_url, clean_url, content_hash
from digest.models import Item
from digest.stories import Cluster, cluster

from .conftest import make_item

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
    return make_item(
        i,
        title,
        text,
        source=source,
        summary=text[:80],
        published=T0 + timedelta(hours=hours),
        first_seen=T0,
        **kw,
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


# Stored items are keyed by canonical_url: what it makes of ordinary URLs must never change, or every
# stored item would look new on the next run.
ORDINARY = [
    (
        "https://www.docdocdoc.co.kr/news/articleView.html?idxno=3001",
        "http://docdocdoc.co.kr/news/articleView.html?idxno=3001",
        "https://www.docdocdoc.co.kr/news/articleView.html?idxno=3001",
    ),
    (
        "http://www.medinews.example/news/articleView.html?idxno=21495&utm_source=rss&utm_medium=feed&utm_campaign=allArticle",
        "http://medinews.example/news/articleView.html?idxno=21495",
        "http://www.medinews.example/news/articleView.html?idxno=21495",
    ),
    (
        "https://www.bosa.co.kr/news/articleView.html?idxno=2180000&sc_code=&page=&total=",
        "http://bosa.co.kr/news/articleView.html?idxno=2180000&sc_code=&page=&total=",
        "https://www.bosa.co.kr/news/articleView.html?idxno=2180000&sc_code=&page=&total=",
    ),
    (
        "https://news.example.kr/news/articleView.html?idxno=1201&fbclid=IwAR0abc#comment",
        "http://news.example.kr/news/articleView.html?idxno=1201",
        "https://news.example.kr/news/articleView.html?idxno=1201",
    ),
    (
        "https://n.news.naver.com/mnews/article/001/0014723456?sid=103",
        "http://n.news.naver.com/mnews/article/001/0014723456?sid=103",
        "https://n.news.naver.com/mnews/article/001/0014723456?sid=103",
    ),
    (
        "https://v.daum.net/v/20240612140000123?f=o",
        "http://v.daum.net/v/20240612140000123?f=o",
        "https://v.daum.net/v/20240612140000123?f=o",
    ),
    (
        "https://www.hankyung.com/article/2024061212345?ref=naver",
        "http://hankyung.com/article/2024061212345",
        "https://www.hankyung.com/article/2024061212345",
    ),
    (
        "HTTPS://WWW.Example.CO.KR:443/News/View.php?no=5521&from=main",
        "http://example.co.kr/News/View.php?no=5521",
        "https://WWW.Example.CO.KR:443/News/View.php?no=5521",
    ),
    (
        "http://www.gwhealth.example/news/view.php?no=5521&gclid=x&page=2",
        "http://gwhealth.example/news/view.php?no=5521&page=2",
        "http://www.gwhealth.example/news/view.php?no=5521&page=2",
    ),
    (
        "https://m.health.chosun.com/svc/news_view.html?contid=2024061201234&ocid=1",
        "http://m.health.chosun.com/svc/news_view.html?contid=2024061201234",
        "https://m.health.chosun.com/svc/news_view.html?contid=2024061201234",
    ),
    (
        "https://example.kr/a%20b/%ED%95%9C?q=%ED%95%9C%EA%B8%80",
        "http://example.kr/a%20b/%ED%95%9C?q=%ED%95%9C%EA%B8%80",
        "https://example.kr/a%20b/%ED%95%9C?q=%ED%95%9C%EA%B8%80",
    ),
    (
        "http://medigatenews.com/news/3002",
        "http://medigatenews.com/news/3002",
        "http://medigatenews.com/news/3002",
    ),
]


@pytest.mark.parametrize(("url", "canonical", "clean"), ORDINARY)
def test_ordinary_urls_keep_their_canonical_and_clean_spelling(url: str, canonical: str, clean: str) -> None:
    assert canonical_url(url) == canonical
    assert clean_url(url) == clean
    assert canonical_url(canonical) == canonical
    assert clean_url(clean) == clean


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://host.kr:80", "http://host.kr/"),  # was http://host.kr:80/, then http://host.kr/
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),  # the brackets stay (it was http://::1:8080/x)
        ("https://[2001:DB8::1]/a?utm_source=x", "http://[2001:db8::1]/a"),
        ("http://www.www.example.kr/a", "http://example.kr/a"),
        ("http:////", "http:///"),
    ],
)
def test_canonical_url_of_a_canonical_url_is_itself(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://WWW.Host.kr:99999/a?utm_source=rss", "http://host.kr:99999/a"),  # the port stays as written
        ("http://host.kr:port/a", "http://host.kr:port/a"),
        ("http://[::1/a", "http://[::1/a"),  # not a URL urlsplit reads: left as it is
        ("http://]/", "http://]/"),
        (" http://[]/ ", "http://[]/"),
    ],
)
def test_canonical_url_of_a_malformed_url_does_not_raise(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("http://news.example.kr/a b ?utm_source=rss", "http://news.example.kr/a b"),
        ("http://news.example.kr/기사 #top", "http://news.example.kr/기사"),
        ("http://[::1/a?fbclid=1", "http://[::1/a?fbclid=1"),  # not a URL urlsplit reads: left alone
        ("http://]/ b", "http://]/ b"),
    ],
)
def test_clean_url_with_a_space_or_bad_brackets_is_idempotent_and_does_not_raise(
    url: str, clean: str
) -> None:
    assert clean_url(url) == clean
    assert clean_url(clean) == clean


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


# --------------------------------------------------------------------------- issue #4: one event, many outlets
# Two regions' 규제자유특구 designations in the same week, phrased alike by the same ministry;
# a rewrite, a reprint, a round-up naming both, a short flash and a day-2 follow-up.

GANGWON = (
    "중소벤처기업부는 3일 정부서울청사에서 규제자유특구위원회를 열어 강원도 춘천과 원주 일원을 디지털헬스케어 "
    "규제자유특구로 지정했다고 밝혔다.\n\n"
    "강원 특구에는 메디웨어를 비롯한 12개 특구사업자가 참여해 격오지 만성질환자를 대상으로 원격 모니터링 실증을 "
    "진행한다. 동네 의원이 혈압과 혈당 수치를 원격으로 확인하고 내원을 안내하는 방식이다.\n\n"
    "특구 기간은 2년이며 국비와 지방비를 합쳐 모두 180억원이 투입된다. 진단과 처방은 간호사가 환자 곁에 있을 "
    "때만 허용된다.\n\n"
    "강원도는 춘천 바이오산업진흥원에 데이터 관제센터를 두고 실증 결과를 식품의약품안전처와 공유할 계획이다. "
    "중기부는 실증이 끝나면 관련 법령 정비를 검토하겠다고 말했다."
)
GYEONGBUK = (
    "중소벤처기업부는 6일 정부서울청사에서 규제자유특구위원회를 열어 경상북도 포항과 경산 일원을 디지털헬스케어 "
    "규제자유특구로 지정했다고 밝혔다.\n\n"
    "경북 특구에는 바이오넷을 비롯한 9개 특구사업자가 참여해 산업단지 근로자를 대상으로 원격 건강관리 실증을 "
    "진행한다. 보건소가 심전도와 체온 수치를 원격으로 확인하고 상담을 안내하는 방식이다.\n\n"
    "특구 기간은 4년이며 국비와 지방비를 합쳐 모두 240억원이 투입된다. 진단과 처방은 의사가 현장에 있을 "
    "때만 허용된다.\n\n"
    "경상북도는 포항 테크노파크에 데이터 관제센터를 두고 실증 결과를 식품의약품안전처와 공유할 계획이다. "
    "중기부는 실증이 끝나면 관련 법령 정비를 검토하겠다고 말했다."
)
GANGWON_REWRITE = (
    "춘천·원주의 동네 의원이 멀리 사는 고혈압·당뇨 환자의 수치를 병원 밖에서 들여다볼 수 있게 됐다. 정부가 "
    "3일 강원을 디지털헬스케어 특구로 확정하면서다.\n\n"
    "원격 모니터링 실증에는 메디웨어 등 강원 지역 기업 12곳이 뛰어든다. 2년 동안 180억원이 들어간다.\n\n"
    "의료계는 원격의료로 번질 수 있다며 경계하고 있다. 정부는 진단과 처방에는 간호사 입회라는 조건을 달았다고 "
    "설명했다."
)
ROUNDUP = (
    "이번 주 규제자유특구 지정이 잇따랐다. 중소벤처기업부는 3일 강원 디지털헬스케어 특구를, 6일 경북 "
    "디지털헬스케어 특구를 차례로 지정했다.\n\n"
    "강원은 메디웨어 등 12개 사업자가 원격 모니터링을, 경북은 바이오넷 등 9개 사업자가 원격 건강관리를 "
    "실증한다. 투입 예산은 각각 180억원과 240억원이다.\n\n"
    "두 특구 모두 데이터 관제센터를 두고 실증 결과를 식품의약품안전처와 공유한다. 업계는 원격의료 논의가 다시 "
    "불붙을 것으로 보고 있다."
)
FOLLOW_UP = (
    "강원 디지털헬스케어 규제자유특구의 원격 모니터링 실증이 첫 환자 등록으로 시작됐다. 특구사업자 메디웨어는 "
    "춘천 지역 의원 3곳에서 만성질환자 40명을 등록했다고 밝혔다.\n\n"
    "환자들은 혈압계와 혈당계로 잰 수치를 앱으로 보내고, 의원은 이상 수치가 나오면 내원을 안내한다. 강원도는 "
    "원주 지역 의원도 순차적으로 참여시킬 계획이다."
)


def kitem(i: int, title: str, text: str, source: str, hours: float = 0, **kw: object) -> Item:
    """An item with its morphemes, stored the way the pipeline stores them (title + lead)."""
    from digest.korean import analyse

    base = item(i, title, text, source, hours, **kw)
    return replace(base, morphs=analyse(f"{title}\n{text[:400]}").tokens)


def _groups(clusters: list[Cluster]) -> list[list[int]]:
    return sorted(sorted(it.id for it in c.items) for c in clusters)


@pytest.fixture(scope="module")
def week() -> dict[str, Item]:
    paras = GANGWON.split("\n\n")
    reprint = "\n\n".join(
        [
            "[헬스비즈투데이] 강원도가 디지털헬스케어 특구로 원격 모니터링 실증의 길을 텄다.",
            *paras,
            "김하늘 기자",
        ]
    )
    return {
        "flash": kitem(1, "[속보] 강원 디지털헬스케어 규제자유특구 지정", paras[0], "연합속보", hours=-1),
        "gangwon": kitem(
            2, "강원 디지털헬스케어 규제자유특구 지정…격오지 원격 모니터링 실증", GANGWON, "정책브리핑"
        ),
        "reprint": kitem(
            3, "강원, 디지털헬스케어 특구로 원격 모니터링 실증", reprint, "헬스비즈투데이", hours=3
        ),
        "rewrite": kitem(
            4, "병원 밖에서 혈압 본다…춘천·원주 원격 모니터링 특구 확정", GANGWON_REWRITE, "원주일보", hours=8
        ),
        "gyeongbuk": kitem(
            5,
            "경북 디지털헬스케어 규제자유특구 지정…산단 근로자 원격 건강관리 실증",
            GYEONGBUK,
            "정책브리핑",
            hours=72,
        ),
        "roundup": kitem(
            6, "이번 주 규제자유특구 잇단 지정…강원·경북 원격의료 실증", ROUNDUP, "메디온뉴스", hours=80
        ),
    }


def test_rewrite_and_reprint_join_the_original_and_the_original_heads(week: dict[str, Item]) -> None:
    clusters = cluster([week[k] for k in ("flash", "gangwon", "reprint", "rewrite")])
    assert _groups(clusters) == [[1, 2, 3, 4]]
    story = clusters[0]
    # the earliest item is a one-paragraph flash, the reprint is longer (lead + byline): the
    # original, complete and first, heads the story
    assert story.items[0].id == 2
    joined = " ".join(story.evidence)
    assert "text overlap" in joined  # the reprint
    assert "메디웨어" in joined or "180" in joined  # the rewrite, by its names and numbers


def test_look_alike_events_stay_apart_and_a_round_up_does_not_chain_them(week: dict[str, Item]) -> None:
    items = [week[k] for k in ("gangwon", "reprint", "rewrite", "gyeongbuk", "roundup")]
    groups = _groups(cluster(items))
    assert any({2, 3, 4} <= set(g) for g in groups)
    # the round-up names both events and may sit with either, but never joins them
    assert not any(5 in g and 2 in g for g in groups), "two regions' designations are two stories"


@pytest.mark.parametrize("all_pairs_max", [0, 10_000])
def test_candidates_by_blocking_find_the_same_stories(week: dict[str, Item], all_pairs_max: int) -> None:
    """Large inputs are not compared all-pairs: LSH bands and rare-word blocks must find the pairs."""
    groups = _groups(cluster(list(week.values()), all_pairs_max=all_pairs_max))
    # (rare-word blocks need document frequencies: on six items only the reprint is certain)
    assert any({2, 3} <= set(g) for g in groups)  # original and reprint, by an LSH band
    assert not any(5 in g and 2 in g for g in groups)


def test_day_two_follow_up_joins_the_day_one_story_by_its_stored_id(week: dict[str, Item]) -> None:
    day1 = cluster([week["gangwon"], week["rewrite"], week["gyeongbuk"]])
    sid = {it.id: c.story_id for c in day1 for it in c.items}
    earlier = [
        replace(week[k], story_id=sid[week[k].id], issued_on=T0.date())
        for k in ("gangwon", "rewrite", "gyeongbuk")
    ]
    follow = kitem(
        7,
        "강원 원격 모니터링 특구 첫 환자 등록…메디웨어, 춘천 의원 3곳서 시작",
        FOLLOW_UP,
        "메디온뉴스",
        hours=30,
    )
    other = kitem(8, "기초연금 월 33만원대로 인상", OTHER, "실버라이프", hours=30)
    clusters = cluster([follow, other], earlier=earlier)
    by_item = {c.items[0].id: c for c in clusters}
    assert by_item[7].story_id == sid[2]
    assert sorted(i.id for i in by_item[7].earlier) == [2, 4]
    assert not by_item[8].earlier


def test_clustering_is_deterministic_whatever_the_input_order(week: dict[str, Item]) -> None:
    items = list(week.values())
    first = [(c.story_id, [i.id for i in c.items], c.evidence) for c in cluster(items)]
    again = [(c.story_id, [i.id for i in c.items], c.evidence) for c in cluster(items[::-1])]
    assert sorted(first) == sorted(again)


# --------------------------------------------------------------------------- look-alikes of one template
# One ministry template, two companies the same day: the wording is shared, the names and numbers
# are not. A reprint keeps them and joins; the look-alike stays apart.

TEMPLATE = (
    "식품의약품안전처는 14일 {c}가 개발한 인공지능 기반 폐암 진단 보조 소프트웨어를 혁신의료기기로 지정했다고 "
    "밝혔다. 이 제품은 흉부 영상을 분석해 폐결절의 악성 가능성을 의료진에게 알려준다. {c}는 임상시험에서 민감도 "
    "{p}%를 기록했으며 올해 안에 {n}개 병원에 공급할 계획이다.\n\n"
    "혁신의료기기로 지정되면 허가 심사를 우선 받을 수 있고 단계별 심사도 가능하다. 식약처는 이번 지정으로 "
    "의료 현장의 진단 정확도가 높아질 것으로 기대한다고 설명했다. 식약처는 앞으로도 신기술 의료기기의 신속한 "
    "시장 진입을 지원하겠다고 말했다."
)


@pytest.fixture(scope="module")
def template_pair() -> list[Item]:
    a = TEMPLATE.format(c="루닛", p="94", n="30")
    b = TEMPLATE.format(c="뷰노", p="91", n="45")
    reprint = "[메디칼타임즈] 폐암 진단 보조 소프트웨어가 혁신의료기기 문턱을 넘었다.\n\n" + a
    return [
        kitem(1, "루닛 폐암 진단 보조 소프트웨어 혁신의료기기 지정", a, "식약처"),
        kitem(2, "뷰노 폐암 진단 보조 소프트웨어 혁신의료기기 지정", b, "식약처", hours=1),
        kitem(3, "루닛, 폐암 진단 소프트웨어 혁신의료기기로", reprint, "메디칼타임즈", hours=3),
    ]


@pytest.mark.parametrize("all_pairs_max", [400, 0])
def test_a_look_alike_of_one_template_stays_apart_its_reprint_joins(
    template_pair: list[Item], all_pairs_max: int
) -> None:
    clusters = cluster(template_pair, all_pairs_max=all_pairs_max)
    assert _groups(clusters) == [[1, 3], [2]]
    joined = next(c for c in clusters if len(c.items) == 2)
    assert any("text overlap" in e for e in joined.evidence)


def test_a_day_of_the_month_is_a_date_not_a_name() -> None:
    from digest.korean import analyse
    from digest.stories import _facts

    facts = _facts(analyse("복지부는 14일 기초연금을 월 33만4000원으로 올린다고 밝혔다").tokens)
    assert "14" not in facts
    assert "33" in facts or "4000" in facts


# --------------------------------------------------------------------------- issue #12: shared boilerplate
# One agency's two short releases of the same day: other titles, other leads, the same closing line
# and the same agency description. Shared boilerplate is not a shared event; a reprint still joins.

CLOSING = (
    "관계 기관은 이번 실증 결과를 바탕으로 관련 제도 개선 방안을 마련하고, 현장 의견을 반영해 후속 지원 사업을 "
    "확대할 계획이라고 밝혔다."
)
AGENCY = (
    "한편 한국보건산업진흥원은 1999년 설립된 보건복지부 산하 준정부기관으로, 보건산업 육성과 디지털헬스케어 "
    "기업의 해외 진출, 의료기기 실증 지원 사업을 맡고 있다."
)
ROBOT = (
    "한국보건산업진흥원은 11일 서울 중구 본원에서 돌봄로봇 현장 실증 성과 공유회를 열었다고 밝혔다. 이날 "
    "공유회에는 요양시설 12곳과 로봇 기업 7곳이 참여했다.\n\n"
    "실증에 쓰인 배설 보조 로봇과 이승 보조 로봇은 요양보호사의 허리 부담을 30% 가량 줄인 것으로 나타났다."
    "\n\n" + CLOSING + "\n\n" + AGENCY
)
AI_EXPORT = (
    "한국보건산업진흥원은 11일 의료 AI 기업의 중동 진출을 돕는 수출 상담회를 아부다비에서 열었다고 밝혔다. "
    "영상 판독 소프트웨어 기업 5곳이 현지 병원 관계자와 만났다.\n\n"
    "상담회에서는 모두 48건의 상담이 이뤄졌으며 계약 추진 규모는 약 210억원으로 집계됐다.\n\n"
    + CLOSING
    + "\n\n"
    + AGENCY
)


def test_two_releases_sharing_only_boilerplate_stay_two_stories() -> None:
    a = kitem(1, "돌봄로봇 현장 실증 성과 공유회…요양보호사 허리 부담 30% 줄여", ROBOT, "보건산업진흥원")
    b = kitem(2, "의료 AI 기업 중동 수출 상담회…210억원 계약 추진", AI_EXPORT, "보건산업진흥원", hours=1)
    assert _groups(cluster([a, b])) == [[1], [2]]


SANDBOX = (
    "산업통상자원부는 13일 산업융합 규제특례심의위원회를 열어 AI 기반 낙상 감지 돌봄 서비스 등 5건에 규제샌드박스 "
    "실증특례를 승인했다고 밝혔다.\n\n"
    "이번에 승인된 케어닥의 서비스는 천장에 단 레이더 센서로 혼자 사는 노인의 움직임을 분석해 낙상이 감지되면 "
    "보호자와 119에 자동으로 알린다. 영상을 찍지 않아 사생활 침해 우려가 적다.\n\n"
    "현행 전파법은 이 대역의 레이더 센서를 실내 돌봄 용도로 쓰는 기준이 없어 출시가 막혀 있었다. 심의위원회는 "
    "2년 동안 서울과 세종의 어르신 300가구에서 실증하도록 했다.\n\n"
    "산업부는 실증 과정에서 안전성이 확인되면 관련 고시 개정을 추진하겠다고 말했다.\n\n" + CLOSING
)


def test_a_reprint_by_three_outlets_with_other_bylines_still_joins() -> None:
    heads = [
        "(서울=메디온뉴스) 박지민 기자 = ",
        "[헬스비즈투데이 김하늘 기자] ",
        "실버라이프 이도윤 기자 | ",
    ]
    titles = [
        "케어닥 레이더 낙상 감지 돌봄 서비스, 규제샌드박스 실증특례",
        "천장 레이더로 노인 낙상 감지…케어닥 실증특례 승인",
        "산업부, AI 낙상 감지 돌봄 서비스 등 5건 규제샌드박스 승인",
    ]
    sources = ["메디온뉴스", "헬스비즈투데이", "실버라이프"]
    items = [kitem(i + 1, titles[i], heads[i] + SANDBOX, sources[i], hours=i) for i in range(3)]
    other = kitem(4, "돌봄로봇 현장 실증 성과 공유회…요양보호사 허리 부담 30% 줄여", ROBOT, "보건산업진흥원")
    clusters = cluster([*items, other])
    assert _groups(clusters) == [[1, 2, 3], [4]]
    joined = next(c for c in clusters if len(c.items) == 3)
    assert any("text overlap" in e for e in joined.evidence)


def test_look_alikes_with_one_closing_line_stay_apart_and_their_reprint_joins(
    template_pair: list[Item],
) -> None:
    """The template pair of one ministry, each with the same closing line: still two stories."""
    items = [replace(it, text=it.text + "\n\n" + CLOSING) for it in template_pair]
    clusters = cluster(items)
    assert _groups(clusters) == [[1, 3], [2]]
