"""The fetcher against a real HTTP server on 127.0.0.1.

No test here asks DNS: host names go through resolvers the tests inject, and the system
resolver is limited to numeric hosts for the whole file (`_no_dns`)."""

from __future__ import annotations

import asyncio
import gzip
import resource
import socket
import socketserver
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from digest.errors import FetchError
from digest.fetch import Fetcher, check_url, make_client
from digest.models import FetchSettings, Response, Validators
from digest.net import Resolver, is_public_address, trusted_origins
from digest.parse import parse_feed

from .conftest import LoopbackServer

SETTINGS = FetchSettings(
    connect_timeout=2, read_timeout=2, total_timeout=3, max_bytes=50_000, max_redirects=3
)


def get(
    url: str,
    validators: Validators | None = None,
    settings: FetchSettings = SETTINGS,
    trusted: Sequence[str] | None = None,
    resolver: Resolver | None = None,
) -> Response:
    """Fetch `url` with a fresh client; the configured sources are `trusted` (URLs), by default
    `url` itself."""
    origins = trusted_origins([url] if trusted is None else trusted)

    async def go() -> Response:
        async with make_client(settings) as client:
            fetcher = (
                Fetcher(client, settings, origins)
                if resolver is None
                else Fetcher(client, settings, origins, resolver=resolver)
            )
            return await fetcher.get(url, validators)

    return asyncio.run(go())


def fetch_error(url: str, **kw: Any) -> FetchError:
    """The FetchError fetching `url` ends in (and that its message is one line)."""
    with pytest.raises(FetchError) as info:
        get(url, **kw)
    assert "\n" not in str(info.value)
    return info.value


pytestmark = pytest.mark.usefixtures("no_dns")  # no name ever reaches the system resolver


class RawServer:
    """A server on any loopback address that sends exactly the status, headers and bytes a test
    gives (the shared LoopbackServer gzips by itself); records the paths asked for."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.paths: list[str] = []
        routes, paths = self.routes, self.paths

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                paths.append(self.path)
                status, headers, body = routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self) -> None:  # without HTTPServer's reverse lookup of the address
                socketserver.TCPServer.server_bind(self)
                self.server_name, self.server_port = "localhost", self.server_address[1]

        self.httpd = Server((host, port), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port: int = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> str:
        self.routes[path] = (status, {"Content-Type": "application/xml", **(headers or {})}, body)
        return f"http://{self.httpd.server_address[0]}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def raw() -> Iterator[RawServer]:
    srv = RawServer()
    try:
        yield srv
    finally:
        srv.close()


def gzip_of_zeros(mib: int) -> bytes:
    """A valid gzip member of `mib` MiB of zero bytes, built in milliseconds: after a full flush
    the compressor starts afresh, so every MiB compresses to the same block, made once."""
    zeros = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH) == block
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * mib + c.flush() + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A few KB that expand, through two layers of gzip, to 256 MiB."""
    return gzip.compress(gzip_of_zeros(256))


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
        check_url(url, trusted_origins(["https://news.example.kr/rss"]), addresses=["127.0.0.1"])


def test_guard_trusts_the_configured_origins_only() -> None:
    trusted = trusted_origins(["http://127.0.0.1:8000/medion/rss.xml", "https://news.example.kr/rss"])
    check_url("http://127.0.0.1:8000/medion/news/a01.html", trusted, None)
    check_url(
        "https://NEWS.example.kr:443/a?b=1", trusted, ["10.0.0.7"]
    )  # the default port is the same origin
    for url in (
        "http://127.0.0.2:8000/x",  # another host
        "http://127.0.0.1:8080/admin",  # the same host on another port
        "http://127.0.0.1:22/",
        "https://127.0.0.1:8000/x",  # the same host and port under another scheme
    ):
        with pytest.raises(
            FetchError, match=r"refused: non-public address 127\.0\.0\.[12] \(.* is not a configured source\)"
        ):
            check_url(url, trusted, None)
    with pytest.raises(FetchError, match=r"resolves to non-public address 10\.0\.0\.7"):
        check_url("http://news.example.kr/a", trusted, ["10.0.0.7"])  # http is not the https source
    check_url("https://www.docdocdoc.co.kr/news/articleView.html?idxno=1", set(), ["211.43.203.1"])


