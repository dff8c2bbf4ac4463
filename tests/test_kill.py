"""Kill tests: a real `digest run` SIGKILLed at each checkpoint it passes (`DIGEST_KILL_AT=N`),
then run again: no item is lost, and every reader gets the day's mail once — twice only when the
kill fell in the one window SMTP cannot close (the relay accepted, the mark was not yet written),
and then with the same Message-ID, which mail clients fold."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from .conftest import LoopbackServer
from .test_email import Handler, _free_port
from .test_service import READERS, config

WINDOW = "deliver: accepted by the relay, not yet marked"


@pytest.fixture
def relay() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def digest_run(folder: Path, sources: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "digest",
            "run",
            "--sources",
            str(sources),
            "--state",
            "state.sqlite",
            "--out",
            "out",
        ],
        cwd=folder,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_run_killed_at_every_checkpoint_loses_no_item_and_mails_each_reader_once(
    server: LoopbackServer, relay: tuple[Handler, int], tmp_path: Path
) -> None:
    handler, port = relay
    schedule = '{collect: every 60 min, send: "0 7 * * *"}'
    learn = tmp_path / "learn"
    learn.mkdir()
    log = learn / "checkpoints.txt"
    done = digest_run(learn, config(learn, server, port, schedule), DIGEST_CHECKPOINTS=str(log))
    assert done.returncode == 0, done.stderr
    names = log.read_text(encoding="utf-8").splitlines()
    assert names.count(WINDOW) == len(READERS) and "send: sealed" in names

    for n, name in enumerate(names, start=1):
        handler.received.clear()
        case = tmp_path / f"kill-{n}"
        case.mkdir()
        sources = config(case, server, port, schedule)
        killed = digest_run(case, sources, DIGEST_KILL_AT=str(n))
        assert killed.returncode == -signal.SIGKILL, (n, name, killed.stderr)
        again = digest_run(case, sources)
        assert again.returncode == 0, (n, name, again.stderr)

        db = sqlite3.connect(case / "state.sqlite")
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2, (n, name)
        rows = db.execute("SELECT recipient, status FROM outbox ORDER BY recipient").fetchall()
        assert rows == [(r, "sent") for r in READERS], (n, name, rows)
        got = Counter(m.rcpt_tos[0] for m in handler.received)
        ids = {
            m.rcpt_tos[0]: {
                message_from_bytes(x.data)["Message-ID"] for x in handler.received if x.rcpt_tos == m.rcpt_tos
            }
            for m in handler.received
        }
        # The reader whose message the relay had accepted when the kill came gets it twice, with
        # one Message-ID; everyone else exactly once.
        twice = {r for r, k in got.items() if k == 2}
        assert set(got) == set(READERS) and all(k in (1, 2) for k in got.values()), (n, name, got)
        if name == WINDOW:
            assert len(twice) == 1 and len(ids[next(iter(twice))]) == 1, (n, name, got)
        else:
            assert not twice, (n, name, got)


def test_a_kill_that_takes_the_write_ahead_log_with_it_still_mails_each_reader_once(
    server: LoopbackServer, relay: tuple[Handler, int], tmp_path: Path
) -> None:
    """Killed just after the seal or a mail's mark, with the state's `-wal` (and `-shm`) then
    deleted: the seal and the marks were copied into the state file itself, so the next run
    mails only who is still owed. Before, the log held them, and the run found a state that had
    sealed nothing (refused) or a mark missing (mailed again)."""
    handler, port = relay
    schedule = '{collect: every 60 min, send: "0 7 * * *"}'
    learn = tmp_path / "learn"
    learn.mkdir()
    log = learn / "checkpoints.txt"
    assert (
        digest_run(learn, config(learn, server, port, schedule), DIGEST_CHECKPOINTS=str(log)).returncode == 0
    )
    names = log.read_text(encoding="utf-8").splitlines()
    kills = [n for n, name in enumerate(names, start=1) if name in ("send: sealed", "deliver: marked sent")]
    assert len(kills) == 1 + len(READERS)
    for n in kills:
        handler.received.clear()
        case = tmp_path / f"kill-{n}"
        case.mkdir()
        sources = config(case, server, port, schedule)
        killed = digest_run(case, sources, DIGEST_KILL_AT=str(n))
        assert killed.returncode == -signal.SIGKILL, (n, killed.stderr)
        for suffix in ("-wal", "-shm"):
            (case / f"state.sqlite{suffix}").unlink(missing_ok=True)
        again = digest_run(case, sources)
        assert again.returncode == 0, (n, names[n - 1], again.stderr)
        got = Counter(m.rcpt_tos[0] for m in handler.received)
        assert got == Counter(READERS), (n, names[n - 1], got)
