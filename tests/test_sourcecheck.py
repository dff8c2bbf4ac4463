"""`digest sources check`: one row per enabled source, over the real loopback server of conftest,
and the table it prints (aligned in terminal columns, Korean names two columns a syllable).

No test here asks DNS: news.naver.com reaches 127.0.0.1 through an injected resolver, and the
system resolver answers numeric hosts only."""

from __future__ import annotations

import asyncio
import socket
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.models import FetchSettings, Source
from digest.sourcecheck import CheckRow, check, encoding_used, format_age, format_table

from .conftest import LoopbackServer

DATA = Path(__file__).parent / "data" / "discovery"
SETTINGS = FetchSettings(connect_timeout=2, read_timeout=2, total_timeout=3, max_bytes=500_000)
NOW = datetime(2024, 6, 12, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


pytestmark = pytest.mark.usefixtures("no_dns")  # no name ever reaches the system resolver


async def naver_only(host: str) -> Sequence[str]:
    if host == "news.naver.com":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def run_check(sources: Sequence[Source]) -> dict[str, CheckRow]:
    rows = asyncio.run(check(sources, SETTINGS, naver_only, now=NOW))
    assert [r.name for r in rows] == [s.name for s in sources if s.enabled]  # in order, enabled only
    return {r.name: r for r in rows}


def test_check_reports_each_source(server: LoopbackServer) -> None:
    port = server.httpd.server_address[1]
    good = server.add("/rss/allArticle.xml", data("allArticle.xml"))  # ETag, answers 304
    bare = server.add("/bare.xml", data("atom.xml"), content_type="application/atom+xml", validators=False)
    stubborn = server.add("/stubborn.xml", data("atom.xml"), validators=False, headers={"ETag": '"v1"'})
    old = server.add("/old/rss.xml", b"", status=301, headers={"Location": "/rss/allArticle.xml"})
    euckr = server.add("/euckr.xml", data("euckr.xml"), content_type="application/xml")
    labelled = server.add("/labelled.xml", data("euckr.xml"), content_type="text/xml; charset=EUC-KR")
    html = server.add("/guide.html", data("rss_guide.html"), content_type="text/html; charset=utf-8")
    server.add("/main/main.naver", data("naver_listing.html"), content_type="text/html")
    listing = f"http://news.naver.com:{port}/main/main.naver?mode=LS2D&mid=shm&sid1=100&sid2=267"
    sources = [
        Source("헬스온뉴스", good),
        Source("bare", bare),
        Source("stubborn", stubborn),
        Source("없는피드", server.url("/missing.xml")),
        Source("moved", old),
        Source("지역의료신문", euckr),
        Source("labelled", labelled),
        Source("not a feed", html),
        Source("네이버 국방", listing, type="page"),
        Source("off", server.url("/off.xml"), enabled=False),
    ]
    rows = run_check(sources)

    ok = rows["헬스온뉴스"]
    assert (ok.status, ok.items, ok.conditional, ok.redirect) == ("ok", 3, "yes", None)
    assert ok.newest_age == timedelta(hours=6)  # 06:30 KST, checked at 12:30 KST
    assert ok.encoding == "utf-8 (header)" and ok.seconds > 0
    assert [h.get("if-none-match") for p, h in server.requests if p == "/rss/allArticle.xml"][-1]

    assert (rows["bare"].status, rows["bare"].conditional) == ("ok", "no validators")
    assert rows["bare"].newest_age == timedelta(hours=4, minutes=30)
    assert rows["stubborn"].conditional == "no (200 again)"

    missing = rows["없는피드"]
    assert (missing.status, missing.items, missing.conditional, missing.encoding) == (
        "HTTP 404 Not Found",
        0,
        "",
        "",
    )

    moved = rows["moved"]
    assert (moved.status, moved.items, moved.redirect) == ("ok", 3, server.url("/rss/allArticle.xml"))

    local = rows["지역의료신문"]
    assert (local.status, local.items, local.encoding) == ("ok", 2, "euc-kr (declared)")
    assert local.newest_age == timedelta(hours=2, minutes=30)
    assert rows["labelled"].encoding == "euc-kr (header)"

    assert rows["not a feed"].status.startswith("not a feed")
    assert (rows["not a feed"].items, rows["not a feed"].newest_age) == (0, None)

    page = rows["네이버 국방"]
    assert (page.status, page.items, page.newest_age) == ("ok", 20, None)
    assert page.encoding == "utf-8 (detected; declared euc-kr ignored)"  # a wrong <meta charset>
    assert "/off.xml" not in [p for p, _ in server.requests]


def test_an_unreachable_source_is_its_rows_status(server: LoopbackServer) -> None:
    rows = run_check(
        [Source("어디", "http://nowhere.test/rss"), Source("ok", server.add("/a.xml", data("atom.xml")))]
    )
    assert rows["어디"].status.startswith("cannot resolve host") and rows["ok"].status == "ok"


def test_encoding_used_says_which_step_decided() -> None:
    euckr = data("euckr.xml")
    assert encoding_used(euckr) == "euc-kr (declared)"
    assert encoding_used(euckr, "EUC-KR") == "euc-kr (header)"
    assert encoding_used(euckr, "utf-8") == "euc-kr (declared; header utf-8 ignored)"
    assert encoding_used(euckr, None, "cp949") == "cp949 (override)"
    assert encoding_used(euckr.replace(b' encoding="euc-kr"', b"")) == "cp949 (detected)"
    assert encoding_used(b"\xef\xbb\xbf<rss/>", "euc-kr") == "utf-8 (BOM; header euc-kr ignored)"
    assert encoding_used(b"") == ""


def test_format_age() -> None:
    assert format_age(None) == "-"
    assert format_age(timedelta(minutes=45, seconds=10)) == "45 min"
    assert format_age(timedelta(hours=6)) == "6 h"
    assert format_age(timedelta(days=3, hours=2)) == "3 d"
    assert format_age(timedelta(seconds=-5)) == "in the future"


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def start(line: str, cell: str) -> int:
    """The terminal column where `cell` first begins on `line`."""
    return columns(line[: line.index(cell)])


def at(line: str, column: int) -> str:
    """What `line` shows from terminal column `column` on."""
    cols = 0
    for i, c in enumerate(line):
        if cols == column:
            return line[i:]
        cols += columns(c)
    return ""


def shows(line: str, column: int, value: str) -> bool:
    """Whether `line` shows the cell `value` at terminal column `column`, blank around it."""
    rest = at(line, column)
    return (
        rest.startswith(value)
        and rest[len(value) : len(value) + 1] in ("", " ")
        and at(line, column - 1)[0] == " "
    )


def test_format_table_aligns_korean_names() -> None:
    rows = [
        CheckRow("헬스온뉴스", "u1", "ok", 3, timedelta(hours=6), "utf-8 (header)", "yes", None, 0.25),
        CheckRow(
            "bare", "u2", "ok", 12, None, "euc-kr (declared)", "no validators", "https://x.test/rss", 1.5
        ),
        CheckRow("지역의료신문 전체기사", "u3", "HTTP 404 Not Found", seconds=0.03),
    ]
    lines = format_table(rows).splitlines()
    assert len(lines) == 4
    header = lines[0]
    assert header.startswith("source")
    cells = {
        "status": ("ok", "ok", "HTTP 404 Not Found"),
        "newest": ("6 h", "-", "-"),
        "encoding": ("utf-8 (header)", "euc-kr (declared)", "-"),
        "conditional GET": ("yes", "no validators", "-"),
        "redirect": (None, "temporary: https://x.test/rss", None),
    }
    for title, values in cells.items():
        column = start(header, title)
        for line, value in zip(lines[1:], values, strict=True):
            if value is not None:
                assert shows(line, column, value), (title, line)
    # Numbers are right-aligned: each ends where its header ends.
    for title, values in (("items", ("3", "12", "-")), ("time", ("0.25 s", "1.50 s", "0.03 s"))):
        end = start(header, title) + columns(title)
        for line, value in zip(lines[1:], values, strict=True):
            assert shows(line, end - columns(value), value), (title, line)
    assert lines[3].startswith("지역의료신문 전체기사  HTTP 404")  # the widest name sets the column
    assert start(lines[1], "ok") == columns("지역의료신문 전체기사") + 2


def test_format_table_cuts_long_cells() -> None:
    row = CheckRow("가" * 40, "u", "cannot connect: " + "x" * 100, seconds=1.0)
    first, second = format_table([row]).splitlines()
    name = second[: second.index("  ")]
    assert columns(name) <= 28 and name.endswith("...")
    assert start(second, "cannot connect") == start(first, "status")
