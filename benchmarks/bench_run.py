"""End-to-end `digest run` on a synthetic press served by nginx on 127.0.0.1, against bare floors.

    .venv/bin/python benchmarks/bench_run.py [--outlets 500] [--items 30] [--seed 7]
                                             [--json out.json] [--keep DIR] [--profile] [--quick]

What it does:

1. Generates a synthetic press into a temporary folder (or --keep DIR): N outlets x M items. Each
   outlet has one feed (~70 % RSS 2.0, ~30 % Atom 1.0); ~20 % of the outlets are EUC-KR (feed and
   pages declared and encoded so), the rest UTF-8. Every item has its own 30-80 KB article page
   with portal furniture (menus, weather ticker, related and most-read links, scripts, a
   `무단전재 및 재배포 금지` footer) around a 1,000-2,500 character body in
   `<article><div id="article-body"><p>...`; the feed's description is a 1-2 sentence summary,
   so the digest fetches every page. Items come from *events* (silver devices, AI demos,
   regulatory sandboxes, ~30 % other health news), each reported by 1-15 outlets (most by 1-3)
   as reprints (same text, a new lead) or rewrites (own wording, same company, place, amount and
   day). Deterministic for a --seed (the URLs carry the port, so the bytes differ by that only).
2. Serves it with nginx (`worker_processes 1`, keepalive, `etag on`, `if_modified_since exact`:
   conditional GETs answer 304), or, without nginx, with a small threaded Python server.
3. Writes sources.yaml (the sources only, so themes come from digest/defaults.yaml, no e-mail)
   with the `fetch:` limits raised that would otherwise cut the run short (printed).
4. Runs the real `digest run` three times as subprocesses, with DIGEST_TIMINGS set: first run
   (fresh state, date D = today-2 in Asia/Seoul), nothing changed (D+1: every feed 304), 10 % new
   (D+2 = today: every feed gets 10 % new items published earlier today). Wall time and peak RSS
   of the process tree (psutil, every 0.05 s) are measured here; the digest's own per-stage
   seconds and calls come from its timings file. With `--history DAYS`, a 4th run: DAYS days of
   published history are put in the state before run 1 (run 1's items and stored features,
   re-dated; full texts kept, as in a state never pruned), then 10 % new again (for tomorrow).
5. Measures floors in this process on the same bytes: a bare concurrent httpx fetch of every
   feed and page of run 1, bare lxml feed parsing, bare selectolax (lexbor, the digest's parser)
   HTML-to-text, and one batched kiwipiepy `tokenize` of every item's title + 400-character lead.
6. Prints per-run stage tables (stage | seconds | calls | floor | ratio), the targets with
   PASS/FAIL, state size, and one JSON object as the last line (also to --json FILE).

Profiling: `--profile` runs the first run under py-spy (sampling overhead is included in that
run's figures) and prints the exact command; by hand, with a kept folder and nginx running:

    py-spy record -r 100 --subprocesses -o /tmp/run.svg -- \\
        .venv/bin/digest run --sources DIR/sources.yaml --state DIR/fresh.sqlite --out DIR/out-p --date D

`--quick` is `--outlets 50` (a run of a minute or two); `--python-server` serves with the Python
fallback even when nginx is there. Peak memory is the digest's process tree only (this process,
which holds its own analyser for the floor, is not counted). Stop with Ctrl-C at any time: the
digest child and the server are always stopped, and a temporary folder removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
DIGEST_BIN = ROOT / ".venv" / "bin" / "digest"
NGINX = "/usr/sbin/nginx"
KST = timezone(timedelta(hours=9))

# The digest's stage → the floor it is compared with (edit freely; a stage not here has no floor).
STAGE_FLOORS = {"fetch": "fetch", "parse": "parse", "extract": "html_text", "analyse": "analysis"}
STAGE_ORDER = ["fetch", "parse", "extract", "analyse", "store", "load", "cluster", "themes", "render"]
STAGE_ORDER += ["write", "deliver"]
# fetch: settings raised for the benchmark (the defaults would stop a large run early or, with
# every outlet on one host, serialise it: in the real press each outlet is its own host).
FETCH_OVERRIDES = {"run_deadline": 36000, "source_budget": 36000}

SYLLABLES = "가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히개내대래매배새애재채한민국정영성진현수경상원호재석"
SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허남심노하곽성차주우구민유나진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
GIVEN = "민서준지현우수영진호성예은하윤도연재희정경태상혁동석원승주미나혜선규"
THEMES: dict[str, list[str]] = {
    "silver": ["고령친화 의료기기", "돌봄로봇", "돌봄 로봇", "에이지테크", "복지용구", "낙상감지", "보행보조",
               "재활로봇", "스마트돌봄", "독거노인", "어르신", "장기요양", "웨어러블 로봇", "원격돌봄", "고령친화산업"],
    "ai": ["의료 AI 실증", "가상병원", "AI 바우처", "의료AI", "시범사업", "영상판독", "진단보조", "디지털트윈",
           "스마트병원", "인공지능", "AI 의료기기", "닥터앤서"],
    "sandbox": ["규제샌드박스", "실증특례", "규제자유특구", "임시허가", "규제특례", "심의위원회", "특례"],
    "other": ["건강보험", "신약", "임상시험", "필수의료", "응급실", "전공의", "백신", "감염병", "제약사", "수가",
              "약가", "병상", "공공의료", "희귀질환", "항암제", "의료기관", "간호인력", "비대면진료"],
}  # fmt: skip
THEME_WEIGHTS = {"silver": 0.24, "ai": 0.24, "sandbox": 0.22, "other": 0.30}
PLACES = ["서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "수원", "성남", "고양", "용인", "청주",
          "천안", "전주", "포항", "창원", "김해", "제주", "춘천", "원주", "강릉", "안동", "구미", "목포", "여수",
          "순천", "군산", "익산", "아산", "충주", "제천", "진주", "통영", "양산", "경주", "평택", "화성", "시흥", "파주"]  # fmt: skip
AGENCIES = ["보건복지부", "중소벤처기업부", "과학기술정보통신부", "식품의약품안전처", "한국보건산업진흥원",
            "산업통상자원부", "국민건강보험공단", "건강보험심사평가원", "정보통신산업진흥원"]  # fmt: skip
ENDINGS = ["했다", "밝혔다", "설명했다", "계획이다", "예정이다", "전망이다", "강조했다", "덧붙였다", "말했다",
           "발표했다", "추진한다", "나선다", "기대된다", "보인다"]  # fmt: skip
MODIFIERS = ["새로운", "주요", "본격적인", "다양한", "지역", "현장", "올해", "내년", "최근", "관련", "국내",
             "해외", "첫", "대규모", "공동", "맞춤형", "차세대", "공공"]  # fmt: skip
UNITS = ["억원", "명", "곳", "개", "건", "%", "대", "개소"]
WEATHER = ["맑음", "구름많음", "흐림", "비", "눈", "구름조금"]
MENU = ["전체기사", "정치", "경제", "사회", "산업", "의료", "제약", "바이오", "헬스케어", "병원", "정책", "IT",
        "과학", "오피니언", "인물", "포토", "영상", "지역", "국제", "기획", "연재", "이슈", "칼럼", "사설"]  # fmt: skip
SUBMENU = [
    "일반",
    "종합",
    "현장",
    "인터뷰",
    "분석",
    "동향",
    "행사",
    "인사",
    "부고",
    "보도자료",
    "특집",
    "단독",
]
FOOTER = ["회사소개", "광고문의", "제휴문의", "기사제보", "개인정보처리방침", "청소년보호정책", "이메일무단수집거부",
          "저작권보호정책", "고충처리인", "RSS", "구독신청", "찾아오시는 길"]  # fmt: skip
LEAD_TEMPLATES = [
    "{company}{ga} {day}일 {place}에서 {amount} 규모의 {t1} {t2} 사업에 나선다고 밝혔다.",
    "{place}시{neun} {day}일 {company}{wa} 손잡고 {t1} 분야 {t2} 계획을 발표했다. 사업비는 {amount}이다.",
    "{agency}{neun} {day}일 {company}의 {t1} 과제를 {place} 지역 {t2} 사업으로 선정했다고 밝혔다. 지원 규모는 {amount}이다.",
    "{company}{neun} {day}일 {place} 일대에서 {t1} {t2} 실증을 시작하며 {amount}{eul} 투입한다고 전했다.",
    "{t1} 확산을 위해 {company}{ga} {place}에 {amount}{eul} 들여 {t2} 거점을 만든다고 {day}일 발표했다.",
    "{day}일 업계에 따르면 {company}{neun} {place}에서 {t1} 관련 {t2} 서비스를 내놓고 {amount} 매출을 목표로 한다.",
]  # fmt: skip
TITLE_TEMPLATES = [
    "{company}, {place}서 {t1} {w1} 본격화",
    "{place} {t1} {w1}에 {amount} 투입…{company} 참여",
    "{company} {t1} {t2} 착수…{amount} 규모",
    "\"{t1} 현장 바꾼다\" {company}, {place} {w1}",
    "{agency}, {company} {t1} {w1} 선정",
    "{t1}·{t2} 앞세운 {company}, {place} {w1} 나서",
]  # fmt: skip
OUTLETS_PER_EVENT = [40, 22, 12, 6, 4, 3, 2, 2, 1.5, 1.5, 1, 1, 1, 1, 1]  # weights of 1..15 outlets


def has_batchim(word: str) -> bool:
    c = word[-1] if word else "가"
    if "가" <= c <= "힣":
        return (ord(c) - 0xAC00) % 28 != 0
    return c in "0136781LMNRlmnr"  # 영, 일, 삼, 육, 칠, 팔 / el, em, en, ar


def josa(word: str, with_batchim: str, without: str) -> str:
    return with_batchim if has_batchim(word) else without


# --------------------------------------------------------------------------- the world


class World:
    """A fixed vocabulary: common nouns (Zipf-like use), companies, outlet names, reporters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.common = [self.word(2, 3) for _ in range(4000)]
        self.cum = list(_cumulative(1.0 / (r + 1) for r in range(len(self.common))))
        suffixes = ["케어", "헬스", "메드", "바이오", "랩스", "로보틱스", "테크", "메디칼"]
        self.companies = [self.word(2, 3) + rng.choice(suffixes) for _ in range(20000)]
        self.regions = [self.word(2, 2) for _ in range(400)]

    def word(self, lo: int, hi: int) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(lo, hi)))

    def nouns(self, k: int, rng: random.Random) -> list[str]:
        return rng.choices(self.common, cum_weights=self.cum, k=k)

    def person(self, rng: random.Random) -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)

    def sentence(self, rng: random.Random, words: list[str]) -> str:
        """Words with particles (chosen by the final consonant), a modifier now and then, an ending."""
        parts: list[str] = []
        for w in words:
            if rng.random() < 0.15:
                parts.append(rng.choice(MODIFIERS))
            r = rng.random()
            if r < 0.2:
                parts.append(w + josa(w, "은", "는"))
            elif r < 0.4:
                parts.append(w + josa(w, "이", "가"))
            elif r < 0.6:
                parts.append(w + josa(w, "을", "를"))
            elif r < 0.7:
                parts.append(w + josa(w, "과", "와"))
            elif r < 0.8:
                parts.append(w + rng.choice(["의", "에", "에서", "도"]))
            else:
                parts.append(w)
        parts.append(rng.choice(ENDINGS))
        return " ".join(parts) + "."


