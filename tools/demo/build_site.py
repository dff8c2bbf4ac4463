"""Build the bundled demo site from ``articles.yaml`` (beside this file).

Writes, under ``digest/demo/data/`` (what the package ships): ``day1/`` and ``day2/`` (one web root
per day, one folder per outlet), ``labels.json`` and ``sources.yaml``. The same input always gives
the same bytes (tests/test_demo_server.py rebuilds into a temporary folder and compares).

    python tools/demo/build_site.py [OUT]

A development tool: it is not part of the package.

URLs are written with the literal prefix ``{base}``, which the demo server replaces with its own
address. Article pages whose URL has a query string are stored under the file name
``<path>@<query>`` (see `digest.demo.server`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "digest" / "demo" / "data"
B = "{base}"
WEEKDAYS = "월화수목금토일"


# ---------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    encoding: str  # utf-8 | euc-kr
    feed: str  # rss | atom | json | none
    template: str
    domain: str
    reporters: dict[str, str]

    @property
    def charset(self) -> str:
        return "EUC-KR" if self.encoding == "euc-kr" else "UTF-8"

    @property
    def source_path(self) -> str:
        """What `sources.yaml` points at: the feed, or the listing page."""
        return {
            "rss": f"/{self.id}/rss/allArticle.xml"
            if self.template == "ndsoft"
            else f"/{self.id}/rss/news.xml",
            "atom": f"/{self.id}/atom.xml",
            "json": f"/{self.id}/feed.json",
            "none": f"/{self.id}/index.html",
        }[self.feed]


@dataclass(frozen=True)
class Article:
    id: str
    outlet: Outlet
    key: str
    day: int
    published: datetime
    title: str
    author: str
    section: str
    theme: str
    also: tuple[str, ...]
    story: str
    kind: str
    paragraphs: tuple[str, ...]
    subtitle: str = ""
    photo: str = ""
    tags: tuple[str, ...] = ()
    url_variant: bool = False
    updated_day2: datetime | None = None

    @property
    def path(self) -> str:
        """The article's URL under {base}, with its query (no tracking parameters)."""
        o, k = self.outlet.id, self.key
        return {
            "ndsoft": f"/{o}/news/articleView.html?idxno={k}",
            "story": f"/{o}/story/{k}.html",
            "board": f"/{o}/bbs/news/{k}.html",
            "adsplit": f"/{o}/articles/{k}.html",
            "govbrief": f"/{o}/briefing/{k}.html",
        }[self.outlet.template]

    @property
    def url(self) -> str:
        return B + self.path

    @property
    def feed_url(self) -> str:
        """The link as the feed gives it: with tracking parameters for `url_variant` items."""
        if not self.url_variant:
            return self.url
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}utm_source=rss&utm_medium=feed&utm_campaign={self.outlet.id}"

    @property
    def email(self) -> str:
        user = self.outlet.reporters.get(self.author)
        return f"{user}@{self.outlet.domain}" if user else ""

    @property
    def byline(self) -> str:
        return f"{self.author} 기자" if self.outlet.reporters else self.author

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def summary(self) -> str:
        """The first one or two sentences of the body, as feeds carry them."""
        sentences = split_sentences(self.paragraphs[0])
        text = sentences[0]
        if len(text) < 70 and len(sentences) > 1:
            text += " " + sentences[1]
        return text

    def updated(self, day: int) -> datetime:
        if day >= 2 and self.updated_day2 is not None:
            return self.updated_day2
        return self.published.replace(minute=min(59, self.published.minute + 7))


@dataclass(frozen=True)
class Day:
    n: int
    date: date
    articles: tuple[Article, ...]  # everything published up to this day, newest first
    weather: tuple[tuple[str, str, str], ...]  # (sky, place, temperature)

    def of(self, outlet: Outlet) -> list[Article]:
        return [a for a in self.articles if a.outlet.id == outlet.id]


def split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=다\.)\s+", text) if s]


def load(path: Path) -> tuple[dict[int, date], list[Outlet], list[Article], dict[str, list[list[str]]]]:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    days = {int(k): date.fromisoformat(v) for k, v in raw["days"].items()}
    outlets = {
        oid: Outlet(
            id=oid,
            name=o["name"],
            encoding=o["encoding"],
            feed=o["feed"],
            template=o["template"],
            domain=o["domain"],
            reporters=dict(o["reporters"]),
        )
        for oid, o in raw["outlets"].items()
    }
    articles = []
    for a in raw["articles"]:
        upd = a.get("updated_day2")
        articles.append(
            Article(
                id=a["id"],
                outlet=outlets[a["outlet"]],
                key=str(a["key"]),
                day=int(a["day"]),
                published=_aware(a["published"]),
                title=a["title"],
                author=a["author"],
                section=a["section"],
                theme=a["theme"],
                also=tuple(a.get("also", ())),
                story=a["story"],
                kind=a["kind"],
                paragraphs=tuple(p.strip() for p in a["body"].strip().split("\n\n")),
                subtitle=a.get("subtitle", ""),
                photo=a.get("photo", ""),
                tags=tuple(a.get("tags", ())),
                url_variant=bool(a.get("url_variant", False)),
                updated_day2=_aware(upd) if upd else None,
            )
        )
    return days, list(outlets.values()), articles, raw.get("archive", {})


def _aware(value: object) -> datetime:
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"published must carry +09:00: {value}")
    return dt


# ---------------------------------------------------------------------------- shared bits


def e(text: str) -> str:
    return escape(text, quote=True)


def pick(items: Sequence[Article], salt: str, n: int, exclude: Iterable[str] = ()) -> list[Article]:
    """A stable pseudo-random choice (the same input gives the same page)."""
    skip = set(exclude)
    pool = [a for a in items if a.id not in skip]
    pool.sort(key=lambda a: hashlib.sha1(f"{salt}/{a.id}".encode()).hexdigest())
    return pool[:n]


def related(article: Article, day: Day, n: int = 3) -> list[Article]:
    """Other articles on the same theme first, then the same outlet: a CMS's "관련기사"."""
    others = [a for a in day.articles if a.id != article.id]
    same_theme = [a for a in others if a.theme == article.theme]
    rest = [a for a in others if a.theme != article.theme and a.outlet.id == article.outlet.id]
    chosen = pick(same_theme, article.id, n) + pick(rest, article.id, n)
    return chosen[:n]


