"""APScheduler entry point: run the digest every morning, unattended.

    python scheduler.py --sources sources.yaml --state digest-state.sqlite --out out --at 07:00

Loads the settings once to fail fast on a bad configuration, then runs `pipeline.run` every day at
the given time in the configured time zone. A run that fails is logged and the scheduler goes on;
a missed run (machine asleep) is run once when the scheduler wakes, within the grace time.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from digest import pipeline
from digest.cli import print_report
from digest.config import load_settings
from digest.errors import DigestError


def job(sources: str, state: str, out: str) -> None:
    try:
        settings = load_settings(sources)  # re-read: edits to sources.yaml apply to the next run
        print_report(pipeline.run(settings, state, out))
    except DigestError as exc:
        logging.getLogger("digest").error("run failed: %s", exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scheduler.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="sources.yaml")
    parser.add_argument("--state", default="digest-state.sqlite")
    parser.add_argument("--out", default="out")
    parser.add_argument("--at", default="07:00", help="HH:MM in the configured time zone (default 07:00)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = load_settings(args.sources)
        hour, minute = (int(x) for x in args.at.split(":", 1))
    except (DigestError, ValueError) as exc:
        print(f"scheduler: {exc}", file=sys.stderr)
        return 2
    scheduler = BlockingScheduler(timezone=settings.timezone)
    scheduler.add_job(
        job,
        CronTrigger(hour=hour, minute=minute, timezone=settings.timezone),
        args=[args.sources, args.state, args.out],
        id="daily-digest",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    logging.getLogger("digest").info("next run at %s (%s)", args.at, settings.timezone)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