def _cumulative(weights: Any) -> Any:
    total = 0.0
    for w in weights:
        total += w
        yield total


@dataclass
class Event:
    id: int
    theme: str
    company: str
    place: str
    agency: str
    amount: str
    day: int  # day of the month the lead names
    base: datetime  # when the first report goes out
    terms: list[str]  # theme terms
    topic: list[str]  # the event's own words
    numbers: list[str]
    body: list[str] = field(default_factory=list)  # the original's paragraphs (reprints copy them)
    title: str = ""
    outlets: set[int] = field(default_factory=set)


@dataclass
class Report:
    outlet: int
    idx: int
    url: str
    title: str
    summary: str
    published: datetime
    author: str
    lead: str  # title + newline + the first 400 characters of the text (the analysis floor)
    event: int
    kind: str  # original | reprint | rewrite
    category: str


@dataclass
class Outlet:
    i: int
    name: str
    slug: str
    atom: bool
    euckr: bool
    reporters: list[str]
    head: str = ""  # the page furniture before the article
    tail: str = ""  # after it
    related: list[str] = field(default_factory=list)
    js: bytes = b""
    items: list[Report] = field(default_factory=list)
    next_idx: int = 0

    @property
    def charset(self) -> str:
        return "euc-kr" if self.euckr else "utf-8"

    @property
    def codec(self) -> str:
        return "cp949" if self.euckr else "utf-8"

    @property
    def feed_path(self) -> str:
        return f"/{self.slug}/{'atom' if self.atom else 'rss'}.xml"


