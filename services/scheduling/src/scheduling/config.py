"""Typed settings of the scheduling service (environment prefix `SCHEDULING_`, nested parts with `__`).

Example: `SCHEDULING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `SCHEDULING_MONGO__URI=mongodb://mongo:27017/`,
`SCHEDULING_API_TOKENS='[{"token_sha256": "<hex>", "subject": "team:hofors-us1", "roles": ["team"]}]'`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scheduling.domain.profiles import default_teams
from scheduling.service_layer.ports import Role
from trygg_shared import tokens
from trygg_shared.auth import token_hash
from trygg_shared.settings import ServiceSettings
from trygg_shared.tokens import ApiToken


def local_dev_tokens() -> list[ApiToken[Role]]:
    """`dev-officer`, `dev-team`, `dev-oncall`, `dev-ops`: for `make run` only, never in production.

    `dev-team` acts for the local default teams (the demo's); `dev-team-hofors` only for Hofors."""
    hofors = ApiToken[Role](
        token_sha256=token_hash("dev-team-hofors"), subject="team:hofors-us1", roles=[Role.TEAM], teams=["hofors"]
    )
    return [*tokens.local_dev_tokens(Role, team_teams=sorted(default_teams())), hofors]


class Settings(ServiceSettings, service="scheduling", port=8002):
    """Settings of the scheduling service; defaults run against `make run`'s local servers."""

    consumer_group: str = Field(
        "scheduling",
        description="Kafka consumer group of the referral-events consumer; the capacity consumer of the "
        "service's own period events uses `<group>-capacity`.",
    )
    api_tokens: list[ApiToken[Role]] = Field(
        default_factory=local_dev_tokens,
        description="API clients as a JSON list of {token_sha256, subject, roles, teams}; roles: officer, team, "
        "oncall, ops; team members use the subject `team:<staff id>`; `teams` (team ids) scopes a team token to "
        "those teams. The default tokens dev-officer, dev-team, dev-team-hofors, dev-oncall, dev-ops are for local "
        "use only.",
    )
    seed_default_teams: bool = Field(
        True,
        description="Create the local default teams (Hofors, Huddinge, Järfälla, Team Väst/Stockholm profiles) "
        "at start when they do not exist; a configured team is never overwritten.",
    )
    default_team_id: str = Field(
        "team-vast", description="The team that plans a decision naming no team or a team not configured here."
    )
    timer_poll_seconds: float = Field(
        5.0,
        gt=0,
        description="Longest sleep of the timer scanner: it sleeps until the earliest timer is due and is woken by a "
        "plan saved in this process with an earlier one, so this bounds only how late a timer saved by another "
        "replica is first seen.",
    )
    timer_lease_seconds: float = Field(
        60.0, gt=0, description="How long a replica's claim on a plan's due timers holds before another may take it."
    )
    travel_model: Literal["constant", "straight_line"] = Field(
        "straight_line",
        description="Travel time between visits: the team's constant, or straight-line distance when both homes "
        "have coordinates (the team's constant otherwise).",
    )
    travel_speed_kmh: float = Field(30.0, gt=0, le=120, description="Average speed for straight-line travel times.")


def local_defaults_in_use(settings: Settings) -> list[str]:
    """Settings still at their local-development values (which must never reach production)."""
    return ["SCHEDULING_API_TOKENS"] if tokens.uses_dev_tokens(settings.api_tokens, local_dev_tokens()) else []
