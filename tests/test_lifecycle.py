"""A digest's life over days, as the unattended service lives it: real HTTP on 127.0.0.1, a real
SMTP server (aiosmtpd), a real SQLite state, and an injected clock (`now`) instead of waiting.

Covered: a failed mail is delivered when the server is back, whatever the date; a sealed date
takes no new item and is reproduced byte for byte; a first run (and each new source) does not
mail its backlog; --backfill; empty days; readers added or removed after a seal; and the errors a
user can cause, each one line and an exit code.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from digest import cli, pipeline
from digest.clock import Clock
from digest.config import load_settings
from digest.storage import Store

from .conftest import LoopbackServer
from .test_email import Handler, _free_port
from .test_pipeline import DAY1, DAY2, serve_day, write_sources

KST = ZoneInfo("Asia/Seoul")
READERS = ["a@example.com", "b@example.com"]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), KST)


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, Controller]]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller
    finally:
        controller.stop()


def mail_config(port: int, readers: list[str] = READERS, extra: str = "") -> str:
    return f"""delivery:
  email:
    recipients: [{", ".join(readers)}]
    from: "헬스테크 데일리 <digest@example.com>"
    smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5}}
{extra}"""


def run_at(sources: Path, tmp_path: Path, day: date | None, now: datetime, **kw: Any) -> pipeline.RunReport:
    return pipeline.run(
        load_settings(sources), tmp_path / "state.sqlite", tmp_path / "out", day, now=now, **kw
    )


def got(handler: Handler) -> list[tuple[str, str]]:
    """(recipient, digest date from the Message-ID) per message received, in order."""
    out = []
    for m in handler.received:
        mid = message_from_bytes(m.data)["Message-ID"]
        out.append((m.rcpt_tos[0], mid.split("-", 1)[1][:10]))
    return out


def test_smtp_down_on_day_1_and_up_on_day_2_every_reader_gets_every_digest_once(
    server: LoopbackServer, smtp: tuple[Handler, Controller], tmp_path: Path
) -> None:
    handler, controller = smtp
    dead_port = _free_port()
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(dead_port))
    r1 = run_at(sources, tmp_path, DAY1, at(DAY1, 7))
    assert r1.published and r1.delivery_failed
    assert sum("FAILED" in line and "temporary" in line for line in r1.deliveries) == 2
    # The next morning the relay is back (the config points at it now).
    serve_day(server, "day2")
    sources.write_text(sources.read_text("utf-8").replace(str(dead_port), str(controller.port)), "utf-8")
    r2 = run_at(sources, tmp_path, DAY2, at(DAY2, 7))
    assert not r2.delivery_failed
    assert sorted(got(handler)) == [
        ("a@example.com", "2024-06-12"),
        ("a@example.com", "2024-06-13"),
        ("b@example.com", "2024-06-12"),
        ("b@example.com", "2024-06-13"),
    ]
    assert got(handler)[:2] == [("a@example.com", "2024-06-12"), ("b@example.com", "2024-06-12")], (
        "oldest first"
    )
    # Day 1's mail is day 1's digest: its items, not day 2's.
    from email import policy

    day1 = next(m for m in handler.received if "-2024-06-12-" in message_from_bytes(m.data)["Message-ID"])
    parsed = message_from_bytes(day1.data, policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "손목시계형 심전도" in text and "2024년 6월 12일" in text
    # Nothing more goes out on any later run.
    run_at(sources, tmp_path, DAY2, at(DAY2, 9))
    assert len(handler.received) == 4


def test_the_cli_exits_3_when_a_delivery_failed(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(_free_port()))
    args = [
        "run",
        "--sources",
        str(sources),
        "--state",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(tmp_path / "o"),
    ]
    assert cli.main([*args, "--date", "2024-06-12"]) == 3
    out = capsys.readouterr().out
    assert "FAILED for a@example.com" in out and "temporary: retried on a later run" in out


def test_a_sealed_date_takes_no_new_item_and_is_reproduced_byte_for_byte(
    server: LoopbackServer, smtp: tuple[Handler, Controller], tmp_path: Path
) -> None:
    handler, controller = smtp
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(controller.port))
    run_at(sources, tmp_path, DAY1, at(DAY1, 7))
    folder = tmp_path / "out" / "2024-06-12"
    first = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert len(handler.received) == 2
    # Later that day an outlet publishes another item (day 2's feed has it, dated the 12th too).
    serve_day(server, "day2")
    server.add(
        "/rss/feed.xml",
        server.routes["/rss/feed.xml"].body.replace(b"Thu, 13 Jun 2024", b"Wed, 12 Jun 2024"),
        content_type="application/xml",
    )
    again = run_at(sources, tmp_path, DAY1, at(DAY1, 20))
    assert again.reproduced and sum(s.new for s in again.sources) >= 1
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == first, "byte for byte"
    assert len(handler.received) == 2, "nobody is sent the sealed digest again"
    # What came in after the seal goes to the next date, not lost.
    nxt = run_at(sources, tmp_path, DAY2, at(DAY2, 7))
    doc = json.loads((tmp_path / "out" / "2024-06-13" / "digest.json").read_text("utf-8"))
    day2_urls = {i["url"] for t in doc["themes"] for s in t["stories"] for i in s["items"]}
    assert day2_urls and nxt.published
    day1_urls = {
        i["url"] for t in json.loads(first["digest.json"])["themes"] for s in t["stories"] for i in s["items"]
    }
    assert day1_urls.isdisjoint(day2_urls)
    assert len(handler.received) == 4


def backlog_feed(now: datetime, old: int, new: int) -> str:
    def entry(i: int, when: datetime, kind: str) -> str:
        return (
            f"<item><title>{kind} 소식 {i}: 돌봄로봇 보급 확대</title><link>http://127.0.0.1/a/{kind}{i}</link>"
            f"<pubDate>{format_datetime(when)}</pubDate><description>{kind} 소식 {i}입니다.</description>"
            f"<content:encoded><![CDATA[<p>{'요양시설에 돌봄로봇을 보급하는 사업이 확대된다. ' * 12}{i}</p>]]>"
            "</content:encoded></item>"
        )

    items = [entry(i, now - timedelta(hours=2 + i), "오늘") for i in range(new)]
    items += [entry(i, datetime(2020, 6, 12, 9, tzinfo=KST) - timedelta(days=i), "옛") for i in range(old)]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>옛날신문</title>'
        + "".join(items)
        + "</channel></rss>"
    )


def test_a_first_run_does_not_mail_years_of_backlog(server: LoopbackServer, tmp_path: Path) -> None:
    now = at(DAY1, 7)
    server.add("/old.xml", backlog_feed(now, old=30, new=2))
    sources = tmp_path / "sources.yaml"
    sources.write_text(f'sources:\n  - {{name: 옛날신문, url: "{server.url("/old.xml")}"}}\n', "utf-8")
    r = run_at(sources, tmp_path, DAY1, now)
    report = r.sources[0]
    assert (report.seen, report.new, report.backlog) == (32, 2, 30)
    doc = json.loads((tmp_path / "out" / "2024-06-12" / "digest.json").read_text("utf-8"))
    titles = [i["title"] for t in doc["themes"] for s in t["stories"] for i in s["items"]]
    assert sorted(titles) == ["오늘 소식 0: 돌봄로봇 보급 확대", "오늘 소식 1: 돌봄로봇 보급 확대"]
    assert server.hits("/a/옛0") == 0, "backlog pages are not fetched"
    # Recorded as seen: never news later either.
    r2 = run_at(sources, tmp_path, DAY2, at(DAY2, 7))
    assert r2.sources[0].new == 0 or r2.sources[0].not_modified
    with Store(tmp_path / "state.sqlite") as store:
        assert store.count_waiting() == (0, 30)


def test_a_source_added_later_gets_the_window_too_and_backfill_asks_for_the_opposite(
    server: LoopbackServer, tmp_path: Path
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    run_at(sources, tmp_path, DAY1, at(DAY1, 18))
    # On day 2 the reader adds a feed that lists a week-old and a years-old item besides today's.
    now = at(DAY2, 7)
    week_old = backlog_feed(now, 0, 1).replace(
        "</channel>",
        f"<item><title>지난주 돌봄로봇 실증</title><link>http://127.0.0.1/a/week</link>"
        f"<pubDate>{format_datetime(now - timedelta(days=5))}</pubDate><description>지난주.</description>"
        f"<content:encoded><![CDATA[<p>{'주간 돌봄로봇 실증 소식이다. ' * 15}</p>]]></content:encoded></item>"
        "</channel>",
    )
    server.add("/new.xml", week_old)
    sources.write_text(
        sources.read_text("utf-8") + f'  - {{name: 새피드, url: "{server.url("/new.xml")}"}}\n', "utf-8"
    )
    serve_day(server, "day2")
    server.add("/new.xml", week_old)
    r = run_at(sources, tmp_path, DAY2, now)
    added = next(s for s in r.sources if s.name == "새피드")
    assert (added.new, added.backlog) == (1, 1)
    # A person asks for the last 7 days on purpose (a new date, so nothing is sealed yet).
    day3 = DAY2 + timedelta(days=1)
    back = run_at(sources, tmp_path, day3, at(day3, 7), backfill=timedelta(days=7))
    assert back.published
    doc = json.loads((tmp_path / "out" / day3.isoformat() / "digest.json").read_text("utf-8"))
    titles = {i["title"] for t in doc["themes"] for s in t["stories"] for i in s["items"]}
    assert titles == {"지난주 돌봄로봇 실증"}


def test_an_empty_day_sends_no_mail_but_its_page_says_so(
    server: LoopbackServer, smtp: tuple[Handler, Controller], tmp_path: Path
) -> None:
    handler, controller = smtp
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(controller.port))
    run_at(sources, tmp_path, DAY1, at(DAY1, 18))
    assert len(handler.received) == 2
    quiet = DAY1 + timedelta(days=1)  # nothing new: every feed answers 304
    r = run_at(sources, tmp_path, quiet, at(quiet, 7))
    assert r.published and len(handler.received) == 2
    assert any("nothing new for 2024-06-13: no mail" in line for line in r.deliveries)
    page = (tmp_path / "out" / "2024-06-13" / "index.html").read_text("utf-8")
    assert "새 소식이 없습니다" in page
    # send_empty: true mails it anyway (the next quiet day).
    sources.write_text(
        sources.read_text("utf-8").replace("    smtp:", "    send_empty: true\n    smtp:"), "utf-8"
    )
    quieter = quiet + timedelta(days=1)
    run_at(sources, tmp_path, quieter, at(quieter, 7))
    assert len(handler.received) == 4


def test_readers_added_after_a_seal_get_it_and_removed_ones_do_not(
    server: LoopbackServer, smtp: tuple[Handler, Controller], tmp_path: Path
) -> None:
    handler, controller = smtp
    serve_day(server, "day1")
    dead = _free_port()
    sources = write_sources(tmp_path, server, mail_config(dead))
    run_at(sources, tmp_path, DAY1, at(DAY1, 7))  # both readers' mails wait (server down)
    sources.write_text(
        sources.read_text("utf-8")
        .replace("a@example.com, b@example.com", "a@example.com, c@example.com")
        .replace(str(dead), str(controller.port)),
        "utf-8",
    )
    r = run_at(sources, tmp_path, DAY1, at(DAY1, 9))
    assert sorted(rcpt for rcpt, _ in got(handler)) == ["a@example.com", "c@example.com"]
    assert any("b@example.com is no longer a reader" in line for line in r.deliveries)
    # b comes back the next day (an editor had the readers file half-written, say): b is owed
    # day 1's digest, and gets it before day 2's.
    serve_day(server, "day2")
    sources.write_text(
        sources.read_text("utf-8").replace("c@example.com]", "c@example.com, b@example.com]"), "utf-8"
    )
    run_at(sources, tmp_path, DAY2, at(DAY2, 7))
    b = [day for rcpt, day in got(handler) if rcpt == "b@example.com"]
    assert b == ["2024-06-12", "2024-06-13"]
    assert sorted(got(handler)).count(("a@example.com", "2024-06-12")) == 1


def test_a_readers_older_mail_goes_before_the_new_one_whatever_its_backoff(
    server: LoopbackServer, smtp: tuple[Handler, Controller], tmp_path: Path
) -> None:
    """The relay was down all of day 1 and is back just before day 2's scheduled send: day 1's
    row is still in its backoff, yet it goes first, not hours after day 2's."""
    handler, controller = smtp
    serve_day(server, "day1")
    dead = _free_port()
    sources = write_sources(tmp_path, server, mail_config(dead, ["a@example.com"]))
    run_at(sources, tmp_path, DAY1, at(DAY1, 7))
    for moment in (at(DAY1, 8), at(DAY1, 12), at(DAY1, 20), at(DAY2, 3)):  # the service's retries, failing
        pipeline.retry_outbox(load_settings(sources), tmp_path / "state.sqlite", tmp_path / "out", now=moment)
    with Store(tmp_path / "state.sqlite") as store:
        row = store.outbox(DAY1)[0]
        assert row.status == "retry" and row.attempts == 5
        assert row.next_attempt is not None and row.next_attempt > at(DAY2, 7), "still backing off at 07:00"
    serve_day(server, "day2")
    sources.write_text(sources.read_text("utf-8").replace(str(dead), str(controller.port)), "utf-8")
    run_at(sources, tmp_path, DAY2, at(DAY2, 7))  # a scheduled send: backoff respected (retry_now off)
    assert got(handler) == [("a@example.com", "2024-06-12"), ("a@example.com", "2024-06-13")]


