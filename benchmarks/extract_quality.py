"""Extraction quality on a labeled corpus: char-bigram F1 per template, furniture leaks.

    python benchmarks/extract_quality.py [--corpus DIR] [--engine fast|trafilatura] [--json]

DIR defaults to ../shared/corpus/dev beside the project root (see its FORMAT.md). For every article
page of both days, the text from ``extract_article`` is scored against the gold ``body`` with the
F1 of character-bigram multisets (whitespace removed), as the corpus's score.py does. Furniture hits
count manifest markers (strings and patterns) and titles of other articles found in the text.
Outlets whose feed carries full content are also scored through ``clean_content``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest.errors import ExtractError  # noqa: E402
from digest.extract import clean_content, decode_html, extract_article  # noqa: E402


def char_bigrams(text: str) -> Counter[str]:
    compact = re.sub(r"\s+", "", text)
    return Counter(compact[i : i + 2] for i in range(len(compact) - 1))


def char_f1(pred: str, gold: str) -> float:
    p, g = char_bigrams(pred), char_bigrams(gold)
    if not p or not g:
        return 0.0
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


class Furniture:
    def __init__(self, manifest: dict[str, object], titles: dict[str, str]) -> None:
        markers = manifest.get("furniture", {})
        assert isinstance(markers, dict)
        self.strings: list[str] = list(markers.get("strings", []))
        self.patterns = [re.compile(p) for p in markers.get("patterns", [])]
        self.titles = titles

    def hits(self, text: str, own_id: str) -> list[str]:
        found = [s for s in self.strings if s in text]
        found += [p.pattern for p in self.patterns if p.search(text)]
        found += [f"title:{i}" for i, t in self.titles.items() if i != own_id and t and t in text]
        return found


def trafilatura_extract(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def feed_contents(path: Path, charset: str) -> dict[str, str]:
    """link → full content HTML of a feed, via feedparser (a project dependency)."""
    import feedparser

    text = decode_html(path.read_bytes(), charset)
    parsed = feedparser.parse(text)
    out: dict[str, str] = {}
    for entry in parsed.entries:
        content = entry.get("content")
        if content:
            out[entry.get("link", "")] = content[0].get("value", "")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev")
    parser.add_argument("--engine", choices=("fast", "trafilatura"), default="fast")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    parser.add_argument("--verbose", action="store_true", help="list each article's F1 and hits")
    args = parser.parse_args()
    corpus: Path = args.corpus
    labels_path = corpus / "labels.jsonl"
    if not labels_path.exists():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    labels = {}
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        labels[record["url"]] = record
    manifest = json.loads((corpus / "site" / "manifest.json").read_text(encoding="utf-8"))
    outlets = {o["id"]: o for o in manifest["outlets"]}
    furniture = Furniture(manifest, {r["id"]: r["title"] for r in labels.values()})
    base = manifest.get("base", "http://127.0.0.1:8000")

    per_template: dict[str, list[float]] = defaultdict(list)
    hits_total = 0
    failures: list[str] = []
    rows: list[tuple[str, str, float, list[str]]] = []
    started = time.perf_counter()
    pages = 0
    for day_dir in sorted((corpus / "site").glob("day*")):
        for page in sorted(day_dir.glob("*/news/*.html")):
            outlet = page.parent.parent.name
            url_path = f"/{outlet}/news/{page.name}"
            gold = labels.get(url_path)
            if gold is None:
                continue
            html = decode_html(page.read_bytes(), None)
            pages += 1
            try:
                if args.engine == "fast":
                    text = extract_article(html, base + url_path).text
                else:
                    text = trafilatura_extract(html, base + url_path)
            except ExtractError as exc:
                text = ""
                failures.append(f"{day_dir.name}{url_path}: {exc.reason}")
            score = char_f1(text, gold["body"])
            found = furniture.hits(text, gold["id"])
            hits_total += len(found)
            template = outlets[outlet].get("template", outlet)
            per_template[template].append(score)
            rows.append((f"{day_dir.name}{url_path}", template, score, found))
    elapsed = time.perf_counter() - started

    feed_scores: dict[str, list[float]] = defaultdict(list)
    feed_hits = 0
    for outlet_id, outlet in outlets.items():
        if outlet.get("feed_content") != "full" or outlet.get("feed") == "none":
            continue
        for day_dir in sorted((corpus / "site").glob("day*")):
            feed = day_dir / outlet_id / "feed.xml"
            if not feed.exists():
                continue
            for link, content in feed_contents(feed, outlet.get("charset", "utf-8")).items():
                path = re.sub(r"^https?://[^/]+", "", link).split("?")[0]
                gold = labels.get(path)
                if gold is None:
                    continue
                text = clean_content(content, link).text
                feed_scores[outlet.get("template", outlet_id)].append(char_f1(text, gold["body"]))
                found = furniture.hits(text, gold["id"])
                feed_hits += len(found)
                if args.verbose and (found or char_f1(text, gold["body"]) < 0.95):
                    print(f"  feed {day_dir.name}{path}: {char_f1(text, gold['body']):.3f} {found}")

    if args.verbose:
        for name, template, score, found in rows:
            flag = "" if score >= 0.95 and not found else "  <--"
            print(f"{name:40} {template:10} {score:.3f} {found}{flag}")
    print(f"engine: {args.engine}   corpus: {corpus}")
    print(f"{'template':12} {'pages':>5} {'mean F1':>8} {'min F1':>8}")
    all_scores: list[float] = []
    summary: dict[str, object] = {"templates": {}}
    for template in sorted(per_template):
        scores = per_template[template]
        all_scores += scores
        print(f"{template:12} {len(scores):5d} {statistics.mean(scores):8.3f} {min(scores):8.3f}")
        summary["templates"][template] = {  # type: ignore[index]
            "pages": len(scores),
            "mean": round(statistics.mean(scores), 4),
            "min": round(min(scores), 4),
        }
    mean_all = statistics.mean(all_scores) if all_scores else 0.0
    min_all = min(all_scores) if all_scores else 0.0
    print(f"{'ALL':12} {len(all_scores):5d} {mean_all:8.3f} {min_all:8.3f}")
    print(f"furniture hits in page text: {hits_total}   extraction failures: {len(failures)}")
    for failure in failures:
        print(f"  failed: {failure}")
    for template, scores in sorted(feed_scores.items()):
        print(
            f"feed full content ({template}): {len(scores)} entries, "
            f"mean F1 {statistics.mean(scores):.3f}, min {min(scores):.3f}"
        )
    print(f"furniture hits in feed content: {feed_hits}")
    print(f"{pages} pages in {elapsed:.2f} s ({pages / elapsed:.0f} pages/s, including decoding)")
    summary.update(
        engine=args.engine,
        pages=len(all_scores),
        mean=round(mean_all, 4),
        min=round(min_all, 4),
        furniture_hits=hits_total,
        failures=len(failures),
        feed={
            t: {"mean": round(statistics.mean(s), 4), "min": round(min(s), 4)} for t, s in feed_scores.items()
        },
        feed_furniture_hits=feed_hits,
    )
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
