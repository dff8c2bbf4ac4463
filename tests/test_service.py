"""The unattended service as real processes: `digest schedule` and `digest run` on one state,
a feed on 127.0.0.1 and a real SMTP server (aiosmtpd) on loopback.

Feeds here carry items dated "now", because the processes run on the real clock (the pure time
decisions — DST, missed sends — are tested on plain values in test_schedule.py). Schedules are
seconds apart so that nothing waits for minutes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from digest.storage import Store

from .conftest import LoopbackServer
from .test_email import Handler, _free_port

KST = ZoneInfo("Asia/Seoul")
READERS = ["r1@example.com", "r2@example.com"]
BODY = (
    "경기 군포시가 홀몸 어르신 300가구에 AI 돌봄로봇을 보급한다고 밝혔다. 돌봄로봇은 낙상을 감지하면 "
    "보호자와 관제센터에 알리고, 복약 시간을 알려 준다. 시는 올해 시범 운영 결과를 보고 내년에 보급 "
    "대상을 넓힐 계획이다. 군포시 관계자는 어르신의 안전과 정서 지원에 도움이 될 것이라고 말했다."
)


def fresh_feed(now: datetime, n: int = 2) -> str:
    items = "".join(
        f"<item><title>군포시 돌봄로봇 보급 {i}차 — 낙상 감지 어르신 가구</title>"
        f"<link>http://127.0.0.1/news/{i}.html</link><guid>care-{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i + 1))}</pubDate>"
        f"<description>군포시가 돌봄로봇 {i}차 보급을 시작했다.</description>"
        f"<content:encoded><![CDATA[<p>{i}차: {BODY}</p><p>{BODY}</p>]]></content:encoded></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>실버뉴스</title>'
        f"{items}</channel></rss>"
    )


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def config(tmp_path: Path, server: LoopbackServer, smtp_port: int, schedule: str, extra: str = "") -> Path:
    server.add("/feed.xml", fresh_feed(datetime.now(KST)))
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"""sources:
  - {{name: 실버뉴스, url: "{server.url("/feed.xml")}", type: feed}}
