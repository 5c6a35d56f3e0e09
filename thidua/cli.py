"""The `thidua` command line: the parser, assembled from the verb groups in `thidua/commands/`.

thidua run [--demo=1]          everything on this machine (what `make run` does)
thidua create-account ...      an account, from the shell (the first admin in production)
thidua migrate                 apply every service's migrations and stop
thidua resend SERVICE --since  publish a service's retained events again (reconciliation)
thidua republish SERVICE       a fresh state event for everything a service owns (reconciliation)
thidua rebuild events          the honour roll restated from the awards service, stale rows dropped
thidua dead-letters ...        list, show, replay or discard the events consumers gave up on
thidua backup DIR / restore DIR  every service's database dumped, and restored into an empty server
thidua import-units FILE       units from a CSV or XLSX file, over HTTP
thidua import-nominations FILE nominations from a CSV or XLSX file, over HTTP
thidua export-honorees         the public honour roll as CSV for Excel
thidua drill                   a local cluster under faults: nothing lost, nothing applied twice (make drill)

A verb is added in its group's module (`add_parser`); a new group is a module
in `thidua/commands/` and a name in GROUPS.
"""

from __future__ import annotations

import argparse
import sys

from thidua.commands import accounts, backup, database, dead_letters, drill, office, reconcile, run

# In the order `thidua --help` lists their verbs.
GROUPS = (run, accounts, database, reconcile, dead_letters, backup, office, drill)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thidua", description="Emulation campaigns and awards (thi đua – khen thưởng)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
