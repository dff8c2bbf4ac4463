"""End to end: real HTTP on 127.0.0.1 serving tests/data/site, a real SQLite file, the real
pipeline and CLI."""

from __future__ import annotations

import json
import sqlite3
import time as time_module
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from digest import cli, pipeline
from digest.config import load_settings

from .conftest import DATA, LoopbackServer

SITE = DATA / "site"
KST = ZoneInfo("Asia/Seoul")
DAY1, DAY2 = date(2024, 6, 12), date(2024, 6, 13)


def serve_day(server: LoopbackServer, day: str) -> None:
    server.routes.clear()
    for f in sorted((SITE / day).rglob("*")):
        if not f.is_file():
            continue
        path = "/" + f.relative_to(SITE / day).as_posix()
        body = f.read_bytes().replace(b"{base}", server.base.encode())
        if path.startswith("/euckr/") and path.endswith(".xml"):
            ctype = "application/rss+xml; charset=EUC-KR"
        elif path.startswith("/euckr/"):
            ctype = "text/html"  # no charset: the page's own <meta> must be found
        elif path.endswith(".json"):
            ctype = "application/feed+json"
        elif path.endswith(".xml"):
            ctype = "application/xml"
        else:
            ctype = "text/html; charset=utf-8"
        server.add(path, body, content_type=ctype)


def write_sources(tmp_path: Path, server: LoopbackServer, extra: str = "") -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(
        f"""sources:
  - {{name: 메디온뉴스, url: "{server.url("/rss/feed.xml")}", type: feed}}
  - {{name: 실버라이프신문, url: "{server.url("/euckr/feed.xml")}", type: feed}}
  - {{name: 실버케어뉴스, url: "{server.url("/atom/feed.xml")}", type: feed}}
  - {{name: AI헬스포스트, url: "{server.url("/json/feed.json")}", type: feed}}
{extra}""",
        encoding="utf-8",
    )
    return p


def evening(day: date) -> datetime:
    return datetime.combine(day, time(18), KST)


def run(sources: Path, tmp_path: Path, day: date, no_send: bool = False) -> pipeline.RunReport:
    settings = load_settings(sources)
    return pipeline.run(
        settings, tmp_path / "state.sqlite", tmp_path / "out", day, no_send=no_send, now=evening(day)
    )


def digest_json(tmp_path: Path, day: date) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "out" / day.isoformat() / "digest.json").read_text("utf-8"))
    return data


def urls(doc: dict[str, Any]) -> set[str]:
    return {i["url"] for t in doc["themes"] for s in t["stories"] for i in s["items"]}


def validate_digest_schema(doc: dict[str, Any]) -> None:
    """The schema of ../shared/corpus/FORMAT.md ("The JSON digest it reads")."""
    assert isinstance(doc["date"], str) and date.fromisoformat(doc["date"])
    datetime.fromisoformat(doc["generated_at"])
    assert isinstance(doc["themes"], list) and doc["themes"]
    for theme in doc["themes"]:
        assert theme["id"] in ("silver_devices", "ai_demos", "regulatory_sandbox", "other")
        assert isinstance(theme["title"], str) and theme["title"]
        for story in theme["stories"]:
            assert isinstance(story["id"], str) and story["id"]
            assert isinstance(story["title"], str) and story["title"]
            assert isinstance(story["summary"], str)
            assert story["items"]
            for item in story["items"]:
                assert item["url"].startswith("http")
                assert isinstance(item["title"], str) and item["title"]
                assert isinstance(item["source"], str) and item["source"]
                if item["published"] is not None:
                    assert datetime.fromisoformat(item["published"]).tzinfo is not None