def test_a_job_clock_moves_with_real_time() -> None:
    import time as time_module

    clock = Clock(load_settings_minimal().timezone, at(DAY1, 7))
    first = clock()
    time_module.sleep(0.05)
    assert clock.start == at(DAY1, 7) and clock() - first >= timedelta(seconds=0.05)


def load_settings_minimal() -> Any:
    from digest.config import settings_from_dict

    return settings_from_dict({"sources": [{"name": "a", "url": "http://127.0.0.1:9/f.xml"}]}, "t.yaml", {})


def test_no_send_on_a_sealed_date_writes_it_as_sealed_and_sends_nothing(
    server: LoopbackServer, smtp: tuple[Handler, Controller], tmp_path: Path
) -> None:
    handler, controller = smtp
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(controller.port))
    run_at(sources, tmp_path, DAY1, at(DAY1, 7))
    sealed = (tmp_path / "out" / "2024-06-12" / "email.txt").read_bytes()
    (tmp_path / "out" / "2024-06-12" / "email.txt").unlink()
    r = run_at(sources, tmp_path, DAY1, at(DAY1, 9), no_send=True)
    assert r.reproduced and (tmp_path / "out" / "2024-06-12" / "email.txt").read_bytes() == sealed
    assert len(handler.received) == 2
    eml = (tmp_path / "out" / "2024-06-12" / "outbox" / "a@example.com.eml").read_bytes()
    assert message_from_bytes(eml)["Message-ID"] == message_from_bytes(handler.received[0].data)["Message-ID"]


