"""digest: a daily digest of the Korean health-tech press.

Pulls new items from RSS/Atom/JSON feeds and news pages, extracts the article text, folds the
same event reported by many outlets into one story, groups stories by theme and renders the
digest as e-mail, Markdown, a static page and JSON.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    DeliveryError,
    DigestError,
    ExtractError,
    FetchError,
    ParseError,
    StorageError,
)

if TYPE_CHECKING:
    from .config import load_settings
    from .models import Digest, Item, Settings, Source, Story
    from .pipeline import RunReport, run

# Imported when first used: `digest --help` must not load the pipeline (numpy, lxml, the analyser).
_LAZY = {
    "load_settings": "config",
    "Digest": "models",
    "Item": "models",
    "Settings": "models",
    "Source": "models",
    "Story": "models",
    "RunReport": "pipeline",
    "run": "pipeline",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'digest' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)