def korean_date(d: date) -> str:
    return f"{d.year}년 {d.month:02d}월 {d.day:02d}일 ({WEEKDAYS[d.weekday()]})"


def dot_time(dt: datetime) -> str:
    return dt.strftime("%Y.%m.%d %H:%M")


WEATHER = {
    1: (
        ("맑음", "서울", "27.3"),
        ("맑음", "인천", "24.6"),
        ("맑음", "수원", "27.9"),
        ("맑음", "춘천", "28.4"),
        ("구름조금", "강릉", "25.1"),
        ("맑음", "청주", "28.8"),
        ("맑음", "대전", "28.2"),
        ("구름많음", "안동", "28.0"),
        ("맑음", "전주", "28.5"),
        ("맑음", "광주", "28.9"),
        ("구름조금", "대구", "30.1"),
        ("구름많음", "울산", "26.4"),
        ("구름많음", "창원", "27.0"),
        ("흐림", "부산", "24.2"),
        ("구름많음", "목포", "25.8"),
        ("흐림", "여수", "24.0"),
        ("흐림", "제주", "23.7"),
        ("비", "서귀포", "22.5"),
        ("맑음", "", "27.1"),
        ("맑음", "홍성(예)", "27.6"),
    ),
    2: (
        ("구름많음", "서울", "29.8"),
        ("구름많음", "인천", "25.9"),
        ("맑음", "수원", "29.6"),
        ("맑음", "춘천", "30.2"),
        ("맑음", "강릉", "31.0"),
        ("맑음", "청주", "30.4"),
        ("맑음", "대전", "30.0"),
        ("맑음", "안동", "30.9"),
        ("구름조금", "전주", "29.7"),
        ("맑음", "광주", "30.3"),
        ("맑음", "대구", "32.2"),
        ("구름조금", "울산", "28.8"),
        ("맑음", "창원", "29.1"),
        ("구름조금", "부산", "26.0"),
        ("구름많음", "목포", "27.2"),
        ("구름많음", "여수", "25.7"),
        ("구름많음", "제주", "25.3"),
        ("흐림", "서귀포", "24.8"),
        ("맑음", "", "29.4"),
        ("맑음", "홍성(예)", "29.0"),
    ),
}

SHARE_SCRIPT = """<script>
window.dataLayer = window.dataLayer || [];
function gtag(){{dataLayer.push(arguments);}}
gtag('js', new Date()); gtag('config', '{ga}');
var articleInfo = {{"site": "{site}", "idx": "{key}", "section": "{section}"}};
function copyUrl(){{ navigator.clipboard.writeText(location.href); alert('기사 주소가 복사되었습니다.'); }}
function scrapArticle(){{ alert('로그인 후 기사를 스크랩할 수 있습니다.'); }}
</script>"""


def script(article: Article, ga: str) -> str:
    return SHARE_SCRIPT.format(ga=ga, site=article.outlet.name, key=article.key, section=article.section)


# ---------------------------------------------------------------------------- ndsoft (메디뉴스24)


