"""Sessions: signing in through the units service, the session of a request (refreshed when its token
runs short), and its end.

A session lives on the server (the console's `sessions` table); the browser's
cookie holds only a random value whose hash names the row. It ends at
`Đăng xuất`, at the idle limit or maximum age (`domain.py`), when the units
service refuses to refresh its token, and when any service refuses its token
(401: the account was locked or signed out everywhere). Ended means the row is
deleted, so a copy of the old cookie signs no one in.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from .. import domain
from ..client import Api, Refused, ServiceError, Unavailable
from . import repository

log = logging.getLogger(__name__)

SESSION_COOKIE = "thidua_session"
DEFAULT_TOKEN_SECONDS = 900  # what the units service gives, should its answer not say


class Session:
    """A signed-in user as the console knows them: who, their tokens, and their forms' CSRF token.

    A plain class, not a dataclass: Litestar would try to build it from the request's fields.
    """

    __slots__ = (
        "id_hash",
        "account_id",
        "username",
        "role",
        "unit_id",
        "unit_name",
        "access_token",
        "access_expires_at",
        "refresh_token",
        "csrf_token",
        "created_at",
        "last_seen_at",
    )

    def __init__(self, row: asyncpg.Record) -> None:
        self.id_hash: bytes = row["id_hash"]
        self.account_id: uuid.UUID = row["account_id"]
        self.username: str = row["username"]
        self.role: str = row["role"]
        self.unit_id: uuid.UUID | None = row["unit_id"]
        self.unit_name: str | None = row["unit_name"]
        self.access_token: str = row["access_token"]
        self.access_expires_at: datetime = row["access_expires_at"]
        self.refresh_token: str | None = row["refresh_token"]
        self.csrf_token: str = row["csrf_token"]
        self.created_at: datetime = row["created_at"]
        self.last_seen_at: datetime = row["last_seen_at"]

    @property
    def times(self) -> domain.SessionTimes:
        return domain.SessionTimes(self.created_at, self.last_seen_at, self.access_expires_at)

    @property
    def role_name(self) -> str:
        return domain.ROLE_NAMES.get(self.role, self.role)


def hash_of(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode()).digest()


def _expiry(answer: dict[str, Any]) -> datetime:
    seconds = answer.get("expires_in")
    if not isinstance(seconds, int) or seconds <= 0:
        seconds = DEFAULT_TOKEN_SECONDS
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def sign_in(pool: asyncpg.Pool, api: Api, username: str, password: str) -> tuple[str, Session]:
    """The user's tokens from the units service, kept in a new session; returns the cookie's value and it.

    Raises `Refused` with the units service's answer (401 bad credentials, 429 throttled, 400).
    """
    answer = await api.post("units", "/auth/token", {"username": username, "password": password})
    access = str(answer["access_token"])
    me = await api.as_user(access).get("units", "/auth/me")
    cookie = secrets.token_urlsafe(32)
    row = await repository.insert(
        pool,
        id_hash=hash_of(cookie),
        account_id=uuid.UUID(str(me["id"])),
        username=str(me["username"]),
        role=str(me["role"]),
        unit_id=uuid.UUID(str(me["unit_id"])) if me.get("unit_id") else None,
        unit_name=me.get("unit_name"),
        access_token=access,
        access_expires_at=_expiry(answer),
        refresh_token=answer.get("refresh_token"),
        csrf_token=secrets.token_urlsafe(32),
    )
    # Each sign-in sweeps the sessions nobody ended: the table holds only live ones and a few idle.
    await repository.purge_expired(pool)
    return cookie, Session(row)


async def current(pool: asyncpg.Pool, api: Api, cookie: str | None) -> Session | None:
    """The session this cookie names, if it is still on; its token refreshed when it runs short."""
    if not cookie or len(cookie) > 200:
        return None
    id_hash = hash_of(cookie)
    row = await repository.find(pool, id_hash)
    if row is None:
        return None
    session = Session(row)
    now = datetime.now(UTC)
    if domain.session_over(session.times, now):
        await repository.delete(pool, id_hash)
        return None
    if domain.needs_refresh(session.times, now):
        return await _refresh(pool, api, id_hash)
    if domain.needs_touch(session.times, now):
        await repository.touch(pool, id_hash)
    return session


async def _refresh(pool: asyncpg.Pool, api: Api, id_hash: bytes) -> Session | None:
    """A new access token for the session, one request at a time (the row is locked meanwhile).

    A refresh token works once: two requests refreshing together would present the same token
    twice, and the units service would end the whole sign-in as a theft. The lock makes the second
    one find the first one's new token instead.
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await repository.lock(conn, id_hash)
        if row is None:
            return None
        session = Session(row)
        if not domain.needs_refresh(session.times, datetime.now(UTC)):
            return session  # another request refreshed it while this one waited
        if not session.refresh_token:
            await repository.delete(conn, id_hash)
            return None
        try:
            answer = await api.post("units", "/auth/refresh", {"refresh_token": session.refresh_token})
        except Unavailable:
            if session.access_expires_at > datetime.now(UTC):
                return session  # the units service is away; the token still works a little while
            raise
        except Refused as exc:
            log.info("session ended: token not refreshed", extra={"status": exc.status, "username": session.username})
            await repository.delete(conn, id_hash)
            return None
        if not isinstance(answer, dict) or "access_token" not in answer:
            await repository.delete(conn, id_hash)
            return None
        updated = await repository.store_tokens(
            conn,
            id_hash,
            str(answer["access_token"]),
            _expiry(answer),
            answer.get("refresh_token") or session.refresh_token,
        )
        return Session(updated) if updated else None


async def end(pool: asyncpg.Pool, api: Api, session: Session) -> None:
    """Sign out: the session's row is gone first, then the units service is told (its answer changes nothing)."""
    row = await repository.delete(pool, session.id_hash)
    refresh_token = row["refresh_token"] if row else None
    if refresh_token:
        with contextlib.suppress(ServiceError):
            await api.post("units", "/auth/logout", {"refresh_token": refresh_token})


async def drop(pool: asyncpg.Pool, id_hash: bytes) -> None:
    """End a session whose token a service refused: nothing to tell the units service, it knows."""
    await repository.delete(pool, id_hash)