schedule: {schedule}
delivery:
  email:
    recipients: [{", ".join(READERS)}]
    smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 5}}
{extra}""",
        encoding="utf-8",
    )
    return path


class Proc:
    """A digest process with its output in a file (read while it runs)."""

    def __init__(self, tmp_path: Path, name: str, args: list[str]) -> None:
        self.log = tmp_path / f"{name}.log"
        self.handle = self.log.open("w", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "digest", *args],
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=env,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        code = self.popen.wait(timeout=timeout)
        self.handle.close()
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)
        self.handle.close()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    try:
        yield started
    finally:
        for p in started:
            p.kill()


def schedule(tmp_path: Path, procs: list[Proc], sources: Path, name: str = "schedule") -> Proc:
    p = Proc(
        tmp_path, name, ["schedule", "--sources", str(sources), "--state", "state.sqlite", "--out", "out"]
    )
    procs.append(p)
    return p


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def delivered(handler: Handler) -> list[str]:
    return sorted(r for m in handler.received for r in m.rcpt_tos)


def test_two_schedulers_on_one_state_send_each_reader_one_mail(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    handler, port = smtp
    sources = config(tmp_path, server, port, "{collect: every 1 s, send: every 2 s}")
    a, b = schedule(tmp_path, procs, sources, "a"), schedule(tmp_path, procs, sources, "b")
    wait_for(
        lambda: a.popen.poll() is not None or b.popen.poll() is not None, 60, "one scheduler to give way"
    )
    loser, winner = (a, b) if a.popen.poll() is not None else (b, a)
    assert loser.popen.returncode == 4
    assert "another scheduler is running" in loser.text()
    wait_for(lambda: len(handler.received) >= 2, 90, "the morning mail")
    time.sleep(5)  # a few more collects and sends: the sealed digest takes nothing, sends nothing
    assert delivered(handler) == READERS
    assert winner.stop() == 0
    log = winner.text()
    assert "Traceback" not in log and "Traceback" not in loser.text()
    assert log.rstrip().splitlines()[-1].endswith(("stopped (SIGTERM)", "finished"))
    # One line per job, in the configured zone, with counts; no per-request chatter.
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST INFO collect: 1 source\(s\): 2 seen, 2 new", log, re.M
    )
    assert re.search(r"KST INFO send \d{4}-\d\d-\d\d: 1 story, 2 mail\(s\) sent", log)
    assert "HTTP Request" not in log and "executed successfully" not in log


def test_a_scheduler_and_people_running_digest_run_send_each_reader_one_mail(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    handler, port = smtp
    sources = config(tmp_path, server, port, "{collect: every 1 s, send: every 2 s}")
    sched = schedule(tmp_path, procs, sources)
    runs = [
        Proc(
            tmp_path, f"run{i}", ["run", "--sources", str(sources), "--state", "state.sqlite", "--out", "out"]
        )
        for i in range(3)
    ]
    procs.extend(runs)
    codes = [r.popen.wait(timeout=120) for r in runs]
    assert codes == [0, 0, 0], [r.text() for r in runs]
    wait_for(lambda: len(handler.received) >= 2, 60, "the mail")
    time.sleep(4)
    assert delivered(handler) == READERS
    assert sched.stop() == 0
    assert any("already sent to all 2" in r.text() or "sealed earlier" in r.text() for r in runs)


def test_a_send_missed_while_the_machine_was_off_runs_once_at_start_up(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    handler, port = smtp
    sources = config(tmp_path, server, port, '{collect: every 60 min, send: "0 7 * * *", grace: 30 h}')
    now = datetime.now(KST)
    # The catch-up digest is the missed morning's: it takes items up to the end of that day, so the
    # feed's items are dated before the last missed 07:00 (items of "now" may already belong to
    # the next day, between midnight and 07:00, and rightly wait for the next morning's mail).
    missed = now.replace(hour=7, minute=0, second=0, microsecond=0)
    if missed > now:
        missed -= timedelta(days=1)
    server.add("/feed.xml", fresh_feed(missed))
    with Store(tmp_path / "state.sqlite") as store:  # the last send ran two days ago
        store.job_finished("send", now - timedelta(days=2), True, "sent", 1.0, now - timedelta(days=2))
    sched = schedule(tmp_path, procs, sources)
    wait_for(lambda: len(handler.received) >= 2, 90, "the catch-up mail")
    time.sleep(3)
    assert delivered(handler) == READERS, "one catch-up digest, not one per missed morning"
    assert sched.stop() == 0
    log = sched.text()
    assert "catching up 1 missed send(s) now" in log
    assert re.search(r"catch-up send \d{4}-\d\d-\d\d: 1 story, 2 mail\(s\) sent", log)


def test_a_fresh_install_does_not_send_at_start_up_and_stops_cleanly(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    handler, port = smtp
    sources = config(tmp_path, server, port, '{collect: every 60 min, send: "0 7 * * *"}')
    sched = schedule(tmp_path, procs, sources)
    wait_for(lambda: "collect: 1 source(s):" in sched.text(), 60, "the first collect")
    assert handler.received == []
    assert sched.stop(signal.SIGINT) == 0
    assert sched.text().rstrip().splitlines()[-1].endswith("schedule: stopped (SIGINT)")
    with Store(tmp_path / "state.sqlite") as store:
        assert store.count_waiting() == (2, 0) and store.lease("scheduler") is None


def test_sigterm_lets_the_job_in_progress_finish_and_a_second_one_abandons_it(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    _, port = smtp
    sources = config(tmp_path, server, port, '{collect: every 60 min, send: "0 7 * * *"}')
    server.routes["/feed.xml"].delay = 3.0
    first = schedule(tmp_path, procs, sources, "first")
    wait_for(lambda: server.hits("/feed.xml") >= 1, 60, "the first collect to start")
    assert first.stop() == 0
    assert first.text().rstrip().splitlines()[-1].endswith("after the collect in progress finished")

    server.routes["/feed.xml"].delay = 15.0
    second = schedule(tmp_path, procs, sources, "second")
    wait_for(lambda: server.hits("/feed.xml") >= 2, 60, "the collect to start again")
    second.popen.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert second.stop() == 0, second.text()
    last = second.text().rstrip().splitlines()[-1]
    assert "abandoned the collect in progress" in last and "nothing is lost" in last
    assert "Traceback" not in first.text() + second.text()


def test_a_bad_send_time_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [
            sys.executable,
            str(root / "scheduler.py"),
            "--sources",
            str(root / "sources.yaml"),
            "--at",
            "25:00",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "25:00" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sources:\n  - {name: a, url: 'http://127.0.0.1:9/f.xml'}\nschedule: {collect: every 0 min}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "digest", "schedule", "--sources", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "schedule.collect" in done.stderr and "Traceback" not in done.stderr


def test_logs_are_in_the_configured_zone(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    _, port = smtp
    sources = config(
        tmp_path,
        server,
        port,
        '{collect: every 60 min, send: "0 7 * * *"}',
        "digest: {timezone: America/New_York}\n",
    )
    sched = schedule(tmp_path, procs, sources)
    wait_for(lambda: "collect: 1 source(s):" in sched.text(), 60, "the first collect")
    assert sched.stop() == 0
    first = sched.text().splitlines()[0]
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T INFO schedule: ", first), first
    assert "(America/New_York)" in first


def test_sigterm_stops_a_digest_run_with_one_line_and_frees_the_state(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, procs: list[Proc]
) -> None:
    _, port = smtp
    sources = config(tmp_path, server, port, '{collect: every 60 min, send: "0 7 * * *"}')
    server.routes["/feed.xml"].delay = 20.0
    run = Proc(tmp_path, "run", ["run", "--sources", str(sources), "--state", "state.sqlite", "--out", "out"])
    procs.append(run)
    wait_for(lambda: server.hits("/feed.xml") >= 1, 60, "the collect to start")
    assert run.stop() == 143
    text = run.text()
    assert "digest: stopped by SIGTERM; nothing is lost" in text and "Traceback" not in text
    with Store(tmp_path / "state.sqlite") as store:
        assert store.lease("runner") is None and store.sealed(datetime.now(KST).date()) is None


def test_a_morning_send_that_failed_runs_after_the_next_good_collect(
    server: LoopbackServer, smtp: tuple[Handler, int], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """07:00: every source is down, nothing is sent. 08:00: the sources are back; the collect
    job sends the morning's digest instead of leaving the day without one."""
    from digest import service
    from digest.config import load_settings

    handler, port = smtp
    clock = [datetime(2024, 6, 13, 7, 0, tzinfo=KST)]
    sources = config(tmp_path, server, port, '{collect: every 60 min, send: "0 7 * * *"}')
    server.add("/feed.xml", fresh_feed(clock[0]))
    with Store(tmp_path / "state.sqlite") as store:  # yesterday's send went fine
        fire = datetime(2024, 6, 12, 7, 0, tzinfo=KST)
        store.job_finished("send", fire, True, "sent", 1.0, fire)
    svc = service._Service(
        str(sources),
        str(tmp_path / "state.sqlite"),
        str(tmp_path / "out"),
        load_settings(sources),
        lambda: clock[0],
    )
    feed = server.routes.pop("/feed.xml")
    with caplog.at_level("INFO", logger="digest"):
        svc.send()  # 07:00, the feed answers 404
        assert handler.received == []
        clock[0] = datetime(2024, 6, 13, 7, 5, tzinfo=KST)
        server.routes["/feed.xml"] = feed
        svc.collect()  # 07:05: the regular send may still be on its way; not late yet
        assert handler.received == []
        clock[0] = datetime(2024, 6, 13, 8, 0, tzinfo=KST)
        svc.collect()
        assert delivered(handler) == READERS
        clock[0] = datetime(2024, 6, 13, 9, 0, tzinfo=KST)
        svc.collect()
    assert delivered(handler) == READERS, "once"
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        "every source failed; nothing was sent (tried again after the next successful collect)" in m
        for m in messages
    )
    assert any(m.startswith("late send 2024-06-13: 1 story, 2 mail(s) sent") for m in messages)


