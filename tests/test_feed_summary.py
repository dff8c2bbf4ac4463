"""A feed's own description as the summary of an item whose page could not be fetched: the same
cleaning as an article's text — no dateline or byline at its start, no byline, e-mail, date or
"기사보기" tail at its end, no subtitles or caption before a glued byline."""

from __future__ import annotations

import pytest

from digest.extract import find_subtitle
from digest.newitems import feed_summary as _feed_summary

LEAD = "보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다고 12일 밝혔다."


@pytest.mark.parametrize(
    "description",
    [
        f"[메디데일리 홍길동 기자] {LEAD}",
        f"[세종=헬스온뉴스] 홍길동 기자 = {LEAD}",
        f"(세종=연합통신) 홍길동 기자 = {LEAD}",
        f"【세종=헬스온뉴스】홍길동 기자 = {LEAD}",
        f"[헬스온뉴스=홍길동 기자] {LEAD}",
    ],
    ids=["outlet-byline", "bracket-dateline", "paren-dateline", "lenticular-dateline", "outlet=reporter"],
)
def test_a_leading_dateline_or_byline_is_not_shown(description: str) -> None:
    assert _feed_summary(description) == LEAD


@pytest.mark.parametrize(
    ("tail", "kept"),
    [
        (" 홍길동 기자 hong@healthon.example.kr", ""),
        (" 세종=홍길동 기자 hong@healthon.example.kr /2024.06.12/ .", ""),
        (" ◎건강한 뉴스 헬스온 hong@healthon.example.kr", ""),
        (" 2024.06.12 /hong@healthon.example.kr", ""),
        (" 홍길동 기자", ""),
        (" 요양보호사 부담이...기사보기", " 요양보호사 부담이..."),
        (" 요양보호사 부담이… 더보기", " 요양보호사 부담이…"),
    ],
    ids=[
        "byline-email",
        "place-byline-email-date",
        "tagline-email",
        "date-email",
        "byline",
        "read-more",
        "more",
    ],
)
def test_a_closing_byline_email_date_or_read_more_link_is_not_shown(tail: str, kept: str) -> None:
    assert _feed_summary(LEAD + tail) == LEAD + kept


def test_byline_and_read_more_link_around_a_description() -> None:
    description = f"[메디데일리 홍길동 기자] {LEAD}로봇은 밤사이 낙상을 감지해 알림을...기사보기"
    assert _feed_summary(description) == f"{LEAD}로봇은 밤사이 낙상을 감지해 알림을..."


def test_a_credit_glued_to_the_byline_does_not_empty_the_summary() -> None:
    assert _feed_summary(f"ⓒ연합통신[메디데일리 홍길동 기자] {LEAD}") == LEAD


@pytest.mark.parametrize(
    "head",
    [
        "기사내용 요약요양원 12곳 로봇 실증 착수낙상 감지·말벗 기능 함께 시험",
        "요양원에서 시연 중인 돌봄 로봇. 사진=헬스온뉴스 제공",
        "홍길동 헬스온뉴스 복지부 차장",
    ],
    ids=["subtitles", "caption", "columnist"],
)
def test_what_a_glued_byline_follows_is_not_the_summary(head: str) -> None:
    assert _feed_summary(f"{head}[세종=헬스온뉴스] 홍길동 기자 = {LEAD}") == LEAD


def test_a_long_description_is_summarized_from_its_lead() -> None:
    description = (
        f"요양원 로봇 실증 착수[세종=헬스온뉴스] 홍길동 기자 = {LEAD} "
        + "로봇은 밤사이 낙상을 감지한다. " * 30
    )
    assert _feed_summary(description) == f"{LEAD} 로봇은 밤사이 낙상을 감지한다."


def test_a_plain_description_is_shown_as_written() -> None:
    description = f"{LEAD} 로봇은 밤사이 낙상을 감지한다.\n내년에 대상을 늘린다."
    assert _feed_summary(description) == description
    assert _feed_summary("") == ""


@pytest.mark.parametrize(
    ("head", "subtitle"),
    [
        ("요양원 12곳 로봇 실증 착수", "요양원 12곳 로봇 실증 착수"),
        ("기사내용 요약요양원 12곳 로봇 실증 착수", "요양원 12곳 로봇 실증 착수"),
        ("요양원에서 시연 중인 돌봄 로봇. 사진=헬스온뉴스 제공", ""),
        ("홍길동 헬스온뉴스 복지부 차장", ""),
        ("세종시청사", ""),  # a photo's one-word caption glued to the byline (a real feed does this)
    ],
    ids=["subtitle", "summary-box", "caption", "columnist", "one-word caption"],
)
def test_a_descriptions_subtitle_is_kept_apart_and_the_summary_is_as_before(head: str, subtitle: str) -> None:
    description = f"{head}[세종=헬스온뉴스] 홍길동 기자 = {LEAD}"
    assert find_subtitle([description]) == subtitle
    assert _feed_summary(description) == LEAD
    assert find_subtitle([LEAD]) == ""