def test_ipv6_forms_of_private_ipv4_are_refused_like_the_ipv4() -> None:
    table = {
        "::10.0.0.1": False,  # IPv4-compatible
        "::127.0.0.1": False,
        "::169.254.169.254": False,
        "::ffff:10.0.0.1": False,  # IPv4-mapped
        "::ffff:a9fe:a9fe": False,  # ::ffff:169.254.169.254 in hex
        "64:ff9b::10.0.0.1": False,  # NAT64, well-known prefix
        "64:ff9b::7f00:1": False,
        "64:ff9b::a9fe:a9fe": False,
        "64:ff9b:1::a00:1": False,  # NAT64, local-use prefix
        "2002:a00:1::": False,  # 6to4 of 10.0.0.1
        "2002:7f00:1::1": False,  # 6to4 of 127.0.0.1
        "2002:c0a8:101:1::1": False,  # 6to4 of 192.168.1.1
        "::": False,
        "ff0e::1": False,  # multicast
        "::ffff:8.8.8.8": True,  # the same forms of a public address are public
        "::8.8.8.8": True,
        "64:ff9b::808:808": True,
        "2002:808:808::1": True,
        "2001:4860:4860::8888": True,
    }
    wrong = {ip: public for ip, public in table.items() if is_public_address(ip) != public}
    assert wrong == {}
    for url in (
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[::10.0.0.1]/",
        "http://[2002:a00:1::]/",
    ):
        with pytest.raises(FetchError, match="non-public"):
            check_url(url, trusted_origins(["https://news.example.kr/rss"]), None)


# --- Content-Encoding: decoded by us, the cap counted on every layer --------------------------


def test_a_nested_gzip_bomb_stops_at_the_cap_in_bounded_memory(raw: RawServer, bomb: bytes) -> None:
    assert len(bomb) < 5_000  # a few KB that two gunzips turn into 256 MiB
    url = raw.add("/bomb.xml", bomb, {"Content-Encoding": "gzip, gzip"})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    started = time.monotonic()
    try:
        error = fetch_error(url)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert error.reason == "response too large (over 50,000 bytes)"
    assert elapsed < 2 and peak < 20_000_000 and rss_growth < 200_000
    # Real feeds under one or two layers (gzip twice happens behind a second proxy) still read.
    feed = (
        "<rss><channel><title>건강</title>" + "<item><title>의료 AI</title></item>" * 300 + "</channel></rss>"
    ).encode()
    assert get(raw.add("/gz.xml", gzip.compress(feed), {"Content-Encoding": "gzip"})).body == feed
    twice = raw.add("/gz2.xml", gzip.compress(gzip.compress(feed)), {"Content-Encoding": "gzip, gzip"})
    assert get(twice).body == feed
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    for body in (zlib.compress(feed), raw_deflate.compress(feed) + raw_deflate.flush()):
        assert get(raw.add("/deflate.xml", body, {"Content-Encoding": "deflate"})).body == feed


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("gzip, gzip, gzip", "refused: 3 layers of Content-Encoding (at most 2)"),
        ("gzip, identity, deflate, gzip", "refused: 3 layers of Content-Encoding (at most 2)"),
        ("br", "unsupported Content-Encoding 'br'"),
        ("compress", "unsupported Content-Encoding 'compress'"),
    ],
)
def test_encodings_not_decoded_are_refused_unread(
    raw: RawServer, bomb: bytes, encoding: str, reason: str
) -> None:
    url = raw.add("/x.xml", gzip.compress(bomb), {"Content-Encoding": encoding})
    started = time.monotonic()
    assert fetch_error(url).reason == reason
    assert time.monotonic() - started < 1


def test_a_gzip_body_cut_short_is_a_failed_fetch(raw: RawServer) -> None:
    feed = ("<rss><channel>" + "<item><title>원격의료</title></item>" * 200 + "</channel></rss>").encode()
    url = raw.add("/cut.xml", gzip.compress(feed)[:-40], {"Content-Encoding": "gzip"})
    assert fetch_error(url).reason == "incomplete body: the compressed data ends early"


# --- The address guard: resolve once, check, connect to what was checked -----------------------


def resolver_answering(*answers: list[str]) -> tuple[Resolver, list[str]]:
    """A resolver giving `answers` in turn (one per lookup), and the list of names it was asked."""
    asked: list[str] = []
    queue = list(answers)

    async def resolve(host: str) -> list[str]:
        asked.append(host)
        return queue.pop(0)

    return resolve, asked


