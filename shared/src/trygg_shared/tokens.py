"""The configured bearer tokens of a service (`<SVC>_API_TOKENS`) and the authenticator over them.

Each service types the token model with its own roles (`ApiToken[Role]` in its settings) and
builds `TokenAuthenticator(settings.api_tokens, Actor)` in its bootstrap; routes see the `Actor`
only (through `trygg_shared.auth.Authenticator`). The configuration format, the same in every
service: a JSON list of `{token_sha256, subject, roles, teams}`, `teams` optional (team tokens).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from trygg_shared.auth import TEAMS_DESCRIPTION, Actor, BearerTokens, team_scope, token_hash

R = TypeVar("R", bound=StrEnum)
A = TypeVar("A", bound=Actor)


class ApiToken(BaseModel, Generic[R]):
    """One API client: the SHA-256 of its bearer token, who it is and what it may do."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the bearer token.")
    subject: str = Field(min_length=1, description="Who this is, e.g. `officer:anna.svensson` or `team:hofors-us1`.")
    roles: list[R] = Field(min_length=1, description="Roles granted to this token.")
    teams: list[str] | None = Field(None, description=TEAMS_DESCRIPTION)


class TokenAuthenticator(Generic[A]):
    """Implements `Authenticator`: a bearer is compared with every configured hash in constant time,
    and the token found becomes the service's `Actor` (its team scope from `team_scope`)."""

    def __init__(self, tokens: Sequence[ApiToken[Any]], actor: type[A]) -> None:
        self._tokens = BearerTokens(tokens)
        self._by_hash = {t.token_sha256: t for t in tokens}
        self._actor = actor

    def authenticate(self, bearer: str) -> A | None:
        found = self._tokens.find(bearer)
        return None if found is None else self.actor_of(found)

    def find(self, bearer: str) -> ApiToken[Any] | None:
        """The configured token this bearer is (for a session that keeps the token's hash)."""
        return self._tokens.find(bearer)

    def by_hash(self, token_sha256: str) -> A | None:
        """The actor of a token still configured (by its hash), or None."""
        found = self._by_hash.get(token_sha256)
        return None if found is None else self.actor_of(found)

    def actor_of(self, token: ApiToken[Any]) -> A:
        roles = tuple(str(role) for role in token.roles)
        return self._actor(subject=token.subject, roles=roles, teams=team_scope(roles, token.teams))


def local_dev_tokens(roles: Iterable[R], *, team_teams: Iterable[str] | None = None) -> list[ApiToken[R]]:
    """`dev-<role>` for each role, subject `<role>:dev`: for `make run` and tests, never production.

    `team_teams`: the teams `dev-team` acts for (None: every team)."""
    teams = None if team_teams is None else list(team_teams)
    return [
        ApiToken[R](
            token_sha256=token_hash(f"dev-{role.value}"),
            subject=f"{role.value}:dev",
            roles=[role],
            teams=teams if role.value == "team" else None,
        )
        for role in roles
    ]


def uses_dev_tokens(configured: Iterable[ApiToken[Any]], dev: Iterable[ApiToken[Any]]) -> bool:
    """Whether any configured token is one of the local development tokens (refused outside local/dev/test)."""
    dev_hashes = {t.token_sha256 for t in dev}
    return any(t.token_sha256 in dev_hashes for t in configured)
