"""A job's clock: the moment the job stands for, advancing with the real time that passes."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Clock"]


class Clock:
    """`start` is `now` (the real time unless a test or the service injects one): what the job
    records as its time (items' first_seen, the digest's generated_at and seal). Called, it
    advances with the real time that passes — waiting for the lease, collecting, sending a long
    list — so claims and backoffs are never dated in the past."""

    def __init__(self, tz: str, now: datetime | None = None) -> None:
        zone = ZoneInfo(tz)
        self.start = (now or datetime.now(zone)).astimezone(zone)
        self._began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._began)
