"""An article's identity: one spelling of its URL, the URL to show, a hash of its content.

`canonical_url` folds tracking parameters, fragments, case and http/https so one article is one
item; `content_hash` makes the same text under another URL the same article.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "clean_url", "content_hash", "normalize"]

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|ref|ref_src|"
    r"from|sns|share|nclick|ncid|ocid|cmpid|rss|feed)$",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")


def canonical_url(url: str) -> str:
    """One spelling per article: lower-case scheme and host, no default port, no fragment, no
    tracking parameters (utm_*, fbclid …); parameters that identify the article (idxno …) stay."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    path = parts.path or "/"
    # http and https are the same article.
    return urlunsplit(("http", netloc, path, urlencode(query), ""))


def clean_url(url: str) -> str:
    """The URL to show and store: tracking parameters and fragment removed, nothing else changed."""
    parts = urlsplit(url.strip())
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def content_hash(title: str, text: str) -> str:
    """Exact-content hash: the same text under another URL is the same article."""
    norm = normalize(title) + "\n" + normalize(text)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


def normalize(text: str) -> str:
    """Text compared for sameness: NFKC, no whitespace, lower-case."""
    return _WS.sub("", unicodedata.normalize("NFKC", text)).lower()
