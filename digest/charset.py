"""Decoding bytes from Korean sites: a leaf utility shared by the parse and extract stages.

Order: the user's override, the HTTP charset, the document's own declaration (XML prolog or
`<meta>` within the first 4 KB), strict UTF-8, then CP949. A declared charset that does not
decode the bytes strictly does not win. EUC-KR and its aliases are read as CP949, as browsers
do (WHATWG), so CP949-only syllables (똠, 햏) survive. Never a Latin fallback.
"""

from __future__ import annotations

import codecs
import re

_KOREAN_ALIASES = {
    "euc-kr",
    "euckr",
    "euc_kr",
    "ks_c_5601-1987",
    "ks_c_5601",
    "ksc5601",
    "x-windows-949",
    "windows-949",
    "cp949",
    "ms949",
    "uhc",
    "korean",
    "csksc56011987",
    "ks_x_1001",
    "iso-ir-149",
}
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_charset(name: str | None) -> str | None:
    """A codec name Python knows, with the EUC-KR family mapped to cp949; None if unknown."""
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    if n in _KOREAN_ALIASES:
        return "cp949"
    if n in ("utf8", "utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    if n in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "windows-1252", "cp1252"):
        # Pages that say Latin-1 are almost always lying on a Korean site: let UTF-8 / CP949
        # detection decide, and fall back to the declaration only if both fail.
        return "windows-1252"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def declared_charset(body: bytes) -> str | None:
    """The charset the document declares about itself (XML prolog or <meta>), first 4 KB only."""
    head = body[:4096]
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    m = _XML_DECL.match(head) or _META.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def decode(body: bytes, header_charset: str | None = None, override: str | None = None) -> tuple[str, str]:
    """Decode bytes to text; returns (text, codec used). Control characters are dropped."""
    if body.startswith(codecs.BOM_UTF8):
        return _clean(body[3:].decode("utf-8", errors="replace")), "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _clean(body.decode("utf-16", errors="replace")), "utf-16"
    latin: str | None = None
    for candidate in (override, header_charset, declared_charset(body)):
        codec = normalize_charset(candidate)
        if codec is None:
            continue
        if codec == "windows-1252":
            latin = latin or codec
            continue
        try:
            return _clean(body.decode(codec)), codec
        except UnicodeDecodeError:
            continue
    for codec in ("utf-8", "cp949"):
        try:
            return _clean(body.decode(codec)), codec
        except UnicodeDecodeError:
            continue
    if latin is not None and not _looks_korean_bytes(body):
        return _clean(body.decode(latin, errors="replace")), latin
    # Mostly UTF-8 or mostly CP949 with a few bad bytes: replace per byte, never re-decode the
    # whole document as Latin.
    utf8 = body.decode("utf-8", errors="replace")
    cp949 = body.decode("cp949", errors="replace")
    if cp949.count("\ufffd") < utf8.count("\ufffd"):
        return _clean(cp949), "cp949"
    return _clean(utf8), "utf-8"


def _looks_korean_bytes(body: bytes) -> bool:
    high = sum(1 for b in body[:20000] if b >= 0xA1)
    return high > 20


def _clean(text: str) -> str:
    return _CONTROLS.sub("", text)