class Press:
    """The synthetic press: outlets, events and their reports, written as files under www/."""

    def __init__(self, root: Path, base_url: str, n: int, m: int, seed: int) -> None:
        self.root = root
        self.base = base_url
        self.m = m
        self.rng = random.Random(seed)
        self.world = World(random.Random(seed + 1))
        self.events: list[Event] = []
        self.bytes_written = 0
        self.pages_written = 0
        self.kinds = {"original": 0, "reprint": 0, "rewrite": 0}
        rng = self.rng
        names: set[str] = set()
        self.outlets: list[Outlet] = []
        for i in range(n):
            name = ""
            while not name or name in names:
                name = self.world.word(2, 3) + rng.choice(
                    ["일보", "뉴스", "신문", "메디컬", "헬스", "경제", "타임스"]
                )
            names.add(name)
            reporters = [self.world.person(rng) for _ in range(rng.randint(4, 10))]
            o = Outlet(i, name, f"o{i:03d}", rng.random() < 0.3, rng.random() < 0.2, reporters)
            self._furniture(o)
            self.outlets.append(o)

    # ----------------------------------------------------------------------- furniture

    def _furniture(self, o: Outlet) -> None:
        """The outlet's page template: built once, filled in per page."""
        rng, w = self.rng, self.world
        menu = []
        for label in rng.sample(MENU, rng.randint(12, len(MENU))):
            subs = "".join(
                f'<li><a href="/{o.slug}/list/{label}/{s}">{s}</a></li>'
                for s in rng.sample(SUBMENU, rng.randint(3, 8))
            )
            menu.append(
                f'<li class="gnb-item"><a href="/{o.slug}/list/{label}">{label}</a><ul class="sub">{subs}</ul></li>'
            )
        weather = " ".join(
            f"<span>{rng.choice(WEATHER)}{p}{rng.uniform(-8, 12):.1f}℃</span>" for p in rng.sample(PLACES, 12)
        )
        o.related = [
            f'<li><a href="/{o.slug}/news/{rng.randrange(10**6)}.html">{" ".join(w.nouns(rng.randint(4, 7), rng))}</a>'
            f'<span class="date">{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</span></li>'
            for _ in range(300)
        ]
        popular = "".join(
            f'<li><a href="/{o.slug}/news/{rng.randrange(10**6)}.html">{" ".join(w.nouns(5, rng))}</a></li>'
            for _ in range(10)
        )
        footer = "".join(f'<li><a href="/{o.slug}/page/{k}">{f}</a></li>' for k, f in enumerate(FOOTER))
        o.head = (
            '<body><div id="wrap"><div class="skip"><a href="#article-body">본문 바로가기</a></div>'
            '<header id="header"><div class="top-bar"><ul class="util"><li><a href="/login">로그인</a></li>'
            '<li><a href="/join">회원가입</a></li><li><a href="/sub">구독</a></li></ul>'
            f'<div class="weather-ticker">{weather}</div></div>'
            f'<div class="logo"><a href="/{o.slug}/">{o.name}</a></div>'
            f'<nav id="gnb"><ul>{"".join(menu)}</ul></nav>'
            '<form class="search"><input type="text" name="q" placeholder="검색어를 입력하세요"><button>검색</button></form>'
            '</header><div id="container"><div class="breadcrumb"><a href="/">홈</a> &gt; <a href="#">헬스케어</a></div>'
        )
        o.tail = (
            '<aside id="aside"><section class="popular"><h3>많이 본 뉴스</h3>'
            f"<ol>{popular}</ol></section></aside></div>"
            f'<footer id="footer"><ul class="footer-menu">{footer}</ul>'
            f"<address>{rng.choice(PLACES)}시 {w.word(2, 3)}로 {rng.randint(1, 300)} · 대표전화 02-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
            f" · 발행인 {w.person(rng)} · 편집인 {w.person(rng)} · 청소년보호책임자 {w.person(rng)}</address>"
            f'<p class="copy">{o.name}의 모든 콘텐츠(영상,기사, 사진)는 저작권법의 보호를 받은바, 무단 전재와 복사, 배포 등을 금합니다.</p>'
            f"<p>Copyright © {o.name}. All rights reserved. 무단전재 및 재배포 금지</p></footer></div>"
        )
        idents = [f"{rng.choice('abcdefghijklmnopqrstuvwxyz_$')}{rng.randrange(36**3):x}" for _ in range(200)]
        chunks = []
        size = 0
        while size < 90_000:
            a, b, c = rng.sample(idents, 3)
            s = rng.choice(
                [
                    f"var {a}=function({b}){{return {b}&&{b}.{c}?{b}.{c}({rng.randint(0, 99)}):null}};",
                    f"window.{a}=window.{a}||[];{a}.push({{'{b}':'{c}',t:{rng.randint(0, 10**6)}}});",
                    f"if(typeof {a}!=='undefined'){{{b}.addEventListener('load',{c},!1)}}",
                    f"document.querySelectorAll('.{b}').forEach(function(e){{e.{c}='{a}'}});",
                ]
            )
            chunks.append(s)
            size += len(s)
        o.js = "".join(chunks).encode("ascii")

    # ----------------------------------------------------------------------- events and texts

    def _event(self, start: datetime, end: datetime) -> Event:
        rng, w = self.rng, self.world
        theme = rng.choices(list(THEME_WEIGHTS), weights=list(THEME_WEIGHTS.values()))[0]
        base = start + (end - start) * rng.random()
        terms = rng.sample(THEMES[theme], 3)
        numbers = [f"{rng.randint(2, 999)}{rng.choice(UNITS)}" for _ in range(3)]
        place = rng.choice(PLACES) if rng.random() < 0.6 else rng.choice(w.regions)
        ev = Event(
            id=len(self.events),
            theme=theme,
            company=rng.choice(w.companies),
            place=place,
            agency=rng.choice(AGENCIES),
            amount=f"{rng.randint(3, 900)}억원",
            day=base.day,
            base=base,
            terms=terms,
            topic=[w.word(2, 3) for _ in range(3)] + w.nouns(4, rng),
            numbers=numbers,
        )
        ev.title = self._title(ev, rng)
        ev.body = self._paragraphs(ev, rng, rng.randint(1000, 2500), facts=0.35)
        self.events.append(ev)
        return ev

    def _fill(self, ev: Event, template: str, rng: random.Random) -> str:
        w1, w2 = rng.sample(ev.topic, 2)
        return template.format(
            company=ev.company,
            place=ev.place,
            agency=ev.agency,
            amount=ev.amount,
            day=ev.day,
            t1=ev.terms[0],
            t2=rng.choice(ev.terms[1:]),
            w1=w1,
            w2=w2,
            ga=josa(ev.company, "이", "가"),
            neun=josa(ev.company if template.startswith("{company}") else ev.agency, "은", "는")
            if "{place}시" not in template
            else "는",
            wa=josa(ev.company, "과", "와"),
            eul=josa(ev.amount, "을", "를"),
        )

    def _title(self, ev: Event, rng: random.Random) -> str:
        return self._fill(ev, rng.choice(TITLE_TEMPLATES), rng)

    def _paragraphs(self, ev: Event, rng: random.Random, chars: int, facts: float) -> list[str]:
        """A lead naming company, place, amount and day; then paragraphs of 2-4 sentences with the
        event's words, a fact now and then, and filler nouns, until `chars` characters."""
        w = self.world
        paras = [self._fill(ev, rng.choice(LEAD_TEMPLATES), rng)]
        size = len(paras[0])
        fact_words = [ev.company, ev.place, ev.agency, *ev.numbers]
        while size < chars:
            sents = []
            for _ in range(rng.randint(2, 4)):
                words = w.nouns(rng.randint(4, 7), rng) + rng.sample(ev.topic, rng.randint(0, 2))
                if rng.random() < 0.5:
                    words.append(rng.choice(ev.terms))
                if rng.random() < facts:
                    words.append(rng.choice(fact_words))
                rng.shuffle(words)
                sents.append(w.sentence(rng, words))
            para = " ".join(sents)
            paras.append(para)
            size += len(para)
        return paras

    def report(self, ev: Event, o: Outlet, when: datetime) -> None:
        """One outlet's report of an event: the original, a reprint or a rewrite; its page written."""
        rng = self.rng
        if not ev.outlets:
            kind, title, paras = "original", ev.title, ev.body
        elif rng.random() < 0.55:
            kind = "reprint"
            lead = self._fill(ev, rng.choice(LEAD_TEMPLATES), rng)
            drop = rng.randrange(1, len(ev.body)) if len(ev.body) > 2 else None
            paras = [lead] + [p for k, p in enumerate(ev.body[1:], 1) if k != drop]
            title = ev.title if rng.random() < 0.5 else self._title(ev, rng)
        else:
            kind = "rewrite"
            title = self._title(ev, rng)
            paras = self._paragraphs(ev, rng, rng.randint(1000, 2500), facts=0.2)
        ev.outlets.add(o.i)
        self.kinds[kind] += 1
        o.next_idx += 1
        idx = o.i * 100_000 + o.next_idx
        url = f"{self.base}/{o.slug}/news/{idx}.html"
        author = rng.choice(o.reporters) + " 기자"
        first = paras[0].split(". ")
        summary = ". ".join(first[: rng.randint(1, 2)]).rstrip(".") + "."
        text = "\n\n".join(paras)
        category = {"silver": "헬스케어", "ai": "IT", "sandbox": "정책", "other": "의료"}[ev.theme]
        r = Report(
            o.i, idx, url, title, summary, when, author, f"{title}\n{text[:400]}", ev.id, kind, category
        )
        o.items.append(r)
        self._write_page(o, r, paras)

    def _write_page(self, o: Outlet, r: Report, paras: list[str]) -> None:
        rng = self.rng
        when = r.published
        ampm = "오전" if when.hour < 12 else "오후"
        hour12 = when.hour % 12 or 12
        shown = f"{when:%Y-%m-%d} {ampm} {hour12}:{when:%M}"
        edited = when + timedelta(minutes=rng.randint(0, 90))
        start = rng.randrange(0, len(o.related) - 60)
        related = "".join(o.related[start : start + rng.randint(20, 60)])
        body = "".join(f"<p>{escape(p)}</p>" for p in paras)
        t = escape(r.title)
        head = (
            f'<!DOCTYPE html>\n<html lang="ko"><head><meta charset="{o.charset}">'
            f"<title>{t} - {o.name}</title>"
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta property="og:title" content={quoteattr(r.title)}>'
            f'<meta property="og:type" content="article"><meta property="og:site_name" content="{o.name}">'
            f'<meta property="og:url" content="{r.url}"><meta name="description" content={quoteattr(r.summary)}>'
            f'<meta property="article:published_time" content="{when.isoformat()}">'
            f'<link rel="canonical" href="{r.url}"><link rel="stylesheet" href="/{o.slug}/css/style.css">'
            f"<script>window.dataLayer=window.dataLayer||[];var article_id={r.idx};</script></head>"
        )
        article = (
            f'<article id="article-view"><header class="article-head"><h1 class="headline">{t}</h1>'
            f'<div class="info"><span class="byline">{r.author}</span><span class="date">입력 {shown}</span>'
            f'<span class="date">수정 {edited:%Y-%m-%d %H:%M}</span></div>'
            '<div class="share"><a href="#">페이스북</a><a href="#">트위터</a><a href="#">카카오톡</a>'
            '<a href="#">URL복사</a><button class="font">글씨크기</button></div></header>'
            f'<div id="article-body" itemprop="articleBody">{body}'
            f'<p class="reporter">{r.author} reporter{r.idx % 97}@{o.slug}.co.kr</p></div>'
            f'<div class="copyright">저작권자 © {o.name} 무단전재 및 재배포 금지</div>'
            f'<section class="related"><h3>관련기사</h3><ul>{related}</ul></section></article>'
        )
        html = (head + o.head + article + o.tail).encode(o.codec, "xmlcharrefreplace")
        target = rng.randint(30_000, 80_000)
        pad = max(0, target - len(html) - 40)
        data = html + b"<script>" + o.js[:pad] + b"</script></body></html>\n"
        path = self.root / o.slug / "news" / f"{r.idx}.html"
        with open(path, "wb", buffering=1 << 17) as fh:
            fh.write(data)
        self.bytes_written += len(data)
        self.pages_written += 1

    # ----------------------------------------------------------------------- rounds

    def generate(self, per_outlet: int, start: datetime, end: datetime, follow_share: float = 0.0) -> int:
        """Fill `per_outlet` new items per outlet from events published in [start, end]: new
        events (each reported by 1-15 outlets, most by 1-3), and with `follow_share` new reports
        of earlier events by outlets that had not reported them. Returns the reports made."""
        rng = self.rng
        for o in self.outlets:
            (self.root / o.slug / "news").mkdir(parents=True, exist_ok=True)
        cap = {o.i: per_outlet for o in self.outlets}
        avail = list(cap)
        old = list(self.events)
        made = 0
        while avail:
            k = rng.choices(range(1, 16), weights=OUTLETS_PER_EVENT)[0]
            if old and rng.random() < follow_share:
                ev = rng.choice(old)
                pool = [i for i in avail if i not in ev.outlets]
                k = min(rng.randint(1, 2), len(pool))
                if not k:
                    continue
                base = start + (end - start) * rng.random()
            else:
                ev = self._event(start, end)
                pool, base = avail, ev.base
                k = min(k, len(pool))
            for i in rng.sample(pool, k):
                delay = timedelta(hours=rng.uniform(0, 6)) if ev.outlets else timedelta(0)
                when = min(base + delay, end)
                when = when.replace(microsecond=0)
                self.report(ev, self.outlets[i], when)
                made += 1
                cap[i] -= 1
                if cap[i] == 0:
                    avail.remove(i)
        return made

    def write_feeds(self) -> None:
        """Each outlet's feed: its newest M items, newest first."""
        for o in self.outlets:
            o.items.sort(key=lambda r: r.published, reverse=True)
            items = o.items[: self.m]
            link = f"{self.base}/{o.slug}/"
            if o.atom:
                entries = "".join(
                    f'<entry><title>{escape(r.title)}</title><link rel="alternate" href="{r.url}"/>'
                    f"<id>{r.url}</id><published>{r.published.isoformat()}</published>"
                    f"<updated>{r.published.isoformat()}</updated><author><name>{r.author}</name></author>"
                    f'<category term="{r.category}"/><summary type="text">{escape(r.summary)}</summary></entry>'
                    for r in items
                )
                doc = (
                    f'<?xml version="1.0" encoding="{o.charset}"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                    f'<title>{o.name}</title><id>{link}</id><link rel="alternate" href="{link}"/>'
                    f'<link rel="self" href="{self.base}{o.feed_path}"/><updated>{items[0].published.isoformat()}</updated>'
                    f"{entries}</feed>\n"
                )
            else:
                entries = "".join(
                    f"<item><title>{escape(r.title)}</title><link>{r.url}</link>"
                    f'<guid isPermaLink="true">{r.url}</guid><description>{escape(r.summary)}</description>'
                    f"<pubDate>{email.utils.format_datetime(r.published)}</pubDate><author>{r.author}</author>"
                    f"<category>{r.category}</category></item>"
                    for r in items
                )
                doc = (
                    f'<?xml version="1.0" encoding="{o.charset}"?>\n<rss version="2.0"><channel>'
                    f"<title>{o.name}</title><link>{link}</link><description>{o.name} 전체기사</description>"
                    f"<language>ko</language><lastBuildDate>{email.utils.format_datetime(items[0].published)}"
                    f"</lastBuildDate>{entries}</channel></rss>\n"
                )
            data = doc.encode(o.codec, "xmlcharrefreplace")
            path = self.root / o.feed_path.lstrip("/")
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomically: nginx never serves half a feed
            self.bytes_written += len(data)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ application/xml xml; text/html html; }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    etag on;
    if_modified_since exact;
    client_body_temp_path {work}/nginx-tmp/client;
    proxy_temp_path {work}/nginx-tmp/proxy;
    fastcgi_temp_path {work}/nginx-tmp/fastcgi;
    uwsgi_temp_path {work}/nginx-tmp/uwsgi;
    scgi_temp_path {work}/nginx-tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location / {{ }}
    }}
}}
"""


class Server:
    """nginx on 127.0.0.1 (or the Python fallback), always stopped by `stop`."""

    def __init__(self, work: Path, www: Path, port: int, python: bool = False) -> None:
        self.work, self.www, self.port, self.python = work, www, port, python
        self.proc: subprocess.Popen[bytes] | None = None
        self.kind = ""

    def start(self) -> None:
        if os.access(NGINX, os.X_OK) and not self.python:
            (self.work / "nginx-tmp").mkdir(exist_ok=True)
            conf = self.work / "nginx.conf"
            # As root, nginx's workers would drop to `nobody`: keep them the current user.
            user = ""
            if os.geteuid() == 0:
                import grp
                import pwd

                user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
            conf.write_text(NGINX_CONF.format(user=user, work=self.work, www=self.www, port=self.port))
            cmd = [NGINX, "-p", str(self.work), "-c", str(conf), "-e", str(self.work / "nginx-error.log")]
            self.kind = "nginx"
        else:
            if not self.python:
                print("nginx not found: falling back to a threaded Python server (a slower floor)")
            cmd = [sys.executable, __file__, "--serve", str(self.www), str(self.port)]
            self.kind = "python"
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.work / "nginx-error.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise SystemExit(f"bench_run: the {self.kind} server exited ({self.proc.returncode}): {tail}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise SystemExit(f"bench_run: the {self.kind} server did not listen on port {self.port}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def serve_python(root: str, port: int) -> None:
    """The fallback server: static files, HTTP/1.1 keepalive, ETag and Last-Modified, 304."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    base = Path(root).resolve()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = (base / self.path.split("?")[0].lstrip("/")).resolve()
            if not path.is_file() or base not in path.parents:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            st = path.stat()
            etag = f'"{int(st.st_mtime):x}-{st.st_size:x}"'
            modified = email.utils.formatdate(int(st.st_mtime), usegmt=True)
            if self.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == modified
            ):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml" if path.suffix == ".xml" else "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# --------------------------------------------------------------------------- floors


