"""A team's contact is read once per consumer batch (`trygg_shared.lanes.batch_reads`), not per record."""

from __future__ import annotations

from typing import Any

from notification.adapters.mongo import TEAMS, MongoTeamDirectory
from notification.domain.contacts import TeamContact
from trygg_shared.lanes import _BATCH_READS


class Collection:
    """The two calls the team directory makes, counted."""

    def __init__(self, doc: dict[str, Any] | None) -> None:
        self.doc, self.finds, self.updates = doc, 0, 0

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        self.finds += 1
        return self.doc

    async def update_one(self, *args: Any, **kwargs: Any) -> None:
        self.updates += 1


TEAM = {"_id": "t1", "name": "Team Väst", "phone": "+46701234567", "hours": [], "hemtjanst_phone": None}


async def test_a_team_is_read_once_per_batch_and_again_after_a_change_or_outside_a_batch() -> None:
    teams = Collection(TEAM)
    directory = MongoTeamDirectory({TEAMS: teams})  # type: ignore[arg-type]
    token = _BATCH_READS.set({})
    try:
        first = await directory.by_name("Team Väst")
        assert first is not None
        assert await directory.by_name("Team Väst") == first
        assert await directory.get("t1") == first
        assert teams.finds == 2  # by name once, by id once
        await directory.put(TeamContact("t1", "Team Väst", "+46707654321", ()), 2)
        await directory.get("t1")
        assert teams.finds == 3  # changed in this batch: read again
    finally:
        _BATCH_READS.reset(token)
    await directory.get("t1")
    await directory.get("t1")
    assert teams.finds == 5  # outside a batch every read goes to the database


async def test_a_team_that_is_not_configured_is_also_read_once_per_batch() -> None:
    teams = Collection(None)
    directory = MongoTeamDirectory({TEAMS: teams})  # type: ignore[arg-type]
    token = _BATCH_READS.set({})
    try:
        assert await directory.by_name("Team Öst") is None
        assert await directory.by_name("Team Öst") is None
    finally:
        _BATCH_READS.reset(token)
    assert teams.finds == 1
