"""Progress of a run, per stage with counts: live on a terminal (rich), plain lines elsewhere.

The pipeline reports `start(stage, total)`, `advance(stage)` and `finish(stage, summary)`;
what is shown is this module's business. `Silent` shows nothing (tests, the scheduler, which logs
one line per job instead).
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bars

__all__ = ["Lines", "Live", "Progress", "Silent", "for_stream"]


class Progress(Protocol):
    def start(self, stage: str, total: int | None = None) -> None: ...

    def advance(self, stage: str, n: int = 1) -> None: ...

    def finish(self, stage: str, summary: str) -> None: ...

    def close(self) -> None: ...


class Silent:
    def start(self, stage: str, total: int | None = None) -> None:
        return None

    def advance(self, stage: str, n: int = 1) -> None:
        return None

    def finish(self, stage: str, summary: str) -> None:
        return None

    def close(self) -> None:
        return None


class Lines(Silent):
    """One plain line per stage when it ends (for logs, pipes and cron mail)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def finish(self, stage: str, summary: str) -> None:
        print(f"{stage}: {summary}", file=self.stream, flush=True)


class Live:
    """A live bar per stage on a terminal; each stage's summary stays as a line when it ends."""

    def __init__(self, stream: IO[str]) -> None:
        self._console = Console(file=stream, highlight=False)
        self._bars = Bars(
            TextColumn("[bold]{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._bars.start()

    def start(self, stage: str, total: int | None = None) -> None:
        with self._lock:
            self._tasks[stage] = self._bars.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        with self._lock:
            task = self._tasks.get(stage)
            if task is not None:
                self._bars.advance(task, n)

    def finish(self, stage: str, summary: str) -> None:
        with self._lock:
            task = self._tasks.pop(stage, None)
            if task is not None:
                self._bars.remove_task(task)
            self._console.print(
                f"[bold]{escape(stage)}[/bold]: {escape(summary)}", emoji=False, soft_wrap=True
            )

    def close(self) -> None:
        self._bars.stop()


def for_stream(stream: IO[str] | None = None) -> Progress:
    """Live bars when `stream` (default stderr) is a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return Live(stream)
    return Lines(stream)
