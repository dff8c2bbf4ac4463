"""sources.yaml + environment → a frozen `Settings`.

This is the only module that reads the environment. Every error names the file, the key and
what is wrong, and is raised before anything is fetched.
"""

from __future__ import annotations

import codecs
import importlib.resources
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .errors import ConfigError
from .glossary import GlossaryError, parse_glossary, place_keys
from .models import (
    OTHER,
    EmailSettings,
    FetchSettings,
    GlossaryTerm,
    ScheduleSettings,
    Settings,
    Source,
    ThemeDef,
)
from .schedule import parse_schedule

DEFAULTS_PATH = importlib.resources.files("digest").joinpath("defaults.yaml")  # shipped in the package
TOP_KEYS = {"sources", "themes", "digest", "fetch", "delivery", "examples", "schedule", "glossary"}
_THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|분|시간|일)\s*$", re.IGNORECASE
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "분": 60, "시": 3600, "일": 86400}


def load_defaults() -> dict[str, Any]:
    with DEFAULTS_PATH.open(encoding="utf-8") as fh:
        return cast(dict[str, Any], yaml.safe_load(fh))


def load_settings(path: str | Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a sources file; missing sections get the shipped defaults."""
    env = os.environ if env is None else env
    p = Path(path)
    where = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(where, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(where, "", f"cannot read: {exc}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(where, "", f"{line}not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    return settings_from_dict(raw, where, env, base_dir=p.parent)


def settings_from_dict(
    raw: object, where: str, env: Mapping[str, str], base_dir: Path | None = None
) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(where, "", "must be a mapping with at least a `sources:` list")
    unknown = sorted(set(map(str, raw)) - TOP_KEYS)
    if unknown:
        raise ConfigError(where, unknown[0], f"unknown key (expected one of: {', '.join(sorted(TOP_KEYS))})")
    defaults = load_defaults()
    sources = _sources(raw.get("sources"), where)
    themes = _themes(raw["themes"] if "themes" in raw else defaults["themes"], where)
    dg = _section(raw, "digest", defaults, where)
    fetch = _fetch(_section(raw, "fetch", defaults, where), where)
    delivery = raw.get("delivery") or {}
    if not isinstance(delivery, dict):
        raise ConfigError(where, "delivery", "must be a mapping")
    _only(delivery, {"email", "site"}, where, "delivery")
    email = _email(delivery.get("email"), where, env, base_dir or Path("."))
    site = delivery.get("site") or {}
    if not isinstance(site, dict):
        raise ConfigError(where, "delivery.site", "must be a mapping")
    _only(site, {"dir", "base_url"}, where, "delivery.site")

    tz = _str(dg.get("timezone", "Asia/Seoul"), where, "digest.timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(where, "digest.timezone", f"unknown time zone {tz!r}") from None
    other = dg.get("other", "last")
    if other not in ("last", "hidden"):
        raise ConfigError(where, "digest.other", f"must be 'last' or 'hidden', not {other!r}")
    schedule = _schedule(_section(raw, "schedule", defaults, where), where)
    site_dir = site.get("dir")
    if site_dir is not None:
        site_dir = str((base_dir or Path(".")) / _str(site_dir, where, "delivery.site.dir"))
    return Settings(
        path=where,
        sources=sources,
        themes=themes,
        title=_str(dg.get("title", "헬스테크 데일리"), where, "digest.title"),
        timezone=tz,
        max_stories_per_theme=_int(
            dg.get("max_stories_per_theme", 20), where, "digest.max_stories_per_theme"
        ),
        other_position=other,
        min_theme_score=_num(dg.get("min_theme_score", 2.0), where, "digest.min_theme_score"),
        fetch=fetch,
        email=email,
        site_dir=site_dir,
        base_url=_opt_str(site.get("base_url"), where, "delivery.site.base_url"),
        examples=_examples(raw.get("examples"), where, base_dir),
        glossary=_glossary(raw.get("glossary"), where),
        first_run_window=_duration(dg.get("first_run_window", "36 h"), where, "digest.first_run_window"),
        schedule=schedule,
        keep_days=_keep_days(dg.get("keep_days"), where),
    )


MIN_KEEP_DAYS = 7  # follow-ups join the stories of the last 7 days (assemble.CONTEXT_DAYS)


def _keep_days(value: object, where: str) -> int | None:
    """`digest.keep_days`: null (keep every text), or at least `MIN_KEEP_DAYS` days."""
    if value is None:
        return None
    days = _int(value, where, "digest.keep_days")
    if days < MIN_KEEP_DAYS:
        raise ConfigError(
            where,
            "digest.keep_days",
            f"must be at least {MIN_KEEP_DAYS} (follow-ups join the stories of the last {MIN_KEEP_DAYS} days), not {days}",
        )
    return days


def _schedule(d: dict[str, Any], where: str) -> ScheduleSettings:
    """`schedule:` — when `digest schedule` collects and sends; checked here, before anything runs."""
    texts: dict[str, str] = {}
    for key in ("collect", "send"):
        text = _str(d.get(key), where, f"schedule.{key}")
        try:
            parse_schedule(text)
        except ValueError as exc:
            raise ConfigError(where, f"schedule.{key}", str(exc)) from None
        texts[key] = text
    catch_up = d.get("catch_up", "one")
    if catch_up not in ("one", "each_day"):
        raise ConfigError(where, "schedule.catch_up", f"must be 'one' or 'each_day', not {catch_up!r}")
    grace = _duration(d.get("grace", "12 h"), where, "schedule.grace", most=timedelta(days=7))
    return ScheduleSettings(collect=texts["collect"], send=texts["send"], catch_up=catch_up, grace=grace)


def _duration(value: object, where: str, key: str, most: timedelta = timedelta(days=3650)) -> timedelta:
    """`36 h`, `90 min`, `2 days`, `30 s` (or a bare number of hours), at most `most`."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = float(value) * 3600
    elif isinstance(value, str) and (m := _DURATION.match(value)) and int(m.group(1)) > 0:
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()[0]]
    if seconds is None:
        raise ConfigError(
            where, key, f"must be a duration such as '36 h', '90 min' or '2 days', not {value!r}"
        )
    if seconds > most.total_seconds():
        raise ConfigError(where, key, f"must be at most {most.days} days, not {value!r}")
    return timedelta(seconds=seconds)