def floor_fetch(urls: list[str], concurrency: int) -> tuple[float, int, int]:
    """Seconds to GET every URL with one httpx.AsyncClient, `concurrency` at once; bytes; errors."""
    import httpx

    async def main() -> tuple[float, int, int]:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        queue = list(reversed(urls))
        total = errors = 0
        async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=60) as client:

            async def worker() -> None:
                nonlocal total, errors
                while queue:
                    url = queue.pop()
                    r = await client.get(url)
                    body = await r.aread()
                    total += len(body)
                    errors += r.status_code != 200

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - started, total, errors

    return asyncio.run(main())


def floor_parse(paths: list[Path]) -> tuple[float, int]:
    from lxml import etree

    atom = "{http://www.w3.org/2005/Atom}"
    seconds, n = 0.0, 0
    for p in paths:
        data = p.read_bytes()
        started = time.perf_counter()
        root = etree.fromstring(data)
        if root.tag == f"{atom}feed":
            for e in root.iter(f"{atom}entry"):
                link = e.find(f"{atom}link")
                _ = (e.findtext(f"{atom}title"), link.get("href") if link is not None else None)
                _ = e.findtext(f"{atom}summary")
                n += 1
        else:
            for e in root.iter("item"):
                _ = (e.findtext("title"), e.findtext("link"), e.findtext("description"))
                n += 1
        seconds += time.perf_counter() - started
    return seconds, n


