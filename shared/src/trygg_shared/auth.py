"""Who calls: the actor, its roles and team scope, and the configured bearer tokens it is found by.

The pure part of the auth chassis (importable by every layer). Each service declares its roles as
data in one place (a `Role` StrEnum and a permission table beside its `Actor`); the chassis checks
them: `trygg_shared.tokens` (the token model of `<SVC>_API_TOKENS` and `TokenAuthenticator`, for
configuration and bootstraps) and `trygg_shared.bearer` (the FastAPI `require` dependency, for
entrypoints only). Tokens are configured as SHA-256 hashes (the tokens themselves are never
stored), each with a subject (who, as written into audit records), roles and, for team tokens,
the teams they act for. A deployment with an identity provider replaces `TokenAuthenticator` with
one that checks its JWTs: routes only see the service's `Actor`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class HashedToken(Protocol):
    @property
    def token_sha256(self) -> str: ...


T = TypeVar("T", bound=HashedToken)


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: a subject (e.g. `officer:anna.svensson`, written into audit records),
    its roles, and the teams a team token is scoped to (None: every team; see `team_scope`).

    A service uses it as its `Actor`, or subclasses it to add what it reads off the caller."""

    subject: str
    roles: tuple[str, ...]
    teams: frozenset[str] | None = None

    def has(self, *roles: str) -> bool:
        """Whether the actor has any of these roles (a service's `Role` members are strings)."""
        return any(role in self.roles for role in roles)


A_co = TypeVar("A_co", bound=Actor, covariant=True)


class Authenticator(Protocol[A_co]):
    """Who a bearer token belongs to (None: nobody we know); the port routes depend on."""

    def authenticate(self, bearer: str) -> A_co | None: ...


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


# --- team scope -------------------------------------------------------------------------------

TEAMS_DESCRIPTION = (
    "The teams (team ids) a team token acts for; what they limit is each service's to say (its `API_TOKENS` "
    "setting). Left out: every team (only where one team serves the municipality). Tokens with any role besides "
    "team (ops, officers, on-call) are never scoped."
)

# Roles whose tokens the `teams` claim scopes; every other role keeps municipality-wide access.
SCOPED_ROLES = frozenset({"team"})


def team_scope(roles: Iterable[str], teams: Iterable[str] | None) -> frozenset[str] | None:
    """The teams a token may act for (None: every team). Only a token whose every role is scoped
    (a team token) and that names its `teams` is limited to them."""
    if teams is None or set(roles) - SCOPED_ROLES:
        return None
    return frozenset(teams)


def may_act_for_team(scope: frozenset[str] | None, team_id: str | None) -> bool:
    """Whether an actor with this scope may act for (or read) this team; nothing of no team for a scoped actor."""
    return scope is None or (team_id is not None and team_id in scope)
