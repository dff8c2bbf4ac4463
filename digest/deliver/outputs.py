"""A digest's files under the output folder: checked before a run, written atomically, read back
for mail that goes out later, and the `--no-send` .eml files."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from digest import render
from digest.deliver import email as email_delivery
from digest.digestjson import counts_of_json
from digest.errors import OutputError
from digest.fsutil import atomic_write
from digest.models import Digest, SealedDigest, Settings

__all__ = [
    "MAIL_FILES",
    "MARKER",
    "Marker",
    "check_out",
    "counts",
    "read",
    "read_marker",
    "subject",
    "write",
    "write_eml",
    "write_marker",
]

MAIL_FILES = ("email.txt", "email.html", "digest.json")  # what a mail is built from
MARKER = ".digest-state.json"  # beside the outputs: which state sealed them, and the last date


@dataclass(frozen=True)
class Marker:
    """What the output folder remembers of the state that sealed its digests: if that state is
    later missing or empty, a run from it would mail those days again."""

    state: str
    last_sealed: date


def read_marker(out: Path) -> Marker | None:
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
        return Marker(str(data["state"]), date.fromisoformat(str(data["last_sealed"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet, or not ours: nothing to compare with


def write_marker(out: Path, state: Path, last_sealed: date) -> None:
    text = json.dumps({"state": str(state), "last_sealed": last_sealed.isoformat()}, ensure_ascii=False)
    try:
        atomic_write(out / MARKER, (text + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{out}: cannot write {MARKER}: {exc.strerror or exc}") from None


def check_out(out: Path) -> Path:
    """The output folder exists (created if need be) and can be written: checked before any fetch."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: the output folder is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".digest-write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the outputs there: {exc.strerror or exc}") from None
    return out


def write(out: Path, day: date, outputs: dict[str, str]) -> list[Path]:
    """Write a digest's outputs under out/D, each atomically."""
    folder = out / day.isoformat()
    written = []
    try:
        for name in sorted(outputs):
            path = folder / name
            atomic_write(path, outputs[name].encode("utf-8"))
            written.append(path)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write the outputs: {exc.strerror or exc}") from None
    return written


def read(out: Path, day: date, names: tuple[str, ...] = MAIL_FILES) -> dict[str, str] | None:
    """The outputs a run wrote under out/D, or None when one is missing or unreadable."""
    folder = out / day.isoformat()
    try:
        return {n: (folder / n).read_text(encoding="utf-8") for n in names}
    except OSError:
        return None


def counts(outputs: dict[str, str], include_other: bool) -> tuple[tuple[tuple[str, int], ...], int]:
    """From the digest.json a run wrote: (theme title, stories) per section, and the stories the
    mail holds."""
    return counts_of_json(outputs["digest.json"], include_other)


def subject(
    settings: Settings, day: date, outputs: dict[str, str], sealed: SealedDigest | None, digest: Digest | None
) -> str:
    """The mail's subject: as sealed; else from the digest; else (a digest sealed before subjects
    were kept) from its outputs."""
    if sealed is not None and sealed.subject:
        return sealed.subject
    if digest is not None:
        return render.email_subject(digest, settings.email, settings.title)
    _, stories = counts(outputs, settings.email.include_other)
    return render.subject_line(settings.email.subject, settings.title, day, stories)


def write_eml(
    settings: Settings, out: Path, day: date, outputs: dict[str, str], subject: str, when: datetime
) -> str:
    """`--no-send`: each reader's message as a file under out/D/outbox; returns the report line."""
    email = settings.email
    outbox = out / day.isoformat() / "outbox"
    for r in email.recipients:
        msg = email_delivery.build_message(subject, outputs, email, r, day, when)
        email_delivery.write_eml(msg, outbox / f"{_safe_name(r)}.eml")
    return f"--no-send: {len(email.recipients)} message(s) written to {outbox}"


def _safe_name(recipient: str) -> str:
    return "".join(c if c.isalnum() or c in "@._-" else "_" for c in recipient)
