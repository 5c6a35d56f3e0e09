"""How fast one Excel file of nominations goes in: `thidua import-nominations` with 5,000 rows.

    .venv/bin/python -m tests.awards.bench_import_nominations [--rows 5000] [--units 50] [--concurrency 16]

Starts its own stack (as the tests do: one granian worker per service), makes
`--units` units under one district and an officer of the district, writes an
.xlsx of `--rows` individual nominations (a new person each, spread over the
units), and runs the import the command runs (`thidua.office.imports`) with the
command's client. The command looks each unit's people up once, adds the
new people through `POST /people/batch` (requests of 500), then sends
the nominations through `POST /nominations/batch` (requests of 500, two at a
time), sending again only the items the awards copy does not know the person
of yet. It prints the time and rate of the whole import, and runs the same
file again to time the replay (the people found, every nomination request
answered from its Idempotency-Key). Not a test: it is not collected by
pytest. Run it while holding the benchmark lock on a shared machine:
`flock /work/helpers/bench.lock .venv/bin/python -m ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import shutil
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from tests.awards.helpers import campaign, category, units_under
from tests.support import ADMIN_PASSWORD, Api, Stack, start_stack
from thidua.apiclient import Client
from thidua.office.imports import import_nominations

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Thu", "Quốc", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hương", "Khoa", "Lan", "Long", "Mai", "Nam", "Phúc"]


def _workbook(rows: list[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = ["campaign", "category", "unit_code", "full_name", "position", "achievements"]
    sheet.append(header)
    for row in rows:
        sheet.append([row[h] for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def bench(stack: Stack, rows: int, units: int, concurrency: int, tmp: Path) -> None:
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    try:
        district = await admin.unit("Huyện ủy (bench)", kind="party_committee")
        district["code"] = (await admin.units.get(f"/units/{district['id']}")).json()["code"]
        under = await units_under(admin, district, units)
        committee = await admin.as_new("committee")
        camp = await campaign(committee, district["id"])
        cat = await category(committee, camp["id"], kind="individual", quota=rows)
        username, password = await admin.account("officer", district["id"])
        await committee.aclose()
    finally:
        await admin.aclose()
    rng = random.Random(14)
    table = [
        {
            "campaign": camp["code"],
            "category": cat["code"],
            "unit_code": under[i % units]["code"],
            "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} (mẫu {i})",
            "position": "Chuyên viên",
            "achievements": f"Hoàn thành xuất sắc nhiệm vụ năm 2025, sáng kiến số {i}.",
        }
        for i in range(rows)
    ]
    path = tmp / "nominations.xlsx"
    path.write_bytes(_workbook(table))
    urls = {name: stack.url(name) for name in ("units", "awards", "events")}
    for attempt in ("first", "again"):
        async with Client(urls, concurrency=concurrency) as client:
            token = await client.login(username, password)
            t0 = time.monotonic()
            outcomes, messages = await import_nominations(client, token, path, out=io.StringIO())
            seconds = time.monotonic() - t0
        print(
            f"{attempt:5}: {rows} rows in {seconds:6.1f} s = {rows / seconds:6.0f} rows/s  outcomes {dict(outcomes)}"
            + (f"  first message: {messages[0]}" if messages else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16, help="the command's calls in flight (its default)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-nominations-"))
    started: list = []
    try:
        stack, started = start_stack(tmp)
        asyncio.run(bench(stack, args.rows, args.units, args.concurrency, tmp))
    finally:
        for part in reversed(started):
            part.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
