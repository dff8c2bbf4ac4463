"""Text in terminal columns: Korean syllables and other East Asian wide characters take two
columns, combining marks none. Used by every table the CLI prints (`digest status`, `digest
sources list|check`, a run's source lines)."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence

__all__ = ["fit", "pad", "table", "width"]


def width(text: str) -> int:
    """Terminal columns of `text`."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text
    )


def pad(text: str, columns: int) -> str:
    """`text` left-justified to `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` columns, "..." marking the cut."""
    if width(text) <= limit:
        return text
    out, cols = "", 0
    for c in text:
        w = width(c)
        if cols + w > limit - 3:
            break
        out, cols = out + c, cols + w
    return out + "..."


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    limits: Sequence[int] | None = None,
) -> str:
    """Rows under a header line, columns aligned in terminal columns, two spaces apart; columns
    in `right` right-aligned (numbers); `limits` (0: none) cut long cells."""
    lines = [tuple(header), *(tuple(r) for r in rows)]
    if limits is not None:
        lines = [
            tuple(fit(c, lim) if lim else c for c, lim in zip(line, limits, strict=True)) for line in lines
        ]
    widths = [max(width(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = []
        for i, (cell, w) in enumerate(zip(line, widths, strict=True)):
            space = " " * (w - width(cell))
            cells.append(space + cell if i in right else cell + space)
        out.append("  ".join(cells).rstrip())
    return "\n".join(out) + "\n"
