"""A running service's state, typed: what the lifespan opens and every request may use.

The lifespan (`shared.web`) builds one `ServiceState` and keeps it on the
Litestar app; handlers receive it as the `service` dependency, and code that
sees only a connection (guards, middleware) reaches it with `service_state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from nats.aio.client import Client as NATS
    from nats.js import JetStreamContext

    from shared.auth import TokenVerifier
    from shared.consumer import Consumer
    from shared.outbox import Relay
    from shared.settings import Settings

T = TypeVar("T")


class StateKey(Generic[T]):
    """The typed name of a resource a service keeps beside the common ones (its roll cache, its keys)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"StateKey({self.name!r})"


class ServiceState:
    """What a running service holds: its settings, pool, NATS, relay, token verifier and consumers, typed.

    A plain class, not a dataclass: Litestar resolves the fields of a dataclass that a handler receives,
    and these types come from modules that import this one.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        pool: asyncpg.Pool,
        nc: NATS,
        js: JetStreamContext,
        relay: Relay,
        verifier: TokenVerifier,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.nc = nc
        self.js = js
        self.relay = relay
        self.verifier = verifier
        self.consumers: list[Consumer] = []
        self._extras: dict[str, object] = {}

    def put(self, key: StateKey[T], value: T) -> None:
        self._extras[key.name] = value

    def get(self, key: StateKey[T]) -> T:
        return cast(T, self._extras[key.name])

    def find(self, key: StateKey[T]) -> T | None:
        return cast(T | None, self._extras.get(key.name))


STATE_KEY = "service"


def service_state(app: Litestar) -> ServiceState:
    """The running service's typed state (set by the lifespan before the first request)."""
    return cast(ServiceState, app.state[STATE_KEY])
