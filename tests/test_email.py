"""E-mail delivery against a real SMTP server on 127.0.0.1 (aiosmtpd in a thread).

aiosmtpd's Controller runs its own asyncio loop in a background thread. Under the project's
``filterwarnings = error`` a warning raised there fails the test, and aiosmtpd warns ("Requiring
AUTH while not requiring TLS") when told to require AUTH without TLS. The login test therefore does
not set ``auth_required``; it checks instead that each message arrived on an authenticated session.
No warning filter is needed.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from digest.deliver.email import build_message, message_id, send_messages, write_eml
from digest.models import Digest, EmailSettings, Placement, Settings, Story, ThemeSection
from digest.render import email_subject, make_environment, render_all

from .conftest import make_item

KST = timezone(timedelta(hours=9))
DAY = date(2024, 6, 13)
NOW = datetime(2024, 6, 13, 7, 0, tzinfo=KST)
TITLE = "헬스테크 데일리"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated: bool


@dataclass
class Handler:
    """Accepts everything except the addresses in `refuse` (550, permanent) and `defer` (450,
    temporary), and keeps what it was given."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    defer: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if address in self.defer:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, session.authenticated
            )
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Handler, int]]:
    handler = Handler(refuse={"nobody@example.com"})
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def _settings(port: int, **kw: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "recipients": ("a@example.com", "b@example.com"),
        "sender": f"{TITLE} <digest@example.com>",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "timeout": 5.0,
        "list_id": "daily.digest.example.com",
        "unsubscribe": "https://digest.example.com/unsubscribe",
    }
    return EmailSettings(**(values | kw))


def _digest(title: str = "요양원 돌봄 로봇 실증 착수") -> Digest:
    item = make_item(
        1,
        title,
        source="청년의사",
        url="https://www.docdocdoc.co.kr/news/1",
        published=datetime(2024, 6, 13, 9, 30, tzinfo=KST),
        first_seen=NOW,
        story_id="s1",
    )
    story = Story(
        id="s1",
        items=(item,),
        title=title,
        summary="보건복지부가 요양원 12곳에서 돌봄 로봇 실증을 시작한다.",
        placement=Placement(theme="silver_devices", score=3.0),
    )
    section = ThemeSection("silver_devices", "실버·고령친화 기기", "Silver devices", "", (story,))
    return Digest(date=DAY, generated_at=NOW, title=TITLE, timezone="Asia/Seoul", sections=(section,))


def _messages(email: EmailSettings, title: str = TITLE) -> list[tuple[str, EmailMessage]]:
    digest = _digest()
    rendered = render_all(
        digest, Settings(path="t.yaml", sources=(), themes=(), email=email), make_environment()
    )
    subject = email_subject(digest, email, title)
    return [(r, build_message(subject, rendered, email, r, DAY, NOW)) for r in email.recipients]


def _send(messages: list[tuple[str, EmailMessage]], email: EmailSettings) -> tuple[list[str], dict[str, str]]:
    sent, failed, _ = _send_classified(messages, email)
    return sent, failed


def _send_classified(
    messages: list[tuple[str, EmailMessage]], email: EmailSettings
) -> tuple[list[str], dict[str, str], dict[str, bool]]:
    sent: list[str] = []
    failed: dict[str, str] = {}
    permanent: dict[str, bool] = {}

    def on_failed(recipient: str, reason: str, is_permanent: bool) -> None:
        failed[recipient] = reason
        permanent[recipient] = is_permanent

    send_messages(messages, email, on_sent=sent.append, on_failed=on_failed)
    return sent, failed, permanent


def _parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_message_round_trips_through_a_real_server(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server
    email = _settings(port)
    sent, failed = _send(_messages(email), email)

    assert sent == ["a@example.com", "b@example.com"]
    assert failed == {}
    assert [r.rcpt_tos for r in handler.received] == [["a@example.com"], ["b@example.com"]]
    assert handler.received[0].mail_from == "digest@example.com"
    assert not handler.received[0].authenticated  # no username/password: no AUTH

    message = _parse(handler.received[0].data)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert "요양원 돌봄 로봇 실증 착수" in parts[0].get_content()
    assert "요양원 돌봄 로봇 실증 착수" in parts[1].get_content()
    assert str(message["Subject"]) == "[헬스테크 데일리] 2024년 6월 13일 (목) · 스토리 1건"
    assert message["From"].addresses[0].display_name == TITLE
    assert message["To"] == "a@example.com"
    assert message["Message-ID"] == message_id(DAY, "a@example.com", email.list_id)
    assert message["Message-ID"].startswith("<digest-2024-06-13-")
    assert message["Message-ID"].endswith("@daily.digest.example.com>")
    assert message["List-Id"] == "<daily.digest.example.com>"
    assert message["List-Unsubscribe"] == "<https://digest.example.com/unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Date"].datetime == NOW


