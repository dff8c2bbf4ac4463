"""The docs hold the API: README shows the two commands CI runs, and every CLI command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import digest
from digest.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


def test_readme_shows_exactly_two_commands_first() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    assert "digest run --demo" in blocks[0]
    assert blocks[1].strip().endswith("pytest")


def test_ci_runs_the_test_command_written_in_readme() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)[1].strip()
    assert test_command in ci


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"digest {command}" in README


def test_all_is_sorted_and_importable() -> None:
    assert list(digest.__all__) == sorted(digest.__all__)
    for name in digest.__all__:
        assert hasattr(digest, name)
