"""Story clustering at scale: synthetic Korean-length items with planted reprints and rewrites.

    python benchmarks/bench_stories.py [--sizes 10000 100000 300000] [--seed 7]

Each size runs in its own process (so peak RSS is that size's own). Items are generated from
events: an original (~1,500 characters in six paragraphs), reprints (a new lead, one paragraph
dropped, another byline) and rewrites (their own wording and filler: the lead names the company,
one amount and the day, later sentences a name or number now and then, one topic word each).
One event in five has a look-alike: another event from the same template and the same wording
(one phrasing seed), only the region, company, amounts and day differ, within three days.
Peak RSS includes the generated items ("of it input": RSS before `cluster` runs). `morphs` are made the way the analyser
outputs them (nouns as NNG/NNP, numbers as SN, particles as J*), for the title and 400-character
lead only. Prints a table (size, wall seconds of `cluster`, peak RSS, recall of planted duplicate
pairs, of those involving a rewrite, false-merge rate = share of joined pairs that are different
events) and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.models import Item
from digest.stories import cluster

KST = timezone(timedelta(hours=9))
T0 = datetime(2024, 1, 1, 9, 0, tzinfo=KST)
ITEMS_PER_DAY = 400
SYLLABLES = "가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히개내대래매배새애재채한민국정영성진현수경상원호재석"
PARTICLES = [("은", "JX"), ("는", "JX"), ("이", "JKS"), ("가", "JKS"), ("을", "JKO"), ("를", "JKO"),
             ("의", "JKG"), ("에", "JKB"), ("에서", "JKB"), ("으로", "JKB"), ("와", "JC"), ("과", "JC")]  # fmt: skip
ENDINGS = ["했다", "밝혔다", "설명했다", "계획이다", "예정이다", "전망이다", "강조했다", "덧붙였다"]
UNITS = ["억원", "명", "곳", "개", "건", "%"]

Token = tuple[str, str]


class World:
    """A fixed vocabulary: common nouns (Zipf-like use), companies, regions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.common = [self.word(2, 3) for _ in range(3000)]
        self.weights = [1.0 / (r + 1) for r in range(len(self.common))]
        self.companies = [
            self.word(2, 4) + rng.choice(["케어", "헬스", "메드", "바이오", "랩스"]) for _ in range(20000)
        ]
        self.regions = [self.word(2, 2) + rng.choice(["시", "군", "구", "도"]) for _ in range(800)]

    def word(self, lo: int, hi: int) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(lo, hi)))

    def nouns(self, k: int, rng: random.Random | None = None) -> list[str]:
        return (rng or self.rng).choices(self.common, weights=self.weights, k=k)


class Event:
    def __init__(self, w: World, eid: int, day: float, template: Event | None = None) -> None:
        rng = w.rng
        self.id = eid
        self.day = day
        self.company = rng.choice(w.companies)
        self.region = rng.choice(w.regions)
        self.numbers = [f"{rng.randint(2, 999)}{rng.choice(UNITS)}" for _ in range(3)]
        self.date = 1 + int(day) % 28
        # A look-alike shares its template's topic words and phrasing, not its facts.
        self.topic = template.topic if template else w.nouns(6) + [w.word(3, 4) for _ in range(2)]
        self.phrasing = template.phrasing if template else rng.randrange(1 << 30)


def facts_of(ev: Event) -> list[Token]:
    return [(ev.company, "NNP"), (ev.region, "NNP")] + [(n, "SN") for n in ev.numbers]


def sentence(
    w: World, ev: Event, facts: int, rng: random.Random, topic: int = 2, lead: bool = False
) -> list[Token]:
    """One sentence: `facts` of the event's names and numbers, `topic` of its topic words and
    filler nouns, all drawn from `rng` (so one phrasing seed gives one wording whatever the facts).
    A lead sentence dates the event ("12일")."""
    toks: list[Token] = []
    picks = rng.sample(facts_of(ev), k=min(facts, 5)) + [(t, "NNG") for t in rng.sample(ev.topic, k=topic)]
    picks += [(t, "NNG") for t in w.nouns(rng.randint(4, 7), rng)]
    rng.shuffle(picks)
    if lead:
        picks.insert(1, (str(ev.date), "SN"))
        picks.insert(2, ("일", "NNB"))
    for form, tag in picks:
        toks.append((form, tag))
        if tag not in ("SN", "NNB") and form not in ("일",):
            toks.append(rng.choice(PARTICLES))
    toks.append((rng.choice(ENDINGS), "VV"))
    return toks


def render(tokens: list[Token]) -> str:
    out: list[str] = []
    for form, tag in tokens:
        if (tag.startswith("J") or tag == "NNB") and out:
            out[-1] += form
        else:
            out.append(form)
    return " ".join(out) + "."


def article(w: World, ev: Event, rng: random.Random, paragraphs: int = 6) -> list[list[list[Token]]]:
    return [
        [sentence(w, ev, rng.randint(1, 3), rng, lead=(p == 0 and k == 0)) for k in range(3)]
        for p in range(paragraphs)
    ]


def rewrite(w: World, ev: Event, rng: random.Random) -> list[list[list[Token]]]:
    """Another outlet's own wording: its lead names the company, one amount and the day; later
    a name or number now and then; one topic word a sentence; its own filler."""
    first = [(ev.company, "NNP"), (ev.numbers[0], "SN")]
    paras = []
    for p in range(rng.randint(3, 5)):
        para = []
        for k in range(3):
            if p == 0 and k == 0:
                s = sentence(w, ev, 0, rng, topic=1, lead=True)
                s[4:4] = [first[0], rng.choice(PARTICLES), first[1]]
            else:
                s = sentence(w, ev, 1 if rng.random() < 0.3 else 0, rng, topic=rng.randint(0, 1))
            para.append(s)
        paras.append(para)
    return paras


