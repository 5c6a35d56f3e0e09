"""An upload refused before its end is still answered: the refusal reaches a client that writes first.

A browser, httpx or curl writes a whole `multipart/form-data` body before it
reads the answer. When a service refuses the upload before reading all of it
(413 on its Content-Length or as it arrives, 401, 403), the server would close
the connection under the writer, which then sees a broken connection, not the
problem document. So, for a multipart request only, the rest of the body is
read and thrown away before the refusal is sent: at most `DRAIN_BYTES`, and
only while it keeps coming (`IDLE_SECONDS` without a chunk ends it, for a
client that waits for the answer before sending more). Nothing is kept.
"""

from __future__ import annotations

import asyncio
import contextlib

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from shared.settings import MAX_UPLOAD_BODY_BYTES

DRAIN_BYTES = 2 * MAX_UPLOAD_BODY_BYTES  # beyond this, the connection is closed as before
IDLE_SECONDS = 1.0


class DrainRefusedUpload:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not _is_multipart(scope):
            await self.app(scope, receive, send)
            return
        ended = False
        drained = False

        async def tracking_receive() -> ReceiveMessage:
            nonlocal ended
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                ended = True
            return message

        async def drain() -> None:
            nonlocal ended, drained
            if ended or drained:
                return
            drained = True
            thrown = 0
            with contextlib.suppress(TimeoutError):
                while thrown <= DRAIN_BYTES:
                    message = await asyncio.wait_for(receive(), IDLE_SECONDS)
                    if message["type"] != "http.request":
                        break
                    thrown += len(message.get("body", b""))
                    if not message.get("more_body", False):
                        ended = True
                        break

        async def draining_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await drain()
            await send(message)

        try:
            await self.app(scope, tracking_receive, draining_send)
        except Exception:
            # Refused by a middleware before the route (the answer is sent by the app's handler after this).
            await drain()
            raise


def _is_multipart(scope: Scope) -> bool:
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    return content_type.lower().startswith(b"multipart/form-data")
