"""Where a collect's work that is not a socket runs (`Workers`): the state's one writer thread
with group commit, the CPU thread, the page worker processes and the analyser's process
(`digest.workerpool`), and the bound on article pages fetched ahead of their extraction."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import ParamSpec, TypeVar

from . import newitems, timing, workerpool
from .errors import ParseError
from .models import Entry, NewItem, Response, Settings, Source, SourceUpdate
from .storage import Storage

__all__ = ["PAGES_AHEAD", "Workers"]

P = ParamSpec("P")
T = TypeVar("T")

_Batch = tuple[list[NewItem], datetime, SourceUpdate]
Morphemes = list[tuple[tuple[str, str], ...]]
PAGES_AHEAD = 64


class Workers:
    """Where work that is not a socket runs: `state` (the one writer thread: every call to the
    state, in order; `add_items` commits sources in groups), the worker processes (`page_item`,
    `entries`), the analyser's process (`warm_up`, `analysed`) and `cpu` (whatever finds no
    worker process: all of it with DIGEST_WORKERS=0)."""

    def __init__(self, store: Storage) -> None:
        self._loop = asyncio.get_running_loop()
        self._state = ThreadPoolExecutor(1, thread_name_prefix="digest-state")
        self._cpu = ThreadPoolExecutor(1, thread_name_prefix="digest-cpu")
        self._store = store
        self._waiting: list[tuple[_Batch, asyncio.Future[int]]] = []
        self._writing = False
        # Article pages fetched and not yet extracted, at most: fetching runs ahead of extraction
        # by this much, no more (500 sources' pages waiting for the workers held hundreds of MB).
        self.pages = asyncio.Semaphore(PAGES_AHEAD)
        self._warm: asyncio.Future[dict[str, tuple[float, int]]] | None = None
        self._warm_counted = False
        self._to_analyse: list[tuple[list[str], asyncio.Future[Morphemes]]] = []
        self._analysing = False
        self.analyser_calls = 0  # how many batches the analyser was given (for tests and figures)

    async def add_items(self, items: list[NewItem], now: datetime, update: SourceUpdate) -> int:
        """Store a source's items and validators. Group commit: what sources hand in while a
        transaction is being written goes into the next one together (one sync to disk for many
        sources, each source still whole or not at all)."""
        done: asyncio.Future[int] = self._loop.create_future()
        self._waiting.append(((items, now, update), done))
        if not self._writing:
            self._writing = True
            try:
                while self._waiting:
                    batch, self._waiting = self._waiting, []
                    await self._write(batch)
            finally:
                self._writing = False
        return await done

    async def _write(self, batch: list[tuple[_Batch, asyncio.Future[int]]]) -> None:
        """One transaction for the batch; if it fails, one per source, so that a source whose
        items cannot be stored fails alone."""
        try:
            counts = await self.state(self._store.add_batches, [b for b, _ in batch])
        except Exception as exc:
            if len(batch) > 1:
                for one in batch:
                    await self._write([one])
                return
            batch[0][1].set_exception(exc)
            return
        except BaseException as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            raise
        for (_, fut), n in zip(batch, counts, strict=True):
            fut.set_result(n)

    async def state(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._loop.run_in_executor(self._state, _timed("store", fn, *args, **kwargs))

    async def cpu(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._loop.run_in_executor(self._cpu, functools.partial(fn, *args, **kwargs))

    def warm_up(self) -> None:
        """There is news to read: the analyser loads now, beside the fetching, not when the
        first source's items are ready (a quiet collect never loads it)."""
        if self._warm is not None:
            return
        pool = workerpool.analyser()
        if pool is not None:
            self._warm = asyncio.wrap_future(pool.submit(newitems.warm_up))
        else:
            self._warm = self._loop.run_in_executor(self._cpu, newitems.warm_up)

    async def analysed(self, items: list[NewItem]) -> list[NewItem]:
        """The items with their morphemes (`newitems.morphemes`), in the analyser's process.
        Coalesced like `add_items`: the leads sources hand in while a batch is being analysed go
        into the next call together (Kiwi reads 50 texts at 3.4 ms a text, one at 6.1 ms)."""
        texts = newitems.leads(items)
        if not any(texts):
            return items
        if self._warm is not None and not self._warm_counted:
            self._warm_counted = True
            with contextlib.suppress(Exception):  # a failed warm-up is the next call's to say
                timing.merge(await self._warm)
        done: asyncio.Future[list[tuple[tuple[str, str], ...]]] = self._loop.create_future()
        self._to_analyse.append((texts, done))
        if not self._analysing:
            self._analysing = True
            try:
                while self._to_analyse:
                    batch, self._to_analyse = self._to_analyse, []
                    await self._analyse(batch)
            finally:
                self._analysing = False
        return newitems.with_morphemes(items, await done)

    async def _analyse(self, batch: list[tuple[list[str], asyncio.Future[Morphemes]]]) -> None:
        """One analyser call for the batch's texts, its results handed back to each caller; if it
        fails, one call per caller, so that a source whose text breaks the analyser fails alone."""
        try:
            morphs = await self._morphemes([t for texts, _ in batch for t in texts])
        except Exception as exc:
            if len(batch) > 1:
                for one in batch:
                    await self._analyse([one])
                return
            batch[0][1].set_exception(exc)
            return
        except BaseException as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            raise
        start = 0
        for texts, fut in batch:
            fut.set_result(morphs[start : start + len(texts)])
            start += len(texts)

    async def _morphemes(self, texts: list[str]) -> Morphemes:
        self.analyser_calls += 1
        pool = workerpool.analyser()
        result = None
        if pool is not None:
            try:
                result = await asyncio.wrap_future(pool.submit(newitems.morphemes, texts))
            except BrokenProcessPool:
                workerpool.drop("analyser")  # killed, out of memory: here from now on
        if result is None:
            result = await self.cpu(newitems.morphemes, texts)
        morphs, figures = result
        timing.merge(figures)
        return morphs

    async def page_item(
        self,
        source: Source,
        entry: Entry,
        canonical: str,
        page: Response,
        now: datetime,
        window: newitems.Window,
    ) -> tuple[NewItem | None, str]:
        """An article page's item (`newitems.page_item`), in a worker process when there is a core
        to spare: the loop's thread fetches while pages are extracted."""
        item, reason, figures = await self._spare(
            newitems.page_item, source, entry, canonical, page, now, window
        )
        timing.merge(figures)
        return item, reason

    async def entries(
        self, source: Source, response: Response, settings: Settings, now: datetime
    ) -> tuple[list[Entry], list[str]]:
        """The entries of a fetched feed or listing (`newitems.listed`), where pages are extracted."""
        found, warnings, failed, figures = await self._spare(newitems.listed, source, response, settings, now)
        timing.merge(figures)
        if failed is not None:
            raise ParseError(*failed)
        return found, warnings

    async def _spare(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` in a worker process when there is a core to spare, else in the CPU thread."""
        pool = workerpool.pool()
        if pool is not None:
            try:
                return await asyncio.wrap_future(pool.submit(fn, *args, **kwargs))
            except BrokenProcessPool:
                workerpool.drop()  # a worker died (killed, out of memory): this call, and the rest, here
        return await self.cpu(fn, *args, **kwargs)

    def close(self) -> None:
        # A write in progress finishes (its transaction commits or rolls back whole); queued
        # work is dropped: what it would have stored is fetched again on the next collect.
        self._cpu.shutdown(wait=True, cancel_futures=True)
        self._state.shutdown(wait=True, cancel_futures=True)


def _timed(stage: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Callable[[], T]:
    def call() -> T:
        with timing.timed(stage):
            return fn(*args, **kwargs)

    return call