def test_two_days_novelty_themes_and_stories(server: LoopbackServer, tmp_path: Path) -> None:
    sources = write_sources(tmp_path, server)
    serve_day(server, "day1")
    r1 = run(sources, tmp_path, DAY1)
    assert r1.error is None and r1.published
    assert {s.name: (s.seen, s.new, s.error) for s in r1.sources} == {
        "메디온뉴스": (2, 2, None),
        "실버라이프신문": (1, 1, None),
        "실버케어뉴스": (1, 1, None),
        "AI헬스포스트": (1, 1, None),
    }
    d1 = digest_json(tmp_path, DAY1)
    validate_digest_schema(d1)
    placed = {s["title"]: t["id"] for t in d1["themes"] for s in t["stories"]}
    assert placed["손목시계형 심전도 측정기, 규제 샌드박스 첫 실증특례"] == "regulatory_sandbox"
    assert placed["독거노인 300가구에 AI 돌봄로봇 보급"] == "silver_devices"
    assert placed["충북대병원, 응급실 흉부 엑스레이 AI 판독 실증 착수"] == "ai_demos"
    assert placed["병원계, 전공의 근무시간 단축 대책 논의"] == "other"
    # The EUC-KR reprint joined the original: one story, two outlets; tracking parameters gone.
    sandbox = next(t for t in d1["themes"] if t["id"] == "regulatory_sandbox")["stories"]
    assert len(sandbox) == 1
    assert sorted(i["source"] for i in sandbox[0]["items"]) == ["메디온뉴스", "실버라이프신문"]
    euckr = next(i for i in sandbox[0]["items"] if i["source"] == "실버라이프신문")
    assert euckr["title"] == "웨어러블 심전도 서비스, 규제 샌드박스 통과"
    assert "rss/news/101.html" in sandbox[0]["items"][0]["url"]
    # Extracted text, without furniture, is exported; summaries start at the news.
    for t in d1["themes"]:
        for s in t["stories"]:
            assert "기상청" not in s["summary"] and "무단전재" not in s["summary"]
            for i in s["items"]:
                assert i.get("text"), i["url"]
                assert "맑음서울" not in i["text"] and "가장 많이 본 뉴스" not in i["text"]

    serve_day(server, "day2")
    r2 = run(sources, tmp_path, DAY2)
    d2 = digest_json(tmp_path, DAY2)
    validate_digest_schema(d2)
    assert urls(d1).isdisjoint(urls(d2)), "an item appears in at most one digest"
    assert len(urls(d2)) == 1
    follow = next(s for t in d2["themes"] for s in t["stories"])
    assert follow["id"] == sandbox[0]["id"], "the follow-up joins the day-1 story"
    assert follow["is_update"] is True
    assert {s.name: s.new for s in r2.sources}["메디온뉴스"] == 1


def test_rerun_same_date_is_idempotent(server: LoopbackServer, tmp_path: Path) -> None:
    sources = write_sources(tmp_path, server)
    serve_day(server, "day1")
    run(sources, tmp_path, DAY1)
    first = (tmp_path / "out" / "2024-06-12" / "digest.json").read_bytes()
    second_report = run(sources, tmp_path, DAY1)
    assert all(s.new == 0 for s in second_report.sources)
    assert (tmp_path / "out" / "2024-06-12" / "digest.json").read_bytes() == first


def test_second_fetch_is_conditional_and_parses_nothing(server: LoopbackServer, tmp_path: Path) -> None:
    sources = write_sources(tmp_path, server)
    serve_day(server, "day1")
    run(sources, tmp_path, DAY1)
    r = run(sources, tmp_path, DAY1)
    assert all(s.not_modified for s in r.sources)
    conditional = [h for p, h in server.requests if p == "/rss/feed.xml"]
    assert "if-none-match" in conditional[-1]