def test_sigterm_while_the_relay_answers_waits_for_the_answer_and_sends_nobody_twice(
    server: LoopbackServer, tmp_path: Path, procs: list[Proc]
) -> None:
    """A relay that takes two seconds over DATA (content scanning): a SIGTERM in that time must
    not record the mail as unsent, or the next run sends it again."""
    import asyncio
    from typing import Any

    class Slow(Handler):
        in_data = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.in_data += 1
            await asyncio.sleep(2.0)
            return await super().handle_DATA(server, session, envelope)

    handler = Slow()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        sources = config(tmp_path, server, controller.port, '{collect: every 60 min, send: "0 7 * * *"}')
        args = ["run", "--sources", str(sources), "--state", "state.sqlite", "--out", "out"]
        first = Proc(tmp_path, "first", args)
        procs.append(first)
        wait_for(lambda: handler.in_data >= 1, 60, "the first message's DATA")
        time.sleep(0.3)
        assert first.stop() == 143
        assert "stopped by SIGTERM" in first.text() and "Traceback" not in first.text()
        assert [m.rcpt_tos for m in handler.received] == [[READERS[0]]], "the one in flight was finished"
        again = Proc(tmp_path, "again", args)
        procs.append(again)
        assert again.popen.wait(timeout=120) == 0, again.text()
        assert delivered(handler) == READERS, "r1 once, r2 on the second run"
    finally:
        controller.stop()
