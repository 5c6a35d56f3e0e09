"""Bulk paths: many creates in one request, each item judged as its single create would judge it.

A bulk path (`POST /nominations/batch`, `POST /people/batch`) takes
`{"items": [...]}`, 1 to `MAX_ITEMS` of what the single POST takes, and
answers 200 with one outcome per item, in order: `{"index": i, "status":
201, "<thing>": {...}}` or `{"index": i, "status": 4xx, "problem": {...}}`,
the problem document the single POST would have answered. One bad item does
not refuse the others; the request as a whole is refused (a problem) only for
what is wrong with the whole: no items, too many, a body that is not
`{"items": [...]}`, a caller who may not use the path. The service decides
every item inside one transaction and commits the created ones together, so
a failure of that transaction (an outage) writes nothing of the batch and the
request may be sent again whole. With an `Idempotency-Key` the whole answer
is kept and replayed (shared/idempotency.py), as for any POST.

Server side: `items_of` reads the body into each item's type or its 400
problem, `problem_of` turns a refusal into an item's problem. Client side
(the command's `import-nominations` and the console's import): `send` splits
items into requests of at most `MAX_ITEMS` and `MAX_REQUEST_BYTES`, each with
an Idempotency-Key made of its content, and sends again only the items
answered "not known yet" (`not_known_yet`) until a deadline.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar.exceptions import ValidationException

from shared.errors import DomainError, FieldError, Invalid
from shared.problems import from_domain, from_validation

T = TypeVar("T")

MAX_ITEMS = 500
# What a client puts in one request at most, encoded: a service takes bodies of 5 MiB (`MAX_BODY_BYTES`).
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class ProblemDocument(msgspec.Struct, omit_defaults=True):
    """An item's refusal: the RFC 9457 problem document its single POST would have answered."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = msgspec.field(default_factory=list)


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    items: list[Any]


def problem_of(exc: DomainError) -> ProblemDocument:
    p = from_domain(exc)
    return ProblemDocument(type=p.type, title=p.title, status=p.status, detail=p.detail, errors=list(p.errors))


def _invalid_item(exc: msgspec.ValidationError) -> ProblemDocument:
    """What the framework answers a single POST whose body fails its type (the same message and field)."""
    message = str(exc)
    error: dict[str, str] = {"message": message.split(" - ", maxsplit=1)[0], "source": "body"}
    at = message.rsplit(" - at `$.", 1)
    error["key"] = at[1].rstrip("`") if len(at) == 2 else "data"
    p = from_validation(ValidationException(extra=[error]))  # the framework's own 400, as shared/problems.py makes it
    return ProblemDocument(type=p.type, title=p.title, status=p.status, detail=p.detail, errors=list(p.errors))


def items_of(data: Any, item_type: type[T]) -> list[T | ProblemDocument]:
    """Each item of a decoded body `{"items": [...]}` as `item_type`, or the 400 problem its single POST would get.

    400 for the whole request when it is not such an object, or has no item, or more than `MAX_ITEMS`.
    """
    try:
        body = msgspec.convert(data, _Body)
    except msgspec.ValidationError as exc:
        raise Invalid(f'send {{"items": [...]}}: {exc}', field="items") from None
    if not body.items:
        raise Invalid(f"send 1 to {MAX_ITEMS} items", field="items")
    if len(body.items) > MAX_ITEMS:
        raise Invalid(
            f"{len(body.items)} items: a batch takes at most {MAX_ITEMS}; send the rest in another", field="items"
        )
    decoded: list[T | ProblemDocument] = []
    for item in body.items:
        try:
            decoded.append(msgspec.convert(item, item_type, strict=False, str_keys=True))
        except msgspec.ValidationError as exc:
            decoded.append(_invalid_item(exc))
    return decoded


def items_schema(item_ref: str) -> dict[str, Any]:
    """The OpenAPI schema of a bulk body whose items are the component `item_ref`."""
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ITEMS,
                "items": {"$ref": f"#/components/schemas/{item_ref}"},
            }
        },
    }


# ------------------------------------------------------------------ the client's side
# What a client's `post` gives for one request: the status, the answer (or the problem document) and
# whether the answer was replayed from its Idempotency-Key.
Answer = tuple[int, Any, bool]


@dataclass
class Outcome:
    """One item's last answer: its status, the created thing or the problem, and whether it was a replay."""

    status: int
    body: dict[str, Any]
    replayed: bool


def not_known_yet(status: int, problem: dict[str, Any]) -> bool:
    """A refusal that means "not here yet" rather than "no": a unit or person created a moment ago in the units
    service has not reached the awards service's copy (404, or 409 for its unit "not known yet")."""
    return status == 404 or (status == 409 and "yet" in str(problem.get("detail", "")))


# The keys of the imports' requests: the command's and the console's are the same, so the same rows sent
# again by either, as the same user, are answered from the first time.
PEOPLE_KEY = "import-people"
NOMINATIONS_KEY = "import-nominations"


def request_key(key: str, attempt: int, encoded: Sequence[bytes]) -> str:
    """The Idempotency-Key of one request of `send`: its key, its round and a digest of its items as sent."""
    return f"{key}:{attempt}:" + hashlib.sha256(b"\0".join(encoded)).hexdigest()[:40]


def _chunks(items: Sequence[tuple[int, bytes]]) -> list[list[tuple[int, bytes]]]:
    chunks: list[list[tuple[int, bytes]]] = []
    size = 0
    for item in items:
        if not chunks or len(chunks[-1]) >= MAX_ITEMS or size + len(item[1]) > MAX_REQUEST_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[1]) + 1
    return chunks


async def send(
    post: Callable[[list[Any], str], Awaitable[Answer]],
    items: Sequence[Any],
    *,
    key: str,
    thing: str,
    retry: Callable[[int, dict[str, Any]], bool] | None = None,
    timeout: float = 15.0,
    at_once: int = 2,
) -> list[Outcome]:
    """Send `items` through a bulk path; each item's last outcome, in order.

    `post(items, idempotency_key)` makes one request. Each request's key is `key`, the round and a digest of
    its items, so the same items sent again are answered from the first time, never created twice; a round
    sends again only the items `retry` says to (by status and problem), until `timeout`. Rounds wait for
    all their requests, so a second run over the same items meets the same requests and their keys.
    `thing`: the field of a created item's answer (`nomination`, `person`).
    """
    encoded = [msgspec.json.encode(i) for i in items]
    outcomes: list[Outcome | None] = [None] * len(items)
    pending = list(range(len(items)))
    deadline = time.monotonic() + timeout
    delay = 0.05
    gate = asyncio.Semaphore(at_once)
    attempt = 0

    async def one(chunk: list[tuple[int, bytes]]) -> None:
        async with gate:
            status, answer, replayed = await post(
                [items[i] for i, _ in chunk], request_key(key, attempt, [e for _, e in chunk])
            )
        if status != 200:  # the whole request refused: every item of it so
            for i, _ in chunk:
                outcomes[i] = Outcome(status, answer if isinstance(answer, dict) else {"detail": str(answer)}, False)
            return
        for (i, _), got in zip(chunk, answer["items"], strict=True):
            body = got.get(thing) if got["status"] < 300 else got.get("problem")
            outcomes[i] = Outcome(got["status"], body or {}, replayed)

    while pending:
        await asyncio.gather(*(one(c) for c in _chunks([(i, encoded[i]) for i in pending])))
        if retry is None:
            break
        pending = [i for i in pending if (o := outcomes[i]) is not None and retry(o.status, o.body)]
        if not pending or time.monotonic() > deadline:
            break
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
        attempt += 1
    return [o for o in outcomes if o is not None]
