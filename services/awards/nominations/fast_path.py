"""`POST /nominations` done before the framework for a plain request (shared/fast_path.py).

The controller's own work, with its role set, its schema and its use-case
function: the framework's routing, injection and response building were about
40% of a submission's cost. A request this declines or raises on (a role the
guard refuses, a body the schema refuses, a refusal of the use case, which
writes nothing) is answered by the framework's handler, as every other.
"""

from __future__ import annotations

import msgspec

from shared.fast_path import Answer, Plain

from . import service
from .controller import NOMINATING
from .schemas import NominationCreate


async def create_nomination(request: Plain) -> Answer | None:
    principal = await request.principal()
    if principal.role not in NOMINATING:
        return None
    data = msgspec.json.decode(request.body, type=NominationCreate)
    nomination = await service.create_nomination(request.service, principal, data)
    return 201, msgspec.json.encode(nomination)
