"""The API docs of every service over HTTP: `/schema` (Scalar) and `/schema/swagger` load
only files the service itself serves, and the OpenAPI says which calls need the bearer token,
which the services' answers to an anonymous caller confirm call by call."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import Stack

SERVICES = ["units", "awards", "events"]
PAGES = ["/schema", "/schema/swagger"]
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
OPTIONAL: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".svg": ("image/svg+xml",),
}
A_YEAR = 365 * 24 * 3600


class _Loads(HTMLParser):
    """Every URL a page makes the browser load: scripts' `src`, links' `href`."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.urls.append(value)


def _loads(html: str) -> list[str]:
    parser = _Loads()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("page", PAGES)
async def test_the_docs_load_only_what_the_service_serves(stack: Stack, service: str, page: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url(service), timeout=30) as client:
        resp = await client.get(page)
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/html")
        urls = _loads(resp.text)
        kinds = {urlsplit(u).path.rsplit(".", 1)[-1] for u in urls}
        assert {"js", "css", "svg"} <= kinds, urls  # the scripts, a stylesheet, the icon
        for url in urls:
            parts = urlsplit(url)
            # A path on this host: no scheme, no other host, nothing protocol-relative.
            assert not parts.scheme and not parts.netloc and url.startswith("/schema/assets/"), url
            asset = await client.get(url)
            assert asset.status_code == 200, url
            suffix = "." + parts.path.rsplit(".", 1)[-1]
            assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], url
            cache = asset.headers["cache-control"]
            max_age = re.search(r"max-age=(\d+)", cache)
            assert max_age and int(max_age[1]) >= A_YEAR and "immutable" in cache, cache
            assert len(asset.content) > 100
        # Nor anything fetched by a script the page writes itself.
        assert not re.search(r"https?://(?!127\.0\.0\.1)[\w.-]+/[\w@./-]*\.(js|css|woff2?)\b", resp.text)


async def test_an_asset_url_names_its_content(stack: Stack) -> None:
    """The query is the content's hash, so a year of caching never serves an old file after an update."""
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        for url in _loads((await client.get("/schema/swagger")).text):
            assert re.fullmatch(r"/schema/assets/[\w./-]+\?v=[0-9a-f]{12}", url), url
            other = await client.get(url.split("?")[0])
            assert other.status_code == 200  # the file answers without the query too
        assert {u.split("?")[0] for u in _loads((await client.get("/schema/swagger")).text)} >= {
            "/schema/assets/swagger-ui/swagger-ui-bundle.js",
            "/schema/assets/swagger-ui/swagger-ui-standalone-preset.js",
            "/schema/assets/swagger-ui/swagger-ui.css",
        }


@pytest.mark.parametrize(
    "path",
    [
        "/schema/assets/nope.js",
        "/schema/assets/%2e%2e/web.py",
        "/schema/assets/..%2fweb.py",
        "/schema/assets/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/schema/assets/scalar",
        "/schema/assets/",
        "/schema/assets/scalar/standalone.js%00.css",
    ],
)
async def test_a_wrong_asset_path_is_a_plain_404(stack: Stack, path: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        resp = await client.get(path)
    assert resp.status_code == 404, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert "/work" not in resp.text and "openapi_assets" not in resp.text  # nothing of the server's disk


async def test_the_assets_are_out_of_the_schema(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url("events"), timeout=30) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    assert not [p for p in schema["paths"] if p.startswith("/schema")]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_schema_declares_the_bearer_token(stack: Stack, service: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url(service), timeout=30) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and scheme["bearerFormat"] == "JWT"
    assert "POST /auth/token" in scheme["description"]
    assert "security" not in schema  # no blanket requirement: each call says its own
    requirements = [op.get("security") for op in _operations(schema).values()]
    assert BEARER in requirements and None in requirements  # each service has both kinds


async def test_guarded_calls_list_the_token_and_public_ones_do_not(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        units = _operations((await client.get("/schema/openapi.json")).json())
    async with httpx.AsyncClient(base_url=stack.url("awards"), timeout=30) as client:
        awards = _operations((await client.get("/schema/openapi.json")).json())
    assert units["POST /units"]["security"] == BEARER  # an admin's
    assert units["GET /auth/me"]["security"] == BEARER  # any signed-in account's
    assert units["GET /accounts"]["security"] == BEARER  # guarded on its controller
    assert "security" not in units["GET /units"]  # public
    assert "security" not in units["POST /auth/token"]
    assert "security" not in units["GET /auth/keys"]
    # A public call whose answer a token widens (the committee also sees a revoked award).
    assert awards["GET /awards/{award_id}"]["security"] == OPTIONAL
    assert "security" not in awards["GET /awards"]


@pytest.mark.parametrize("service", SERVICES)
async def test_what_the_schema_says_is_what_an_anonymous_caller_meets(stack: Stack, service: str) -> None:
    """Every GET of the schema, called without a token: 401 exactly where it lists the token as needed."""
    async with httpx.AsyncClient(base_url=stack.url(service), timeout=30) as client:
        schema = (await client.get("/schema/openapi.json")).json()
        checked = 0
        for key, operation in _operations(schema).items():
            method, path = key.split(" ", 1)
            if method != "GET":
                continue
            resp = await client.get(_fill(path, operation))
            needed = operation.get("security") == BEARER
            assert (resp.status_code == 401) == needed, (key, operation.get("security"), resp.status_code)
            if needed:
                assert resp.headers["www-authenticate"].lower().startswith("bearer")
            checked += 1
        assert checked >= 5


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation of a schema as `METHOD /path`."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    }


def _fill(path: str, operation: dict[str, Any]) -> str:
    """The path with a well-formed value in each of its parameters (ids no one holds)."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        kind = parameter.get("schema", {})
        value = str(uuid.uuid4()) if kind.get("format") == "uuid" else "1" if kind.get("type") == "integer" else "x"
        path = path.replace("{" + parameter["name"] + "}", value)
    assert "{" not in path, path
    return path