def floor_html_text(pages: list[tuple[Path, str]]) -> tuple[float, int]:
    from selectolax.lexbor import LexborHTMLParser

    seconds, chars = 0.0, 0
    for p, codec in pages:
        data = p.read_bytes()
        started = time.perf_counter()
        tree = LexborHTMLParser(data.decode(codec, "replace"))
        body = tree.body
        chars += len(body.text(separator="\n")) if body is not None else 0
        seconds += time.perf_counter() - started
    return seconds, chars


def floor_analysis(texts: list[str]) -> tuple[float, float]:
    from kiwipiepy import Kiwi

    started = time.perf_counter()
    kiwi = Kiwi()
    kiwi.tokenize("모델을 불러온다.")
    load = time.perf_counter() - started
    started = time.perf_counter()
    for _ in kiwi.tokenize(texts):
        pass
    return time.perf_counter() - started, load


# --------------------------------------------------------------------------- runs


class TreeRss(threading.Thread):
    """The peak of the summed RSS of a process and all its descendants, polled every 0.05 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.done.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self.done.wait(0.05)


@dataclass
class RunResult:
    name: str
    day: date
    wall: float
    peak_tree_mb: float
    rc: int
    timings: dict[str, Any]
    stdout: str
    stderr: str
    state_bytes: int = 0
    items: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    stories: int | None = None


SOURCE_LINE = re.compile(
    r"^\s{2}\S.*?\s+(?:seen\s+(\d+)\s+new\s+(\d+)\s+failed\s+(\d+)(?:\s+older\s+(\d+))?|(not modified)|(FAILED))"
)


def summarize_sources(stdout: str) -> dict[str, int]:
    out = {"sources": 0, "seen": 0, "new": 0, "failed": 0, "older": 0, "not_modified": 0, "source_failed": 0}
    out["notes"] = sum(1 for line in stdout.splitlines() if line.strip().startswith("note:"))
    for line in stdout.splitlines():
        m = SOURCE_LINE.match(line)
        if not m or line.strip().startswith("note:"):
            continue
        out["sources"] += 1
        if m.group(5):
            out["not_modified"] += 1
        elif m.group(6):
            out["source_failed"] += 1
        else:
            out["seen"] += int(m.group(1))
            out["new"] += int(m.group(2))
            out["failed"] += int(m.group(3))
            out["older"] += int(m.group(4) or 0)
    return out


def run_digest(
    n: int, name: str, work: Path, day: date, sources: Path, state: Path, out: Path, profile: Path | None
) -> RunResult:
    timings_path = work / f"timings-{n}.json"
    timings_path.unlink(missing_ok=True)
    env = dict(os.environ, DIGEST_TIMINGS=str(timings_path))
    cmd = [str(DIGEST_BIN), "run", "--sources", str(sources), "--state", str(state), "--out", str(out)]
    cmd += ["--date", day.isoformat()]
    if profile is not None:
        cmd = ["py-spy", "record", "-r", "100", "--subprocesses", "-o", str(profile), "--", *cmd]
        print(f"  profiling: {' '.join(cmd)}")
    so, se = work / f"run{n}.stdout", work / f"run{n}.stderr"
    with open(so, "wb") as fo, open(se, "wb") as fe:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        poll = TreeRss(proc.pid)
        poll.start()
        try:
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(20)
            poll.done.set()
            poll.join(2)
        wall = time.perf_counter() - started
    stdout, stderr = so.read_text(errors="replace"), se.read_text(errors="replace")
    timings: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        timings = json.loads(timings_path.read_text())
    r = RunResult(name, day, wall, poll.peak / 2**20, rc, timings, stdout, stderr)
    r.sources = summarize_sources(stdout)
    if state.exists():
        r.state_bytes = sum(p.stat().st_size for p in state.parent.glob(state.name + "*") if p.is_file())
        with contextlib.closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as db:
            r.items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    dj = out / day.isoformat() / "digest.json"
    if dj.exists():
        with contextlib.suppress(ValueError, OSError):
            r.stories = count_stories(json.loads(dj.read_text()))
    return r


def count_stories(doc: Any) -> int | None:
    """Stories in a digest.json, whatever its exact shape: a top-level count, or sections' lists."""
    if isinstance(doc, dict):
        for key in ("story_count", "stories_count"):
            if isinstance(doc.get(key), int):
                return int(doc[key])
        sections = doc.get("sections") or doc.get("themes")
        if isinstance(sections, list):
            return sum(len(s.get("stories", [])) for s in sections if isinstance(s, dict))
        if isinstance(doc.get("stories"), list):
            return len(doc["stories"])
    return None


