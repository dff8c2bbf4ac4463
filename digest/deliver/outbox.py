"""The outbox (I/O): every (digest, reader) row that is due goes out, each claimed first.

A row is claimed atomically before its message is handed to the relay, so two processes never
send it both; sent, it is marked sent; a temporary failure (4xx, refused, timeout) is retried
with a growing backoff on every later send, whatever the date; a permanent one (5xx for that
address) waits for `digest send --retry-failed`. A reader's older digest always goes before a
newer one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import signals
from digest.checkpoint import checkpoint
from digest.deliver import email as email_delivery
from digest.deliver import outputs as outputs_
from digest.errors import BusyError
from digest.lease import Lease, owner, owner_gone
from digest.models import OutboxEntry, SealedDigest, Settings
from digest.progress import Progress
from digest.storage import Storage

__all__ = ["BACKOFF_FIRST", "BACKOFF_MAX", "CLAIM_SECONDS", "NO_LONGER_A_READER", "backoff", "deliver_due"]

CLAIM_SECONDS = 600  # a claimed outbox row not finished by then is presumed abandoned
NO_LONGER_A_READER = "no longer a reader"
BACKOFF_FIRST = timedelta(minutes=5)  # a temporary mail failure is retried after 5, 15, 45 … min
BACKOFF_MAX = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th temporary failure a message is tried again."""
    delay: timedelta = BACKOFF_FIRST * (3 ** max(0, attempts - 1))
    return min(delay, BACKOFF_MAX)


def deliver_due(
    settings: Settings,
    store: Storage,
    out: Path,
    clock: Callable[[], datetime],
    retry_now: bool,
    progress: Progress,
    lease: Lease | None,
    focus: date | None = None,
) -> tuple[list[str], bool]:
    """Send every outbox row that is due, oldest digest first. Returns report lines and whether
    any delivery failed.

    Due: pending rows, retries whose backoff has passed (all of them when a person asked:
    `retry_now`), claims left by a process that is gone — and every waiting retry of a reader
    who has a due row, so nobody gets day 2's digest before day 1's.
    """
    email = settings.email
    tz = ZoneInfo(settings.timezone)
    now = clock()
    lines: list[str] = []
    readers = {r.lower() for r in email.recipients}
    store.restore_readers(readers, now)  # a reader removed and added back is owed what was cancelled
    due: list[OutboxEntry] = []
    waiting: list[OutboxEntry] = []
    for e in store.outbox(statuses=("pending", "retry", "sending")):
        if e.recipient.lower() not in readers:
            store.cancel(e.date, e.recipient, NO_LONGER_A_READER, now)
            lines.append(f"e-mail: {e.date}: {e.recipient} is {NO_LONGER_A_READER}; not sent")
        elif e.status == "retry" and not retry_now and e.next_attempt is not None and e.next_attempt > now:
            waiting.append(e)
        elif (
            e.status == "sending"
            and e.claimed_until is not None
            and e.claimed_until > now
            and not owner_gone(e.claimed_by)
        ):
            waiting.append(e)  # another process is sending it right now
        else:
            due.append(e)
    owed = {e.recipient for e in due}
    late = [e for e in waiting if e.status == "retry" and e.recipient in owed]
    waiting = [e for e in waiting if e not in late]
    due = sorted(due + late, key=lambda e: (e.date, e.recipient))
    failed = False
    if due:
        progress.start("deliver", total=len(due))
        cache: dict[date, tuple[SealedDigest | None, dict[str, str] | None]] = {}
        current: list[OutboxEntry] = []
        sent_count = 0

        def build(e: OutboxEntry) -> EmailMessage | None:
            if e.date not in cache:
                sealed = store.sealed(e.date)
                cache[e.date] = (sealed, (sealed.outputs if sealed else None) or outputs_.read(out, e.date))
            sealed, outputs = cache[e.date]
            if sealed is None or outputs is None:
                return None
            subject = outputs_.subject(settings, e.date, outputs, sealed, None)
            return email_delivery.build_message(
                subject, outputs, email, e.recipient, e.date, sealed.sealed_at
            )

        def claimed(me: str) -> Iterator[tuple[str, EmailMessage]]:
            for e in due:
                if lease is not None and lease.lost.is_set():
                    raise BusyError(
                        str(store.path), "this process lost the lease (it stalled past its expiry)"
                    )
                moment = clock()
                until = moment + timedelta(seconds=CLAIM_SECONDS)
                force = retry_now or e in late
                if not store.claim(
                    e.date, e.recipient, me, until, moment, ignore_backoff=force, stale=owner_gone
                ):
                    continue  # taken by another process a moment ago
                checkpoint("deliver: a row claimed")
                current[:] = [e]
                msg = build(e)
                if msg is None:
                    store.finish(
                        e.date, e.recipient, me, "failed", clock(), "the digest's mail cannot be rebuilt"
                    )
                    lines.append(
                        f"e-mail: {e.date}: FAILED for {e.recipient}: the digest's mail cannot be rebuilt"
                    )
                    current.clear()
                    continue
                # From handing the message to the relay until its outcome is recorded, a stop
                # signal waits: the relay may accept a message we gave up on.
                with signals.held():
                    yield e.recipient, msg
                current.clear()

        with owner() as me:

            def on_sent(recipient: str) -> None:
                nonlocal sent_count
                e = current[0]
                checkpoint("deliver: accepted by the relay, not yet marked")  # the SMTP window
                store.finish(e.date, recipient, me, "sent", clock())
                checkpoint("deliver: marked sent")
                sent_count += 1
                lines.append(f"e-mail: {e.date}: sent to {recipient}")
                progress.advance("deliver")

            def on_failed(recipient: str, reason: str, permanent: bool) -> None:
                nonlocal failed
                e = current[0]
                failed = True
                if permanent:
                    store.finish(e.date, recipient, me, "failed", clock(), reason)
                    lines.append(
                        f"e-mail: {e.date}: FAILED for {recipient}: {reason} "
                        "(permanent: not retried; `digest send --retry-failed` once it is fixed)"
                    )
                else:
                    when = (clock() + backoff(e.attempts + 1)).astimezone(tz)
                    store.finish(e.date, recipient, me, "retry", clock(), reason, next_attempt=when)
                    lines.append(
                        f"e-mail: {e.date}: FAILED for {recipient}: {reason} "
                        f"(temporary: retried on a later run, from {when:%Y-%m-%d %H:%M %Z})"
                    )
                progress.advance("deliver")

            try:
                email_delivery.send_messages(claimed(me), email, on_sent=on_sent, on_failed=on_failed)
            except BaseException:
                # Stopped or failed with a row claimed and not handed over: it goes on the next run.
                for e in current:
                    store.finish(
                        e.date, e.recipient, me, "retry", clock(), "interrupted", count_attempt=False
                    )
                raise
        progress.finish("deliver", f"{sent_count} of {len(due)} message(s) sent")
    retry = [e for e in waiting if e.status == "retry" and e.next_attempt is not None]
    if retry:
        first = min(e.next_attempt for e in retry if e.next_attempt is not None).astimezone(tz)
        lines.append(
            f"e-mail: {len(retry)} message(s) waiting to be retried from {first:%Y-%m-%d %H:%M %Z} "
            f"(last error: {retry[0].last_error})"
        )
    if focus is not None and email.enabled and not due:
        rows = store.outbox(day=focus)
        if rows and all(r.status == "sent" for r in rows):
            lines.append(f"e-mail: already sent to all {len(rows)} recipient(s) for {focus}")
    return lines, failed