# --------------------------------------------------------------------------- errors a user can cause


def cli_run(tmp_path: Path, sources: Path, *extra: str, state: str = "s.sqlite", out: str = "o") -> list[str]:
    return [
        "run",
        "--sources",
        str(sources),
        "--state",
        str(tmp_path / state),
        "--out",
        str(tmp_path / out),
        *extra,
    ]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if not ln.startswith(("collect:", "assemble:", "deliver:"))]
    assert len(lines) == 1, err
    return lines[0]


def test_a_state_in_a_missing_folder_is_an_error_not_a_new_state(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    assert cli.main(cli_run(tmp_path, sources, state="tpyo/state.sqlite")) == 1
    assert "does not exist" in one_line_error(capsys)
    assert not (tmp_path / "tpyo").exists() and server.requests == [], "nothing fetched, nothing created"


def test_a_file_that_is_not_a_digest_state_is_refused(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    (tmp_path / "notes.txt").write_text("회의록\n" * 200, "utf-8")
    assert cli.main(cli_run(tmp_path, sources, state="notes.txt")) == 1
    assert "not a digest state" in one_line_error(capsys)
    assert (tmp_path / "notes.txt").read_text("utf-8") == "회의록\n" * 200
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
    assert cli.main(cli_run(tmp_path, sources, state="app.db")) == 1
    assert "not a digest state" in one_line_error(capsys)


def test_an_out_folder_that_is_a_file_or_read_only_is_one_line(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    (tmp_path / "o").write_text("x", "utf-8")
    assert cli.main(cli_run(tmp_path, sources)) == 1
    assert "the output folder is a file" in one_line_error(capsys)
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert cli.main(cli_run(tmp_path, sources, out="ro")) == 1
        assert "cannot write the outputs there" in one_line_error(capsys)
    finally:
        ro.chmod(stat.S_IRWXU)
    assert server.requests == []


def test_a_read_only_out_folder_is_one_line_even_for_root(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/proc is read-only for everyone, root included."""
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    args = [
        "run",
        "--sources",
        str(sources),
        "--state",
        str(tmp_path / "s.sqlite"),
        "--out",
        "/proc/digest-out",
    ]
    assert cli.main(args) == 1
    assert "cannot write the outputs there" in one_line_error(capsys)
    assert server.requests == []


def test_a_date_more_than_a_day_ahead_is_refused(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    far = (datetime.now(KST).date() + timedelta(days=3)).isoformat()
    assert cli.main(cli_run(tmp_path, sources, "--date", far)) == 2
    assert "more than a day ahead" in one_line_error(capsys)
    assert server.requests == [] and not (tmp_path / "s.sqlite").exists()


def test_a_corrupt_state_is_one_line(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12")) == 0
    capsys.readouterr()
    state = tmp_path / "s.sqlite"
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(state.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, scribbled over
    state.write_bytes(bytes(data))
    code = cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12"))
    assert code == 1
    assert "state file" in one_line_error(capsys)


@pytest.mark.parametrize("loss", ["deleted", "emptied", "another"])
def test_a_lost_or_emptied_state_is_refused_not_a_fresh_start_that_mails_again(
    server: LoopbackServer,
    smtp: tuple[Handler, Controller],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    loss: str,
) -> None:
    """The output folder remembers that a state sealed its digests: a run with that state deleted,
    truncated to 0 bytes, or with a new state pointed at the folder is refused in one line (a
    fresh state would take the day's items again and mail everyone twice); --new-state proceeds."""
    handler, controller = smtp
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(controller.port))
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12")) == 0
    mailed = len(handler.received)
    assert mailed == 2
    capsys.readouterr()
    state, other = "s.sqlite", "s.sqlite"
    if loss == "deleted":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp_path / state}{suffix}").unlink(missing_ok=True)
    elif loss == "emptied":
        for suffix in ("-wal", "-shm"):
            Path(f"{tmp_path / state}{suffix}").unlink(missing_ok=True)
        (tmp_path / state).write_bytes(b"")
    else:
        other = "another.sqlite"
    code = cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12", state=other))
    err = one_line_error(capsys)
    assert code == 1 and "--new-state" in err and "2024-06-12" in err
    assert len(handler.received) == mailed
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12", "--new-state", state=other)) == 0


def test_a_state_rolled_back_to_an_older_copy_is_refused_not_a_second_mail_of_the_newer_days(
    server: LoopbackServer,
    smtp: tuple[Handler, Controller],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A backup from day 1 put back after day 2 was mailed (or a lost `-wal` that held day 2)
    has sealed less than the output folder records: refused in one line, nobody mailed again."""
    handler, controller = smtp
    sources = write_sources(tmp_path, server, mail_config(controller.port))
    state = tmp_path / "s.sqlite"
    serve_day(server, "day1")
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12")) == 0
    with contextlib.closing(sqlite3.connect(state)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = state.read_bytes()  # the state file alone holds all of it now
    serve_day(server, "day2")
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-13")) == 0
    mailed = len(handler.received)
    assert mailed == 4
    capsys.readouterr()
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    state.write_bytes(backup)
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-13")) == 1
    err = one_line_error(capsys)
    assert "up to 2024-06-12 only" in err and "up to 2024-06-13" in err and "--new-state" in err
    assert len(handler.received) == mailed


def test_a_busy_state_waits_then_gives_up_with_its_own_code(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.lease import hold

    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    with Store(tmp_path / "s.sqlite") as store, hold(store, "runner", "send"):
        assert cli.main(cli_run(tmp_path, sources, "--wait", "0.5")) == 4
    err = capsys.readouterr().err
    assert "the state is busy (send by pid" in err and "waiting up to 0.5 s" in err
    assert "another digest process holds it" in err and "Traceback" not in err
    assert server.requests == []


def test_status_shows_the_last_jobs_the_outbox_and_the_sources(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(_free_port()))
    cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12"))
    capsys.readouterr()
    assert cli.main(["status", "--sources", str(sources), "--state", str(tmp_path / "s.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "1 digest(s) sealed, last 2024-06-12" in out
    assert "collect: last ok 20" in out and "next " in out and "(every 60 min)" in out
    assert "send: last ok" in out and "(0 7 * * *)" in out
    assert "outbox: 2 retry" in out
    assert "a@example.com: retry after 1 attempt(s), next try" in out and "Connection refused" in out
    assert "lease: free" in out
    table = out.split("sources:", 1)[1].splitlines()
    assert table[1].split()[:2] == ["source", "state"]
    row = next(line for line in table if line.split()[:1] == ["메디온뉴스"])
    assert row.split()[1] in ("ok", "quiet")  # (quiet: `status` runs today, the items are of 2024)
    assert cli.main(["status", "--sources", str(sources), "--state", str(tmp_path / "none.sqlite")]) == 1
    assert "no state file" in capsys.readouterr().err


def test_progress_is_plain_lines_off_a_terminal_and_live_on_one(
    server: LoopbackServer, tmp_path: Path
) -> None:
    import pty
    import subprocess
    import sys

    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    args = [sys.executable, "-m", "digest", *cli_run(tmp_path, sources, "--date", "2024-06-12")]
    plain = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.strip().splitlines()
    assert [ln.split(":", 1)[0] for ln in lines] == ["collect", "assemble"]
    assert lines[0].startswith("collect: 4 source(s): 5 seen, 5 new") and "\x1b[" not in plain.stderr
    # On a terminal: live bars (escape codes) and the same stage lines.
    again = cli_run(tmp_path, sources, "--date", "2024-06-13", state="t.sqlite", out="t")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", *again], stdout=subprocess.DEVNULL, stderr=follower
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(leader)
    shown = seen.decode("utf-8", "replace")
    assert "\x1b[" in shown and "collect" in shown and "source(s)" in shown and "assemble" in shown


def test_retry_failed_sends_again_to_a_reader_whose_address_was_fixed(
    server: LoopbackServer,
    smtp: tuple[Handler, Controller],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler, controller = smtp
    handler.refuse.add("b@example.com")
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server, mail_config(controller.port))
    base = ["--sources", str(sources), "--state", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "o")]
    assert cli.main(["run", *base, "--date", "2024-06-12"]) == 3
    assert cli.main(["send", *base, "--date", "2024-06-12"]) == 0, "a permanent failure is not retried"
    assert [r for m in handler.received for r in m.rcpt_tos] == ["a@example.com"]
    handler.refuse.clear()
    capsys.readouterr()
    assert cli.main(["send", *base, "--date", "2024-06-12", "--retry-failed"]) == 0
    out = capsys.readouterr().out
    assert "1 permanently failed message(s) will be tried again" in out
    assert "2024-06-12: sent to b@example.com" in out
    assert [r for m in handler.received for r in m.rcpt_tos] == ["a@example.com", "b@example.com"]


def test_processes_that_bypass_the_lease_still_send_each_row_once(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """The lease keeps a second process out; the outbox claim alone must also hold. Four
    processes deliver one outbox at once, without the lease, to a slow SMTP server."""
    import asyncio
    import subprocess
    import sys
    import time as time_module

    class Slow(Handler):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            await asyncio.sleep(0.15)
            return await super().handle_DATA(server, session, envelope)

    handler = Slow()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        readers = [f"r{i:02d}@example.com" for i in range(24)]
        dead = _free_port()
        serve_day(server, "day1")
        sources = write_sources(tmp_path, server, mail_config(dead, readers))
        run_at(sources, tmp_path, DAY1, at(DAY1, 7))  # sealed; every row waits (server down)
        sources.write_text(sources.read_text("utf-8").replace(str(dead), str(controller.port)), "utf-8")
        code = f"""
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from digest.config import load_settings
from digest.deliver.outbox import deliver_due
from digest.progress import Silent
from digest.storage import Store
import sys, time
settings = load_settings({str(sources)!r})
Path({str(tmp_path)!r}, "ready-" + sys.argv[1]).touch()
while not Path({str(tmp_path)!r}, "go").exists():  # start together
    time.sleep(0.01)
with Store({str(tmp_path / "state.sqlite")!r}) as store:
    lines, _ = deliver_due(settings, store, Path({str(tmp_path / "out")!r}),
                           lambda: datetime.now(ZoneInfo("Asia/Seoul")), True, Silent(), None)
print(sum(": sent to " in line for line in lines))
"""
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(i)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(4)
        ]
        deadline = time_module.monotonic() + 60
        while len(list(tmp_path.glob("ready-*"))) < 4 and time_module.monotonic() < deadline:
            time_module.sleep(0.05)
        (tmp_path / "go").touch()
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
        counts = [int(out.strip()) for out, _ in results]
        assert sum(counts) == len(readers) and max(counts) < len(readers), counts  # they really overlapped
        assert sorted(r for m in handler.received for r in m.rcpt_tos) == readers
    finally:
        controller.stop()


def test_status_only_reads_the_state(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    assert cli.main(cli_run(tmp_path, sources, "--date", "2024-06-12")) == 0
    state = tmp_path / "s.sqlite"
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = state.read_bytes()
    capsys.readouterr()
    assert cli.main(["status", "--sources", str(sources), "--state", str(state)]) == 0
    assert state.read_bytes() == before
    # A state an older digest wrote is not migrated by a command that only looks.
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as db:
        from digest.storage import MIGRATIONS

        MIGRATIONS[1](db)
        db.execute("PRAGMA user_version = 1")
    assert cli.main(["status", "--sources", str(sources), "--state", str(old)]) == 1
    assert "run `digest collect` once to upgrade it" in capsys.readouterr().err
