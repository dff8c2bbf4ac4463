"""Extraction speed: pages/s and peak memory, fast path vs a bare selectolax dump (vs trafilatura).

    python benchmarks/bench_extract.py [--pages N] [--trafilatura-pages M] [--workers W] [--json]

Pages: the article pages of ../shared/corpus/dev beside the project root when it exists, else the
project's tests/data/pages fixtures, replicated to N pages (default 1,000) and each varied the way
real Korean news pages are heavy: a mega-menu, a "most read" sidebar, comment threads, inline
scripts and styles (30-150 KB a page). Each engine runs in its own child process so that its peak
RSS (resource.getrusage) is its own; tracemalloc gives the Python-heap peak of one extraction of
the largest page. Also checks that the added furniture leaves the extracted text unchanged.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus" / "dev"
FIXTURES = ROOT / "tests" / "data" / "pages"

_TITLES = [
    "복지부, 노인 돌봄 로봇 보급 사업 확대…내년 예산 2배",
    "식약처, 디지털 의료기기 허가 가이드라인 개정",
    "원격 모니터링 실증특례 2년 연장…환자 3천명 대상",
    "대학병원 AI 영상판독 도입 1년, 판독 시간 40% 줄어",
    "고령친화 우수식품 지정 제도 개편안 발표",
    "낙상 감지 센서 보급 지자체 30곳으로 늘어",
]
_COMMENTS = [
    "좋은 정책이네요. 우리 동네에도 빨리 도입되었으면 합니다.",
    "예산만 늘리지 말고 실제 효과를 꼼꼼히 따져 봤으면 좋겠습니다.",
    "어르신들이 쓰기 쉬운 기기가 먼저 나와야 한다고 생각합니다.",
]


def base_pages() -> tuple[str, list[str]]:
    from digest.extract import decode_html

    if CORPUS.exists():
        paths = sorted((CORPUS / "site").glob("day*/*/news/*.html"))
        source = str(CORPUS)
    else:
        paths = sorted(p for p in FIXTURES.glob("*.html") if p.with_suffix(".txt").exists())
        source = str(FIXTURES)
    return source, [decode_html(p.read_bytes()) for p in paths]


def vary(page: str, seed: int) -> str:
    """Add the weight of a real portal page around the article, deterministically."""
    rng = random.Random(seed)
    menu = "".join(
        f'<li><a href="/news/articleList.html?sc_section_code=S1N{i}">섹션 메뉴 {i}</a>'
        f"<ul>{''.join(f'<li><a href=/news/list.html?sub={i}_{j}>하위 메뉴 {j}</a></li>' for j in range(4))}</ul></li>"
        for i in range(rng.randint(20, 60))
    )
    side = "".join(
        f'<li><a href="/news/articleView.html?idxno={seed * 100 + i}">{rng.choice(_TITLES)}</a>'
        f"<span>2024-06-{1 + i % 28:02d}</span></li>"
        for i in range(rng.randint(10, 60))
    )
    comments = "".join(
        f'<li class="comment_item"><strong>독자{i}</strong><p>{rng.choice(_COMMENTS)}</p></li>'
        for i in range(rng.randint(0, 12))
    )
    script = "<script>window.__CONFIG__ = " + json.dumps(
        {"menus": [{"name": f"메뉴 {i}", "url": f"/m/{i}"} for i in range(rng.randint(100, 900))]},
        ensure_ascii=False,
    )
    script += ";</script>"
    style = "<style>" + "".join(
        f".c{i}{{margin:{i % 9}px;color:#{i % 999:03d}}}" for i in range(rng.randint(200, 1500))
    )
    style += "</style>"
    head_extra = style + script
    top = f'<div id="mega_menu"><ul class="gnb">{menu}</ul></div>'
    bottom = (
        f'<div class="side_box"><h3>많이 본 뉴스</h3><ol>{side}</ol></div>'
        f'<div class="comment_wrap"><h3>댓글 {len(comments)}</h3><ul>{comments}</ul></div>'
        f"<!-- page {seed} -->"
    )
    page = page.replace("</head>", head_extra + "</head>", 1)
    at = page.find(">", page.find("<body")) + 1 if "<body" in page else 0
    page = page[:at] + top + page[at:]
    end = page.rfind("</body>")
    return page[:end] + bottom + page[end:] if end >= 0 else page + bottom


def engines() -> dict[str, Callable[[str], str]]:
    from selectolax.lexbor import LexborHTMLParser

    from digest.errors import ExtractError
    from digest.extract import extract_article

    def bare(html: str) -> str:
        tree = LexborHTMLParser(html)
        return tree.body.text(separator="\n") if tree.body is not None else ""

    def fast(html: str) -> str:
        try:
            return extract_article(html, "https://news.example.kr/news/articleView.html?idxno=1").text
        except ExtractError:
            return ""

    def traf(html: str) -> str:
        import trafilatura

        return trafilatura.extract(html) or ""

    return {"bare selectolax dump": bare, "extract_article": fast, "trafilatura.extract": traf}


def _child(name: str, pages: list[str], queue: mp.Queue) -> None:  # type: ignore[type-arg]
    run = engines()[name]
    run(pages[0])  # imports and caches warm, as in a long-running digest
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    for page in pages:
        run(page)
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    largest = max(pages, key=len)
    tracemalloc.start()
    run(largest)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queue.put(
        {
            "engine": name,
            "pages": len(pages),
            "seconds": round(elapsed, 3),
            "pages_per_s": round(len(pages) / elapsed, 1),
            "peak_rss_mib": round(rss_after / 1024, 1),
            "rss_growth_mib": round((rss_after - rss_before) / 1024, 1),
            "heap_peak_largest_page_kib": round(heap_peak / 1024, 1),
        }
    )


def _measure(name: str, pages: list[str]) -> dict[str, object]:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    process = mp.Process(target=_child, args=(name, pages, queue))
    process.start()
    result: dict[str, object] = queue.get()
    process.join()
    return result


def _parallel(pages: list[str], workers: int) -> float:
    with mp.Pool(workers) as pool:
        pool.map(_warm, range(workers))
        started = time.perf_counter()
        pool.map(_fast_one, pages, chunksize=32)
        return len(pages) / (time.perf_counter() - started)


def _warm(_: int) -> None:
    engines()["extract_article"]("<html><body><p>워밍업 문장입니다.</p></body></html>")


def _fast_one(page: str) -> int:
    return len(engines()["extract_article"](page))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--trafilatura-pages", type=int, default=200, help="0 to skip trafilatura")
    parser.add_argument("--workers", type=int, default=1, help="also time extract_article on W processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    source, bases = base_pages()
    if not bases:
        print(f"no pages found in {source}", file=sys.stderr)
        return 2
    pages = [vary(bases[i % len(bases)], i) for i in range(args.pages)]
    sizes = sorted(len(p.encode("utf-8")) for p in pages)
    print(f"pages: {len(pages)} built from {len(bases)} in {source}")
    print(f"page size: median {sizes[len(sizes) // 2] / 1024:.0f} KB, max {sizes[-1] / 1024:.0f} KB")

    run = engines()["extract_article"]
    unchanged = sum(run(vary(b, 10_000 + i)) == run(b) for i, b in enumerate(bases))
    print(f"extracted text unchanged by the added furniture: {unchanged}/{len(bases)} pages")

    results = [_measure("bare selectolax dump", pages), _measure("extract_article", pages)]
    if args.trafilatura_pages:
        results.append(_measure("trafilatura.extract", pages[: args.trafilatura_pages]))
    print(f"\n{'engine':22} {'pages':>6} {'pages/s':>9} {'peak RSS':>9} {'RSS +':>7} {'heap/page':>10}")
    for r in results:
        print(
            f"{r['engine']!s:22} {r['pages']!s:>6} {r['pages_per_s']!s:>9} {r['peak_rss_mib']!s:>6} MiB"
            f" {r['rss_growth_mib']!s:>4} MiB {r['heap_peak_largest_page_kib']!s:>6} KiB"
        )
    bare, fast = float(results[0]["pages_per_s"]), float(results[1]["pages_per_s"])  # type: ignore[arg-type]
    summary: dict[str, object] = {"pages": len(pages), "source": source, "results": results}
    print(f"\nextract_article runs at {fast / bare:.1%} of the bare dump's speed ({bare / fast:.1f}x slower)")
    if len(results) > 2:
        traf = float(results[2]["pages_per_s"])  # type: ignore[arg-type]
        print(f"extract_article is {fast / traf:.1f}x faster than trafilatura.extract")
        summary["speedup_vs_trafilatura"] = round(fast / traf, 2)
    summary["ratio_fast_to_bare"] = round(fast / bare, 4)
    if args.workers > 1:
        rate = _parallel(pages, args.workers)
        print(f"extract_article on {args.workers} processes: {rate:.0f} pages/s")
        summary["parallel_pages_per_s"] = round(rate, 1)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
