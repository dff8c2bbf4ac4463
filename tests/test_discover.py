"""Listing pages → the links to their articles, in page order, without the page's furniture."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from digest import discover
from digest.charset import decode_html
from digest.discover import find_article_links
from digest.errors import ExtractError

PAGES = Path(__file__).parent / "data" / "pages"


def load(name: str) -> str:
    return decode_html((PAGES / name).read_bytes())


LISTING_BASE = "https://healthon.example/news/articleList.html?sc_section_code=S1N1"


def test_listing_links_are_articles_of_the_site_in_page_order() -> None:
    links = find_article_links(load("listing_ndsoft.html"), LISTING_BASE)
    assert links == [
        (
            "https://healthon.example/news/articleView.html?idxno=1201",
            "구로구, 홀몸 어르신 225명에 AI 돌봄 로봇 보급",
        ),
        ("https://www.healthon.example/news/articleView.html?idxno=1200", "손목 심전도 측정기, 첫 실증특례"),
        ("https://healthon.example/news/articleView.html?idxno=1199", "충청권 AI 가상병원 업무협약"),
    ]


def test_listing_excludes_menus_rankings_pages_and_other_sites() -> None:
    urls = " ".join(url for url, _ in find_article_links(load("listing_ndsoft.html"), LISTING_BASE))
    for excluded in (
        "idxno=9001",
        "idxno=1100",
        "idxno=1101",
        "idxno=5",
        "idxno=1&",
        "page=",
        "sc_section_code",
    ):
        assert excluded not in urls + "&"
    assert "login" not in urls and "javascript" not in urls and "#comments" not in urls


def test_listing_selector_override() -> None:
    html = load("listing_ndsoft.html")
    titles = find_article_links(html, LISTING_BASE, selector="h4.titles a")
    assert [text for _, text in titles] == [
        "구로구, 홀몸 어르신 225명에 AI 돌봄 로봇 보급",
        "손목 심전도 측정기, 첫 실증특례",
        "충청권 AI 가상병원 업무협약",
    ]
    # A selector naming a container takes the links inside it, even a box we would call furniture.
    assert find_article_links(html, LISTING_BASE, selector="div.side_box") == [
        ("https://healthon.example/news/articleView.html?idxno=1101", "어제 인기 기사")
    ]


def test_listing_invalid_selector_is_our_error() -> None:
    with pytest.raises(ExtractError, match="invalid CSS selector"):
        find_article_links(load("listing_ndsoft.html"), LISTING_BASE, selector="div[")


def test_listing_of_cards_is_not_mistaken_for_furniture() -> None:
    links = find_article_links(load("listing_cards.html"), "https://carepost.example/")
    assert links == [
        ("https://carepost.example/article/2024/06/12/robot-care", "AI 돌봄 로봇 보급 확대"),
        ("https://carepost.example/article/2024/06/12/ecg-watch", "손목 심전도 측정기 실증특례"),
    ]


# --------------------------------------------------------------------------- the listing's site

LISTINGS = Path(__file__).parent / "data" / "listings"


def test_portal_home_finds_articles_on_sibling_subdomains_not_clusters_or_menus() -> None:
    html = (LISTINGS / "naver_home.html").read_text(encoding="utf-8")
    assert find_article_links(html, "https://news.naver.com/") == [
        (
            "https://n.news.naver.com/mnews/article/001/0014700001",
            "구로구, 홀몸 어르신 225명에 AI 돌봄 로봇 보급",
        ),
        (
            "https://n.news.naver.com/mnews/article/421/0007500002",
            "손목 심전도 측정기, 규제샌드박스 첫 실증특례",
        ),
        (
            "https://sports.news.naver.com/news?oid=477&aid=0000073768",
            "웨어러블 로봇 입은 재활 선수, 복귀전 승리",
        ),
    ]


def test_portal_home_of_press_cards_finds_the_visible_cards_articles() -> None:
    # Every article sits in a "subscribe" block; a hidden carousel card stays out; a card's
    # overlay link is named by the card's heading, not by its screen-reader text.
    html = (LISTINGS / "naver_home_cards.html").read_text(encoding="utf-8")
    assert find_article_links(html, "https://news.naver.com/main/home.naver") == [
        ("https://n.news.naver.com/article/003/0012600001", "충청권 AI 가상병원 업무협약"),
        ("https://n.news.naver.com/article/029/0002800001?sid=105", "요양병원 낙상 감지 센서, 실증 착수"),
    ]


@pytest.mark.parametrize(
    ("listing", "link", "same_site"),
    [
        ("https://news.naver.com/", "https://n.news.naver.com/article/001/0014700001", True),
        ("https://n.news.naver.com/", "https://sports.news.naver.com/news?oid=477&aid=0000073768", True),
        ("https://www.a.co.kr/", "https://news.a.co.kr/news/articleView.html?idxno=1", True),
        ("https://한국.kr/", "https://news.xn--3e0b707e.kr/news/articleView.html?idxno=1", True),
        ("https://a.co.kr/", "https://b.co.kr/news/articleView.html?idxno=1", False),
        ("https://news.naver.com/", "https://v.daum.net/v/20240612100000123", False),
        ("https://one.github.io/news/", "https://two.github.io/news/articleView.html?idxno=1", False),
        ("http://127.0.0.1:8000/list", "http://127.0.0.1:8000/news/articleView.html?idxno=1", True),
        ("http://127.0.0.1:8000/list", "http://127.0.0.2:8000/news/articleView.html?idxno=1", False),
        ("http://127.0.0.1:8000/list", "http://localhost:8000/news/articleView.html?idxno=1", False),
        ("http://[::1]:8000/list", "http://[::1]:8000/news/articleView.html?idxno=1", True),
    ],
)
def test_same_site_is_the_registrable_domain(listing: str, link: str, same_site: bool) -> None:
    html = f'<ul><li><a href="{link}">AI 돌봄 로봇 보급 확대</a></li></ul>'
    assert find_article_links(html, listing) == ([(link, "AI 돌봄 로봇 보급 확대")] if same_site else [])


def test_public_suffix_list_is_bundled_not_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    discover._suffixes.cache_clear()
    html = '<a href="https://n.news.naver.com/article/001/0014700001">AI 돌봄 로봇 보급 확대</a>'
    assert len(find_article_links(html, "https://news.naver.com/")) == 1


@pytest.mark.parametrize(
    ("href", "text"),
    [
        ("/news/articleView.html?idxno=1300", "35개의 관련뉴스 더보기"),
        ("/news/articleView.html?idxno=1301", "관련기사 12건"),
        ("/news/articleView.html?idxno=1302", "[공지] 서비스 점검 안내"),
        ("/news/articleView.html?idxno=1303", "공지사항"),
        ("/archive/20170103", "1월3일(화)"),
        ("/archive/20240611", "2024.06.11"),
        ("/reporter/31234", "홍길동 기자"),
        ("/main/clusterArticles.html?id=c_2024061210&oid=001&aid=0014700001", "AI 돌봄 로봇 보도 모음"),
        ("/notice/view/12", "서비스 개편 안내"),
        ("/main/main.html?mode=LS2D&sid1=105&date=20240611", "어제"),
    ],
)
def test_cluster_notice_date_and_byline_links_are_not_articles(href: str, text: str) -> None:
    html = (
        '<ul><li><a href="/news/articleView.html?idxno=1201">AI 돌봄 로봇 보급 확대</a>'
        f'<a href="{href}">{text}</a></li></ul>'
    )
    assert find_article_links(html, "https://healthon.example/news/") == [
        ("https://healthon.example/news/articleView.html?idxno=1201", "AI 돌봄 로봇 보급 확대")
    ]


def test_a_more_link_does_not_name_the_article() -> None:
    html = (
        '<ul><li><a href="/news/articleView.html?idxno=1201">더보기 »</a>'
        '<a href="/news/articleView.html?idxno=1201">AI 돌봄 로봇 보급 확대</a></li>'
        '<li><a href="/news/articleView.html?idxno=1202">Read more</a></li></ul>'
    )
    assert find_article_links(html, "https://healthon.example/news/") == [
        ("https://healthon.example/news/articleView.html?idxno=1201", "AI 돌봄 로봇 보급 확대"),
        ("https://healthon.example/news/articleView.html?idxno=1202", ""),
    ]
