"""Search and filters of the honour roll at a million honourees (the aim:
p99 under 50 ms). Not a test (pytest does not collect it): run it by hand,

    .venv/bin/python -m tests.events.bench_roll [rows]

It starts its own PostgreSQL from the wheel under a temporary directory,
applies the events service's migrations, loads `rows` honourees with COPY,
and times the roll's own queries with random filters.

    .venv/bin/python -m tests.events.bench_roll [rows] DIR               # loads the roll and keeps it in DIR
    .venv/bin/python -m tests.events.bench_roll [rows] DIR --candidates  # the ways a q= search could be read
    .venv/bin/python -m tests.events.bench_roll [rows] DIR --sql         # without the embedded index

Every listing with a q= search or a filter is timed through the embedded
index (roll/index.py), built first as the service builds it at startup;
`--sql` times PostgreSQL instead (roll/search.py: the trigram indexes and the
filters' ordered indexes), as the service reads it until its index is built.
A kept roll gets the service's new migrations when it starts (timed).

`--candidates` compares, on the random names that tests/events/random-names.lua
asks, the ways a q= search could be read (docs/architecture.md, "Searching the
roll"); it adds to the kept roll what the candidates need (an array column of
the folded words, its GIN, a covering index), so keep a roll for it alone.
(The word table of migrations 002-003, dropped by 009, is no longer among them:
docs/architecture.md keeps its figures.)
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import asyncpg

from services.events.domain import Kind
from services.events.roll import queries
from services.events.roll.collation import sort_group, sort_key
from services.events.roll.filters import RollFilter
from services.events.roll.index import ROLL_INDEX, ensure_built
from services.events.service import SERVICE
from shared import db
from shared.text import fold
from thidua import devstack

FAMILIES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đào",
    "Đinh",
    "Lương",
    "Tạ",
]
MIDDLES = [
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Thanh",
    "Ngọc",
    "Quốc",
    "Xuân",
    "Thu",
    "Hồng",
    "Kim",
    "Công",
    "Đình",
    "Bảo",
    "Gia",
    "Khánh",
    "Phương",
    "Anh",
    "Tuấn",
]
GIVENS = [
    "An",
    "Anh",
    "Ánh",
    "Bảo",
    "Bình",
    "Chi",
    "Cường",
    "Dũng",
    "Dung",
    "Duy",
    "Đạt",
    "Điệp",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiền",
    "Hiếu",
    "Hoa",
    "Hòa",
    "Hùng",
    "Hương",
    "Huy",
    "Khang",
    "Khánh",
    "Khoa",
    "Lan",
    "Linh",
    "Loan",
    "Long",
    "Mai",
    "Minh",
    "My",
    "Nam",
    "Nga",
    "Ngân",
    "Nghĩa",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phong",
    "Phúc",
    "Phương",
    "Quân",
    "Quang",
    "Quyên",
    "Sơn",
    "Tâm",
    "Thắng",
    "Thảo",
    "Thịnh",
    "Thu",
    "Thủy",
    "Tiến",
    "Trang",
    "Trí",
    "Trung",
    "Tú",
    "Tuấn",
    "Uyên",
    "Vân",
    "Việt",
    "Vinh",
    "Xuân",
    "Yến",
]


async def load(conn: asyncpg.Connection, rows: int) -> dict:
    rng = random.Random(1)
    campaigns = [(uuid.uuid4(), f"Phong trào thi đua số {i}", 2015 + i % 11) for i in range(200)]
    categories = {c[0]: (uuid.uuid4(), uuid.uuid4()) for c in campaigns}
    await conn.copy_records_to_table(
        "campaigns",
        columns=["id", "code", "name", "year", "organizer_unit_id", "status", "categories", "version"],
        records=[
            (cid, f"C{i}", name, year, uuid.uuid4(), "open", "[]", 1) for i, (cid, name, year) in enumerate(campaigns)
        ],
    )
    # A tree: 10 districts, 50 communes each, 10 organisations each.
    units: list[tuple[uuid.UUID, str, str, str, uuid.UUID | None, str, int]] = []
    districts = []
    for d in range(10):
        did = uuid.uuid4()
        districts.append(did)
        units.append((did, f"D{d}", f"Huyện ủy {d}", "party_committee", None, did.hex, 1))
        for c in range(50):
            cid = uuid.uuid4()
            units.append((cid, f"D{d}C{c}", f"Đảng ủy xã {d}-{c}", "party_committee", did, f"{did.hex}.{cid.hex}", 1))
            for o in range(10):
                oid = uuid.uuid4()
                units.append(
                    (
                        oid,
                        f"D{d}C{c}O{o}",
                        f"Chi bộ thôn {o} xã {d}-{c}",
                        "grassroots_party_org",
                        cid,
                        f"{did.hex}.{cid.hex}.{oid.hex}",
                        1,
                    )
                )
    await conn.execute(
        "CREATE TEMP TABLE u_load (id uuid, code text, name text, kind text, parent_id uuid, path text, version int)"
    )
    await conn.copy_records_to_table("u_load", records=units)
    await conn.execute(
        "INSERT INTO units (id, code, name, kind, parent_id, path, version) "
        "SELECT id, code, name, kind, parent_id, path::ltree, version FROM u_load"
    )
    leaves = [u for u in units if u[3] == "grassroots_party_org"]
    started = time.perf_counter()
    # Loaded with COPY and the trigram indexes built once afterwards (as migration 009 builds them),
    # rather than entry by entry.
    trigram = [
        r[0]
        for r in await conn.fetch(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'honorees' AND indexdef LIKE '%gin_trgm_ops%'"
        )
    ]
    for definition in trigram:
        await conn.execute(f"DROP INDEX {definition.split()[2]}")
    batch = []
    for _ in range(rows):
        cid, cname, year = rng.choice(campaigns)
        unit = rng.choice(leaves)
        if rng.random() < 0.2:
            kind, name = "collective", unit[2]
        else:
            kind, name = "individual", f"{rng.choice(FAMILIES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"
        cat = categories[cid][0 if kind == "collective" else 1]
        batch.append(
            (
                uuid.uuid4(),
                1,
                "granted",
                kind,
                name,
                unit[0],
                unit[2],
                cid,
                cname,
                year,
                cat,
                "Tập thể tiêu biểu" if kind == "collective" else "Cá nhân tiêu biểu",
                "Bằng khen",
                f"{rng.randint(1, 9999)}/QĐ-UBND",
                date(year, 5, 1),
                sort_group(kind),
                sort_key(name, kind),
            )
        )
        if len(batch) == 50_000:
            await _copy(conn, batch)
            batch = []
    if batch:
        await _copy(conn, batch)
    print(f"loaded {rows} honourees in {time.perf_counter() - started:.1f} s")
    # A held ceremony that presented the honourees of five campaigns.
    await conn.execute(
        """INSERT INTO ceremonies (id, title, held_on, venue, host_unit_id, campaign_ids, status, created_by)
           VALUES ($1, 'Lễ tuyên dương', '2025-01-01', 'Hội trường tỉnh', $2, $3, 'held', $2)""",
        uuid.uuid4(),
        districts[0],
        [c[0] for c in campaigns[:5]],
    )
    await conn.execute(
        "UPDATE honorees h SET ceremony_id = c.id FROM ceremonies c WHERE h.campaign_id = ANY(c.campaign_ids)"
    )
    started = time.perf_counter()
    for definition in trigram:
        await conn.execute(definition)
    print(f"built the trigram indexes in {time.perf_counter() - started:.1f} s")
    await conn.execute("VACUUM ANALYZE")
    return await world_of(conn)


async def print_sizes(conn: asyncpg.Connection) -> None:
    """The honorees table (heap; with its indexes) and its trigram indexes, in MB."""
    sizes = await conn.fetchrow(
        """SELECT pg_relation_size('honorees') AS heap, pg_total_relation_size('honorees') AS total,
                  (SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index i
                   JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_opclass o ON o.oid = i.indclass[0]
                   WHERE i.indrelid = 'honorees'::regclass AND o.opcname = 'gin_trgm_ops') AS trigram,
                  to_regclass('roll_words') IS NOT NULL AS word_table"""
    )
    mb = lambda n: f"{n / 2**20:,.0f} MB"  # noqa: E731
    print(
        f"honorees {mb(sizes['heap'])} (with its indexes {mb(sizes['total'])}); its trigram indexes "
        f"{mb(sizes['trigram'])}; the word table {'still there' if sizes['word_table'] else 'gone'}"
    )


async def world_of(conn: asyncpg.Connection) -> dict:
    return {
        "campaigns": [tuple(r) for r in await conn.fetch("SELECT id, name, year FROM campaigns")],
        "districts": [r[0] for r in await conn.fetch("SELECT id FROM units WHERE parent_id IS NULL")],
        "communes": [r[0] for r in await conn.fetch("SELECT id FROM units WHERE nlevel(path) = 2")],
        "categories": [r[0] for r in await conn.fetch("SELECT DISTINCT category_id FROM honorees")],
        "ceremony": await conn.fetchval("SELECT id FROM ceremonies LIMIT 1"),
    }


async def _copy(conn: asyncpg.Connection, batch: list[tuple]) -> None:
    await conn.copy_records_to_table(
        "honorees",
        columns=[
            "award_id",
            "version",
            "status",
            "kind",
            "name",
            "unit_id",
            "unit_name",
            "campaign_id",
            "campaign_name",
            "year",
            "category_id",
            "category_name",
            "form",
            "decision_number",
            "decision_date",
            "sort_group",
            "sort_key",
        ],
        records=batch,
    )


def _rss() -> int:
    """This process's resident memory, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def timed(pool: asyncpg.Pool, label: str, make, runs: int = 100) -> None:
    times = []
    for i in range(runs):
        f, after = make(i)
        started = time.perf_counter()
        await queries.list_honorees(pool, f, after, 51)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{label:42s} p50 {statistics.median(times):6.1f} ms   p99 {p99:6.1f} ms   max {times[-1]:6.1f} ms")


