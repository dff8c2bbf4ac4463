"""Edit the `sources:` list of a sources.yaml in place, as a reader would by hand.

A user's file carries comments, an order and a layout of its own; an edit changes only the lines it
must. The file is read with ruamel.yaml in round-trip mode, the list edited there (new entries in the
style of the existing ones: flow or block, URLs quoted as they are, `type:` written if the others
write it), and the dump's `sources:` block spliced back between the file's untouched lines before
and after it. If the splice would not read back as the dump does, the whole dump is written instead.
Writes are atomic and keep the file's mode; a file config could not read is refused with a
`ConfigError`, and an edit never writes entries config would refuse (no duplicate name, no URL that
is not http(s), no second entry for a canonical URL already in the file).
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from .config import _sources as validate_sources
from .errors import ConfigError
from .fsutil import atomic_write
from .identity import canonical_url
from .models import Source

__all__ = ["AddResult", "NewSource", "add_sources", "list_sources", "set_enabled", "set_url"]

NewSource: TypeAlias = Source  # its name is a wish: made unique when added
_HTTP = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)  # what config accepts as a source URL


@dataclass(frozen=True)
class AddResult:
    """The names written (made unique), and a one-line note on each source not added."""

    added: tuple[str, ...]
    skipped: tuple[str, ...]


def list_sources(path: str | Path) -> tuple[Source, ...]:
    """The file's sources, validated as `digest check` validates them (ConfigError otherwise)."""
    doc = _Doc.open(path)
    try:
        raw = yaml.safe_load(doc.text)
    except yaml.YAMLError as exc:
        raise ConfigError(doc.where, "", f"not valid YAML: {exc}") from None
    return validate_sources((raw or {}).get("sources"), doc.where)


def add_sources(path: str | Path, new: Sequence[NewSource]) -> AddResult:
    """Append `new` to the file's sources (one read, one write, none if nothing is added)."""
    doc = _Doc.open(path)
    seq = doc.sources(create=True)
    entries = [e for e in seq if isinstance(e, CommentedMap)]
    names = {str(e.get("name")) for e in entries}
    known = {canonical_url(str(e["url"])): str(e.get("name")) for e in entries if "url" in e}
    style = _Style.of(entries)
    added: list[str] = []
    skipped: list[str] = []
    for s in new:
        url = s.url.strip()
        label = " ".join(s.name.split()) or (urlsplit(url).hostname or url)
        if not _HTTP.match(url):
            skipped.append(f"{label}: not an http(s) URL: {url!r}")
            continue
        key = canonical_url(url)
        if key in known:
            skipped.append(f"{label} <{url}>: already in the file as {known[key]!r}")
            continue
        name = _unique_name(label, names)
        names.add(name)
        known[key] = name
        if not added:
            _release_tail(seq)
        seq.append(style.entry(s, name, url))
        added.append(name)
    if added:
        doc.save()
    return AddResult(added=tuple(added), skipped=tuple(skipped))


def set_enabled(path: str | Path, name: str, enabled: bool) -> bool:
    """Disable (`enabled: false`) or enable (the key removed) the source `name`; False if none."""
    doc = _Doc.open(path)
    entry = doc.entry(name)
    if entry is None:
        return False
    if enabled and "enabled" in entry:
        del entry["enabled"]
        doc.save()
    elif not enabled and entry.get("enabled") is not False:
        entry["enabled"] = False
        doc.save()
    return True


def set_url(path: str | Path, name: str, url: str) -> bool:
    """Give the source `name` a new URL (quoted as its old one was); False if there is none."""
    doc = _Doc.open(path)
    entry = doc.entry(name)
    if entry is None:
        return False
    url = url.strip()
    if not _HTTP.match(url):
        raise ConfigError(doc.where, f"sources.{name}.url", f"must be an http(s) URL, not {url!r}")
    if str(entry.get("url")) != url:
        entry["url"] = _quoted(entry.get("url"), url)
        doc.save()
    return True


def _unique_name(name: str, taken: set[str]) -> str:
    """`이름`, else `이름 (2)`, `이름 (3)` …: config refuses two sources of one name."""
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def _quoted(like: object, text: str) -> str:
    """`text` quoted as `like` is (plain when `like` is a plain string)."""
    quoted: str = text
    if isinstance(like, SingleQuotedScalarString):
        quoted = SingleQuotedScalarString(text)
    elif isinstance(like, DoubleQuotedScalarString) or not isinstance(like, str):
        quoted = DoubleQuotedScalarString(text)
    return quoted


@dataclass(frozen=True)
class _Style:
    """How the file writes its entries, read off the last one (the project's style if none)."""

    flow: bool = True
    type_key: bool = True
    url_like: object = None  # an existing URL value, whose quoting new URLs copy
    flow_tags: bool = True

    @classmethod
    def of(cls, entries: Sequence[CommentedMap]) -> _Style:
        if not entries:
            return cls()
        last = entries[-1]
        tags = next((e["tags"] for e in reversed(entries) if isinstance(e.get("tags"), CommentedSeq)), None)
        return cls(
            flow=bool(last.fa.flow_style()),
            type_key=any("type" in e for e in entries),
            url_like=last.get("url"),
            flow_tags=tags is None or bool(tags.fa.flow_style()),
        )

    def entry(self, s: Source, name: str, url: str) -> CommentedMap:
        m = CommentedMap()
        m["name"] = name
        m["url"] = _quoted(self.url_like, url)
        if self.type_key or s.type != "feed":
            m["type"] = s.type
        if s.encoding:
            m["encoding"] = s.encoding
        if s.selector:
            m["selector"] = s.selector
        if s.tags:
            tags = CommentedSeq(s.tags)
            if self.flow_tags or self.flow:
                tags.fa.set_flow_style()
            m["tags"] = tags
        if not s.enabled:
            m["enabled"] = False
        if self.flow:
            m.fa.set_flow_style()
        return m