def page_ndsoft(a: Article, day: Day) -> str:
    o = a.outlet
    weather = "".join(
        f'<li><span class="weather-icon">{sky}</span><span class="weather-area">{place}</span>'
        f'<span class="weather-temp">{t}℃</span></li>'
        for sky, place, t in day.weather[:10]
    )
    nav = "".join(
        f'<li><a href="/{o.id}/index.html?sc_section_code=S1N{i}">{name}</a></li>'
        for i, name in enumerate(
            ["전체기사", "정책", "병원·의료", "의료기기", "디지털헬스", "제약·바이오", "오피니언", "포토"], 1
        )
    )
    body = []
    for i, p in enumerate(a.paragraphs):
        body.append(f"<p>{e(p)}</p>")
        if i == 0 and a.photo:
            body.append(
                f'<figure class="photo-layout image photo-{a.key}"><div class="IMGFLOATING">'
                f'<img src="/{o.id}/news/photo/202406/{a.key}_{a.key[-3:]}1_1134.jpg" alt="{e(a.photo)}">'
                f"</div><figcaption>{e(a.photo)}</figcaption></figure>"
            )
    rel = "".join(f'<li><a href="{x.url}">{e(x.title)}</a></li>' for x in related(a, day, 3))
    top = "".join(
        f'<li><em class="number">{i}</em><a href="{x.url}">{e(x.title)}</a></li>'
        for i, x in enumerate(pick(day.articles, f"top{day.n}{o.id}", 5), 1)
    )
    week = "".join(
        f'<li><a href="{x.url}">{e(x.title)}</a></li>'
        for x in pick(day.articles, f"week{day.n}{o.id}", 3, exclude=[a.id])
    )
    latest = "".join(f'<li><a href="{x.url}">{e(x.title)}</a></li>' for x in day.of(o)[:3])
    tags = "".join(f'<li><a href="/{o.id}/index.html?sc_word={e(t)}">#{e(t)}</a></li>' for t in a.tags)
    sub = f'<h4 class="subheading">{e(a.subtitle)}</h4>\n' if a.subtitle else ""
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{e(a.title)} - {o.name}</title>
<meta name="description" content="{e(a.summary)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(a.title)}">
<meta property="og:description" content="{e(a.summary)}">
<meta property="og:url" content="{a.url.replace("&", "&amp;")}">
<meta property="og:site_name" content="{o.name}">
<meta property="article:published_time" content="{a.published.isoformat()}">
<meta property="article:section" content="{e(a.section)}">
<link rel="canonical" href="{a.url.replace("&", "&amp;")}">
<link rel="alternate" type="application/rss+xml" title="{o.name} 전체기사" href="{B}{o.source_path}">
<link rel="stylesheet" href="/{o.id}/css/style.css">
</head>
<body>
<div id="user-wrap">
<div id="skip-navigation"><a href="#user-container">본문 바로가기</a></div>
<header id="user-header">
<div class="header-top">
<div class="weather-box"><ul class="weather-list">{weather}</ul><span class="weather-source">기상청 제공</span></div>
<div class="today-date">{korean_date(day.date)}</div>
<ul class="member"><li><a href="/{o.id}/member/login.html">로그인</a></li><li><a href="/{o.id}/member/join.html">회원가입</a></li></ul>
</div>
<div class="header-logo"><a href="/{o.id}/index.html"><img src="/{o.id}/image/logo.png" alt="{o.name}"></a></div>
<nav id="user-nav"><ul class="nav-menu">{nav}</ul></nav>
</header>
<div id="user-container">
<div class="float-center max-width-1080">
<header class="article-view-header">
<div class="article-head-sub"><a href="/{o.id}/index.html?sc_sub_section_code=S2N1">{e(a.section)}</a></div>
<h3 class="heading">{e(a.title)}</h3>
{sub}<div class="info-group">
<ul class="infomation">
<li><i class="icon-user-o"></i> {e(a.byline)}</li>
<li><i class="icon-clock-o"></i> 입력 {dot_time(a.published)}</li>
<li><i class="icon-clock-o"></i> 수정 {dot_time(a.updated(day.n))}</li>
<li><i class="icon-comment-o"></i> 댓글 0</li>
</ul>
<div class="share-group"><span class="share-title">이 기사를 공유합니다</span>
<ul><li><a class="facebook" href="#">페이스북</a></li><li><a class="twitter" href="#">트위터</a></li><li><a class="kakaotalk" href="#">카카오톡</a></li><li><a class="naverband" href="#">네이버밴드</a></li><li><a class="url-copy" href="javascript:copyUrl();">URL복사</a></li></ul></div>
<div class="font-size-group"><button type="button" onclick="fontSize(1)">글씨크게</button><button type="button" onclick="fontSize(-1)">글씨작게</button><a href="javascript:window.print();">인쇄</a></div>
</div>
</header>
<section class="article-view-content">
<article id="article-view-content-div" class="article-veiw-body view-page font-size17" itemprop="articleBody">
{chr(10).join(body)}
</article>
<div class="view-editors"><div class="profile-info"><strong class="name">{e(a.byline)}</strong> <span class="email">{a.email}</span> <a href="/{o.id}/index.html?sc_area=I&amp;sc_word={a.email}">다른기사 보기</a></div></div>
<div class="view-copyright">저작권자 © {o.name} 무단전재 및 재배포 금지</div>
<ul class="tag-group">{tags}</ul>
<div class="article-footer-banner"><a href="/{o.id}/newsletter.html">매일 아침 받아보는 {o.name} 뉴스레터 구독하기</a></div>
</section>
<section class="relation"><header class="header-title"><h2>관련기사</h2></header><ul class="relation-list">{rel}</ul></section>
<section class="comments"><header class="header-title"><h2>댓글 0</h2></header><p class="comment-notice">로그인 후 댓글을 남길 수 있습니다. 욕설, 비방 등 운영원칙에 어긋나는 댓글은 삭제될 수 있습니다.</p></section>
</div>
<aside id="user-aside">
<section class="auto-article"><header class="header-title"><h2>가장 많이 본 뉴스</h2><a href="/{o.id}/index.html?view_type=sm">더보기</a></header>
<ul class="tab-menu"><li class="on">오늘 인기기사</li><li>주간 인기기사</li></ul>
<ol class="today">{top}</ol><ol class="week">{week}</ol></section>
<section class="latest"><header class="header-title"><h2>최신뉴스</h2><a href="/{o.id}/index.html">더보기</a></header><ul>{latest}</ul></section>
</aside>
</div>
<footer id="user-footer">
<ul class="footer-menu"><li><a href="/{o.id}/company.html">회사소개</a></li><li><a href="/{o.id}/ad.html">광고문의</a></li><li><a href="/{o.id}/report.html">기사제보</a></li><li><a href="/{o.id}/privacy.html">개인정보처리방침</a></li><li><a href="/{o.id}/youth.html">청소년보호정책</a></li><li><a href="/{o.id}/noemail.html">이메일무단수집거부</a></li></ul>
<div class="footer-info">{o.name} | 서울특별시 중구 세종대로 000 | 대표전화 02-000-2424 | 등록번호 서울 아 54321 | 등록일 2016-05-20 | 발행·편집인 윤재석 | 청소년보호책임자 정미라 | 이메일 webmaster@{o.domain}</div>
<div class="copyright">Copyright © 2024 {o.name}. All rights reserved. mail to webmaster@{o.domain}</div>
</footer>
</div>
{script(a, "G-MN24DEMO01")}
</body>
</html>
"""


# ---------------------------------------------------------------------------- story (케어테크리뷰)


def page_story(a: Article, day: Day) -> str:
    o = a.outlet
    ticker = " ".join(f"<li>{sky}{place}{t}℃</li>" for sky, place, t in day.weather[:10])
    nav = "".join(
        f'<li class="gnb__item"><a href="/{o.id}/section/{slug}.html">{name}</a></li>'
        for slug, name in [
            ("agetech", "에이지테크"),
            ("ai", "AI 의료"),
            ("digital", "디지털헬스"),
            ("policy", "정책·규제"),
            ("startup", "스타트업"),
            ("interview", "인터뷰"),
            ("report", "리포트"),
        ]
    )
    body = []
    for i, p in enumerate(a.paragraphs):
        body.append(f"<p>{e(p)}</p>")
        if i == 1 and len(a.paragraphs) > 3:
            quote = split_sentences(a.paragraphs[-1])[0]
            body.append(f'<blockquote class="story__pullquote" aria-hidden="true">{e(quote)}</blockquote>')
    updated = a.updated(day.n)
    upd = (
        f' <span class="story__updated">업데이트 {dot_time(updated)}</span>'
        if updated.date() > a.published.date()
        else ""
    )
    fig = (
        f'<figure class="story__figure"><img src="/{o.id}/media/{a.key}-1.webp" alt="" loading="lazy">'
        f"<figcaption>{e(a.photo)}</figcaption></figure>\n"
        if a.photo
        else ""
    )
    cards = "".join(
        f'<li class="card"><a href="{x.url}"><span class="card__kicker">{e(x.section)}</span>'
        f'<span class="card__title">{e(x.title)}</span></a></li>'
        for x in related(a, day, 3)
    )
    ranking = "".join(
        f'<li><span class="rank">{i}</span><a href="{x.url}">{e(x.title)}</a></li>'
        for i, x in enumerate(pick(day.articles, f"rank{day.n}{o.id}", 4), 1)
    )
    tags = " ".join(f"#{e(t)}" for t in a.tags)
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": a.published.isoformat(),
            "dateModified": updated.isoformat(),
            "author": {"@type": "Person", "name": a.byline},
            "publisher": {"@type": "Organization", "name": o.name},
            "mainEntityOfPage": a.url,
        },
        ensure_ascii=False,
    )
    return f"""<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(a.title)} | {o.name}</title>
