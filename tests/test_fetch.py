"""The fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import pytest

from digest.errors import FetchError
from digest.fetch import Fetcher, check_url, is_public_address, make_client
from digest.models import FetchSettings, Response, Validators

from .conftest import LoopbackServer

SETTINGS = FetchSettings(
    connect_timeout=2, read_timeout=2, total_timeout=3, max_bytes=50_000, max_redirects=3
)


def get(
    url: str,
    validators: Validators | None = None,
    settings: FetchSettings = SETTINGS,
    trusted: tuple[str, ...] = ("127.0.0.1",),
) -> Response:
    async def go() -> Response:
        async with make_client(settings) as client:
            return await Fetcher(client, settings, trusted).get(url, validators)

    return asyncio.run(go())


def test_ok_with_charset_validators_and_user_agent(server: LoopbackServer) -> None:
    body = "<rss><channel><title>한글</title></channel></rss>".encode("cp949")
    url = server.add("/feed.xml", body, content_type="application/rss+xml; charset=EUC-KR")
    r = get(url)
    assert r.status == 200 and r.body == body
    assert r.content_type == "application/rss+xml" and r.charset == "EUC-KR"
    assert r.validators.etag and r.validators.last_modified
    headers = server.requests[-1][1]
    assert headers["user-agent"].startswith("digest/")
    assert "gzip" in headers["accept-encoding"]


def test_gzip_body_is_decoded(server: LoopbackServer) -> None:
    body = ("건강 " * 2000).encode()
    url = server.add("/big.xml", body)
    assert get(url).body == body


def test_conditional_get_gets_304(server: LoopbackServer) -> None:
    url = server.add("/feed.xml", b"<rss/>")
    first = get(url)
    second = get(url, first.validators)
    assert second.not_modified and second.body == b""
    assert server.requests[-1][1]["if-none-match"] == first.validators.etag


@pytest.mark.parametrize(("status", "reason"), [(404, "HTTP 404"), (500, "HTTP 500"), (403, "HTTP 403")])
def test_http_errors_become_fetch_errors(server: LoopbackServer, status: int, reason: str) -> None:
    url = server.add("/x", b"nope", status=status)
    with pytest.raises(FetchError, match=reason) as info:
        get(url)
    assert info.value.url == url


def test_redirects_followed_up_to_the_limit(server: LoopbackServer) -> None:
    server.add("/final", b"<rss/>")
    server.add("/r1", b"", status=302, headers={"Location": "/final"})
    r = get(server.url("/r1"))
    assert r.final_url == server.url("/final") and r.body == b"<rss/>"
    for i in range(5):
        server.add(f"/loop{i}", b"", status=301, headers={"Location": f"/loop{i + 1}"})
    with pytest.raises(FetchError, match="more than 3 redirects"):
        get(server.url("/loop0"))


def test_redirect_to_a_private_address_is_refused(server: LoopbackServer) -> None:
    url = server.add("/r", b"", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(FetchError, match="non-public"):
        get(url)
    assert server.hits("/r") == 1


def test_size_cap(server: LoopbackServer) -> None:
    url = server.add("/huge", b"x" * 60_000, headers={"Content-Encoding": "identity"})
    with pytest.raises(FetchError, match="too large"):
        get(url)


def test_total_timeout(server: LoopbackServer) -> None:
    url = server.add("/slow", b"<rss/>", delay=5)
    settings = replace(SETTINGS, total_timeout=0.5, read_timeout=5)
    with pytest.raises(FetchError, match="timed out"):
        get(url, settings=settings)


def test_refused_connection() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        get(f"http://127.0.0.1:{port}/feed.xml")


def test_truncated_body_is_a_failed_fetch(server: LoopbackServer) -> None:
    url = server.add("/short", b"<rss><channel>", headers={"Content-Length": "5000"}, validators=False)
    with pytest.raises(FetchError):
        get(url, settings=replace(SETTINGS, read_timeout=1, total_timeout=2))


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_non_public_addresses(ip: str) -> None:
    assert not is_public_address(ip)


def test_public_addresses() -> None:
    assert is_public_address("8.8.8.8") and is_public_address("2001:4860:4860::8888")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/admin",
        "http://10.0.0.1/",
        "http://user:pass@example.com/",
        "http://2130706433/",
        "http://0x7f000001/",
    ],
)
def test_guard_refuses_ssrf_links_before_connecting(url: str) -> None:
    with pytest.raises(FetchError, match=r"refused|non-public|cannot resolve"):
        check_url(url, trusted_hosts={"news.example.kr"}, addresses=["127.0.0.1"])


def test_guard_trusts_the_configured_hosts_only() -> None:
    check_url("http://127.0.0.1:8000/medion/news/a01.html", {"127.0.0.1"}, None)
    with pytest.raises(FetchError):
        check_url("http://127.0.0.2:8000/x", {"127.0.0.1"}, None)
    check_url("https://www.docdocdoc.co.kr/news/articleView.html?idxno=1", set(), ["211.43.203.1"])