# --------------------------------------------------------------------------- report


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def stage_table(r: RunResult, floors: dict[str, float] | None, floor_sum: float | None) -> list[str]:
    stages: dict[str, float] = r.timings.get("stages", {}) or {}
    calls: dict[str, int] = r.timings.get("calls", {}) or {}
    names = [s for s in STAGE_ORDER if s in stages] + sorted(s for s in stages if s not in STAGE_ORDER)
    lines = [f"  {'stage':<12} {'seconds':>9} {'calls':>8} {'floor':>9} {'ratio':>7}"]
    for s in names:
        f = floors.get(STAGE_FLOORS[s]) if floors is not None and s in STAGE_FLOORS else None
        ratio = f"{stages[s] / f:.2f}x" if f else "-"
        lines.append(f"  {s:<12} {stages[s]:>9.2f} {calls.get(s, 0):>8} {fmt_s(f):>9} {ratio:>7}")
    if not names:
        lines.append("  (the digest recorded no stages)")
    ratio = f"{r.wall / floor_sum:.2f}x" if floor_sum else "-"
    lines.append(f"  {'wall':<12} {r.wall:>9.2f} {'':>8} {fmt_s(floor_sum):>9} {ratio:>7}")
    busy = [s for s in names if stages[s] > r.wall]
    if busy:
        lines.append(
            f"  ({', '.join(busy)}: more seconds than the wall: summed over concurrent calls, waits included)"
        )
    return lines