<meta property="og:title" content="{e(a.title)}">
<meta property="og:description" content="{e(a.summary)}">
<meta property="og:url" content="{a.url}">
<meta property="article:published_time" content="{a.published.isoformat()}">
<meta property="article:modified_time" content="{updated.isoformat()}">
<link rel="canonical" href="{a.url}">
<link rel="alternate" type="application/atom+xml" title="{o.name}" href="{B}{o.source_path}">
<link rel="stylesheet" href="/{o.id}/assets/site.css">
<script type="application/ld+json">{ld}</script>
</head>
<body class="page-article">
<a class="skip" href="#main">본문으로 건너뛰기</a>
<div class="topbar"><div class="ticker" aria-label="날씨"><ul>{ticker}</ul><span class="ticker__src">기상청 제공</span></div>
<div class="topbar__date">{korean_date(day.date)}</div></div>
<header class="site-header">
<a class="site-header__logo" href="/{o.id}/index.html">{o.name}</a>
<nav class="gnb" aria-label="주 메뉴"><ul>{nav}</ul></nav>
<div class="site-header__util"><a href="/{o.id}/login.html">로그인</a> <a href="/{o.id}/newsletter.html">뉴스레터</a> <button type="button" class="search-toggle">검색</button></div>
</header>
<main id="main" class="layout">
<article class="story" data-article-id="{a.key}">
<header class="story__header">
<p class="story__kicker">{e(a.section)}</p>
<h1 class="story__title">{e(a.title)}</h1>
<p class="story__meta"><span class="story__byline"><a href="mailto:{a.email}">{e(a.byline)}</a></span>
<time class="story__date" datetime="{a.published.isoformat()}">{dot_time(a.published)}</time>{upd}</p>
<ul class="story__share"><li><button type="button" data-share="kakao">카카오톡 공유</button></li><li><button type="button" data-share="facebook">페이스북 공유</button></li><li><button type="button" data-share="x">X 공유</button></li><li><button type="button" data-share="link" onclick="copyUrl()">링크 복사</button></li></ul>
</header>
{fig}<div class="story__body">
{chr(10).join(body)}
</div>
<footer class="story__footer">
<div class="author-card"><strong>{e(a.byline)}</strong> <a href="mailto:{a.email}">{a.email}</a><p>돌봄과 기술이 만나는 현장을 취재합니다.</p></div>
<p class="story__copyright">ⓒ {o.name} · 무단전재 및 재배포 금지</p>
<p class="story__tags">{tags}</p>
</footer>
</article>
<section class="more"><h2 class="more__title">관련기사</h2><ul class="cards">{cards}</ul></section>
<aside class="ranking"><h2>가장 많이 본 뉴스</h2><ol>{ranking}</ol></aside>
<section class="newsletter-box"><h2>매주 화요일 아침, 케어테크 브리핑</h2><p>에이지테크·디지털헬스 소식을 메일로 받아 보세요.</p>
<form action="/{o.id}/newsletter.html"><input type="email" name="email" placeholder="이메일 주소"><button type="submit">구독하기</button></form></section>
</main>
<footer class="site-footer"><p>{o.name} | 서울특별시 성동구 성수이로 000 | 등록번호 서울 아 60123 | 발행인·편집인 문지현 | 청소년보호책임자 문지현 | 문의 hello@{o.domain}</p>
<p>ⓒ 2024 {o.name}. All rights reserved.</p></footer>
{script(a, "G-CTRDEMO02")}
</body>
</html>
"""


# ---------------------------------------------------------------------------- board (실버타임스, EUC-KR)


def page_board(a: Article, day: Day) -> str:
    o = a.outlet
    weather = " &nbsp;".join(f"{sky}{place}{t}℃" for sky, place, t in day.weather[:10])
    menu = " | ".join(
        f'<a href="/{o.id}/bbs/list.html?cate={i}">{name}</a>'
        for i, name in enumerate(
            ["뉴스홈", "실버뉴스", "복지·연금", "요양·돌봄", "건강", "실버산업", "커뮤니티"]
        )
    )
    hot = "".join(
        f'<tr><td>· <a href="{x.url}">{e(x.title)}</a></td></tr>'
        for x in pick(day.articles, f"hot{day.n}{o.id}", 5, exclude=[a.id])
    )
    text = "<br />\n&nbsp;<br />\n".join(e(p) for p in a.paragraphs)
    mine = day.of(o)
    idx = next(i for i, x in enumerate(mine) if x.id == a.id)
    prev_next = []
    if idx + 1 < len(mine):
        x = mine[idx + 1]
        prev_next.append(
            f'<tr><td class="prev">이전글 : <a href="{x.url}">{e(x.title)}</a> ({x.published:%Y-%m-%d %H:%M:%S})</td></tr>'
        )
    if idx > 0:
        x = mine[idx - 1]
        prev_next.append(
            f'<tr><td class="next">다음글 : <a href="{x.url}">{e(x.title)}</a> ({x.published:%Y-%m-%d %H:%M:%S})</td></tr>'
        )
    views = int(hashlib.sha1(a.id.encode()).hexdigest()[:3], 16) % 400 + 40 * day.n
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta charset="euc-kr">
<title>{o.name} :: {e(a.title)}</title>
<link rel="stylesheet" type="text/css" href="/{o.id}/css/style.css">
<script language="javascript" src="/{o.id}/js/common.js"></script>
</head>
<body leftmargin="0" topmargin="0">
<table width="980" border="0" cellspacing="0" cellpadding="0" align="center" id="top">
<tr><td colspan="2" class="topbanner"><a href="#">어르신 무료 건강강좌 안내</a> <a href="#" onclick="closeBanner()">배너 닫기</a></td></tr>
<tr><td class="logo"><a href="/{o.id}/index.html"><img src="/{o.id}/img/logo.gif" border="0" alt="{o.name}"></a></td>
<td class="topmenu">{menu}</td></tr>
<tr><td colspan="2" class="today">{korean_date(day.date)} &nbsp; 오늘의 날씨 : {weather} &nbsp;<span class="src">기상청 제공</span></td></tr>
</table>
<table width="980" border="0" cellspacing="0" cellpadding="0" align="center">
<tr>
<td width="180" valign="top" class="leftmenu">
<table width="100%"><tr><td class="lnb_title">실버뉴스</td></tr>
<tr><td><a href="/{o.id}/bbs/list.html?cate=1">전체기사</a></td></tr><tr><td><a href="/{o.id}/bbs/list.html?cate=7">독자투고</a></td></tr><tr><td><a href="/{o.id}/bbs/list.html?cate=8">보도자료</a></td></tr></table>
<table width="100%" class="hot"><tr><td class="lnb_title">많이 본 글</td></tr>{hot}</table>
</td>
<td width="800" valign="top">
<table width="100%" class="location"><tr><td>뉴스홈 &gt; 실버뉴스 &gt; {e(a.section)} &gt; 상세보기</td></tr></table>
<table width="100%" border="0" cellpadding="4" cellspacing="1" bgcolor="#CCCCCC" class="bbs_view">
<tr><td bgcolor="#F5F5F5" width="80" align="center">제목</td><td bgcolor="#FFFFFF"><b>{e(a.title)}</b></td></tr>
<tr><td bgcolor="#F5F5F5" align="center">작성인</td><td bgcolor="#FFFFFF">{e(a.byline)} &nbsp; <span class="date">{a.published:%Y-%m-%d %H:%M:%S}</span></td></tr>
<tr><td bgcolor="#F5F5F5" align="center">&nbsp;</td><td bgcolor="#FFFFFF">조회:{views} &nbsp;&nbsp; 추천:{views % 9} &nbsp; <a href="javascript:window.print()">프린트</a> <a href="#">트위터로 보내기</a> <a href="#">페이스북 공유</a></td></tr>
<tr><td bgcolor="#FFFFFF" colspan="2" class="bbs_content" style="padding:15px;line-height:160%">
{text}
</td></tr>
<tr><td bgcolor="#FFFFFF" colspan="2" class="writer">{e(a.byline)} {a.email}</td></tr>
<tr><td bgcolor="#FFFFFF" colspan="2" class="copy">ⓒ {o.name} 무단전재 및 재배포 금지</td></tr>
<tr><td bgcolor="#FFFFFF" colspan="2" align="right" class="bbs_btn"><a href="#" onclick="bbsRecommend()">추천</a> <a href="#">스크랩</a> <a href="/{o.id}/bbs/list.html">목록</a></td></tr>
</table>
<table width="100%" class="prevnext">{"".join(prev_next)}</table>
</td></tr></table>
<table width="980" align="center" class="footer"><tr><td>{o.name} | 서울특별시 종로구 종로 000 실버회관 3층 | 등록번호 서울 다 07788 | 발행인 김영호 | 편집인 최영숙 | 전화 02-000-6060 | 이메일 webmaster@{o.domain}<br>Copyright ⓒ {o.name}. All rights reserved.</td></tr></table>
<script language="javascript">
function bbsRecommend(){{ alert('추천하였습니다.'); }}
function closeBanner(){{ document.getElementById('top').rows[0].style.display = 'none'; }}
</script>
</body>
</html>
"""


