"""Hostile servers, as a table: each case of tests/test_hostile.py collected by a real `digest run`
beside one good source, with a loopback SMTP relay and two readers, then run again.

    python benchmarks/hostile.py [--case SUBSTRING] [--json]

Prints, per case: the wall time and peak RSS of the first run (and the RSS over a plain run of
the good source alone), whether it survived (exit 0, no traceback, the good item in the digest),
items lost (the good item missing from the digest), mails sent twice over the two runs, and the
one line the hostile source got. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_email import Handler, _free_port  # noqa: E402
from tests.test_hostile import CASES, HostileServer, _good, _sources_yaml, _urls, run_digest  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="", help="only the cases whose name contains this")
    parser.add_argument("--json", action="store_true", help="one JSON line per case instead of a table")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        srv = HostileServer()
        _good(srv)
        plain = run_digest(_mkdir(base / "plain"), _sources_yaml(base / "plain", srv, []))
        srv.close()
        for n, case in enumerate(c for c in CASES if args.case in c.name):
            handler = Handler()
            relay = Controller(handler, hostname="127.0.0.1", port=_free_port())
            relay.start()
            srv = HostileServer()
            _good(srv)
            case.setup(srv)
            folder = _mkdir(base / f"case{n}")
            smtp = (
                "delivery: {email: {recipients: [a@example.com, b@example.com], "
                f"smtp: {{host: 127.0.0.1, port: {relay.port}, security: none, timeout: 5}}}}}}"
            )
            sources = _sources_yaml(folder, srv, [("적대", srv.url("/hostile.xml"))], smtp)
            try:
                first = run_digest(folder, sources)
                again = run_digest(folder, sources)
            finally:
                srv.close()
                relay.stop()
            good = srv.url("/good/1.html")
            line = next((ln.strip() for ln in first.output.splitlines() if ln.strip().startswith("적대")), "")
            sent = [r for m in handler.received for r in m.rcpt_tos]
            rows.append(
                {
                    "case": case.name,
                    "wall_s": round(first.wall, 1),
                    "rss_mb": round(first.rss_mb),
                    "rss_over_plain_mb": round(first.rss_mb - plain.rss_mb),
                    "survived": all(
                        r.code == 0 and "Traceback" not in r.output and good in _urls(r.digest)
                        for r in (first, again)
                    ),
                    "lost": 0 if good in _urls(first.digest) else 1,
                    "sent_twice": len(sent) - len(set(sent)),
                    "mails": len(sent),
                    "message": re.sub(r"^적대\s+", "", line),
                }
            )
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(f"plain run (the good source alone): {plain.wall:.1f} s, peak RSS {plain.rss_mb:.0f} MB")
    print("| case | wall s | RSS MB (over plain) | survived | lost | sent twice | message |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['wall_s']} | {r['rss_mb']} (+{r['rss_over_plain_mb']}) | "
            f"{'yes' if r['survived'] else 'NO'} | {r['lost']} | {r['sent_twice']} | {r['message'][:110]} |"
        )
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


if __name__ == "__main__":
    raise SystemExit(main())
