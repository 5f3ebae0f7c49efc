"""Bearer-token authentication with roles (tokens configured as SHA-256 hashes, as in referral)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from billing.service_layer.ports import Actor, Role
from trygg_shared.auth import BearerTokens, dev_tokens


class ApiToken(BaseModel):
    """One API client: the SHA-256 of its bearer token, who it is and what it may do."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the bearer token.")
    subject: str = Field(min_length=1, description="Who this is, e.g. `ops:erik.berg`.")
    roles: list[Role] = Field(min_length=1, description="Roles granted to this token.")


class TokenAuthenticator:
    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = BearerTokens(tokens)

    def authenticate(self, bearer: str) -> Actor | None:
        found = self._tokens.find(bearer)
        if found is None:
            return None
        return Actor(subject=found.subject, roles=tuple(r.value for r in found.roles))


def local_dev_tokens() -> list[ApiToken]:
    """`dev-officer`, `dev-team`, `dev-oncall`, `dev-ops`: for `make run` only, never in production."""
    return dev_tokens(Role, lambda digest, subject, role: ApiToken(token_sha256=digest, subject=subject, roles=[role]))
