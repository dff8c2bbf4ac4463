"""The command-line entry points as a user calls them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import scheduler
from digest import __version__, cli

ROOT = Path(__file__).resolve().parent.parent


def test_python_dash_m_digest() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "digest", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"digest {__version__}"


def test_check_prints_what_the_config_holds(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--sources", str(ROOT / "sources.yaml")]) == 0
    out = capsys.readouterr().out
    assert "11 of 11 sources enabled" in out and "silver_devices" in out and "Asia/Seoul" in out


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "--date", "2024-13-45"])
    assert info.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_scheduler_refuses_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("sources: []\n", encoding="utf-8")
    assert scheduler.main(["--sources", str(bad)]) == 2
    assert "sources" in capsys.readouterr().err
    assert scheduler.main(["--sources", str(ROOT / "sources.yaml"), "--at", "seven"]) == 2


def test_a_scheduled_job_that_fails_logs_one_line_and_the_service_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from digest import service
    from digest.config import load_settings

    dead = tmp_path / "dead.yaml"
    dead.write_text("sources:\n  - {name: x, url: 'http://127.0.0.1:9/feed.xml'}\n", encoding="utf-8")
    svc = service._Service(
        str(dead), str(tmp_path / "state.sqlite"), str(tmp_path / "out"), load_settings(dead)
    )
    with caplog.at_level("INFO", logger="digest"):
        svc.send()
        svc.collect()
        dead.write_text("sources: [", encoding="utf-8")  # a broken edit: the last good settings stay
        svc.collect()
    messages = [r.getMessage() for r in caplog.records]
    assert any("every source failed; nothing was sent" in m for m in messages)
    assert any(m.startswith("collect: 1 source(s): 0 seen, 0 new, 1 failed (x: ") for m in messages)
    assert any("configuration error (keeping the previous settings)" in m for m in messages)
    assert all("\n" not in m for m in messages)


def test_a_bug_of_ours_in_a_scheduled_collect_is_one_line_and_the_service_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import pipeline, service
    from digest.config import load_settings

    def broken(*_a: object, **_k: object) -> None:
        raise TypeError("a bug of ours")

    monkeypatch.setattr(pipeline, "collect", broken)
    conf = tmp_path / "s.yaml"
    conf.write_text("sources:\n  - {name: x, url: 'http://127.0.0.1:9/feed.xml'}\n", encoding="utf-8")
    svc = service._Service(
        str(conf), str(tmp_path / "state.sqlite"), str(tmp_path / "out"), load_settings(conf)
    )
    with caplog.at_level("INFO", logger="digest"):
        svc.collect()
        svc.collect()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("collect: internal error: TypeError: a bug of ours" in m for m in messages) == 2, messages


def test_a_bug_of_ours_is_one_line_and_exit_1_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import queries

    def broken(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(queries, "status", broken)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:9/f.xml'}\n", encoding="utf-8")
    args = ["status", "--sources", str(sources), "--state", str(tmp_path / "state.sqlite")]
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "internal error (ZeroDivisionError: division by zero)" in err
    assert "Traceback" not in err and "DIGEST_DEBUG=1" in err
    monkeypatch.setenv("DIGEST_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(args)


def test_help_loads_none_of_the_pipeline() -> None:
    # `digest --help` answers at once: the analyser, numpy, lxml and the pipeline load only when a
    # command needs them.
    code = (
        "import sys; from digest import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'lxml', 'kiwipiepy', 'digest.pipeline', 'httpx') if m in sys.modules]\n"
        "print('loaded:', ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "prune" in out.stdout  # the help was printed
    assert out.stdout.strip().splitlines()[-1] == "loaded:", out.stdout


def test_prune_says_what_it_did_and_refuses_less_than_a_week(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:1/feed'}\n", encoding="utf-8")
    state = tmp_path / "state.sqlite"
    from digest.storage import Store

    Store(state).close()
    assert cli.main(["prune", "--sources", str(config), "--state", str(state), "--keep", "3"]) == 2
    assert "at least 7 days" in capsys.readouterr().err
    assert cli.main(["prune", "--sources", str(config), "--state", str(state)]) == 2
    assert "--keep DAYS, or digest.keep_days" in capsys.readouterr().err
    assert (
        cli.main(["prune", "--sources", str(config), "--state", str(state), "--keep", "30", "--vacuum"]) == 0
    )
    assert "0 item(s) older than 30 days" in capsys.readouterr().out
    config.write_text(config.read_text(encoding="utf-8") + "digest: {keep_days: 2}\n", encoding="utf-8")
    assert cli.main(["check", "--sources", str(config)]) == 2
    assert "digest.keep_days" in capsys.readouterr().err
