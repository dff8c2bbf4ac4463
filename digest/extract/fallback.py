"""trafilatura, the extractor's fallback: imported only when needed, checked at start-up."""

from __future__ import annotations

from types import ModuleType

from digest.errors import DigestError

# What the fallback needs, by module → the requirement that brings it (as in pyproject.toml).
_FALLBACK_REQUIREMENTS = {"lxml_html_clean": "lxml_html_clean>=0.4", "trafilatura": "trafilatura>=2.0"}


def _import_trafilatura() -> ModuleType:
    """trafilatura, the extractor's fallback (a heavy import, so only when needed), or a
    `DigestError` naming what is missing and the pip command that fixes it."""
    try:
        # lxml.html.clean, which trafilatura and justext clean HTML with, is now its own project.
        import lxml_html_clean  # noqa: F401
        import trafilatura
    except ImportError as exc:
        top = (exc.name or "").partition(".")[0]
        if not top and "lxml_html_clean" in str(exc):
            top = "lxml_html_clean"  # lxml's own stub says so without setting `name`
        top = top or "trafilatura"
        requirement = _FALLBACK_REQUIREMENTS.get(top, top)
        raise DigestError(
            f"the article extractor's fallback (trafilatura) cannot be imported: {top} is missing or broken; "
            f"install it with: pip install '{requirement}'"
        ) from exc
    return trafilatura


def require_fallback() -> None:
    """Check at start-up that trafilatura, the extractor's fallback, can be imported.

    Raises `DigestError` with a one-line message naming the missing package and the pip command.
    """
    _import_trafilatura()


def _trafilatura_text(html: str) -> str:
    """trafilatura's text of the page, "" when it finds none or fails on the markup.

    A fallback that cannot be imported is not hidden: `DigestError` (see `require_fallback`).
    """
    trafilatura = _import_trafilatura()
    try:
        result = trafilatura.extract(html, include_comments=False, include_tables=True, favor_precision=True)
    except Exception:  # trafilatura raises a zoo of lxml errors on hostile markup
        return ""
    return result or ""