async def main(rows: int, keep: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="thidua-bench-") as tmp:
        pg = devstack.LocalPostgres(Path(keep or tmp) / "pg", preferred_port=None)
        pg.start()
        try:
            url = pg.url.rsplit("/", 1)[0] + "/thidua_bench_events"
            started = time.perf_counter()
            applied = await db.prepare_database(pg.url, url, SERVICE.migrations)
            if applied:
                print(f"applied {', '.join(applied)} in {time.perf_counter() - started:.1f} s")
            conn = await asyncpg.connect(url)
            if keep and await conn.fetchval("SELECT count(*) FROM honorees") == rows:
                world = await world_of(conn)
            else:
                world = await load(conn, rows)
            await print_sizes(conn)
            await conn.close()
            pool = await db.create_pool(url, 2, 4)
            if "--sql" not in sys.argv:
                # The embedded index, as each events worker builds it at startup (roll/index.py).
                rss = _rss()
                await ensure_built(pool)
                index = ROLL_INDEX.index
                print(
                    f"built the embedded index of {len(index.keys)} honourees, {len(index.postings)} words in "
                    f"{index.built_in:.1f} s; it holds about {index.memory() / 2**20:.0f} MB "
                    f"(the process grew by {(_rss() - rss) / 2**20:.0f} MB)"
                )
            rng = random.Random(2)
            mid = await queries.list_honorees(pool, RollFilter(), None, 1)
            F = RollFilter
            await timed(pool, "first page, no filter", lambda i: (F(), None))
            await timed(pool, "campaign", lambda i: (F(campaign_id=rng.choice(world["campaigns"])[0]), None))
            await timed(pool, "year", lambda i: (F(year=rng.randint(2015, 2025)), None))
            await timed(pool, "kind collective", lambda i: (F(kind=Kind.COLLECTIVE), None))
            await timed(
                pool, "unit: a district's subtree (~100k)", lambda i: (F(unit_id=rng.choice(world["districts"])), None)
            )
            await timed(
                pool, "unit: a commune's subtree (~2k)", lambda i: (F(unit_id=rng.choice(world["communes"])), None)
            )
            given = lambda: fold(rng.choice(GIVENS))  # noqa: E731
            letter = lambda: rng.choice("abcdeghiklmnopqrstuvxy")  # noqa: E731
            await timed(
                pool,
                "q: a common full name",
                lambda i: (
                    F(words=tuple(fold(f"{rng.choice(FAMILIES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}").split())),
                    None,
                ),
            )
            await timed(
                pool, "q: family and given name", lambda i: (F(words=(fold(rng.choice(FAMILIES)), given())), None)
            )
            await timed(pool, "q: one given name", lambda i: (F(words=(given(),)), None))
            await timed(pool, "q: one letter", lambda i: (F(words=(letter(),)), None))
            await timed(pool, "q: two letters", lambda i: (F(words=(given()[:2],)), None))
            await timed(
                pool,
                "q: three letters inside a word",
                lambda i: (F(words=(rng.choice(["ang", "uye", "inh", "ong", "anh", "uon"]),)), None),
            )
            await timed(
                pool,
                "q: a word of the unit names",
                lambda i: (F(words=(rng.choice(["thon", "xa", "chi", "dang", "huyen"]),)), None),
            )
            await timed(pool, "q: two letters of two words", lambda i: (F(words=(letter(), letter())), None))
            await timed(pool, "q: no match", lambda i: (F(words=(f"zz{i}qx",)), None))
            await timed(pool, "q + year", lambda i: (F(year=rng.randint(2015, 2025), words=(given(),)), None))
            await timed(
                pool,
                "q + campaign",
                lambda i: (F(campaign_id=rng.choice(world["campaigns"])[0], words=(given(),)), None),
            )
            await timed(
                pool, "q + category", lambda i: (F(category_id=rng.choice(world["categories"]), words=(given(),)), None)
            )
            await timed(pool, "q + ceremony", lambda i: (F(ceremony_id=world["ceremony"], words=(given(),)), None))
            await timed(pool, "q + kind", lambda i: (F(kind=rng.choice(list(Kind)), words=(given(),)), None))
            await timed(
                pool,
                "q + a district's subtree",
                lambda i: (F(unit_id=rng.choice(world["districts"]), words=(given(),)), None),
            )
            await timed(
                pool,
                "q + a commune's subtree",
                lambda i: (F(unit_id=rng.choice(world["communes"]), words=(given(),)), None),
            )
            await timed(pool, "one letter + year", lambda i: (F(year=rng.randint(2015, 2025), words=(letter(),)), None))
            await timed(
                pool,
                "one letter + campaign",
                lambda i: (F(campaign_id=rng.choice(world["campaigns"])[0], words=(letter(),)), None),
            )
            await timed(
                pool,
                "one letter + district",
                lambda i: (F(unit_id=rng.choice(world["districts"]), words=(letter(),)), None),
            )
            await timed(
                pool,
                "one letter + year + district",
                lambda i: (
                    F(year=rng.randint(2015, 2025), unit_id=rng.choice(world["districts"]), words=(letter(),)),
                    None,
                ),
            )
            await timed(
                pool,
                "q + year + kind individual",
                lambda i: (F(year=rng.randint(2015, 2025), kind=Kind.INDIVIDUAL, words=(given(),)), None),
            )
            pages: dict[int, tuple] = {}

            async def next_page(i: int) -> None:
                f = F(words=(given(),))
                pages[i] = (f, (await queries.list_honorees(pool, f, None, 51))[-1][1])

            for i in range(100):
                await next_page(i)
            await timed(pool, "q: one given name, second page (cursor)", lambda i: pages[i])
            deep = mid[0][1]
            await timed(pool, "a page deep in the roll (cursor)", lambda i: (F(), (1, deep[1][: 3 + i % 3], deep[2])))
            started = time.perf_counter()
            await queries.stats(pool, F(year=2020))
            print(f"{'stats of a year (cached afterwards)':42s} {(time.perf_counter() - started) * 1000:6.1f} ms")
            await pool.close()
        finally:
            pg.stop()