def _release_tail(seq: CommentedSeq) -> None:
    """Before appending: ruamel keeps the blank lines and comments after the last entry with it,
    so a new entry would follow them. Keep the entry's own end-of-line comment and the indented
    comment lines right under it; move the rest (from a blank or unindented line) past the list."""
    found = _last_comment(seq)
    if found is None:
        return
    slot, i = found
    lines = slot[i].value.splitlines(keepends=True)
    cut = next((n for n in range(1, len(lines)) if not lines[n].strip() or lines[n][:1] not in " \t"), None)
    if cut is None:
        return
    slot[i].value = "".join(lines[:cut])
    end = seq.ca.end if isinstance(seq.ca.end, list) else []
    if seq.ca.comment is None:  # ruamel emits `end` only for a sequence with this slot
        seq.ca.comment = [None, None]
    seq.ca.end = [CommentToken("".join(lines[cut:]), CommentMark(0)), *end]


def _last_comment(node: object) -> tuple[list[Any], int] | None:
    """Where ruamel keeps the comment after the last scalar of `node`: (slot, index) or None."""
    if isinstance(node, CommentedSeq) and len(node):
        slot = node.ca.items.get(len(node) - 1)
        if slot and slot[0] is not None:
            return slot, 0
        return _last_comment(node[-1])
    if isinstance(node, CommentedMap) and len(node):
        last = list(node)[-1]
        slot = node.ca.items.get(last)
        if slot and len(slot) > 2 and slot[2] is not None:
            return slot, 2
        return _last_comment(node[last])
    return None


class _Doc:
    """A sources file read for editing: its text, its round-trip data, how to write it back."""

    def __init__(self, path: Path, text: str, newline: str) -> None:
        self.path = path
        self.where = str(path)
        self.text = text
        self.newline = newline
        self.yaml = YAML()  # round-trip
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096  # never fold a long line
        self.yaml.representer.add_representer(type(None), _null)
        try:
            data = self.yaml.load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark is not None else ""
            raise ConfigError(
                self.where, "", f"{line}not valid YAML: {getattr(exc, 'problem', exc)}"
            ) from None
        if data is None:  # empty, or only comments
            data = CommentedMap()
        if not isinstance(data, CommentedMap):
            raise ConfigError(self.where, "", "must be a mapping with a `sources:` list")
        self.data: CommentedMap = data
        self.region = _region(data, text)
        seq = data.get("sources")
        if seq is not None and not isinstance(seq, CommentedSeq):
            raise ConfigError(self.where, "sources", "must be a list")
        for i, e in enumerate(seq or []):
            if not isinstance(e, CommentedMap):
                raise ConfigError(self.where, f"sources[{i}]", "must be a mapping with name, url and type")
        if isinstance(seq, CommentedSeq) and len(seq) and not seq.fa.flow_style():
            dash, content = seq.lc.col, seq.lc.item(0)[1]
            self.yaml.indent(mapping=max(2, content - dash), sequence=content, offset=dash)
        else:
            self.yaml.indent(mapping=2, sequence=4, offset=2)

    @classmethod
    def open(cls, path: str | Path) -> _Doc:
        p = Path(path)
        try:
            raw = p.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise ConfigError(str(p), "", "file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(str(p), "", f"cannot read: {exc}") from None
        newline = "\r\n" if "\r\n" in raw else "\n"
        return cls(p, raw.replace("\r\n", "\n"), newline)

    def sources(self, create: bool = False) -> CommentedSeq:
        seq = self.data.get("sources")
        if seq is None or (isinstance(seq, CommentedSeq) and not len(seq) and create):
            seq = CommentedSeq()
            if create:
                self.data["sources"] = seq
        assert isinstance(seq, CommentedSeq)
        return seq

    def entry(self, name: str) -> CommentedMap | None:
        return next((e for e in self.sources() if str(e.get("name")) == name), None)

    def save(self) -> None:
        buf = io.StringIO()
        self.yaml.dump(self.data, buf)
        dumped = buf.getvalue()
        text = _splice(self.text, self.region, dumped) or dumped
        target = self.path.resolve()  # a symlinked sources.yaml stays a symlink
        mode = stat.S_IMODE(os.stat(target).st_mode)
        atomic_write(target, text.replace("\n", self.newline).encode("utf-8"), mode=mode)


def _null(representer: Any, _data: None) -> Any:
    """`null` stays `null` (ruamel writes an empty value)."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _region(data: CommentedMap, text: str) -> tuple[int, int] | None:
    """The lines [start, end) of the `sources:` block: from its key to the next top-level key."""
    keys = list(data)
    if "sources" not in keys:
        return None
    i = keys.index("sources")
    start = data.lc.key("sources")[0]
    end = data.lc.key(keys[i + 1])[0] if i + 1 < len(keys) else len(text.splitlines(keepends=True))
    return int(start), int(end)


def _splice(text: str, region: tuple[int, int] | None, dumped: str) -> str | None:
    """`text` with its `sources:` block replaced by the dump's (appended if it had none), or None
    when that would not read back as the dump does."""
    try:
        reread = YAML().load(dumped)
        new_region = _region(reread, dumped)
        if new_region is None:
            return None
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        start, end = region if region is not None else (len(lines), len(lines))
        block = dumped.splitlines(keepends=True)[new_region[0] : new_region[1]]
        spliced = "".join(lines[:start] + block + lines[end:])
        return spliced if yaml.safe_load(spliced) == yaml.safe_load(dumped) else None
    except (YAMLError, yaml.YAMLError):
        return None