# ---------------------------------------------------------------------------- adsplit (헬스케어인사이트)

AD = (
    '<div class="ad-in-article"><span class="ad-label">AD</span><ins class="adsbygoogle" style="display:block" '
    'data-ad-client="ca-pub-0000000000000000" data-ad-slot="{slot}"></ins>'
    "<script>(adsbygoogle = window.adsbygoogle || []).push({{}});</script></div>"
)


def content_adsplit(a: Article) -> str:
    """The body as the CMS stores it (and as the JSON Feed carries it): byline and copyright appended."""
    paras = "".join(f"<p>{e(p)}</p>" for p in a.paragraphs)
    return (
        f'{paras}<p class="byline">{e(a.byline)} {a.email}</p>'
        f'<p class="copyright">&lt;저작권자 ⓒ {a.outlet.name}, 무단 전재-재배포 금지&gt;</p>'
    )


def page_adsplit(a: Article, day: Day) -> str:
    o = a.outlet
    wx = " ".join(f'<span class="wx">{sky} {place} {t}℃</span>' for sky, place, t in day.weather[:8] if place)
    inline = related(a, day, 2)
    body: list[str] = []
    if a.photo:
        body.append(
            f'<div class="photo_box"><img src="/{o.id}/data/photos/{a.key.rsplit("/", 1)[-1]}.jpg" alt="">'
            f'<p class="caption">▲ {e(a.photo)}</p></div>'
        )
    for i, p in enumerate(a.paragraphs):
        body.append(f"<p>{e(p)}</p>")
        if i == 1:
            body.append(AD.format(slot=1001))
        if i == 2 and inline and i < len(a.paragraphs) - 1:
            links = "".join(f'<li><a href="{x.url}">▶ {e(x.title)}</a></li>' for x in inline)
            body.append(f'<div class="inline-relation"><strong>[관련기사]</strong><ul>{links}</ul></div>')
        if i == 3 and i < len(a.paragraphs) - 1:
            body.append(AD.format(slot=1003))
    body.append(f'<p class="byline">{e(a.byline)} {a.email}</p>')
    popular = "".join(
        f'<li><a href="{x.url}">{e(x.title)}</a></li>' for x in pick(day.articles, f"pop{day.n}{o.id}", 5)
    )
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>{o.name} - {e(a.title)}</title>
<meta name="keywords" content="{o.name}, 헬스케어, 디지털헬스, {", ".join(e(t) for t in a.tags)}">
<meta name="description" content="{e(a.summary)}">
<meta property="og:title" content="{e(a.title)}">
<meta property="og:url" content="{a.url}">
<meta name="article:published_time" content="{a.published.isoformat()}">
<link rel="canonical" href="{a.url}">
<link rel="alternate" type="application/feed+json" title="{o.name}" href="{B}{o.source_path}">
<link rel="stylesheet" href="/{o.id}/css/style.css">
<script async src="/{o.id}/js/adsbygoogle.js"></script>
</head>
<body>
<div id="wrap">
<div id="header">
<div class="top_ticker">{wx} <span class="wx_src">기상청 제공</span> <span class="today">{korean_date(day.date)}</span></div>
<h1 class="logo"><a href="/{o.id}/index.html">{o.name}</a></h1>
<ul class="gnb"><li><a href="/{o.id}/list.html?sec=news">뉴스</a></li><li><a href="/{o.id}/list.html?sec=policy">정책</a></li><li><a href="/{o.id}/list.html?sec=industry">산업</a></li><li><a href="/{o.id}/list.html?sec=ai">AI·데이터</a></li><li><a href="/{o.id}/list.html?sec=hospital">병원</a></li><li><a href="/{o.id}/list.html?sec=column">칼럼</a></li></ul>
</div>
<div id="container">
<div id="content" class="news_view">
<div class="view_head">
<span class="section">{e(a.section)}</span>
<h2 class="view_title">{e(a.title)}</h2>
<div class="view_info"><span>기사입력 : {a.published.year}년 {a.published.month:02d}월 {a.published.day:02d}일 {a.published.hour:02d}시 {a.published.minute:02d}분</span>
<span>최종수정 : {a.updated(day.n):%Y-%m-%d %H:%M}</span></div>
<div class="view_util"><a href="#" class="btn_font">글자크기</a> <a href="#" class="btn_print">인쇄</a> <a href="#" class="btn_share">기사공유하기</a> <a href="#" class="btn_scrap" onclick="scrapArticle()">스크랩</a></div>
</div>
<div id="articleBody" class="article_body">
{chr(10).join(body)}
</div>
<p class="copyright">&lt;저작권자 ⓒ {o.name}, 무단 전재-재배포 금지&gt;</p>
<div class="view_reply"><h3>댓글쓰기</h3><p>로그인 후 댓글을 작성할 수 있습니다.</p></div>
</div>
<div id="aside"><div class="popular"><h3>많이 본 뉴스</h3><ol>{popular}</ol></div>
<div class="ad_side">{AD.format(slot=2001)}</div></div>
</div>
<div id="footer"><p>{o.name} | 서울특별시 영등포구 국제금융로 000 | 인터넷신문 등록번호 서울 아 33221 | 발행·편집인 배수정 | 대표전화 02-000-7788 | 기사제보 news@{o.domain}</p><p>Copyright ⓒ {o.name} All rights reserved.</p></div>
</div>
{script(a, "G-HCIDEMO03")}
</body>
</html>
"""


# ---------------------------------------------------------------------------- govbrief (보건복지 정책브리핑)

GOV_NAV = [
    ("room", "브리핑룸"),
    ("press", "보도자료"),
    ("policy", "정책뉴스"),
    ("ministry", "부처 소식"),
    ("data", "정책자료"),
    ("people", "국민참여"),
]
DEPARTMENTS = {
    "산업통상자원부": ("산업기술융합정책과", "044-000-4512"),
    "과학기술정보통신부": ("인공지능기반정책과", "044-000-2261"),
    "보건복지부": ("보험약제과", "044-000-2370"),
}


def page_govbrief(a: Article, day: Day) -> str:
    o = a.outlet
    nav = "".join(f'<li><a href="/{o.id}/{slug}/list.html">{name}</a></li>' for slug, name in GOV_NAV)
    dept, phone = DEPARTMENTS.get(a.author, ("정책기획관실", "044-000-0000"))
    if a.story == "s16":
        dept = "응급의료정책과"
    paras = "\n".join(f"<p>{e(p)}</p>" for p in a.paragraphs)
    same = [x for x in day.of(o) if x.id != a.id][:3]
    rel = "".join(f'<li><a href="{x.url}">{e(x.title)}</a></li>' for x in same)
    popular = "".join(
        f'<li><a href="{x.url}">{e(x.title)}</a></li>'
        for x in pick(day.articles, f"gov{day.n}", 5, exclude=[a.id])
    )
    short = a.title[:18]
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>{e(a.title)} | 보도자료 | {o.name}</title>
<meta name="date" content="{a.published.isoformat()}">
<link rel="stylesheet" href="/{o.id}/css/gov.css">
</head>
<body>
<div id="skipNav"><a href="#contents">본문 바로가기</a> <a href="#gnb">주메뉴 바로가기</a></div>
<div class="gov_banner"><img src="/{o.id}/img/emblem.png" alt=""> 이 누리집은 대한민국 공식 전자정부 누리집입니다.</div>
<header id="header"><h1><a href="/{o.id}/index.html">{o.name}</a></h1>
<nav id="gnb"><ul>{nav}</ul></nav>
<div class="util"><a href="/{o.id}/sitemap.html">사이트맵</a> <a href="/{o.id}/en/index.html">ENGLISH</a></div></header>
<div id="contents" class="sub_contents">
<div class="location">홈 &gt; 브리핑룸 &gt; 보도자료</div>
<div class="article_head">
<h2 class="view_title">{e(a.title)}</h2>
<ul class="view_info"><li>등록일 {dot_time(a.published)}</li><li>{e(a.author)}</li></ul>
<div class="btn_area"><a href="javascript:window.print();" class="print">인쇄</a> <a href="/{o.id}/index.html" class="list">목록</a> <a href="#" class="share">공유하기</a></div>
</div>
<div class="view_cont">
{paras}
</div>
<div class="view_attach"><strong>첨부파일</strong><ul><li><a href="/{o.id}/attach/{a.key}.hwpx">{e(short)} (보도자료).hwpx</a> <a href="/{o.id}/viewer/{a.key}.html" class="btn_view">바로보기</a></li><li><a href="/{o.id}/attach/{a.key}.pdf">{e(short)} (보도자료).pdf</a></li></ul></div>
<div class="view_dept"><dl><dt>담당 부서</dt><dd>{e(a.author)} {dept}</dd><dt>문의</dt><dd>{phone}</dd></dl></div>
<div class="kogl"><img src="/{o.id}/img/kogl_type1.png" alt="공공누리 제1유형">
<p>이 자료는 {e(a.author)}의 보도자료를 전재하여 제공함을 알려드립니다. 공공누리 제1유형 : 출처표시</p></div>
<div class="related_brief"><h3>관련 보도자료</h3><ul>{rel}</ul></div>
<div class="satisfaction"><p>이 페이지에서 제공하는 정보에 대해 만족하십니까?</p>
<label><input type="radio" name="s" value="5"> 매우만족</label> <label><input type="radio" name="s" value="4"> 만족</label> <label><input type="radio" name="s" value="3"> 보통</label> <label><input type="radio" name="s" value="2"> 불만족</label> <label><input type="radio" name="s" value="1"> 매우불만족</label> <button type="button">평가하기</button></div>
</div>
<aside class="side_popular"><h3>많이 본 정책뉴스</h3><ol>{popular}</ol></aside>
<footer id="footer"><p>(30113) 세종특별자치시 도움로 000 정부세종청사 | {o.name} 운영팀 | 문의 044-000-0000</p>
<p>ⓒ {o.name}. 이 누리집의 콘텐츠는 공공누리 제1유형에 따라 출처를 밝히고 이용할 수 있습니다.</p></footer>
<script>
function evalPage(v){{ alert('소중한 의견 감사합니다.'); }}
</script>
</body>
</html>
"""


