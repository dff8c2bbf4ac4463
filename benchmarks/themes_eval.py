"""Theme accuracy with and without the learned model, on gold labels (no fetching).

    python benchmarks/themes_eval.py [--corpus ../shared/corpus/dev]

Items are built from two labeled sets: the dev corpus (`labels.jsonl`, beside the project) and
the bundled demo (`digest/demo/data/labels.json`), analysed like the pipeline does (title + lead
into morphemes). Each gold story is placed as one story. It prints accuracy (primary theme equals
the gold theme; "lenient" also accepts the label's `also` themes) for:
- the rules alone;
- rules + a model trained on the other set (dev → demo, demo → dev);
- leave-one-story-out over both sets;
- the same with a short seed list (only terms of weight ≥ 4), where the model has work to do.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import korean, learn, themes  # noqa: E402
from digest.config import load_settings  # noqa: E402
from digest.models import Item, ThemeDef  # noqa: E402

Group = list[tuple[dict[str, Any], Item]]


def load(corpus: Path) -> dict[tuple[str, str], Group]:
    arts: list[dict[str, Any]] = []
    labels = corpus / "labels.jsonl"
    if labels.is_file():
        arts += [
            dict(json.loads(line), corpus="dev") for line in labels.read_text("utf-8").splitlines() if line
        ]
    demo = json.loads((ROOT / "digest/demo/data/labels.json").read_text("utf-8"))["articles"]
    arts += [dict(a, corpus="demo") for a in demo]
    groups: dict[tuple[str, str], Group] = {}
    for i, a in enumerate(arts):
        t = datetime.fromisoformat(a["published"])
        morphs = korean.analyse(f"{a['title']}\n{a['body'][:400]}").tokens
        item = Item(
            id=i,
            source=a["outlet"],
            url=a["url"],
            canonical_url=a["url"],
            guid=None,
            title=a["title"],
            summary="",
            text=a["body"],
            published=t,
            first_seen=t,
            morphs=morphs,
        )
        groups.setdefault((a["corpus"], a["story"]), []).append((a, item))
    return groups


def accuracy(
    groups: dict[tuple[str, str], Group], th: Sequence[ThemeDef], min_score: float, model: learn.Model | None
) -> tuple[int, int, int]:
    strict = lenient = n = 0
    for g in groups.values():
        p = themes.place([it for _, it in g], th, min_score, model=model)
        for a, _ in g:
            n += 1
            strict += p.theme == a["theme"]
            lenient += p.theme == a["theme"] or p.theme in a.get("also", [])
    return strict, lenient, n


def report(name: str, groups: dict[tuple[str, str], Group], th: Sequence[ThemeDef], min_score: float) -> None:
    print(f"== {name}")
    for train_on, test_on in (("dev", "demo"), ("demo", "dev")):
        train = [(it, a["theme"]) for (c, _), g in groups.items() if c == train_on for a, it in g]
        test = {k: g for k, g in groups.items() if k[0] == test_on}
        if not train or not test:
            continue
        model = learn.train(train)
        off, on = accuracy(test, th, min_score, None), accuracy(test, th, min_score, model)
        print(
            f"  train {train_on} -> test {test_on}: rules {off[0]}/{off[2]} (lenient {off[1]}), "
            f"rules+model {on[0]}/{on[2]} (lenient {on[1]})"
        )
    off_total = on_total = n = 0
    for key, g in groups.items():
        model = learn.train([(it, a["theme"]) for k, gg in groups.items() if k != key for a, it in gg])
        off_total += accuracy({key: g}, th, min_score, None)[0]
        on_total += accuracy({key: g}, th, min_score, model)[0]
        n += len(g)
    print(f"  leave-one-story-out: rules {off_total}/{n}, rules+model {on_total}/{n}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev")
    args = parser.parse_args()
    settings = load_settings(ROOT / "sources.yaml", env={})
    groups = load(args.corpus)
    report("shipped terms", groups, settings.themes, settings.min_theme_score)
    short = tuple(
        dataclasses.replace(t, terms=tuple((k, w) for k, w in t.terms if w >= 4)) for t in settings.themes
    )
    report("short seed list (terms of weight >= 4)", groups, short, settings.min_theme_score)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
