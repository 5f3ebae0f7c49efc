"""Bearer-token authentication with roles, configured per deployment (`REFERRAL_API_TOKENS`).

Tokens are configured as SHA-256 hashes (the tokens themselves are never stored), each with a
subject (who, as written into decisions and audit records) and roles. A deployment that has an
identity provider replaces this adapter with one that checks its JWTs: routes depend only on
the `Authenticator` port and see an `Actor`.
"""

from __future__ import annotations

from collections.abc import Sequence

from referral.config import ApiToken
from referral.service_layer.ports import Actor
from trygg_shared.auth import BearerTokens, team_scope


class TokenAuthenticator:
    """Implements `Authenticator`: constant-time comparison against every configured hash."""

    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = BearerTokens(tokens)

    def authenticate(self, bearer: str) -> Actor | None:
        found = self._tokens.find(bearer)
        if found is None:
            return None
        roles = tuple(r.value for r in found.roles)
        return Actor(subject=found.subject, roles=roles, teams=team_scope(roles, found.teams))