def listing_page(outlet: Outlet, day: Day) -> str:
    """An index of the outlet's articles; for the portal it is the source itself."""
    mine = day.of(outlet)
    if outlet.template == "govbrief":
        rows = "".join(
            f'<tr><td class="num">{len(mine) - i}</td><td class="subject"><a href="{x.url}">{e(x.title)}</a>'
            f' <img src="{B}/{outlet.id}/img/ico_file.gif" alt="첨부파일"></td>'
            f'<td class="dept">{e(x.author)}</td><td class="date">{x.published:%Y.%m.%d}</td></tr>'
            for i, x in enumerate(mine)
        )
        nav = "".join(
            f'<li><a href="{B}/{outlet.id}/{slug}/list.html">{name}</a></li>' for slug, name in GOV_NAV
        )
        side = "".join(f'<li><a href="{x.url}">{e(x.title)}</a></li>' for x in mine[:3])
        return f"""<!DOCTYPE html>
<html lang="ko">
<head><meta charset="utf-8"><title>보도자료 | {outlet.name}</title>
<link rel="stylesheet" href="{B}/{outlet.id}/css/gov.css"></head>
<body><div id="skipNav"><a href="#contents">본문 바로가기</a></div>
<div class="gov_banner">이 누리집은 대한민국 공식 전자정부 누리집입니다.</div>
<header><h1><a href="{B}/{outlet.id}/index.html">{outlet.name}</a></h1><nav id="gnb"><ul>{nav}</ul></nav></header>
<div id="contents"><div class="location">홈 &gt; 브리핑룸 &gt; 보도자료</div>
<h2 class="page_title">보도자료</h2>
<form class="search" action="{B}/{outlet.id}/index.html"><select name="dept" title="부처 선택"><option value="">전체 부처</option><option>보건복지부</option><option>과학기술정보통신부</option><option>산업통상자원부</option></select>
<input type="text" name="q" title="검색어 입력"><button type="submit">검색</button></form>
<p class="total">총 <strong>{len(mine)}</strong>건 [{korean_date(day.date)} 기준]</p>
<table class="board_list"><caption>보도자료 목록: 번호, 제목, 부처, 등록일</caption>
<thead><tr><th scope="col">번호</th><th scope="col">제목</th><th scope="col">부처</th><th scope="col">등록일</th></tr></thead>
<tbody>{rows}</tbody></table>
<div class="paging"><strong>1</strong> <a href="{B}/{outlet.id}/index.html?pageIndex=2">2</a> <a href="{B}/{outlet.id}/index.html?pageIndex=3">3</a> <a href="{B}/{outlet.id}/index.html?pageIndex=2" class="next">다음</a></div></div>
<aside class="side_popular"><h3>많이 본 보도자료</h3><ol>{side}</ol></aside>
<footer><p>ⓒ {outlet.name}. 공공누리 제1유형</p></footer></body></html>
"""
    items = "".join(
        f'<li><a href="{x.url}">{e(x.title)}</a> <span class="byline">{e(x.byline)} | {dot_time(x.published)}</span></li>'
        for x in mine
    )
    charset = '<meta charset="euc-kr">' if outlet.encoding == "euc-kr" else '<meta charset="utf-8">'
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>{charset}<title>{outlet.name} - 전체기사</title></head>
<body><h1><a href="{B}/{outlet.id}/index.html">{outlet.name}</a></h1>
<p class="today">{korean_date(day.date)}</p>
<ul class="article-list">{items}</ul>
<p class="feed"><a href="{B}{outlet.source_path}">RSS</a></p>
<footer>ⓒ {outlet.name} 무단전재 및 재배포 금지</footer></body></html>
"""


PAGES: dict[str, Callable[[Article, Day], str]] = {
    "ndsoft": page_ndsoft,
    "story": page_story,
    "board": page_board,
    "adsplit": page_adsplit,
    "govbrief": page_govbrief,
}


# ---------------------------------------------------------------------------- feeds


def rss(outlet: Outlet, day: Day) -> str:
    mine = day.of(outlet)
    items = []
    for a in mine:
        if outlet.template == "board":  # the old board CMS: escaped text, opaque guid, GMT dates
            items.append(
                f"<item>\n<title>{e(a.title)}</title>\n<link>{e(a.feed_url)}</link>\n"
                f"<description>{e(a.summary)}</description>\n<category>{e(a.section)}</category>\n"
                f"<dc:creator>{e(a.byline)}</dc:creator>\n"
                f"<pubDate>{format_datetime(a.published.astimezone(UTC), usegmt=True)}</pubDate>\n"
                f'<guid isPermaLink="false">silvertimes-news-{a.key}</guid>\n</item>'
            )
        else:  # ndsoft: CDATA, no guid, +0900 dates, the reporter in <author>
            items.append(
                f"<item>\n<title><![CDATA[{a.title}]]></title>\n<link>{e(a.feed_url)}</link>\n"
                f"<description><![CDATA[{a.summary}]]></description>\n<category>{e(a.section)}</category>\n"
                f"<author>{e(a.byline)}</author>\n<pubDate>{format_datetime(a.published)}</pubDate>\n</item>"
            )
    title = f"{outlet.name} - 전체기사" if outlet.template == "ndsoft" else outlet.name
    return f"""<?xml version="1.0" encoding="{outlet.encoding}"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{e(title)}</title>
