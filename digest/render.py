"""Rendering: the Jinja2 environment, and a `Digest` turned into text per output format.

What came from a feed is only ever data to the templates, never template source. The HTML
templates autoescape it; the Markdown template escapes Markdown syntax with the ``md`` filter (and
``<`` as ``&lt;``, so no raw HTML reaches ``index.html``); only http(s) URLs become links. The HTML
that Markdown makes is sanitized once more with nh3 before it is wrapped into the web page.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import css_inline
import jinja2
import markdown
import nh3
from jinja2.loaders import split_template_path
from markupsafe import Markup

from digest.digestjson import OTHER, DigestRecord, counts, ko_date, update_sentence, zone_named
from digest.errors import ConfigError, DigestError
from digest.models import Digest, EmailSettings, Item, Settings, Story

__all__ = [
    "date_label",
    "digest_to_dict",
    "email_subject",
    "english_note",
    "make_environment",
    "render_all",
    "subject_line",
    "subtitle_line",
    "when",
]

TEXT_WIDTH = 72
TEMPLATE_PACKAGE = "digest.templates"  # the repository's templates/, shipped inside the package
MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]

_SPACE_RUN = re.compile(r"\s+")
# C0/C1 controls, DEL, and the Unicode line/paragraph separators: never inside one line of output.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MD_INLINE = re.compile(r"([\\`*_{}\[\]|#])")
_MD_BLOCK_START = re.compile(r"^(?:[>+\-*]|\d+[.)])")
_ENTITY_LIKE = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_URL_SAFE = "!#$%&*+,/:;=?@"
_ANCHOR_UNSAFE = re.compile(r"[^a-z0-9_-]+")

_PAGE_TAGS = {"a", "p", "ul", "ol", "li", "h1", "h2", "h3", "h4", "strong", "em", "code", "br", "hr", "small"}
_PAGE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}} | {h: {"id"} for h in ("h1", "h2", "h3", "h4")}


# --------------------------------------------------------------------------- environment


class ResourceLoader(jinja2.BaseLoader):
    """Templates read from a `Traversable`: the installed ``digest.templates`` package (through
    `importlib.resources`, so wherever and however the package is installed), or a folder."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        node = self.root
        for piece in split_template_path(template):  # refuses "..", so never outside the root
            node = node.joinpath(piece)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        source = node.read_text(encoding="utf-8")
        if not isinstance(node, Path):  # a resource inside an archive: never changes
            return source, None, lambda: True
        path = node
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.is_file() and path.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        found: list[str] = []

        def walk(node: Traversable, prefix: str) -> None:
            for child in node.iterdir():
                if child.is_dir():
                    walk(child, f"{prefix}{child.name}/")
                elif child.is_file():
                    found.append(prefix + child.name)

        walk(self.root, "")
        return sorted(found)


def template_root() -> Traversable:
    """The shipped templates: the ``digest.templates`` package's resources.

    An editable install (setuptools' finder cannot map a package without ``__init__.py`` onto the
    top-level ``templates/``) and a bare checkout have no such package: there the checkout's own
    ``templates/`` beside the ``digest/`` folder is it.
    """
    try:
        return importlib.resources.files(TEMPLATE_PACKAGE)
    except ModuleNotFoundError as exc:
        checkout = Path(__file__).resolve().parent.parent / "templates"
        if (checkout / "page.html.j2").is_file():
            return checkout
        raise DigestError(
            f"the templates ({TEMPLATE_PACKAGE}) are missing from this install of digest: reinstall it"
        ) from exc