def _examples(value: object, where: str, base_dir: Path | None) -> str | None:
    """`examples:` names a file of labeled examples, relative to the config file (read later)."""
    if value is None:
        return None
    return str((base_dir or Path(".")) / _str(value, where, "examples"))


# --------------------------------------------------------------------------- sections


def _section(raw: dict[str, Any], key: str, defaults: dict[str, Any], where: str) -> dict[str, Any]:
    base = dict(defaults.get(key) or {})
    given = raw.get(key)
    if given is None:
        return base
    if not isinstance(given, dict):
        raise ConfigError(where, key, "must be a mapping")
    _only(given, set(base), where, key)
    base.update(given)
    return base


_SECTION = {"place": "places", "org": "orgs", "agency": "agencies", "term": "terms"}


def _glossary(value: object, where: str) -> tuple[GlossaryTerm, ...]:
    """The user's glossary entries (added to the shipped ones, see digest/glossary.yaml)."""
    try:
        terms = parse_glossary(value, "glossary")
    except GlossaryError as exc:
        raise ConfigError(where, exc.key, exc.reason) from None
    parented = [t for t in terms if t.parent is not None]
    places = place_keys() | {t.korean[0] for t in terms if t.kind == "place"} if parented else set()
    for t in parented:
        if t.parent not in places:
            key = f"glossary.{_SECTION[t.kind]}.{t.korean[0]}.in"
            raise ConfigError(where, key, f"{t.parent!r} is not a place of the glossary")
    return terms


