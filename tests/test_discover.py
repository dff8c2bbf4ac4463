"""Listing pages → the links to their articles, in page order, without the page's furniture."""

from __future__ import annotations

from pathlib import Path

import pytest

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
