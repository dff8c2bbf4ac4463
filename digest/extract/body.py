"""Finding the article body: one walk of the tree into text segments, then the element holding the article.

`_walk` cuts the page's text into *segments* (a run of text inside one block element, split at
``<br>``), each marked with the furniture level around it. `_choose` takes the element that holds the
most sentence-like text for the least other text (``good - bad``); `_analyse` runs both, looking again
without the class/id guesses when those hid much of the page's prose. `_clean_paragraphs` turns the
chosen segments into paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from digest.errors import ExtractError
from digest.models import TEXT_CHARS

from .furniture import (
    _SENTENCE_END,
    _furniture_ids,
    _is_furniture_line,
    _prune_furniture,
    _strip_lead_lines,
    _strip_tail_lines,
    _unglue_byline,
    strip_furniture_lines,
)

# Inline elements: their text belongs to the block element around them.
_INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "nobr",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
        "img",
    }
)
# Elements whose text is never article text.
_SKIP_TEXT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "textarea",
        "title",
        "head",
        "option",
        "select",
        "svg",
        "math",
    }
)


@dataclass
class _Segment:
    block: int  # mem_id of the block element holding the text
    furniture: int  # 0 none, 1 class/id furniture, 2 tag furniture
    parts: list[str] = field(default_factory=list)
    link: int = 0
    text: str = ""


@dataclass
class _Walk:
    segments: list[_Segment]
    parent: dict[int, int]  # element mem_id → parent mem_id
    attrs: dict[int, str]  # block mem_id → "tag class" for sibling checks


_SPACES = re.compile(r"\s+")

_MAX_DEPTH = 400


def _walk(root: LexborNode, sure: set[int], likely: set[int]) -> _Walk:
    segments: list[_Segment] = []
    parent_of: dict[int, int] = {}
    attrs: dict[int, str] = {}
    context: dict[int, tuple[int, bool, int, bool]] = {}  # text parent → (block, in_link, furniture, skip)
    current: _Segment | None = None

    levels: dict[int, int] = {}

    def furniture_of(node: LexborNode) -> int:
        """2 inside sure furniture, 1 inside likely furniture, 0 otherwise (memoised up the tree)."""
        chain: list[tuple[int, int]] = []
        walker: LexborNode | None = node
        level = 0
        while walker is not None:
            mid = walker.mem_id
            known = levels.get(mid)
            if known is not None:
                level = known
                break
            chain.append((mid, 2 if mid in sure else 1 if mid in likely else 0))
            walker = walker.parent
        for mid, own in reversed(chain):
            level = max(level, own)
            levels[mid] = level
        return level

    def describe(parent: LexborNode) -> tuple[int, bool, int, bool]:
        tag = parent.tag or ""
        if tag in _SKIP_TEXT:
            return (0, False, 0, True)
        in_link = False
        block = parent
        while block.tag in _INLINE:
            if block.tag == "a":
                in_link = True
            up = block.parent
            if up is None:
                break
            block = up
        block_id = block.mem_id
        if block_id not in parent_of:
            _register(block)
        return (block_id, in_link, furniture_of(parent), False)

    def _register(block: LexborNode) -> None:
        walker: LexborNode | None = block
        depth = 0
        while walker is not None:
            mid = walker.mem_id
            if mid in parent_of:
                return
            up = walker.parent
            parent_of[mid] = up.mem_id if up is not None else 0
            if mid not in attrs:
                attributes = walker.attributes
                attrs[mid] = f"{walker.tag} {attributes.get('class') or ''}"
            walker = up
            depth += 1
            if depth > _MAX_DEPTH:
                raise _TooDeep

    for node in root.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            raw = node.text_content or ""
            if not raw.strip():
                if current is not None:
                    current.parts.append(" ")
                continue
            parent = node.parent
            if parent is None:
                continue
            pid = parent.mem_id
            info = context.get(pid)
            if info is None:
                info = describe(parent)
                context[pid] = info
            block, in_link, furniture, skip = info
            if skip:
                continue
            if current is None or current.block != block or current.furniture != furniture:
                current = _Segment(block, furniture)
                segments.append(current)
            current.parts.append(raw)
            if in_link:
                current.link += len(raw.strip())
        elif tag == "br" or tag == "hr":
            current = None
    for segment in segments:
        segment.text = _SPACES.sub(" ", "".join(segment.parts).replace("\xa0", " ")).strip()
    return _Walk([s for s in segments if s.text], parent_of, attrs)


class _TooDeep(Exception):
    pass


@dataclass
class _Body:
    paragraphs: list[str]
    good: float  # sentence-like text inside the chosen container
    total_good: float  # sentence-like text on the whole page (same furniture level)
    first: int  # index of the first and last segment used, for "text near the article"
    last: int
    container: int  # mem_id of the chosen element


def _ancestors(block: int, parent_of: dict[int, int]) -> Iterable[int]:
    walker = block
    while walker:
        yield walker
        walker = parent_of.get(walker, 0)


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "th", "dt", "legend", "caption"})
_PERIOD_END = re.compile(r"[.?!。][\"'”’」』)\]]*\s*$")


def _is_good(segment: _Segment, tag: str) -> bool:
    """Sentence-like text: what an article body is made of (headlines and labels are not)."""
    text = segment.text
    length = len(text)
    nonlink = length - segment.link
    if tag in _HEADINGS or nonlink < 15 or nonlink < 0.5 * length:
        return False
    if _is_furniture_line(text):
        return False
    if _PERIOD_END.search(text):
        return True
    return nonlink >= 80 or (nonlink >= 60 and _SENTENCE_END.search(text) is not None)


def _grade(walk: _Walk) -> list[float]:
    """Per segment: its sentence-like length (> 0), or minus its length when it is other text."""
    grades: list[float] = []
    for segment in walk.segments:
        tag = walk.attrs.get(segment.block, "").partition(" ")[0]
        length = len(segment.text)
        grades.append(float(length - segment.link) if _is_good(segment, tag) else -float(length))
    return grades


def _choose(walk: _Walk, grades: list[float], max_furniture: int) -> _Body | None:
    """The element with the most sentence-like text for the least other text (good - bad)."""
    good: dict[int, float] = {}
    bad: dict[int, float] = {}
    total_good = 0.0
    segments = walk.segments
    for segment, grade in zip(segments, grades, strict=True):
        if segment.furniture > max_furniture:
            continue
        if grade > 0:
            total_good += grade
            target, score = good, grade
        else:
            target, score = bad, -grade
        for ancestor in _ancestors(segment.block, walk.parent):
            target[ancestor] = target.get(ancestor, 0.0) + score
    if not good:
        return None
    best, best_key = 0, (float("-inf"), 0)
    for node, value in good.items():
        key = (value - bad.get(node, 0.0), sum(1 for _ in _ancestors(node, walk.parent)))
        if key > best_key:
            best, best_key = node, key
    members = {best}
    # A body cut in two by an unclosed ad or widget: siblings of the same tag and class join it.
    parent = walk.parent.get(best, 0)
    signature = walk.attrs.get(best, "")
    if signature.partition(" ")[2].strip():
        for node in good:
            if node != best and walk.parent.get(node, 0) == parent and walk.attrs.get(node) == signature:
                members.add(node)
    paragraphs: list[str] = []
    first = last = -1
    for index, segment in enumerate(segments):
        if segment.furniture > max_furniture:
            continue
        if not any(a in members for a in _ancestors(segment.block, walk.parent)):
            continue
        if segment.link > 0.6 * len(segment.text) and len(segment.text) < 200:
            continue  # an inline "related" link or a link-only line
        paragraphs.append(segment.text)
        first = index if first < 0 else first
        last = index
    return _Body(paragraphs, good[best], total_good, first, last, best)


def _clean_paragraphs(paragraphs: list[str], title: str | None) -> list[str]:
    """The article's paragraphs without furniture, repeats and its lead's dateline; only the
    first `TEXT_CHARS` or so of them (an item keeps no more)."""
    return _clean_with_reporter(paragraphs, title)[0]


def _clean_with_reporter(paragraphs: list[str], title: str | None) -> tuple[list[str], str | None]:
    """`_clean_paragraphs`, and the reporter the lead's byline names (`(서울=연합뉴스) 홍길동 기자 =`)."""
    taken, size = [], 0
    for paragraph in paragraphs:
        if size > TEXT_CHARS:
            break
        taken.append(paragraph)
        size += len(paragraph) + 1
    taken, glued, _ = _unglue_byline(taken)
    text = strip_furniture_lines("\n".join(taken))
    lines = [line for line in text.split("\n") if line]
    keys = [re.sub(r"\W+", "", line) for line in lines]
    title_key = re.sub(r"\W+", "", title) if title else ""
    last_seen = {key: index for index, key in enumerate(keys)}
    # Every distinct key once, apart: a key found twice in it is inside another (longer) one.
    everything = "\x00".join(last_seen)  # keys hold no \x00: \W+ took it out
    kept: list[str] = []
    for index, (line, key) in enumerate(zip(lines, keys, strict=True)):
        if not key or key == title_key or last_seen[key] != index:
            continue  # empty, the headline again, or a pull quote repeated later in the body
        if len(key) >= 8 and everything.count(key) > 1:
            continue  # a pull quote or caption that repeats part of a paragraph
        kept.append(line)
    # The wire dateline / [outlet] prefix opens the first paragraph (a caption or subtitles may come
    # before it), a byline or e-mail may close the last one.
    kept, lead = _strip_lead_lines(kept)
    return _strip_tail_lines(kept), glued or lead


def _analyse(tree: LexborHTMLParser, url: str) -> tuple[_Walk, _Body | None]:
    root = tree.body or tree.root
    if root is None:
        return _Walk([], {}, {}), None
    sure, likely, marked = _furniture_ids(tree)
    _prune_furniture(marked)
    try:
        walk = _walk(root, sure, likely)
    except _TooDeep:
        raise ExtractError(url, "markup nested too deep") from None
    grades = _grade(walk)
    body = _choose(walk, grades, 0)
    # Class/id tokens are a guess: when they hid much of the page's prose, look again without them.
    hidden = sum(g for s, g in zip(walk.segments, grades, strict=True) if g > 0 and s.furniture == 1)
    if body is None or hidden > body.good:
        relaxed = _choose(walk, grades, 1)
        if relaxed is None:
            return walk, body
        if body is None:
            return walk, relaxed
        # Only a body that the tokens hid elsewhere counts; a container that merely wraps the
        # strict choice in more "furniture" prose (comment threads) does not.
        wraps_strict = relaxed.container in _ancestors(body.container, walk.parent)
        if not wraps_strict and body.good < 0.5 * relaxed.good:
            return walk, relaxed
    return walk, body
