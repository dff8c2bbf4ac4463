"""Hostile servers: each case is a source whose server trickles, lies, loops, bombs or floods,
collected by a real `digest run` process beside one good source, with a bound on the run's wall
time and on its peak memory (the child's VmHWM, polled while it runs; see `_peak_kb`).

What a case must do: the run ends within the bound, prints no traceback, reports the hostile
source in one line (refused with a reason, or collected with what it gave), and the good source's
item is in the day's digest. The last test puts every case in one configuration with a loopback
SMTP relay and runs it twice: each reader gets the one mail once.

The fetch limits are the test's (2 s per fetch, 1 s per read, a 5 MB cap as by default), so a
trickle costs seconds, not the minute the defaults allow. The memory bound is relative: a run of
the good source alone (the Korean analyser's model is most of it, about 550 MB) plus
`EXTRA_MB`.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import os
import re
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from digest.models import SUMMARY_CHARS, TEXT_CHARS

from .test_email import Handler, _free_port

DAY = "2024-06-12"
PUB = "Wed, 12 Jun 2024 09:00:00 +0900"
WALL_S = 45.0  # a run with one hostile source and the fetch limits below
BOMB = 256 << 20  # decoded bytes of each bomb, 50x the cap
EXTRA_MB = 256  # over a plain run's peak; the bomb this guards against took 6.8 GB
LIMITS = "fetch: {total_timeout: 2, read_timeout: 1, connect_timeout: 5, source_budget: 8, run_deadline: 20}"

Send = Callable[[socket.socket, "HostileServer"], None]


def _rss(items: str, title: str = "피드") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link>{items}</channel></rss>\n"
    ).encode()


def _item(link: str, title: str, description: str = "", date: str = PUB) -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f"<description>{description}</description><pubDate>{date}</pubDate></item>"
    )


def _head(status: str = "200 OK", length: int | None = None, extra: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/rss+xml; charset=utf-8", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def _whole(body: bytes, headers: str = "") -> Send:
    def send(conn: socket.socket, srv: HostileServer) -> None:
        conn.sendall(_head(length=len(body), extra=headers) + body)

    return send


def _trickle(prefix: bytes, drip: bytes, every: float = 0.25) -> Send:
    """``prefix`` at once, then one byte of ``drip`` every ``every`` seconds (until the client goes)."""

    def send(conn: socket.socket, srv: HostileServer) -> None:
        conn.sendall(prefix)
        for n in range(10_000):
            if srv.stopping.wait(every):
                return
            conn.sendall(drip[n % len(drip) : n % len(drip) + 1])

    return send


def _silent(conn: socket.socket, srv: HostileServer) -> None:
    srv.stopping.wait(60)


def _redirect(to: Callable[[str], str]) -> Callable[[str], Send]:
    def route(path: str) -> Send:
        def send(conn: socket.socket, srv: HostileServer) -> None:
            conn.sendall(_head("302 Found", length=0, extra=f"Location: {srv.url(to(path))}\r\n"))

        return send

    return route


def _endless_chunks(conn: socket.socket, srv: HostileServer) -> None:
    conn.sendall(_head(extra="Transfer-Encoding: chunked\r\n"))
    chunk = b"<item><title>x</title></item>" * 2000
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    for _ in range(100_000):  # 5.8 GB if nobody stops reading
        if srv.stopping.is_set():
            return
        conn.sendall(frame)


@functools.cache
def _gzip_layers(layers: int, size: int) -> bytes:
    data = gzip.compress(b"\0" * size, compresslevel=9)
    for _ in range(layers - 1):
        data = gzip.compress(data, compresslevel=9)
    return data


@functools.cache
def _deflate_bomb(size: int) -> bytes:
    return zlib.compress(b"\0" * size, 9)


class HostileServer:
    """A TCP server on 127.0.0.1 that reads a request and answers with the bytes a case chooses,
    at the pace it chooses; ``routes`` maps a path to its sender, ``prefixes`` a path prefix to a
    sender factory."""

    def __init__(self) -> None:
        self.routes: dict[str, Send] = {}
        self.prefixes: dict[str, Callable[[str], Send]] = {}
        self.stopping = threading.Event()
        routes, prefixes, outer = self.routes, self.prefixes, self

        class Request(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(30)
                data = b""
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    got = conn.recv(4096)
                    if not got:
                        return
                    data += got
                path = data.split(b" ", 2)[1].decode("latin-1")
                send = routes.get(path)
                if send is None:
                    send = next((f(path) for p, f in prefixes.items() if path.startswith(p)), None)
                if send is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                with contextlib.suppress(OSError):  # the client gave up, as it should
                    send(conn, outer)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self.tcp = Server(("127.0.0.1", 0), Request)
        self.port = self.tcp.server_address[1]
        threading.Thread(target=self.tcp.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stopping.set()
        self.tcp.shutdown()
        self.tcp.server_close()


def _good(srv: HostileServer) -> None:
    srv.routes["/good.xml"] = lambda conn, s: _whole(
        _rss(_item(s.url("/good/1.html"), "고령친화 돌봄로봇 실증 시작", "요양시설에서 돌봄로봇을 실증한다."))
    )(conn, s)
    srv.routes["/good/1.html"] = _whole(
        "<html><head><title>돌봄로봇</title></head><body><article><p>요양시설 열 곳에서 돌봄로봇 실증이 "
        "시작됐다. 고령친화 의료기기 업체들이 참여한다.</p></article></body></html>".encode(),
        "Content-Type: text/html; charset=utf-8\r\n",
    )


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    srv = HostileServer()
    _good(srv)
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> float:
    """The peak memory (MB) of a run of the good source alone."""
    srv = HostileServer()
    _good(srv)
    try:
        folder = tmp_path_factory.mktemp("baseline")
        ran = run_digest(folder, _sources_yaml(folder, srv, []))
    finally:
        srv.close()
    assert ran.code == 0 and srv.url("/good/1.html") in _urls(ran.digest), ran.output
    return ran.rss_mb


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[HostileServer], None]
    refused: str | None  # a pattern of the one line a refused source gets; None: it is collected
    stored: int = 0  # at least this many of its items stored when it is collected


def _feed_route(
    path: str, make: Callable[[HostileServer], bytes], headers: str = ""
) -> Callable[[HostileServer], None]:
    def setup(srv: HostileServer) -> None:
        srv.routes[path] = _whole(make(srv), headers)  # made before the run: a bomb takes seconds

    return setup


def _page_route(feed_path: str, page_html: bytes) -> Callable[[HostileServer], None]:
    def setup(srv: HostileServer) -> None:
        srv.routes[feed_path] = lambda conn, s: _whole(
            _rss(_item(s.url("/deep/1.html"), "깊은 페이지", "피드에 실린 요약입니다. 본문은 깊다."))
        )(conn, s)
        srv.routes["/deep/1.html"] = _whole(page_html, "Content-Type: text/html; charset=utf-8\r\n")

    return setup


def _set(path: str, send: Send) -> Callable[[HostileServer], None]:
    def setup(srv: HostileServer) -> None:
        srv.routes[path] = send

    return setup


def _loop(srv: HostileServer) -> None:
    srv.prefixes["/loop/"] = _redirect(lambda p: "/loop/b" if p.endswith("/a") else "/loop/a")
    srv.routes["/hostile.xml"] = _redirect(lambda p: "/loop/a")("/hostile.xml")


def _chain(srv: HostileServer) -> None:
    srv.prefixes["/chain/"] = _redirect(lambda p: f"/chain/{int(p.rsplit('/', 1)[1]) + 1}")
    srv.routes["/hostile.xml"] = _redirect(lambda p: "/chain/1")("/hostile.xml")


def _many_items(s: HostileServer) -> bytes:
    """100,000 undated items with relative links: 3.4 MB, under the default 5 MB cap."""
    return _rss("".join(f"<item><link>n/{n}</link></item>" for n in range(100_000)))


def _bad_dates(s: HostileServer) -> bytes:
    dates = [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "Mon, 01 Jan 0001 00:00:00 +1400",
        "32 Dec 2024",
        PUB,
    ]
    return _rss(
        "".join(_item(s.url(f"/d/{n}"), f"날짜 {n}", "날짜가 이상한 기사.", d) for n, d in enumerate(dates))
    )


def _bad_ports(s: HostileServer) -> bytes:
    links = [
        "http://127.0.0.1:99999/p/1",
        "http://127.0.0.1:0/p/2",
        "http://127.0.0.1:abc/p/3",
        "http://[::1/p/4",
        s.url("/p/5"),
    ]
    return _rss(
        "".join(_item(link, f"포트 {n}", "포트가 이상한 기사의 요약.") for n, link in enumerate(links))
    )


HEAD_OK = _head()
CASES = [
    Case(
        "trickled headers",
        _set("/hostile.xml", _trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: yes\r\n")),
        r"timed out",
    ),
    Case(
        "trickled body",
        _set("/hostile.xml", _trickle(_head(length=100_000), _rss(_item("http://x/1", "t")))),
        r"timed out",
    ),
    Case("silent after connect", _set("/hostile.xml", _silent), r"timed out"),
    Case(
        "body shorter than Content-Length",
        _set("/hostile.xml", lambda c, s: c.sendall(_head(length=50_000) + _rss("")[:200])),
        r".",
    ),
    Case("redirect loop", _loop, r"redirect"),
    Case("endless redirect chain", _chain, r"redirect"),
    Case(
        "gzip bomb, 256 MiB in one layer",
        _feed_route("/hostile.xml", lambda s: _gzip_layers(1, BOMB), "Content-Encoding: gzip\r\n"),
        r"MB|larger|too large|cap",
    ),
    Case(
        "gzip bomb, two layers",
        _feed_route("/hostile.xml", lambda s: _gzip_layers(2, BOMB), "Content-Encoding: gzip, gzip\r\n"),
        r"MB|larger|too large|cap|encoding",
    ),
    Case(
        "deflate bomb",
        _feed_route("/hostile.xml", lambda s: _deflate_bomb(BOMB), "Content-Encoding: deflate\r\n"),
        r"MB|larger|too large|cap",
    ),
    Case("endless chunked body", _set("/hostile.xml", _endless_chunks), r"MB|larger|too large|cap|timed out"),
    Case("100,000 items", _feed_route("/hostile.xml", _many_items), None, stored=200),
    Case(
        "one 10 MB item",
        _feed_route("/hostile.xml", lambda s: _rss(_item(s.url("/big/1"), "큰 기사", "가" * 3_500_000))),
        r"MB|larger|too large|cap",
    ),
    Case(
        "one 4 MB item",
        _feed_route(
            "/hostile.xml", lambda s: _rss(_item(s.url("/big/1"), "큰 기사", "가나다 라마바. " * 200_000))
        ),
        None,
        stored=1,
    ),
    Case(
        "a description of one 1 MB word",
        _feed_route(
            "/hostile.xml", lambda s: _rss(_item(s.url("/word/1"), "한 단어", "가" + "x" * 1_000_000))
        ),
        None,
        stored=1,
    ),
    Case(
        "a 4 MB article page",
        _page_route(
            "/hostile.xml",
            b"<html><body><article>"
            + "".join(
                f"<p>요양시설 {n}곳에서 돌봄로봇 실증이 시작됐다고 업체가 밝혔다.</p>" for n in range(40_000)
            ).encode()
            + b"</article></body></html>",
        ),
        None,
        stored=1,
    ),
    Case(
        "article page nested 100,000 deep",
        _page_route(
            "/hostile.xml",
            b"<html><body>"
            + b"<div>" * 100_000
            + "깊은 본문입니다.".encode()
            + b"</div>" * 100_000
            + b"</body></html>",
        ),
        None,
        stored=1,
    ),
    Case(
        "feed markup nested 50,000 deep",
        _feed_route(
            "/hostile.xml",
            lambda s: _rss(
                _item(
                    s.url("/nest/1"),
                    "중첩",
                    "&lt;b&gt;" * 50_000 + "중첩된 요약입니다." + "&lt;/b&gt;" * 50_000,
                )
            ),
        ),
        None,
        stored=1,
    ),
    Case("dates of year 1 and 9999", _feed_route("/hostile.xml", _bad_dates), None, stored=1),
    Case("links with bad ports", _feed_route("/hostile.xml", _bad_ports), None, stored=1),
    Case(
        "1 MB of random bytes",
        _feed_route("/hostile.xml", lambda s: os.urandom(1 << 20)),
        r"not a feed|decode|charset|truncated",
    ),
    Case(
        "connection reset mid-headers",
        _set(
            "/hostile.xml",
            lambda c, s: (
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-"),
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0"),
            ),
        ),
        r".",
    ),
]


@dataclass(frozen=True)
class Ran:
    code: int
    output: str
    wall: float
    rss_mb: float
    digest: dict[str, object] | None


def run_digest(folder: Path, sources: Path) -> Ran:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    log = folder / "run.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "digest",
                "run",
                "--sources",
                str(sources),
                "--state",
                "state.sqlite",
                "--out",
                "out",
                "--date",
                DAY,
            ],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = started + 3 * WALL_S
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _peak_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    path = folder / "out" / DAY / "digest.json"
    digest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return Ran(
        proc.returncode,
        log.read_text(encoding="utf-8"),
        time.monotonic() - started,
        (peak_kb or usage.ru_maxrss) / 1024,
        digest,
    )


def _peak_kb(pid: int) -> int:
    """The child's peak resident memory since its exec (VmHWM), in KiB; 0 once it is gone.

    Not `ru_maxrss` from `os.wait4`: Linux carries into it the high-water mark of the memory the
    child had before exec — a copy of this test process, which grows by hundreds of MB as the
    suite loads the analyser — so a late test would measure the suite, not the run."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _urls(digest: dict[str, object] | None) -> set[str]:
    return set(re.findall(r'"url": "([^"]+)"', json.dumps(digest, ensure_ascii=False)))


