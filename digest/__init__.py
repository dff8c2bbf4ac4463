"""digest: a daily digest of the Korean health-tech press.

Pulls new items from RSS/Atom/JSON feeds and news pages, extracts the article text, folds the
same event reported by many outlets into one story, groups stories by theme and renders the
digest as e-mail, Markdown, a static page and JSON.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import load_settings
from .errors import (
    ConfigError,
    DeliveryError,
    DigestError,
    ExtractError,
    FetchError,
    ParseError,
    StorageError,
)
from .models import Digest, Item, Settings, Source, Story
from .pipeline import RunReport, run

__all__ = [
    "ConfigError",
    "DeliveryError",
    "Digest",
    "DigestError",
    "ExtractError",
    "FetchError",
    "Item",
    "ParseError",
    "RunReport",
    "Settings",
    "Source",
    "StorageError",
    "Story",
    "__version__",
    "load_settings",
    "run",
]
