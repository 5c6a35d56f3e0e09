"""The connection and the streams, as deploy/README.md describes them."""

from __future__ import annotations

from shared import messaging
from tests.support import Stack


async def test_nats_url_may_list_several_servers(stack: Stack) -> None:
    nc = await messaging.connect(f"{stack.nats_url}, {stack.nats_url}", "delivery-cluster-url")
    try:
        assert nc.is_connected
        info = await nc.jetstream().stream_info("UNITS")
        assert info.config.num_replicas == 1  # one server: NATS_STREAM_REPLICAS defaults to 1
        assert info.config.duplicate_window == messaging.DUPLICATE_WINDOW_SECONDS
    finally:
        await nc.close()