def test_no_send_consumes_nothing(server: LoopbackServer, tmp_path: Path) -> None:
    sources = write_sources(tmp_path, server)
    serve_day(server, "day1")
    r = run(sources, tmp_path, DAY1, no_send=True)
    assert not r.published
    db = sqlite3.connect(tmp_path / "state.sqlite")
    assert db.execute("SELECT COUNT(*) FROM items WHERE issued_on IS NOT NULL").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM digests").fetchone()[0] == 0
    db.close()
    preview = urls(digest_json(tmp_path, DAY1))
    # The next date still gets every item: nothing was consumed.
    serve_day(server, "day2")
    run(sources, tmp_path, DAY2)
    assert preview < urls(digest_json(tmp_path, DAY2))


def test_failing_sources_are_reported_and_the_rest_goes_on(server: LoopbackServer, tmp_path: Path) -> None:
    serve_day(server, "day1")
    server.add(
        "/captcha.xml",
        "<html><body>자동입력 방지를 위해 문자를 입력하세요</body></html>",
        content_type="text/html; charset=utf-8",
    )
    extra = f"""  - {{name: 없는피드, url: "{server.url("/missing.xml")}", type: feed}}
  - {{name: 캡차, url: "{server.url("/captcha.xml")}", type: feed}}
  - {{name: 닫힌서버, url: "http://127.0.0.1:9/feed.xml", type: feed}}
"""
    sources = write_sources(tmp_path, server, extra)
    r = run(sources, tmp_path, DAY1)
    errors = {s.name: s.error for s in r.sources}
    assert errors["없는피드"] is not None and "HTTP 404" in errors["없는피드"]
    assert errors["캡차"] is not None and "not a feed" in errors["캡차"]
    assert errors["닫힌서버"] is not None and "cannot connect" in errors["닫힌서버"]
    assert errors["메디온뉴스"] is None
    assert r.digest is not None and r.digest.item_count == 5
    db = sqlite3.connect(tmp_path / "state.sqlite")
    status = dict(db.execute("SELECT name, last_status FROM sources").fetchall())
    assert "HTTP 404" in status["없는피드"] and status["메디온뉴스"] == "ok"


