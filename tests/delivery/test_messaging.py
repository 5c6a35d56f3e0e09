"""The connection and the streams, as deploy/README.md describes them: on one server, and on a real
three-node cluster (thidua/devstack.py LocalNatsCluster, the one `make drill` runs)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import events, messaging
from tests.support import Stack
from thidua import devstack


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[devstack.LocalNatsCluster]:
    nodes = devstack.LocalNatsCluster(tmp_path / "nats-cluster")
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


async def test_one_server_streams_have_one_replica(stack: Stack) -> None:
    nc = await messaging.connect(stack.nats_url, "delivery-one-server")
    try:
        info = await nc.jetstream().stream_info("UNITS")
        assert info.config.num_replicas == 1  # one server: NATS_STREAM_REPLICAS defaults to 1
        assert info.config.duplicate_window == messaging.DUPLICATE_WINDOW_SECONDS
    finally:
        await nc.close()


async def test_nats_url_may_list_a_clusters_servers(cluster: devstack.LocalNatsCluster) -> None:
    """NATS_URL lists the three nodes; streams get three replicas; a publish is still acknowledged, and kept,
    once the node leading the stream is killed."""
    assert len(cluster.url.split(",")) == 3 and len(set(cluster.url.split(","))) == 3
    nc = await messaging.connect(cluster.url, "delivery-cluster")
    try:
        js = nc.jetstream()
        await messaging.provision_streams(js, [events.UNITS_STREAM], replicas=3)
        info = await js.stream_info("UNITS")
        assert info.config.num_replicas == 3
        assert info.cluster is not None and info.cluster.leader
        assert {info.cluster.leader, *(peer.name for peer in info.cluster.replicas or [])} == {"n1", "n2", "n3"}
        ack = await js.publish("units.unit.created", b"{}", headers={"Nats-Msg-Id": "first"})
        assert ack.seq == 1

        cluster.node(info.cluster.leader).kill()
        for _ in range(100):  # a new leader is elected among the two left (seconds)
            try:
                ack = await js.publish("units.unit.created", b"{}", headers={"Nats-Msg-Id": "second"}, timeout=1)
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert ack.seq == 2
        info = await js.stream_info("UNITS")
        assert info.state.messages == 2
        assert info.cluster is not None and info.cluster.leader not in (None, "")
    finally:
        await nc.close()