def make_environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment over the shipped templates (or `template_dir`): ``*.html.j2``
    autoescaped, Markdown and text not."""
    env = jinja2.Environment(
        loader=ResourceLoader(Path(template_dir) if template_dir is not None else template_root()),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"),
            disabled_extensions=("md.j2", "txt.j2"),
            default_for_string=True,
            default=False,
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        oneline=oneline,
        md=md_escape,
        md_url=md_url,
        http_url=http_url,
        anchor=anchor,
        ko_date=ko_date,
        ko_day=ko_day,
        clock=clock,
        when=when,
        subtitle_line=subtitle_line,
        outlets_ko=outlets_ko,
        english_note=english_note,
        update_note=update_note,
        media=media,
        wrap=wrap,
    )
    return env


# --------------------------------------------------------------------------- filters


def oneline(text: str | None) -> str:
    """Controls and line breaks folded away: the text as one trimmed line."""
    return _SPACE_RUN.sub(" ", _CONTROLS.sub(" ", text or "")).strip()


def md_escape(text: str | None) -> str:
    """Feed text made inert for Markdown: one line, specials backslashed, ``<`` as ``&lt;``."""
    line = _ENTITY_LIKE.sub("&amp;", oneline(text))
    line = _MD_INLINE.sub(r"\\\1", line).replace("<", "&lt;")
    return _MD_BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], line)


def http_url(url: str | None) -> str:
    """The URL if it is an absolute http(s) URL, else "" (a ``javascript:`` URL never becomes a link)."""
    url = (url or "").strip()
    if not url or _CONTROLS.search(url):
        return ""
    url = url.replace(" ", "%20")
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def md_url(url: str) -> str:
    """An http(s) URL as a Markdown link destination: anything that could end it is percent-encoded."""
    return quote(url, safe=_URL_SAFE)


def anchor(theme_id: str) -> str:
    return "theme-" + _ANCHOR_UNSAFE.sub("-", theme_id.lower())


def ko_day(day: date, today: date | None = None) -> str:
    """``6월 13일``; ``2020년 6월 13일`` when not in the year of `today` (the digest's date)."""
    if today is not None and day.year != today.year:
        return f"{day.year}년 {day.month}월 {day.day}일"
    return f"{day.month}월 {day.day}일"


def clock(moment: datetime | None, zone: tzinfo, today: date) -> str:
    """``09:30 KST`` in the digest's zone, with ``6월 12일`` in front when not on the digest's day
    (``2020년 6월 12일`` when not in its year)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
    label = f"{local:%H:%M} {local.tzname() or ''}".rstrip()
    return label if local.date() == today else f"{ko_day(local.date(), today)} {label}"


def when(item: Item, zone: tzinfo, today: date) -> str:
    """An item's time label: `clock` of its date, or — when the source gave a date without a time
    of day — that date alone (``6월 12일``, ``2020년 6월 12일``), even on the digest's day: never
    a ``00:00`` the source did not write."""
    if item.published is None:
        return ""
    if item.date_only:
        return date_label(item.published, today)
    return clock(item.published, zone, today)


def date_label(moment: datetime, today: date) -> str:
    """A date without a time of day, as written (in its own offset, which is the zone it was
    read in): ``6월 12일``, or ``2020년 6월 12일`` when not in the year of `today`."""
    return ko_day(moment.date(), today)


def subtitle_line(subtitle: str | None) -> str:
    """An item's subtitles (one per line) as one line: ``부제 하나 · 부제 둘``."""
    return " · ".join(line for line in (oneline(x) for x in (subtitle or "").split("\n")) if line)


def english_note(story: Story) -> str:
    """``영문 보도: Korea Herald, Yonhap`` for a story covered in English too; "" otherwise."""
    names = [o for o in (oneline(x) for x in story.english_outlets) if o]
    return f"영문 보도: {', '.join(names)}" if names else ""


def outlets_ko(story: Story) -> str:
    """``청년의사`` or ``청년의사 외 3곳``."""
    outlets = [oneline(o) for o in story.outlets]
    if not outlets:
        return ""
    return outlets[0] if len(outlets) == 1 else f"{outlets[0]} 외 {len(outlets) - 1}곳"


_MEDIA_LABELS = {"audio": "오디오", "video": "영상"}


def media(item: Item) -> list[tuple[str, str]]:
    """(label, link) of an item's audio and video files (a podcast episode, a briefing video),
    at most two; images are not listed (the article shows them)."""
    out = []
    for enclosure in item.enclosures:
        label = _MEDIA_LABELS.get(enclosure.kind)
        href = http_url(enclosure.url)
        if label and href:
            out.append((label, href))
    return out[:2]


def update_note(story: Story) -> str:
    """The sentence that says an update story continues an earlier one ("" when nothing to say)."""
    return update_sentence([item.issued_on for item in story.earlier])


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str | None, indent: str = "", first: str | None = None, width: int = TEXT_WIDTH) -> str:
    """Greedy wrap at spaces by display width (Hangul counts two columns); long words stay whole."""
    lines: list[str] = []
    prefix = indent if first is None else first
    current = ""
    for word in oneline(text).split(" "):
        candidate = f"{current} {word}" if current else word
        if current and display_width(prefix + candidate) > width:
            lines.append(prefix + current)
            prefix, current = indent, word
        else:
            current = candidate
    lines.append(prefix + current)
    return "\n".join(line.rstrip() for line in lines)


