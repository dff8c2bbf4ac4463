"""The one error root of digest, with structured attributes.

Adapters translate library exceptions (httpx, feedparser, sqlite3, smtplib …) into these,
raised ``from`` the original, so nothing above an adapter knows which library is below.
"""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value: object, limit: int = 300) -> str:
    """An error (or any value) as one line for a report, a log or the state: whitespace and
    control characters collapsed, at most `limit` characters, never empty."""
    text = _BREAKS.sub(" ", str(value) if value is not None else "").strip()
    if not text:
        text = type(value).__name__ if isinstance(value, BaseException) else "unknown error"
    return text[:limit]


class DigestError(Exception):
    """Root of every error digest raises on purpose."""


class ConfigError(DigestError, ValueError):
    """The configuration is invalid: names the file, the key and what is wrong."""

    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path = path
        self.key = key
        self.reason = reason
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {reason}")


class FetchError(DigestError):
    """A URL could not be fetched (DNS, refused, timeout, HTTP error, too large, refused address)."""

    def __init__(
        self, url: str, reason: str, *, status: int | None = None, retry_after: str | None = None
    ) -> None:
        self.url = url
        self.reason = reason
        self.status = status  # the HTTP status of an answer that was an error (404, 410, 429 ...)
        self.retry_after = retry_after  # its Retry-After header, as sent
        super().__init__(f"{url}: {reason}")


class ParseError(DigestError):
    """Fetched bytes are not a usable feed or page."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class ExtractError(DigestError):
    """No trustworthy article text could be extracted from a page."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class StorageError(DigestError):
    """The state file cannot be opened, migrated or written."""


class DeliveryError(DigestError):
    """A digest could not be delivered to one recipient or written to the site."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"{target}: {reason}")


class UsageError(DigestError):
    """A command-line value that cannot be right (a date far ahead …): nothing is done."""


class OutputError(DigestError):
    """The output folder cannot be used (it is a file, or cannot be written)."""


class BusyError(DigestError):
    """Another digest process holds the state's lease (and did not let go in the time allowed)."""

    def __init__(self, state: str, holder: str) -> None:
        self.state = state
        self.holder = holder
        super().__init__(f"{state}: busy: {holder}")


class InterruptedRun(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived: the job in progress is abandoned cleanly."""

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(signal_name)