@pytest.mark.parametrize(
    "subject",
    [
        "[헬스테크 Bcc: evil@example.com 본문 주입] 2024년 6월 13일 (목) · 스토리 1건",
        "[헬스테크 데일리] 2024년 6월 13일 (목) · 스토리 12건 요양원 돌봄 로봇 실증 착수 낙상 감지 " * 3,
        "plain ASCII subject",
        "=?utf-8?q?not_an_encoded_word?= 한글",
    ],
)
def test_subject_survives_folding_exactly(subject: str) -> None:
    rendered = {"email.txt": "본문\n", "email.html": "<p>본문</p>\n"}
    raw = build_message(subject, rendered, _settings(25), "a@example.com", DAY, NOW).as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert str(_parse(raw)["Subject"]) == subject.strip()


def test_message_id_is_deterministic_per_date_and_recipient() -> None:
    email = _settings(25)
    first = dict(_messages(email))
    again = dict(_messages(email))
    assert first["a@example.com"]["Message-ID"] == again["a@example.com"]["Message-ID"]
    assert first["a@example.com"]["Message-ID"] != first["b@example.com"]["Message-ID"]
    assert message_id(DAY, "a@example.com", "x") != message_id(date(2024, 6, 14), "a@example.com", "x")


def test_mailto_unsubscribe_has_no_one_click_header() -> None:
    email = _settings(25, unsubscribe="mailto:leave@example.com")
    message = _messages(email)[0][1]
    assert message["List-Unsubscribe"] == "<mailto:leave@example.com>"
    assert message["List-Unsubscribe-Post"] is None
    assert _messages(_settings(25, unsubscribe=None))[0][1]["List-Unsubscribe"] is None


