"""Debian's chromium, driven by Playwright, as every browser test launches it.

Without /usr/bin/chromium a browser test skips and says so, except where
THIDUA_REQUIRE_BROWSER=1 (`.ci/run` sets it, after installing chromium): there
it fails, so CI never skips one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No background traffic: this machine reaches nothing outside, and the tests must not try.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless chromium for the test's fixture, closed after it."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
        if os.environ.get("THIDUA_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def artifact(name: str) -> Path:
    """Where a test saves a screenshot for people to look at (`test-artifacts/`, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
