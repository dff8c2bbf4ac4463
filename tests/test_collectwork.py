"""The collect's workers: the analyser's calls coalesced across sources."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from digest import newitems
from digest.collectwork import Workers
from digest.models import NewItem
from digest.storage import Store


def new_item(n: int) -> NewItem:
    return NewItem(
        source="메디온뉴스",
        url=f"http://127.0.0.1/n/{n}",
        canonical_url=f"http://127.0.0.1/n/{n}",
        guid=f"g{n}",
        title=f"제목 {n}",
        summary="요약.",
        text="본문입니다.",
        published=None,
        author=None,
        content_hash=f"h{n}",
    )


TITLES = [
    "원주시 돌봄로봇 어르신 가정에 보급",
    "규제샌드박스 실증특례로 원격 모니터링 허용",
    "의료 AI 가상병원 시연회 열려",
    "고령친화 의료기기 박람회 개막",
    "보건복지부 스마트 돌봄 시범사업 확대",
]


def test_sources_analysed_together_get_the_morphemes_each_would_get_alone(tmp_path: Path) -> None:
    sources = [
        [replace(new_item(10 * i + j), title=f"{t} {j}") for j in range(3)] for i, t in enumerate(TITLES)
    ]
    alone = [newitems.analysed(items) for items in sources]

    async def together(store: Store) -> tuple[list[list[NewItem]], int]:
        work = Workers(store)
        try:
            results = await asyncio.gather(*(work.analysed(items) for items in sources))
            return [list(r) for r in results], work.analyser_calls
        finally:
            work.close()

    with Store(tmp_path / "s.sqlite") as store:
        results, calls = asyncio.run(together(store))
    assert results == alone  # each source gets its own items back, with their own morphemes
    assert all(it.morphs for items in results for it in items)
    # The first source's leads go at once; the four that came while they were read, in one call.
    assert calls == 2


def test_backlog_items_are_not_sent_to_the_analyser(tmp_path: Path) -> None:
    backlog = [replace(new_item(1), backlog=True)]

    async def run(store: Store) -> tuple[list[NewItem], int]:
        work = Workers(store)
        try:
            return list(await work.analysed(backlog)), work.analyser_calls
        finally:
            work.close()

    with Store(tmp_path / "s.sqlite") as store:
        got, calls = asyncio.run(run(store))
    assert got == backlog and calls == 0