def make_item(i: int, title: list[Token], paras: list[list[list[Token]]], hours: float, src: str) -> Item:
    text = "\n\n".join(" ".join(render(s) for s in p) for p in paras)
    lead: list[Token] = list(title)
    chars = 0
    for p in paras:
        for s in p:
            if chars > 400:
                break
            lead.extend(s)
            chars += len(render(s)) + 1
    when = T0 + timedelta(hours=hours)
    url = f"http://{src}.example/{i}"
    return Item(id=i, source=src, url=url, canonical_url=url, guid=None, title=render(title)[:-1],
                summary=text[:120], text=text, published=when, first_seen=when, morphs=tuple(lead))  # fmt: skip


def generate(n: int, seed: int) -> tuple[list[Item], list[int], list[str]]:
    """n items; the event and kind of each. Per event: an original, then 0-3 reprints and 0-2
    rewrites."""
    rng = random.Random(seed)
    w = World(rng)
    items: list[Item] = []
    event_of: list[int] = []
    kind_of: list[str] = []
    events: list[Event] = []
    days = max(1.0, n / ITEMS_PER_DAY)
    while len(items) < n:
        day = rng.uniform(0, days)
        twin = events[-1] if events and rng.random() < 0.2 else None
        ev = Event(w, len(events), twin.day + rng.uniform(0, 3) if twin else day, twin)
        events.append(ev)
        hours = ev.day * 24
        # Same phrasing seed, same wording: a look-alike differs in its names, numbers and day only.
        body = article(w, ev, random.Random(ev.phrasing))
        title = (
            [(ev.region, "NNP"), (ev.company, "NNP")]
            + [(t, "NNG") for t in ev.topic[:3]]
            + [(ev.numbers[0], "SN")]
        )
        items.append(make_item(len(items), title, body, hours, f"o{rng.randrange(40)}"))
        event_of.append(ev.id)
        kind_of.append("original")
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):  # reprints
            lead = [[sentence(w, ev, 1, rng)]]
            kept = [p for k, p in enumerate(body) if k != rng.randrange(1, len(body))]
            paras = lead + kept + [[[(w.word(2, 3), "NNP"), ("기자", "NNG")]]]
            t2 = title[:2] + [(t, "NNG") for t in rng.sample(ev.topic, 2)]
            items.append(
                make_item(len(items), t2, paras, hours + rng.uniform(0.5, 30), f"o{rng.randrange(40)}")
            )
            event_of.append(ev.id)
            kind_of.append("reprint")
        for _ in range(rng.choice([0, 0, 1, 2])):  # rewrites
            paras = rewrite(w, ev, rng)
            t2 = [rng.choice(facts_of(ev)[:2])] + [(t, "NNG") for t in rng.sample(ev.topic, 2) + w.nouns(2)]
            rng.shuffle(t2)
            items.append(
                make_item(len(items), t2, paras, hours + rng.uniform(1, 40), f"o{rng.randrange(40)}")
            )
            event_of.append(ev.id)
            kind_of.append("rewrite")
    return items[:n], event_of[:n], kind_of[:n]


def measure(n: int, seed: int) -> dict[str, float]:
    items, event_of, kind_of = generate(n, seed)
    input_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the items themselves
    start = time.perf_counter()
    clusters = cluster(items)
    wall = time.perf_counter() - start
    label = {}
    for k, c in enumerate(clusters):
        for it in c.items:
            label[it.id] = k
    planted = joined = predicted = wrong = rewrites = rewrites_joined = 0
    by_event: dict[int, list[int]] = {}
    for it in items:
        by_event.setdefault(event_of[it.id], []).append(it.id)
    for members in by_event.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                together = label[members[a]] == label[members[b]]
                planted += 1
                joined += together
                if "rewrite" in (kind_of[members[a]], kind_of[members[b]]):
                    rewrites += 1
                    rewrites_joined += together
    for c in clusters:
        ids = [it.id for it in c.items]
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                predicted += 1
                wrong += event_of[ids[a]] != event_of[ids[b]]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": n, "wall_s": round(wall, 2), "peak_rss_mb": round(rss, 1),
            "input_rss_mb": round(input_rss, 1),
            "planted_pairs": planted, "recall": round(joined / planted, 4) if planted else 1.0,
            "rewrite_pairs": rewrites,
            "rewrite_recall": round(rewrites_joined / rewrites, 4) if rewrites else 1.0,
            "false_merge_rate": round(wrong / predicted, 4) if predicted else 0.0,
            "clusters": len(clusters)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: measure one size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return 0
    rows = []
    print(f"{'size':>8} {'wall s':>8} {'peak RSS MB':>12} {'of it input':>12} {'recall':>8} {'rewrites':>9} {'false-merge':>12} "
          f"{'pairs':>8}")  # fmt: skip
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True)  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{n:>8} {row['wall_s']:>8.1f} {row['peak_rss_mb']:>12.0f} {row['input_rss_mb']:>12.0f} {row['recall']:>8.4f} {row['rewrite_recall']:>9.4f} "
              f"{row['false_merge_rate']:>12.4f} {row['planted_pairs']:>8}", flush=True)  # fmt: skip
    print(json.dumps({"benchmark": "stories", "seed": args.seed, "results": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
