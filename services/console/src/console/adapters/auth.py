"""Role tokens (as in every service) and the signed session cookie of the web UI.

Tokens are configured as SHA-256 hashes with a subject and roles; the login form exchanges a
token for a session cookie that holds the subject, the roles and an expiry, signed with
HMAC-SHA256 under the configured secret (so the token itself is never stored in the browser).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from console.domain.access import Actor, Role
from trygg_shared.auth import BearerTokens, dev_tokens


class ApiToken(BaseModel):
    """One client: the SHA-256 of its bearer token, who it is and what it may do."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the bearer token.")
    subject: str = Field(min_length=1, description="Who this is, e.g. `oncall:lena.berg`.")
    roles: list[Role] = Field(min_length=1, description="Roles granted to this token.")


def local_dev_tokens() -> list[ApiToken]:
    """`dev-officer`, `dev-team`, `dev-oncall`, `dev-ops`: for `make run` only, never in production."""
    return dev_tokens(Role, lambda digest, subject, role: ApiToken(token_sha256=digest, subject=subject, roles=[role]))


class TokenAuthenticator:
    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = BearerTokens(tokens)

    def authenticate(self, bearer: str) -> Actor | None:
        found = self._tokens.find(bearer)
        if found is None:
            return None
        return Actor(subject=found.subject, roles=tuple(r.value for r in found.roles))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and reads the session cookie: `<base64 payload>.<base64 HMAC-SHA256>`."""

    def __init__(self, secret: bytes, max_age: timedelta) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._secret = secret
        self.max_age = max_age

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, actor: Actor, now: datetime) -> str:
        body = {"sub": actor.subject, "roles": list(actor.roles), "exp": int((now + self.max_age).timestamp())}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def read(self, cookie: str, now: datetime) -> Actor | None:
        payload, _, mac = cookie.partition(".")
        if not payload or not mac or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            subject, roles, expires = str(body["sub"]), tuple(str(r) for r in body["roles"]), int(body["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if now.timestamp() >= expires:
            return None
        return Actor(subject=subject, roles=roles)
