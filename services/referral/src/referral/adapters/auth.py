"""Bearer-token authentication with roles, configured per deployment (`REFERRAL_API_TOKENS`).

Tokens are configured as SHA-256 hashes (the tokens themselves are never stored), each with a
subject (who, as written into decisions and audit records) and roles. A deployment that has an
identity provider replaces this adapter with one that checks its JWTs: routes depend only on
the `Authenticator` port and see an `Actor`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from referral.config import ApiToken
from referral.service_layer.ports import Actor


class TokenAuthenticator:
    """Implements `Authenticator`: constant-time comparison against every configured hash."""

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
