"""Shared fixtures: a real HTTP server on 127.0.0.1, temp state, a clean environment; and the one
factory of stored items the tests of the pure stages build their input with."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from digest.models import Item

DATA = Path(__file__).parent / "data"
ITEM_TIME = datetime(2024, 6, 12, tzinfo=timezone(timedelta(hours=9)))  # 2024-06-12 00:00 KST


def make_item(
    n: int = 1,
    title: str | None = None,
    text: str = "",
    *,
    source: str = "A",
    url: str | None = None,
    summary: str = "",
    published: datetime | None = ITEM_TIME,
    first_seen: datetime | None = None,
    **fields: object,
) -> Item:
    """A stored item as the later stages see it: item `n` at http://x/n, published (and first
    seen, unless given) at `published`; any other Item field by keyword."""
    link = url or f"http://x/{n}"
    return Item(
        id=n,
        source=source,
        url=link,
        canonical_url=link,
        guid=None,
        title=f"t{n}" if title is None else title,
        summary=summary,
        text=text,
        published=published,
        first_seen=first_seen or published or ITEM_TIME,
        **fields,  # type: ignore[arg-type]
    )


@dataclass
class Route:
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    validators: bool = True  # send ETag/Last-Modified and answer conditional requests with 304


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 serving routes set by the test; records requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                # Like most news servers, an unknown query string (utm_source …) is ignored.
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                if route.delay:
                    threading.Event().wait(route.delay)
                headers = dict(route.headers)
                if route.validators and route.status == 200:
                    etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                    headers.setdefault("ETag", etag)
                    headers.setdefault("Last-Modified", "Wed, 12 Jun 2024 05:00:00 GMT")
                    if self.headers.get("If-None-Match") == etag:
                        self._send(304, b"", None, {"ETag": etag})
                        return
                body = route.body
                if "gzip" in (self.headers.get("Accept-Encoding") or "") and route.status == 200:
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self._send(route.status, body, route.content_type, headers)

            def _send(self, status: int, body: bytes, ctype: str | None, headers: dict[str, str]) -> None:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str, **kw: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kw)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "DIGEST_SMTP_PASSWORD",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    # Many collects run in this one process: keep the analyser loaded between them (a `digest`
    # process unloads it after its collect; tests/test_korean.py checks that).
    monkeypatch.setenv("DIGEST_KEEP_ANALYSER", "1")


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The system resolver answers numeric hosts only: a name that reached it fails the fetch
    instead of sending a query (use with `pytestmark = pytest.mark.usefixtures("no_dns")`)."""
    real = socket.getaddrinfo

    def numeric_only(
        host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
