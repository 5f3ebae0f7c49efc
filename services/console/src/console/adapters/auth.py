"""Role tokens (as in every service) and the web UI's server-side sessions.

Tokens are configured as SHA-256 hashes with a subject and roles; the login form exchanges a
token for a session: a random cookie value (256 bits) whose HMAC-SHA256 under the configured
secret keys a record in the console's database (`sessions`) with the token's hash and the end
of the session. Every request reads that record and looks the token up again, so logging out
(the record is removed), the end of the session, and a token removed from the configuration
(at the next start) each end the session; the token itself never reaches the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from console.domain.access import Actor, Role
from console.service_layer.ports import SessionRecord, SessionStore
from trygg_shared.auth import BearerTokens, dev_tokens, team_scope


class ApiToken(BaseModel):
    """One client: the SHA-256 of its bearer token, who it is and what it may do."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the bearer token.")
    subject: str = Field(min_length=1, description="Who this is, e.g. `oncall:lena.berg`.")
    roles: list[Role] = Field(min_length=1, description="Roles granted to this token.")
    teams: list[str] | None = Field(
        None,
        description="The teams (team ids) a team token is scoped to: Today shows only their visits and capacity, "
        "Cases and Alerts only their cases and alerts. Left out: every team. Tokens with any role besides team are "
        "never scoped.",
    )


def local_dev_tokens() -> list[ApiToken]:
    """`dev-officer`, `dev-team`, `dev-oncall`, `dev-ops`: for `make run` only, never in production."""
    return dev_tokens(Role, lambda digest, subject, role: ApiToken(token_sha256=digest, subject=subject, roles=[role]))


class TokenAuthenticator:
    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = BearerTokens(tokens)

        self._by_hash = {t.token_sha256: t for t in tokens}

    def authenticate(self, bearer: str) -> Actor | None:
        found = self._tokens.find(bearer)
        return None if found is None else _actor(found)

    def find(self, bearer: str) -> ApiToken | None:
        return self._tokens.find(bearer)

    def by_hash(self, token_sha256: str) -> Actor | None:
        """The actor of a token still configured (by its hash), or None."""
        found = self._by_hash.get(token_sha256)
        return None if found is None else _actor(found)


def _actor(token: ApiToken) -> Actor:
    roles = tuple(r.value for r in token.roles)
    return Actor(subject=token.subject, roles=roles, teams=team_scope(roles, token.teams))


class ServerSessions:
    """`Sessions` kept in a `SessionStore`; the cookie is a random value, stored only as its HMAC."""

    def __init__(self, store: SessionStore, tokens: TokenAuthenticator, secret: bytes, max_age: timedelta) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._store = store
        self._tokens = tokens
        self._secret = secret
        self.max_age = max_age

    def _key(self, cookie: str) -> str:
        return hmac.new(self._secret, cookie.encode(), hashlib.sha256).hexdigest()

    async def start(self, token: str, now: datetime) -> tuple[str, Actor] | None:
        found = self._tokens.find(token)
        if found is None:
            return None
        cookie = secrets.token_urlsafe(32)
        await self._store.add(SessionRecord(self._key(cookie), found.token_sha256, now, now + self.max_age))
        return cookie, _actor(found)

    async def read(self, cookie: str, now: datetime) -> Actor | None:
        if not cookie or len(cookie) > 100:
            return None
        key = self._key(cookie)
        record = await self._store.get(key)
        if record is None:
            return None
        actor = self._tokens.by_hash(record.token_sha256) if now < record.expires_at else None
        if actor is None:  # ended, or its token was revoked: the record goes now, the sweep would later
            await self._store.remove(key)
        return actor

    async def end(self, cookie: str) -> None:
        if cookie and len(cookie) <= 100:
            await self._store.remove(self._key(cookie))

    async def sweep(self, now: datetime) -> int:
        return await self._store.remove_expired(now)