# ------------------------------------------------------------ candidates
# `--candidates`: the ways a q= search could be read, timed on the same random
# names that ../shared/bench/random-names.lua asks (tests/events/random-names.lua),
# one statement each, with the size of the index each needs.
RANDOM_F = [fold(n) for n in FAMILIES]
RANDOM_M = [fold(n) for n in MIDDLES]
RANDOM_G = [fold(n) for n in GIVENS]


def random_name(rng: random.Random) -> tuple[str, ...]:
    r = rng.randrange(3)
    if r == 0:
        return (rng.choice(RANDOM_G),)
    if r == 1:
        return (rng.choice(RANDOM_F), rng.choice(RANDOM_G))
    return tuple(dict.fromkeys((rng.choice(RANDOM_F), rng.choice(RANDOM_M), rng.choice(RANDOM_G))))


Way = Callable[[tuple[str, ...], int], Awaitable[None]]


async def candidates(url: str) -> None:
    from services.events.roll.filters import ORDER, ROLL_COLUMNS, where

    conn = await asyncpg.connect(url)
    if not await conn.fetchval(
        "SELECT true FROM pg_attribute WHERE attrelid = 'honorees'::regclass AND attname = 'tokens'"
    ):
        started = time.perf_counter()
        await conn.execute(
            "ALTER TABLE honorees ADD COLUMN tokens text[] GENERATED ALWAYS AS (string_to_array(fold(coalesce(name, '') || ' ' || coalesce(unit_name, '')), ' ')) STORED"
        )
        await conn.execute("CREATE INDEX honorees_tokens ON honorees USING gin (tokens) WHERE status = 'granted'")
        await conn.execute("VACUUM ANALYZE honorees")
        print(f"built the tokens column and its GIN in {time.perf_counter() - started:.1f} s")
    if not await conn.fetchval("SELECT to_regclass('honorees_walk') IS NOT NULL"):
        started = time.perf_counter()
        await conn.execute(
            """CREATE INDEX honorees_walk ON honorees (sort_group, sort_key, award_id)
               INCLUDE (search, year, campaign_id, category_id, ceremony_id, unit_id) WHERE status = 'granted'"""
        )
        await conn.execute("VACUUM ANALYZE honorees")
        print(f"built the covering walk index in {time.perf_counter() - started:.1f} s")
    sizes = await conn.fetchrow(
        """SELECT pg_relation_size('honorees') AS heap, pg_total_relation_size('honorees') AS total,
                  pg_relation_size('honorees_search_collective') + pg_relation_size('honorees_search_individual')
                      AS trgm,
                  pg_relation_size('honorees_tokens') AS tokens, pg_relation_size('honorees_walk') AS walk"""
    )
    mb = lambda n: f"{n / 2**20:.0f} MB"  # noqa: E731
    print(
        f"honorees heap {mb(sizes['heap'])} (with its indexes {mb(sizes['total'])}); "
        f"trigram GINs on search {mb(sizes['trgm'])}; GIN on tokens {mb(sizes['tokens'])}; "
        f"covering walk index {mb(sizes['walk'])}"
    )
    await conn.close()
    pool = await db.create_pool(url, 2, 4)
    page = f"SELECT {ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id {ORDER} LIMIT"

    def walk(words: tuple[str, ...], limit: int) -> tuple[str, list]:
        args: list = []
        cond = where(RollFilter(words=words), args, None, search="(h.search || '')")
        return (
            f"SELECT {ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id "
            f"WHERE {cond} {ORDER} LIMIT {limit}",
            args,
        )

    # The dictionary of the roll's words, held in the process (as an embedded index would).
    vocabulary = [
        r[0] for r in await pool.fetch("SELECT DISTINCT t FROM honorees, unnest(tokens) t WHERE status = 'granted'")
    ]

    def tokens_sort(words: tuple[str, ...], limit: int) -> tuple[str, list]:
        from services.events.domain import word_matches

        args = [[t for t in vocabulary if word_matches(w, t)] for w in words]
        conds = " AND ".join(f"h.tokens && ${i + 1}::text[]" for i in range(len(args)))
        return (
            f"WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE h.status = 'granted' AND {conds}) {page} {limit}",
            args,
        )

    def walk_covering(words: tuple[str, ...], limit: int) -> tuple[str, list]:
        args: list = []
        cond = where(RollFilter(words=words), args, None)
        return (
            f"""WITH m AS MATERIALIZED (SELECT h.award_id FROM honorees h WHERE {cond}
                                        ORDER BY h.sort_group, h.sort_key, h.award_id LIMIT {limit})
                SELECT {ROLL_COLUMNS} FROM m JOIN honorees h ON h.award_id = m.award_id
                LEFT JOIN ceremonies c ON c.id = h.ceremony_id {ORDER}""",
            args,
        )

    def through(plan: str) -> Way:
        async def run(words: tuple[str, ...], limit: int) -> None:
            await queries.list_honorees(pool, RollFilter(words=words), None, limit, plan=plan)

        return run

    # An embedded index: the roll's words' honourees, as positions in the roll's
    # order, held in the process (each query word's positions kept once asked).
    started = time.perf_counter()
    rows = await pool.fetch(
        "SELECT award_id, search FROM honorees WHERE status = 'granted' ORDER BY sort_group, sort_key, award_id"
    )
    ids = [r["award_id"] for r in rows]
    postings: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        for t in set(r["search"].split()):
            postings.setdefault(t, []).append(i)
    del rows
    vocab = list(postings)
    asked: dict[str, tuple[list[int], set[int]]] = {}
    print(
        f"built the embedded index of {len(ids)} honourees, {len(vocab)} words in {time.perf_counter() - started:.1f} s"
    )

    def positions(w: str) -> tuple[list[int], set[int]]:
        from services.events.domain import word_matches

        hit = asked.get(w)
        if hit is None:
            tokens = [t for t in vocab if word_matches(w, t)]
            found = postings[tokens[0]] if len(tokens) == 1 else sorted(set().union(*(postings[t] for t in tokens)))
            hit = asked[w] = (found, set(found))
        return hit

    async def embedded(words: tuple[str, ...], limit: int) -> None:
        lists = sorted((positions(w) for w in words), key=lambda h: len(h[0]))
        rest = [h[1] for h in lists[1:]]
        page = []
        for p in lists[0][0]:
            if all(p in other for other in rest):
                page.append(ids[p])
                if len(page) == limit:
                    break
        await pool.fetch(
            f"SELECT {ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id "
            f"WHERE h.award_id = ANY($1::uuid[]) {ORDER}",
            page,
        )

    def one_statement(make: Callable[[tuple[str, ...], int], tuple[str, list]]) -> Way:
        async def run(words: tuple[str, ...], limit: int) -> None:
            sql, args = make(words, limit)
            await pool.fetch(sql, *args)

        return run

    ways: dict[str, Way] = {
        "embedded index + one fetch": embedded,
        "search.py: walk, then sort": through("sql"),
        "search.py: trigram GINs, sorted": through("sort"),
        "tokens GIN, sorted": one_statement(tokens_sort),
        "walk in order": one_statement(walk),
        "walk, index-only": one_statement(walk_covering),
    }
    for label, make in ways.items():
        rng = random.Random(5)
        times = []
        per: dict[int, list[float]] = {1: [], 2: [], 3: []}
        for _ in range(300):
            words, limit = random_name(rng), 20 + rng.randrange(30)
            started = time.perf_counter()
            await make(words, limit)
            times.append((time.perf_counter() - started) * 1000)
            per[len(words)].append(times[-1])
        times.sort()
        print(
            f"random names, {label:28s} p50 {statistics.median(times):6.2f} ms   p99 {times[296]:6.2f} ms   "
            f"mean {statistics.fmean(times):6.2f} ms   (mean by words: "
            + ", ".join(f"{n}: {statistics.fmean(t):.2f}" for n, t in per.items() if t)
            + ")"
        )
    await pool.close()


async def main_candidates(rows: int, keep: str) -> None:
    pg = devstack.LocalPostgres(Path(keep) / "pg", preferred_port=None)
    pg.start()
    try:
        url = pg.url.rsplit("/", 1)[0] + "/thidua_bench_events"
        await candidates(url)
    finally:
        pg.stop()


if __name__ == "__main__" and "--candidates" in sys.argv:
    sys.argv.remove("--candidates")
    asyncio.run(main_candidates(int(sys.argv[1]), sys.argv[2]))
elif __name__ == "__main__":
    # [rows] [a directory to keep the loaded database in, for the next run] [--sql]
    given = [a for a in sys.argv[1:] if a != "--sql"]
    asyncio.run(main(int(given[0]) if given else 1_000_000, given[1] if len(given) > 1 else None))
