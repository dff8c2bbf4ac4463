"""An article's identity: one spelling of its URL, the URL to show, a hash of its content.

`canonical_url` folds tracking parameters, fragments, case and http/https so one article is one
item; `content_hash` makes the same text under another URL the same article.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "clean_url", "content_hash", "normalize"]

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|ref|ref_src|"
    r"from|sns|share|nclick|ncid|ocid|cmpid|rss|feed)$",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")


def canonical_url(url: str) -> str:
    """One spelling per article: lower-case scheme and host, no default port, no fragment, no
    tracking parameters (utm_*, fbclid …); parameters that identify the article (idxno …) stay.

    Idempotent (the canonical URL of a canonical URL is itself) and never raises: an IPv6 host
    keeps its brackets, a port that is not a number from 0 to 65535 stays as written, and a link
    `urlsplit` cannot read at all (unbalanced brackets) is returned as given, stripped."""
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return stripped
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    while host.startswith("www."):
        host = host[4:]
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host + _port(parts, scheme)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    path = parts.path or "/"
    if not netloc and path.startswith("//"):
        path = "/" + path.lstrip("/")  # "http:////" would read back as an empty host and path
    return urlunsplit(("http", netloc, path, urlencode(query), "")).strip()  # "…/a #top" ends in a space


def _port(parts: SplitResult, scheme: str) -> str:
    """The netloc's port part: ":8080", or "" for none or a default one. http and https are the
    same article, so the canonical URL is always http: the default port of the scheme given, or
    of http, goes. A port that is not a number (":99999", ":port") stays as written."""
    try:
        port = parts.port
    except ValueError:  # the text urlsplit reads as the port, as written
        hostinfo = parts.netloc.rpartition("@")[2]
        _, bracket, bracketed = hostinfo.partition("[")
        return ":" + (bracketed.partition("]")[2] if bracket else hostinfo).partition(":")[2]
    if port is None or port == 80 or (scheme, port) == ("https", 443):
        return ""
    return f":{port}"


def clean_url(url: str) -> str:
    """The URL to show and store: tracking parameters and fragment removed, nothing else changed.

    Idempotent; a URL that `urlsplit` cannot read is returned as given, stripped."""
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return stripped
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    # Stripped again: "…/a b ?utm_source=x" loses its query and would end in a space.
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")).strip()


def content_hash(title: str, text: str) -> str:
    """Exact-content hash: the same text under another URL is the same article."""
    norm = normalize(title) + "\n" + normalize(text)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


def normalize(text: str) -> str:
    """Text compared for sameness: NFKC, no whitespace, lower-case."""
    return _WS.sub("", unicodedata.normalize("NFKC", text)).lower()
