from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from digest.config import load_defaults, load_settings
from digest.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(text, encoding="utf-8")
    return p


MINIMAL = """
sources:
  - name: 메디온뉴스
    url: http://127.0.0.1:9/medion/feed.xml
    type: feed
"""


def test_sources_only_file_gets_the_shipped_defaults(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, MINIMAL))
    shipped = load_settings(ROOT / "sources.yaml", env={})
    assert [t.id for t in s.themes] == ["silver_devices", "ai_demos", "regulatory_sandbox", "other"]
    assert s.themes == shipped.themes
    assert (s.timezone, s.title, s.max_stories_per_theme, s.min_theme_score, s.fetch) == (
        shipped.timezone,
        shipped.title,
        shipped.max_stories_per_theme,
        shipped.min_theme_score,
        shipped.fetch,
    )
    assert s.timezone == "Asia/Seoul"
    assert not s.email.enabled


def test_shipped_sources_yaml_spells_out_the_defaults() -> None:
    shipped = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    defaults = load_defaults()
    for key in ("digest", "fetch", "themes", "schedule"):
        assert shipped[key] == defaults[key], key
    names = {s["name"] for s in shipped["sources"]}
    assert {"청년의사", "의협신문", "데일리메디", "AI타임스", "보건복지부", "중소벤처기업부"} <= names


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("sources: []", "sources", "non-empty"),
        ("themes: []", "sources", "missing"),
        ("sources:\n  - name: a\n    url: ftp://x/feed\n", "sources[0].url", "http(s)"),
        (
            "sources:\n  - name: a\n    url: http://x/feed\n    type: rss\n",
            "sources[0].type",
            "'feed' or 'page'",
        ),
        (
            "sources:\n  - {name: a, url: 'http://x/1'}\n  - {name: a, url: 'http://x/2'}\n",
            "sources[1].name",
            "duplicate",
        ),
        (
            "sources:\n  - {name: a, url: 'http://x/1', encoding: klingon}\n",
            "sources[0].encoding",
            "unknown encoding",
        ),
        ("sources:\n  - {name: a, url: 'http://x/1', colour: red}\n", "sources[0].colour", "unknown key"),
        (MINIMAL + "digest:\n  timezone: Mars/Olympus\n", "digest.timezone", "unknown time zone"),
        (
            MINIMAL + "digest:\n  max_stories_per_theme: many\n",
            "digest.max_stories_per_theme",
            "whole number",
        ),
        (MINIMAL + "themes:\n  - id: Silver\n    terms: [실버]\n", "themes[0].id", "lower_snake_case"),
        (MINIMAL + "themes:\n  - id: silver\n    terms: {}\n", "themes[0].terms", "at least one term"),
        (
            MINIMAL + "delivery:\n  email:\n    recipients: [not-an-address]\n",
            "delivery.email.recipients",
            "not an e-mail",
        ),
        (
            MINIMAL + "delivery:\n  email:\n    smtp: {security: ssl3}\n",
            "delivery.email.smtp.security",
            "starttls",
        ),
        (MINIMAL + "schedule: daily\n", "schedule", "must be a mapping"),
        (MINIMAL + "schedule: {send: '25:00'}\n", "schedule.send", "'25:00'"),
        (MINIMAL + "schedule: {collect: every 0 min}\n", "schedule.collect", "every 0 min"),
        (MINIMAL + "schedule: {send: '0 7 * *'}\n", "schedule.send", "5 fields"),
        (MINIMAL + "schedule: {catch_up: all}\n", "schedule.catch_up", "each_day"),
        (MINIMAL + "schedule: {grace: soon}\n", "schedule.grace", "duration"),
        (MINIMAL + "schedule: {at: '07:00'}\n", "schedule.at", "unknown key"),
        (MINIMAL + "digest: {first_run_window: -3 h}\n", "digest.first_run_window", "duration"),
        (
            MINIMAL + "digest: {first_run_window: 999999 days}\n",
            "digest.first_run_window",
            "at most 3650 days",
        ),
        (MINIMAL + "digest: {first_run_window: 99999999999 days}\n", "digest.first_run_window", "at most"),
        (MINIMAL + "schedule: {grace: 30 days}\n", "schedule.grace", "at most 7 days"),
        (
            MINIMAL + "delivery:\n  email:\n    send_empty: sometimes\n",
            "delivery.email.send_empty",
            "true or false",
        ),
        (
            MINIMAL + "delivery:\n  email:\n    smtp: {ca_file: nope.pem}\n",
            "delivery.email.smtp.ca_file",
            "no such file",
        ),
    ],
)
def test_config_errors_name_file_key_and_reason(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
    assert words in info.value.reason
    assert str(path) in str(info.value)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="line 3: not valid YAML"):
        load_settings(write(tmp_path, "sources:\n  - name: [unclosed\n"))


def test_password_comes_only_from_the_environment(tmp_path: Path) -> None:
    text = MINIMAL + (
        "delivery:\n  email:\n    recipients: [a@example.com]\n"
        "    smtp: {host: 127.0.0.1, port: 2525, username: bot, password_env: MY_SMTP_PW}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert info.value.key == "delivery.email.smtp.password_env"
    s = load_settings(path, env={"MY_SMTP_PW": "s3cret"})
    assert s.email.password == "s3cret"
    assert s.email.recipients == ("a@example.com",)


def test_recipients_file_relative_to_config(tmp_path: Path) -> None:
    (tmp_path / "readers.txt").write_text(
        "# readers\nc@x.org\nb@example.com\n\nb@example.com\n", encoding="utf-8"
    )
    text = (
        MINIMAL + "delivery:\n  email:\n    recipients: [a@example.com]\n    recipients_file: readers.txt\n"
    )
    s = load_settings(write(tmp_path, text))
    assert s.email.recipients == ("a@example.com", "c@x.org", "b@example.com")


def test_user_themes_replace_defaults_and_other_is_last(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + "themes:\n  - id: other\n    title: 기타\n  - id: robots\n    title: 로봇\n    terms: {로봇: 2}\n"
    )
    s = load_settings(write(tmp_path, text))
    assert [t.id for t in s.themes] == ["robots", "other"]
    assert s.themes[0].terms == (("로봇", 2.0),)


def test_theme_precedence_and_examples_file(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + "examples: labels/examples.yaml\n"
        + "themes:\n  - id: robots\n    title: 로봇\n    terms: {로봇: 4}\n    precedence: 2\n"
    )
    s = load_settings(write(tmp_path, text))
    assert s.themes[0].precedence == 2 and s.themes[-1].precedence == 0
    assert s.examples == str(tmp_path / "labels" / "examples.yaml")
    assert load_settings(write(tmp_path, MINIMAL)).examples is None
    for bad, key in (
        ("themes:\n  - id: robots\n    terms: {로봇: 0}\n", "themes[0].terms.로봇"),
        ("themes:\n  - id: robots\n    terms: {로봇: 2}\n    precedence: high\n", "themes[0].precedence"),
        ("examples: 3\n", "examples"),
    ):
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, MINIMAL + bad))
        assert info.value.key == key


def test_addresses_are_one_reader_whatever_their_case(tmp_path: Path) -> None:
    s = load_settings(
        write(tmp_path, MINIMAL + "delivery:\n  email:\n    recipients: [Kim@Example.com, kim@example.com]\n")
    )
    assert s.email.recipients == ("kim@example.com",)
