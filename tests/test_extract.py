"""Article extraction: golden pages, furniture, encodings, summaries, hostile pages."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.discover import find_article_links
from digest.errors import ExtractError
from digest.extract import (
    clean_content,
    clean_text,
    decode_html,
    extract_article,
    find_subtitle,
    strip_furniture_lines,
    summarize,
)

PAGES = Path(__file__).parent / "data" / "pages"
GOLDEN = sorted(p for p in PAGES.glob("*.html") if p.with_suffix(".txt").exists())
URL = "https://news.example.kr/news/articleView.html?idxno=1201"
KST = timezone(timedelta(hours=9))

# Titles of *other* articles that the fixtures put in related / most-read / prev-next boxes.
OTHER_TITLES = (
    "수술실 CCTV 설치 의무화 의료법 개정안 국회 통과",
    "정부, 코로나 병상 2만5천개로 확충",
    "기초연금 수급 어르신 595만명",
    "이정후 4년 연속 황금장갑",
)
FURNITURE = (
    "기상청 제공",
    "관련기사",
    "많이 본",
    "무단전재",
    "무단 전재",
    "재배포",
    "All rights reserved",
    "기사를 공유",
    "공유하기",
    "URL복사",
    "다른기사 보기",
    "이전글",
    "다음글",
    "반응형",
    "♡ 공감",
    "카테고리의 다른 글",
    "첨부파일",
    "공공누리",
    "만족하십니까",
    "조회:",
    "추천:",
    "최종편집",
    "기사입력",
    "사진=",
    "▲",
    "기자 구독",
    "좋아요",
    "댓글",
    "배너 닫기",
    "보도자료란은",
    "2.jpeg",
    "휴이노 제공",
    "지역 보도자료",
    "[충북메디컬]",
    "(서울=",
    "[서울=",
)
WEATHER = re.compile(r"(맑음|흐림|구름많음|구름조금|박무|비|눈)\s?[가-힣()]{0,6}\s?-?\d{1,2}\.\d℃")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def load(name: str) -> str:
    return decode_html((PAGES / name).read_bytes())


# --------------------------------------------------------------------------- golden pages


@pytest.mark.parametrize("page", GOLDEN, ids=lambda p: p.stem)
def test_golden_page_text(page: Path) -> None:
    article = extract_article(decode_html(page.read_bytes()), URL)
    assert article.text == page.with_suffix(".txt").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("page", GOLDEN, ids=lambda p: p.stem)
def test_golden_page_has_no_furniture(page: Path) -> None:
    text = extract_article(decode_html(page.read_bytes()), URL).text
    leaks = [marker for marker in FURNITURE if marker in text]
    leaks += [title for title in OTHER_TITLES if title in text]
    leaks += WEATHER.findall(text) + EMAIL.findall(text)
    assert leaks == []
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == len(set(paragraphs)), "a pull quote or caption repeated a paragraph"


def test_ndsoft_metadata_comes_from_the_page() -> None:
    article = extract_article(load("ndsoft_article.html"), URL)
    assert article.title == "건보공단·강원TP·원주의료기기테크노밸리, 실버의료기기 협약"
    assert article.published == datetime(2024, 6, 12, 14, 0, tzinfo=KST)
    assert article.author == "김민수 기자"


def test_board_date_and_author_come_from_the_table_not_the_header_date() -> None:
    article = extract_article(load("board_euckr.html"), URL)
    # The header shows today's date (no time); the post's own timestamp is the one with a time.
    assert article.published == datetime(2024, 6, 12, 15, 10, tzinfo=KST)
    assert article.author == "최현우 기자"
    assert article.title == "네오펙트, 홈 재활 첫 실증특례"


def test_labelled_date_wins_over_last_edit_and_byline_dateline_is_removed() -> None:
    regional = extract_article(load("regional_divs.html"), URL)
    assert regional.published == datetime(2024, 6, 12, 10, 20, tzinfo=KST)  # not 최종편집 06-17
    assert regional.text.startswith("충청권 4개 시도와")  # "[충북메디컬] " prefix gone
    wire = extract_article(load("wire_dateline.html"), URL)
    assert wire.text.startswith("재활의료기기 기업 네오펙트가")
    assert wire.author == "정다은 기자"


@pytest.mark.parametrize("bad", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_page_date_outside_the_range_gives_way_to_the_dateline(bad: str) -> None:
    html = load("ndsoft_article.html").replace("2024-06-12T14:00:00+09:00", bad)
    assert bad in html
    article = extract_article(html, URL)
    assert article.published == datetime(2024, 6, 12, 14, 0, tzinfo=KST)  # 입력 2024.06.12 14:00 on the page
    assert article.published is not None
    article.published.astimezone(UTC)


def test_blog_author_and_korean_dotted_date() -> None:
    article = extract_article(load("tistory_blog.html"), URL)
    assert article.author == "원주정보맨"
    assert article.published == datetime(2024, 6, 12, 19, 40, tzinfo=KST)


def test_pull_quote_repeating_a_sentence_appears_once_in_place() -> None:
    text = extract_article(load("story_pullquote.html"), URL).text
    quote = "구 관계자는"
    assert text.count(quote) == 1
    assert text.split("\n\n")[-1].startswith(quote)  # kept where the body has it, not where the box was


# --------------------------------------------------------------------------- decoding


def test_euckr_page_decodes_from_its_meta() -> None:
    raw = (PAGES / "board_euckr.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "홈 재활 훈련기기" in decode_html(raw)


@pytest.mark.parametrize("header", ["utf-8", "UTF-8", "iso-8859-1", "bogus-charset", None])
def test_euckr_bytes_survive_a_wrong_or_missing_http_charset(header: str | None) -> None:
    raw = (PAGES / "board_euckr.html").read_bytes()
    text = decode_html(raw, header)
    assert "홈 재활 훈련기기" in text
    assert "\ufffd" not in text and "Ã" not in text and "°" not in text


def test_header_and_meta_disagree_the_one_that_decodes_wins() -> None:
    utf8_page = (PAGES / "ndsoft_article.html").read_bytes()  # UTF-8 bytes, <meta charset="utf-8">
    assert "실버의료기기 협약" in decode_html(utf8_page, "euc-kr")
    euckr_page = (PAGES / "board_euckr.html").read_bytes()
    lying_meta = euckr_page.replace(b"charset=euc-kr", b"charset=utf-8")
    assert "홈 재활 훈련기기" in decode_html(lying_meta, "ks_c_5601-1987")
    assert "홈 재활 훈련기기" in decode_html(lying_meta, None)


def test_meta_charset_after_the_first_kilobyte() -> None:
    raw = (PAGES / "euckr_meta_late.html").read_bytes()
    assert raw.find(b"charset=euc-kr") > 1024
    article = extract_article(decode_html(raw), URL)
    assert article.title == "은평구 보건소, AI 엑스레이 판독 도입"
    assert article.text.startswith("서울 은평구 보건소가")


def test_cp949_only_syllables_under_an_euckr_label() -> None:
    raw = '<meta charset="euc-kr"><p>똠방각하와 햏자</p>'.encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("euc-kr")
    for label in ("euc-kr", "ks_c_5601-1987", "x-windows-949", "ksc5601"):
        assert "똠방각하와 햏자" in decode_html(raw, label)


def test_override_comes_first_and_korean_utf8_beats_a_latin_label() -> None:
    euckr = "보건복지부 발표".encode("cp949")
    assert decode_html(euckr, "utf-8", override="euc-kr") == "보건복지부 발표"
    utf8 = '<?xml version="1.0" encoding="ISO-8859-1"?><title>테스트 피드</title>'.encode()
    assert "테스트 피드" in decode_html(utf8, "iso-8859-1")
    latin = '<meta charset="iso-8859-1"><p>Café</p>'.encode("latin-1")
    assert "Café" in decode_html(latin)


def test_control_characters_are_stripped_and_garbage_is_replaced_not_latin() -> None:
    assert decode_html("실증\x00\x1b[31m 완료\t\r\n".encode()) == "실증[31m 완료\t\r\n"
    garbage = bytes([0xFF, 0xFE, 0x80]) * 10 + b"<p>ok</p>"
    text = decode_html(garbage)
    assert "\ufffd" in text and "ÿ" not in text


# --------------------------------------------------------------------------- bylines and datelines


def test_byline_glued_to_subtitles_splits_them_from_the_lead() -> None:
    article = extract_article(load("glued_byline_subtitles.html"), URL)
    assert article.author == "홍길동 기자"
    assert "기자" not in article.text and "헬스온뉴스]" not in article.text
    assert article.text.startswith(
        "복지부, 요양원 12곳에 돌봄 로봇 보급\n\n야간 낙상 감지·말벗 기능 함께 시험\n\n보건복지부가 요양원"
    )
    assert summarize(article.text) == (
        "보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다고 12일 밝혔다. "
        "로봇은 밤사이 어르신이 넘어지면 이를 감지해 요양보호사에게 알림을 보낸다."
    )


@pytest.mark.parametrize(
    "byline",
    [
        "[서울=헬스온뉴스]홍길동 기자 = ",
        "[메디데일리 홍길동 기자] ",
        "(서울=연합통신) 홍길동 기자 = ",
        "【세종=헬스온뉴스】홍길동 기자 = ",
    ],
    ids=["bracket-dateline", "outlet-byline", "paren-dateline", "lenticular-dateline"],
)
def test_summary_starts_after_a_byline_glued_to_subtitles(byline: str) -> None:
    text = f"중소 요양원도 로봇 도입 쉬워진다\n삼성전자, 돌봄 로봇 임대료 모두 지원{byline}삼성전자가 요양원 돌봄 로봇 임대료를 지원한다고 12일 밝혔다. 올해 50곳이 대상이다.\n지원 신청은 다음 달부터 받는다."
    assert (
        summarize(text)
        == "삼성전자가 요양원 돌봄 로봇 임대료를 지원한다고 12일 밝혔다. 올해 50곳이 대상이다."
    )
    assert clean_text(text).split("\n")[:3] == [
        "중소 요양원도 로봇 도입 쉬워진다",
        "삼성전자, 돌봄 로봇 임대료 모두 지원",
        "삼성전자가 요양원 돌봄 로봇 임대료를 지원한다고 12일 밝혔다. 올해 50곳이 대상이다.",
    ]


def test_caption_glued_to_the_byline_is_not_the_summary() -> None:
    text = "요양원에서 시연 중인 돌봄 로봇. 사진=헬스온뉴스 제공[메디데일리 홍길동 기자] 돌봄 로봇이 요양원에 들어간다. 올해 12곳이 먼저 쓴다."
    assert summarize(text) == "돌봄 로봇이 요양원에 들어간다. 올해 12곳이 먼저 쓴다."


def test_reporter_of_the_lead_dateline_is_the_author_when_the_page_names_none() -> None:
    html = (
        "<html><head><title>해맞이 인파</title></head><body><div id='article'>"
        "<p>(포항=연합통신) 임상현 기자 = 새해를 맞아 호미곶 해맞이광장에 10여만명의 인파가 몰려 새해소망을 기원했다.</p>"
        "<p>해맞이객들은 붉은 해가 구름 사이로 떠오르자 탄성과 환호와 함께 저마다 간직해 둔 새해소망을 빌었다.</p>"
        "</div></body></html>"
    )
    article = extract_article(html, URL)
    assert article.author == "임상현 기자"
    assert article.text.startswith("새해를 맞아 호미곶")


def test_summary_skips_a_programme_header() -> None:
    text = (
        "■ 방송 : 라디오 <아침 뉴스쇼> FM 98.1 (07:20~09:00)\n\n■ 진행 : 김현정 앵커\n\n■ 대담 : 박지원 의원\n\n"
        "정치의 한 달 앞을 내다보는 시간, 월간 정치입니다. 박지원 의원, 오셨습니다. 어서 오십시오.\n\n"
        "◆ 박지원> 네, 왔습니다."
    )
    assert summarize(text) == "정치의 한 달 앞을 내다보는 시간, 월간 정치입니다. 박지원 의원, 오셨습니다."


def test_clean_content_cuts_the_byline_tail_and_names_the_reporter() -> None:
    fragment = (
        "<p>[세종=헬스온뉴스] 김철수 기자 = 경로당 30곳에 AI 말벗 로봇이 보급된다.</p>"
        "<p>내년에는 100곳으로 늘린다. ◎건강한 뉴스 헬스온 kim@healthon.example.kr</p>"
    )
    article = clean_content(fragment, URL)
    assert article.text == "경로당 30곳에 AI 말벗 로봇이 보급된다.\n\n내년에는 100곳으로 늘린다."
    assert article.author == "김철수 기자"


# --------------------------------------------------------------------------- feed full content


def test_clean_content_drops_byline_copyright_and_related() -> None:
    fragment = (
        "<p>정부가 개발을 지원해 온 의료 인공지능을 일반인도 체험할 수 있게 됐다.</p>"
        '<p><img src="a.jpg"></p><p>▲ 체험관 모습 (사진=데일리헬스 DB)</p>'
        "<p>체험관은 병원 건강증진센터에 자리 잡았다. 본격적인 서비스는 내년 1월 시작된다.</p>"
        '<div class="related"><a href="/news/1">관련기사 제목</a></div>'
        "<p>이영희 기자 reporter124@dailyhealth.example</p>"
        "<p>&lt;저작권자 ⓒ 데일리헬스, 무단 전재-재배포 금지&gt;</p>"
    )
    article = clean_content(fragment, URL)
    assert article.text == (
        "정부가 개발을 지원해 온 의료 인공지능을 일반인도 체험할 수 있게 됐다.\n\n"
        "체험관은 병원 건강증진센터에 자리 잡았다. 본격적인 서비스는 내년 1월 시작된다."
    )
    assert article.author == "이영희 기자"
    assert clean_content("   ", URL).text == ""


def test_clean_content_of_plain_text_keeps_its_paragraphs() -> None:
    text = "첫 문단은 실증특례 소식이다.\n\n둘째 문단은 일정이다.\n홍길동 기자 hong@news.example"
    assert clean_content(text, URL).text == "첫 문단은 실증특례 소식이다.\n\n둘째 문단은 일정이다."


def test_json_ld_article_body_rescues_a_script_rendered_page() -> None:
    body = "서울 구로구가 홀로 사는 어르신에게 돌봄 로봇을 보급한다. " * 4
    html = (
        '<html><head><script type="application/ld+json">'
        f'{{"@type": "NewsArticle", "headline": "돌봄 로봇 보급", "articleBody": "{body}"}}'
        '</script></head><body><div id="root"></div></body></html>'
    )
    article = extract_article(html, URL)
    assert article.title == "돌봄 로봇 보급"
    assert article.text == body.strip()


def test_strip_furniture_lines_keeps_the_news() -> None:
    text = "맑음서울 0.5℃ 흐림부산 5.9℃\n기상청 제공\n입력 2024.06.12 14:00 | 수정 2024.06.12 15:00\n돌봄 로봇이 보급된다.\n관련기사\n다른 기사 제목\n저작권자 © 헬스온뉴스 무단전재 및 재배포 금지"
    assert strip_furniture_lines(text) == "돌봄 로봇이 보급된다."


# --------------------------------------------------------------------------- summaries


def test_summary_skips_the_dateline_and_keeps_decimals_and_abbreviations() -> None:
    text = (
        "(서울=연합뉴스) 홍길동 기자 = 미국 U.S. 식품의약국은 Dr. Kim의 기기 효과가 3.5% 높다고 밝혔다. "
        "가격은 1.5배 올랐다. 세 번째 문장은 요약에 들어가지 않는다."
    )
    assert (
        summarize(text)
        == "미국 U.S. 식품의약국은 Dr. Kim의 기기 효과가 3.5% 높다고 밝혔다. 가격은 1.5배 올랐다."
    )


@pytest.mark.parametrize(
    "lead",
    ["[굿뉴스365] ", "홍길동 기자 = ", "【서울=뉴시스】홍길동 기자 = ", "(세종=뉴스1) 김철수 이영희 기자 = "],
)
def test_summary_skips_outlet_and_byline_leads(lead: str) -> None:
    assert summarize(lead + "충청권 시도가 가상병원을 만든다. 내년에 문을 연다.") == (
        "충청권 시도가 가상병원을 만든다. 내년에 문을 연다."
    )


def test_summary_does_not_split_inside_quotes() -> None:
    text = '그는 "좋다. 정말 좋다"라고 말했다. 두 번째 문장이다. 세 번째 문장이다.'
    assert summarize(text, max_chars=40) == '그는 "좋다. 정말 좋다"라고 말했다. 두 번째 문장이다.'


def test_summary_length_cap() -> None:
    short_first = "첫 문장은 짧다. " + "두 번째 문장은 아주 길어서 한도를 넘긴다 " * 10 + "끝."
    assert summarize(short_first, max_chars=120) == "첫 문장은 짧다."
    sentence = "원격 돌봄 서비스가 전국으로 확대되는 " * 30 + "계획이다."
    cut = summarize("홍길동 기자 = " + sentence, max_chars=100)
    assert cut.endswith("…") and len(cut) <= 100
    kept = cut.removesuffix("…")
    assert sentence.startswith(kept) and sentence[len(kept)] == " "  # cut between words


def test_summary_skips_a_leading_caption_and_handles_empty_text() -> None:
    text = "▲ 협약식 모습 (사진=헬스온뉴스 DB)\n\n세 기관이 업무협약을 맺었다. 지역 기업을 돕는다."
    assert summarize(text) == "세 기관이 업무협약을 맺었다. 지역 기업을 돕는다."
    assert summarize("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a dateline cut as a "sentence" at `2024. 6. 12.` is not a summary
        (
            "입력 2024. 6. 12. 구로구가 홀로 사는 어르신 225명에게 인공지능 돌봄 로봇을 보급한다.",
            "구로구가 홀로 사는 어르신 225명에게 인공지능 돌봄 로봇을 보급한다.",
        ),
        (
            "입력 2024.06.12 14:00 수정 2024.06.12 15:00 | 2024. 6. 12. 돌봄 로봇이 보급된다. 내년에 늘린다.",
            "돌봄 로봇이 보급된다. 내년에 늘린다.",
        ),
        # a byline that ends like a sentence
        (
            "홍길동 기자 hong@example.com. 경로당 30곳에 AI 말벗 로봇이 보급된다.",
            "경로당 30곳에 AI 말벗 로봇이 보급된다.",
        ),
        ("홍길동 기자 hong@example.com. 김철수 기자 kim@example.com.", ""),  # two bylines, nothing else
        (". . 내년에 문을 연다.", "내년에 문을 연다."),
    ],
    ids=["dotted-date-lead", "dateline-lead", "byline-sentence", "two-bylines", "dots"],
)
def test_summary_is_never_only_a_byline_or_a_date_line(text: str, expected: str) -> None:
    assert summarize(text) == expected


def test_summary_never_pairs_a_sentence_with_a_trailing_byline() -> None:
    text = "경로당 30곳에 AI 말벗 로봇이 보급된다. 홍길동 기자 hong@example.com. 내년에는 100곳으로 늘린다."
    assert summarize(text) == "경로당 30곳에 AI 말벗 로봇이 보급된다. 내년에는 100곳으로 늘린다."


def test_summary_of_an_extracted_page() -> None:
    text = extract_article(load("story_pullquote.html"), URL).text
    assert summarize(text) == (
        "서울 구로구가 홀로 사는 어르신 225명에게 인공지능 돌봄 로봇을 보급한다. "
        "로봇은 말벗이 되어 주고 약 먹을 시간을 알려 주며, 일정 시간 움직임이 없으면 보호자와 관리자에게 "
        "알림을 보낸다."
    )


# --------------------------------------------------------------------------- pages with no trustworthy body


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad_js_shell.html", "JavaScript"),
        ("bad_login_wall.html", "login wall"),
        ("bad_error_404.html", "error page"),
    ],
)
def test_untrustworthy_pages_raise(name: str, reason: str) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_article(load(name), URL)
    assert reason in caught.value.reason
    assert caught.value.url == URL


@pytest.mark.parametrize("html", ["", "   \n\t", "<html><body></body></html>"])
def test_empty_pages_raise(html: str) -> None:
    with pytest.raises(ExtractError):
        extract_article(html, URL)


def test_binary_garbage_raises() -> None:
    blob = random.Random(7).randbytes(50_000)
    with pytest.raises(ExtractError, match="binary"):
        extract_article(decode_html(blob), URL)


@pytest.mark.parametrize("filler", ["", "가"])
def test_twenty_thousand_deep_nesting_fails_fast(filler: str) -> None:
    html = (
        "<html><body><article>" + f"<div>{filler}" * 20_000 + "</div>" * 20_000 + "</article></body></html>"
    )
    started = time.perf_counter()
    with pytest.raises(ExtractError, match="nested"):
        extract_article(html, URL)
    with pytest.raises(ExtractError, match="nested"):
        clean_content(html, URL)
    assert find_article_links(html, URL) == []
    assert time.perf_counter() - started < 1.0


def test_short_brief_is_not_mistaken_for_an_error() -> None:
    text = extract_article(load("short_brief.html"), URL).text
    assert text.startswith("보건복지부는 내년 노인 일자리를 103만개로")


def test_a_programme_header_and_a_portal_credit_or_programme_tag_are_not_text() -> None:
    transcript = "\n".join(
        [
            "■ 방송 : CBS 라디오 <김현정의 뉴스쇼> FM 98.1 (07:20~09:00)",
            "■ 진행 : 김현정 앵커",
            "■ 대담 : 박지원 (민생당 의원)",
            "우리 정치의 한 달 앞을 내다보는 시간입니다. 의원님 오셨습니다.",
            "◆ 박지원> 네, 왔습니다. 오늘이 마지막 출연이네요.",
            "[CBS 김현정의 뉴스쇼]",
        ]
    )
    text = clean_text(transcript)
    assert text.startswith("우리 정치의 한 달 앞을") and text.endswith("마지막 출연이네요."), text
    assert summarize(transcript).startswith("우리 정치의 한 달 앞을")
    sports = "인판티노 회장이 비판에 날을 세웠다.\n그는 축구를 떠나라고 말했다.\n기사제공 스포티비뉴스"
    assert clean_text(sports) == "인판티노 회장이 비판에 날을 세웠다.\n그는 축구를 떠나라고 말했다."
    # An article's own sub-heading and a closing sentence in brackets are text.
    kept = "■ 주요 내용은 무엇인가\n정부는 돌봄로봇 실증을 시작한다고 밝혔다.\n[관계자는 계획을 설명했다. 자세한 내용은 추후 공개된다]"
    assert clean_text(kept) == kept


# --------------------------------------------------------------------------- subtitles, dates without a time


@pytest.mark.parametrize(
    ("page", "subtitle"),
    [
        # Newsis style: the subtitles, then `[세종=outlet]홍길동 기자 =` glued to the last of them
        (
            "glued_byline_subtitles.html",
            "복지부, 요양원 12곳에 돌봄 로봇 보급\n야간 낙상 감지·말벗 기능 함께 시험",
        ),
        # Yonhap style: subtitle headings, then a lead opening with `(세종=outlet) 김지현 기자 =`
        (
            "wire_subtitles.html",
            '의원·보건소 120곳 참여…만성질환자 화상 상담\n복지부 "의사-의사 협진부터 단계적으로"',
        ),
    ],
)
def test_subtitles_before_a_dateline_byline_are_the_articles_subtitle(page: str, subtitle: str) -> None:
    article = extract_article(load(page), URL)
    assert article.subtitle == subtitle
    assert "기자" not in article.subtitle and "=" not in article.subtitle
    assert summarize(article.text).split("\n")[0] not in article.subtitle  # the summary is the lead's


def test_the_yonhap_style_page_text_summary_and_author_are_as_without_subtitles() -> None:
    article = extract_article(load("wire_subtitles.html"), URL)
    assert article.author == "김지현 기자"
    assert article.published == datetime(2024, 6, 12, 10, 5, tzinfo=KST) and not article.date_only
    assert summarize(article.text).startswith("동네 의원과 보건소가 상급병원 전문의와")


@pytest.mark.parametrize(
    "page",
    [p for p in GOLDEN if p.name not in ("glued_byline_subtitles.html", "wire_subtitles.html")],
    ids=lambda p: p.stem,
)
def test_pages_without_subtitles_have_none(page: Path) -> None:
    assert extract_article(decode_html(page.read_bytes()), URL).subtitle == ""


@pytest.mark.parametrize(
    ("head", "subtitle"),
    [
        (
            "기사내용 요약요양원 12곳 로봇 실증 착수",
            "요양원 12곳 로봇 실증 착수",
        ),  # the wire's box label goes
        ("요양원에서 시연 중인 돌봄 로봇. 사진=헬스온뉴스 제공", ""),  # a caption
        ("홍길동 헬스온뉴스 복지부 차장", ""),  # a columnist's signature
        ("ⓒ연합통신", ""),  # a credit
    ],
    ids=["summary-box", "caption", "columnist", "credit"],
)
def test_what_a_glued_byline_follows_is_a_subtitle_only_when_it_reads_as_one(
    head: str, subtitle: str
) -> None:
    lead = "보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다고 12일 밝혔다."
    assert find_subtitle([f"{head}[세종=헬스온뉴스] 홍길동 기자 = {lead}"]) == subtitle


def test_without_a_dateline_byline_nothing_is_a_subtitle() -> None:
    lead = "보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다고 12일 밝혔다."
    assert find_subtitle(["짧은 첫 줄", lead]) == ""
    assert find_subtitle(["[CBS 김현정의 뉴스쇼]", f"(서울=연합통신) 홍길동 기자 = {lead}"]) == ""
    assert (
        find_subtitle(
            ["요양원 돌봄 로봇 실증", "둘째 부제", f"(서울=연합통신) 홍길동 기자 = {lead}"],
            title="요양원 돌봄 로봇 실증",
        )
        == "둘째 부제"
    )
    assert find_subtitle([lead * 20]) == ""


def test_a_feeds_own_content_keeps_its_subtitles() -> None:
    html = (
        "<p>중소 요양원도 로봇 도입 쉬워진다</p><p>삼성전자, 돌봄 로봇 임대료 모두 지원[서울=헬스온뉴스]홍길동 기자 = "
        "삼성전자가 요양원 돌봄 로봇 임대료를 지원한다고 12일 밝혔다. 올해 50곳이 대상이다.</p>"
        "<p>지원 신청은 다음 달부터 받는다. 대상은 100병상 이하 요양원이다.</p>"
    )
    article = clean_content(html, URL)
    assert article.subtitle == "중소 요양원도 로봇 도입 쉬워진다\n삼성전자, 돌봄 로봇 임대료 모두 지원"
    assert article.text.startswith(
        "중소 요양원도 로봇 도입 쉬워진다\n\n삼성전자, 돌봄 로봇 임대료 모두 지원\n\n삼성전자가"
    )


def test_a_page_date_without_a_time_says_so_and_a_full_time_on_that_date_wins() -> None:
    body = "<p>" + "보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다고 12일 밝혔다. " * 6 + "</p>"

    def page(meta: str, dateline: str) -> str:
        return (
            f"<html><head><title>돌봄 로봇 실증</title>{meta}</head><body><div id='article'>"
            f"<div class='date'>{dateline}</div>{body}</div></body></html>"
        )

    only = extract_article(page("", "2025년 12월 30일 (화)"), URL)
    assert only.published == datetime(2025, 12, 30, tzinfo=KST) and only.date_only
    meta_day = '<meta property="article:published_time" content="2024-06-12">'
    timed = extract_article(page(meta_day, "입력 2024.06.12 14:05"), URL)
    assert timed.published == datetime(2024, 6, 12, 14, 5, tzinfo=KST) and not timed.date_only
    other_day = extract_article(page(meta_day, "입력 2024.06.11 14:05"), URL)
    assert other_day.published == datetime(2024, 6, 12, tzinfo=KST) and other_day.date_only
    full = extract_article(
        page('<meta property="article:published_time" content="2024-06-12T09:00:00+09:00">', "2024.06.12"),
        URL,
    )
    assert full.published == datetime(2024, 6, 12, 9, 0, tzinfo=KST) and not full.date_only
    assert extract_article(load("gov_press_release.html"), URL).date_only
    assert not extract_article(load("ndsoft_article.html"), URL).date_only


def test_a_broadcast_transcript_is_credited_to_its_programme() -> None:
    turns = [
        "우리 정치의 한 달 앞을 내다보는 시간입니다. 의원님 오셨습니다. 어서 오십시오.",
        "◆ 박지원> 네, 왔습니다. 오늘이 이 코너의 마지막 출연이라고 들었습니다.",
        "◇ 김현정> 그렇습니다. 오늘은 돌봄로봇 실증 예산 이야기부터 해 보겠습니다.",
        "◆ 박지원> 내년 예산에서 돌봄로봇 보급 사업이 두 배로 늘어난다고 합니다.",
        "◇ 김현정> 현장에서는 어떤 반응이 나오고 있습니까? 요양시설의 반응이 궁금합니다.",
        "◆ 박지원> 요양시설 종사자들은 인력난을 덜 수 있다는 기대가 큽니다.",
    ]
    body = "".join(f"<p>{t}</p>" for t in ["■ 방송 : CBS 라디오 &lt;김현정의 뉴스쇼&gt; FM 98.1", *turns])
    page = (
        "<html><head><title>박지원 돌봄로봇 예산 두 배</title></head><body><article>"
        f"<h1>박지원 돌봄로봇 예산 두 배</h1>{body}<p>[CBS 김현정의 뉴스쇼]</p></article></body></html>"
    )
    article = extract_article(page, URL)
    assert article.author == "CBS 김현정의 뉴스쇼"
    assert "[CBS 김현정의 뉴스쇼]" not in article.text
