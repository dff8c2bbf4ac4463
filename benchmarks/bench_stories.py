"""Story clustering at scale: synthetic Korean-length items with planted reprints and rewrites.

    python benchmarks/bench_stories.py [--sizes 10000 100000 300000] [--seed 7]

Each size runs in its own process (so peak RSS is that size's own). Items are generated from
events: an original (~1,500 characters in six paragraphs), reprints (a new lead, one paragraph
dropped, another byline) and rewrites (the same company, place, numbers and date in other
sentences). One event in five has a look-alike: another event from the same template with
another region, company, amounts and date, the same week. `morphs` are made the way the analyser
outputs them (nouns as NNG/NNP, numbers as SN, particles as J*), for the title and 400-character
lead only. Prints a table (size, wall seconds of `cluster`, peak RSS, recall of planted duplicate
pairs, false-merge rate = share of joined pairs that are different events) and a JSON line.
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

    def nouns(self, k: int) -> list[str]:
        return self.rng.choices(self.common, weights=self.weights, k=k)


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


def sentence(w: World, ev: Event, facts: int, rng: random.Random) -> list[Token]:
    toks: list[Token] = []
    pool: list[Token] = [(ev.company, "NNP"), (ev.region, "NNP")] + [(n, "SN") for n in ev.numbers]
    picks = rng.sample(pool, k=min(facts, len(pool))) + [(t, "NNG") for t in rng.sample(ev.topic, k=2)]
    picks += [(t, "NNG") for t in w.nouns(rng.randint(4, 7))]
    rng.shuffle(picks)
    for form, tag in picks:
        toks.append((form, tag))
        if tag != "SN":
            toks.append(rng.choice(PARTICLES))
    toks.append((rng.choice(ENDINGS), "VV"))
    return toks


def render(tokens: list[Token]) -> str:
    out: list[str] = []
    for form, tag in tokens:
        if tag.startswith("J") and out:
            out[-1] += form
        else:
            out.append(form)
    return " ".join(out) + "."


def article(w: World, ev: Event, rng: random.Random, paragraphs: int = 6) -> list[list[list[Token]]]:
    return [[sentence(w, ev, rng.randint(1, 3), rng) for _ in range(3)] for _ in range(paragraphs)]


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


def generate(n: int, seed: int) -> tuple[list[Item], list[int]]:
    """n items; the event of each. Per event: an original, then 0-3 reprints and 0-2 rewrites."""
    rng = random.Random(seed)
    w = World(rng)
    items: list[Item] = []
    event_of: list[int] = []
    events: list[Event] = []
    days = max(1.0, n / ITEMS_PER_DAY)
    while len(items) < n:
        day = rng.uniform(0, days)
        twin = events[-1] if events and rng.random() < 0.2 else None
        ev = Event(w, len(events), twin.day + rng.uniform(0, 3) if twin else day, twin)
        events.append(ev)
        hours = ev.day * 24
        body = article(w, ev, random.Random(ev.phrasing if twin else rng.random()))
        if twin is not None:  # same phrasing, other facts: rebuild from the twin's template seed
            body = article(w, ev, random.Random(ev.phrasing))
        title = (
            [(ev.region, "NNP"), (ev.company, "NNP")]
            + [(t, "NNG") for t in ev.topic[:3]]
            + [(ev.numbers[0], "SN")]
        )
        items.append(make_item(len(items), title, body, hours, f"o{rng.randrange(40)}"))
        event_of.append(ev.id)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):  # reprints
            lead = [[sentence(w, ev, 1, rng)]]
            kept = [p for k, p in enumerate(body) if k != rng.randrange(1, len(body))]
            paras = lead + kept + [[[(w.word(2, 3), "NNP"), ("기자", "NNG")]]]
            t2 = title[:2] + [(t, "NNG") for t in rng.sample(ev.topic, 2)]
            items.append(
                make_item(len(items), t2, paras, hours + rng.uniform(0.5, 30), f"o{rng.randrange(40)}")
            )
            event_of.append(ev.id)
        for _ in range(rng.choice([0, 0, 1, 2])):  # rewrites
            paras = article(w, ev, rng, paragraphs=rng.randint(4, 6))
            t2 = [(ev.company, "NNP"), (ev.numbers[0], "SN")] + [(t, "NNG") for t in rng.sample(ev.topic, 3)]
            items.append(
                make_item(len(items), t2, paras, hours + rng.uniform(1, 40), f"o{rng.randrange(40)}")
            )
            event_of.append(ev.id)
    return items[:n], event_of[:n]


def measure(n: int, seed: int) -> dict[str, float]:
    items, event_of = generate(n, seed)
    start = time.perf_counter()
    clusters = cluster(items)
    wall = time.perf_counter() - start
    label = {}
    for k, c in enumerate(clusters):
        for it in c.items:
            label[it.id] = k
    planted = joined = predicted = wrong = 0
    by_event: dict[int, list[int]] = {}
    for it in items:
        by_event.setdefault(event_of[it.id], []).append(it.id)
    for members in by_event.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                planted += 1
                joined += label[members[a]] == label[members[b]]
    for c in clusters:
        ids = [it.id for it in c.items]
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                predicted += 1
                wrong += event_of[ids[a]] != event_of[ids[b]]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": n, "wall_s": round(wall, 2), "peak_rss_mb": round(rss, 1),
            "planted_pairs": planted, "recall": round(joined / planted, 4) if planted else 1.0,
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
    print(f"{'size':>8} {'wall s':>8} {'peak RSS MB':>12} {'recall':>8} {'false-merge':>12} {'pairs':>8}")
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True)  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{n:>8} {row['wall_s']:>8.1f} {row['peak_rss_mb']:>12.0f} {row['recall']:>8.4f} "
              f"{row['false_merge_rate']:>12.4f} {row['planted_pairs']:>8}", flush=True)  # fmt: skip
    print(json.dumps({"benchmark": "stories", "seed": args.seed, "results": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