def digest_summary(stdout: str) -> list[str]:
    """The digest's own lines, without the one line per source."""
    keep: list[str] = []
    section = ""
    files: list[str] = []
    for line in stdout.splitlines():
        if not line.startswith("  "):
            section = line.split(" ", 1)[0]
            if section not in ("files", "sources:"):
                keep.append(line)
            continue
        if section == "files":
            files.append(line.strip())
        elif section != "sources:":
            keep.append(line)
    if files:
        folders = sorted({str(Path(f).parent) for f in files})
        keep.append(f"files: {len(files)} ({', '.join(Path(f).name for f in files)}) in {', '.join(folders)}")
    return keep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=500)
    parser.add_argument("--items", type=int, default=30, help="items per feed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the result JSON here")
    parser.add_argument("--keep", help="generate into DIR and keep it (default: a temp dir, removed)")
    parser.add_argument("--profile", action="store_true", help="run the first run under py-spy")
    parser.add_argument("--quick", action="store_true", help="--outlets 50")
    parser.add_argument("--python-server", action="store_true", help="serve with Python, not nginx")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="DAYS",
        help="then a 4th run: 10 %% new on top of DAYS days of published history (run 1's items, re-dated)",
    )
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)  # the fallback server's child
    args = parser.parse_args()
    if args.serve:
        serve_python(args.serve[0], int(args.serve[1]))
        return 0
    if args.quick:
        args.outlets = 50
    if args.outlets < 1 or args.items < 10:
        parser.error("need at least 1 outlet and 10 items per feed")
    if not DIGEST_BIN.exists():
        raise SystemExit(f"bench_run: {DIGEST_BIN} not found (create the venv first)")

    def on_term(_sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    if args.keep:
        work = Path(args.keep).resolve()
        work.mkdir(parents=True, exist_ok=True)
        for sub in ("www", "out", "nginx-tmp"):
            shutil.rmtree(work / sub, ignore_errors=True)
        for f in work.glob("state.sqlite*"):
            f.unlink()
    else:
        work = Path(tempfile.mkdtemp(prefix="bench_run-"))
        work.chmod(0o755)
    servers: list[Server] = []
    try:
        return bench(args, work, servers)
    except KeyboardInterrupt:
        print("\nbench_run: interrupted", file=sys.stderr)
        return 130
    finally:
        for s in servers:
            s.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path, servers: list[Server]) -> int:
    from digest.config import load_settings

    n, m = args.outlets, args.items
    now = datetime.now(KST)
    d2 = now.date()
    d0, d1 = d2 - timedelta(days=2), d2 - timedelta(days=1)
    www = work / "www"
    www.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"bench_run: {n} outlets x {m} items, seed {args.seed}, dates {d0} {d1} {d2}, in {work}")

    # 1. the press of run 1
    started = time.perf_counter()
    press = Press(www, base, n, m, args.seed)
    day0 = datetime(d0.year, d0.month, d0.day, tzinfo=KST)
    press.generate(m, day0 + timedelta(hours=0, minutes=5), day0 + timedelta(hours=23, minutes=50))
    press.write_feeds()
    gen1 = time.perf_counter() - started
    run1_reports = [r for o in press.outlets for r in o.items]
    multi = sum(1 for e in press.events if len(e.outlets) > 1)
    per_event = [len(e.outlets) for e in press.events]
    print(
        f"generated: {press.pages_written} pages, {press.bytes_written / 2**20:.0f} MB in {gen1:.1f} s; "
        f"{len(press.events)} events ({multi} reported by 2+ outlets, at most {max(per_event)}), "
        f"{press.kinds['original']} originals, {press.kinds['reprint']} reprints, {press.kinds['rewrite']} rewrites; "
        f"{sum(o.atom for o in press.outlets)} Atom / {sum(not o.atom for o in press.outlets)} RSS, "
        f"{sum(o.euckr for o in press.outlets)} EUC-KR outlets"
    )
    run1_events = len(press.events)
    run1_multi = multi

    # 2. the server
    server = Server(work, www, port, python=args.python_server)
    servers.append(server)
    server.start()
    print(f"server: {server.kind} on 127.0.0.1:{port} (pid {server.proc.pid if server.proc else '?'})")

    # 3. sources.yaml
    sources = work / "sources.yaml"
    lines = ["sources:"]
    for o in press.outlets:
        lines.append(f'  - {{name: {json.dumps(o.name, ensure_ascii=False)}, url: "{base}{o.feed_path}"}}')
    from digest.config import load_defaults

    fetch_defaults = load_defaults()["fetch"]
    overrides = dict(FETCH_OVERRIDES)
    # Every outlet is on 127.0.0.1 here; in the real press each is its own host.
    overrides["per_host"] = max(int(fetch_defaults["per_host"]), int(fetch_defaults["concurrency"]))
    if m > int(fetch_defaults["max_items_per_feed"]):
        overrides["max_items_per_feed"] = m
    lines.append("fetch:")
    lines += [f"  {k}: {v}" for k, v in overrides.items()]
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(sources)
    concurrency = settings.fetch.concurrency
    changed = ", ".join(
        f"{k} {fetch_defaults[k]} -> {v}" for k, v in overrides.items() if fetch_defaults[k] != v
    )
    print(f"sources.yaml: {n} feeds, themes from the defaults, e-mail off ({'on' if settings.email.enabled else 'off'}); "
          f"fetch changed: {changed or 'nothing'} (concurrency {concurrency})")  # fmt: skip

    # 5. floors, on run 1's bytes
    print("floors (in this process, on run 1's bytes):")
    urls = [base + o.feed_path for o in press.outlets] + [r.url for r in run1_reports]
    codec = {o.i: o.codec for o in press.outlets}
    fetch_s, fetch_bytes, fetch_err = floor_fetch(urls, concurrency)
    print(f"  fetch      {fetch_s:8.2f} s  {len(urls)} GETs, {fetch_bytes / 2**20:.0f} MB, concurrency {concurrency}: "
          f"{len(urls) / fetch_s:.0f} requests/s, {fetch_bytes / 2**20 / fetch_s:.0f} MB/s ({fetch_err} not 200)")  # fmt: skip
    parse_s, parsed = floor_parse([www / o.feed_path.lstrip("/") for o in press.outlets])
    print(f"  parse      {parse_s:8.2f} s  {n} feeds, {parsed} entries (lxml)")
    pages = [
        (www / press.outlets[r.outlet].slug / "news" / f"{r.idx}.html", codec[r.outlet]) for r in run1_reports
    ]
    html_s, chars = floor_html_text(pages)
    print(
        f"  html_text  {html_s:8.2f} s  {len(pages)} pages, {chars / 1e6:.1f} M characters (selectolax lexbor)"
    )
    leads = [r.lead for r in run1_reports]
    ana_s, load_s = floor_analysis(leads)
    print(f"  analysis   {ana_s:8.2f} s  {len(leads)} leads in one tokenize call: {ana_s / len(leads) * 1000:.1f} ms "
          f"per text, {len(leads) / ana_s:.0f} texts/s (model load {load_s:.1f} s, not counted)")  # fmt: skip
    if fetch_err:
        raise SystemExit(
            f"bench_run: the server answered {fetch_err} of {len(urls)} GETs with no 200: see {work}"
        )
    floors = {"fetch": fetch_s, "parse": parse_s, "html_text": html_s, "analysis": ana_s}
    floor_sum = sum(floors.values())
    print(f"  sum        {floor_sum:8.2f} s")

    # 4. the runs
    state, out = work / "state.sqlite", work / "out"
    results: list[RunResult] = []
    # The flame graph outlives a temporary folder.
    svg = work / "run1.svg" if args.keep else Path(tempfile.gettempdir()) / "bench_run-run1.svg"
    if args.profile and not shutil.which("py-spy"):
        raise SystemExit("bench_run: --profile needs py-spy on PATH (pip install py-spy)")

    def do_run(k: int, name: str, day: date) -> RunResult:
        print(f"run {k} ({name}, --date {day}) ...", flush=True)
        r = run_digest(k, name, work, day, sources, state, out, svg if args.profile and k == 1 else None)
        results.append(r)
        if r.sources.get("source_failed"):
            print(f"  warning: {r.sources['source_failed']} source(s) FAILED (see {work}/run{k}.stdout)")
        if r.rc != 0 or (k == 1 and r.sources.get("new", 0) == 0):
            tail = "\n".join(r.stderr.splitlines()[-25:])
            print(f"bench_run: run {k} exited {r.rc}; its stderr ends:\n{tail}", file=sys.stderr)
            raise SystemExit(f"bench_run: run {k} failed (stdout/stderr in {work}/run{k}.stdout|.stderr)")
        return r

    r1 = do_run(1, "first run", d0)
    # run 2: every feed must answer 304 to the digest's validators; check nginx does.
    check_304(base + press.outlets[0].feed_path)
    r2 = do_run(2, "nothing changed", d1)
    # run 3: 10 % new per feed, published today before now
    new_per = max(1, math.ceil(0.1 * m))
    day2 = datetime(d2.year, d2.month, d2.day, tzinfo=KST)
    end = max(day2 + timedelta(seconds=30), datetime.now(KST) - timedelta(minutes=2)).replace(microsecond=0)
    started = time.perf_counter()
    pages_before = press.pages_written
    events_before = len(press.events)
    made = press.generate(new_per, day2, end, follow_share=0.3)
    press.write_feeds()
    print(f"run 3 update: {made} new items ({new_per} per feed; {len(press.events) - events_before} new events, "
          f"the rest new reports of earlier ones), {press.pages_written - pages_before} pages in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    r3 = do_run(3, "10 % new", d2)
    if args.history:
        # run 4: DAYS days of published history before run 1 (its items and their stored features,
        # re-dated, full texts kept: an unpruned state), then 10 % new again, for tomorrow's date.
        started = time.perf_counter()
        copied = inject_history(state, d0, args.history)
        print(f"run 4 history: {copied} items in {args.history} days before {d0}, "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        d3 = d2 + timedelta(days=1)
        day3 = datetime(d3.year, d3.month, d3.day, tzinfo=KST)
        made = press.generate(
            new_per, day3 + timedelta(minutes=1), day3 + timedelta(minutes=30), follow_share=0.3
        )
        press.write_feeds()
        print(f"run 4 update: {made} new items")
        do_run(4, f"10 % new, {args.history} days of history", d3)

    # 6. report
    print()
    for k, r in enumerate(results, 1):
        tv = r.timings
        hwm = tv.get("peak_rss_mb")
        src = r.sources
        print(f"run {k}: {r.name} (--date {r.day}): wall {r.wall:.2f} s (digest's own {tv.get('wall', 0):.2f} s), "
              f"peak tree RSS {r.peak_tree_mb:.0f} MB, digest VmHWM {hwm or 0:.0f} MB")  # fmt: skip
        print(f"  sources: {src['sources']} listed, {src['not_modified']} not modified (304), "
              f"{src['source_failed']} failed; items seen {src['seen']}, new {src['new']}, failed {src['failed']}, "
              f"older {src['older']}; {src['notes']} notes")  # fmt: skip
        for line in digest_summary(r.stdout):
            if line.strip():
                print(f"  | {line}")
        for line in r.stderr.splitlines():
            if line.startswith(("collect:", "assemble:")):
                print(f"  | {line}")
        print(f"  state {r.state_bytes / 2**20:.1f} MB, {r.items} items"
              f"{f', {r.state_bytes / r.items:.0f} bytes/item' if r.items else ''}; "
              f"stories in digest.json: {r.stories if r.stories is not None else '-'}")  # fmt: skip
        for line in stage_table(r, floors if k == 1 else None, floor_sum if k == 1 else None):
            print(line)
    print(
        f"planted: run 1 has {run1_events} events ({run1_multi} reported by 2+ outlets) in {len(run1_reports)} items"
    )

    bar3 = 1.3 * (0.10 * r1.wall) + r2.wall
    peak = max(r.peak_tree_mb for r in results)
    targets = {
        "first_run_le_3x_floors": (r1.wall <= 3 * floor_sum, f"{r1.wall:.1f} s <= 3 x {floor_sum:.1f} s = {3 * floor_sum:.1f} s"),
        "nothing_changed_le_5s": (r2.wall <= 5.0, f"{r2.wall:.2f} s <= 5 s"),
        "ten_percent_new": (r3.wall <= bar3, f"{r3.wall:.1f} s <= 1.3 x (0.10 x {r1.wall:.1f}) + {r2.wall:.1f} = {bar3:.1f} s"),
        "peak_memory_lt_1GiB": (peak < 1024, f"max tree RSS {peak:.0f} MB < 1024 MB ("
                                + ", ".join(f"{r.peak_tree_mb:.0f}" for r in results) + ")"),
    }  # fmt: skip
    all_304 = r2.sources["not_modified"] == n
    print("targets:")
    for key, (ok, text) in targets.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {key:<24} {text}")
    print(
        f"  {'ok  ' if all_304 else 'NOTE'}  run 2 answered 304 for {r2.sources['not_modified']} of {n} feeds"
    )
    if args.profile:
        print(f"profile of run 1 (its figures include py-spy's sampling): {svg}")
    print(f"profile by hand (with --keep DIR, nginx up: {NGINX} -p DIR -c DIR/nginx.conf):")
    print(f"  DIGEST_TIMINGS={work}/timings-p.json py-spy record -r 100 --subprocesses -o /tmp/run.svg -- "
          f"{DIGEST_BIN} run --sources {sources} --state {work}/fresh.sqlite --out {work}/out-p --date {d2} --backfill 3")  # fmt: skip

    result = {
        "benchmark": "run",
        "params": {"outlets": n, "items": m, "seed": args.seed, "dates": [str(d0), str(d1), str(d2)],
                   "history_days": args.history,
                   "fetch_overrides": overrides, "concurrency": concurrency},
        "generated": {"pages": press.pages_written, "mb": round(press.bytes_written / 2**20, 1),
                      "seconds": round(gen1, 2), "events_run1": run1_events, "multi_outlet_events_run1": run1_multi,
                      "kinds": press.kinds},
        "server": {"kind": server.kind, "port": port, "requests_per_s": round(len(urls) / fetch_s, 1)},
        "floors": {k: round(v, 3) for k, v in floors.items()} | {"sum": round(floor_sum, 3),
                                                                  "analysis_per_text_ms": round(ana_s / len(leads) * 1000, 3)},
        "runs": [
            {"name": r.name, "date": str(r.day), "wall": round(r.wall, 3), "digest_wall": r.timings.get("wall"),
             "peak_tree_rss_mb": round(r.peak_tree_mb, 1), "vmhwm_mb": r.timings.get("peak_rss_mb"),
             "stages": r.timings.get("stages", {}), "calls": r.timings.get("calls", {}),
             "state_bytes": r.state_bytes, "items": r.items, "stories": r.stories, "sources": r.sources}
            for r in results
        ],
        "targets": {k: {"pass": ok, "detail": t} for k, (ok, t) in targets.items()} | {"run2_all_304": all_304},
    }  # fmt: skip
    line = json.dumps(result, ensure_ascii=False)
    if args.json:
        Path(args.json).write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


def inject_history(state: Path, first_day: date, days: int) -> int:
    """Copy the items the digest of `first_day` published (with their stored features) into each of
    the `days` days before it, as published by those days' digests. Returns the items added."""
    db = sqlite3.connect(state, isolation_level=None)
    try:
        cols = [r[1] for r in db.execute("PRAGMA table_info(items)") if r[1] != "id"]
        shifted = {
            "url": "url || '#h{k}'",
            "canonical_url": "canonical_url || '#h{k}'",
            "guid": "guid || '#h{k}'",
            "story_id": "story_id || 'h{k}'",
            "issued_on": "'{day}'",
            "published": "strftime('%Y-%m-%dT%H:%M:%S+00:00', published, '-{k} days')",
            "first_seen": "strftime('%Y-%m-%dT%H:%M:%S+00:00', first_seen, '-{k} days')",
        }
        before = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        db.execute("BEGIN")
        for k in range(1, days + 1):
            day = (first_day - timedelta(days=k)).isoformat()
            exprs = ", ".join(shifted.get(c, c).format(k=k, day=day) for c in cols)
            db.execute(
                f"INSERT INTO items ({', '.join(cols)}) SELECT {exprs} FROM items WHERE issued_on = ?",
                (first_day.isoformat(),),
            )
            db.execute(
                "INSERT INTO item_features (item_id, data) SELECT new.id, f.data FROM items old "
                "JOIN item_features f ON f.item_id = old.id "
                "JOIN items new ON new.canonical_url = old.canonical_url || ? WHERE old.issued_on = ?",
                (f"#h{k}", first_day.isoformat()),
            )
        db.execute("COMMIT")
        return int(db.execute("SELECT COUNT(*) FROM items").fetchone()[0]) - int(before)
    finally:
        db.close()


def check_304(url: str) -> None:
    """A conditional GET with the server's own validators must answer 304."""
    import httpx

    with httpx.Client(trust_env=False) as c:
        first = c.get(url)
        headers = {}
        if first.headers.get("etag"):
            headers["If-None-Match"] = first.headers["etag"]
        if first.headers.get("last-modified"):
            headers["If-Modified-Since"] = first.headers["last-modified"]
        again = c.get(url, headers=headers)
    print(f"server: conditional GET of a feed -> {again.status_code} (ETag {first.headers.get('etag')})")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
