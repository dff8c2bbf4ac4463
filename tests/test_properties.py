"""Property-based tests (hypothesis) of the pure text functions a feed's bytes flow through.

- `canonical_url` and `clean_url`: never raise and are idempotent on URLs built from parts (scheme,
  host — names, ``www.``, IPv4, bracketed IPv6, Korean IDN —, port, path with spaces, ``%`` and
  Korean, a query with tracking parameters, a fragment); `canonical_url` drops every tracking
  parameter and keeps an IPv6 host's brackets. Neither raises nor loses idempotence on arbitrary
  text either (a port of 99999, unbalanced brackets, no scheme at all).
- `parse_date` / `find_date_in_text`: never raise; the result is None or an aware datetime
  written between 1990 and 2100 that converts to Asia/Seoul and to UTC; an ISO date inside the
  range reads back as itself, one outside as None.
- `summarize`: never raises, is at most ``max_chars`` long and is never a line the furniture rules
  (`_is_furniture_line`) reject.
- The markup sanitizing: whatever hostile text a feed carries, the page `render_all` writes and the
  static site `publish` writes (its pages and the HTML inside its Atom feed) hold no ``<script``, no
  ``on…=`` handler attribute and no ``javascript:``/``data:`` link.

The default run is short and deterministic (profile ``quick``: ``derandomize=True``, a few
hundred examples at most, the whole file in a few seconds). For a long, randomised search:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -q tests/test_properties.py

(``long`` runs 50x the examples with a fresh random seed each time; a failure prints the
``@reproduce_failure`` line to replay it.) No example database is kept (``database=None``), so
runs do not depend on earlier ones; hypothesis's own cache in ``.hypothesis/`` ignores itself in git.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.dates import find_date_in_text, parse_date
from digest.deliver.site import publish
from digest.extract import summarize
from digest.extract.furniture import _is_furniture_line
from digest.identity import TRACKING_PARAMS, canonical_url, clean_url
from digest.models import Digest, Placement, Settings, Story, ThemeSection
from digest.render import make_environment, render_all

from .conftest import make_item
from .test_render import _Tags

settings.register_profile("quick", max_examples=300, derandomize=True, deadline=None, database=None)
settings.register_profile(
    "long", max_examples=15_000, derandomize=False, deadline=None, database=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

SEOUL = ZoneInfo("Asia/Seoul")
KST = timezone(timedelta(hours=9))


def _examples(share: float, *, slow: bool = False) -> settings:
    """This test's share of the profile's examples (rendering a page costs more than a URL)."""
    return settings(
        max_examples=max(10, int(PROFILE.max_examples * share)),
        suppress_health_check=[HealthCheck.too_slow] if slow else [],
    )


# --------------------------------------------------------------------------- URLs

_LABEL = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?\Z")
_IPV6 = st.sampled_from(["[::1]", "[2001:DB8::1]", "[fe80::1%25eth0]", "[::ffff:192.0.2.1]"])
_HOSTS = st.one_of(
    _IPV6,
    st.builds(
        lambda labels, tld: ".".join([*labels, tld]),
        st.lists(_LABEL, min_size=1, max_size=3),
        st.sampled_from(["kr", "co.kr", "com", "example"]),
    ),
    st.builds(lambda h: "www." + h, _LABEL.map(lambda s: s + ".co.kr")),
    st.sampled_from(
        [
            "WWW.Example.CO.KR",
            "www.www.example.kr",
            "한국.kr",
            "보건복지부.한국",
            "xn--3e0b707e.kr",
            "127.0.0.1",
            "localhost",
            "",
        ]
    ),
)
_PORTS = st.one_of(
    st.just(""),
    st.sampled_from([":80", ":443", ":8080", ":", ":0", ":65535"]),
    st.integers(0, 65535).map(lambda p: f":{p}"),
)
_PATH_PIECES = st.sampled_from(
    [
        "news",
        "articleView.html",
        "기사",
        "한글 제목",
        "a b",
        "%20",
        "%ED%95%9C",
        "%",
        "%zz",
        "+",
        ";x=1",
        "..",
        ".",
        "",
        "~u",
        "(1)",
        "@",
    ]
)
_PATHS = st.lists(_PATH_PIECES, max_size=5).map(lambda parts: "".join("/" + p for p in parts))
_KEYS = st.sampled_from(
    [
        "idxno",
        "no",
        "page",
        "sid",
        "q",
        "utm_source",
        "utm_medium",
        "UTM_Campaign",
        "fbclid",
        "gclid",
        "ref",
        "from",
        "ocid",
        "한글",
        "a b",
        "",
    ]
)
_VALUES = st.one_of(
    st.sampled_from(["123", "", "rss", "a b", "한국", "%ED%95%9C", "%", "a+b", "=", "x&y"]),
    st.text(max_size=6),
)
_QUERIES = st.lists(st.tuples(_KEYS, _VALUES), max_size=5).map(
    lambda pairs: ("?" + "&".join(f"{k}={v}" for k, v in pairs)) if pairs else ""
)
_FRAGMENTS = st.sampled_from(["", "#", "#top", "#댓글", "# x"])
_SCHEMES = st.sampled_from(["http://", "https://", "HTTPS://", "Http://", "//", "ftp://", ""])
_USERINFO = st.sampled_from(["", "", "", "user:pw@", "@"])
_SPACES = st.sampled_from(["", "", " ", "\t", "  \n"])


def _url(
    lead: str, scheme: str, user: str, host: str, port: str, path: str, query: str, fragment: str, trail: str
) -> str:
    return lead + scheme + user + host + port + path + query + fragment + trail


# Links as feeds give them, ports in range.
URLS = st.builds(_url, _SPACES, _SCHEMES, _USERINFO, _HOSTS, _PORTS, _PATHS, _QUERIES, _FRAGMENTS, _SPACES)
IPV6_URLS = st.builds(
    _url,
    st.just(""),
    st.sampled_from(["http://", "https://", "HTTPS://", "//"]),
    _USERINFO,
    _IPV6,
    _PORTS,
    _PATHS,
    _QUERIES,
    _FRAGMENTS,
    st.just(""),
)
# Anything at all, bad ports (":99999", ":port") and unbalanced brackets included.
ANY_URLS = st.one_of(
    URLS,
    st.builds(
        _url,
        _SPACES,
        _SCHEMES,
        _USERINFO,
        _HOSTS,
        st.sampled_from([":99999", ":port", ":-1", ":８０"]),
        _PATHS,
        _QUERIES,
        _FRAGMENTS,
        _SPACES,
    ),
    st.text(max_size=40),
    st.text(alphabet="htps:/[]@%#?&=. 가a1", max_size=30).map(lambda s: "http://" + s),
)


@_examples(1.0)
@given(ANY_URLS)
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical


@_examples(1.0)
@given(ANY_URLS)
def test_clean_url_never_raises_and_is_idempotent(url: str) -> None:
    clean = clean_url(url)
    assert clean_url(clean) == clean


@_examples(1.0)
@given(URLS)
def test_canonical_url_keeps_no_tracking_parameter(url: str) -> None:
    query = urlsplit(canonical_url(url)).query
    assert not [k for k, _ in parse_qsl(query, keep_blank_values=True) if TRACKING_PARAMS.match(k)]


@_examples(0.5)
@given(IPV6_URLS)
def test_an_ipv6_host_keeps_its_brackets(url: str) -> None:
    canonical = canonical_url(url)
    assert canonical.startswith("http://[")
    assert urlsplit(canonical).hostname == urlsplit(url).hostname


# --------------------------------------------------------------------------- dates

_OFFSETS = st.one_of(
    st.sampled_from([timedelta(hours=14), -timedelta(hours=14), timedelta(0), timedelta(hours=9)]),
    st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m)),
)
_MOMENTS = st.builds(
    lambda moment, offset: moment.replace(tzinfo=timezone(offset)),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    _OFFSETS,
)
_EDGES = st.sampled_from(
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14))),
        datetime(1989, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=14))),
        datetime(1990, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(2100, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14))),
        datetime(2101, 1, 1, tzinfo=timezone(-timedelta(hours=14))),
    ]
)
_WEEKDAYS = "월화수목금토일"
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _offset_text(moment: datetime, colon: bool) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"


def _written(moment: datetime, style: int) -> str:
    """`moment` the way one of the feeds and pages writes it (years always with four digits)."""
    y, mo, d, h, mi, s = moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second
    ampm, h12 = ("오후", h - 12 if h > 12 else h) if h >= 12 else ("오전", h or 12)
    styles = [
        f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{_offset_text(moment, True)}",
        f"{_DAYS[moment.weekday()]}, {d:02d} {_MONTHS[mo - 1]} {y:04d} {h:02d}:{mi:02d}:{s:02d} {_offset_text(moment, False)}",
        f"{y:04d}년 {mo}월 {d}일 ({_WEEKDAYS[moment.weekday()]})",
        f"{y:04d}.{mo:02d}.{d:02d} {h:02d}:{mi:02d}",
        f"입력 {y:04d}-{mo:02d}-{d:02d} {ampm} {h12}:{mi:02d}",
        f"{y:04d}-{mo:02d}-{d:02d}",
        f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
        f"기사입력 : {y:04d}년 {mo}월 {d}일 {h}시 {mi}분",
    ]
    return styles[style % len(styles)]


DATE_TEXT = st.one_of(
    st.builds(_written, st.one_of(_MOMENTS, _EDGES), st.integers(0, 7)),
    st.text(max_size=40),
    st.text(alphabet="0123456789-.:/ T+Z년월일시분오전후입력수정()", max_size=30),
)
NOW = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(KST)),
)


def _sane(value: datetime | None) -> None:
    if value is None:
        return
    assert value.tzinfo is not None and value.utcoffset() is not None
    assert datetime(1990, 1, 1) <= value.replace(tzinfo=None) <= datetime(2100, 12, 31, 23, 59, 59, 999999)
    value.astimezone(SEOUL)
    value.astimezone(UTC)


@_examples(1.0)
@given(DATE_TEXT, st.sampled_from(["Asia/Seoul", "UTC", "Pacific/Kiritimati", "Etc/GMT+12"]), NOW)
def test_parse_date_never_raises_and_gives_a_convertible_date(
    text: str, tz: str, now: datetime | None
) -> None:
    parsed = parse_date(text, tz=tz, now=now)
    _sane(parsed)
    if parsed is not None and now is not None:
        assert parsed <= now + timedelta(days=1)


@_examples(1.0)
@given(st.one_of(_MOMENTS, _EDGES))
def test_an_iso_date_reads_back_as_itself_inside_the_range_and_as_none_outside(moment: datetime) -> None:
    parsed = parse_date(moment.isoformat())
    inside = datetime(1990, 1, 1) <= moment.replace(tzinfo=None) <= datetime(2100, 12, 31, 23, 59, 59)
    assert parsed == (moment if inside else None)


@_examples(0.5)
@given(
    st.lists(
        st.one_of(DATE_TEXT, st.sampled_from(["\n", " | ", "수정 ", "최종편집 ", "기자"])), max_size=6
    ).map("".join)
)
def test_find_date_in_text_never_raises_and_gives_a_convertible_date(text: str) -> None:
    _sane(find_date_in_text(text))


# --------------------------------------------------------------------------- summaries

_SUMMARY_PIECES = st.sampled_from(
    [
        "구로구가 홀로 사는 어르신 225명에게 인공지능 돌봄 로봇을 보급한다.",
        "로봇은 말벗이 되어 주고 약 먹을 시간을 알려 준다.",
        "미국 U.S. 식품의약국은 Dr. Kim의 기기 효과가 3.5% 높다고 밝혔다.",
        '그는 "좋다. 정말 좋다"라고 말했다.',
        "홍길동 기자",
        "홍길동 기자 hong@example.com",
        "홍길동 기자 hong@example.com.",
        "[홍길동·김철수 기자 hong@example.kr]",
        "입력 2024.06.12 14:00 수정 2024.06.12 15:00",
        "입력 2024. 6. 12.",
        "2024년 6월 12일 (수)",
        "(서울=연합뉴스) 홍길동 기자 =",
        "【서울=뉴시스】",
        "[굿뉴스365]",
        "▲ 협약식 모습 (사진=헬스온뉴스 DB)",
        "저작권자 © 헬스온뉴스 무단전재 및 재배포 금지",
        "관련기사",
        "맑음 서울 23℃ 흐림 부산 20℃",
        "카카오톡 페이스북 트위터",
        "photo_1.jpg",
        "“",
        "”",
        ".",
        "…",
        "·",
        "=",
        "|",
        "기자",
        "Dr.",
        "3.5%",
        " ",
        "\n",
        "\n\n",
    ]
)
SUMMARY_TEXT = st.one_of(
    st.lists(st.one_of(_SUMMARY_PIECES, st.text(max_size=8)), max_size=14).map(" ".join),
    st.lists(_SUMMARY_PIECES, max_size=14).map("".join),
    st.text(max_size=120),
)


@_examples(1.0)
@given(SUMMARY_TEXT, st.integers(1, 400))
def test_summarize_never_raises_fits_and_is_never_furniture(text: str, max_chars: int) -> None:
    summary = summarize(text, max_chars=max_chars)
    assert len(summary) <= max_chars
    assert summary == "" or not _is_furniture_line(summary), summary


# --------------------------------------------------------------------------- sanitized markup

_HOSTILE = st.sampled_from(
    [
        '<script>alert("x")</script>',
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<iframe src=javascript:alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        "[x](javascript:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "![i](javascript:alert(1))",
        "<javascript:alert(1)>",
        '{: onclick="alert(1)" }',
        '" onmouseover="alert(1)',
        "' onfocus='alert(1)' autofocus '",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#x3C;script&#x3E;",
        "<!--",
        "-->",
        "]]>",
        "<![CDATA[",
        "<style>*{}</style>",
        "<base href=javascript:/>",
        "<form action=javascript:alert(1)><button>x</button></form>",
        "`code`",
        "*굵게*",
        "# 제목",
        "> 인용",
        "- 목록",
        "1. 첫째",
        "| 표 |",
        "\n",
        "\n\n",
        "돌봄 로봇",
        "규제샌드박스",
    ]
)
HOSTILE_TEXT = st.lists(st.one_of(_HOSTILE, st.text(max_size=6)), min_size=1, max_size=6).map("".join)
HOSTILE_URLS = st.one_of(
    st.sampled_from(
        [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            'http://x.kr/"onmouseover="alert(1)',
            "https://x.kr/<script>alert(1)</script>",
            "https://x.kr/a?b=<img src=x onerror=alert(1)>",
            "http://[::1/a",
            "//evil.example/x",
            "https://www.docdocdoc.co.kr/news/articleView.html?idxno=3001",
        ]
    ),
    HOSTILE_TEXT,
)

_UNSAFE_SCHEME = re.compile(r"^(?:javascript|data|vbscript):")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def _assert_inert(html: str, where: str, raw_lt_in_attributes: bool = False) -> None:
    """No script, no handler, no javascript:/data: link. Unless ``raw_lt_in_attributes`` (the
    e-mail: css_inline writes attribute values back with a literal ``<``, inert inside quotes),
    no ``<script`` anywhere in the text either."""
    if not raw_lt_in_attributes:
        assert "<script" not in html.lower(), where
    for tag, attrs in _Tags(html).tags:
        assert tag not in ("script", "iframe", "object", "embed", "base", "form"), (where, tag)
        for key, value in attrs:
            assert not key.startswith("on"), (where, tag, key, value)
            if key in ("href", "src", "action", "formaction", "xlink:href", "srcset", "poster"):
                # Browsers skip leading spaces and tabs/newlines inside a scheme.
                link = _CONTROL_OR_SPACE.sub("", value or "").lower()
                assert not _UNSAFE_SCHEME.match(link), (where, tag, key, value)


def _hostile_digest(title: str, summary: str, source: str, url: str, item_title: str) -> Digest:
    moment = datetime(2024, 6, 13, 9, 30, tzinfo=KST)
    item = make_item(
        1, item_title, summary, source=source, url=url, summary=summary, published=moment, story_id="s-1"
    )
    story = Story(
        id="s-1",
        title=title,
        summary=summary,
        items=(item,),
        placement=Placement(theme="silver_devices", score=3.0, reasons=(title[:20],)),
        evidence=(summary[:20],),
    )
    return Digest(
        date=date(2024, 6, 13),
        generated_at=moment,
        title="헬스테크 데일리",
        timezone="Asia/Seoul",
        sections=(
            ThemeSection("silver_devices", "실버·고령친화 기기", "Silver devices", "", (story,)),
            ThemeSection("other", "기타", "Other", "", ()),
        ),
    )


_ENV = make_environment()
_SETTINGS = Settings(path="sources.yaml", sources=(), themes=())


@_examples(0.1, slow=True)
@given(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_URLS, HOSTILE_TEXT)
def test_hostile_feed_text_stays_inert_on_the_page_and_the_site(
    title: str, summary: str, source: str, url: str, item_title: str
) -> None:
    outputs = render_all(_hostile_digest(title, summary, source, url, item_title), _SETTINGS, _ENV)
    _assert_inert(outputs["index.html"], "index.html")
    _assert_inert(outputs["email.html"], "email.html", raw_lt_in_attributes=True)
    with tempfile.TemporaryDirectory() as folder:
        out, site = Path(folder) / "out", Path(folder) / "site"
        (out / "2024-06-13").mkdir(parents=True)
        (out / "2024-06-13" / "digest.json").write_text(outputs["digest.json"], encoding="utf-8")
        json.loads(outputs["digest.json"])
        for path in publish(out, site, title):
            if path.suffix == ".html":
                _assert_inert(path.read_text(encoding="utf-8"), path.name)
            elif path.suffix == ".xml":
                feed = ET.parse(path).getroot()
                for node in feed.iter():
                    if node.tag.endswith("}content") or node.tag.endswith("}summary"):
                        _assert_inert(node.text or "", f"{path.name} <{node.tag}>")
