"""The static site: built from the real demo run, checked as files, as XML and in headless Chromium."""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from digest.deliver.site import publish
from digest.demo import run_demo
from digest.digestjson import DigestRecord
from digest.errors import DeliveryError

ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = "헬스테크 데일리"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
DATES = ["2024-06-12", "2024-06-13"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    run_demo(out)
    return out


@pytest.fixture(scope="module")
def site(demo_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site") / "site"
    publish(demo_out, site_dir, TITLE)
    return site_dir


def _story(
    sid: str, title: str, url: str, *, outlets: list[str], update: bool = False, earlier: Any = ()
) -> Any:
    return {
        "id": sid,
        "title": title,
        "summary": f"{title} 요약 <b>굵게</b>",
        "is_update": update,
        "theme": "ai_demos",
        "outlets": outlets,
        "items": [
            {"url": url, "title": title, "source": o, "published": "2024-06-13T01:05:00+00:00", "summary": ""}
            for o in outlets
        ],
        "earlier": list(earlier),
    }


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "따옴표" \x00\x07\ud800 ]]>'


@pytest.fixture(scope="module")
def crafted_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days written by hand: hostile text and URLs, an update story, `other` listed first."""
    out = tmp_path_factory.mktemp("crafted") / "out"
    day1 = {
        "date": "2024-06-12",
        "generated_at": "2024-06-12T18:00:00+09:00",
        "title": "x",
        "timezone": "Asia/Seoul",
        "themes": [
            {
                "id": "ai_demos",
                "title": "의료 AI",
                "title_en": "",
                "stories": [
                    _story("s1", "첫 보도", "https://a.example/1", outlets=["가"]),
                ],
            },
        ],
    }
    day2 = {
        "date": "2024-06-13",
        "generated_at": "2024-06-13T18:00:00+09:00",
        "title": "x",
        "timezone": "Asia/Seoul",
        "themes": [
            {
                "id": "other",
                "title": "그 밖의 소식",
                "title_en": "",
                "stories": [
                    _story("s9", HOSTILE, "javascript:alert(3)", outlets=[HOSTILE, "나", "다"]),
                ],
            },
            {
                "id": "ai_demos",
                "title": "의료 AI",
                "title_en": "",
                "stories": [
                    _story(
                        "s1",
                        "후속 기사",
                        "https://a.example/2?a=1&b=<2>",
                        outlets=["가"],
                        update=True,
                        earlier=[
                            {
                                "url": "https://a.example/1",
                                "title": "첫 보도",
                                "source": "가",
                                "issued_on": "2024-06-12",
                            }
                        ],
                    ),
                ],
            },
            {"id": "sandbox", "title": "규제샌드박스", "title_en": "", "stories": []},
        ],
    }
    for day in (day1, day2):
        folder = out / str(day["date"])
        folder.mkdir(parents=True)
        (folder / "digest.json").write_text(json.dumps(day, ensure_ascii=True, indent=2), encoding="utf-8")
    (out / "not-a-date").mkdir()
    (out / "not-a-date" / "digest.json").write_text("{", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def crafted_site(crafted_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("crafted-site") / "site"
    publish(crafted_out, site_dir, TITLE + " <&>", base_url="https://news.example/digest")
    return site_dir


# --------------------------------------------------------------------------- helpers


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.lang = ""
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = values.get("lang", "")
        if "id" in values:
            self.ids.add(values["id"])
        for key in ("href", "src"):
            if key in values:
                self.links.append((tag, values[key]))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _html_files(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


def _snapshot(site_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site_dir)): p.read_bytes() for p in sorted(site_dir.rglob("*")) if p.is_file()}


def _demo_titles(demo_out: Path, day: str) -> list[str]:
    data = json.loads((demo_out / day / "digest.json").read_text(encoding="utf-8"))
    return [story["title"] for theme in data["themes"] for story in theme["stories"]]


# --------------------------------------------------------------------------- files


def test_publish_writes_the_whole_site(site: Path, demo_out: Path) -> None:
    expected = {"index.html", "archive.html", "feed.xml", "site.css"}
    expected |= {f"{d}/{name}" for d in DATES for name in ("index.html", "digest.json")}
    assert set(_snapshot(site)) == expected  # no temp files left behind either
    for day in DATES:
        assert (site / day / "digest.json").read_bytes() == (demo_out / day / "digest.json").read_bytes()
    # index.html is the latest digest, with links one level up from where the day page has them
    latest = (site / "2024-06-13" / "index.html").read_text(encoding="utf-8")
    assert (site / "index.html").read_text(encoding="utf-8").count("2024년 6월 13일 (목)") >= 1
    assert 'href="../site.css"' in latest


def test_publish_returns_its_files_and_is_idempotent(demo_out: Path, tmp_path: Path) -> None:
    first = publish(demo_out, tmp_path / "site", TITLE)
    before = _snapshot(tmp_path / "site")
    mtimes = {p: p.stat().st_mtime_ns for p in first}
    second = publish(demo_out, tmp_path / "site", TITLE)
    assert first == second
    assert sorted(str(p.relative_to(tmp_path / "site")) for p in first) == sorted(before)
    assert _snapshot(tmp_path / "site") == before
    assert {p: p.stat().st_mtime_ns for p in second} == mtimes  # unchanged files are not rewritten


def test_demo_digest_json_reads_back_as_written(demo_out: Path) -> None:
    for day in DATES:
        text = (demo_out / day / "digest.json").read_text(encoding="utf-8")
        record = DigestRecord.from_json(text)
        assert record.to_json() == text
        assert DigestRecord.from_dict(record.to_dict()) == record


def test_day_page_reads_like_the_digest(site: Path, demo_out: Path) -> None:
    html = (site / "2024-06-13" / "index.html").read_text(encoding="utf-8")
    page = _parse(site / "2024-06-13" / "index.html")
    assert page.lang == "ko"
    assert page.headings.count(1) == 1 and page.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    assert "2024년 6월 13일 (목)" in html
    for title in _demo_titles(demo_out, "2024-06-13"):
        assert title.replace("'", "&#39;") in html
    doc = json.loads((demo_out / "2024-06-13" / "digest.json").read_text(encoding="utf-8"))
    counts = [(t["title"], str(len(t["stories"]))) for t in doc["themes"]]
    assert ("새 소식이 없습니다." in html) == any(n == "0" for _, n in counts)
    assert "외 1곳" in html  # the ER triage story was covered by two outlets
    assert re.search(r'<time class="when" datetime="2024-06-13T14:10:00\+09:00">14:10</time>', html)
    # the table of contents counts stories per theme, in the digest's order, `other` last
    toc = re.findall(r'<span class="toc-name">([^<]+)</span> <span class="count">(\d+)건</span>', html)
    assert toc == counts and toc[-1][0] == "그 밖의 소식"
    # prev/next: the 13th links back to the 12th, the 12th forward to the 13th
    assert 'rel="prev" href="../2024-06-12/index.html"' in html
    assert 'rel="next" href="../2024-06-13/index.html"' in (site / "2024-06-12" / "index.html").read_text(
        encoding="utf-8"
    )


def test_archive_lists_every_day_newest_first_with_counts(site: Path, demo_out: Path) -> None:
    html = (site / "archive.html").read_text(encoding="utf-8")
    assert html.index("2024-06-13/index.html") < html.index("2024-06-12/index.html")
    for day in DATES:
        doc = json.loads((demo_out / day / "digest.json").read_text(encoding="utf-8"))
        assert f"스토리 {sum(len(t['stories']) for t in doc['themes'])}건" in html
        for theme in doc["themes"]:
            assert f'{theme["title"]} <span class="count">{len(theme["stories"])}건</span>' in html


def test_every_relative_link_resolves(site: Path, crafted_site: Path) -> None:
    for root in (site, crafted_site):
        pages = {p: _parse(p) for p in _html_files(root)}
        for path, page in pages.items():
            for tag, url in page.links:
                parts = urlsplit(url)
                if parts.scheme:
                    assert parts.scheme in ("http", "https"), (path, url)
                    assert tag == "a", (path, url)  # nothing is loaded from another origin
                    continue
                assert not url.startswith("/"), (path, url)  # relative only: works under any sub-path
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                assert target.is_file(), (path, url)
                if parts.fragment and target.suffix == ".html":
                    target_page = pages.get(target) or _parse(target)
                    assert parts.fragment in target_page.ids, (path, url)


# --------------------------------------------------------------------------- the feed


def _entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


def _href(entry: ET.Element) -> str:
    link = entry.find(f"{ATOM}link")  # (an Element without children is falsy: no `or` here)
    return "" if link is None else link.get("href", "")


def test_feed_is_well_formed_atom(site: Path, demo_out: Path) -> None:
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    assert feed.findtext(f"{ATOM}updated") == "2024-06-13T18:00:00+09:00"
    assert not [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]  # no base_url
    entries = _entries(feed)
    assert len(entries) == len(DATES)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i and i.startswith("urn:uuid:") for i in ids)
    for entry, day in zip(entries, reversed(DATES), strict=True):
        generated = json.loads((demo_out / day / "digest.json").read_text(encoding="utf-8"))["generated_at"]
        updated = entry.findtext(f"{ATOM}updated") or ""
        assert datetime.fromisoformat(updated) == datetime.fromisoformat(generated)
        assert entry.findtext(f"{ATOM}title")
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href") == f"{day}/index.html"
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        assert _demo_titles(demo_out, day)[0] in (content.text or "")


def test_feed_ids_are_stable_per_date(demo_out: Path, tmp_path: Path) -> None:
    publish(demo_out, tmp_path / "a", TITLE)
    only_first = tmp_path / "one-day"
    shutil.copytree(demo_out / "2024-06-12", only_first / "2024-06-12")
    publish(only_first, tmp_path / "b", TITLE)

    def ids(site_dir: Path) -> dict[str, str]:
        feed = ET.parse(site_dir / "feed.xml").getroot()
        return {_href(e): e.findtext(f"{ATOM}id") or "" for e in _entries(feed)}

    assert ids(tmp_path / "b")["2024-06-12/index.html"] == ids(tmp_path / "a")["2024-06-12/index.html"]


def test_feed_with_base_url_has_absolute_links(crafted_site: Path) -> None:
    feed = ET.parse(crafted_site / "feed.xml").getroot()
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == "https://news.example/digest/feed.xml"
    assert links["alternate"] == "https://news.example/digest/index.html"
    assert feed.findtext(f"{ATOM}id") == "https://news.example/digest/"
    assert feed.findtext(f"{ATOM}title") == TITLE + " <&>"  # escaped in the file, intact when parsed
    hrefs = [_href(e) for e in _entries(feed)]
    assert hrefs == [
        "https://news.example/digest/2024-06-13/index.html",
        "https://news.example/digest/2024-06-12/index.html",
    ]


# --------------------------------------------------------------------------- hostile input


ACTIVE_TEXT = re.compile(r"<script|javascript:", re.IGNORECASE)


class _Attributes(HTMLParser):
    """Every tag and attribute of a page, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def _assert_inert(html: str, where: object) -> None:
    assert not ACTIVE_TEXT.search(html), where  # not even as text: "<" is always escaped
    parsed = _Attributes()
    parsed.feed(html)
    assert not {"script", "iframe", "object", "embed", "img", "form", "style"} & set(parsed.tags), where
    for name, value in parsed.attributes:
        assert not re.fullmatch(r"on\w+", name), (where, name)  # no event handler
        if name in ("href", "src", "action"):
            assert urlsplit(value).scheme in ("", "http", "https"), (where, value)