def test_a_bug_on_one_sources_bytes_is_that_sources_line_and_the_rest_goes_on(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault of ours (here injected into the feed parser, for one feed only) does not stop the
    run: that source reports an internal error, the others are collected and mailed."""
    from digest import newitems as collect

    real = collect.parse_feed

    def faulty(body: bytes, url: str, **kw: Any) -> Any:
        if "/atom/" in url:
            raise KeyError("a bug of ours")
        return real(body, url, **kw)

    monkeypatch.setattr(collect, "parse_feed", faulty)
    monkeypatch.setattr("digest.workerpool.pool", lambda: None)  # the fault is in this process
    serve_day(server, "day1")
    r = run(write_sources(tmp_path, server), tmp_path, DAY1)
    errors = {s.name: s.error for s in r.sources}
    assert errors["실버케어뉴스"] is not None and "internal error (KeyError" in errors["실버케어뉴스"]
    assert [n for n, e in errors.items() if e] == ["실버케어뉴스"]
    assert r.error is None and r.published and r.digest is not None and r.digest.item_count == 4


def test_one_bad_link_is_that_items_note_and_the_sources_good_items_are_stored(
    server: LoopbackServer, tmp_path: Path
) -> None:
    body = "경기 군포시가 홀몸 어르신 300가구에 AI 돌봄로봇을 보급한다고 밝혔다. 낙상을 감지하면 알린다. " * 4
    when = "Wed, 12 Jun 2024 09:00:00 +0900"
    items = "".join(
        f"<item><title>돌봄로봇 {n}</title><link>{link}</link><guid>g{n}</guid><pubDate>{when}</pubDate>"
        f"<description>요약 {n}</description><content:encoded><![CDATA[<p>{n} {body}</p>]]></content:encoded></item>"
        for n, link in ((1, "http://127.0.0.1:99999/news/1.html"), (2, server.url("/news/2.html")))
    )
    server.add(
        "/one.xml",
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        f"{items}</channel></rss>",
    )
    sources = tmp_path / "one.yaml"
    sources.write_text(f'sources:\n  - {{name: 한곳, url: "{server.url("/one.xml")}"}}\n', encoding="utf-8")
    r = run(sources, tmp_path, DAY1)
    (report,) = r.sources
    # The bad link is that item's note (it keeps its feed text); the source and its good item go on.
    assert report.error is None and report.new == 2, report
    assert any("127.0.0.1:99999/news/1.html" in n for n in report.notes), report.notes
    assert r.digest is not None and r.digest.item_count == 2


def test_slow_pages_keep_their_feed_summary_and_are_fetched_on_the_next_collect(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """A source's article pages that trickle past its time budget do not make the run long:
    their items are stored with the feed summary and the next collect fetches the pages."""
    body = (
        "<p>"
        + "보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다. 낙상 감지와 투약 알림을 시험한다. " * 4
        + "</p>"
    )
    when = "Wed, 12 Jun 2024 09:00:00 +0900"
    items = "".join(
        f"<item><title>돌봄 로봇 실증 {n}</title><link>{server.url(f'/slow/{n}.html')}</link>"
        f"<guid>slow-{n}</guid><pubDate>{when}</pubDate><description>요약 {n}: 돌봄 로봇 실증</description></item>"
        for n in range(3)
    )
    server.add(
        "/slow.xml",
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
    )
    for n in range(3):
        page = f"<html><head><title>돌봄 로봇 실증 {n}</title></head><body><article>{body}</article></body></html>"
        server.add(f"/slow/{n}.html", page, content_type="text/html; charset=utf-8", delay=12.0)
    sources = tmp_path / "slow.yaml"
    sources.write_text(
        f'sources:\n  - {{name: 느린곳, url: "{server.url("/slow.xml")}"}}\nfetch: {{source_budget: 1.5}}\n',
        encoding="utf-8",
    )
    settings = load_settings(sources)
    started = time_module.monotonic()
    first = pipeline.collect(settings, tmp_path / "state.sqlite", now=evening(DAY1))
    assert time_module.monotonic() - started < 8.0, "the budget did not bound the source (pages take 12 s)"
    (report,) = first.sources
    assert report.error is None and report.new == 3
    assert sum("not fetched in the source's time" in n for n in report.notes) == 3
    db = sqlite3.connect(tmp_path / "state.sqlite")
    rows = db.execute("SELECT extract_status, summary, text FROM items ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["deferred"] * 3 and all(
        r[1].startswith("요약") and not r[2] for r in rows
    )

    for n in range(3):
        server.routes[f"/slow/{n}.html"].delay = 0.0
    second = pipeline.collect(settings, tmp_path / "state.sqlite", now=evening(DAY1))
    (report,) = second.sources
    assert any("3 of 3 page(s) left from an earlier collect fetched" in n for n in report.notes), report.notes
    rows = db.execute("SELECT extract_status, text FROM items ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["ok"] * 3 and all("돌봄 로봇 실증을 시작한다" in r[1] for r in rows)


def test_an_item_stored_with_a_year_1_date_does_not_stop_the_digest(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """A state written by an older digest holds an item dated 0001-01-01 at +14:00, which no zone
    can show: the digest is still built and sent, the item with an unknown date."""
    from datetime import timezone

    from digest.models import NewItem
    from digest.storage import Store

    year_1 = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with Store(tmp_path / "state.sqlite") as store:
        store.add_items(
            [
                NewItem(
                    source="메디온뉴스",
                    url="http://127.0.0.1/old/1.html",
                    canonical_url="http://127.0.0.1/old/1.html",
                    guid="old-1",
                    title="요양원 돌봄 로봇 실증 착수",
                    summary="보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다.",
                    text="보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다.",
                    published=year_1,
                    author=None,
                    content_hash="h-old-1",
                )
            ],
            evening(DAY1),
        )
    serve_day(server, "day1")
    r = run(write_sources(tmp_path, server), tmp_path, DAY1)
    assert r.error is None and r.published and r.digest is not None
    old = [
        it
        for sec in r.digest.sections
        for st in sec.stories
        for it in st.items
        if it.url.endswith("/old/1.html")
    ]
    assert len(old) == 1 and old[0].published is None
    assert "요양원 돌봄 로봇 실증 착수" in (tmp_path / "out" / DAY1.isoformat() / "email.txt").read_text(
        "utf-8"
    )


def test_article_page_404_keeps_the_feed_summary(server: LoopbackServer, tmp_path: Path) -> None:
    serve_day(server, "day1")
    del server.routes["/rss/news/102.html"]
    r = run(write_sources(tmp_path, server), tmp_path, DAY1)
    medion = next(s for s in r.sources if s.name == "메디온뉴스")
    assert medion.new == 2 and medion.failed == 1
    assert any("HTTP 404" in n for n in medion.notes)
    d = digest_json(tmp_path, DAY1)
    story = next(s for t in d["themes"] for s in t["stories"] if s["title"].startswith("병원계"))
    assert story["summary"].startswith("대한병원협회는")


def test_cli_exit_codes_and_summary(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {name: x, url: 'ftp://nope'}\n", encoding="utf-8")
    assert (
        cli.main(["run", "--sources", str(bad), "--state", str(tmp_path / "s"), "--out", str(tmp_path)]) == 2
    )
    assert "sources[0].url" in capsys.readouterr().err
    assert not (tmp_path / "s").exists(), "nothing is touched when the configuration is invalid"

    dead = tmp_path / "dead.yaml"
    dead.write_text("sources:\n  - {name: x, url: 'http://127.0.0.1:9/feed.xml'}\n", encoding="utf-8")
    assert (
        cli.main(
            [
                "run",
                "--sources",
                str(dead),
                "--state",
                str(tmp_path / "d.sqlite"),
                "--out",
                str(tmp_path / "o"),
                "--date",
                "2024-06-12",
            ]
        )
        == 1
    )
    assert "every source failed" in capsys.readouterr().err

    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    code = cli.main(
        [
            "run",
            "--sources",
            str(sources),
            "--state",
            str(tmp_path / "c.sqlite"),
            "--out",
            str(tmp_path / "out"),
            "--date",
            "2024-06-12",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "메디온뉴스" in out and "new   2" in out
    assert "규제샌드박스·특구" in out and "digest.json" in out


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "index.html" in out
    days = sorted(p.name for p in (tmp_path / "demo").iterdir() if p.is_dir())
    assert len(days) == 2
    d1, d2 = (json.loads((tmp_path / "demo" / d / "digest.json").read_text("utf-8")) for d in days)
    validate_digest_schema(d1)
    validate_digest_schema(d2)
    assert urls(d1) and urls(d2) and urls(d1).isdisjoint(urls(d2))
    for name in ("digest.md", "email.html", "email.txt", "index.html"):
        assert (tmp_path / "demo" / days[0] / name).stat().st_size > 500


def test_mail_goes_once_per_reader_and_failures_are_retried(server: LoopbackServer, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    from .test_email import Handler, _free_port

    handler = Handler(refuse={"b@example.com"}, defer={"c@example.com"})
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        serve_day(server, "day1")
        extra = f"""delivery:
  email:
    recipients: [a@example.com, b@example.com, c@example.com]
    from: "헬스테크 데일리 <digest@example.com>"
    smtp: {{host: 127.0.0.1, port: {controller.port}, security: none, timeout: 5}}
"""
        sources = write_sources(tmp_path, server, extra)
        # --no-send: the messages are written as .eml files; nothing is sent or consumed.
        r0 = run(sources, tmp_path, DAY1, no_send=True)
        assert handler.received == [] and any("written" in line for line in r0.deliveries)
        outbox = tmp_path / "out" / "2024-06-12" / "outbox"
        assert sorted(p.name for p in outbox.iterdir()) == [
            "a@example.com.eml",
            "b@example.com.eml",
            "c@example.com.eml",
        ]

        r1 = run(sources, tmp_path, DAY1)
        assert r1.delivery_failed
        assert [rcpt for m in handler.received for rcpt in m.rcpt_tos] == ["a@example.com"]
        assert any(
            "FAILED for b@example.com" in line and "550" in line and "permanent" in line
            for line in r1.deliveries
        )
        assert any(
            "FAILED for c@example.com" in line and "450" in line and "temporary" in line
            for line in r1.deliveries
        )

        # c's mailbox is back: a later run (after the backoff) sends to c only; b (550) is not retried.
        handler.defer.clear()
        handler.refuse.clear()
        later = evening(DAY1) + timedelta(hours=1)
        r2 = pipeline.run(
            load_settings(sources), tmp_path / "state.sqlite", tmp_path / "out", DAY1, now=later
        )
        assert [rcpt for m in handler.received for rcpt in m.rcpt_tos] == ["a@example.com", "c@example.com"]
        assert not r2.delivery_failed
        r3 = pipeline.run(
            load_settings(sources), tmp_path / "state.sqlite", tmp_path / "out", DAY1, now=later
        )
        assert len(handler.received) == 2
        assert not any("sent to" in line for line in r3.deliveries)
        body = handler.received[0].data.decode("ascii", "replace")
        assert "multipart/alternative" in body
        with sqlite3.connect(tmp_path / "state.sqlite") as db:
            rows = dict(db.execute("SELECT recipient, status FROM outbox").fetchall())
        assert rows == {"a@example.com": "sent", "b@example.com": "failed", "c@example.com": "sent"}
    finally:
        controller.stop()


def test_stories_command_shows_why_items_were_joined(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    run(sources, tmp_path, DAY1)
    capsys.readouterr()
    state = str(tmp_path / "state.sqlite")
    assert cli.main(["stories", "--sources", str(sources), "--state", state, "--date", "2024-06-12"]) == 0
    out = capsys.readouterr().out
    assert "[regulatory_sandbox]" in out and "placement: regulatory_sandbox" in out
    assert "joined: 메디온뉴스 ↔ 실버라이프신문: text overlap" in out


def test_run_publishes_the_site_and_publish_rebuilds_it(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    extra = "delivery:\n  site:\n    dir: public\n"
    sources = write_sources(tmp_path, server, extra)
    r = run(sources, tmp_path, DAY1)
    site = tmp_path / "public"  # relative to the configuration file
    assert any("site: published" in line for line in r.deliveries)
    assert "손목시계형 심전도" in (site / "index.html").read_text("utf-8")
    assert (site / "2024-06-12" / "digest.json").exists() and (site / "feed.xml").exists()
    # --no-send publishes nothing new.
    serve_day(server, "day2")
    run(sources, tmp_path, DAY2, no_send=True)
    assert not (site / "2024-06-13").exists()
    capsys.readouterr()
    other = tmp_path / "elsewhere"
    state = str(tmp_path / "state.sqlite")
    args = ["publish", "--sources", str(sources), "--state", state, "--out", str(tmp_path / "out")]
    assert cli.main([*args, "--site", str(other)]) == 0
    assert "open" in capsys.readouterr().out
    assert (other / "archive.html").exists() and (other / "2024-06-12" / "index.html").exists()
    assert not (other / "2024-06-13").exists(), "a --no-send preview is not published"


def test_a_run_killed_half_way_through_the_readers_resends_to_nobody_who_had_it(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """The digest process is SIGKILLed while the SMTP server holds the second message, before it
    answers. The next run sends to the second and later readers only; the first reader, whose
    delivery was acknowledged and recorded, gets nothing twice. The second message, never
    acknowledged, goes again with the same Message-ID (a mail client folds the two)."""
    import os
    import signal
    import subprocess
    import sys
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    from .test_email import Handler, Received, _free_port

    class KillOnSecond(Handler):
        victim: subprocess.Popen[bytes] | None = None

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, False)
            )
            if len(self.received) == 2 and self.victim is not None:
                os.kill(self.victim.pid, signal.SIGKILL)  # the digest dies before the answer
                self.victim.wait()
                return "451 4.3.0 the client is gone"
            return "250 OK"

    handler = KillOnSecond()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        serve_day(server, "day1")
        readers = ["r1@example.com", "r2@example.com", "r3@example.com"]
        extra = f"""delivery:
  email:
    recipients: [{", ".join(readers)}]
    smtp: {{host: 127.0.0.1, port: {controller.port}, security: none, timeout: 5}}
"""
        sources = write_sources(tmp_path, server, extra)
        args = [
            sys.executable,
            "-m",
            "digest",
            "run",
            "--sources",
            str(sources),
            "--state",
            str(tmp_path / "state.sqlite"),
            "--out",
            str(tmp_path / "out"),
            "--date",
            "2024-06-12",
        ]
        handler.victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert handler.victim.wait(timeout=60) == -signal.SIGKILL
        assert [m.rcpt_tos for m in handler.received] == [["r1@example.com"], ["r2@example.com"]]

        handler.victim = None
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        got = [m.rcpt_tos[0] for m in handler.received]
        assert got == ["r1@example.com", "r2@example.com", "r2@example.com", "r3@example.com"]
        ids = [message_from_bytes(m.data)["Message-ID"] for m in handler.received]
        assert ids[1] == ids[2], "the unacknowledged message is resent with the same Message-ID"
    finally:
        controller.stop()


def test_hostile_feed_links_are_refused_and_the_run_goes_on(server: LoopbackServer, tmp_path: Path) -> None:
    """Links into the metadata service or private ranges are never fetched; the items keep their
    feed summary and the run notes why."""
    serve_day(server, "day1")
    items = "".join(
        f"<item><title>링크 {i}</title><link>{link}</link><description>요약 {i}입니다.</description>"
        f"<pubDate>Wed, 12 Jun 2024 09:00:00 +0900</pubDate></item>"
        for i, link in enumerate(
            ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/admin", "file:///etc/passwd"]
        )
    )
    server.add(
        "/hostile.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>h</title>{items}</channel></rss>',
    )
    sources = write_sources(
        tmp_path, server, f'  - {{name: 수상한피드, url: "{server.url("/hostile.xml")}"}}\n'
    )
    r = run(sources, tmp_path, DAY1)
    hostile = next(s for s in r.sources if s.name == "수상한피드")
    assert hostile.error is None and hostile.new == 2 and hostile.failed == 2
    assert sum("non-public" in n for n in hostile.notes) == 2
    assert any("without a usable link" in n for n in hostile.notes)
    assert all(p != "/latest/meta-data/" for p, _ in server.requests)


def test_explain_shows_why_a_story_is_under_its_theme(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    run(sources, tmp_path, DAY1)
    capsys.readouterr()
    state = str(tmp_path / "state.sqlite")
    url = server.url("/euckr/news/201.html")
    assert cli.main(["explain", url, "--sources", str(sources), "--state", state]) == 0
    out = capsys.readouterr().out
    assert "placed under: regulatory_sandbox" in out
    assert "실증특례" in out and "every theme:" in out and "ai_demos" in out
    assert cli.main(["explain", "s-nope", "--sources", str(sources), "--state", state]) == 1


def test_labeled_examples_train_a_model_that_explain_shows(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(server, "day1")
    examples = tmp_path / "examples.jsonl"
    examples.write_text(
        "\n".join(
            json.dumps({"url": path, "theme": theme})
            for path, theme in [
                ("/rss/news/101.html", "regulatory_sandbox"),
                ("/euckr/news/201.html", "regulatory_sandbox"),
                ("/atom/news/301.html", "silver_devices"),
                ("/json/news/401.html", "ai_demos"),
                ("/rss/news/102.html", "other"),
            ]
        ),
        encoding="utf-8",
    )
    sources = write_sources(tmp_path, server)
    sources.write_text(sources.read_text("utf-8") + "examples: examples.jsonl\n", encoding="utf-8")
    run(sources, tmp_path, DAY1)
    capsys.readouterr()
    state = str(tmp_path / "state.sqlite")
    assert (
        cli.main(["explain", server.url("/atom/news/301.html"), "--sources", str(sources), "--state", state])
        == 0
    )
    out = capsys.readouterr().out
    assert "placed under: silver_devices" in out
    assert "learned model: silver_devices" in out


def test_a_feed_summary_is_shown_as_written_unless_it_is_a_whole_article() -> None:
    from digest.models import SUMMARY_CHARS
    from digest.newitems import feed_summary as _feed_summary

    short = "요양시설 열 곳에서 돌봄로봇 실증이 시작됐다. 고령친화 업체 다섯 곳이 참여한다."
    assert _feed_summary(short + "\n무단전재 및 재배포 금지") == short
    article = "복지부는 돌봄로봇 실증을 시작한다고 밝혔다. " + " ".join(
        f"{n}번째 문단에서 업체들은 실증 결과를 설명했다." for n in range(200)
    )
    shown = _feed_summary(article)
    assert shown.startswith("복지부는 돌봄로봇 실증을 시작한다고 밝혔다.") and len(shown) <= SUMMARY_CHARS
    assert _feed_summary("") == "" and _feed_summary("가" * 4_000_000).endswith("…")


def test_pages_extracted_in_a_worker_process_make_the_same_digest(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Article pages go to a worker process when a core is spare (real processes, spawned);
    # what they give is what the CPU thread gives, EUC-KR pages included, and the worker's
    # extraction time is counted in the run's timings.
    from digest import timing, workerpool

    serve_day(server, "day1")
    docs = {}
    for workers in ("0", "1"):
        monkeypatch.setenv("DIGEST_WORKERS", workers)
        workerpool.reset()
        folder = tmp_path / workers
        folder.mkdir()
        before = timing.snapshot().get("extract", (0.0, 0))[1]
        r = run(write_sources(folder, server), folder, DAY1)
        assert not any(s.error for s in r.sources)
        assert timing.snapshot().get("extract", (0.0, 0))[1] > before
        assert ("pages" in workerpool._POOLS) == ("analyser" in workerpool._POOLS) == (workers == "1")
        doc = digest_json(folder, DAY1)
        docs[workers] = [t for t in doc["themes"]]
    workerpool.reset()
    assert docs["1"] == docs["0"] and sum(len(t["stories"]) for t in docs["1"]) >= 3


def test_a_run_writes_its_stage_timings_when_asked(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DIGEST_TIMINGS=FILE: the command writes, at exit, the seconds and calls of each stage
    # (what benchmarks/bench_run.py reads); without it, no file.
    from digest import cli

    serve_day(server, "day1")
    sources = write_sources(tmp_path, server)
    timings = tmp_path / "timings.json"
    monkeypatch.setenv("DIGEST_TIMINGS", str(timings))
    args = [
        "run",
        "--sources",
        str(sources),
        "--state",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(tmp_path / "out"),
    ]
    assert cli.main([*args, "--date", DAY1.isoformat(), "--no-send"]) == 0
    data = json.loads(timings.read_text(encoding="utf-8"))
    for stage in ("fetch", "parse", "extract", "analyse", "store", "cluster", "themes", "render", "write"):
        assert data["stages"][stage] >= 0 and data["calls"][stage] >= 1, stage
    assert data["wall"] > 0 and data["peak_rss_mb"] > 0
