"""The bundled offline demo: two days of Korean health-tech feeds and pages, served on loopback.

`run_demo` serves `data/day1` then `data/day2` with `server.serve`, points the real pipeline at
them (the sources file `data/sources.yaml` with `{base}` filled in) and runs it once per day
against a fresh state, so the second digest shows only what is new.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import pipeline
from ..config import load_settings
from ..deliver.outputs import MARKER

DATA = Path(__file__).with_name("data")
DAYS: tuple[tuple[str, date], ...] = (("day1", date(2024, 6, 12)), ("day2", date(2024, 6, 13)))


def run_demo(out: Path) -> list[pipeline.RunReport]:
    from .server import serve  # imported here so `python -m digest.demo.server` runs cleanly

    out.mkdir(parents=True, exist_ok=True)
    state = out / "demo-state.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    (out / MARKER).unlink(missing_ok=True)  # a fresh state on purpose: its earlier digests go too
    reports: list[pipeline.RunReport] = []
    with serve(DATA / DAYS[0][0]) as srv:
        sources = out / "demo-sources.yaml"
        sources.write_text(
            (DATA / "sources.yaml").read_text(encoding="utf-8").replace("{base}", srv.base_url),
            encoding="utf-8",
        )
        settings = load_settings(sources)
        tz = ZoneInfo(settings.timezone)
        for folder, day in DAYS:
            srv.set_root(DATA / folder)
            now = datetime.combine(day, time(18, 0), tz)
            reports.append(pipeline.run(settings, state, out, day, now=now))
    return reports
