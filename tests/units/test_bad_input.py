"""What a client may send wrong: each is a 4xx problem naming the field, never a 500, never half-written."""

from __future__ import annotations

import pytest

from shared.settings import MAX_BODY_BYTES
from tests.support import Api, code
from tests.units.conftest import Tree
from tests.units.helpers import problem, raw_post_status, units_db_value

TEN_MB = 10 * 1024 * 1024


def creates(tree: Tree) -> dict[str, dict]:
    """A valid body for every call that creates something."""
    return {
        "/units": {"code": code(), "name": "Chi bộ Kiểm tra", "kind": "other", "parent_id": tree.a["id"]},
        "/people": {"full_name": "Ngô Văn Kiểm", "unit_id": tree.a["id"], "position": "Bí thư", "birth_year": 1970},
        "/accounts": {"username": f"bad-{code()}", "password": "long-enough-1", "role": "committee"},
        "/auth/token": {"username": "admin", "password": "whatever-wrong"},
    }


PATHS = ["/units", "/people", "/accounts", "/auth/token", "/units/import"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"", "body"),
        (b"{", "body"),
        (b'{"a": 1', "body"),
        (b"\xff\xfe", "body"),
        (b"null", "body"),
        (b"42", "body"),
        (b"[" * 5000 + b"]" * 5000, "body"),
    ],
    ids=["empty", "open brace", "truncated", "not utf-8", "null", "a number", "nested too deep"],
)
async def test_malformed_bodies_are_400(admin: Api, path: str, content: bytes, field: str) -> None:
    resp = await admin.units.post(path, content=content, headers={"content-type": "application/json"})
    assert resp.status_code == 400, (path, content, resp.status_code, resp.text)
    problem(resp, 400)


@pytest.mark.parametrize(
    ("path", "change", "field"),
    [
        ("/units", {"code": 12}, "code"),
        ("/units", {"code": ""}, "code"),
        ("/units", {"code": "has space"}, "code"),
        ("/units", {"code": "x" * 65}, "code"),
        ("/units", {"kind": "province"}, "kind"),
        ("/units", {"kind": None}, "kind"),
        ("/units", {"name": ["a"]}, "name"),
        ("/units", {"name": ""}, "name"),
        ("/units", {"name": "   "}, "name"),
        ("/units", {"name": "Chi bộ\u0000"}, "name"),
        ("/units", {"name": "Chi bộ\u0007"}, "name"),
        ("/units", {"name": "x" * 301}, "name"),
        ("/units", {"parent_id": "not-a-uuid"}, "parent_id"),
        ("/units", {"parent_id": 5}, "parent_id"),
        ("/units", {"extra": True}, "extra"),
        ("/people", {"full_name": None}, "full_name"),
        ("/people", {"full_name": "\t\n"}, "full_name"),
        ("/people", {"full_name": "Ngô\u0000"}, "full_name"),
        ("/people", {"unit_id": None}, "unit_id"),
        ("/people", {"birth_year": "nineteen seventy"}, "birth_year"),
        ("/people", {"birth_year": 1899}, "birth_year"),
        ("/people", {"birth_year": 19.5}, "birth_year"),
        ("/people", {"position": "Bí thư\u0000"}, "position"),
        ("/accounts", {"role": "superuser"}, "role"),
        ("/accounts", {"password": 12345678}, "password"),
        ("/accounts", {"username": None}, "username"),
        ("/auth/token", {"password": None}, "password"),
        ("/auth/token", {"username": ""}, "username"),
    ],
)
async def test_wrong_values_are_400_naming_the_field(
    admin: Api, tree: Tree, path: str, change: dict, field: str
) -> None:
    body = {**creates(tree)[path], **change}
    problem(await admin.units.post(path, json=body), 400, field)
    if path == "/units" and isinstance(body.get("code"), str):
        assert await units_db_value(admin.stack, "SELECT count(*) FROM units WHERE code = $1", body["code"]) == 0


@pytest.mark.parametrize("missing", ["code", "name", "kind"])
async def test_a_missing_field_is_named(admin: Api, tree: Tree, missing: str) -> None:
    body = {k: v for k, v in creates(tree)["/units"].items() if k != missing}
    problem(await admin.units.post("/units", json=body), 400, missing)


@pytest.mark.parametrize("path", PATHS)
async def test_a_ten_megabyte_body_is_413(admin: Api, path: str) -> None:
    url, token = admin.stack.url("units"), admin.token
    assert await raw_post_status(url, path, token=token, declare=TEN_MB, send=0) == 413
    # Streamed without a length, it is refused once it passes the limit.
    assert await raw_post_status(url, path, token=token, declare=None, send=MAX_BODY_BYTES + 1) == 413


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
async def test_a_ten_megabyte_body_under_an_idempotency_key_is_413(admin: Api, streamed: bool) -> None:
    url, token = admin.stack.url("units"), admin.token
    headers = {"Idempotency-Key": code()}
    if streamed:
        status = await raw_post_status(
            url, "/units", token=token, declare=None, send=MAX_BODY_BYTES + 1, headers=headers
        )
    else:
        status = await raw_post_status(url, "/units", token=token, declare=TEN_MB, send=0, headers=headers)
    assert status == 413


async def test_a_body_sent_as_text_is_not_taken_for_json_silently(admin: Api, tree: Tree) -> None:
    """Whatever the content type, a JSON-shaped body is either read as JSON or refused with a 4xx."""
    resp = await admin.units.post(
        "/units", content=b"code=A&name=B", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= resp.status_code < 500, resp.text
    problem(resp, resp.status_code)


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "x"},
        {"cursor": "!!"},
        {"under_id": "x"},
        {"q": "x" * 201},
        {"roots": "maybe"},
    ],
)
async def test_bad_query_parameters_are_400(admin: Api, query: dict) -> None:
    [name] = query
    problem(await admin.units.get("/units", params=query), 400, name)


async def test_the_openapi_documents_every_4xx_as_a_problem(admin: Api) -> None:
    """A client built from the schema expects what the services send: problem+json for any 4xx."""
    schema = (await admin.units.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/units"]["post"]
    for status in ("400", "4XX"):
        content = operation["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], (status, content)
        assert {"type", "title", "status", "detail"} <= set(content["application/problem+json"]["schema"]["required"])
