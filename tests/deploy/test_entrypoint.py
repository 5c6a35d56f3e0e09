"""The image's entry point (deploy/entrypoint.sh) run for real against the test stack's PostgreSQL and NATS.

No container is built here (no daemon): the script runs with this venv on PATH where the image has its own,
which is what the image's ENTRYPOINT, CMD and HEALTHCHECK run.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import Stack, eventually
from thidua import devstack, registry

ENTRYPOINT = Path(__file__).resolve().parents[2] / "deploy" / "entrypoint.sh"


def image_env(stack: Stack, **extra: str) -> dict[str, str]:
    venv_bin = Path(sys.executable).parent
    return {**stack.env, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}", **extra}


async def test_the_entrypoint_migrates_serves_every_service_and_checks_its_health(stack: Stack) -> None:
    migrate = await asyncio.to_thread(
        subprocess.run,
        ["sh", str(ENTRYPOINT), "thidua", "migrate"],
        env=image_env(stack),
        cwd=stack.tmp,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout.strip() == "migrations applied"

    ports = {name: devstack.free_port() for name in registry.NAMES}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: stack.tmp / f"entrypoint-{name}.log" for name in registry.NAMES}
    try:
        for name in registry.NAMES:
            env = image_env(stack, SERVICE=name, PORT=str(ports[name]), WORKERS="1")
            with open(logs[name], "ab") as log:
                procs[name] = subprocess.Popen(
                    ["sh", str(ENTRYPOINT)],  # CMD ["serve"] is the default
                    env=env,
                    cwd=stack.tmp,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )

        async def healthy(name: str) -> bool:
            check = await asyncio.to_thread(
                subprocess.run,
                ["sh", str(ENTRYPOINT), "health"],
                env=image_env(stack, SERVICE=name, PORT=str(ports[name])),
                capture_output=True,
                timeout=30,
            )
            assert procs[name].poll() is None, logs[name].read_text()
            return check.returncode == 0

        async with httpx.AsyncClient() as client:
            for name in registry.NAMES:
                await eventually(functools.partial(healthy, name), timeout=120, interval=0.5)
                ready = await client.get(f"http://127.0.0.1:{ports[name]}/health/ready")
                assert ready.status_code == 200, (name, ready.text)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # what `docker stop` and Kubernetes send
        for name, proc in procs.items():
            try:
                await asyncio.to_thread(proc.wait, 60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise AssertionError(f"{name} did not stop on SIGTERM") from None
    # granian is the process the runtime signals (`exec`), and it stops cleanly
    assert {name: proc.returncode for name, proc in procs.items()} == dict.fromkeys(registry.NAMES, 0)

    health_of_nothing = await asyncio.to_thread(
        subprocess.run,
        ["sh", str(ENTRYPOINT), "health"],
        env=image_env(stack, SERVICE="units", PORT=str(devstack.free_port())),
        capture_output=True,
        timeout=30,
    )
    assert health_of_nothing.returncode != 0
