"""Scheduling's local development tokens: `dev-team` for the local teams, `dev-team-hofors` for Hofors only,
and none of them accepted outside local/dev/test."""

from __future__ import annotations

import pytest

from scheduling.config import Settings, local_defaults_in_use, local_dev_tokens
from scheduling.service_layer.ports import Actor, Role
from trygg_shared.auth import token_hash
from trygg_shared.tokens import ApiToken, TokenAuthenticator

pytestmark = pytest.mark.unit


def test_the_local_team_tokens_act_for_their_teams() -> None:
    authenticator = TokenAuthenticator(local_dev_tokens(), Actor)

    hofors = authenticator.authenticate("dev-team-hofors")
    team = authenticator.authenticate("dev-team")
    ops = authenticator.authenticate("dev-ops")
    assert hofors == Actor("team:hofors-us1", ("team",), frozenset({"hofors"}))
    assert hofors.staff_id == "hofors-us1"
    assert team is not None
    assert team.teams is not None
    assert "hofors" in team.teams
    assert len(team.teams) > 1
    assert ops == Actor("ops:dev", ("ops",))


@pytest.mark.parametrize("secret", ["dev-team-hofors", "dev-ops"])
def test_any_local_token_in_the_configuration_is_a_local_default(secret: str) -> None:
    kept = [t for t in local_dev_tokens() if t.token_sha256 == token_hash(secret)]
    production = ApiToken[Role](token_sha256=token_hash("a-real-secret"), subject="ops:erik", roles=[Role.OPS])

    assert local_defaults_in_use(Settings(api_tokens=[production, *kept])) == ["SCHEDULING_API_TOKENS"]
    assert local_defaults_in_use(Settings(api_tokens=[production])) == []
