"""Bearer-token authentication with roles (the same scheme as referral's), configured per deployment.

Tokens are configured as SHA-256 hashes, each with a subject and roles. Team members' tokens
use the subject `team:<staff id>`, which is how the field API knows whose visits to show.
A deployment with an identity provider replaces this adapter; routes only see `Actor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field

from scheduling.domain.profiles import default_teams
from scheduling.service_layer.ports import Actor
from trygg_shared.auth import TEAMS_DESCRIPTION, BearerTokens, dev_tokens, team_scope, token_hash


class Role(StrEnum):
    OFFICER = "officer"  # biståndshandläggare: reads plans and handover notes
    TEAM = "team"  # the team (members and team leads): the field API, sick calls
    ONCALL = "oncall"  # on-call staff: reads the day's visits and waiting lists
    OPS = "ops"  # operations: configures teams, reads the audit trail


class ApiToken(BaseModel):
    """One API client: the SHA-256 of its bearer token, who it is and what it may do."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the bearer token.")
    subject: str = Field(min_length=1, description="Who this is, e.g. `team:hofors-us1`.")
    roles: list[Role] = Field(min_length=1, description="Roles granted to this token.")
    teams: list[str] | None = Field(None, description=TEAMS_DESCRIPTION)


class TokenAuthenticator:
    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = BearerTokens(tokens)

    def authenticate(self, bearer: str) -> Actor | None:
        found = self._tokens.find(bearer)
        if found is None:
            return None
        roles = tuple(r.value for r in found.roles)
        return Actor(subject=found.subject, roles=roles, teams=team_scope(roles, found.teams))


def local_dev_tokens() -> list[ApiToken]:
    """`dev-officer`, `dev-team`, `dev-oncall`, `dev-ops`: for `make run` only, never in production.

    `dev-team` acts for the local default teams (the demo's); `dev-team-hofors` only for Hofors."""
    teams = sorted(default_teams())

    def make(digest: str, subject: str, role: Role) -> ApiToken:
        return ApiToken(token_sha256=digest, subject=subject, roles=[role], teams=teams if role is Role.TEAM else None)

    hofors = ApiToken(
        token_sha256=token_hash("dev-team-hofors"), subject="team:hofors-us1", roles=[Role.TEAM], teams=["hofors"]
    )
    return [*dev_tokens(Role, make), hofors]
