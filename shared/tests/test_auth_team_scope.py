"""The `teams` claim: team tokens act only for their teams; ops, officers and on-call everywhere."""

from __future__ import annotations

import pytest

from trygg_shared.auth import may_act_for_team, team_scope

pytestmark = pytest.mark.unit


def test_a_team_token_with_teams_is_scoped_to_them() -> None:
    scope = team_scope(["team"], ["hofors"])

    assert may_act_for_team(scope, "hofors")
    assert not may_act_for_team(scope, "huddinge")
    assert not may_act_for_team(scope, None)


@pytest.mark.parametrize(
    ("roles", "teams"), [(["ops"], ["hofors"]), (["team", "officer"], ["hofors"]), (["team"], None)]
)
def test_other_roles_and_tokens_without_teams_are_municipality_wide(roles: list[str], teams: list[str] | None) -> None:
    scope = team_scope(roles, teams)

    assert scope is None
    assert may_act_for_team(scope, "huddinge")
