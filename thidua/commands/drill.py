"""`thidua drill` (`make drill`): the local cluster drill (thidua/drill.py).

A three-node NATS cluster, PostgreSQL and two replicas of every service in a
temporary folder; a scenario written through both replicas while a NATS node,
a replica of each service and PostgreSQL fail; then every accepted write
counted in every read model. Exits 1 when something was lost or applied twice.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from thidua.commands import Subparsers


def add_parser(sub: Subparsers) -> None:
    drill = sub.add_parser(
        "drill", help="a local cluster under faults: every accepted write in every read model exactly once"
    )
    drill.add_argument("--writers", type=_positive, default=6, help="scenario chains written at once (default 6)")
    drill.add_argument(
        "--gap", type=float, default=6.0, help="seconds of writing between one fault's end and the next (default 6)"
    )
    drill.add_argument(
        "--dir", type=Path, help="keep the drill's data and logs in this folder (default: a temporary one)"
    )
    drill.add_argument("--keep", action="store_true", help="keep the data and logs when done")
    drill.set_defaults(func=cmd_drill)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def cmd_drill(args: argparse.Namespace) -> int:
    from thidua.drill import Plan, drill  # brings the services' code: only when asked for

    plan = Plan(writers=args.writers, gap=args.gap, warmup=min(4.0, args.gap), cooldown=min(3.0, args.gap))
    return drill(plan, root=args.dir, keep=args.keep or args.dir is not None)
