"""Bearer-token authentication with roles, configured per deployment (as in referral).

Tokens are configured as SHA-256 hashes (the tokens themselves are never stored), each with a
subject (who, as written into acknowledgements and audit records) and roles.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from pydantic import BaseModel, Field

from notification.service_layer.auth import Actor, Role


class ApiToken(BaseModel):
    """One API client: the SHA-256 of its bearer token, who it is and what it may do."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the bearer token.")
    subject: str = Field(min_length=1, description="Who this is, e.g. `oncall:anna.svensson`.")
    roles: list[Role] = Field(min_length=1, description="Roles granted to this token.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenAuthenticator:
    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = [(bytes.fromhex(t.token_sha256), t) for t in tokens]

    def authenticate(self, bearer: str) -> Actor | None:
        digest = hashlib.sha256(bearer.encode()).digest()
        found = None
        for expected, token in self._tokens:  # compare with all, in constant time each
            if hmac.compare_digest(digest, expected):
                found = token
        if found is None:
            return None
        return Actor(subject=found.subject, roles=tuple(r.value for r in found.roles))


def local_dev_tokens() -> list[ApiToken]:
    """`dev-officer`, `dev-team`, `dev-oncall`, `dev-ops`: for `make run` only, never in production."""
    return [
        ApiToken(token_sha256=token_hash(f"dev-{role.value}"), subject=f"{role.value}:dev", roles=[role])
        for role in Role
    ]
