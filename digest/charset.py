"""Decoding bytes from Korean sites: a leaf utility shared by the parse and extract stages.

Order: the user's override, a BOM, the HTTP charset, the document's own declaration (XML prolog or
`<meta>` within the first 4 KB), strict UTF-8, then CP949. A declared charset that does not decode
the bytes strictly does not win. EUC-KR and its aliases are read as CP949, as browsers do (WHATWG),
so CP949-only syllables (똠, 햏) survive; a Latin declaration never beats bytes that read as UTF-8
or as Korean. C0 controls are dropped.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

__all__ = ["decode_html", "hangul_share"]


_CP949_ALIASES = frozenset(
    {
        "euc-kr",
        "euckr",
        "euc_kr",
        "cp949",
        "ms949",
        "uhc",
        "windows-949",
        "x-windows-949",
        "ks_c_5601-1987",
        "ks_c_5601",
        "ksc5601",
        "ksc_5601",
        "ks_x_1001",
        "korean",
        "csksc56011987",
        "iso-ir-149",
        "cseuckr",
    }
)
# WHATWG reads these labels as windows-1252.
_AS_CP1252 = frozenset({"ascii", "iso8859-1", "latin-1", "latin_1", "iso8859_1"})
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _codec(name: str | None) -> str | None:
    """Normalise a charset label to a Python codec; the EUC-KR family is read as cp949 (WHATWG)."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _CP949_ALIASES:
        return "cp949"
    if label in ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"):
        return "utf-8"
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if info.name in ("euc_kr", "cp949"):
        return "cp949"
    if info.name in _AS_CP1252:
        return "cp1252"
    return info.name


@lru_cache(maxsize=64)
def _single_byte(codec: str) -> bool:
    """A one-byte-per-character codec (Latin, KOI8 …) 'decodes' anything, so it proves nothing."""
    try:
        return len(bytes(range(128, 256)).decode(codec, errors="replace")) == 128
    except LookupError:
        return False


def _declared_charset(body: bytes) -> str | None:
    head = body[:4096]
    match = _XML_ENCODING.search(head[:256]) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def hangul_share(text: str) -> float:
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 1.0
    return sum(1 for c in wide if "\uac00" <= c <= "\ud7a3") / len(wide)


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _finish(text: str) -> str:
    return _C0.sub("", text.removeprefix("\ufeff"))


def decode_html(body: bytes, header_charset: str | None = None, override: str | None = None) -> str:
    """Decode page or feed bytes.

    Order: the user's ``override``, a BOM, the HTTP ``header_charset``, the document's own
    ``<meta charset>`` / ``http-equiv`` / ``<?xml encoding?>`` (first 4 KB), strict UTF-8, cp949.
    A declared charset that fails strict decoding falls through to the next candidate; a Latin
    declaration never beats bytes that read as UTF-8 or as Korean cp949. C0 controls are dropped.
    """
    forced = _codec(override)
    if forced:
        text = _strict(body, forced)
        if text is not None:
            return _finish(text)
    candidates: list[str] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            candidates.append(codec)
    for label in (header_charset, _declared_charset(body)):
        named = _codec(label)
        if named and named not in candidates:
            candidates.append(named)
    is_ascii = body.isascii()
    has_bom = any(body.startswith(bom) for bom, _ in _BOMS)
    latin_fallback: str | None = None
    for codec in candidates:
        if codec.startswith(("utf_16", "utf-16", "utf_32", "utf-32")) and not has_bom:
            continue  # a UTF-16 label on 8-bit bytes (WHATWG reads it as UTF-8)
        if _single_byte(codec) and not is_ascii:
            latin_fallback = latin_fallback or codec  # only if nothing Korean-shaped fits
            continue
        text = _strict(body, codec)
        if text is None:
            continue
        if codec == "cp949" and not is_ascii and _strict(body, "utf-8") is not None:
            return _finish(body.decode("utf-8"))  # EUC-KR bytes are practically never valid UTF-8
        return _finish(text)
    text = _strict(body, "utf-8")
    if text is not None:
        return _finish(text)
    text = _strict(body, "cp949")
    if text is not None and (latin_fallback is None or hangul_share(text) >= 0.5):
        return _finish(text)
    if latin_fallback:
        return _finish(body.decode(latin_fallback, errors="replace"))
    return _finish(body.decode("utf-8", errors="replace"))