# --------------------------------------------------------------------------- JSON


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """The JSON document (FORMAT.md's schema plus more fields; see `digestjson`), keys in a fixed order."""
    return DigestRecord.from_digest(digest).to_dict()


# --------------------------------------------------------------------------- all outputs


def render_all(digest: Digest, settings: Settings, env: jinja2.Environment) -> dict[str, str]:
    """Every output of one digest, by file name."""
    zone = _zone(digest.timezone, settings)
    if settings.other_position == "hidden":
        digest = dataclasses.replace(digest, sections=tuple(s for s in digest.sections if s.id != OTHER))
    context: dict[str, Any] = {
        "digest": digest,
        "sections": digest.sections,
        "zone": zone,
        "site_url": http_url(settings.base_url),
    }

    md_text = env.get_template("digest.md.j2").render(context)
    body = nh3.clean(
        markdown.markdown(md_text, extensions=MARKDOWN_EXTENSIONS),
        tags=_PAGE_TAGS,
        attributes=_PAGE_ATTRIBUTES,
        url_schemes={"http", "https"},
    )
    page = env.get_template("page.html.j2").render(context, body=Markup(body))

    mailed = counts(digest.sections, settings.email.include_other)
    mail_context = context | {
        "sections": digest.mail_sections(settings.email.include_other),
        "story_count": mailed.stories,
        "item_count": mailed.items,
        "unsubscribe": _unsubscribe_url(settings.email.unsubscribe),
    }
    mail_html = css_inline.inline(
        env.get_template("email.html.j2").render(mail_context),
        keep_at_rules=True,  # the dark-mode and phone-width @media rules stay in a <style>
        load_remote_stylesheets=False,
    )
    mail_text = env.get_template("email.txt.j2").render(mail_context)

    return {
        "digest.md": md_text,
        "digest.json": DigestRecord.from_digest(digest).to_json(),
        "email.html": mail_html,
        "email.txt": mail_text,
        "index.html": page,
    }


def email_subject(digest: Digest, email: EmailSettings, title: str) -> str:
    """The Subject from ``EmailSettings.subject`` ({title}, {date}, {stories}) as one safe line."""
    return subject_line(
        email.subject, title, digest.date, counts(digest.sections, email.include_other).stories
    )


def subject_line(template: str, title: str, day: date, stories: int) -> str:
    """A subject template filled in once, left to right: a title holding ``{date}`` stays as it is."""
    values = {"title": title, "date": ko_date(day), "stories": str(stories)}
    return oneline(re.sub(r"\{(title|date|stories)\}", lambda m: values[m.group(1)], template))


def _unsubscribe_url(target: str | None) -> str:
    target = (target or "").strip()
    if target.lower().startswith("mailto:") and not _CONTROLS.search(target):
        return target
    return http_url(target)


def _zone(name: str, settings: Settings) -> tzinfo:
    try:
        return zone_named(name)
    except ValueError as exc:
        raise ConfigError(settings.path, "timezone", str(exc)) from exc
