"""The Bình Thuận 2014 scenario, the product's demo data, loaded through the services' HTTP APIs.

`make run` calls `load_demo` once the services are ready. Without the
province's unit (code TU-BT) it loads the whole scenario; with it, it checks
(through public calls) whether an earlier load got to its last step, the held
ceremony, and if so does nothing; otherwise it completes the load that was cut
short, creating nothing twice. See `scenario.py` for what is generated and how
it is marked as demo data, and `loader.py` for who does what.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from thidua.apiclient import ApiError

from .loader import DemoError, ScenarioResult, demo_password, load_scenario
from .scenario import build_plan

__all__ = ["DemoError", "ScenarioResult", "build_plan", "demo_password", "load_demo", "load_scenario"]


def load_demo(urls: dict[str, str], *, admin_password: str | None, out: TextIO) -> ScenarioResult | None:
    """Load the scenario (when it is not there yet) and print where to look; never stops the system."""
    print("demo data: the Bình Thuận 2014 scenario (thi đua – khen thưởng, August 2014)", file=out, flush=True)
    try:
        result = asyncio.run(load_scenario(urls, admin_password=admin_password, out=out))
    except (DemoError, ApiError) as exc:
        print(f"demo data: not loaded: {exc}", file=out, flush=True)
        return None
    if result.loaded:
        print(f"demo data: loaded in {result.elapsed:.1f} s ({result.created} things created over HTTP)", file=out)
    print_accounts(result, urls, out)
    return result


def print_accounts(result: ScenarioResult, urls: dict[str, str], out: TextIO) -> None:
    where = f"{urls['console']}/login" if "console" in urls else f"{urls['units']}/auth/token"
    lines = [f"demo accounts (sign in at {where}; password of every one: {result.password}):"]
    committee = [u for u, role, _ in result.accounts if role == "committee"]
    lines.append(f"  {', '.join(committee)}   committee: {result.accounts[0][2]}")
    for username, role, what in result.accounts:
        if role == "officer":
            lines.append(f"  {username:<20} officer of {what}")
    lines.append(f'  demo people and generated units carry "(mẫu)" in their names; honour roll: {urls["events"]}/')
    if result.directive_id:
        lines.append(
            f"  Chương trình hành động số 20-NQ/TU, its figures: {urls['events']}/directives/{result.directive_id}"
            "/implementation"
        )
    print("\n".join(lines), file=out, flush=True)
