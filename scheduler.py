"""A thin wrapper over `digest schedule` (collect through the day, send once a morning).

    python scheduler.py --sources sources.yaml --state digest-state.sqlite --out out [--at 07:00]

`--at HH:MM` (or a crontab line) overrides `schedule.send` of the sources file; everything else —
the collect interval, catch-up of missed mornings, one scheduler per state, SIGTERM — is
`digest schedule`'s (see README, "Running it unattended").
"""

from __future__ import annotations

import argparse

from digest import service


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scheduler.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="sources.yaml")
    parser.add_argument("--state", default="digest-state.sqlite")
    parser.add_argument("--out", default="out")
    parser.add_argument("--at", help="when to send: HH:MM or a crontab line (default: schedule.send)")
    parser.add_argument("--verbose", action="store_true", help="also log HTTP requests and scheduler events")
    args = parser.parse_args(argv)
    return service.main(args.sources, args.state, args.out, verbose=args.verbose, send_at=args.at)


if __name__ == "__main__":
    raise SystemExit(main())
