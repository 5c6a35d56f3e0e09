"""What a cached roll answer is held against (tests/events/bench_roll_cached.py): one fixed body, the file
$FIXED_BODY, answered to every request by a raw ASGI app (`app`: the ceiling) and by a Litestar handler
(`litestar_app`: the framework's own cost). Served by granian as the services are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import Litestar, Response, get

BODY = Path(os.environ["FIXED_BODY"]).read_bytes() if "FIXED_BODY" in os.environ else b"{}"
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY, "more_body": False})


@get("/{path:path}", sync_to_thread=False)
def fixed(path: str) -> Response[bytes]:
    return Response(BODY, media_type="application/json")


litestar_app = Litestar([fixed], openapi_config=None)