def test_no_active_content_anywhere(site: Path, crafted_site: Path) -> None:
    for root in (site, crafted_site):
        for path in _html_files(root):
            _assert_inert(path.read_text(encoding="utf-8"), path)
        feed = ET.parse(root / "feed.xml").getroot()
        for entry in _entries(feed):
            _assert_inert(entry.findtext(f"{ATOM}content") or "", entry.findtext(f"{ATOM}id"))
            _assert_inert(entry.findtext(f"{ATOM}title") or "", entry.findtext(f"{ATOM}id"))


def test_hostile_text_is_shown_as_text(crafted_site: Path) -> None:
    html = (crafted_site / "2024-06-13" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x00" not in html and "\x07" not in html
    assert "(제목 없음)" not in html  # the title survived, only its controls went
    assert 'href="https://a.example/2?a=1&amp;b=&lt;2&gt;"' in html  # attribute escaped
    # a javascript: URL is never a link: the story title is plain text
    assert re.search(r'<h3 class="story-title">&lt;script', html)
    feed_text = (crafted_site / "feed.xml").read_text(encoding="utf-8")
    ET.fromstring(feed_text)  # well-formed despite NUL, BEL, a lone surrogate and "]]>"
    assert "<script" not in feed_text


def test_update_story_points_at_the_earlier_day(crafted_site: Path) -> None:
    html = (crafted_site / "2024-06-13" / "index.html").read_text(encoding="utf-8")
    assert '<p class="badge">후속 보도</p>' in html
    assert "2024년 6월 12일 (수) 다이제스트에서 전한 소식에 이어지는 보도입니다." in html
    assert 'href="../2024-06-12/index.html#story-s1"' in html
    # `other` comes last whatever the order in digest.json, and an empty theme says so
    assert (
        html.index('id="theme-ai_demos"') < html.index('id="theme-sandbox"') < html.index('id="theme-other"')
    )
    assert "새 소식이 없습니다." in html


def test_an_empty_output_folder_gives_an_empty_site(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    publish(tmp_path / "out", tmp_path / "site", TITLE)
    assert "아직 발행된" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert _entries(ET.parse(tmp_path / "site" / "feed.xml").getroot()) == []


def test_a_broken_digest_json_is_a_delivery_error(tmp_path: Path) -> None:
    (tmp_path / "out" / "2024-06-13").mkdir(parents=True)
    (tmp_path / "out" / "2024-06-13" / "digest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DeliveryError, match=r"digest\.json"):
        publish(tmp_path / "out", tmp_path / "site", TITLE)


# --------------------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def served_site(site: Path) -> Iterator[str]:
    """The site over HTTP on 127.0.0.1 (a random port), under a sub-path."""
    root = site.parent
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{site.name}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _open(browser: Any, url: str, width: int) -> tuple[Any, list[str]]:
    """A page at `width`: console errors and page errors collected; anything not on loopback refused."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("file:") or host in ("127.0.0.1", "::1"):
            route.continue_()
        else:
            problems.append(f"external request: {route.request.url}")
            route.abort()

    page.route("**/*", guard)
    response = page.goto(url, wait_until="load")
    assert response is None or response.ok, url
    return page, problems


@needs_chromium
@pytest.mark.parametrize("path", ["index.html", "2024-06-12/index.html", "archive.html"])
def test_pages_render_in_chromium(browser: Any, served_site: str, demo_out: Path, path: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = "site-" + path.replace("/index.html", "").replace(".html", "")
    for width, label in ((1280, "desktop"), (390, "phone"), (360, "narrow")):
        page, problems = _open(browser, served_site + path, width)
        try:
            assert problems == [], problems
            assert page.evaluate("document.documentElement.lang") == "ko"
            assert page.locator("h1").count() == 1
            # the stylesheet loaded (the cards have a border radius only site.css gives them)
            assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "780px"
            # nothing wider than the phone: no sideways scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            text = page.inner_text("main")
            if path != "archive.html":
                day = "2024-06-13" if path == "index.html" else path.split("/")[0]
                for title in _demo_titles(demo_out, day):
                    assert title in text
            else:
                assert "2024년 6월 13일 (목)" in text and "2024년 6월 12일 (수)" in text
            if label != "narrow":
                page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        finally:
            page.close()


@needs_chromium
def test_keyboard_focus_is_visible_and_navigation_works(browser: Any, served_site: str) -> None:
    page, problems = _open(browser, served_site + "2024-06-13/index.html", 1280)
    try:
        page.keyboard.press("Tab")  # the skip link comes first and shows itself
        focused = page.evaluate("document.activeElement.className")
        assert focused == "skip-link"
        assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")
        page.click("a[rel=prev]")
        assert page.url.endswith("/2024-06-12/index.html")
        page.click("a.daynav-archive")
        assert page.url.endswith("/archive.html")
        assert problems == [], problems
    finally:
        page.close()


@needs_chromium
def test_hostile_text_stays_text_in_chromium(browser: Any, crafted_site: Path) -> None:
    """Opened from a file path: the relative links work there too, and nothing from a feed runs."""
    page, problems = _open(browser, (crafted_site / "2024-06-13" / "index.html").as_uri(), 1280)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.reload(wait_until="load")
        assert problems == [] and dialogs == [], (problems, dialogs)
        assert page.locator("script, img, iframe").count() == 0
        assert "<script>alert(1)</script>" in page.inner_text("main")
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "780px"
        assert page.locator(".story-update .badge").inner_text() == "후속 보도"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "site-hostile-update-desktop.png"), full_page=True)
        page.click("text=지난 보도 다시 보기")
        assert page.url.endswith("/2024-06-12/index.html#story-s1")
        page.go_back()
        page.set_viewport_size({"width": 360, "height": 800})  # a very long outlet name still fits
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "site-hostile-update-narrow.png"), full_page=True)
    finally:
        page.close()


def test_feed_reads_cleanly_in_a_feed_reader(site: Path, demo_out: Path) -> None:
    """A reader's view of validity: feedparser finds Atom 1.0, no error, an entry per digest."""
    import io

    import feedparser

    parsed = feedparser.parse(io.BytesIO((site / "feed.xml").read_bytes()))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == len(DATES)
    assert all(e.get("id") and e.get("updated") and e.get("link") for e in parsed.entries)


def test_a_date_only_item_shows_its_date_and_subtitles_show_under_titles(tmp_path: Path) -> None:
    def item(url: str, source: str, published: str, **more: Any) -> dict[str, Any]:
        return {
            "url": url,
            "title": f"{source} 기사",
            "source": source,
            "published": published,
            "summary": "",
        } | more

    one = _story("s1", "돌봄 로봇 실증", "https://a.example/1", outlets=["가"])
    one["items"] = [
        item(
            "https://a.example/1",
            "가",
            "2024-06-12T00:00:00+09:00",
            time_known=False,
            subtitle="부제 하나\n부제 둘",
        )
    ]
    many = _story("s2", "원격 협진 확대", "https://a.example/2", outlets=["나", "다", "라"])
    many["items"] = [
        item("https://a.example/2", "나", "2024-06-13T10:05:00+09:00", subtitle="의원 120곳 참여"),
        item("https://a.example/3", "다", "2023-06-12T00:00:00+09:00", time_known=False),
        item("https://a.example/4", "라", "2024-06-13T00:00:00+09:00"),  # midnight, a real time
    ]
    day = {
        "date": "2024-06-13",
        "generated_at": "2024-06-13T18:00:00+09:00",
        "title": "x",
        "timezone": "Asia/Seoul",
        "themes": [{"id": "ai_demos", "title": "의료 AI", "title_en": "", "stories": [one, many]}],
    }
    out = tmp_path / "out" / "2024-06-13"
    out.mkdir(parents=True)
    (out / "digest.json").write_text(json.dumps(day, ensure_ascii=False), encoding="utf-8")
    publish(tmp_path / "out", tmp_path / "site", TITLE)
    html = (tmp_path / "site" / "2024-06-13" / "index.html").read_text("utf-8")
    assert '<time class="when" datetime="2024-06-12">6월 12일</time>' in html  # a single-item story
    assert '<time class="when" datetime="2023-06-12">2023년 6월 12일</time>' in html  # another year
    assert '<time class="when" datetime="2024-06-13T00:00:00+09:00">00:00</time>' in html  # given: shown
    assert html.count(">00:00<") == 1
    assert (
        '<h3 class="story-title"><a href="https://a.example/1">돌봄 로봇 실증</a></h3>\n<p class="subtitle">부제 하나 · 부제 둘</p>'
        in html
    )
    assert '<span class="item-subtitle">의원 120곳 참여</span></li>' in html
    assert html.count('class="subtitle"') == 1, (
        "a story of several shows its items' subtitles, not one of its own"
    )
