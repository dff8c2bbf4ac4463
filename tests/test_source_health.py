"""Sources over runs, as the service lives them: Retry-After and backoff obeyed, a 410 source left
alone, a permanent redirect followed from then on, and the digest's footer saying so only while
there is something to say. Real HTTP on 127.0.0.1, a real SQLite state, an injected clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import cli, pipeline
from digest.config import load_settings
from digest.storage import Store

from .conftest import LoopbackServer
from .test_pipeline import DAY1, DAY2, serve_day, write_sources

KST = ZoneInfo("Asia/Seoul")
ATOM = "/atom/feed.xml"  # 실버케어뉴스 in write_sources


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), KST)


def collect(sources: Path, tmp_path: Path, now: datetime) -> dict[str, object]:
    report = pipeline.collect(load_settings(sources), tmp_path / "state.sqlite", now=now)
    return {r.name: r for r in report.sources}


def health(tmp_path: Path, name: str) -> object:
    with Store(tmp_path / "state.sqlite") as store:
        return next(s.health for s in store.sources() if s.name == name)


def test_retry_after_is_obeyed_and_backoff_grows_then_resets(server: LoopbackServer, tmp_path: Path) -> None:
    serve_day(server, "day1")
    good = server.routes[ATOM]
    server.add(ATOM, b"busy", status=503, headers={"Retry-After": "600"}, content_type="text/plain")
    sources = write_sources(tmp_path, server)

    first = collect(sources, tmp_path, at(DAY1, 9))
    assert "HTTP 503" in (first["실버케어뉴스"].error or "")  # type: ignore[attr-defined]
    assert server.hits(ATOM) == 1
    # five minutes later the server's ten minutes are not over: not asked again, and said why
    again = collect(sources, tmp_path, at(DAY1, 9, 5))
    assert server.hits(ATOM) == 1
    assert "next try 09:10" in (again["실버케어뉴스"].waiting or "")  # type: ignore[attr-defined]
    assert again["메디온뉴스"].waiting is None  # type: ignore[attr-defined]  # the neighbours go on

    # after it: asked again, still failing (now without Retry-After): the backoff grows
    server.add(ATOM, b"down", status=500, content_type="text/plain")
    collect(sources, tmp_path, at(DAY1, 9, 11))
    assert server.hits(ATOM) == 2
    h = health(tmp_path, "실버케어뉴스")
    assert h.failures == 2 and h.not_before is not None  # type: ignore[attr-defined]
    wait = h.not_before - at(DAY1, 9, 11)  # type: ignore[attr-defined]
    assert timedelta(minutes=7, seconds=30) <= wait <= timedelta(minutes=15)  # 15 min with equal jitter
    collect(sources, tmp_path, at(DAY1, 9, 12))
    assert server.hits(ATOM) == 2

    # back: one success forgets it all
    server.routes[ATOM] = good
    ok = collect(sources, tmp_path, at(DAY1, 10))
    assert server.hits(ATOM) == 3 and ok["실버케어뉴스"].error is None  # type: ignore[attr-defined]
    h = health(tmp_path, "실버케어뉴스")
    assert h.failures == 0 and h.not_before is None and h.last_success is not None  # type: ignore[attr-defined]


def test_a_gone_source_is_left_alone_and_named_in_the_digest(server: LoopbackServer, tmp_path: Path) -> None:
    serve_day(server, "day1")
    server.add(ATOM, b"gone", status=410, content_type="text/plain")
    sources = write_sources(tmp_path, server)
    first = collect(sources, tmp_path, at(DAY1, 9))
    assert any("gone (HTTP 410)" in n for n in first["실버케어뉴스"].notes)  # type: ignore[attr-defined]
    collect(sources, tmp_path, at(DAY1, 15))
    collect(sources, tmp_path, at(DAY2, 9))
    assert server.hits(ATOM) == 1  # never asked again
    report = pipeline.send(
        load_settings(sources), tmp_path / "state.sqlite", tmp_path / "out", DAY1, now=at(DAY2, 7)
    )
    assert report.sealed
    md = (tmp_path / "out" / DAY1.isoformat() / "digest.md").read_text(encoding="utf-8")
    assert "소스 상태: 1 source gone (HTTP 410): 실버케어뉴스" in md

    # its URL changed in the file: a new source, fetched again
    server.add("/atom/new.xml", server.routes["/rss/feed.xml"].body)
    sources.write_text(sources.read_text("utf-8").replace(ATOM, "/atom/new.xml"), "utf-8")
    collect(sources, tmp_path, at(DAY2, 10))
    assert server.hits("/atom/new.xml") == 1


def test_a_permanent_redirect_is_followed_from_then_on_and_said_once(
    server: LoopbackServer, tmp_path: Path
) -> None:
    serve_day(server, "day1")
    server.routes["/atom/moved.xml"] = server.routes[ATOM]
    server.add(ATOM, b"", status=301, headers={"Location": server.url("/atom/moved.xml")}, content_type=None)
    sources = write_sources(tmp_path, server)
    first = collect(sources, tmp_path, at(DAY1, 9))
    notes = first["실버케어뉴스"].notes  # type: ignore[attr-defined]
    assert any("moved permanently to " + server.url("/atom/moved.xml") in n for n in notes)
    second = collect(sources, tmp_path, at(DAY1, 10))
    assert server.hits(ATOM) == 1 and server.hits("/atom/moved.xml") == 2  # straight to the new URL
    assert not any("moved permanently" in n for n in second["실버케어뉴스"].notes)  # type: ignore[attr-defined]
    assert second["실버케어뉴스"].not_modified  # type: ignore[attr-defined]  # its validators kept


def test_the_footer_appears_while_a_source_fails_for_a_day_and_goes_when_it_is_back(
    server: LoopbackServer, tmp_path: Path, capsys: object
) -> None:
    serve_day(server, "day1")
    good = server.routes[ATOM]
    server.add(ATOM, b"down", status=500, content_type="text/plain")
    sources = write_sources(tmp_path, server)
    collect(sources, tmp_path, at(DAY1, 6))
    collect(sources, tmp_path, at(DAY2, 6, 30))
    settings = load_settings(sources)
    pipeline.send(settings, tmp_path / "state.sqlite", tmp_path / "out", DAY2, now=at(DAY2, 7))
    day2 = tmp_path / "out" / DAY2.isoformat()
    note = "1 source failing for 1 day: 실버케어뉴스"
    assert note in (day2 / "digest.md").read_text(encoding="utf-8")
    assert note in (day2 / "email.txt").read_text(encoding="utf-8")
    assert note in (day2 / "email.html").read_text(encoding="utf-8")
    assert note in (day2 / "index.html").read_text(encoding="utf-8")

    # digest status shows the whole table
    assert cli.main(["status", "--sources", str(sources), "--state", str(tmp_path / "state.sqlite")]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    rows = {line.split()[0]: line for line in out.split("sources:", 1)[1].splitlines() if line.strip()}
    assert "failing ×2 since 2024-06-12" in rows["실버케어뉴스"] and "HTTP 500" in rows["실버케어뉴스"]
    assert (
        "failing" not in rows["메디온뉴스"]
    )  # (quiet: `status` runs at today's date, the items are of 2024)
    assert rows["source"].split()[:2] == ["source", "state"]

    day3 = DAY2 + timedelta(days=1)
    server.routes[ATOM] = good
    collect(sources, tmp_path, at(day3, 6))
    pipeline.send(settings, tmp_path / "state.sqlite", tmp_path / "out", day3, now=at(day3, 7))
    md = (tmp_path / "out" / day3.isoformat() / "digest.md").read_text(encoding="utf-8")
    assert "소스 상태" not in md
