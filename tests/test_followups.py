"""Follow-ups with a new angle: a report a week into a programme (a new place, new numbers, few
shared words, a lead dated days later) updates the programme's story; look-alike programmes and
unrelated events dated days apart stay apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from digest.korean import analyse
from digest.models import Item
from digest.programmes import programmes
from digest.stories import cluster

from .conftest import make_item

KST = timezone(timedelta(hours=9))
DAY1 = datetime(2024, 6, 12, 9, 0, tzinfo=KST)

DESIGNATION = (
    "강원 디지털헬스케어 규제자유특구 지정…격오지 원격 모니터링 실증",
    "중소벤처기업부는 12일 규제자유특구위원회를 열어 강원 춘천과 원주 일원을 디지털헬스케어 규제자유특구로 "
    "지정했다고 밝혔다.\n\n특구에서는 14개 사업자가 격오지 만성질환 재진 환자를 대상으로 원격 모니터링을 "
    "실증한다. 2026년까지 400억원이 투입된다.",
)
WEEK_LATER = (
    "원주 디지털헬스케어 특구, 원격진료 환자 300명 넘어…홍천·횡성으로 넓힌다",
    "원주시는 18일 디지털헬스케어 특구의 원격 모니터링 참여 환자가 첫 주에 300명을 넘었다고 밝혔다.\n\n"
    "시는 다음 달부터 홍천과 횡성의 보건진료소 12곳으로 대상을 넓히고, 간호사 20명을 추가로 배치한다.",
)
OTHER_PROGRAMME = (
    "강원 바이오헬스 규제자유특구, 춘천 백신 실증 착수",
    "강원도는 18일 춘천 바이오헬스 규제자유특구에서 동물용 백신 실증을 시작했다고 밝혔다.\n\n"
    "참여 기업 6곳이 2년간 50억원을 들인다.",
)
OTHER_CITY = (
    "대구 디지털헬스케어 특구, 원격 모니터링 환자 300명 넘어",
    "대구시는 18일 디지털헬스케어 특구의 원격 모니터링 참여 환자가 300명을 넘었다고 밝혔다.\n\n"
    "시는 다음 달부터 대상을 넓힌다.",
)


def ko(n: int, story: tuple[str, str], source: str, days: float = 0, **kw: object) -> Item:
    title, text = story
    base = make_item(n, title, text, source=source, published=DAY1 + timedelta(days=days), **kw)
    return replace(base, morphs=analyse(f"{title}\n{text[:400]}").tokens)


def published(n: int, story: tuple[str, str]) -> Item:
    return ko(n, story, "정책브리핑", story_id="s-gangwon", issued_on=DAY1.date())


def test_a_follow_up_a_week_into_a_programme_updates_its_story() -> None:
    clusters = cluster([ko(2, WEEK_LATER, "강원일보", days=6)], earlier=[published(1, DESIGNATION)])
    assert len(clusters) == 1
    assert clusters[0].story_id == "s-gangwon"
    assert [it.id for it in clusters[0].earlier] == [1]
    assert any("same programme" in e for e in clusters[0].evidence)


def test_without_the_programme_rule_the_dates_keep_them_apart() -> None:
    # The same two texts with the programme's name taken out of the follow-up: leads dated six days
    # apart, few shared words — two stories (the rule is what joins them, not chance overlap).
    bare = (
        WEEK_LATER[0].replace("디지털헬스케어 특구", "사업"),
        WEEK_LATER[1].replace("디지털헬스케어 특구", "사업"),
    )
    clusters = cluster([ko(2, bare, "강원일보", days=6)], earlier=[published(1, DESIGNATION)])
    assert clusters[0].story_id != "s-gangwon"


def test_another_programme_in_the_same_province_and_the_same_programme_elsewhere_stay_apart() -> None:
    current = [ko(2, OTHER_PROGRAMME, "강원일보", days=6), ko(3, OTHER_CITY, "매일신문", days=6)]
    clusters = cluster(current, earlier=[published(1, DESIGNATION)])
    assert sorted(c.story_id for c in clusters if c.story_id == "s-gangwon") == []
    assert len(clusters) == 2


def test_one_days_coverage_of_a_programme_is_judged_by_the_ordinary_rules() -> None:
    # Same day, same programme, two different events (a designation and another zone's vaccine
    # trial are not it; here: two different sub-projects reported hours apart) stay apart.
    a = ko(1, DESIGNATION, "정책브리핑")
    b = ko(
        2,
        (
            "강원 디지털헬스케어 특구 참여 기업 메디칼로봇, 재활로봇 수출 계약",
            "메디칼로봇은 12일 독일 병원 그룹과 재활로봇 50대 공급 계약을 맺었다고 밝혔다. 계약 규모는 30억원이다.",
        ),
        "로봇신문",
    )
    assert len(cluster([a, b])) == 2


def test_a_city_names_its_provinces_programme_and_quotes_and_spacing_do_not_matter() -> None:
    places = {"강원": "강원", "원주": "강원", "홍천": "강원"}
    keys = [
        programmes(analyse(text).tokens, places)
        for text in (
            "강원 '디지털헬스케어' 규제자유특구 지정",
            "원주 디지털 헬스케어 특구에 환자 몰려",
            '의협 "강원 특구는 원격의료의 시작"…강원 디지털헬스케어 규제자유특구 지정에 반발',
        )
    ]
    assert all("강원|디지털헬스케어|특구" in k for k in keys), keys
    assert not programmes(analyse("AI 바우처 사업 공모").tokens, places)  # no proper noun: no programme


def test_earlier_stories_are_matched_by_their_stored_features_without_their_texts() -> None:
    # Day 1 is clustered and its items' features stored (as the seal does); day 2 matches its new
    # items against them with the earlier texts not loaded at all, and forms the same stories as
    # with the texts: the follow-up joins, the other programme stays apart.
    from digest import featurecodec

    day1 = [ko(1, DESIGNATION, "정책브리핑"), ko(4, DESIGNATION, "강원일보")]
    [first] = cluster(day1)
    stored = {i: featurecodec.encode(f) for i, f in first.features.items()}
    assert set(stored) == {1, 4}
    earlier = [replace(it, story_id=first.story_id, issued_on=DAY1.date()) for it in day1]
    light = [replace(it, text="", morphs=()) for it in earlier]
    cached = {i: f for i, blob in stored.items() if (f := featurecodec.decode(blob)) is not None}
    assert set(cached) == {1, 4}
    new = [
        ko(2, WEEK_LATER, "강원일보", days=6),
        ko(5, OTHER_PROGRAMME, "x", days=6),
    ]

    def shape(clusters: list) -> list:
        return sorted((c.story_id, [i.id for i in c.items], [i.id for i in c.earlier]) for c in clusters)

    with_texts = shape(cluster(new, earlier=earlier))
    assert shape(cluster(new, earlier=light, cached=cached)) == with_texts
    assert (first.story_id, [2], [1, 4]) in with_texts
    # Without the cache, text-less earlier items could not be matched: the cache is what does it.
    assert (first.story_id, [2], [1, 4]) not in shape(cluster(new, earlier=light))
    assert featurecodec.decode(b"not a blob") is None  # unreadable: computed again, never fatal
