"""E-mail delivery: one MIME message per recipient, sent over one SMTP connection.

Headers are set only through the `email` library (policy SMTP), after every CR/LF and other
control character in a value is folded to a space, so nothing from a feed or a config can add a
header. smtplib and socket errors never leave this module: each recipient's outcome is reported
through `on_sent` / `on_failed`, the moment it is known.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from pathlib import Path

from digest.errors import DeliveryError, one_line
from digest.fsutil import atomic_write
from digest.models import EmailSettings

__all__ = ["build_message", "message_id", "send_messages", "write_eml"]

_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")


def _header(value: str) -> str:
    """A header value as one line: controls and line breaks become single spaces."""
    return _SPACES.sub(" ", _BREAKS.sub(" ", value)).strip()


class _EncodedText(str):
    """A non-ASCII unstructured header value, folded by `email.header.Header`.

    CPython's policy folder can put the space between two encoded words outside both of them,
    where every reader drops it: about one Korean subject in twenty arrives with two words run
    together. `Header` keeps every space inside its encoded words. The email library calls
    `fold` for any header value with a matching `name`.
    """

    name: str

    def __new__(cls, name: str, value: str) -> _EncodedText:
        self = super().__new__(cls, value)
        self.name = name
        return self

    def fold(self, *, policy: Policy) -> str:
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


def _text_header(name: str, value: str) -> str:
    value = _header(value)
    return value if value.isascii() else _EncodedText(name, value)


def _address(value: str) -> str:
    """The bare address of ``Name <addr@host>`` (or of a bare address)."""
    return parseaddr(_header(value))[1]


def _list_domain(list_id: str) -> str:
    """The list id as a dot-atom, usable both in ``List-Id`` and as a Message-ID's right-hand side."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", _header(list_id).strip("<> ")).strip("-.") or "digest.localhost"


def message_id(digest_date: date, recipient: str, list_id: str) -> str:
    """``<digest-2024-06-13-<sha1 prefix>@list_id>``: the same for a re-send of the same digest."""
    domain = _list_domain(list_id)
    key = f"{digest_date.isoformat()}\n{_address(recipient).lower()}\n{domain}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    return f"<digest-{digest_date.isoformat()}-{digest}@{domain}>"


def build_message(
    subject: str,
    rendered: Mapping[str, str],
    email: EmailSettings,
    recipient: str,
    digest_date: date,
    now: datetime,
) -> EmailMessage:
    """A ``multipart/alternative`` message (text, then HTML) for one recipient."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _header(email.sender)
    msg["To"] = _header(recipient)
    msg["Subject"] = _text_header("Subject", subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(digest_date, recipient, email.list_id)
    msg["List-Id"] = f"<{_list_domain(email.list_id)}>"
    if email.unsubscribe:
        target = _header(email.unsubscribe).strip("<>")
        msg["List-Unsubscribe"] = f"<{target}>"
        if target.lower().startswith("https://"):  # RFC 8058: one-click needs an HTTPS target
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered["email.txt"], subtype="plain", charset="utf-8")
    msg.add_alternative(rendered["email.html"], subtype="html", charset="utf-8")
    return msg


def send_messages(
    messages: Iterable[tuple[str, EmailMessage]],
    email: EmailSettings,
    on_sent: Callable[[str], None],
    on_failed: Callable[[str, str, bool], None],
) -> None:
    """Send each message to its recipient over one connection; report each outcome as it happens.

    `messages` is consumed lazily (the caller may claim each row just before it is sent), and no
    connection is opened when it is empty. `on_failed(recipient, reason, permanent)`: permanent is
    a 5xx answer about that recipient or message (retrying cannot help); a 4xx answer, a refused
    connection, a timeout or a lost connection is temporary (a connection that cannot be opened,
    or is lost, fails every recipient not yet sent).
    """
    pending = iter(messages)
    first = next(pending, None)
    if first is None:
        return
    try:
        smtp = _connect(email)
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:  # UnicodeError: a host IDNA refuses
        reason = f"SMTP {email.smtp_host}:{email.smtp_port}: {_reason(exc)}"
        _fail_rest(first, pending, reason, on_failed)
        return
    sender = _address(email.sender)
    current: tuple[str, EmailMessage] | None = first
    try:
        while current is not None:
            recipient, message = current
            try:
                smtp.send_message(message, from_addr=sender, to_addrs=[_address(recipient)])
            except smtplib.SMTPServerDisconnected as exc:
                _fail_rest(current, pending, f"connection lost: {_reason(exc)}", on_failed)
                return
            except smtplib.SMTPSenderRefused as exc:  # about our sender, not this reader: fix and retry
                on_failed(recipient, _reason(exc), False)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                on_failed(recipient, _reason(exc), bool(codes) and all(c >= 500 for c in codes))
            except smtplib.SMTPResponseException as exc:
                on_failed(recipient, _reason(exc), exc.smtp_code >= 500)
            except smtplib.SMTPException as exc:
                on_failed(recipient, _reason(exc), False)
            except OSError as exc:
                _fail_rest(current, pending, f"connection lost: {_reason(exc)}", on_failed)
                return
            except (UnicodeError, ValueError) as exc:  # an address smtplib cannot put on the wire
                on_failed(recipient, f"cannot send: {_reason(exc)}", True)
                _reset(smtp)
            else:
                on_sent(recipient)
            current = next(pending, None)
    finally:
        _close(smtp)


def write_eml(message: EmailMessage, path: Path) -> None:
    """Write the message as an .eml file (for ``--no-send``), atomically."""
    try:
        atomic_write(path, message.as_bytes(policy=policy.SMTP), mode=0o600)
    except OSError as exc:
        raise DeliveryError(str(path), _reason(exc)) from exc


# --------------------------------------------------------------------------- SMTP plumbing


def _connect(email: EmailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=email.ca_file)
    smtp: smtplib.SMTP
    if email.security == "tls":
        smtp = smtplib.SMTP_SSL(email.smtp_host, email.smtp_port, timeout=email.timeout, context=context)
    else:
        smtp = smtplib.SMTP(email.smtp_host, email.smtp_port, timeout=email.timeout)
    try:
        smtp.ehlo()
        if email.security == "starttls":
            smtp.starttls(context=context)  # raises SMTPNotSupportedError rather than go on in clear
            smtp.ehlo()
        if email.username and email.password:
            smtp.login(email.username, email.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _fail_rest(
    current: tuple[str, EmailMessage],
    rest: Iterator[tuple[str, EmailMessage]],
    reason: str,
    on_failed: Callable[[str, str, bool], None],
) -> None:
    on_failed(current[0], reason, False)
    for recipient, _ in rest:
        on_failed(recipient, reason, False)


def _reset(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reason(exc: BaseException) -> str:
    """One line for a log or the state: the SMTP code and text when there is one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_text(text)}" for code, text in exc.recipients.values()]
        reason = "recipient refused: " + "; ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        reason = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        reason = str(exc) or type(exc).__name__
    return one_line(reason, 300)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