def _sources_yaml(folder: Path, srv: HostileServer, hostile: list[tuple[str, str]], extra: str = "") -> Path:
    lines = ["sources:", f'  - {{name: 좋은곳, url: "{srv.url("/good.xml")}", type: feed}}']
    lines += [f'  - {{name: "{name}", url: "{url}", type: feed}}' for name, url in hostile]
    path = folder / "sources.yaml"
    path.write_text("\n".join([*lines, LIMITS, extra]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_server_costs_bounded_time_and_memory_and_one_line(
    hostile: HostileServer, baseline: float, tmp_path: Path, case: Case
) -> None:
    case.setup(hostile)
    ran = run_digest(tmp_path, _sources_yaml(tmp_path, hostile, [("적대", hostile.url("/hostile.xml"))]))
    assert ran.wall < WALL_S and ran.rss_mb < baseline + EXTRA_MB, (ran.wall, ran.rss_mb, ran.output)
    assert "Traceback" not in ran.output and ran.code == 0, ran.output
    (line,) = [line for line in ran.output.splitlines() if line.strip().startswith("적대")]
    if case.refused is not None:
        assert "FAILED" in line and re.search(case.refused, line.split("FAILED", 1)[1]), line
    else:
        assert "FAILED" not in line, line
        assert int(re.search(r"new\s+(\d+)", line)[1]) >= case.stored, line  # type: ignore[index]
    assert hostile.url("/good/1.html") in _urls(ran.digest), ran.output
    with contextlib.closing(sqlite3.connect(tmp_path / "state.sqlite")) as db:
        summary, text = db.execute("SELECT max(length(summary)), max(length(text)) FROM items").fetchone()
    assert summary <= SUMMARY_CHARS + 1 and text <= TEXT_CHARS, (summary, text)  # + 1: a cut ends in "…"


def test_every_hostile_server_at_once_then_again_mails_each_reader_once(
    hostile: HostileServer, baseline: float, tmp_path: Path
) -> None:
    handler = Handler()
    relay = Controller(handler, hostname="127.0.0.1", port=_free_port())
    relay.start()
    try:
        named = []
        for n, case in enumerate(CASES):
            path = f"/hostile{n}.xml"
            case.setup(hostile)
            hostile.routes[path] = hostile.routes.pop("/hostile.xml")
            named.append((f"h{n}", hostile.url(path)))
        smtp = f"delivery: {{email: {{recipients: [a@example.com, b@example.com], smtp: {{host: 127.0.0.1, port: {relay.port}, security: none, timeout: 5}}}}}}"
        sources = _sources_yaml(tmp_path, hostile, named, smtp)
        first = run_digest(tmp_path, sources)
        again = run_digest(tmp_path, sources)
    finally:
        relay.stop()
    for ran in (first, again):
        assert ran.wall < WALL_S and ran.rss_mb < baseline + EXTRA_MB, (ran.wall, ran.rss_mb, ran.output)
        assert "Traceback" not in ran.output and ran.code == 0, ran.output
    assert sorted(r for m in handler.received for r in m.rcpt_tos) == ["a@example.com", "b@example.com"], (
        first.output + again.output
    )
    assert hostile.url("/good/1.html") in _urls(first.digest)