def test_the_connection_goes_to_the_address_that_was_checked(server: LoopbackServer) -> None:
    port = server.httpd.server_address[1]
    twin = RawServer("127.0.0.2", port)  # the same port on another address: where a 2nd lookup leads
    try:
        twin.add("/feed.xml", b"<rss>rebound</rss>")
        server.add("/feed.xml", b"<rss>checked</rss>")
        resolver, asked = resolver_answering(["127.0.0.1"], ["127.0.0.2"])
        url = f"http://feed.rebind.test:{port}/feed.xml"  # a configured source on a made-up name
        r = get(url, trusted=[url], resolver=resolver)
        assert r.body == b"<rss>checked</rss>" and asked == ["feed.rebind.test"] and twin.paths == []
        assert server.requests[-1][1]["host"] == f"feed.rebind.test:{port}"  # the name, not the address
    finally:
        twin.close()


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(server: LoopbackServer) -> None:
    port = server.httpd.server_address[1]
    server.add("/admin", b"secret")
    resolver, asked = resolver_answering(["127.0.0.1"])
    error = fetch_error(f"http://inside.rebind.test:{port}/admin", trusted=[], resolver=resolver)
    assert error.reason == "refused: inside.rebind.test resolves to non-public address 127.0.0.1"
    assert asked == ["inside.rebind.test"] and server.requests == []
    # The same on a redirect hop from a configured source: the target is resolved and refused.
    jump = server.add(
        "/jump", b"", status=302, headers={"Location": f"http://inside.rebind.test:{port}/admin"}
    )
    resolver, asked = resolver_answering(["127.0.0.1"])
    assert "non-public address 127.0.0.1" in fetch_error(jump, resolver=resolver).reason
    assert asked == ["inside.rebind.test"] and [p for p, _ in server.requests] == ["/jump"]


def test_a_configured_source_is_trusted_on_its_own_origin_only(
    server: LoopbackServer, raw: RawServer
) -> None:
    """A feed on 127.0.0.1:P links to the same host on other ports and under https: those are
    refused with a one-line reason and never reached; links on the feed's own origin are fetched."""
    port = server.httpd.server_address[1]
    raw.add("/admin", b"admin console")
    links = [
        server.url("/news/1.html"),
        f"http://127.0.0.1:{raw.port}/admin",
        f"https://127.0.0.1:{port}/news/2.html",
        "http://127.0.0.1:22/",
    ]
    items = "".join(f"<item><title>기사 {i}</title><link>{u}</link></item>" for i, u in enumerate(links))
    feed_url = server.add("/rss.xml", f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>")
    server.add("/news/1.html", "<html><body>원격의료 기사</body></html>", content_type="text/html")
    server.add("/jump", b"", status=302, headers={"Location": f"http://127.0.0.1:{raw.port}/admin"})

    feed = get(feed_url, trusted=[feed_url])
    outcomes: dict[str, str] = {}
    for entry in parse_feed(feed.body, feed.final_url, feed.content_type, feed.charset).entries:
        try:
            outcomes[entry.url] = get(entry.url, trusted=[feed_url]).body.decode()
        except FetchError as exc:
            assert "\n" not in str(exc)
            outcomes[entry.url] = exc.reason
    assert outcomes == {
        links[0]: "<html><body>원격의료 기사</body></html>",
        links[
            1
        ]: f"refused: non-public address 127.0.0.1 (http://127.0.0.1:{raw.port} is not a configured source)",
        links[
            2
        ]: f"refused: non-public address 127.0.0.1 (https://127.0.0.1:{port} is not a configured source)",
        links[3]: "refused: non-public address 127.0.0.1 (http://127.0.0.1:22 is not a configured source)",
    }
    assert "not a configured source" in fetch_error(server.url("/jump"), trusted=[feed_url]).reason
    assert raw.paths == []


def test_https_to_the_checked_address_keeps_sni_and_certificate_for_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trustme

    ca = trustme.CA()
    seen: list[str] = []
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("feed.tls.test").configure_cert(server_ctx)
    server_ctx.sni_callback = lambda _sock, name, _ctx: seen.append(f"sni {name}")
    srv = RawServer(tls=server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **_kw: client_ctx)  # trust the test CA
    try:
        srv.add("/rss.xml", b"<rss>tls</rss>")
        resolver, asked = resolver_answering(["127.0.0.1"], ["127.0.0.1"])
        url = f"https://feed.tls.test:{srv.port}/rss.xml"
        assert get(url, resolver=resolver).body == b"<rss>tls</rss>"
        assert asked == ["feed.tls.test"] and seen == ["sni feed.tls.test"] and srv.paths == ["/rss.xml"]
        # The certificate is verified for the name asked, not for the address connected to.
        error = fetch_error(f"https://other.tls.test:{srv.port}/rss.xml", resolver=resolver)
        assert "certificate verify failed: Hostname mismatch" in error.reason and srv.paths == ["/rss.xml"]
    finally:
        srv.close()
