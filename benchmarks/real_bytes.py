"""Editorial quality on real bytes nobody here wrote: ../shared/corpus/real (portal article pages,
listing pages, 20 real feeds), as an editor would judge them.

    python benchmarks/real_bytes.py [--corpus ../shared/corpus/real] [--json]

Prints, for the article pages: furniture or byline left in the text, whether the summary is the
lead (not a byline, a dateline, a programme header or subtitles), the author and date found. For
the listing pages: the links a `type: page` source finds and how many are article URLs. For the
feeds: entries, kept under the 200-item cap, how many of those are among the newest 200 by date,
and feed-only summaries (the description, as shown when the page cannot be fetched) that still
start or end with a byline, a dateline, an e-mail or a "기사보기" link. The detectors below are
this script's own, simpler than the extractor's rules, so the two can disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest.discover import find_article_links  # noqa: E402
from digest.extract import decode_html, extract_article, find_subtitle, summarize  # noqa: E402
from digest.newitems import feed_summary as _feed_summary  # noqa: E402
from digest.parse import parse_feed  # noqa: E402

PAGE_URLS = {
    "naver-old": "https://news.naver.com/main/read.naver?mode=LSD&mid=sec&oid=001&aid=0009205077&sid1=001",
    "naver-sports": "https://sports.news.naver.com/news?oid=477&aid=0000073768",
    "daum": "https://news.v.daum.net/v/{id}",
}
LISTING_URLS = {
    "naver-home": "https://news.naver.com/main/home.naver",
    "naver-list": "https://news.naver.com/main/list.naver?mode=LS2D&mid=shm&sid1=101",
}
# What an editor never wants in article text or a summary.
LEAK = re.compile(
    r"기사\s?제공|무단\s?전재|재배포\s?금지|저작권자|■\s?(?:방송|진행|대담)\s?:|^\[[^\].!?]{2,30}\]$|"
    r"^\s*[\[(【][^\])】]{0,25}(?:=|기자)[^\])】]{0,25}[\])】]|기자\s?=|[\w.+-]+@[\w-]+\.[a-z]{2,}",
    re.MULTILINE,
)
SUMMARY_BAD_START = re.compile(r"^\s*(?:[\[(【<][^\])】>]{0,30}[\])】>]|■|▲|△|\S{2,4}\s?기자\b)")
SUMMARY_BAD_END = re.compile(
    r"(?:기자|[\w.+-]+@[\w-]+\.[a-z.]{2,}|기사\s?보기|더\s?보기|/\d{4}\.\d{2}\.\d{2}/\s*\.?)\s*$"
)
ARTICLE_URL = re.compile(r"n\.news\.naver\.com/(?:mnews/)?article/\d+/\d+|[?&]aid=\d+|/v/\d{17}")


def pages(corpus: Path) -> list[dict[str, object]]:
    rows = []
    for path in sorted((corpus / "pages").glob("*.html")):
        kind = path.stem.split("_")[0]
        url = PAGE_URLS.get(kind, PAGE_URLS["daum"]).format(id=path.stem.split("_")[-1])
        article = extract_article(decode_html(path.read_bytes(), None, None), url)
        summary = summarize(article.text)
        leaks = [m.group().strip() for m in LEAK.finditer(article.text)]
        first_line = article.text.split("\n", 1)[0]
        rows.append(
            {
                "page": path.name,
                "furniture_in_text": leaks[:3],
                "summary_from_lead": bool(summary)
                and not SUMMARY_BAD_START.search(summary)
                and not LEAK.search(summary)
                and summary[:20] in first_line,
                "author": article.author,
                "date": article.published.isoformat() if article.published else None,
                "date_only": article.date_only,
                "subtitle": article.subtitle.replace("\n", " · ")[:60],
                "summary": summary[:80],
            }
        )
    return rows


def listings(corpus: Path) -> list[dict[str, object]]:
    rows = []
    for path in sorted((corpus / "listings").glob("*.html")):
        base = LISTING_URLS["naver-home" if "home" in path.name else "naver-list"]
        links = find_article_links(decode_html(path.read_bytes(), None, None), base)
        articles = sum(1 for url, _ in links if ARTICLE_URL.search(url))
        rows.append({"listing": path.name, "links": len(links), "article_urls": articles})
    return rows


def feeds(corpus: Path) -> list[dict[str, object]]:
    rows = []
    for path in sorted((corpus / "feeds").glob("*.xml")):
        body = path.read_bytes()
        everything = parse_feed(body, f"https://example.kr/{path.name}", max_items=100_000).entries
        kept = parse_feed(body, f"https://example.kr/{path.name}").entries
        dated = sorted((e.published for e in everything if e.published), reverse=True)
        cutoff = dated[min(len(dated), 200) - 1] if dated else None
        newest = sum(1 for e in kept if cutoff and e.published and e.published >= cutoff)
        raw_bad = shown_bad = emptied = subtitled = 0
        for entry in everything:
            raw = entry.summary
            shown = _feed_summary(raw)
            emptied += bool(raw.strip()) and not shown
            subtitled += bool(find_subtitle([raw], entry.title))
            raw_bad += bool(raw) and bool(SUMMARY_BAD_START.search(raw) or SUMMARY_BAD_END.search(raw))
            shown_bad += bool(shown) and bool(
                SUMMARY_BAD_START.search(shown) or SUMMARY_BAD_END.search(shown) or LEAK.search(shown)
            )
        rows.append(
            {
                "feed": path.stem.removeprefix("knews-rss_"),
                "entries": len(everything),
                "kept": len(kept),
                "kept_among_newest": newest,
                "newest_possible": min(len(kept), len(dated)),
                "descriptions_with_byline": raw_bad,
                "summaries_with_byline": shown_bad,
                "descriptions_emptied": emptied,
                "descriptions_with_subtitle": subtitled,
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "real")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"{args.corpus}: not found (the real-bytes corpus lives beside the project)", file=sys.stderr)
        return 2
    report = {"pages": pages(args.corpus), "listings": listings(args.corpus), "feeds": feeds(args.corpus)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print("| page | furniture in text | summary from the lead | author | date | subtitle |")
    print("|---|---|---|---|---|---|")
    for r in report["pages"]:
        leaks = ", ".join(r["furniture_in_text"]) or "none"  # type: ignore[arg-type]
        print(
            f"| {r['page']} | {leaks} | {'yes' if r['summary_from_lead'] else 'NO'} | {r['author']} "
            f"| {r['date']}{' (date only)' if r['date_only'] else ''} | {r['subtitle'] or '—'} |"
        )
    print("\n| listing | links found | article URLs |")
    print("|---|---|---|")
    for r in report["listings"]:
        print(f"| {r['listing']} | {r['links']} | {r['article_urls']} |")
    print(
        "\n| feed | entries | kept | kept among the newest | descriptions with a byline | shown summaries with one |"
    )
    print("|---|---|---|---|---|---|")
    for r in report["feeds"]:
        print(
            f"| {r['feed']} | {r['entries']} | {r['kept']} | {r['kept_among_newest']}/{r['newest_possible']} | "
            f"{r['descriptions_with_byline']} | {r['summaries_with_byline']} |"
        )
    feeds_ = report["feeds"]
    print(
        f"\ntotal: pages with the summary from the lead {sum(bool(r['summary_from_lead']) for r in report['pages'])}"
        f"/{len(report['pages'])}, authors {sum(r['author'] is not None for r in report['pages'])}"
        f"/{len(report['pages'])}; descriptions with a byline "
        f"{sum(int(r['descriptions_with_byline']) for r in feeds_)} → shown "  # type: ignore[call-overload]
        f"{sum(int(r['summaries_with_byline']) for r in feeds_)}"  # type: ignore[call-overload]
        f"; entries {sum(int(r['entries']) for r in feeds_)}, with a description but no summary "  # type: ignore[call-overload]
        f"{sum(int(r['descriptions_emptied']) for r in feeds_)}, "  # type: ignore[call-overload]
        f"subtitles found in descriptions {sum(int(r['descriptions_with_subtitle']) for r in feeds_)}"  # type: ignore[call-overload]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
