"""The verbs of the `thidua` command, one module per group.

Each module has `add_parser(sub)`, which adds its verbs to the command's
subparsers and sets each one's `func` (the function that runs it and returns
the exit code); `thidua/cli.py` lists the modules. A new verb goes into the
module of its group, or a new module added to that list.

    run.py        run                    everything on this machine (what `make run` does)
    accounts.py   create-account         an account, from the shell (the first admin in production)
    database.py   migrate                every service's migrations
    reconcile.py  resend, republish, rebuild
                                         the reconciliation paths: events published again, state restated
    dead_letters.py  dead-letters list|show|replay|discard
                                         the events consumers gave up on, dealt with
    backup.py     backup, restore        every service's database dumped (pg_dump), restored into an empty server
    office.py     import-units, import-nominations, export-honorees
                                         a provincial office's work over the HTTP APIs (thidua/office/)

The environment is read in `thidua/settings.py` only. The services' modules
and `shared.outbox` are imported inside the functions that use them: they
bring the web stack (half a second of litestar), which parsing the command
line and most verbs do without.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

# What `add_subparsers()` returns; argparse names its type only privately. A string, as it is generic only to
# type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
