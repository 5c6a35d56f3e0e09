"""What the console consumes: only whether accounts are disabled (the units service's account events).

The console holds no business data, but it holds sessions: a locked account's
session must end at its next request, also on a page that calls no service
with the user's token (the public list of campaigns, say), where no service
would refuse it. So the console keeps, like every service that verifies
tokens, the set of disabled accounts (`shared/account_blocks.py`), and
`session/guards.py` ends any session of an account in it.
"""

from __future__ import annotations

from shared import account_blocks, events
from shared.consumer import Subscription

ACCOUNTS = Subscription(
    durable="console-units",
    stream=events.UNITS_STREAM,
    handlers=dict.fromkeys((events.AccountCreated, events.AccountUpdated), account_blocks.on_account),
)
