from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support import ADMIN_PASSWORD, Api, Stack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    stack, started = start_stack(tmp)
    try:
        yield stack
    finally:
        for part in reversed(started):
            part.stop()


@pytest.fixture(scope="session")
async def admin(stack: Stack) -> AsyncIterator[Api]:
    api = await Api.login(stack, "admin", ADMIN_PASSWORD)
    yield api
    await api.aclose()


@pytest.fixture
async def anonymous(stack: Stack) -> AsyncIterator[Api]:
    api = Api(stack)
    yield api
    await api.aclose()
