"""The hostile-input corpus beside the project (`../shared/corpus/robustness`, skipped when absent)
through the real path: each file served on 127.0.0.1 as one source (with the HTTP headers its
comment asks for, gzip for the bomb), collected, extracted, stored, assembled, rendered, mailed
as .eml and published as a site with its Atom feed.

Asserted: no exception escapes a source (no "internal error" line), every file is parsed or
refused in one line, and no output holds live markup — checked with an HTML5 parser (lexbor),
not substrings: no script/iframe/object/embed/base/form/meta-refresh/svg-script element, no `on*`
attribute, no `srcdoc`, no `javascript:`/`vbscript:`/`data:` URL.

No DNS is asked: the run's resolver refuses every name, so the corpus's links to example.org and
friends end as one-line notes and the items keep their feed text. By default a fixed quarter of
the feedparser files runs (all of miniflux/ and synthetic/); `DIGEST_ROBUSTNESS=all` runs all.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selectolax.lexbor import LexborHTMLParser

from digest import pipeline
from digest.config import load_settings

from .conftest import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "robustness"
HEADER = re.compile(rb"^Header:\s+([^:\r\n]+):([^\r\n]*)$", re.M)
DAY = date(2024, 6, 12)
FORBIDDEN = {"script", "iframe", "object", "embed", "base", "form", "frame", "frameset", "applet"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster"}


def corpus_files() -> list[Path]:
    if not ROOT.is_dir():
        return []
    files = sorted(p for p in ROOT.rglob("*") if p.is_file() and p.suffix in {".xml", ".html", ".gz"})
    if os.environ.get("DIGEST_ROBUSTNESS") == "all":
        return files
    parser = [p for p in files if p.is_relative_to(ROOT / "feedparser")]
    rest = [p for p in files if not p.is_relative_to(ROOT / "feedparser")]
    return rest + parser[::4]


def serve(server: LoopbackServer, n: int, path: Path) -> str:
    data = path.read_bytes()
    headers = {
        k.decode("latin-1").strip().lower(): v.decode("latin-1").strip()
        for k, v in HEADER.findall(data[:4000])
    }
    ctype = headers.pop(
        "content-type", "text/html; charset=utf-8" if path.suffix == ".html" else "application/xml"
    )
    extra = {k: v for k, v in headers.items() if k in {"content-location", "etag", "last-modified"}}
    if path.suffix == ".gz":
        extra["Content-Encoding"] = "gzip"
    return server.add(f"/r/{n}{''.join(path.suffixes)}", data, content_type=ctype, headers=extra)


def live_markup(html: str) -> list[str]:
    """What an HTML5 parser finds live in `html`: elements and attributes that can run code."""
    found = []
    tree = LexborHTMLParser(html)
    for node in tree.root.traverse() if tree.root is not None else ():
        tag = (node.tag or "").lower()
        if tag in FORBIDDEN or (
            tag == "meta" and "refresh" in (node.attributes.get("http-equiv") or "").lower()
        ):
            found.append(f"<{tag}>")
        if tag == "svg" and node.css_first("script") is not None:
            found.append("<svg><script>")
        for name, value in node.attributes.items():
            key = name.lower()
            if key.startswith("on") or key == "srcdoc":
                found.append(f"{tag}[{key}]")
            if key in URL_ATTRIBUTES and "".join((value or "").split()).lower().startswith(BAD_SCHEMES):
                found.append(f"{tag}[{key}={value[:40]}]")
    return found


async def no_dns(host: str) -> list[str]:
    raise OSError(f"no DNS in tests ({host})")


@pytest.mark.skipif(not ROOT.is_dir(), reason="../shared/corpus/robustness is not beside the project")
def test_every_hostile_file_is_collected_or_refused_in_one_line_and_no_output_is_live(
    server: LoopbackServer, tmp_path: Path
) -> None:
    files = corpus_files()
    urls = [serve(server, n, path) for n, path in enumerate(files)]
    lines = ["sources:"] + [f'  - {{name: "r{n}", url: "{url}", type: feed}}' for n, url in enumerate(urls)]
    lines += [
        "digest: {max_stories_per_theme: 100000}",
        "fetch: {concurrency: 16, per_host: 16, total_timeout: 20, max_bytes: 2000000, source_budget: 60}",
        "delivery:",
        "  email: {recipients: [r@example.com], smtp: {host: 127.0.0.1, port: 9, security: none}}",
        f"  site: {{dir: {tmp_path / 'site'}}}",
    ]
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(sources)
    now = datetime.combine(DAY, time(18), ZoneInfo("Asia/Seoul"))
    report = pipeline.run(
        settings,
        tmp_path / "state.sqlite",
        tmp_path / "out",
        DAY,
        no_send=True,
        now=now,
        backfill=timedelta(days=365 * 40),  # take every item, whatever its date: all of it is rendered
        resolver=no_dns,
    )
    assert len(report.sources) == len(files)
    for r, path in zip(sorted(report.sources, key=lambda r: int(r.name[1:])), files, strict=True):
        where = str(path.relative_to(ROOT))
        assert r.error is None or ("\n" not in r.error and "internal error" not in r.error), (where, r.error)
        assert not any("internal error" in n or "\n" in n for n in r.notes), (where, r.notes)
    assert sum(r.error is None for r in report.sources) > len(files) // 2, "most of the corpus is valid feeds"
    # The hostile items themselves are in the digest (rendered, so the checks below mean something).
    assert report.digest is not None
    name = {path.name: f"r{n}" for n, path in enumerate(files)}
    shown = {it.source for sec in report.digest.sections for st in sec.stories for it in st.items}
    assert {name["inj_title_crlf.xml"], name["xss_feedparser_bypasses.xml"]} <= shown
    assert name["xss_vectors.xml"] not in shown  # its one item links to javascript: — not an article

    out = tmp_path / "out" / DAY.isoformat()
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    for eml in (out / "outbox").glob("*.eml"):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        html_part = message.get_body(("html",))
        assert html_part is not None and not (
            "\r" in str(message["Subject"]) or "\n" in str(message["Subject"])
        )
        pages[eml.name] = html_part.get_content()
    assert {"email.html", "index.html", "r@example.com.eml"} <= set(pages)
    for name, text in pages.items():
        assert not live_markup(text), (name, live_markup(text)[:5])
    # The site and its Atom feed, published when the digest is sealed (the mail to port 9 fails).
    pipeline.send(settings, tmp_path / "state.sqlite", tmp_path / "out", DAY, now=now)
    site = tmp_path / "site"
    for page in site.rglob("*.html"):
        found = live_markup(page.read_text(encoding="utf-8"))
        assert not found, (str(page.relative_to(site)), found[:5])
    feed = ET.parse(site / "feed.xml")
    atom = "{http://www.w3.org/2005/Atom}"
    contents = [c.text or "" for c in feed.iter(f"{atom}content")]
    assert contents and all(not live_markup(c) for c in contents)