def test_a_refused_recipient_fails_alone(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server
    email = _settings(port, recipients=("a@example.com", "nobody@example.com", "b@example.com"))
    sent, failed = _send(_messages(email), email)

    assert sent == ["a@example.com", "b@example.com"]
    assert list(failed) == ["nobody@example.com"]
    assert "550" in failed["nobody@example.com"]
    assert "\n" not in failed["nobody@example.com"]
    assert [r.rcpt_tos for r in handler.received] == [["a@example.com"], ["b@example.com"]]


def test_a_5xx_for_an_address_is_permanent_a_4xx_or_a_dead_server_temporary(
    smtp_server: tuple[Handler, int],
) -> None:
    handler, port = smtp_server
    handler.defer.add("busy@example.com")
    email = _settings(port, recipients=("nobody@example.com", "busy@example.com", "a@example.com"))
    sent, failed, permanent = _send_classified(_messages(email), email)
    assert sent == ["a@example.com"]
    assert permanent == {"nobody@example.com": True, "busy@example.com": False}
    assert "450" in failed["busy@example.com"]

    down = _settings(_free_port())  # nothing listens there: every reader fails, temporarily
    sent, failed, permanent = _send_classified(_messages(down), down)
    assert sent == [] and permanent == {"a@example.com": False, "b@example.com": False}


def test_a_host_name_idna_refuses_is_a_temporary_failure_not_a_crash() -> None:
    email = _settings(25, smtp_host="mail..example.com")
    sent, failed, permanent = _send_classified(_messages(email), email)
    assert sent == [] and permanent == {"a@example.com": False, "b@example.com": False}
    assert all(reason.startswith("SMTP mail..example.com:25: ") for reason in failed.values())


def test_no_messages_opens_no_connection() -> None:
    calls: list[str] = []
    email = _settings(_free_port())  # a connection attempt would fail and be reported
    send_messages([], email, on_sent=calls.append, on_failed=lambda r, _reason, _p: calls.append(r))
    assert calls == []


def test_messages_are_taken_one_at_a_time(smtp_server: tuple[Handler, int]) -> None:
    """The caller claims each outbox row just before its message goes: the iterable is pulled
    lazily, after the previous message's outcome was reported."""
    handler, port = smtp_server
    email = _settings(port, recipients=("a@example.com", "b@example.com", "c@example.com"))
    events: list[str] = []

    def lazily() -> Iterator[tuple[str, EmailMessage]]:
        for recipient, message in _messages(email):
            events.append(f"take {recipient}")
            yield recipient, message

    send_messages(lazily(), email, on_sent=lambda r: events.append(f"sent {r}"), on_failed=lambda *a: None)
    assert events == [
        "take a@example.com",
        "sent a@example.com",
        "take b@example.com",
        "sent b@example.com",
        "take c@example.com",
        "sent c@example.com",
    ]
    assert len(handler.received) == 3


def test_a_title_cannot_inject_a_header(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server
    email = _settings(port, recipients=("a@example.com",))
    evil = "헬스테크\r\nBcc: evil@example.com\r\n\r\n본문 주입"
    sent, failed = _send(_messages(email, title=evil), email)

    assert sent == ["a@example.com"] and failed == {}
    assert [r.rcpt_tos for r in handler.received] == [["a@example.com"]]
    message = _parse(handler.received[0].data)
    assert message["Bcc"] is None
    assert str(message["Subject"]).startswith("[헬스테크 Bcc: evil@example.com 본문 주입] ")
    # Even a subject that skipped email_subject is folded to one line by build_message.
    rendered = {"email.txt": "본문\n", "email.html": "<p>본문</p>\n"}
    raw = build_message("제목\nBcc: evil@example.com", rendered, email, "a@example.com\r\nCc: x@y", DAY, NOW)
    assert raw["Bcc"] is None and raw["Cc"] is None
    assert raw["Subject"] == "제목 Bcc: evil@example.com"
    assert b"\nBcc:" not in raw.as_bytes() and b"\nCc:" not in raw.as_bytes()


def test_no_server_fails_every_recipient_without_raising() -> None:
    email = _settings(_free_port())  # nothing listens there
    sent, failed = _send(_messages(email), email)
    assert sent == []
    assert list(failed) == ["a@example.com", "b@example.com"]
    assert all(reason.startswith(f"SMTP 127.0.0.1:{email.smtp_port}: ") for reason in failed.values())


def test_starttls_is_never_skipped(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server  # the test server offers no STARTTLS
    email = _settings(port, security="starttls")
    sent, failed = _send(_messages(email), email)
    assert sent == [] and len(failed) == 2
    assert handler.received == []


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"digest"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.mark.parametrize(("password", "delivered"), [("s3cret", True), ("wrong", False)])
def test_login_when_credentials_are_set(password: str, delivered: bool) -> None:
    handler = Handler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_authenticator,
        auth_require_tls=False,  # loopback only; no auth_required (see the module docstring)
    )
    controller.start()
    try:
        email = _settings(controller.port, username="digest", password=password)
        sent, failed = _send(_messages(email), email)
    finally:
        controller.stop()
    if delivered:
        assert sent == ["a@example.com", "b@example.com"] and failed == {}
        assert [r.authenticated for r in handler.received] == [True, True]
    else:
        assert sent == [] and list(failed) == ["a@example.com", "b@example.com"]
        assert "535" in failed["a@example.com"]


def test_write_eml(tmp_path: Path) -> None:
    email = _settings(25)
    recipient, message = _messages(email)[0]
    path = tmp_path / "outbox" / "a@example.com.eml"
    write_eml(message, path)
    parsed = _parse(path.read_bytes())
    assert parsed["To"] == recipient
    assert parsed["Message-ID"] == message["Message-ID"]
    assert list(tmp_path.joinpath("outbox").iterdir()) == [path]


@pytest.fixture(scope="module")
def tls_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    import trustme

    ca = trustme.CA()
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ca, pem


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_real_tls_with_login(security: str, tls_ca: tuple[Any, Path]) -> None:
    """Implicit TLS and STARTTLS against a real TLS server on 127.0.0.1 whose certificate comes
    from a test CA that the settings trust (`ca_file`); the login happens inside the tunnel."""
    import ssl

    ca, pem = tls_ca
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    handler = Handler()
    # aiosmtpd only counts a STARTTLS session as TLS when it decides whether to offer AUTH, so the
    # implicit-TLS server is told not to insist (the connection is TLS from its first byte).
    kwargs: dict[str, Any] = (
        {"ssl_context": server_ctx, "auth_require_tls": False}
        if security == "tls"
        else {"tls_context": server_ctx}
    )
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), authenticator=_authenticator, **kwargs
    )
    controller.start()
    try:
        email = _settings(
            controller.port, security=security, username="digest", password="s3cret", ca_file=str(pem)
        )
        sent, failed = _send(_messages(email), email)
        untrusted = _settings(controller.port, security=security)  # system CAs do not know the test CA
        sent2, failed2 = _send(_messages(untrusted), untrusted)
    finally:
        controller.stop()
    assert failed == {} and sent == ["a@example.com", "b@example.com"]
    assert [r.authenticated for r in handler.received] == [True, True]
    assert sent2 == [] and all("CERTIFICATE_VERIFY_FAILED" in r for r in failed2.values())
