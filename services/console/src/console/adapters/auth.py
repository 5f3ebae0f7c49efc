"""The web UI's server-side sessions over the role tokens (`trygg_shared.tokens`, as in every service).

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
from datetime import datetime, timedelta

from console.domain.access import Actor
from console.service_layer.ports import SessionRecord, SessionStore
from trygg_shared.tokens import TokenAuthenticator


class ServerSessions:
    """`Sessions` kept in a `SessionStore`; the cookie is a random value, stored only as its HMAC."""

    def __init__(
        self, store: SessionStore, tokens: TokenAuthenticator[Actor], secret: bytes, max_age: timedelta
    ) -> None:
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
        return cookie, self._tokens.actor_of(found)

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