<link>{B}/{outlet.id}/index.html</link>
<description>{e(outlet.name)} 최신 기사</description>
<language>ko</language>
<copyright>Copyright {e(outlet.name)}. All rights reserved.</copyright>
<lastBuildDate>{format_datetime(mine[0].updated(day.n))}</lastBuildDate>
<atom:link href="{B}{outlet.source_path}" rel="self" type="application/rss+xml" />
{chr(10).join(items)}
</channel>
</rss>
"""


def atom(outlet: Outlet, day: Day) -> str:
    mine = day.of(outlet)
    updated = max(a.updated(day.n) for a in mine)
    entries = []
    for a in mine:
        cats = "".join(f'<category term="{e(t)}"/>' for t in (a.section, *a.tags))
        entries.append(
            f"""<entry>
<id>tag:{outlet.domain},2024:story/{a.key}</id>
<title type="text">{e(a.title)}</title>
<link rel="alternate" type="text/html" href="{a.feed_url}"/>
<published>{a.published.isoformat()}</published>
<updated>{a.updated(day.n).isoformat()}</updated>
<author><name>{e(a.byline)}</name><email>{a.email}</email></author>
<summary type="text">{e(a.summary)}</summary>
{cats}
</entry>"""
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko">
<id>tag:{outlet.domain},2024:feed</id>
<title>{e(outlet.name)}</title>
<subtitle>돌봄과 기술이 만나는 곳, {e(outlet.name)}</subtitle>
<updated>{updated.isoformat()}</updated>
<link rel="self" type="application/atom+xml" href="{B}{outlet.source_path}"/>
<link rel="alternate" type="text/html" href="{B}/{outlet.id}/index.html"/>
<generator uri="https://example.invalid/cms" version="3.2">CareCMS</generator>
<rights>ⓒ {e(outlet.name)}</rights>
{chr(10).join(entries)}
</feed>
"""