def _only(mapping: dict[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    for k in mapping:
        if k not in allowed:
            raise ConfigError(
                where, f"{prefix}.{k}", f"unknown key (expected one of: {', '.join(sorted(allowed))})"
            )


def _sources(value: object, where: str) -> tuple[Source, ...]:
    if value is None:
        raise ConfigError(where, "sources", "missing: list at least one source")
    if not isinstance(value, list) or not value:
        raise ConfigError(where, "sources", "must be a non-empty list")
    out: list[Source] = []
    names: set[str] = set()
    allowed = {"name", "url", "type", "encoding", "enabled", "tags", "selector"}
    for i, s in enumerate(value):
        key = f"sources[{i}]"
        if not isinstance(s, dict):
            raise ConfigError(where, key, "must be a mapping with name, url and type")
        _only(s, allowed, where, key)
        name = _str(s.get("name"), where, f"{key}.name")
        if name in names:
            raise ConfigError(where, f"{key}.name", f"duplicate source name {name!r}")
        names.add(name)
        url = _str(s.get("url"), where, f"{key}.url")
        if not re.match(r"^https?://[^/\s]+", url):
            raise ConfigError(where, f"{key}.url", f"must be an http(s) URL, not {url!r}")
        type_ = s.get("type", "feed")
        if type_ not in ("feed", "page"):
            raise ConfigError(where, f"{key}.type", f"must be 'feed' or 'page', not {type_!r}")
        encoding = _opt_str(s.get("encoding"), where, f"{key}.encoding")
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ConfigError(where, f"{key}.encoding", f"unknown encoding {encoding!r}") from None
        enabled = s.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(where, f"{key}.enabled", "must be true or false")
        tags = s.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ConfigError(where, f"{key}.tags", "must be a list of strings")
        out.append(
            Source(
                name=name,
                url=url,
                type=type_,
                encoding=encoding,
                enabled=enabled,
                tags=tuple(tags),
                selector=_opt_str(s.get("selector"), where, f"{key}.selector"),
            )
        )
    return tuple(out)


def _themes(value: object, where: str) -> tuple[ThemeDef, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(where, "themes", "must be a non-empty list")
    out: list[ThemeDef] = []
    seen: set[str] = set()
    allowed = {"id", "title", "title_en", "description", "terms", "exclude", "precedence"}
    for i, t in enumerate(value):
        key = f"themes[{i}]"
        if not isinstance(t, dict):
            raise ConfigError(where, key, "must be a mapping with id, title and terms")
        _only(t, allowed, where, key)
        tid = _str(t.get("id"), where, f"{key}.id")
        if not _THEME_ID.match(tid):
            raise ConfigError(where, f"{key}.id", f"must be lower_snake_case, not {tid!r}")
        if tid in seen:
            raise ConfigError(where, f"{key}.id", f"duplicate theme id {tid!r}")
        seen.add(tid)
        terms_raw = t.get("terms") or {}
        terms: list[tuple[str, float]] = []
        if isinstance(terms_raw, list):
            terms = [(_str(term, where, f"{key}.terms[{j}]"), 1.0) for j, term in enumerate(terms_raw)]
        elif isinstance(terms_raw, dict):
            for term, weight in terms_raw.items():
                terms.append((str(term), _num(weight, where, f"{key}.terms.{term}")))
        else:
            raise ConfigError(where, f"{key}.terms", "must be a mapping of term: weight, or a list of terms")
        if tid != OTHER and not terms:
            raise ConfigError(where, f"{key}.terms", "a theme needs at least one term")
        exclude = t.get("exclude") or []
        if not isinstance(exclude, list) or not all(isinstance(e, str) and e.strip() for e in exclude):
            raise ConfigError(where, f"{key}.exclude", "must be a list of strings")
        for term, weight in terms:
            if not term.strip() or (" + " in term and not all(p.strip() for p in term.split(" + "))):
                raise ConfigError(where, f"{key}.terms", f"empty term or part in {term!r}")
            if weight <= 0:
                raise ConfigError(where, f"{key}.terms.{term}", f"weight must be positive, not {weight:g}")
        out.append(
            ThemeDef(
                id=tid,
                title=_str(t.get("title", tid), where, f"{key}.title"),
                title_en=_opt_str(t.get("title_en"), where, f"{key}.title_en") or "",
                description=_opt_str(t.get("description"), where, f"{key}.description") or "",
                terms=tuple(terms),
                exclude=tuple(e.strip() for e in exclude),
                precedence=_int(t.get("precedence", 0), where, f"{key}.precedence"),
            )
        )
    if OTHER not in seen:
        out.append(ThemeDef(id=OTHER, title="그 밖의 소식", title_en="Other news"))
    # `other` is the catch-all: always last.
    out.sort(key=lambda th: th.id == OTHER)
    return tuple(out)


def _fetch(d: dict[str, Any], where: str) -> FetchSettings:
    def pos_int(k: str) -> int:
        v = _int(d[k], where, f"fetch.{k}")
        if v <= 0:
            raise ConfigError(where, f"fetch.{k}", "must be a positive whole number")
        return v

    def pos_num(k: str) -> float:
        v = _num(d[k], where, f"fetch.{k}")
        if v <= 0:
            raise ConfigError(where, f"fetch.{k}", "must be a positive number")
        return v

    return FetchSettings(
        concurrency=pos_int("concurrency"),
        per_host=pos_int("per_host"),
        connect_timeout=pos_num("connect_timeout"),
        read_timeout=pos_num("read_timeout"),
        total_timeout=pos_num("total_timeout"),
        max_bytes=pos_int("max_bytes"),
        max_redirects=_int(d["max_redirects"], where, "fetch.max_redirects"),
        max_items_per_feed=pos_int("max_items_per_feed"),
        source_budget=pos_num("source_budget"),
        run_deadline=pos_num("run_deadline"),
    )


def _email(value: object, where: str, env: Mapping[str, str], base_dir: Path) -> EmailSettings:
    if value is None:
        return EmailSettings()
    if not isinstance(value, dict):
        raise ConfigError(where, "delivery.email", "must be a mapping")
    k = "delivery.email"
    _only(
        value,
        {
            "recipients",
            "recipients_file",
            "from",
            "subject",
            "include_other",
            "list_id",
            "unsubscribe",
            "send_empty",
            "smtp",
        },
        where,
        k,
    )
    recipients_raw = value.get("recipients") or []
    if not isinstance(recipients_raw, list):
        raise ConfigError(where, f"{k}.recipients", "must be a list of e-mail addresses")
    recipients = [_str(r, where, f"{k}.recipients[{i}]") for i, r in enumerate(recipients_raw)]
    rfile = value.get("recipients_file")
    if rfile is not None:
        rpath = base_dir / _str(rfile, where, f"{k}.recipients_file")
        try:
            lines = rpath.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(where, f"{k}.recipients_file", f"cannot read {rpath}: {exc.strerror}") from exc
        recipients += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    for r in recipients:
        if not _EMAIL.match(r):
            raise ConfigError(where, f"{k}.recipients", f"not an e-mail address: {r!r}")
    # One mailbox, one reader: A@Example.com and a@example.com are the same address.
    recipients = list(dict.fromkeys(r.lower() for r in recipients))
    smtp = value.get("smtp") or {}
    if not isinstance(smtp, dict):
        raise ConfigError(where, f"{k}.smtp", "must be a mapping")
    _only(
        smtp,
        {"host", "port", "security", "username", "password_env", "timeout", "ca_file"},
        where,
        f"{k}.smtp",
    )
    security = smtp.get("security", "starttls")
    if security not in ("none", "starttls", "tls"):
        raise ConfigError(where, f"{k}.smtp.security", f"must be none, starttls or tls, not {security!r}")
    password_env = _opt_str(smtp.get("password_env"), where, f"{k}.smtp.password_env")
    username = _opt_str(smtp.get("username"), where, f"{k}.smtp.username")
    password = env.get(password_env) if password_env else None
    if username and recipients and not password:
        raise ConfigError(
            where,
            f"{k}.smtp.password_env",
            f"username is set but the environment variable {password_env or '(none named)'} is empty",
        )
    ca_file = _opt_str(smtp.get("ca_file"), where, f"{k}.smtp.ca_file")
    if ca_file is not None:
        ca_path = base_dir / ca_file
        if not ca_path.is_file():
            raise ConfigError(where, f"{k}.smtp.ca_file", f"no such file: {ca_path}")
        ca_file = str(ca_path)
    unsubscribe = _opt_str(value.get("unsubscribe"), where, f"{k}.unsubscribe")
    if unsubscribe and not re.match(r"^(mailto:|https://)", unsubscribe):
        raise ConfigError(where, f"{k}.unsubscribe", "must be a mailto: or https: URL")
    include_other = value.get("include_other", False)
    if not isinstance(include_other, bool):
        raise ConfigError(where, f"{k}.include_other", "must be true or false")
    send_empty = value.get("send_empty", False)
    if not isinstance(send_empty, bool):
        raise ConfigError(where, f"{k}.send_empty", "must be true or false")
    default = EmailSettings()
    return EmailSettings(
        recipients=tuple(recipients),
        sender=_str(value.get("from", default.sender), where, f"{k}.from"),
        subject=_str(value.get("subject", default.subject), where, f"{k}.subject"),
        smtp_host=_str(smtp.get("host", "localhost"), where, f"{k}.smtp.host"),
        smtp_port=_int(smtp.get("port", 587), where, f"{k}.smtp.port"),
        security=security,
        username=username,
        password=password,
        timeout=_num(smtp.get("timeout", 30), where, f"{k}.smtp.timeout"),
        ca_file=ca_file,
        list_id=_str(value.get("list_id", default.list_id), where, f"{k}.list_id"),
        unsubscribe=unsubscribe,
        include_other=include_other,
        send_empty=send_empty,
    )


# --------------------------------------------------------------------------- scalars


def _str(v: object, where: str, key: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ConfigError(
            where, key, "missing or empty" if v is None or v == "" else f"must be text, not {v!r}"
        )
    return v.strip()


def _opt_str(v: object, where: str, key: str) -> str | None:
    return None if v is None else _str(v, where, key)


def _int(v: object, where: str, key: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(where, key, f"must be a whole number, not {v!r}")
    return v


def _num(v: object, where: str, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(where, key, f"must be a number, not {v!r}")
    return float(v)
