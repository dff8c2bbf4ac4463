"""Finding the feed behind a site's address (`digest sources add URL`): the pure readers of a page
on plain strings, and `find` over the real loopback server of conftest.

No test here asks DNS: made-up names (and news.naver.com, for the Naver listing) reach 127.0.0.1
through a resolver the tests inject, and the system resolver answers numeric hosts only."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import pytest

from digest.feedfinder import (
    MAX_REQUESTS,
    FeedLink,
    Found,
    alternate_feeds,
    common_paths,
    find,
    page_title,
    same_site,
)
from digest.fetch import Fetcher, make_client
from digest.models import FetchSettings
from digest.net import trusted_origins

from .conftest import LoopbackServer

DATA = Path(__file__).parent / "data" / "discovery"
SETTINGS = FetchSettings(connect_timeout=2, read_timeout=2, total_timeout=3, max_bytes=500_000)
HTML = "text/html; charset=utf-8"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


pytestmark = pytest.mark.usefixtures("no_dns")  # no name ever reaches the system resolver


def loopback_names(*names: str) -> Any:
    """A resolver answering 127.0.0.1 for `names` and nothing for any other name."""

    async def resolve(host: str) -> Sequence[str]:
        if host in names:
            return ["127.0.0.1"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    return resolve


def run_find(url: str, trusted: Collection[str] | None = None, names: Sequence[str] = ()) -> Found:
    """`find(url)` through a Fetcher trusting the origins of `trusted` (by default `url`'s), as
    the caller of `sources add` would trust the user's own site."""

    async def go() -> Found:
        async with make_client(SETTINGS) as client:
            origins = trusted_origins([url] if trusted is None else trusted)
            fetcher = Fetcher(client, SETTINGS, origins, resolver=loopback_names(*names))
            return await find(url, fetcher, SETTINGS)

    return asyncio.run(go())


def paths(server: LoopbackServer) -> list[str]:
    return [p for p, _ in server.requests]


# --------------------------------------------------------------------------- pure


def test_alternate_links_with_several_rel_tokens_relative_hrefs_and_base() -> None:
    html = data("site_alternates.html").decode("utf-8")
    links = alternate_feeds(html, "https://www.healthon.test/news/section.html?sec=2")
    assert links == [
        # rel="Alternate  home", href relative to <base href="/news/">
        FeedLink(
            "https://www.healthon.test/news/rss/allArticle.xml", "헬스온뉴스 전체기사", "application/rss+xml"
        ),
        # a type with parameters, a fragment dropped
        FeedLink("https://www.healthon.test/atom.xml", "헬스온 Atom", "application/atom+xml"),
        # the absolute duplicate of the first is gone; ../ climbs out of the base
        FeedLink("https://www.healthon.test/feed.json", "", "application/feed+json"),
        # second tier: <a href> on the own site whose path looks like a feed, in page order;
        # not the sitemap, not the partner's RSS, not the repeat of the first feed
        FeedLink("https://www.healthon.test/rss/S1N2.xml", "RSS 디지털헬스", ""),
        FeedLink("https://www.healthon.test/com/rss.php", "RSS 서비스", ""),
    ]


def test_alternate_links_of_an_empty_or_linkless_page() -> None:
    assert alternate_feeds("", "https://a.test/") == []
    assert alternate_feeds(data("ndsoft_home.html").decode("utf-8"), "https://medi.test/") == []


def test_common_paths_are_on_the_origin_of_the_address() -> None:
    got = common_paths("https://www.healthon.test:8443/news/articleList.html?sc_section_code=S1N1")
    assert got[0] == "https://www.healthon.test:8443/rss/allArticle.xml"
    assert [u.removeprefix("https://www.healthon.test:8443") for u in got] == [
        "/rss/allArticle.xml",
        "/rss/S1N1.xml",
        "/rss.xml",
        "/feed",
        "/rss",
        "/rss/",
        "/atom.xml",
        "/index.xml",
        "/feed.xml",
    ]
    assert common_paths("mailto:desk@a.test") == []


def test_page_title_prefers_the_site_name() -> None:
    assert page_title(data("site_alternates.html").decode("utf-8")) == "헬스온뉴스"
    assert page_title(data("ndsoft_home.html").decode("utf-8")) == "메디컬투데이 | 의료·바이오 전문지"
    assert page_title("<p>no head</p>") == ""


def test_same_site_is_the_registrable_domain() -> None:
    assert same_site("https://www.site.co.kr/", "http://rss.site.co.kr/rss")
    assert not same_site("https://a.co.kr/", "https://b.co.kr/")


# --------------------------------------------------------------------------- over HTTP


def test_an_address_that_is_already_a_feed(server: LoopbackServer) -> None:
    url = server.add("/atom.xml", data("atom.xml"), content_type="application/atom+xml")
    found = run_find(url)
    assert found == Found("feed", url, "실버케어뉴스", 2)
    assert paths(server) == ["/atom.xml"]


def test_the_alternate_link_of_a_page_is_validated_and_chosen(server: LoopbackServer) -> None:
    page = server.add("/news/section.html", data("site_alternates.html"), content_type=HTML)
    server.add("/news/rss/allArticle.xml", data("allArticle.xml"))
    found = run_find(page)
    assert found.kind == "feed" and found.url == server.url("/news/rss/allArticle.xml")
    assert (found.title, found.items, found.notes) == ("헬스온뉴스 - 전체기사", 3, ())
    assert paths(server) == ["/news/section.html", "/news/rss/allArticle.xml"]  # the first valid one ends it


def test_a_candidate_answering_html_is_skipped_with_a_note(server: LoopbackServer) -> None:
    page = server.add("/news/section.html", data("site_alternates.html"), content_type=HTML)
    server.add("/news/rss/allArticle.xml", data("rss_guide.html"), content_type=HTML)
    server.add("/atom.xml", data("atom.xml"), content_type="application/atom+xml")
    found = run_find(page)
    assert (found.kind, found.url, found.items) == ("feed", server.url("/atom.xml"), 2)
    assert found.notes == ("skipped /news/rss/allArticle.xml: answers HTML (text/html), not a feed",)


def test_a_feed_on_another_subdomain(server: LoopbackServer) -> None:
    port = server.httpd.server_address[1]
    page_html = data("www_site.html").replace(b"PORT", str(port).encode())
    server.add("/", page_html, content_type=HTML)
    server.add("/rss/silvercare.xml", data("atom.xml"), content_type="application/atom+xml")
    page = f"http://www.silvercare.test:{port}/"
    feed = f"http://rss.silvercare.test:{port}/rss/silvercare.xml"
    names = ("www.silvercare.test", "rss.silvercare.test")
    # Both names are on 127.0.0.1: the caller trusts its user's site, both subdomains of it.
    found = run_find(page, trusted=[page, feed], names=names)
    assert (found.kind, found.url, found.title, found.items) == ("feed", feed, "실버케어뉴스", 2)
    hosts = [headers["host"] for _, headers in server.requests]
    assert hosts == [f"www.silvercare.test:{port}", f"rss.silvercare.test:{port}"]


def test_an_untrusted_private_subdomain_is_refused_not_fetched(server: LoopbackServer) -> None:
    port = server.httpd.server_address[1]
    server.add("/", data("www_site.html").replace(b"PORT", str(port).encode()), content_type=HTML)
    server.add("/rss/silvercare.xml", data("atom.xml"), content_type="application/atom+xml")
    page = f"http://www.silvercare.test:{port}/"
    found = run_find(page, names=("www.silvercare.test", "rss.silvercare.test"))
    assert found.kind == "none" and found.title == "실버케어뉴스 - 고령친화 산업 전문지"
    feed = f"http://rss.silvercare.test:{port}/rss/silvercare.xml"
    assert (
        f"skipped {feed}: refused: rss.silvercare.test resolves to non-public address 127.0.0.1"
        in found.notes
    )
    assert "/rss/silvercare.xml" not in paths(server)
    assert len(server.requests) == 1 + len(common_paths(page))  # the page, then the common paths


def test_the_common_path_fallback_finds_the_ndsoft_feed(server: LoopbackServer) -> None:
    page = server.add("/", data("ndsoft_home.html"), content_type=HTML)
    server.add("/rss/allArticle.xml", data("allArticle.xml"))
    found = run_find(page)
    assert (found.kind, found.url, found.items) == ("feed", server.url("/rss/allArticle.xml"), 3)
    assert found.title == "헬스온뉴스 - 전체기사"
    assert paths(server) == ["/", "/rss/allArticle.xml"]


def test_a_later_common_path_and_the_not_found_ones_noted(server: LoopbackServer) -> None:
    page = server.add("/", data("ndsoft_home.html"), content_type=HTML)
    server.add("/rss", data("rss_guide.html"), content_type=HTML)
    server.add("/feed.xml", data("atom.xml"), content_type="application/atom+xml")
    found = run_find(page)
    assert (found.kind, found.url) == ("feed", server.url("/feed.xml"))
    assert found.notes == (
        "skipped /rss: answers HTML (text/html), not a feed",
        "not found (HTTP 404): /rss/allArticle.xml, /rss/S1N1.xml, /rss.xml, /feed, /rss/, /atom.xml, /index.xml",
    )


def test_a_site_without_a_feed_is_offered_as_a_page_with_its_article_links(server: LoopbackServer) -> None:
    port = server.httpd.server_address[1]
    server.add("/main/main.naver", data("naver_listing.html"), content_type="text/html")
    page = f"http://news.naver.com:{port}/main/main.naver?mode=LS2D&mid=shm&sid1=100&sid2=267"
    found = run_find(page, names=("news.naver.com",))
    assert (found.kind, found.url, found.title, found.items) == ("page", page, "정치 홈 : 네이버 뉴스", 20)
    base = "https://news.naver.com/main/read.naver?mode=LS2D&mid=shm&sid1=100&sid2=267"
    assert found.links == tuple(
        f"{base}&{aid}"
        for aid in (
            "oid=421&aid=0002484966",
            "oid=032&aid=0002754366",
            "oid=421&aid=0002484956",
            "oid=003&aid=0007686021",
            "oid=001&aid=0008928970",
        )
    )
    assert found.notes[-1] == "no feed found"
    assert len(server.requests) == 1 + len(common_paths(page)) <= MAX_REQUESTS


def test_at_most_twelve_requests(server: LoopbackServer) -> None:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/feeds/{n}.xml">' for n in range(30)
    )
    page = server.add("/", f"<html><head><title>많은 피드</title>{links}</head></html>", content_type=HTML)
    for n in range(30):
        server.add(f"/feeds/{n}.xml", data("rss_guide.html"), content_type=HTML)
    found = run_find(page)
    assert found.kind == "none" and len(server.requests) == MAX_REQUESTS
    assert found.notes[-3:] == (
        "stopped after 12 requests",
        "no feed found",
        "no article links on the page either",
    )


def test_an_address_that_does_not_answer(server: LoopbackServer) -> None:
    found = run_find(server.url("/gone"))
    assert found == Found("none", server.url("/gone"), notes=("HTTP 404 Not Found",))
