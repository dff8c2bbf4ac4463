"""What a collect reports: per source, and the one line a run, a log or `digest status` shows."""

from __future__ import annotations

from dataclasses import dataclass

from .models import SourceReport

__all__ = ["CollectReport", "collect_line"]


@dataclass(frozen=True)
class CollectReport:
    sources: tuple[SourceReport, ...]
    seconds: float = 0.0

    @property
    def error(self) -> str | None:
        """Set when every source failed (then nothing is sent)."""
        if self.sources and all(r.error for r in self.sources):
            return "every source failed"
        return None

    @property
    def new(self) -> int:
        return sum(r.new for r in self.sources)


def collect_line(report: CollectReport) -> str:
    """``11 source(s): 230 seen, 12 new, 3 not modified, 1 failed (x: HTTP 404) (3.2 s)``."""
    rs = report.sources
    failed = [r for r in rs if r.error]
    unchanged = sum(1 for r in rs if r.not_modified)
    waiting = sum(1 for r in rs if r.waiting)
    older = sum(r.backlog for r in rs)
    return (
        f"{len(rs)} source(s): {sum(r.seen for r in rs)} seen, {report.new} new"
        + (f", {older} older ones recorded as seen (first collect)" if older else "")
        + (f", {unchanged} not modified" if unchanged else "")
        + (f", {waiting} left alone for now (backoff, Retry-After or 410)" if waiting else "")
        + (
            f", {len(failed)} failed ({'; '.join(f'{r.name}: {r.error}' for r in failed[:3])})"
            if failed
            else ""
        )
        + f" ({report.seconds:.1f} s)"
    )
