"""The roll's embedded search index: what a q= search or a filter reads, held in each process.

Each granted honouree has a rank, a number that orders it as the roll does
((sort_group, sort_key, award_id)), with room left between neighbours so that
a grant takes a rank between two others without moving them. Each folded word
of the roll (a word of `honorees.search`) keeps its honourees' ranks in a
sorted array; the filters (kind, year, campaign, category, ceremony, unit) are
arrays beside the ranks, in the roll's order, and so are each honouree's
initials (a bit per first character of its words), which answer a q= word of
one letter or digit without its words' arrays. A page is then found in memory,
in the roll's order, after its cursor, and its rows are read from `honorees`
by key in one statement, which also returns the roll's version: when the
roll moved on meanwhile, the index catches up and the page is found again.

It is kept current from the table itself, not from the events: every row
written carries the transaction that wrote it (`honorees.changed_in`,
migration 007), and catching up reads the rows written by the transactions
that had not finished when the index last read the roll. A delete (a rebuild)
counts a reload (`roll_state.reloads`), and the index is read again whole, as
at startup. Nothing of it is in PostgreSQL but that column and its index.

The rule it answers by is the roll's (domain.word_matches): a q= word of 3+
letters matches a word that contains it, a shorter one a word that starts
with it; every word must match; the filters as filters.where states them.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import logging
import os
import time
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from shared import db, metrics
from shared.state import ServiceState

from ..domain import word_matches
from ..schemas import CampaignRef, CategoryRef
from .cache import ROLL
from .collation import sort_group
from .filters import ROLL_COLUMNS, RollFilter, RollKey, Subtree
from .schemas import CeremonyRef, Honoree

log = logging.getLogger(__name__)

GAP = 1 << 20  # the room between two neighbours' ranks after a (re)numbering
_NONE = -1  # the code of a missing id
_LOAD_BATCH = 20_000
_FIRST_CHUNK = 64  # candidates read at first per word's range; grows fourfold while a page is short
_SCAN_CHUNK = 16_384  # positions of the roll scanned at first when only filters are asked
# A word of one letter or digit matches the words that start with it: each honouree's initials (the first
# characters of its words) answer it as one bit, `_INITIAL[char]`; a word starting with another character
# sets the last bit, which no q= word asks.
_INITIAL = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz0123456789")}
_OTHER_INITIAL = 63
# How much more a candidate costs when the rarest word's honourees are walked (merged, placed in the roll,
# checked: 25-250 ns) than a position does when the roll is scanned through the initials and the filters
# (about 1 ns; the whole of a million in about 1 ms). Measured at a million honourees.
_WALK_COST = 128

# A row as the index reads it: its order key made in PostgreSQL (order_key), ids as text.
_COLUMNS = """set_byte('\\x00'::bytea, 0, sort_group) || convert_to(sort_key, 'UTF8') || '\\x00'::bytea
                  || uuid_send(award_id) AS key,
              search, coalesce(year, 0) AS year, campaign_id::text, category_id::text, ceremony_id::text,
              unit_id::text, sort_group"""


def _roll_key(key: bytes) -> RollKey:
    """The keyset key of an order key (order_key's inverse)."""
    return key[0], key[1:-17].decode(), uuid.UUID(bytes=key[-16:])


def order_key(group: int, key: str, award_id: uuid.UUID) -> bytes:
    """The roll's order as bytes: compared bytewise as PostgreSQL compares (sort_group, sort_key COLLATE "C",
    award_id) (sort_key holds no NUL, and NUL is below every other byte)."""
    return bytes((group,)) + key.encode() + b"\x00" + award_id.bytes


def _tokens(search: str | None) -> set[str]:
    """The words of a folded `search` text (split on spaces, as the SQL search's LIKE patterns see them)."""
    return {t for t in (search or "").split(" ") if t}


def _initials(tokens: Iterable[str]) -> int:
    """The bits of the first characters of a row's words (_INITIAL)."""
    bits = 0
    for t in tokens:
        bits |= 1 << _INITIAL.get(t[0], _OTHER_INITIAL)
    return bits


def _union(parts: list[np.ndarray]) -> np.ndarray:
    """The ranks of sorted arrays, sorted, each once: a stable sort merges the sorted runs (np.unique hashes
    and then sorts, several times slower here)."""
    ranks = np.sort(np.concatenate(parts), kind="stable")
    return ranks[np.concatenate(([True], ranks[1:] != ranks[:-1]))]


def _low(award: bytes) -> int:
    return int.from_bytes(award[8:16], "little")


class _Codes:
    """Ids (campaigns, categories, ceremonies, units; as text) as small integers, none as -1."""

    def __init__(self) -> None:
        self.of: dict[str | None, int] = {None: _NONE}

    def code(self, value: str | None) -> int:
        found = self.of.get(value)
        if found is None:
            found = self.of[value] = len(self.of) - 1
        return found

    def find(self, value: uuid.UUID) -> int:
        return self.of.get(str(value), -2)


@dataclass(frozen=True, slots=True)
class _Row:
    award: bytes
    key: bytes
    text: str
    tokens: set[str]
    group: int
    year: int
    campaign: int
    category: int
    ceremony: int
    unit: int


class RollIndex:
    def __init__(self) -> None:
        self.epoch = ""
        self.reloads = -1
        self.version = -1
        self.watermark = 0  # rows written by transactions from this id on may be newer than the index
        self.ready = False
        self.keys: list[bytes] = []
        self.rank = np.zeros(0, np.int64)
        self.low = np.zeros(0, np.uint64)
        self.text_hash = np.zeros(0, np.int64)
        self.group = np.zeros(0, np.int8)
        self.year = np.zeros(0, np.int16)
        self.campaign = np.zeros(0, np.int32)
        self.category = np.zeros(0, np.int32)
        self.ceremony = np.zeros(0, np.int32)
        self.unit = np.zeros(0, np.int32)
        self.initials = np.zeros(0, np.uint64)  # per honouree, its words' first characters (_initials)
        self.postings: dict[str, np.ndarray] = {}
        self.campaigns = _Codes()
        self.categories = _Codes()
        self.ceremonies = _Codes()
        self.units = _Codes()
        self._matches: dict[str, tuple[str, ...]] = {}
        self._counts: dict[str, np.ndarray] = {}  # per filter's column, how many have each value (_count)
        self._lock = asyncio.Lock()
        self.built_in = 0.0
        self.caught_up = 0

    # ------------------------------------------------------------ reading
    def _codes(self) -> tuple[_Codes, _Codes, _Codes, _Codes]:
        return self.campaigns, self.categories, self.ceremonies, self.units

    @staticmethod
    def _row(r: asyncpg.Record, codes: tuple[_Codes, _Codes, _Codes, _Codes]) -> _Row:
        campaigns, categories, ceremonies, units = codes
        key = r["key"]
        text = r["search"] or ""
        return _Row(
            award=key[-16:],
            key=key,
            text=text,
            tokens=_tokens(text),
            group=r["sort_group"],
            year=r["year"],
            campaign=campaigns.code(r["campaign_id"]),
            category=categories.code(r["category_id"]),
            ceremony=ceremonies.code(r["ceremony_id"]),
            unit=units.code(r["unit_id"]),
        )

    async def _state(self, conn: asyncpg.Connection) -> asyncpg.Record:
        return await conn.fetchrow(
            """SELECT epoch, version, reloads, pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin
               FROM roll_state"""
        )

    async def load(self, conn: asyncpg.Connection) -> None:
        """The whole roll, read at one snapshot (at startup, and after a delete)."""
        started = time.perf_counter()
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            state = await self._state(conn)
            keys: list[bytes] = []
            awards = bytearray()
            # Typed arrays, not lists: a list of a million ints holds a million int objects.
            hashes = array("q")
            groups = array("b")
            years = array("h")
            columns = (array("i"), array("i"), array("i"), array("i"))
            postings: dict[str, array[int]] = {}
            codes = (_Codes(), _Codes(), _Codes(), _Codes())  # the old ones serve searches meanwhile
            cursor = await conn.cursor(
                f"""SELECT {_COLUMNS} FROM honorees WHERE status = 'granted'
                    ORDER BY sort_group, sort_key, award_id"""
            )
            rank = 0
            while rows := await cursor.fetch(_LOAD_BATCH):
                for key, text, year, *ids, group in rows:
                    keys.append(key)
                    awards += key[-16:]
                    text = text or ""
                    hashes.append(hash(text))
                    groups.append(group)
                    years.append(year)
                    for column, of, value in zip(columns, codes, ids, strict=True):
                        code = of.of.get(value)
                        column.append(of.code(value) if code is None else code)
                    for t in set(text.split(" ")):
                        found = postings.get(t)
                        if found is None:
                            if t:
                                postings[t] = array("q", (rank,))
                        else:
                            found.append(rank)
                    rank += GAP
        self.keys = keys
        self.rank = np.arange(len(keys), dtype=np.int64) * GAP
        self.low = np.frombuffer(bytes(awards), dtype="<u8").reshape(-1, 2)[:, 1].astype(np.uint64)
        self.text_hash = np.frombuffer(hashes, dtype=np.int64).copy()
        self.group = np.frombuffer(groups, dtype=np.int8).copy()
        self.year = np.frombuffer(years, dtype=np.int16).copy()
        self.campaign, self.category, self.ceremony, self.unit = (
            np.frombuffer(c, dtype=np.int32).copy() for c in columns
        )
        self.postings = {t: np.frombuffer(p, dtype=np.int64).copy() for t, p in postings.items()}
        self._fill_initials()
        self._matches = {}
        self._counts = {}
        self.campaigns, self.categories, self.ceremonies, self.units = codes
        self.epoch, self.reloads, self.version = state["epoch"], int(state["reloads"]), int(state["version"])
        self.watermark = int(state["xmin"])
        self.ready = True
        # What is alive now lives as long as the process: the collector need not walk it again. A full
        # collection otherwise walks the million keys' list, tens of milliseconds at a million honourees.
        gc.collect()
        gc.freeze()
        self.built_in = time.perf_counter() - started

    async def catch_up(self, conn: asyncpg.Connection) -> None:
        """Every change of the roll committed by now, applied; the whole roll read again after a delete."""
        async with self._lock:
            rows: list[asyncpg.Record] | None = None
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                state = await self._state(conn)
                if state["epoch"] == self.epoch and int(state["reloads"]) == self.reloads:
                    if int(state["version"]) == self.version:
                        return
                    rows = await conn.fetch(
                        f"""SELECT {_COLUMNS}, status, uuid_send(award_id) AS award FROM honorees
                            WHERE changed_in >= $1::text::xid8""",
                        str(self.watermark),
                    )
            if rows is None:
                await self.load(conn)
                return
            self._apply(rows)
            self.version, self.watermark = int(state["version"]), int(state["xmin"])
            self.caught_up += len(rows)

    # ---------------------------------------------------------- changing
    def _apply(self, rows: Sequence[asyncpg.Record]) -> None:
        """The rows' current states in place of what the index held of them (no await: atomic for readers)."""
        if not rows:
            return
        self._counts = {}
        changed = [(bytes(r["award"]), r) for r in rows]
        lows = np.array([_low(a) for a, _ in changed], dtype=np.uint64)
        maybe = np.flatnonzero(np.isin(self.low, lows))
        held = {self.keys[p][-16:]: int(p) for p in maybe}
        gone: list[int] = []
        added: list[_Row] = []
        for award, r in changed:
            p = held.get(award)
            granted = r["status"] == "granted"
            row = self._row(r, self._codes()) if granted else None
            if p is not None and row is not None and self.keys[p] == row.key and self.text_hash[p] == hash(row.text):
                # The same place and words: only the filters may have changed.
                self.group[p], self.year[p] = row.group, row.year
                self.campaign[p], self.category[p] = row.campaign, row.category
                self.ceremony[p], self.unit[p] = row.ceremony, row.unit
                continue
            if p is not None:
                gone.append(p)
            if row is not None:
                added.append(row)
        if gone:
            self._remove(sorted(gone))
        if added:
            self._insert(sorted(added, key=lambda row: row.key))

    def _arrays(self) -> list[str]:
        return ["rank", "low", "text_hash", "group", "year", "campaign", "category", "ceremony", "unit", "initials"]

    def _fill_initials(self) -> None:
        """Each honouree's initials, from the words' postings (at a load: a rank is its position times GAP)."""
        initials = np.zeros(len(self.rank), dtype=np.uint64)
        for token, posting in self.postings.items():
            initials[posting // GAP] |= np.uint64(1 << _INITIAL.get(token[0], _OTHER_INITIAL))
        self.initials = initials

    def _remove(self, positions: list[int]) -> None:
        ranks = self.rank[positions]
        for token, posting in self.postings.items():
            if not len(posting):
                continue
            at = np.searchsorted(posting, ranks)
            inside = at < len(posting)
            hit = at[inside][posting[at[inside]] == ranks[inside]]
            if len(hit):
                self.postings[token] = np.delete(posting, hit)
        for name in self._arrays():
            setattr(self, name, np.delete(getattr(self, name), positions))
        if len(positions) < 64:
            for p in reversed(positions):
                del self.keys[p]
        else:
            drop = set(positions)
            self.keys = [k for i, k in enumerate(self.keys) if i not in drop]

    def _insert(self, rows: list[_Row]) -> None:
        """Rows not on the index, in the roll's order."""
        at = [bisect.bisect_left(self.keys, row.key) for row in rows]
        ranks = self._ranks(at)
        if ranks is None:
            self._renumber()
            ranks = self._ranks(at)
            assert ranks is not None
        where = np.array(at, dtype=np.int64)
        values: dict[str, Any] = {
            "rank": ranks,
            "low": np.array([_low(r.award) for r in rows], dtype=np.uint64),
            "text_hash": np.array([hash(r.text) for r in rows], dtype=np.int64),
            "group": np.array([r.group for r in rows], dtype=np.int8),
            "year": np.array([r.year for r in rows], dtype=np.int16),
            "campaign": np.array([r.campaign for r in rows], dtype=np.int32),
            "category": np.array([r.category for r in rows], dtype=np.int32),
            "ceremony": np.array([r.ceremony for r in rows], dtype=np.int32),
            "unit": np.array([r.unit for r in rows], dtype=np.int32),
            "initials": np.array([_initials(r.tokens) for r in rows], dtype=np.uint64),
        }
        for name in self._arrays():
            setattr(self, name, np.insert(getattr(self, name), where, values[name]))
        if len(rows) < 64:
            for i, row in zip(reversed(at), reversed(rows), strict=True):
                self.keys.insert(i, row.key)
        else:
            self.keys.extend(row.key for row in rows)
            self.keys.sort()
        per_token: dict[str, list[int]] = {}
        for rank, row in zip(ranks.tolist(), rows, strict=True):
            for t in row.tokens:
                per_token.setdefault(t, []).append(rank)
        for token, new in per_token.items():
            posting = self.postings.get(token)
            if posting is None:
                self.postings[token] = np.array(sorted(new), dtype=np.int64)
                self._matches = {}  # a new word: what each q= word matches may grow
            else:
                self.postings[token] = np.sort(np.concatenate([posting, np.array(new, dtype=np.int64)]))

    def _ranks(self, at: list[int]) -> np.ndarray | None:
        """Ranks for rows inserted before the positions `at` (ascending), or None when a gap is too narrow."""
        out = np.empty(len(at), dtype=np.int64)
        n = len(self.rank)
        i = 0
        while i < len(at):
            j = i
            while j < len(at) and at[j] == at[i]:
                j += 1
            m = j - i
            p = at[i]
            low = int(self.rank[p - 1]) if p > 0 else (int(self.rank[0]) if n else 0) - GAP * (m + 1)
            high = int(self.rank[p]) if p < n else low + GAP * (m + 1)
            if high - low <= m:
                return None
            for k in range(m):
                out[i + k] = low + (high - low) * (k + 1) // (m + 1)
            i = j
        return out

    def _renumber(self) -> None:
        """Every rank spread out again (when two neighbours left no room between them)."""
        old = self.rank
        self.rank = np.arange(len(old), dtype=np.int64) * GAP
        for token, posting in self.postings.items():
            self.postings[token] = np.searchsorted(old, posting).astype(np.int64) * GAP

    # ------------------------------------------------------------ finding
    def _matching(self, word: str) -> tuple[str, ...]:
        found = self._matches.get(word)
        if found is None:
            if len(self._matches) > 4096:
                self._matches = {}
            found = self._matches[word] = tuple(t for t in self.postings if word_matches(word, t))
        return found

    def _count(self, name: str) -> np.ndarray:
        """How many honourees have each value of a filter's column (its codes shifted by one: -1 first)."""
        found = self._counts.get(name)
        if found is None:
            found = self._counts[name] = np.bincount(getattr(self, name).astype(np.int64) + 1)
        return found

    def _estimate(self, f: RollFilter, units: np.ndarray | None) -> int:
        """At most how many honourees the filters leave (the fewest any one of them leaves), without a scan."""
        fewest = len(self.keys)

        def at_most(counts: np.ndarray, value: int) -> None:
            nonlocal fewest
            fewest = min(fewest, int(counts[value + 1]) if 0 <= value + 1 < len(counts) else 0)

        for value, codes, name in (
            (f.campaign_id, self.campaigns, "campaign"),
            (f.category_id, self.categories, "category"),
            (f.ceremony_id, self.ceremonies, "ceremony"),
        ):
            if value is not None:
                at_most(self._count(name), codes.find(value))
        if f.year is not None:
            at_most(self._count("year"), f.year)
        if units is not None:
            counts = self._count("unit")[1:]
            size = min(len(counts), len(units) - 1)
            fewest = min(fewest, int(np.dot(counts[:size], units[:size])))
        return fewest

    def _units(self, subtree: Subtree | None) -> np.ndarray | None:
        """Which units' codes a unit filter takes (the unit and those below it), as a table by code."""
        if subtree is None:
            return None
        table = np.zeros(len(self.units.of), dtype=bool)  # the last one (-1): no unit
        table[[c for c in (self.units.find(u) for u in subtree.ids) if c >= 0]] = True
        return table

    def _filter(self, f: RollFilter, units: np.ndarray | None, positions: np.ndarray | slice) -> np.ndarray | None:
        """Which of `positions` pass the filters (None: all of them)."""
        mask: np.ndarray | None = None

        def both(m: np.ndarray) -> None:
            nonlocal mask
            mask = m if mask is None else mask & m

        for value, codes, column in (
            (f.campaign_id, self.campaigns, self.campaign),
            (f.category_id, self.categories, self.category),
            (f.ceremony_id, self.ceremonies, self.ceremony),
        ):
            if value is not None:
                both(column[positions] == codes.find(value))
        if f.year is not None:
            both(self.year[positions] == f.year)
        if f.kind is not None:
            both(self.group[positions] == sort_group(f.kind))
        if units is not None:
            both(units[self.unit[positions]])
        return mask

    @staticmethod
    def _within(ranks: np.ndarray, postings: Iterable[np.ndarray]) -> np.ndarray:
        """Which of `ranks` (ascending) are in one of `postings`: each posting's part within the ranks' span is
        searched in the ranks when it is the shorter (a given name's honourees sit together in the roll's
        order, so most of a name's words have few or none in a chunk's span), else the ranks in it."""
        found = np.zeros(len(ranks), dtype=bool)
        if not len(ranks):
            return found
        first, last = ranks[0], ranks[-1]
        for posting in postings:
            part = posting[int(np.searchsorted(posting, first)) : int(np.searchsorted(posting, last, side="right"))]
            if not len(part):
                continue
            if len(part) < len(ranks):
                at = np.searchsorted(ranks, part)  # within the ranks: part is within their span
                found[at[ranks[at] == part]] = True
            else:
                at = np.searchsorted(part, ranks)
                inside = at < len(part)
                found[inside] |= part[at[inside]] == ranks[inside]
        return found

    def find(self, f: RollFilter, subtree: Subtree | None, after: RollKey | None, limit: int) -> list[int]:
        """The positions of the first `limit` honourees after `after` that match `f`, in the roll's order."""
        start = bisect.bisect_right(self.keys, order_key(*after)) if after is not None else 0
        end = len(self.keys)
        if f.kind is not None:
            # A kind is a range of the roll's order (collectives first), as sort_group leads its key.
            group = sort_group(f.kind)
            start = max(start, bisect.bisect_left(self.keys, bytes((group,))))
            end = bisect.bisect_left(self.keys, bytes((group + 1,)))
        if start >= end or limit <= 0:
            return []
        words = [[self.postings[t] for t in self._matching(w)] for w in f.words]
        if any(not lists for lists in words):
            return []
        units = self._units(subtree)
        if not words:
            return self._scan(f, units, start, end, limit)
        if end < len(self.keys):
            last = int(self.rank[end - 1])  # each word's honourees within the range only
            words = [[p[: int(np.searchsorted(p, last, side="right"))] for p in lists] for lists in words]
        sizes = [sum(len(p) for p in lists) for lists in words]
        # A word of one letter or digit is checked by the honourees' initials (a bit), the others by postings.
        letters = [i for i, w in enumerate(f.words) if w in _INITIAL]
        posted = [i for i in range(len(words)) if i not in letters]
        bits = 0
        for i in letters:
            bits |= 1 << _INITIAL[f.words[i]]
        filtered = f.has_filters() or subtree is not None
        fewest = min(sizes)
        if filtered and self._estimate(f, units) < fewest:
            # The filters lead when they leave fewer honourees than the rarest word has.
            return self._scan(f, units, start, end, limit, bits, [words[i] for i in posted])
        if not posted and (filtered or len(words) > 1) and fewest * _WALK_COST > end - start:
            # Letters only, and checks that may pass few of the rarest one's honourees (two letters each
            # starting a tenth of the roll's words, rarely of one name): scanning the roll costs less at worst.
            return self._scan(f, units, start, end, limit, bits)
        lead = min(range(len(words)), key=lambda i: sizes[i])
        others = [words[i] for i in posted if i != lead]
        if lead in letters:
            bits &= ~(1 << _INITIAL[f.words[lead]])
        return self._walk(f, units, words[lead], others, start, limit, bits)

    def _scan(
        self,
        f: RollFilter,
        units: np.ndarray | None,
        start: int,
        n: int,
        limit: int,
        bits: int = 0,
        words: Sequence[list[np.ndarray]] = (),
    ) -> list[int]:
        """The roll from `start` to `n` in order, a chunk at a time, through the filters, the initials' `bits`
        (words of one letter) and then the other `words`' postings."""
        found: list[int] = []
        chunk = _SCAN_CHUNK
        want = np.uint64(bits)
        while start < n and len(found) < limit:
            end = min(n, start + chunk)
            mask = self._filter(f, units, slice(start, end))
            if bits:
                letters = (self.initials[start:end] & want) == want
                mask = letters if mask is None else mask & letters
            positions = np.arange(start, end) if mask is None else np.flatnonzero(mask) + start
            if words:
                found.extend(self._check(positions, words, limit - len(found)))
            else:
                found.extend(positions[: limit - len(found)].tolist())
            start = end
            chunk *= 4
        return found

    def _check(self, positions: np.ndarray, words: Sequence[list[np.ndarray]], limit: int) -> list[int]:
        """The first `limit` of `positions` (in order) that every word matches, a chunk at a time."""
        found: list[int] = []
        chunk = max(limit * 4, 256)
        at = 0
        while at < len(positions) and len(found) < limit:
            part = positions[at : at + chunk]
            for lists in words:
                if not len(part):
                    break
                part = part[self._within(self.rank[part], lists)]
            found.extend(part[: limit - len(found)].tolist())
            at += chunk
            chunk *= 4
        return found

    def _walk(
        self,
        f: RollFilter,
        units: np.ndarray | None,
        lead: list[np.ndarray],
        others: list[list[np.ndarray]],
        start: int,
        limit: int,
        bits: int = 0,
    ) -> list[int]:
        """The rarest word's honourees from `start` in order, a chunk at a time, checked against the rest (the
        initials' `bits`, the other words' postings, the filters)."""
        want = np.uint64(bits)
        after_rank = int(self.rank[start - 1]) if start > 0 else None
        heads = [int(np.searchsorted(p, after_rank, side="right")) if after_rank is not None else 0 for p in lead]
        found: list[int] = []
        chunk = max(_FIRST_CHUNK, limit * 2)
        while len(found) < limit:
            parts = []
            bound: int | None = None
            for i, posting in enumerate(lead):
                head = heads[i]
                if head >= len(posting):
                    continue
                part = posting[head : head + chunk]
                parts.append(part)
                if head + chunk < len(posting):
                    last = int(part[-1])
                    bound = last if bound is None else min(bound, last)
            if not parts:
                break
            ranks = _union(parts) if len(parts) > 1 else parts[0]
            if bound is not None:
                ranks = ranks[ranks <= bound]
            if bits:
                ranks = ranks[(self.initials[np.searchsorted(self.rank, ranks)] & want) == want]
            for lists in others:
                if not len(ranks):
                    break
                ranks = ranks[self._within(ranks, lists)]
            positions = np.searchsorted(self.rank, ranks)
            mask = self._filter(f, units, positions)
            if mask is not None:
                positions = positions[mask]
            found.extend(positions[: limit - len(found)].tolist())
            if bound is None:
                break
            heads = [int(np.searchsorted(p, bound, side="right")) for p in lead]
            chunk *= 4
        return found

    def award(self, position: int) -> uuid.UUID:
        return uuid.UUID(bytes=self.keys[position][-16:])

    def memory(self) -> int:
        """Bytes held, roughly: the arrays, the postings and the keys."""
        arrays = sum(getattr(self, name).nbytes for name in self._arrays())
        postings = sum(p.nbytes + 112 for p in self.postings.values()) + sum(len(t) + 90 for t in self.postings)
        keys = sum(len(k) + 33 + 8 for k in self.keys)
        return arrays + postings + keys


# ------------------------------------------------------------ the process's
ROWS_KEPT = 100_000  # about 600 bytes each (measured at 100k)
POOL_SIZE = 4


_PAGE = f"""SELECT s.epoch AS roll_epoch, s.version AS roll_version, s.reloads AS roll_reloads, x.*
            FROM roll_state s LEFT JOIN LATERAL (
                SELECT {ROLL_COLUMNS}, h.status FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                WHERE h.award_id = ANY($1::uuid[])) x ON true
            ORDER BY x.sort_group, x.sort_key, x.award_id"""


class Roll:
    """The process's index: built in the background at startup, answering once built."""

    def __init__(self) -> None:
        self.index = RollIndex()
        self.known_version: Callable[[], int | None] = lambda: None  # the version the roll cache vouches for
        self._task: asyncio.Task | None = None
        # Rows read for pages, by award, at one state of the index (emptied when it changes): a page whose
        # rows are all here, at the version the roll cache vouches for, needs no query at all.
        self._rows: OrderedDict[bytes, Honoree] = OrderedDict()
        self._shared: dict[Any, Any] = {}  # what rows have in common (a campaign, a unit's name), kept once
        self._rows_at: tuple[str, int, int] | None = None
        self.served_from_memory = 0
        self.fetched = 0
        # The index's own connections, beside the service's pool (and like it given back without a reset).
        self.pool: asyncpg.Pool | None = None

    def start(self, database_url: str) -> None:
        self._task = asyncio.create_task(self._build(database_url), name="roll-index-build")

    async def _build(self, database_url: str) -> None:
        try:
            self.pool = await db.create_pool(database_url, min_size=1, max_size=POOL_SIZE)
            async with self.pool.acquire() as conn:
                await self.index.load(conn)
                rows = await self._preload(conn)
                await warm(conn)
            log.info(
                "roll index built",
                extra={"honorees": len(self.index.keys), "seconds": round(self.index.built_in, 2), "rows_kept": rows},
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # searches stay on PostgreSQL's trigram indexes (search.py)
            log.warning("roll index not built", extra={"error": repr(exc)})

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self.pool is not None:
            pool, self.pool = self.pool, None
            await pool.close()

    async def page(
        self, pool: asyncpg.Pool | asyncpg.Connection, f: RollFilter, subtree: Subtree | None,
        after: RollKey | None, limit: int,
    ) -> list[tuple[Honoree, RollKey]] | None:  # fmt: skip
        """The page's honourees with their keyset keys, or None when the index cannot answer (not built yet)."""
        index = self.index
        if not index.ready:
            return None
        known = self.known_version()
        if known is not None and known > index.version:
            await self._catch_up(self.pool or pool)
        for _ in range(3):
            at = (index.epoch, index.version, index.reloads)
            positions = index.find(f, subtree, after, limit)
            keys = [index.keys[p] for p in positions]
            awards = [k[-16:] for k in keys]
            if self._rows_at != at:
                self._rows.clear()
                self._shared.clear()
                self._rows_at = at
            kept = self._rows
            have = {a: kept[a] for a in awards if a in kept}  # taken now: another page may drop them meanwhile
            missing = [uuid.UUID(bytes=a) for a in awards if a not in have]
            if not missing and known is not None and known == index.version:
                # As current as a cached answer (cache.py): the LISTEN connection vouches for the version.
                self.served_from_memory += 1
                for a in awards:
                    kept.move_to_end(a)
                return [(have[a], _roll_key(k)) for a, k in zip(awards, keys, strict=True)]
            # The missing rows, and the roll's state: the index and the rows kept answer for that state only.
            rows = await (self.pool or pool).fetch(_PAGE, missing)
            head = rows[0]
            if (head["roll_epoch"], head["roll_version"], head["roll_reloads"]) == at:
                found = [r for r in rows if r["award_id"] is not None]
                if len(found) == len(missing) and all(r["status"] == "granted" for r in found):
                    self.fetched += 1
                    fetched = {r["award_id"].bytes: self._honoree(r) for r in found}
                    if self._rows_at == at:
                        kept.update(fetched)
                        while len(kept) > ROWS_KEPT:
                            kept.popitem(last=False)
                    have.update(fetched)
                    return [(have[a], _roll_key(k)) for a, k in zip(awards, keys, strict=True)]
                log.warning("roll index disagrees with the roll; reading it again")
                index.epoch = ""  # the next catch-up reloads it
            await self._catch_up(self.pool or pool)
        return None

    async def _preload(self, conn: asyncpg.Connection) -> int:
        """A roll that fits the rows kept, read whole into them: then no page needs a query until it changes."""
        index = self.index
        at = (index.epoch, index.version, index.reloads)
        if len(index.keys) > ROWS_KEPT:
            return 0
        rows = await conn.fetch(
            f"""SELECT s.epoch AS roll_epoch, s.version AS roll_version, s.reloads AS roll_reloads, x.*
                FROM roll_state s LEFT JOIN LATERAL (
                    SELECT {ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                    WHERE h.status = 'granted') x ON true"""
        )
        head = rows[0]
        if (head["roll_epoch"], head["roll_version"], head["roll_reloads"]) != at or (
            index.epoch,
            index.version,
            index.reloads,
        ) != at:
            return 0  # the roll moved on meanwhile: pages fill the rows kept as they are read
        if self._rows_at != at:
            self._rows.clear()
            self._shared.clear()
            self._rows_at = at
        for r in rows:
            if r["award_id"] is not None:
                self._rows[r["award_id"].bytes] = self._honoree(r)
        return len(self._rows)

    def _honoree(self, r: asyncpg.Record) -> Honoree:
        """A row as the public sees it, its campaign, category, ceremony, unit and form shared between rows."""
        shared = self._shared
        ceremony = None
        if r["ceremony_id"] is not None:
            ceremony = shared.setdefault(
                ("ceremony", r["ceremony_id"], r["ceremony_title"], r["ceremony_held_on"], r["ceremony_venue"]),
                CeremonyRef(
                    id=r["ceremony_id"],
                    title=r["ceremony_title"],
                    held_on=r["ceremony_held_on"],
                    venue=r["ceremony_venue"],
                ),
            )
        return Honoree(
            award_id=uuid.UUID(bytes=r["award_id"].bytes),
            kind=shared.setdefault(r["kind"], r["kind"]),
            name=r["name"],
            unit_id=shared.setdefault(r["unit_id"], r["unit_id"]),
            unit_name=shared.setdefault(r["unit_name"], r["unit_name"]),
            campaign=shared.setdefault(
                ("campaign", r["campaign_id"], r["campaign_name"], r["year"]),
                CampaignRef(id=r["campaign_id"], name=r["campaign_name"], year=r["year"]),
            ),
            category=shared.setdefault(
                ("category", r["category_id"], r["category_name"]),
                CategoryRef(id=r["category_id"], name=r["category_name"]),
            ),
            form=shared.setdefault(r["form"], r["form"]),
            decision_number=r["decision_number"],
            decision_date=r["decision_date"],
            ceremony=ceremony,
        )

    async def _catch_up(self, pool: asyncpg.Pool | asyncpg.Connection) -> None:
        if isinstance(pool, asyncpg.Pool):
            async with pool.acquire() as conn:
                await self.index.catch_up(conn)
        else:
            await self.index.catch_up(pool)


ROLL_INDEX = Roll()


async def start_roll_index(service: ServiceState) -> None:
    """Build the process's index in the background (searches read PostgreSQL's trigram indexes meanwhile)."""
    roll = service.find(ROLL)
    if roll is not None:
        ROLL_INDEX.known_version = roll.live_version
    ROLL_INDEX.start(service.settings.database.url)
    metrics.add_source(service, roll_index_metrics)


async def roll_index_metrics(service: ServiceState) -> list[Metric]:
    """This process's index on /metrics: built or not, its honourees, its bytes, the roll's version it holds."""
    index = ROLL_INDEX.index
    pid = [str(os.getpid())]
    ready = GaugeMetricFamily(
        "thidua_roll_index_ready", "1 once this process's roll search index is built, else 0.", labels=["pid"]
    )
    honorees = GaugeMetricFamily(
        "thidua_roll_index_honorees", "Honourees in this process's roll search index.", labels=["pid"]
    )
    size = GaugeMetricFamily(
        "thidua_roll_index_bytes", "Bytes this process's roll search index holds (roughly).", labels=["pid"]
    )
    version = GaugeMetricFamily(
        "thidua_roll_index_version", "The roll's version this process's search index holds.", labels=["pid"]
    )
    pages = CounterMetricFamily(
        "thidua_roll_index_pages",
        "Pages this process's roll search index found, by how their rows were had (memory: no query).",
        labels=["pid", "rows"],
    )
    pages.add_metric([*pid, "memory"], ROLL_INDEX.served_from_memory)
    pages.add_metric([*pid, "query"], ROLL_INDEX.fetched)
    ready.add_metric(pid, 1 if index.ready else 0)
    honorees.add_metric(pid, len(index.keys))
    size.add_metric(pid, index.memory() if index.ready else 0)
    version.add_metric(pid, index.version)
    return [ready, honorees, size, version, pages]


async def stop_roll_index(service: ServiceState) -> None:
    await ROLL_INDEX.stop()


async def ensure_built(conn: asyncpg.Pool | asyncpg.Connection) -> Roll:
    """The process's index, built now if it is not (tests and benchmarks ask for it by plan)."""
    if not ROLL_INDEX.index.ready:
        if isinstance(conn, asyncpg.Pool):
            async with conn.acquire() as c:
                await ROLL_INDEX.index.load(c)
                await warm(c)
        else:
            await ROLL_INDEX.index.load(conn)
            await warm(conn)
    return ROLL_INDEX


async def warm(conn: asyncpg.Connection) -> None:
    """The page's statement prepared on the connection the index was built on, before a page needs it: the
    first one on a connection (its plan, the server process's first look at the tables) took 10-14 ms at a
    million honourees (`bench_roll`), the next ones 1-2 ms."""
    await conn.fetch(_PAGE, [])
