"""Bearer tokens with roles: the scheme every service's HTTP API uses, configured per deployment.

Tokens are configured as SHA-256 hashes (the tokens themselves are never stored), each with a
subject (who, as written into audit records) and roles; each service types its own token model
with its own roles (`<SVC>_API_TOKENS`). A deployment with an identity provider replaces a
service's `adapters/auth.py` with one that checks its JWTs: routes only see the service's `Actor`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Generic, Protocol, TypeVar


class HashedToken(Protocol):
    @property
    def token_sha256(self) -> str: ...


T = TypeVar("T", bound=HashedToken)
R = TypeVar("R", bound=StrEnum)


def token_hash(token: str) -> str:
    """The hex SHA-256 a token is configured as."""
    return hashlib.sha256(token.encode()).hexdigest()


class BearerTokens(Generic[T]):
    """The configured tokens; `find` compares a bearer with every hash, in constant time each."""

    def __init__(self, tokens: Sequence[T]) -> None:
        self._tokens = [(bytes.fromhex(t.token_sha256), t) for t in tokens]

    def find(self, bearer: str) -> T | None:
        digest = hashlib.sha256(bearer.encode()).digest()
        found = None
        for expected, token in self._tokens:  # no early exit: the time does not tell which matched
            if hmac.compare_digest(digest, expected):
                found = token
        return found


def dev_tokens(roles: Iterable[R], make: Callable[[str, str, R], T]) -> list[T]:
    """`dev-<role>` for each role, subject `<role>:dev`: for `make run` and tests, never production."""
    return [make(token_hash(f"dev-{role.value}"), f"{role.value}:dev", role) for role in roles]
