"""The demo server against real HTTP on 127.0.0.1, with the bundled demo site and small temp sites."""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from digest.demo.server import DATA_DIR, DemoServer, main, serve

DAY1 = DATA_DIR / "day1"
DAY2 = DATA_DIR / "day2"
ROOT = Path(__file__).resolve().parent.parent
LABELS = json.loads((DATA_DIR / "labels.json").read_text(encoding="utf-8"))


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Reply:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    with serve(DAY1) as srv:
        yield srv


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.html").write_text("<p>{base}/news/a.html</p>", encoding="utf-8")
    (tmp_path / "news" / "articleView.html@idxno=7").write_text("<p>seven</p>", encoding="utf-8")
    (tmp_path / "index.html").write_text("<p>home</p>", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / ".secret").write_text("hidden", encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------------------- the bundled site


def test_base_placeholder_is_replaced_in_feeds_and_pages(demo: DemoServer) -> None:
    reply = get(demo.url("/medinews/rss/allArticle.xml"))
    assert reply.status == 200
    assert reply.content_type == "application/rss+xml; charset=UTF-8"
    text = reply.body.decode("utf-8")
    assert "{base}" not in text
    links = [el.text or "" for el in ET.fromstring(reply.body).iter("link")]
    assert links and all(link.startswith(demo.base_url + "/") for link in links)
    page = get(demo.url("/policybrief/index.html")).body.decode("utf-8")
    assert "{base}" not in page
    assert f'href="{demo.base_url}/policybrief/briefing/148921.html"' in page


def test_base_url_is_loopback_without_trailing_slash(demo: DemoServer) -> None:
    assert demo.base_url == f"http://127.0.0.1:{demo.port}"


def test_euckr_feed_and_pages_are_served_as_euckr(demo: DemoServer) -> None:
    feed = get(demo.url("/silvertimes/rss/news.xml"))
    assert feed.content_type == "application/rss+xml; charset=EUC-KR"
    assert feed.body.startswith(b'<?xml version="1.0" encoding="euc-kr"?>')
    with pytest.raises(UnicodeDecodeError):
        feed.body.decode("utf-8")
    text = feed.body.decode("euc-kr")
    assert "군포시, 홀몸 어르신 300가구에 AI 돌봄로봇" in text
    assert f"{demo.base_url}/silvertimes/bbs/news/3412.html" in text
    page = get(demo.url("/silvertimes/bbs/news/3412.html"))
    assert page.content_type == "text/html; charset=EUC-KR"
    assert "늘봄이" in page.body.decode("euc-kr")


def test_atom_and_json_feed_types(demo: DemoServer) -> None:
    assert get(demo.url("/caretech/atom.xml")).content_type == "application/atom+xml; charset=UTF-8"
    reply = get(demo.url("/hcinsight/feed.json"))
    assert reply.content_type == "application/feed+json; charset=UTF-8"
    feed = json.loads(reply.body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert all(item["url"].startswith(demo.base_url) for item in feed["items"])


def test_query_string_article_urls_are_served(demo: DemoServer) -> None:
    reply = get(demo.url("/medinews/news/articleView.html?idxno=21495"))
    assert reply.status == 200
    assert reply.content_type == "text/html; charset=UTF-8"
    assert "비접촉 레이더 돌봄" in reply.body.decode("utf-8")
    # the feed's tracking variant reaches the same page
    tracked = get(demo.url("/medinews/news/articleView.html?idxno=21502&utm_source=rss&utm_medium=feed"))
    assert tracked.status == 200
    assert tracked.body == get(demo.url("/medinews/news/articleView.html?idxno=21502")).body
    # an unknown article number is not found (there is no bare articleView.html)
    assert get(demo.url("/medinews/news/articleView.html?idxno=1")).status == 404


def test_every_labelled_article_is_served_on_its_day_and_after(demo: DemoServer) -> None:
    for day, root in ((1, DAY1), (2, DAY2)):
        demo.set_root(root)
        for article in LABELS["articles"]:
            status = get(demo.url(article["url"])).status
            assert status == (200 if article["day"] <= day else 404), (day, article["url"])


def test_every_feed_link_is_served(demo: DemoServer) -> None:
    demo.set_root(DAY2)
    links: list[str] = []
    rss = get(demo.url("/medinews/rss/allArticle.xml")).body
    links += [el.text or "" for el in ET.fromstring(rss).iter("link")]
    # expat reads no EUC-KR: decode first, then drop the declaration
    euckr = get(demo.url("/silvertimes/rss/news.xml")).body.decode("euc-kr").split("?>", 1)[1]
    links += [el.text or "" for el in ET.fromstring(euckr).iter("link")]
    atom = ET.fromstring(get(demo.url("/caretech/atom.xml")).body)
    links += [el.get("href", "") for el in atom.iter("{http://www.w3.org/2005/Atom}link")]
    links += [item["url"] for item in json.loads(get(demo.url("/hcinsight/feed.json")).body)["items"]]
    for link in links:
        assert get(link).status == 200, link
    linked = {link.removeprefix(demo.base_url).split("&utm_", 1)[0] for link in links}
    in_feeds = {a["url"] for a in LABELS["articles"] if a["outlet"] != "policybrief"}
    assert in_feeds <= linked


def test_conditional_get_answers_304(demo: DemoServer) -> None:
    url = demo.url("/caretech/atom.xml")
    first = get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    again = get(url, {"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.headers["etag"] == etag
    assert get(url, {"If-None-Match": '"something-else"'}).status == 200
    assert get(url, {"If-Modified-Since": last_modified}).status == 304
    assert get(url, {"If-Modified-Since": formatdate(0, usegmt=True)}).status == 200
    # If-None-Match wins over If-Modified-Since
    assert get(url, {"If-None-Match": '"nope"', "If-Modified-Since": last_modified}).status == 200


def test_day_switch_serves_new_bytes_and_new_validators(demo: DemoServer) -> None:
    url = demo.url("/caretech/atom.xml")
    day1 = get(url)
    assert "ct240613a" not in day1.body.decode("utf-8")
    demo.set_root(DAY2)
    assert demo.root == DAY2.resolve()
    assert get(url, {"If-None-Match": day1.headers["etag"]}).status == 200
    assert get(url, {"If-Modified-Since": day1.headers["last-modified"]}).status == 200
    day2 = get(url)
    assert "ct240613a" in day2.body.decode("utf-8")
    assert "ct240612a" in day2.body.decode("utf-8")  # day-2 feeds still list day-1 items
    assert get(url, {"If-None-Match": day2.headers["etag"]}).status == 304
    # a day-2 article does not exist on day 1
    demo.set_root(DAY1)
    assert get(demo.url("/caretech/story/ct240613a.html")).status == 404


def test_gzip_when_asked(demo: DemoServer) -> None:
    url = demo.url("/hcinsight/feed.json")
    plain = get(url)
    packed = get(url, {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.body) == plain.body
    assert get(url, {"Accept-Encoding": "gzip;q=0, identity"}).headers.get("content-encoding") is None
    # the gzip variant's ETag also validates
    assert get(url, {"If-None-Match": packed.headers["etag"]}).status == 304


def test_head_sends_headers_only(demo: DemoServer) -> None:
    reply = get(demo.url("/medinews/rss/allArticle.xml"), method="HEAD")
    assert reply.status == 200
    assert reply.body == b""
    assert int(reply.headers["content-length"]) > 1000


def test_requests_are_recorded_not_logged(demo: DemoServer, capfd: pytest.CaptureFixture[str]) -> None:
    get(demo.url("/medinews/rss/allArticle.xml"), {"User-Agent": "digest-test"})
    get(demo.url("/nope.html"))
    seen = [(r.method, r.path, r.status) for r in demo.requests]
    assert seen[-2:] == [("GET", "/medinews/rss/allArticle.xml", 200), ("GET", "/nope.html", 404)]
    assert ("User-Agent", "digest-test") in demo.requests[-2].headers
    out, err = capfd.readouterr()
    assert err == ""
    assert out == ""


# ---------------------------------------------------------------------------- the mapping, on a temp site


def test_missing_hidden_and_outside_files_are_404(site: Path) -> None:
    (site.parent / "outside.html").write_text("outside", encoding="utf-8")
    with serve(site) as srv:
        assert get(srv.url("/news/a.html")).status == 200
        for path in (
            "/news/missing.html",
            "/.secret",
            "/news/../../outside.html",
            "/%2e%2e/outside.html",
            "/news/%2e%2e/%2e%2e/outside.html",
            "/empty/",
            "/empty",
        ):
            assert get(srv.url(path)).status == 404, path


def test_directories_are_served_by_index_html_never_listed(site: Path) -> None:
    with serve(site) as srv:
        home = get(srv.url("/"))
        assert home.status == 200
        assert home.body == b"<p>home</p>"
        assert get(srv.url("/news/")).status == 404  # no index.html, and no listing


def test_query_file_naming_scheme(site: Path) -> None:
    with serve(site) as srv:
        assert get(srv.url("/news/articleView.html?idxno=7")).body == b"<p>seven</p>"
        assert get(srv.url("/news/articleView.html?idxno=7&utm_campaign=x")).body == b"<p>seven</p>"
        assert get(srv.url("/news/articleView.html?idxno=8")).status == 404
        # a query on a plain file is ignored, as static servers do
        assert get(srv.url("/index.html?page=2")).body == b"<p>home</p>"
        assert get(srv.url("/news/a.html?q=../../x")).status == 200


def test_placeholder_and_charset_on_a_temp_site(site: Path) -> None:
    (site / "k.html").write_bytes('<meta charset="euc-kr"><p>{base} 돌봄</p>'.encode("cp949"))
    (site / "f.xml").write_bytes('<?xml version="1.0" encoding="EUC-KR"?><rss>{base}</rss>'.encode("cp949"))
    (site / "plain.xml").write_bytes(b"<?xml version='1.0'?><urlset/>")
    with serve(site) as srv:
        page = get(srv.url("/k.html"))
        assert page.content_type == "text/html; charset=EUC-KR"
        assert page.body.decode("euc-kr") == f'<meta charset="euc-kr"><p>{srv.base_url} 돌봄</p>'
        assert get(srv.url("/f.xml")).content_type == "application/rss+xml; charset=EUC-KR"
        assert get(srv.url("/plain.xml")).content_type == "application/xml; charset=UTF-8"
        assert get(srv.url("/news/a.html")).body.decode() == f"<p>{srv.base_url}/news/a.html</p>"


# ---------------------------------------------------------------------------- binding and lifecycle


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.0.10", "example.com", ""])
def test_refuses_non_loopback_hosts(site: Path, host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        serve(site, host=host)


def test_ipv6_loopback(site: Path) -> None:
    try:
        srv = serve(site, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with srv:
        assert srv.base_url.startswith("http://[::1]:")
        assert get(srv.url("/news/a.html")).status == 200


def test_set_root_refuses_a_missing_folder(demo: DemoServer, tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        demo.set_root(tmp_path / "nope")
    assert demo.root == DAY1.resolve()


def test_close_releases_the_port(site: Path) -> None:
    srv = serve(site)
    url = srv.url("/index.html")
    assert get(url).status == 200
    srv.close()
    srv.close()  # twice is fine
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


def test_command_line_refuses_a_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope"), "--port", "0"]) == 2
    assert "cannot serve" in capsys.readouterr().err


def test_python_m_serves_by_hand() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest.demo.server", str(DAY2), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        assert match, line
        reply = get(match.group(1) + "/medinews/rss/allArticle.xml")
        assert reply.status == 200
        assert match.group(1).encode() + b"/medinews/news/articleView.html?idxno=21537" in reply.body
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    # Nothing on stderr but, at most, runpy's note that `digest.demo` imported `.server` early.
    assert [line for line in err.splitlines() if "found in sys.modules" not in line] == []


def test_the_shipped_demo_data_is_what_its_builder_in_tools_writes(tmp_path: Path) -> None:
    """The demo's built bytes ship in the package; the builder (a development tool) lives in
    tools/ and, run again, gives exactly the shipped files."""
    builder = ROOT / "tools" / "demo" / "build_site.py"
    if not builder.is_file():
        pytest.skip("not a checkout: tools/ is not shipped")
    subprocess.run([sys.executable, str(builder), str(tmp_path)], check=True, timeout=120)
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    shipped = sorted(
        p.relative_to(DATA_DIR) for p in DATA_DIR.rglob("*") if p.is_file() and p.name != "README.md"
    )
    assert built == shipped
    for rel in built:
        assert (tmp_path / rel).read_bytes() == (DATA_DIR / rel).read_bytes(), rel
