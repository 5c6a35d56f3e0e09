"""`thidua run` keeps the local system running: a worker, a service, NATS and PostgreSQL killed with -9 while
requests run come back by themselves, the rest keep serving, and Ctrl-C still stops everything.

The command runs as `make run` does (its own PostgreSQL and NATS from the wheels, one granian process per
service), on ports of its own (THIDUA_PORT_OFFSET) and in a temporary folder, so it runs beside anything else.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support import eventually
from thidua import devstack, registry
from thidua.supervisor import wait_before

READY_TIMEOUT = 180.0


@dataclass
class Running:
    proc: subprocess.Popen
    var: Path
    log: Path
    urls: dict[str, str]
    ports: dict[str, int]
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # (service, status) of the background calls

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_offset() -> int:
    ports = [s.port for s in registry.all_services()]
    while True:
        offset = random.randrange(20_000, 40_000, 10)
        if all(devstack.port_is_free(p + offset) for p in ports):
            return offset


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def pids_of(parent: int, marker: str) -> list[int]:
    """The children of `parent` whose command line contains `marker`."""
    found = []
    for pid in children(parent):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                found.append(pid)
        except OSError:
            continue
    return found


def service_pid(run: Running, name: str) -> int:
    [pid] = pids_of(run.proc.pid, f"services.{name}.asgi:app")
    return pid


def nats_pid(run: Running) -> int:
    [pid] = pids_of(run.proc.pid, "nats-server")
    return pid


def postgres_pid(run: Running) -> int:
    return int((run.var / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0])


async def ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/health/ready", timeout=2)).status_code == 200
    except httpx.HTTPError:
        return False


async def all_ready(client: httpx.AsyncClient, run: Running) -> bool:
    return all(await asyncio.gather(*(ready(client, u) for u in run.urls.values())))


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    offset = free_offset()
    ports = {s.name: s.port + offset for s in registry.all_services()}
    log = tmp_path / "run.log"
    env = {
        **os.environ,
        "THIDUA_VAR": str(tmp_path / "var"),
        "THIDUA_PORT_OFFSET": str(offset),
        "THIDUA_ADMIN_PASSWORD": "admin-supervision-test",
        "WORKERS": "1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("NATS_URL", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "thidua.cli", "run", "--demo=0"], env=env, stdout=out, stderr=out
        )
    run = Running(proc, tmp_path / "var", log, {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}, ports)
    try:
        yield run
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


async def keep_calling(client: httpx.AsyncClient, run: Running, stop: asyncio.Event) -> None:
    """Requests while things are killed: each service's list that needs its database, counted by answer."""
    paths = {"units": "/units?limit=5", "awards": "/campaigns?limit=5", "events": "/honorees?limit=5"}
    while not stop.is_set():
        for name, path in paths.items():
            try:
                status = (await client.get(run.urls[name] + path, timeout=2)).status_code
            except httpx.HTTPError:
                status = 0  # no answer: the process is down
            run.answers[(name, status)] += 1
        await asyncio.sleep(0.02)


async def test_what_is_killed_comes_back_and_ctrl_c_stops_everything(
    running: Running, client: httpx.AsyncClient
) -> None:
    run = running
    try:
        await _kill_and_recover(run, client)
    except AssertionError as exc:  # say what the command printed, and what the service logged
        logs = "".join(
            f"\n--- {p.name}:\n{p.read_text(errors='replace')[-3000:]}" for p in (run.var / "logs").glob("*.log")
        )
        raise AssertionError(f"{exc}\n--- thidua run:\n{run.output()[-3000:]}{logs}") from exc


async def _kill_and_recover(run: Running, client: httpx.AsyncClient) -> None:
    await eventually(lambda: all_ready(client, run), timeout=READY_TIMEOUT, interval=0.5)
    stop = asyncio.Event()
    calls = asyncio.create_task(keep_calling(client, run, stop))
    try:
        # A granian worker of the events service: granian replaces it; the service's process stays the same.
        events_main = service_pid(run, "events")
        [worker] = children(events_main)
        os.kill(worker, signal.SIGKILL)
        await eventually(lambda: ready(client, run.urls["events"]), timeout=60, interval=0.2)
        await eventually(lambda: asyncio.sleep(0, result=bool(children(events_main))), timeout=30)
        assert service_pid(run, "events") == events_main
        assert children(events_main) != [worker]

        # The whole awards service: the supervisor starts it again; the units service answers all along.
        awards_main = service_pid(run, "awards")
        run.answers.clear()
        os.killpg(awards_main, signal.SIGKILL)
        await eventually(lambda: ready(client, run.urls["awards"]), timeout=60, interval=0.2)
        assert service_pid(run, "awards") != awards_main
        assert run.answers[("units", 200)] > 0 and run.answers[("units", 0)] == 0, run.answers
        assert "the awards service stopped (killed by signal 9)" in run.output()
        assert "the awards service is running again" in run.output()

        # NATS: started again, every service is ready again (reconnected) without a restart of its own.
        before = {name: service_pid(run, name) for name in run.urls}
        nats = nats_pid(run)
        os.kill(nats, signal.SIGKILL)
        await eventually(lambda: asyncio.sleep(0, result="NATS is running again" in run.output()), timeout=60)
        await eventually(lambda: all_ready(client, run), timeout=90, interval=0.5)
        assert nats_pid(run) != nats
        assert {name: service_pid(run, name) for name in run.urls} == before

        # PostgreSQL: started again (its backends may take a moment to go), and the services reconnect.
        run.answers.clear()
        os.kill(postgres_pid(run), signal.SIGKILL)
        await eventually(lambda: asyncio.sleep(0, result="PostgreSQL is running again" in run.output()), timeout=120)
        await eventually(lambda: all_ready(client, run), timeout=90, interval=0.5)
        run.answers.clear()
        await eventually(lambda: asyncio.sleep(0, result=run.answers[("units", 200)] > 3), timeout=30)
        assert {name: service_pid(run, name) for name in run.urls} == before
    finally:
        stop.set()
        await calls

    # Ctrl-C: everything stops, cleanly: no server, no service left, nothing answers on their ports.
    left = [postgres_pid(run), nats_pid(run), *(service_pid(run, name) for name in run.urls)]
    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(60) == 0, run.output()
    assert run.output().rstrip().endswith("stopped.")
    assert not [pid for pid in left if devstack.process_exists(pid)]
    for port in run.ports.values():
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/health/live")


def test_the_wait_before_a_new_start_doubles_up_to_half_a_minute() -> None:
    assert [wait_before(n) for n in range(1, 9)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_a_port_that_a_stopped_server_left_in_time_wait_is_free_and_a_listened_one_is_not() -> None:
    port = devstack.free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    assert not devstack.port_is_free(port)  # listened on
    accepted.close()  # the server closes first, as granian does with idle connections: TIME_WAIT on its side
    client.close()
    server.close()
    # A service started again at once binds it (with SO_REUSEADDR, as servers do): so the check must agree.
    assert devstack.port_is_free(port)