def json_feed(outlet: Outlet, day: Day) -> str:
    items = [
        {
            "id": f"{outlet.domain}/articles/{a.key}",
            "url": a.feed_url,
            "title": a.title,
            "content_html": content_adsplit(a),
            "summary": a.summary,
            "date_published": a.published.isoformat(),
            "date_modified": a.updated(day.n).isoformat(),
            "authors": [{"name": a.byline}],
            "tags": [a.section, *a.tags],
            "language": "ko",
        }
        for a in day.of(outlet)
    ]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "home_page_url": f"{B}/{outlet.id}/index.html",
        "feed_url": f"{B}{outlet.source_path}",
        "description": f"{outlet.name} 최신 기사 (전문)",
        "language": "ko",
        "authors": [{"name": f"{outlet.name} 편집국"}],
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


FEEDS: dict[str, Callable[[Outlet, Day], str]] = {"rss": rss, "atom": atom, "json": json_feed}


# ---------------------------------------------------------------------------- writing


def file_name(url_path: str) -> str:
    """Where the server looks for a URL: ``?`` becomes ``@`` (see digest.demo.server)."""
    return url_path.lstrip("/").replace("?", "@")


def write(root: Path, url_path: str, text: str, outlet: Outlet) -> None:
    target = root / file_name(url_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if outlet.encoding == "euc-kr":
        data = text.encode("cp949")
        data.decode("euc-kr")  # strict: the declaration must be true, no CP949-only syllables
    else:
        data = text.encode("utf-8")
    target.write_bytes(data)


def build(out: Path = DATA) -> None:
    days, outlets, articles, _archive = load(HERE / "articles.yaml")
    ids = [a.id for a in articles]
    paths = [a.path for a in articles]
    if len(set(ids)) != len(ids) or len(set(paths)) != len(paths):
        raise SystemExit("duplicate article id or URL")
    for n, d in days.items():
        if any(a.published.date() != d for a in articles if a.day == n):
            raise SystemExit(f"a day-{n} article is not dated {d}")
    for n in sorted(days):
        root = out / f"day{n}"
        if root.exists():
            shutil.rmtree(root)
        visible = tuple(sorted((a for a in articles if a.day <= n), key=lambda a: a.published, reverse=True))
        day = Day(n=n, date=days[n], articles=visible, weather=WEATHER[n])
        for outlet in outlets:
            if outlet.feed != "none":
                write(root, outlet.source_path, FEEDS[outlet.feed](outlet, day), outlet)
            write(root, f"/{outlet.id}/index.html", listing_page(outlet, day), outlet)
            for a in day.of(outlet):
                write(root, a.path, PAGES[outlet.template](a, day), outlet)
    write_labels(out, days, outlets, articles)
    write_sources(out, outlets)


def write_labels(out: Path, days: dict[int, date], outlets: list[Outlet], articles: list[Article]) -> None:
    stories: dict[str, dict[str, Any]] = {}
    for a in sorted(articles, key=lambda a: a.published):
        s = stories.setdefault(a.story, {"theme": a.theme, "title": a.title, "outlets": [], "articles": []})
        if a.theme != s["theme"]:
            raise SystemExit(f"{a.id}: story {a.story} has two themes")
        if a.outlet.name not in s["outlets"]:
            s["outlets"].append(a.outlet.name)
        s["articles"].append(a.id)
    labels = {
        "about": "Gold labels of the bundled demo site (fictional articles). url is the path under {base}, "
        "without tracking parameters; body has paragraphs separated by a blank line.",
        "timezone": "Asia/Seoul",
        "days": {f"day{n}": d.isoformat() for n, d in sorted(days.items())},
        "outlets": {
            o.id: {
                "name": o.name,
                "charset": o.charset,
                "feed": o.feed,
                "source": o.source_path,
                "template": o.template,
            }
            for o in outlets
        },
        "stories": dict(sorted(stories.items())),
        "articles": [
            {
                "id": a.id,
                "url": a.path,
                "outlet": a.outlet.id,
                "source": a.outlet.name,
                "day": a.day,
                "published": a.published.isoformat(),
                "title": a.title,
                "theme": a.theme,
                "also": list(a.also),
                "story": a.story,
                "kind": a.kind,
                "body": a.body,
            }
            for a in sorted(articles, key=lambda a: (a.day, a.published))
        ],
    }
    (out / "labels.json").write_text(
        json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


TAGS = {
    "medinews": "[의료, 정책, 의료기기]",
    "caretech": "[에이지테크, 의료AI]",
    "silvertimes": "[실버, 돌봄]",
    "hcinsight": "[디지털헬스, 산업]",
    "policybrief": "[정부, 보도자료]",
}


def write_sources(out: Path, outlets: list[Outlet]) -> None:
    lines = [
        "# Sources of the bundled demo (`digest run --demo`): {base} is the demo server's address.",
        "sources:",
    ]
    for o in outlets:
        lines += [
            f"  - name: {o.name}",
            f'    url: "{B}{o.source_path}"',
            f"    type: {'page' if o.feed == 'none' else 'feed'}",
            f"    tags: {TAGS[o.id]}",
        ]
    (out / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import sys

    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
