"""The scenario suite: the Bình Thuận 2014 scenario loaded once into the session's stack, and the CLI."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import ADMIN_PASSWORD, Stack
from thidua.demo import ScenarioResult, load_scenario


@dataclass
class Loaded:
    result: ScenarioResult
    output: str


@pytest.fixture(scope="session")
async def scenario(stack: Stack) -> Loaded:
    out = io.StringIO()
    result = await load_scenario(
        {name: stack.url(name) for name in ("units", "awards", "events")}, admin_password=ADMIN_PASSWORD, out=out
    )
    print(out.getvalue())
    return Loaded(result, out.getvalue())


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


async def thidua(stack: Stack, *args: str | Path, password: str = ADMIN_PASSWORD, cwd: Path | None = None) -> Ran:
    """Run the `thidua` command line against the stack, as a separate process."""
    urls = [f"--{s}-url={stack.url(s)}" for s in ("units", "awards", "events")]
    env = {**os.environ, "THIDUA_PASSWORD": password}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "thidua.cli",
        *map(str, args),
        *urls,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return Ran(proc.returncode, stdout.decode("utf-8"), stderr.decode("utf-8"))
